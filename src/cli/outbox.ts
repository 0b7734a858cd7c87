/**
 * `wardwatch outbox …`: look at the outbox, decide what waits for review, and put right what a
 * fault on this side held up.
 * - `outbox list --config FILE [--state STATE] [--rule RULE]`: each effect's key, state, rule and
 *   recipient (and, for one given up, why); those awaiting review are marked so.
 * - `outbox approve --config FILE KEY… | --rule RULE | --all [--cover-text TEXT]`: effects awaiting
 *   review go in the queue (quiet hours kept) and are carried out once; with one key, `--cover-text`
 *   puts the Clerk's own paragraph after the greeting of that message.
 * - `outbox withdraw --config FILE KEY… [--reason TEXT]`: effects awaiting review, or queued and not
 *   yet sent, are never carried out.
 * - `outbox retry --config FILE KEY… | --failed`: effects given up because of a fault on this side
 *   (a template that could not be rendered) go back in the queue; the service carries each out
 *   once, at its next round. Nothing was sent for them, so nothing is sent twice. Effects the mail
 *   system refused, or that kept failing there, are not put back: they may have been delivered,
 *   or would be refused again, and are for a person to follow up.
 * Every change goes through the Clerk's actions (src/review/clerk-actions.ts), as in the console,
 * and the audit log names `cli:<operating-system user>` as who made it.
 *
 * Exit codes: 0 done (nothing to approve or retry included); 1 a named effect could not be
 * changed; 2 bad usage, an invalid configuration or an unknown key.
 */
import type { Command } from 'commander';
import { suggest } from '../config/errors.js';
import { RULE_IDS } from '../config/schema.js';
import { DAILY_SUMMARY_RULE, EFFECT_STATES, type EffectRow, type EffectState, type Store } from '../store/types.js';
import type { ClerkActions } from '../review/clerk-actions.js';
import { openClerkActions, outboxCommand, register as registerInDoubt, type ClerkCommand } from './outbox-doubt.js';
import { processIO, type CommandIO } from './io.js';
import { cliActor } from './users.js';

const USAGE = 2;
const NOT_CHANGED = 1;

export interface OutboxDeps {
  io?: CommandIO;
  /** Who the audit log names; `cliActor()` by default. */
  actor?: string;
  clock?: () => Date;
}

/** The outbox's store and the Clerk's actions; `'no-store'` after saying there is nothing yet, or an exit code. */
function openOutbox(configFile: string, io: CommandIO, deps: OutboxDeps): ClerkCommand | number | 'no-store' {
  const opened = openClerkActions(configFile, io, deps.clock !== undefined ? { clock: deps.clock } : {});
  if (typeof opened === 'number') return opened;
  if ('missing' in opened) {
    io.err(`There is no state file at ${opened.missing} yet: Wardwatch has not run with this configuration, so the outbox is empty.\n`);
    return 'no-store';
  }
  return opened;
}

function isEffectState(value: string): value is EffectState {
  return (EFFECT_STATES as readonly string[]).includes(value);
}

/** Why a --rule value names no rule (undefined when it names one), with the nearest rule's name. */
function ruleProblem(rule: string): string | undefined {
  const rules: readonly string[] = [...RULE_IDS, DAILY_SUMMARY_RULE];
  if (rules.includes(rule)) return undefined;
  const close = suggest(rule, rules);
  return `--rule: there is no rule named "${rule}".${close !== undefined ? ` Did you mean "${close}"?` : ''} wardwatch schema lists the rules.`;
}

function whatAndWhom(e: Pick<EffectRow, 'rule' | 'kind' | 'recipient'>): string {
  return `${e.rule}, ${e.kind}${e.recipient === '' ? '' : ` to ${e.recipient}`}`;
}

function describeEffect(e: EffectRow): string {
  const to = e.recipient === '' ? '' : ` to ${e.recipient}`;
  let why = '';
  if (e.state === 'failed' && e.lastError !== undefined) why = ` — ${e.localFault === true ? 'can be retried once fixed: ' : ''}${e.lastError}`;
  else if (e.state === 'awaiting-review') why = ` — awaiting your review${e.coverText !== undefined ? ', with your cover text' : ''}`;
  else if (e.state === 'withdrawn' && e.lastError !== undefined) why = ` — ${e.lastError}`;
  return `${e.key}  ${e.state}  ${e.rule}  ${e.kind}${to}${why}\n`;
}

