/**
 * `wardwatch explain --config FILE [--source DIR] [--now ISO] KEY`: for one item (Message-ID or
 * event UID, angle brackets optional), every rule's verdict and the reason for it.
 */
import type { Command } from 'commander';
import { readFolderSource } from '../../connectors/folder/read.js';
import type { ItemEvaluation } from '../engine/engine.js';
import type { Item } from '../items/types.js';
import { formatExplain } from '../output/report.js';
import { checkSource } from '../pipeline/check.js';
import { setupFolderCommand } from './engine-setup.js';
import { processIO, type CommandIO } from './io.js';

export interface ExplainOptions {
  config: string;
  source?: string;
  now?: string;
  json?: boolean;
}

function bare(key: string): string {
  return key.trim().replace(/^<|>$/g, '').toLowerCase();
}

export async function runExplain(key: string, opts: ExplainOptions, io: CommandIO = processIO): Promise<number> {
  const ready = setupFolderCommand(opts, io);
  if (typeof ready === 'number') return ready;
  const { engine, dir, now, loaded } = ready;
  const wanted = bare(key);
  let found: { item: Item; evaluation: ItemEvaluation } | undefined;
  const result = await checkSource(engine, readFolderSource(dir), {
    now,
    onEvaluated: (item, evaluation) => {
      if (bare(item.key) === wanted || (item.kind === 'event' && bare(item.uid) === wanted && !found)) found = { item, evaluation };
    },
  });
  if (!found) {
    io.err(`No item with key ${key} in ${dir} (${result.counts.mailItems} messages, ${result.counts.eventItems} events read). Use the Message-ID of a message or the UID of an event.\n`);
    return 2;
  }
  if (opts.json) {
    io.out(`${JSON.stringify({ item: { kind: found.item.kind, key: found.item.key }, verdicts: found.evaluation.verdicts, notices: found.evaluation.notices })}\n`);
  } else {
    io.out(formatExplain(found.item, found.evaluation, loaded.config.council.timezone));
  }
  return found.evaluation.findings.length > 0 ? 1 : 0;
}

export function register(program: Command): void {
  program
    .command('explain')
    .description('show, for one item, every rule\'s verdict and why')
    .argument('<key>', 'the Message-ID of a message or the UID of an event')
    .requiredOption('--config <file>', 'the council configuration (YAML)')
    .option('--source <dir>', 'folder source directory')
    .option('--now <iso>', 'evaluate as at this instant (ISO 8601)')
    .option('--json', 'print the verdicts as JSON')
    .action(async (key: string, opts: ExplainOptions) => {
      process.exitCode = await runExplain(key, opts);
    });
}
