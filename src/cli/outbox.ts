/**
 * `wardwatch outbox …`: look at the outbox and put right what a fault on this side held up.
 * - `outbox list --config FILE [--state STATE]`: each effect's key, state, rule and recipient
 *   (and, for one given up, why).
 * - `outbox retry --config FILE KEY… | --failed`: effects given up because of a fault on this side
 *   (a template that could not be rendered) go back in the queue; the service carries each out
 *   once, at its next round. Nothing was sent for them, so nothing is sent twice. Effects the mail
 *   system refused, or that kept failing there, are not put back: they may have been delivered,
 *   or would be refused again, and are for a person to follow up.
 *
 * Exit codes: 0 done (nothing to retry included); 1 a named effect could not be retried; 2 bad
 * usage, an invalid configuration or an unknown key.
 */
import { errorMessage } from '../model/error-message.js';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { ConfigError } from '../config/errors.js';
import { Outbox, planningContextFrom } from '../outbox/outbox.js';
import { openStore } from '../store/open.js';
import type { Store } from '../store/types.js';
import { EFFECT_STATES, type EffectRow, type EffectState } from '../store/types.js';
import { setupEngine, type Setup } from './engine-setup.js';
import { outboxCommand, register as registerInDoubt } from './outbox-doubt.js';
import { processIO, type CommandIO } from './io.js';

const USAGE = 2;

interface OpenedOutbox {
  setup: Setup;
  store: Store;
  outbox: Outbox;
}

/** The config (layout and rule options checked) and its state file; exit code 2 after saying what is wrong. */
function openOutbox(configFile: string, io: CommandIO): OpenedOutbox | number | 'no-store' {
  let setup: Setup;
  try {
    setup = setupEngine(configFile);
  } catch (err) {
    if (err instanceof ConfigError) {
      io.err(`${err.format()}\n`);
      return USAGE;
    }
    throw err;
  }
  const file = path.resolve(setup.loaded.dir, setup.loaded.config.store.path);
  if (!existsSync(file)) {
    io.err(`There is no state file at ${file} yet: Wardwatch has not run with this configuration, so the outbox is empty.\n`);
    return 'no-store';
  }
  let store: Store;
  try {
    store = openStore(file);
  } catch (err) {
    io.err(`Wardwatch cannot open its state file ${file}: ${errorMessage(err)}\n`);
    return USAGE;
  }
  const outbox = new Outbox(store, { planning: planningContextFrom(setup.loaded.config, setup.engine.directory) });
  return { setup, store, outbox };
}

function isEffectState(value: string): value is EffectState {
  return (EFFECT_STATES as readonly string[]).includes(value);
}

function describeEffect(e: EffectRow): string {
  const to = e.recipient === '' ? '' : ` to ${e.recipient}`;
  const why = e.state === 'failed' && e.lastError !== undefined ? ` — ${e.localFault === true ? 'can be retried once fixed: ' : ''}${e.lastError}` : '';
  return `${e.key}  ${e.state}  ${e.rule}  ${e.kind}${to}${why}\n`;
}

export interface ListOptions {
  config: string;
  state?: string;
}

/** Print the outbox's effects, oldest first; returns the exit code. */
export async function runOutboxList(opts: ListOptions, io: CommandIO = processIO): Promise<number> {
  if (opts.state !== undefined && !isEffectState(opts.state)) {
    io.err(`--state: expected one of ${EFFECT_STATES.join(', ')}, got "${opts.state}"\n`);
    return USAGE;
  }
  const opened = openOutbox(opts.config, io);
  if (opened === 'no-store') return 0;
  if (typeof opened === 'number') return opened;
  try {
    const effects = await opened.store.listEffects(opts.state !== undefined && isEffectState(opts.state) ? { states: [opts.state] } : {});
    if (effects.length === 0) {
      io.out(opts.state !== undefined ? `No effects are ${opts.state}.\n` : 'The outbox is empty.\n');
      return 0;
    }
    for (const e of effects) io.out(describeEffect(e));
    return 0;
  } finally {
    await opened.store.close();
  }
}

export interface RetryOptions {
  config: string;
  failed?: boolean;
}

const RETRY_OUTCOME = 'Put back in the queue by "wardwatch outbox retry" after the fault on this side was put right; it will be carried out once.';