export interface ListOptions {
  config: string;
  state?: string;
  rule?: string;
}

/** Print the outbox's effects, oldest first; returns the exit code. */
export async function runOutboxList(opts: ListOptions, io: CommandIO = processIO, deps: OutboxDeps = {}): Promise<number> {
  if (opts.state !== undefined && !isEffectState(opts.state)) {
    io.err(`--state: expected one of ${EFFECT_STATES.join(', ')}, got "${opts.state}"\n`);
    return USAGE;
  }
  const problem = opts.rule !== undefined ? ruleProblem(opts.rule) : undefined;
  if (problem !== undefined) {
    io.err(`${problem}\n`);
    return USAGE;
  }
  const opened = openOutbox(opts.config, io, deps);
  if (opened === 'no-store') return 0;
  if (typeof opened === 'number') return opened;
  try {
    const effects = await opened.store.listEffects({
      ...(opts.state !== undefined && isEffectState(opts.state) ? { states: [opts.state] } : {}),
      ...(opts.rule !== undefined ? { rule: opts.rule } : {}),
    });
    if (effects.length === 0) {
      const ofRule = opts.rule !== undefined ? ` of the rule ${opts.rule}` : '';
      io.out(opts.state !== undefined ? `No effects${ofRule} are ${opts.state}.\n` : opts.rule !== undefined ? `The outbox has no effects${ofRule}.\n` : 'The outbox is empty.\n');
      return 0;
    }
    for (const e of effects) io.out(describeEffect(e));
    const awaiting = effects.filter((e) => e.state === 'awaiting-review').length;
    if (awaiting > 0) {
      io.out(
        `\n${awaiting === 1 ? '1 effect awaits' : `${awaiting} effects await`} your review. Approve with: wardwatch outbox approve KEY… --config ${opts.config} ` +
          `(or --rule RULE, or --all); withdraw with: wardwatch outbox withdraw KEY… --config ${opts.config}. ` +
          `Quote each key: it contains ; and < >.\n`,
      );
    }
    return 0;
  } finally {
    await opened.store.close();
  }
}

/**
 * The named effects that exist, each with its row; for the others, says there is no such effect.
 * Returns the exit code so far (2 when a key is unknown).
 */
async function knownEffects(store: Store, keys: readonly string[], config: string, io: CommandIO): Promise<{ found: EffectRow[]; code: number }> {
  const found: EffectRow[] = [];
  let code = 0;
  for (const key of keys) {
    const e = await store.getEffect(key);
    if (e === undefined) {
      io.err(`There is no effect with key ${key} (wardwatch outbox list --config ${config} shows them).\n`);
      code = USAGE;
    } else found.push(e);
  }
  return { found, code };
}

/** Exit code after one more effect: a refusal is 1 unless something already made it 2. */
function worse(code: number, next: number): number {
  return Math.max(code, next);
}

export interface ApproveOptions {
  config: string;
  rule?: string;
  all?: boolean;
  coverText?: string;
}

