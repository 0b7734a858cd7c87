/**
 * `wardwatch findings list|dismiss|authorise|except|exceptions|revoke-exception`, against a real
 * state file: the Clerk's word on a finding, through the Clerk's actions, audit-logged as
 * `cli:<operating-system user>`.
 */
import { userInfo } from 'node:os';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { setupEngine } from '../../src/cli/engine-setup.js';
import {
  runFindingsAuthorise,
  runFindingsDismiss,
  runFindingsExcept,
  runFindingsExceptions,
  runFindingsList,
  runFindingsRevokeException,
  type ExceptOptions,
} from '../../src/cli/findings.js';
import { Outbox, planningContextFrom } from '../../src/outbox/outbox.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { ruleTitle } from '../../src/templates/guidance.js';
import { A } from '../support/council.js';
import { action, finding } from '../outbox/fixtures.js';
import { makeCouncil, type TestCouncil } from '../service/helpers.js';

const ACTOR = `cli:${userInfo().username}`;
// Monday 12 April 2027, 10:00 in Millbrook (British Summer Time).
const NOW = new Date('2027-04-12T09:00:00Z');
const clock = (): Date => new Date(NOW.getTime());

function recorder(): { out: (t: string) => void; err: (t: string) => void; stdout: string; stderr: string } {
  const rec = { stdout: '', stderr: '', out: (t: string) => void (rec.stdout += t), err: (t: string) => void (rec.stderr += t) };
  return rec;
}

let council: TestCouncil;
beforeEach(() => {
  council = makeCouncil({ review: true });
});
afterEach(() => council.remove());

