/**
 * `wardwatch outbox release KEY|--all-in-doubt --config FILE` and `wardwatch outbox drop KEY
 * --config FILE`: the Clerk's decision about messages held in doubt after a crash (see
 * src/outbox/in-doubt.ts). The keys are listed in the digest and in the service's log.
 *
 * The `outbox` command is shared with other subcommands: `outboxCommand(program)` returns the one
 * already registered, or registers it, so each file adds its own subcommands to the same command.
 * `openClerkActions` is shared too: the commands that change something (outbox approve, withdraw,
 * retry, release, drop; findings …) make their changes through the Clerk's actions
 * (src/review/clerk-actions.ts), as the console does, so the audit log names who made them.
 *
 * Exit codes: 0 done; 1 nothing held in doubt under that key; 2 bad usage, invalid config or no state file.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { ConfigError } from '../config/errors.js';
import { errorMessage } from '../model/error-message.js';
import { planningContextFrom } from '../outbox/outbox.js';
import { keysInDoubt, type InDoubtDecision } from '../outbox/in-doubt.js';
import { ClerkActions } from '../review/clerk-actions.js';
import { openStore } from '../store/open.js';
import type { Store } from '../store/types.js';
import { setupEngine, setupOrExitCode, type Setup } from './engine-setup.js';
import { processIO, type CommandIO } from './io.js';
import { cliActor } from './users.js';

const USAGE = 2;

/** The configuration, its state file and the Clerk's actions on it, for a command that changes something. */
export interface ClerkCommand {
  setup: Setup;
  store: Store;
  actions: ClerkActions;
}

export interface OpenClerkOptions {
  /** Make the checks `run` makes too (the sender, the connectors' secrets): print the config's warnings. */
  checkRuntime?: boolean;
  /** Create the state file when there is none yet, instead of returning `{ missing }`. */
  create?: boolean;
  clock?: () => Date;
}

/**
 * Load the configuration and open its state file, with the Clerk's actions on them. Returns exit
 * code 2 after saying what is wrong with the configuration or the file, or `{ missing }` (the
 * state file's path) when Wardwatch has not run with this configuration yet; the caller says what
 * that means for its command. The caller closes the store.
 */
export function openClerkActions(configFile: string, io: CommandIO, options: OpenClerkOptions = {}): ClerkCommand | number | { missing: string } {
  let setup: Setup;
  if (options.checkRuntime === true) {
    const checked = setupOrExitCode(configFile, io);
    if (typeof checked === 'number') return checked;
    setup = checked;
  } else {
    try {
      setup = setupEngine(configFile);
    } catch (err) {
      if (err instanceof ConfigError) {
        io.err(`${err.format()}\n`);
        return USAGE;
      }
      throw err;
    }
  }
  const file = path.resolve(setup.loaded.dir, setup.loaded.config.store.path);
  if (options.create !== true && !existsSync(file)) return { missing: file };
  let store: Store;
  try {
    store = openStore(file);
  } catch (err) {
    io.err(`Wardwatch cannot open its state file ${file}: ${errorMessage(err)}\n`);
    return USAGE;
  }
  const planning = planningContextFrom(setup.loaded.config, setup.engine.directory);
  const actions = new ClerkActions({ store, planning, ...(options.clock !== undefined ? { clock: options.clock } : {}) });
  return { setup, store, actions };
}

export interface DoubtOptions {
  config: string;
  allInDoubt?: boolean;
}

export interface DoubtDeps {
  /** Who the audit log names; `cliActor()` by default. */
  actor?: string;
}

/** What the command says when the Clerk's action is refused before it is asked, or succeeds: worded as it always was. */
async function decideOne(store: Store, actions: ClerkActions, key: string, decision: InDoubtDecision, actor: string): Promise<{ ok: boolean; message: string }> {
  const effect = key.startsWith('digest;') ? undefined : await store.getEffect(key);
  if (!key.startsWith('digest;')) {
    if (effect === undefined) return { ok: false, message: `There is no effect with the key ${key} in the outbox.` };
    if (effect.state !== 'in-doubt') return { ok: false, message: `The effect ${key} is not held in doubt (it is ${effect.state}), so nothing was changed.` };
  }
  const result = decision === 'release' ? await actions.release(key, actor) : await actions.drop(key, actor);
  if (!result.ok || effect === undefined) return result;
  const what = effect.recipient === '' ? `the ${effect.kind}` : `the ${effect.kind} to ${effect.recipient}`;
  return {
    ok: true,
    message: decision === 'release' ? `Released ${what}: it will be sent once by the running service (or at its next start).` : `Dropped ${what}: it will not be sent.`,
  };
}

export async function runDecision(decision: InDoubtDecision, key: string | undefined, opts: DoubtOptions, io: CommandIO = processIO, deps: DoubtDeps = {}): Promise<number> {
  if ((key === undefined) === (opts.allInDoubt !== true)) {
    io.err(
      decision === 'release'
        ? 'Please name one key (as listed in the digest), or give --all-in-doubt to release every message held in doubt.\n'
        : 'Please name the key of the message to drop, as listed in the digest.\n',
    );
    return USAGE;
  }
  const opened = openClerkActions(opts.config, io, { checkRuntime: true });
  if (typeof opened === 'number') return opened;
  if ('missing' in opened) {
    io.err(`There is no state file at ${opened.missing} (store.path in ${opts.config}), so nothing is held in doubt.\n`);
    return USAGE;
  }
  const { store, actions } = opened;
  const actor = deps.actor ?? cliActor();
  try {
    const keys = key !== undefined ? [key] : await keysInDoubt(store);
    if (keys.length === 0) {
      io.out('Nothing is held in doubt.\n');
      return 0;
    }
    let unchanged = 0;
    for (const k of keys) {
      const outcome = await decideOne(store, actions, k, decision, actor);
      if (outcome.ok) io.out(`${outcome.message}\n`);
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