/** Approve effects awaiting review (by key, by rule or all); returns the exit code. */
export async function runOutboxApprove(keys: readonly string[], opts: ApproveOptions, io: CommandIO = processIO, deps: OutboxDeps = {}): Promise<number> {
  const ways = [keys.length > 0, opts.rule !== undefined, opts.all === true].filter(Boolean).length;
  if (ways === 0) {
    io.err(
      `Name the effects to approve (wardwatch outbox list --config ${opts.config} --state awaiting-review shows them), ` +
        'or give --rule RULE for every one of a rule, or --all for every one awaiting review.\n',
    );
    return USAGE;
  }
  if (ways > 1) {
    io.err('Give the keys of the effects to approve, --rule RULE or --all: only one of them.\n');
    return USAGE;
  }
  if (opts.coverText !== undefined && keys.length !== 1) {
    io.err('--cover-text goes with one key: each message has its own cover text. Approve the others separately.\n');
    return USAGE;
  }
  if (opts.coverText !== undefined && opts.coverText.trim() === '') {
    io.err('--cover-text is empty: give the paragraph to put after the greeting, or leave the option out.\n');
    return USAGE;
  }
  const problem = opts.rule !== undefined ? ruleProblem(opts.rule) : undefined;
  if (problem !== undefined) {
    io.err(`${problem}\n`);
    return USAGE;
  }
  const opened = openOutbox(opts.config, io, deps);
  if (opened === 'no-store') return keys.length > 0 ? USAGE : 0;
  if (typeof opened === 'number') return opened;
  const { store, actions } = opened;
  const actor = deps.actor ?? cliActor();
  try {
    if (keys.length === 0) {
      const result = await actions.approveAll(opts.rule !== undefined ? { rule: opts.rule } : {}, actor);
      for (const key of result.approved) io.out(`Approved: ${key}\n`);
      io.out(`${result.message}\n`);
      return 0;
    }
    const { found, code: unknown } = await knownEffects(store, keys, opts.config, io);
    let code = unknown;
    for (const e of found) {
      const result = await actions.approve(e.key, actor, opts.coverText !== undefined ? { coverText: opts.coverText } : {});
      code = report(result, io, code);
    }
    return code;
  } finally {
    await store.close();
  }
}

/** Print an action's message (on standard error when refused); returns the exit code so far. */
function report(result: { ok: boolean; message: string }, io: CommandIO, code: number): number {
  if (result.ok) {
    io.out(`${result.message}\n`);
    return code;
  }
  io.err(`${result.message}\n`);
  return worse(code, NOT_CHANGED);
}

export interface WithdrawOptions {
  config: string;
  reason?: string;
}

/** Withdraw effects not yet carried out; returns the exit code. */
export async function runOutboxWithdraw(keys: readonly string[], opts: WithdrawOptions, io: CommandIO = processIO, deps: OutboxDeps = {}): Promise<number> {
  if (keys.length === 0) {
    io.err(`Name the effects to withdraw (wardwatch outbox list --config ${opts.config} shows them, with their state).\n`);
    return USAGE;
  }
  if (opts.reason !== undefined && opts.reason.trim() === '') {
    io.err('--reason is empty: say in a few words why it is withdrawn, or leave the option out.\n');
    return USAGE;
  }
  const opened = openOutbox(opts.config, io, deps);
  if (opened === 'no-store') return USAGE;
  if (typeof opened === 'number') return opened;
  const { store, actions } = opened;
  const actor = deps.actor ?? cliActor();
  try {
    const { found, code: unknown } = await knownEffects(store, keys, opts.config, io);
    let code = unknown;
    for (const e of found) code = report(await actions.withdraw(e.key, actor, opts.reason?.trim()), io, code);
    return code;
  } finally {
    await store.close();
  }
}

export interface RetryOptions {
  config: string;
  failed?: boolean;
}

async function retryOne(actions: ClerkActions, e: EffectRow, actor: string, io: CommandIO): Promise<boolean> {
  const result = await actions.retry(e.key, actor);
  if (result.ok) io.out(`Queued again: ${e.key} (${whatAndWhom(e)})\n`);
  else io.err(`${result.message}\n`);
  return result.ok;
}

