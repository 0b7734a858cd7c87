/**
 * `wardwatch findings …`: what the rules found, and the Clerk's word on it.
 * - `findings list --config FILE [--rule R] [--item KEY]`: the current findings, each with its
 *   settlement (dismissed, authorised, or covered by a standing exception) when it has one.
 * - `findings dismiss --config FILE --rule R --item KEY --reason TEXT [--message ID]`: not a breach.
 *   The finding leaves the digest (counted per rule instead) and what it planned and has not sent
 *   is withdrawn.
 * - `findings authorise --config FILE --rule R --item KEY [--message ID] [--note TEXT]`: the Clerk
 *   authorised what the finding asked for (an officer at a party-group meeting, say).
 * - `findings except --config FILE --match sender|recipient-domain|phrase --value V --reason TEXT
 *   --until YYYY-MM-DD [--rule R]`: a standing exception, to the end of that day (council time).
 * - `findings exceptions --config FILE`: every standing exception, in force or not.
 * - `findings revoke-exception ID --config FILE`.
 * Every change goes through the Clerk's actions (src/review/clerk-actions.ts), as in the console,
 * and is audit-logged as made by `cli:<operating-system user>`.
 *
 * Exit codes: 0 done; 1 the finding or exception named could not be changed; 2 bad usage or an
 * invalid configuration.
 */
import type { Command } from 'commander';
import { suggest } from '../config/errors.js';
import { RULE_IDS } from '../config/schema.js';
import { zonedParts } from '../elections/zoned-time.js';
import { settlementOf } from '../review/settle.js';
import { EXCEPTION_MATCHES, type ExceptionMatch, type Settlement, type StandingException, type StoredFinding } from '../store/types.js';
import { formatDay, formatWhen } from '../wording/dates.js';
import { openClerkActions, type ClerkCommand, type OpenClerkOptions } from './outbox-doubt.js';
import { processIO, type CommandIO } from './io.js';
import { cliActor } from './users.js';

const USAGE = 2;
const NOT_CHANGED = 1;

export interface FindingsDeps {
  io?: CommandIO;
  /** Who the audit log names; `cliActor()` by default. */
  actor?: string;
  clock?: () => Date;
}

function ruleProblem(rule: string): string | undefined {
  if ((RULE_IDS as readonly string[]).includes(rule)) return undefined;
  const close = suggest(rule, RULE_IDS);
  return `--rule: there is no rule named "${rule}".${close !== undefined ? ` Did you mean "${close}"?` : ''} wardwatch schema lists the rules.`;
}

function isMatch(value: string): value is ExceptionMatch {
  return (EXCEPTION_MATCHES as readonly string[]).includes(value);
}

function open(config: string, io: CommandIO, deps: FindingsDeps, options: OpenClerkOptions = {}): ClerkCommand | number | { missing: string } {
  return openClerkActions(config, io, { ...options, ...(deps.clock !== undefined ? { clock: deps.clock } : {}) });
}

/** Print an action's outcome; returns the exit code. */
function report(result: { ok: boolean; message: string; withdrawn?: string[] }, io: CommandIO): number {
  if (!result.ok) {
    io.err(`${result.message}\n`);
    return NOT_CHANGED;
  }
  io.out(`${result.message}\n`);
  for (const key of result.withdrawn ?? []) io.out(`Withdrawn: ${key}\n`);
  return 0;
}

/** Who settled it, when, and why, in a line. */
function describeSettlement(s: Settlement, timeZone: string): string {
  const when = formatWhen(s.at, timeZone);
  switch (s.kind) {
    case 'dismissed':
      return `Dismissed as not a breach by ${s.actor} on ${when}: ${s.reason}`;
    case 'authorised':
      return `Authorised by ${s.actor} on ${when}${s.reason !== '' ? `: ${s.reason}` : ''}`;
    case 'excepted':
      return `Covered by standing exception ${s.exceptionId ?? '(removed)'} since ${when}: ${s.reason}`;
  }
}

