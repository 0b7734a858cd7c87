/**
 * `wardwatch prune --config FILE [--dry-run] [--now ISO]`: prune the state file now, as the
 * service does each day, by the periods in `retention` (see docs/operating.md). With `--dry-run`
 * it only counts what would go. Safe beside a running service: the prune is one transaction.
 *
 * Exit codes: 0 done (nothing to prune included); 2 bad usage, an invalid configuration or a
 * state file that cannot be opened.
 */
import { errorMessage } from '../model/error-message.js';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { ConfigError } from '../config/errors.js';
import { loadConfig, type LoadedConfig } from '../config/load.js';
import { prunedCount, retentionCutoffs } from '../service/retention.js';
import { openStore } from '../store/open.js';
import type { Store } from '../store/types.js';
import type { PruneReport } from '../store/types.js';
import { processIO, type CommandIO } from './io.js';

const USAGE = 2;

export interface PruneOptions {
  config: string;
  dryRun?: boolean;
  /** Prune as if it were this instant (to see what a later prune would remove). */
  now?: string;
}

const LABELS: Record<keyof PruneReport, string> = {
  originals: 'original messages',
  seenItems: 'seen items',
  itemMemory: 'remembered message and event summaries',
  events: 'past events',
  needsHuman: 'needs-a-person notices',
  problems: 'unreadable-item notices',
  findings: 'findings',
  effects: 'finished effects',
  audit: 'audit entries',
  digests: 'digest records',
};

export async function runPrune(opts: PruneOptions, io: CommandIO = processIO): Promise<number> {
  const now = opts.now === undefined ? new Date() : new Date(opts.now);
  if (Number.isNaN(now.getTime())) {
    io.err(`--now: expected an ISO 8601 instant such as 2026-12-07T03:00:00Z, got "${opts.now ?? ''}"\n`);
    return USAGE;
  }
  let loaded: LoadedConfig;
  try {
    loaded = loadConfig(opts.config);
  } catch (err) {
    if (err instanceof ConfigError) {
      io.err(`${err.format()}\n`);
      return USAGE;
    }
    throw err;
  }
  const file = path.resolve(loaded.dir, loaded.config.store.path);
  if (!existsSync(file)) {
    io.out(`There is no state file at ${file} yet: there is nothing to prune.\n`);
    return 0;
  }
  let store: Store;
  try {
    store = openStore(file);
  } catch (err) {
    io.err(`Wardwatch cannot open its state file ${file}: ${errorMessage(err)}\n`);
    return USAGE;
  }
  try {
    const dryRun = opts.dryRun === true;
    const report = await store.prune(retentionCutoffs(loaded.config.retention, now), now.toISOString(), { dryRun });
    if (prunedCount(report) === 0) {
      io.out('Nothing is older than its retention period: nothing to prune.\n');
      return 0;
    }
    io.out(dryRun ? 'Would prune (dry run, nothing removed):\n' : 'Pruned:\n');
    for (const [kind, n] of Object.entries(report) as [keyof PruneReport, number][]) {
      if (n > 0) io.out(`  ${LABELS[kind]}: ${n}\n`);
    }
    return 0;
  } finally {
    await store.close();
  }
}

export function register(program: Command): void {
  program
    .command('prune')
    .description('remove from the state file what is older than its retention period (the service does this daily)')
    .requiredOption('-c, --config <file>', 'the council configuration (YAML)')
    .option('--dry-run', 'count what would be removed, and remove nothing')
    .option('--now <iso>', 'prune as if it were this instant')
    .action(async (options: PruneOptions) => {
      process.exitCode = await runPrune(options);
    });
}
