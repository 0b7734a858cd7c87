/**
 * `wardwatch outbox release KEY|--all-in-doubt --config FILE` and `wardwatch outbox drop KEY
 * --config FILE`: the Clerk's decision about messages held in doubt after a crash (see
 * src/outbox/in-doubt.ts). The keys are listed in the digest and in the service's log.
 *
 * The `outbox` command is shared with other subcommands: `outboxCommand(program)` returns the one
 * already registered, or registers it, so each file adds its own subcommands to the same command.
 *
 * Exit codes: 0 done; 1 nothing held in doubt under that key; 2 bad usage, invalid config or no state file.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { decideInDoubt, keysInDoubt, type InDoubtDecision } from '../outbox/in-doubt.js';
import { openStore } from '../store/open.js';
import { setupOrExitCode } from './engine-setup.js';
import { processIO, type CommandIO } from './io.js';

export interface DoubtOptions {
  config: string;
  allInDoubt?: boolean;
}

export async function runDecision(decision: InDoubtDecision, key: string | undefined, opts: DoubtOptions, io: CommandIO = processIO): Promise<number> {
  if ((key === undefined) === (opts.allInDoubt !== true)) {
    io.err(
      decision === 'release'
        ? 'Please name one key (as listed in the digest), or give --all-in-doubt to release every message held in doubt.\n'
        : 'Please name the key of the message to drop, as listed in the digest.\n',
    );
    return 2;
  }
  const setup = setupOrExitCode(opts.config, io);
  if (typeof setup === 'number') return setup;
  const storePath = path.resolve(setup.loaded.dir, setup.loaded.config.store.path);
  if (!existsSync(storePath)) {
    io.err(`There is no state file at ${storePath} (store.path in ${opts.config}), so nothing is held in doubt.\n`);
    return 2;
  }
  const store = openStore(storePath);
  try {
    const now = new Date().toISOString();
    const keys = key !== undefined ? [key] : await keysInDoubt(store);
    if (keys.length === 0) {
      io.out('Nothing is held in doubt.\n');
      return 0;
    }
    let unchanged = 0;
    for (const k of keys) {
      const outcome = await decideInDoubt(store, k, decision, now);
      if (outcome.changed) io.out(`${outcome.message}\n`);
      else {
        io.err(`${outcome.message}\n`);
        unchanged += 1;
      }
    }
    return unchanged > 0 ? 1 : 0;
  } finally {
    await store.close();
  }
}

/** The `outbox` command, shared by the files that add subcommands to it. */
export function outboxCommand(program: Command): Command {
  return (
    program.commands.find((c) => c.name() === 'outbox') ??
    program.command('outbox').description('what Wardwatch has to send: messages held in doubt after a crash, and others')
  );
}

export function register(program: Command): void {
  const outbox = outboxCommand(program);
  outbox
    .command('release')
    .description('send once a message held in doubt after a crash (check first that it did not arrive)')
    .argument('[key]', 'the key of the message, as listed in the digest (quote it: it contains ; and < >)')
    .option('--all-in-doubt', 'release every message held in doubt')
    .requiredOption('--config <file>', 'the council configuration (YAML)')
    .action(async (key: string | undefined, opts: DoubtOptions) => {
      process.exitCode = await runDecision('release', key, opts);
    });
  outbox
    .command('drop')
    .description('never send a message held in doubt after a crash (it arrived, or is no longer wanted)')
    .argument('<key>', 'the key of the message, as listed in the digest (quote it: it contains ; and < >)')
    .requiredOption('--config <file>', 'the council configuration (YAML)')
    .action(async (key: string, opts: DoubtOptions) => {
      process.exitCode = await runDecision('drop', key, opts);
    });
}