/** A value quoted for a POSIX shell, so the command printed can be copied as it is. */
function quoted(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

export interface ListOptions {
  config: string;
  rule?: string;
  item?: string;
}

/** Print the current findings with their settlements; returns the exit code. */
export async function runFindingsList(opts: ListOptions, deps: FindingsDeps = {}): Promise<number> {
  const io = deps.io ?? processIO;
  const problem = opts.rule !== undefined ? ruleProblem(opts.rule) : undefined;
  if (problem !== undefined) {
    io.err(`${problem}\n`);
    return USAGE;
  }
  const opened = open(opts.config, io, deps);
  if (typeof opened === 'number') return opened;
  if ('missing' in opened) {
    io.out(`There is no state file at ${opened.missing} yet: Wardwatch has not run with this configuration, so it has found nothing.\n`);
    return 0;
  }
  const { store, setup } = opened;
  const tz = setup.loaded.config.council.timezone;
  try {
    const filter = { ...(opts.rule !== undefined ? { rule: opts.rule } : {}), ...(opts.item !== undefined ? { itemKey: opts.item } : {}) };
    const findings: StoredFinding[] = await store.listFindings(filter);
    if (findings.length === 0) {
      const which = [opts.rule !== undefined ? ` of the rule ${opts.rule}` : '', opts.item !== undefined ? ` about ${opts.item}` : ''].join('');
      io.out(`There are no current findings${which}.\n`);
      return 0;
    }
    const settlements = await store.listSettlements(filter);
    let settled = 0;
    for (const { finding, itemKey, rule, firstSeen } of findings) {
      const settlement = settlementOf(settlements, finding);
      const summary = finding.private === true ? 'a private matter — details withheld' : finding.summary;
      io.out(`${itemKey}  ${rule}  ${finding.severity}  (message ${finding.messageId}, first found ${formatWhen(firstSeen, tz)})\n`);
      io.out(`  ${summary}\n`);
      if (settlement !== undefined) {
        settled += 1;
        io.out(`  ${describeSettlement(settlement, tz)}\n`);
      } else {
        io.out(`  Not settled. Not a breach? wardwatch findings dismiss --config ${opts.config} --rule ${rule} --item ${quoted(itemKey)} --reason '…'\n`);
      }
    }
    io.out(`\n${findings.length === 1 ? '1 finding' : `${findings.length} findings`}, ${settled} of them settled.\n`);
    return 0;
  } finally {
    await store.close();
  }
}

export interface SettleOptions {
  config: string;
  rule: string;
  item: string;
  reason?: string;
  message?: string;
  note?: string;
}

/** Check what dismiss and authorise share; an exit code when it is wrong. */
function settleUsage(opts: SettleOptions, io: CommandIO): number | undefined {
  const problem = ruleProblem(opts.rule);
  if (problem !== undefined) {
    io.err(`${problem}\n`);
    return USAGE;
  }
  if (opts.item.trim() === '') {
    io.err(`--item is empty: give the item's key as wardwatch findings list --config ${opts.config} shows it.\n`);
    return USAGE;
  }
  if (opts.message !== undefined && opts.message.trim() === '') {
    io.err('--message is empty: give the message named in wardwatch findings list, or leave the option out to settle every finding of the rule on the item.\n');
    return USAGE;
  }
  return undefined;
}

async function settle(opts: SettleOptions, deps: FindingsDeps, act: (command: ClerkCommand, actor: string) => Promise<{ ok: boolean; message: string; withdrawn?: string[] }>): Promise<number> {
  const io = deps.io ?? processIO;
  const opened = open(opts.config, io, deps);
  if (typeof opened === 'number') return opened;
  if ('missing' in opened) {
    io.err(`There is no state file at ${opened.missing} yet: Wardwatch has not run with this configuration, so there is no finding about ${opts.item} to settle.\n`);
    return NOT_CHANGED;
  }
  try {
    return report(await act(opened, deps.actor ?? cliActor()), io);
  } finally {
    await opened.store.close();
  }
}

/** Dismiss a finding as not a breach; returns the exit code. */
export async function runFindingsDismiss(opts: SettleOptions, deps: FindingsDeps = {}): Promise<number> {
  const io = deps.io ?? processIO;
  const wrong = settleUsage(opts, io);
  if (wrong !== undefined) return wrong;
  const reason = opts.reason?.trim() ?? '';
  if (reason === '') {
    io.err('--reason is empty: say in a few words why it is not a breach (it is kept with the finding and counted per rule).\n');
    return USAGE;
  }
  return await settle(opts, deps, ({ actions }, actor) =>
    actions.dismiss({ rule: opts.rule, itemKey: opts.item, reason, actor, ...(opts.message !== undefined ? { messageId: opts.message.trim() } : {}) }),
  );
}

/** Record the Clerk's authorisation of what a finding asked for; returns the exit code. */
export async function runFindingsAuthorise(opts: SettleOptions, deps: FindingsDeps = {}): Promise<number> {
  const io = deps.io ?? processIO;
  const wrong = settleUsage(opts, io);
  if (wrong !== undefined) return wrong;
  const note = opts.note?.trim();
  return await settle(opts, deps, ({ actions }, actor) =>
    actions.authorise({
      rule: opts.rule,
      itemKey: opts.item,
      actor,
      ...(opts.message !== undefined ? { messageId: opts.message.trim() } : {}),
      ...(note !== undefined && note !== '' ? { note } : {}),
    }),
  );
}

export interface ExceptOptions {
  config: string;
  match: string;
  value: string;
  reason: string;
  until: string;
  rule?: string;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

function validDate(value: string): boolean {
  if (!DATE.test(value)) return false;
  const t = Date.parse(`${value}T00:00:00Z`);
  return !Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === value;
}

/** Add a standing exception; returns the exit code. */
export async function runFindingsExcept(opts: ExceptOptions, deps: FindingsDeps = {}): Promise<number> {
  const io = deps.io ?? processIO;
  if (!isMatch(opts.match)) {
    io.err(`--match: expected ${EXCEPTION_MATCHES.join(', ')}, got "${opts.match}"\n`);
    return USAGE;
  }
  if (opts.value.trim() === '') {
    io.err('--value is empty: give the sender\'s address, the recipient domain, or the phrase the exception matches.\n');
    return USAGE;
  }
  const problem = opts.rule !== undefined ? ruleProblem(opts.rule) : undefined;
  if (problem !== undefined) {
    io.err(`${problem}\n`);
    return USAGE;
  }
  const reason = opts.reason.trim();
  if (reason === '') {
    io.err('--reason is empty: say in a few words why findings like these are not breaches (the digest shows it).\n');
    return USAGE;
  }
  if (!validDate(opts.until)) {
    io.err(`--until: expected the last day the exception holds, as YYYY-MM-DD, such as 2027-06-30; got "${opts.until}"\n`);
    return USAGE;
  }
  const opened = open(opts.config, io, deps, { create: true });
  if (typeof opened === 'number') return opened;
  if ('missing' in opened) return USAGE; // not reached: the state file is created
  const { store, actions, setup } = opened;
  const tz = setup.loaded.config.council.timezone;
  try {
    const now = deps.clock?.() ?? new Date();
    const today = zonedParts(now, tz).day;
    if (opts.until < today) {
      io.err(`--until ${opts.until} is over already (today is ${formatDay(now.toISOString(), tz)}): give the last day the exception should hold.\n`);
      return USAGE;
    }
    // A date: the exception holds to the end of that day in the council's time zone.
    const result = await actions.addException({
      ...(opts.rule !== undefined ? { rule: opts.rule } : {}),
      match: opts.match,
      value: opts.value,
      reason,
      expiresAt: opts.until,
      actor: deps.actor ?? cliActor(),
    });
    return report(result, io);
  } finally {
    await store.close();
  }
}

function describeException(e: StandingException, now: string, timeZone: string): string {
  const lastDay = formatDay(new Date(Date.parse(e.expiresAt) - 1).toISOString(), timeZone);
  const status =
    e.revokedAt !== undefined
      ? `revoked by ${e.revokedBy ?? 'someone'} on ${formatWhen(e.revokedAt, timeZone)}`
      : e.expiresAt <= now
        ? `expired after ${lastDay}`
        : `in force to the end of ${lastDay}`;
  const scope = e.rule !== undefined ? `the rule ${e.rule}` : 'every rule';
  return `${e.id}  ${status}\n  ${e.match} "${e.value}", for ${scope}: ${e.reason}\n  Added by ${e.actor} on ${formatWhen(e.createdAt, timeZone)}\n`;
}

export interface ConfigOnly {
  config: string;
}

/** List every standing exception; returns the exit code. */
export async function runFindingsExceptions(opts: ConfigOnly, deps: FindingsDeps = {}): Promise<number> {
  const io = deps.io ?? processIO;
  const opened = open(opts.config, io, deps);
  if (typeof opened === 'number') return opened;
  const none = `There are no standing exceptions. Add one with: wardwatch findings except --config ${opts.config} --match sender|recipient-domain|phrase --value V --reason TEXT --until YYYY-MM-DD\n`;
  if ('missing' in opened) {
    io.out(none);
    return 0;
  }
  const { store, setup } = opened;
  try {
    const exceptions = await store.listExceptions();
    if (exceptions.length === 0) {
      io.out(none);
      return 0;
    }
    const now = (deps.clock?.() ?? new Date()).toISOString();
    for (const e of exceptions) io.out(describeException(e, now, setup.loaded.config.council.timezone));
    return 0;
  } finally {
    await store.close();
  }
}

/** Revoke a standing exception; returns the exit code. */
export async function runFindingsRevokeException(id: string, opts: ConfigOnly, deps: FindingsDeps = {}): Promise<number> {
  const io = deps.io ?? processIO;
  if (!/^[1-9][0-9]{0,9}$/.test(id)) {
    io.err(`Give the number of the exception to revoke, as wardwatch findings exceptions --config ${opts.config} lists it; "${id}" is not one.\n`);
    return USAGE;
  }
  const opened = open(opts.config, io, deps);
  if (typeof opened === 'number') return opened;
  if ('missing' in opened) {
    io.err(`There is no standing exception ${id}: Wardwatch has no state file at ${opened.missing} yet.\n`);
    return NOT_CHANGED;
  }
  try {
    return report(await opened.actions.revokeException(Number(id), deps.actor ?? cliActor()), io);
  } finally {
    await opened.store.close();
  }
}

const CONFIG_OPTION = ['-c, --config <file>', 'the council configuration (YAML)'] as const;

export function register(program: Command): void {
  const findings = program.command('findings').description('what the rules found: list it, dismiss a false alarm, authorise, and standing exceptions');
  findings
    .command('list')
    .description('list the current findings, each with its settlement when it has one')
    .requiredOption(...CONFIG_OPTION)
    .option('--rule <rule>', 'only findings of this rule')
    .option('--item <key>', 'only findings about this item (a Message-ID or an event UID, as listed)')
    .action(async (options: ListOptions) => {
      process.exitCode = await runFindingsList(options);
    });
  findings
    .command('dismiss')
    .description('not a breach: the finding leaves the digest (counted per rule) and what it planned and has not sent is withdrawn')
    .requiredOption(...CONFIG_OPTION)
    .requiredOption('--rule <rule>', 'the rule that found it')
    .requiredOption('--item <key>', 'the item it is about, as wardwatch findings list shows it (quote it)')
    .requiredOption('--reason <text>', 'why it is not a breach')
    .option('--message <id>', "only the rule's finding with this message (as listed); every one of the rule's findings on the item by default")
    .action(async (options: SettleOptions) => {
      process.exitCode = await runFindingsDismiss(options);
    });
  findings
    .command('authorise')
    .description('record that you authorised what the finding asked for, such as an officer at a party-group meeting')
    .requiredOption(...CONFIG_OPTION)
    .requiredOption('--rule <rule>', 'the rule that found it')
    .requiredOption('--item <key>', 'the item it is about, as wardwatch findings list shows it (quote it)')
    .option('--message <id>', "only the rule's finding with this message (as listed)")
    .option('--note <text>', 'a note kept with the authorisation')
    .action(async (options: SettleOptions) => {
      process.exitCode = await runFindingsAuthorise(options);
    });
  findings
    .command('except')
    .description('a standing exception: findings from a sender, to a recipient domain, or with a phrase are not breaches until a date')
    .requiredOption(...CONFIG_OPTION)
    .requiredOption('--match <what>', `what it matches: ${EXCEPTION_MATCHES.join(', ')}`)
    .requiredOption('--value <value>', 'the sender address, the domain, or the phrase')
    .requiredOption('--reason <text>', 'why such findings are not breaches (the digest shows it)')
    .requiredOption('--until <date>', 'the last day it holds, YYYY-MM-DD (council time)')
    .option('--rule <rule>', 'only for this rule (every rule by default)')
    .action(async (options: ExceptOptions) => {
      process.exitCode = await runFindingsExcept(options);
    });
  findings
    .command('exceptions')
    .description('list the standing exceptions, in force or not')
    .requiredOption(...CONFIG_OPTION)
    .action(async (options: ConfigOnly) => {
      process.exitCode = await runFindingsExceptions(options);
    });
  findings
    .command('revoke-exception')
    .description('revoke a standing exception: findings it covered from now on are findings again')
    .argument('<id>', 'its number, as wardwatch findings exceptions lists it')
    .requiredOption(...CONFIG_OPTION)
    .action(async (id: string, options: ConfigOnly) => {
      process.exitCode = await runFindingsRevokeException(id, options);
    });
}