/** Put effects given up for a local fault back in the queue; returns the exit code. */
export async function runOutboxRetry(keys: readonly string[], opts: RetryOptions, io: CommandIO = processIO, deps: OutboxDeps = {}): Promise<number> {
  if (keys.length === 0 && opts.failed !== true) {
    io.err('Name the effects to retry (wardwatch outbox list --config FILE --state failed shows them), or give --failed for every one given up because of a fault on this side.\n');
    return USAGE;
  }
  if (keys.length > 0 && opts.failed === true) {
    io.err('Give either the keys of the effects to retry or --failed, not both.\n');
    return USAGE;
  }
  const opened = openOutbox(opts.config, io, deps);
  if (opened === 'no-store') return keys.length > 0 ? USAGE : 0;
  if (typeof opened === 'number') return opened;
  const { store, actions } = opened;
  const actor = deps.actor ?? cliActor();
  try {
    if (opts.failed === true) {
      const failed = await store.listEffects({ states: ['failed'] });
      const local = failed.filter((e) => e.localFault === true);
      let retried = 0;
      for (const e of local) if (await retryOne(actions, e, actor, io)) retried += 1;
      io.out(
        retried === 0
          ? 'No effect was given up because of a fault on this side: nothing to retry.\n'
          : `${retried === 1 ? '1 effect goes' : `${retried} effects go`} out at the service's next round (wardwatch run).\n`,
      );
      const others = failed.length - local.length;
      if (others > 0) {
        io.out(
          `${others === 1 ? '1 other failed effect was' : `${others} other failed effects were`} refused by the mail system or kept failing there; ` +
            'they are not sent again by Wardwatch and are listed in the digest for a person to follow up.\n',
        );
      }
      return 0;
    }
    const { found, code: unknown } = await knownEffects(store, keys, opts.config, io);
    let code = unknown;
    let retried = 0;
    for (const e of found) {
      // Said here, before asking: these refusals name what to do next, for the command line.
      if (e.state !== 'failed') {
        io.err(e.state === 'done' ? `${e.key} was carried out already; it is not sent again.\n` : `${e.key} is ${e.state}, not failed: there is nothing to retry.\n`);
        code = worse(code, NOT_CHANGED);
        continue;
      }
      if (e.localFault !== true) {
        io.err(
          `${e.key} was not given up because of a fault on this side but by the mail system (${e.lastError ?? 'no reason recorded'}); ` +
            'it may have been delivered, or would be refused again, so Wardwatch does not send it again: please follow it up by hand.\n',
        );
        code = worse(code, NOT_CHANGED);
        continue;
      }
      if (await retryOne(actions, e, actor, io)) retried += 1;
      else code = worse(code, NOT_CHANGED);
    }
    if (retried > 0) io.out(`${retried === 1 ? '1 effect goes' : `${retried} effects go`} out at the service's next round (wardwatch run).\n`);
    return code;
  } finally {
    await store.close();
  }
}

const CONFIG_OPTION = ['-c, --config <file>', 'the council configuration (YAML)'] as const;

export function register(program: Command): void {
  const outbox = outboxCommand(program).description(
    'look at the outbox: list it, approve or withdraw what awaits review, retry what a fault on this side held up, release or drop what a crash left in doubt',
  );
  outbox
    .command('list')
    .description('list the effects in the outbox: key, state, rule, action and recipient')
    .requiredOption(...CONFIG_OPTION)
    .option('--state <state>', `only effects in this state: ${EFFECT_STATES.join(', ')}`)
    .option('--rule <rule>', 'only effects of this rule')
    .action(async (options: ListOptions) => {
      process.exitCode = await runOutboxList(options);
    });
  outbox
    .command('approve')
    .description('approve effects awaiting review: each goes out once, in working hours where they apply')
    .argument('[keys...]', 'the keys of the effects to approve (wardwatch outbox list --state awaiting-review shows them; quote each)')
    .requiredOption(...CONFIG_OPTION)
    .option('--rule <rule>', 'every effect of this rule awaiting review')
    .option('--all', 'every effect awaiting review')
    .option('--cover-text <text>', 'with one key: your own paragraph, put after the greeting of that message')
    .action(async (keys: string[], options: ApproveOptions) => {
      process.exitCode = await runOutboxApprove(keys, options);
    });
  outbox
    .command('withdraw')
    .description('withdraw effects awaiting review or queued: they are never carried out')
    .argument('[keys...]', 'the keys of the effects to withdraw (wardwatch outbox list shows them; quote each)')
    .requiredOption(...CONFIG_OPTION)
    .option('--reason <text>', 'why, for the audit log and the digest')
    .action(async (keys: string[], options: WithdrawOptions) => {
      process.exitCode = await runOutboxWithdraw(keys, options);
    });
  outbox
    .command('retry')
    .description('put effects given up because of a fault on this side (a broken template) back in the queue, once it is fixed')
    .argument('[keys...]', 'the keys of the effects to retry (wardwatch outbox list shows them)')
    .requiredOption(...CONFIG_OPTION)
    .option('--failed', 'every effect given up because of a fault on this side')
    .action(async (keys: string[], options: RetryOptions) => {
      process.exitCode = await runOutboxRetry(keys, options);
    });
  registerInDoubt(program);
}