/** Put effects given up for a local fault back in the queue; returns the exit code. */
export async function runOutboxRetry(keys: readonly string[], opts: RetryOptions, io: CommandIO = processIO): Promise<number> {
  if (keys.length === 0 && opts.failed !== true) {
    io.err('Name the effects to retry (wardwatch outbox list --config FILE --state failed shows them), or give --failed for every one given up because of a fault on this side.\n');
    return USAGE;
  }
  if (keys.length > 0 && opts.failed === true) {
    io.err('Give either the keys of the effects to retry or --failed, not both.\n');
    return USAGE;
  }
  const opened = openOutbox(opts.config, io);
  if (opened === 'no-store') return keys.length > 0 ? USAGE : 0;
  if (typeof opened === 'number') return opened;
  const { store, outbox } = opened;
  try {
    if (opts.failed === true) {
      const failed = await store.listEffects({ states: ['failed'] });
      const local = failed.filter((e) => e.localFault === true);
      const retried: typeof local = [];
      for (const e of local) if (await outbox.retryLocalFault(e, RETRY_OUTCOME)) retried.push(e);
      for (const e of retried) io.out(`Queued again: ${e.key} (${e.rule}, ${e.kind}${e.recipient === '' ? '' : ` to ${e.recipient}`})\n`);
      const others = failed.length - local.length;
      io.out(
        retried.length === 0
          ? 'No effect was given up because of a fault on this side: nothing to retry.\n'
          : `${retried.length === 1 ? '1 effect goes' : `${retried.length} effects go`} out at the service's next round (wardwatch run).\n`,
      );
      if (others > 0) {
        io.out(
          `${others === 1 ? '1 other failed effect was' : `${others} other failed effects were`} refused by the mail system or kept failing there; ` +
            'they are not sent again by Wardwatch and are listed in the digest for a person to follow up.\n',
        );
      }
      return 0;
    }
    let code = 0;
    let retried = 0;
    for (const key of keys) {
      const e = await store.getEffect(key);
      if (e === undefined) {
        io.err(`There is no effect with key ${key} (wardwatch outbox list --config ${opts.config} shows them).\n`);
        code = USAGE;
        continue;
      }
      if (e.state !== 'failed') {
        io.err(
          e.state === 'done'
            ? `${key} was carried out already; it is not sent again.\n`
            : `${key} is ${e.state}, not failed: there is nothing to retry.\n`,
        );
        if (code === 0) code = 1;
        continue;
      }
      if (e.localFault !== true) {
        io.err(
          `${key} was not given up because of a fault on this side but by the mail system (${e.lastError ?? 'no reason recorded'}); ` +
            'it may have been delivered, or would be refused again, so Wardwatch does not send it again: please follow it up by hand.\n',
        );
        if (code === 0) code = 1;
        continue;
      }
      if (await outbox.retryLocalFault(e, RETRY_OUTCOME)) {
        retried += 1;
        io.out(`Queued again: ${e.key} (${e.rule}, ${e.kind}${e.recipient === '' ? '' : ` to ${e.recipient}`})\n`);
      }
    }
    if (retried > 0) io.out(`${retried === 1 ? '1 effect goes' : `${retried} effects go`} out at the service's next round (wardwatch run).\n`);
    return code;
  } finally {
    await store.close();
  }
}

export function register(program: Command): void {
  const outbox = outboxCommand(program).description('look at the outbox: list it, retry what a fault on this side held up, release or drop what a crash left in doubt');
  outbox
    .command('list')
    .description('list the effects in the outbox: key, state, rule, action and recipient')
    .requiredOption('-c, --config <file>', 'the council configuration (YAML)')
    .option('--state <state>', `only effects in this state: ${EFFECT_STATES.join(', ')}`)
    .action(async (options: ListOptions) => {
      process.exitCode = await runOutboxList(options);
    });
  outbox
    .command('retry')
    .description('put effects given up because of a fault on this side (a broken template) back in the queue, once it is fixed')
    .argument('[keys...]', 'the keys of the effects to retry (wardwatch outbox list shows them)')
    .requiredOption('-c, --config <file>', 'the council configuration (YAML)')
    .option('--failed', 'every effect given up because of a fault on this side')
    .action(async (keys: string[], options: RetryOptions) => {
      process.exitCode = await runOutboxRetry(keys, options);
    });
  registerInDoubt(program);
}