async function withStore<T>(fn: (store: SqliteStore) => Promise<T>): Promise<T> {
  const store = new SqliteStore(council.storePath);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/** A blind copy by Sam (a nudge held for review) and a private matter about Alice. */
async function recordFindings(): Promise<void> {
  const setup = setupEngine(council.configFile);
  await withStore(async (store) => {
    const outbox = new Outbox(store, { planning: planningContextFrom(setup.loaded.config, setup.engine.directory), clock });
    await outbox.record({ key: '<b1@x>', contentHash: 'h1' }, [finding({ rule: 'no-blind-copies', itemKey: '<b1@x>', actions: [action('nudge', [A.sam])], summary: 'Sam copied a member blind.' })]);
    await outbox.record({ key: '<p1@x>', contentHash: 'h2' }, [
      finding({ rule: 'requests-via-clerk', itemKey: '<p1@x>', actions: [action('nudge', [A.alice])], summary: 'Alice asked an officer directly about a complaint.', private: true }),
    ]);
  });
}

const deps = (io: ReturnType<typeof recorder>): { io: ReturnType<typeof recorder>; clock: () => Date } => ({ io, clock });

describe('wardwatch findings list', () => {
  it('lists the current findings, with the command that dismisses one, and withholds a private matter’s summary', async () => {
    await recordFindings();
    const io = recorder();
    expect(await runFindingsList({ config: council.configFile }, deps(io))).toBe(0);
    expect(io.stdout).toContain('<b1@x>  no-blind-copies  warning  (message bcc-member, first found Monday 12 April 2027 at 10:00)\n  Sam copied a member blind.\n');
    expect(io.stdout).toContain(`  Not settled. Not a breach? wardwatch findings dismiss --config ${council.configFile} --rule no-blind-copies --item '<b1@x>' --reason '…'\n`);
    expect(io.stdout).toContain('<p1@x>  requests-via-clerk');
    expect(io.stdout).toContain('  a private matter — details withheld\n');
    expect(io.stdout).not.toContain('complaint');
    expect(io.stdout).toContain('2 findings, 0 of them settled.');

    const one = recorder();
    expect(await runFindingsList({ config: council.configFile, item: '<b1@x>' }, deps(one))).toBe(0);
    expect(one.stdout).not.toContain('<p1@x>');
    expect(one.stdout).toContain('1 finding, 0 of them settled.');

    const none = recorder();
    expect(await runFindingsList({ config: council.configFile, rule: 'press-via-clerk', item: '<b1@x>' }, deps(none))).toBe(0);
    expect(none.stdout).toBe('There are no current findings of the rule press-via-clerk about <b1@x>.\n');

    const wrong = recorder();
    expect(await runFindingsList({ config: council.configFile, rule: 'no-blind-copy' }, deps(wrong))).toBe(2);
    expect(wrong.stderr).toContain('Did you mean "no-blind-copies"?');
  });

  it('says there is nothing before Wardwatch has run', async () => {
    const io = recorder();
    expect(await runFindingsList({ config: council.configFile }, deps(io))).toBe(0);
    expect(io.stdout).toContain('Wardwatch has not run with this configuration, so it has found nothing.');
  });
});

describe('wardwatch findings dismiss and authorise', () => {
  it('dismisses a finding: its held nudge is withdrawn, the list shows who dismissed it, and a second dismissal changes nothing', async () => {
    await recordFindings();
    const nudge = (await withStore((s) => s.listEffects({ itemKey: '<b1@x>' })))[0];
    expect(nudge?.state).toBe('awaiting-review');
    const io = recorder();
    expect(await runFindingsDismiss({ config: council.configFile, rule: 'no-blind-copies', item: '<b1@x>', reason: 'The member asked to be copied.' }, deps(io))).toBe(0);
    expect(io.stdout).toContain(`Dismissed: the finding of “${ruleTitle('no-blind-copies')}” about the item <b1@x> is recorded as not a breach`);
    expect(io.stdout).toContain(`Withdrawn: ${nudge?.key ?? ''}\n`);
    expect((await withStore((s) => s.getEffect(nudge?.key ?? '')))?.state).toBe('withdrawn');
    const [entry] = await withStore((s) => s.listConsoleActions());
    expect(entry).toMatchObject({ actor: ACTOR, action: 'dismiss' });

    const list = recorder();
    expect(await runFindingsList({ config: council.configFile, rule: 'no-blind-copies' }, deps(list))).toBe(0);
    expect(list.stdout).toContain(`  Dismissed as not a breach by ${ACTOR} on Monday 12 April 2027 at 10:00: The member asked to be copied.\n`);
    expect(list.stdout).toContain('1 finding, 1 of them settled.');

    const again = recorder();
    expect(await runFindingsDismiss({ config: council.configFile, rule: 'no-blind-copies', item: '<b1@x>', reason: 'Again.' }, deps(again))).toBe(1);
    expect(again.stderr).toContain('was already dismissed as not a breach by');
    expect(again.stderr).toContain('nothing was changed');
    expect(await withStore((s) => s.listSettlements())).toHaveLength(1);
  });

  it('authorises a finding, with a note', async () => {
    await recordFindings();
    const io = recorder();
    expect(await runFindingsAuthorise({ config: council.configFile, rule: 'requests-via-clerk', item: '<p1@x>', note: 'Agreed at the staffing committee.' }, deps(io))).toBe(0);
    expect(io.stdout).toContain('Authorised: the finding of');
    expect(await withStore((s) => s.listSettlements())).toMatchObject([{ kind: 'authorised', rule: 'requests-via-clerk', itemKey: '<p1@x>', actor: ACTOR, reason: 'Agreed at the staffing committee.' }]);
  });

  it('refuses bad usage with 2, and a finding that is not there with 1', async () => {
    await recordFindings();
    const usage: [Parameters<typeof runFindingsDismiss>[0], string][] = [
      [{ config: council.configFile, rule: 'no-blind-copies', item: '<b1@x>', reason: '  ' }, '--reason is empty'],
      [{ config: council.configFile, rule: 'no-blind-copy', item: '<b1@x>', reason: 'Fine.' }, 'Did you mean "no-blind-copies"?'],
      [{ config: council.configFile, rule: 'no-blind-copies', item: ' ', reason: 'Fine.' }, '--item is empty'],
      [{ config: council.configFile, rule: 'no-blind-copies', item: '<b1@x>', reason: 'Fine.', message: '' }, '--message is empty'],
    ];
    for (const [opts, message] of usage) {
      const io = recorder();
      expect(await runFindingsDismiss(opts, deps(io)), message).toBe(2);
      expect(io.stderr).toContain(message);
    }
    const missing = recorder();
    expect(await runFindingsDismiss({ config: council.configFile, rule: 'no-blind-copies', item: '<nothing@x>', reason: 'Fine.' }, deps(missing))).toBe(1);
    expect(missing.stderr).toContain('There is no finding of');
    const otherMessage = recorder();
    expect(await runFindingsAuthorise({ config: council.configFile, rule: 'no-blind-copies', item: '<b1@x>', message: 'something-else' }, deps(otherMessage))).toBe(1);
    expect(await withStore((s) => s.listSettlements())).toEqual([]);
  });
});

describe('wardwatch findings except, exceptions and revoke-exception', () => {
  const except = (extra: Partial<ExceptOptions> = {}): ExceptOptions => ({
    config: council.configFile,
    match: 'recipient-domain',
    value: '@MillbrookGazette.co.uk',
    reason: 'The Gazette prints the agenda each week.',
    until: '2027-06-30',
    ...extra,
  });

  it('adds an exception to the end of a day, lists it, and revokes it once', async () => {
    const none = recorder();
    expect(await runFindingsExceptions({ config: council.configFile }, deps(none))).toBe(0);
    expect(none.stdout).toContain('There are no standing exceptions. Add one with: wardwatch findings except');

    const io = recorder();
    expect(await runFindingsExcept(except({ rule: 'press-via-clerk' }), deps(io))).toBe(0);
    expect(io.stdout).toMatch(/^Added standing exception 1: findings of “.+” in messages to anyone at millbrookgazette\.co\.uk/);
    const [exception] = await withStore((s) => s.listExceptions());
    // The end of 30 June in Millbrook (British Summer Time) is 23:00 UTC.
    expect(exception).toMatchObject({ id: 1, rule: 'press-via-clerk', match: 'recipient-domain', value: 'millbrookgazette.co.uk', actor: ACTOR, expiresAt: '2027-06-30T23:00:00.000Z' });

    const twice = recorder();
    expect(await runFindingsExcept(except({ rule: 'press-via-clerk' }), deps(twice))).toBe(1);
    expect(twice.stderr).toContain('Standing exception 1 already covers');

    const list = recorder();
    expect(await runFindingsExceptions({ config: council.configFile }, deps(list))).toBe(0);
    expect(list.stdout).toBe(
      '1  in force to the end of Wednesday 30 June 2027\n' +
        '  recipient-domain "millbrookgazette.co.uk", for the rule press-via-clerk: The Gazette prints the agenda each week.\n' +
        `  Added by ${ACTOR} on Monday 12 April 2027 at 10:00\n`,
    );

    const revoked = recorder();
    expect(await runFindingsRevokeException('1', { config: council.configFile }, deps(revoked))).toBe(0);
    expect(revoked.stdout).toBe('Revoked standing exception 1: findings it covered are acted on again from now on.\n');
    const after = recorder();
    expect(await runFindingsExceptions({ config: council.configFile }, deps(after))).toBe(0);
    expect(after.stdout).toContain(`1  revoked by ${ACTOR} on Monday 12 April 2027 at 10:00`);
    expect((await withStore((s) => s.listConsoleActions())).map((e) => e.action)).toEqual(['exception-revoked', 'exception-added']);

    const again = recorder();
    expect(await runFindingsRevokeException('1', { config: council.configFile }, deps(again))).toBe(1);
    expect(again.stderr).toContain('Standing exception 1 was revoked already');
    const unknown = recorder();
    expect(await runFindingsRevokeException('7', { config: council.configFile }, deps(unknown))).toBe(1);
    expect(unknown.stderr).toContain('There is no standing exception number 7.');
  });

  it('refuses bad usage with 2 and a value that is not one with 1, adding nothing', async () => {
    const usage: [ExceptOptions, string][] = [
      [except({ match: 'subject' }), '--match: expected sender, recipient-domain, phrase, got "subject"'],
      [except({ value: ' ' }), '--value is empty'],
      [except({ reason: '' }), '--reason is empty'],
      [except({ until: '30/06/2027' }), '--until: expected the last day the exception holds, as YYYY-MM-DD'],
      [except({ until: '2027-02-30' }), '--until: expected the last day'],
      [except({ until: '2027-04-11' }), '--until 2027-04-11 is over already (today is Monday 12 April 2027)'],
      [except({ rule: 'media' }), '--rule: there is no rule named "media".'],
    ];
    for (const [opts, message] of usage) {
      const io = recorder();
      expect(await runFindingsExcept(opts, deps(io)), message).toBe(2);
      expect(io.stderr).toContain(message);
    }
    const notAnAddress = recorder();
    expect(await runFindingsExcept(except({ match: 'sender', value: 'the gazette' }), deps(notAnAddress))).toBe(1);
    expect(notAnAddress.stderr).toContain('does not look like an e-mail address');
    const tooFar = recorder();
    expect(await runFindingsExcept(except({ until: '2029-01-01' }), deps(tooFar))).toBe(1);
    expect(tooFar.stderr).toContain('An exception lasts at most a year');
    expect(await runFindingsRevokeException('one', { config: council.configFile }, deps(recorder()))).toBe(2);
    expect(await withStore((s) => s.listExceptions())).toEqual([]);
  });
});
