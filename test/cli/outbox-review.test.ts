/**
 * `wardwatch outbox list|approve|withdraw|retry|release|drop` on effects held for review, against a
 * real state file: each change goes through the Clerk's actions and the audit log names
 * `cli:<operating-system user>`.
 */
import { userInfo } from 'node:os';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { setupEngine } from '../../src/cli/engine-setup.js';
import { runDecision } from '../../src/cli/outbox-doubt.js';
import { runOutboxApprove, runOutboxList, runOutboxRetry, runOutboxWithdraw } from '../../src/cli/outbox.js';
import { enqueue } from '../../src/outbox/enqueue.js';
import { Outbox, planningContextFrom } from '../../src/outbox/outbox.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import type { EffectRow } from '../../src/store/types.js';
import { A } from '../support/council.js';
import { action, finding } from '../outbox/fixtures.js';
import { makeCouncil, type TestCouncil } from '../service/helpers.js';

const ACTOR = `cli:${userInfo().username}`;

function recorder(): { out: (t: string) => void; err: (t: string) => void; stdout: string; stderr: string } {
  const rec = { stdout: '', stderr: '', out: (t: string) => void (rec.stdout += t), err: (t: string) => void (rec.stderr += t) };
  return rec;
}

let council: TestCouncil;
beforeEach(() => {
  council = makeCouncil({ review: true });
});
afterEach(() => council.remove());

/** A request routed round the Clerk (a nudge to Alice, held; a copy for the Clerk, not held) and a blind copy by Sam (a nudge, held). */
async function recordFindings(c: TestCouncil): Promise<void> {
  const setup = setupEngine(c.configFile);
  const store = new SqliteStore(c.storePath);
  try {
    const outbox = new Outbox(store, { planning: planningContextFrom(setup.loaded.config, setup.engine.directory) });
    await outbox.record({ key: '<r1@x>', contentHash: 'h1' }, [
      finding({ rule: 'requests-via-clerk', itemKey: '<r1@x>', actions: [action('nudge', [A.alice]), action('route-to-clerk', [A.clerk])] }),
    ]);
    await outbox.record({ key: '<b1@x>', contentHash: 'h2' }, [finding({ rule: 'no-blind-copies', itemKey: '<b1@x>', actions: [action('nudge', [A.sam])] })]);
  } finally {
    await store.close();
  }
}

async function withStore<T>(fn: (store: SqliteStore) => Promise<T>): Promise<T> {
  const store = new SqliteStore(council.storePath);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

async function effects(): Promise<EffectRow[]> {
  return await withStore((s) => s.listEffects());
}

async function heldNudge(rule: string): Promise<EffectRow> {
  const found = (await effects()).find((e) => e.rule === rule && e.kind === 'nudge');
  if (found === undefined) throw new Error(`no nudge of ${rule}`);
  return found;
}

async function stateOf(key: string): Promise<string | undefined> {
  return (await withStore((s) => s.getEffect(key)))?.state;
}

describe('wardwatch outbox list', () => {
  it('marks what awaits review and says how to approve or withdraw it', async () => {
    await recordFindings(council);
    const io = recorder();
    expect(await runOutboxList({ config: council.configFile }, io)).toBe(0);
    const alice = await heldNudge('requests-via-clerk');
    expect(io.stdout).toContain(`${alice.key}  awaiting-review  requests-via-clerk  nudge to ${A.alice} — awaiting your review\n`);
    expect(io.stdout).toMatch(/route-to-clerk to clerk@millbrook-tc\.gov\.uk\n/);
    expect(io.stdout).toContain(`2 effects await your review. Approve with: wardwatch outbox approve KEY… --config ${council.configFile}`);
    expect(io.stdout).toContain(`withdraw with: wardwatch outbox withdraw KEY… --config ${council.configFile}`);
  });

  it('lists one rule’s effects with --rule, and refuses a rule that does not exist', async () => {
    await recordFindings(council);
    const io = recorder();
    expect(await runOutboxList({ config: council.configFile, rule: 'no-blind-copies' }, io)).toBe(0);
    expect(io.stdout).toContain('no-blind-copies  nudge to sam.patel@millbrook-tc.gov.uk');
    expect(io.stdout).not.toContain('requests-via-clerk');
    expect(io.stdout).toContain('1 effect awaits your review.');

    const none = recorder();
    expect(await runOutboxList({ config: council.configFile, rule: 'no-blind-copies', state: 'done' }, none)).toBe(0);
    expect(none.stdout).toBe('No effects of the rule no-blind-copies are done.\n');

    const wrong = recorder();
    expect(await runOutboxList({ config: council.configFile, rule: 'no-blind-copy' }, wrong)).toBe(2);
    expect(wrong.stderr).toBe('--rule: there is no rule named "no-blind-copy". Did you mean "no-blind-copies"? wardwatch schema lists the rules.\n');
  });
});

describe('wardwatch outbox approve', () => {
  it('approves one effect, audit-logged as the person at the command line; a second approval changes nothing and says so', async () => {
    await recordFindings(council);
    const alice = await heldNudge('requests-via-clerk');
    const io = recorder();
    expect(await runOutboxApprove([alice.key], { config: council.configFile }, io)).toBe(0);
    expect(io.stdout).toBe('Approved: the nudge to Cllr Alice Green goes out now.\n');
    expect(await stateOf(alice.key)).toBe('pending');
    const audit = await withStore((s) => s.listAudit({ effectKey: alice.key }));
    expect(audit.at(-1)).toMatchObject({ fromState: 'awaiting-review', toState: 'pending', actor: ACTOR });

    const again = recorder();
    expect(await runOutboxApprove([alice.key], { config: council.configFile }, again)).toBe(1);
    expect(again.stdout).toBe('');
    expect(again.stderr).toBe('The nudge to Cllr Alice Green is already approved and queued: it goes out at the next round of the outbox. Nothing was changed.\n');
    expect(await withStore((s) => s.listAudit({ effectKey: alice.key }))).toHaveLength(audit.length);
    // Sam's nudge was not named, so it still waits.
    expect(await stateOf((await heldNudge('no-blind-copies')).key)).toBe('awaiting-review');
  });

  it('keeps the cover text given with one key', async () => {
    await recordFindings(council);
    const sam = await heldNudge('no-blind-copies');
    const io = recorder();
    expect(await runOutboxApprove([sam.key], { config: council.configFile, coverText: 'We spoke about this on Monday.' }, io)).toBe(0);
    expect(await withStore((s) => s.getEffect(sam.key))).toMatchObject({ state: 'pending', coverText: 'We spoke about this on Monday.' });
  });

  it('approves every effect of one rule with --rule, then the rest with --all; nothing left is said so', async () => {
    await recordFindings(council);
    const alice = await heldNudge('requests-via-clerk');
    const sam = await heldNudge('no-blind-copies');
    const byRule = recorder();
    expect(await runOutboxApprove([], { config: council.configFile, rule: 'no-blind-copies' }, byRule)).toBe(0);
    expect(byRule.stdout).toContain(`Approved: ${sam.key}\n`);
    expect(byRule.stdout).toMatch(/Approved 1 message under “.+”: it goes out now\.\n$/);
    expect(await stateOf(sam.key)).toBe('pending');
    expect(await stateOf(alice.key)).toBe('awaiting-review');

    const all = recorder();
    expect(await runOutboxApprove([], { config: council.configFile, all: true }, all)).toBe(0);
    expect(all.stdout).toBe(`Approved: ${alice.key}\nApproved 1 message: it goes out now.\n`);
    expect(await stateOf(alice.key)).toBe('pending');

    const nothing = recorder();
    expect(await runOutboxApprove([], { config: council.configFile, all: true }, nothing)).toBe(0);
    expect(nothing.stdout).toBe('Nothing is awaiting review, so nothing was approved.\n');
  });

  it('refuses bad usage with exit code 2 and changes nothing', async () => {
    await recordFindings(council);
    const alice = await heldNudge('requests-via-clerk');
    const sam = await heldNudge('no-blind-copies');
    const cases: [string[], Parameters<typeof runOutboxApprove>[1], string][] = [
      [[], { config: council.configFile }, 'Name the effects to approve'],
      [[alice.key], { config: council.configFile, all: true }, 'only one of them'],
      [[], { config: council.configFile, all: true, rule: 'no-blind-copies' }, 'only one of them'],
      [[alice.key, sam.key], { config: council.configFile, coverText: 'Hello' }, '--cover-text goes with one key'],
      [[], { config: council.configFile, all: true, coverText: 'Hello' }, '--cover-text goes with one key'],
      [[alice.key], { config: council.configFile, coverText: '   ' }, '--cover-text is empty'],
      [['no-such-key'], { config: council.configFile }, `There is no effect with key no-such-key (wardwatch outbox list --config ${council.configFile} shows them).`],
      [[], { config: council.configFile, rule: 'no-such-rule' }, '--rule: there is no rule named "no-such-rule".'],
    ];
    for (const [keys, opts, message] of cases) {
      const io = recorder();
      expect(await runOutboxApprove(keys, opts, io), message).toBe(2);
      expect(io.stderr).toContain(message);
    }
    expect(await stateOf(alice.key)).toBe('awaiting-review');
    expect(await stateOf(sam.key)).toBe('awaiting-review');
  });

  it('approves the known keys and refuses an unknown one in the same command, exiting 2', async () => {
    await recordFindings(council);
    const alice = await heldNudge('requests-via-clerk');
    const io = recorder();
    expect(await runOutboxApprove(['no-such-key', alice.key], { config: council.configFile }, io)).toBe(2);
    expect(await stateOf(alice.key)).toBe('pending');
  });

  it('has nothing to approve before Wardwatch has run, and says so', async () => {
    const io = recorder();
    expect(await runOutboxApprove([], { config: council.configFile, all: true }, io)).toBe(0);
    expect(io.stderr).toContain('There is no state file at');
    expect(await runOutboxApprove(['some-key'], { config: council.configFile }, recorder())).toBe(2);
  });
});

describe('wardwatch outbox withdraw', () => {
  it('withdraws an effect awaiting review with a reason; one not waiting is refused with exit code 1', async () => {
    await recordFindings(council);
    const alice = await heldNudge('requests-via-clerk');
    const io = recorder();
    expect(await runOutboxWithdraw([alice.key], { config: council.configFile, reason: 'Spoke to her in person' }, io)).toBe(0);
    expect(io.stdout).toBe('Withdrawn: the nudge to Cllr Alice Green will not be sent.\n');
    expect(await stateOf(alice.key)).toBe('withdrawn');
    const audit = await withStore((s) => s.listAudit({ effectKey: alice.key }));
    expect(audit.at(-1)).toMatchObject({ toState: 'withdrawn', actor: ACTOR, outcome: expect.stringContaining('(Spoke to her in person)') as unknown });
    // The reason stays with the effect too: the digest and the console show it.
    expect((await withStore((s) => s.getEffect(alice.key)))?.lastError).toBe(`by ${ACTOR}: Spoke to her in person`);

    const again = recorder();
    expect(await runOutboxWithdraw([alice.key], { config: council.configFile }, again)).toBe(1);
    expect(again.stderr).toContain('was withdrawn');
    expect(again.stderr).toContain('Only a message that has not gone yet (awaiting review, queued, or waiting in a daily summary) can be withdrawn.');
    const approve = recorder();
    expect(await runOutboxApprove([alice.key], { config: council.configFile }, approve)).toBe(1);
    expect(await stateOf(alice.key)).toBe('withdrawn');
  });

  it('needs keys, and a reason that says something when one is given', async () => {
    await recordFindings(council);
    const none = recorder();
    expect(await runOutboxWithdraw([], { config: council.configFile }, none)).toBe(2);
    expect(none.stderr).toContain(`Name the effects to withdraw (wardwatch outbox list --config ${council.configFile} shows them`);
    const alice = await heldNudge('requests-via-clerk');
    const empty = recorder();
    expect(await runOutboxWithdraw([alice.key], { config: council.configFile, reason: ' ' }, empty)).toBe(2);
    expect(empty.stderr).toContain('--reason is empty');
    expect(await runOutboxWithdraw(['no-such-key'], { config: council.configFile }, recorder())).toBe(2);
    expect(await stateOf(alice.key)).toBe('awaiting-review');
  });
});

describe('retry, release and drop go through the Clerk’s actions', () => {
  it('retry names the person at the command line in the audit log', async () => {
    const now = new Date().toISOString();
    const key = await withStore(async (store) => {
      await enqueue(
        store,
        [
          {
            key: 'broken-1',
            kind: 'nudge',
            rule: 'state-capacity',
            itemKey: '<x@millbrook-tc.gov.uk>',
            recipient: A.tom,
            payload: { summary: 'A test.', clauses: ['12.5'] },
            messageId: '<broken-1@millbrook-tc.gov.uk>',
            notBefore: now,
          },
        ],
        now,
      );
      const [claimed] = await store.claimDue(now, 1);
      await store.markAttemptFailed(claimed?.id ?? -1, now, { error: 'The template could not be used.', local: true });
      return 'broken-1';
    });
    const io = recorder();
    expect(await runOutboxRetry([key], { config: council.configFile }, io)).toBe(0);
    expect(io.stdout).toBe(`Queued again: broken-1 (state-capacity, nudge to ${A.tom})\n1 effect goes out at the service's next round (wardwatch run).\n`);
    expect(await stateOf(key)).toBe('pending');
    expect((await withStore((s) => s.listAudit({ effectKey: key }))).at(-1)).toMatchObject({ fromState: 'failed', toState: 'pending', actor: ACTOR });
    const again = recorder();
    expect(await runOutboxRetry([key], { config: council.configFile }, again)).toBe(1);
    expect(again.stderr).toBe('broken-1 is pending, not failed: there is nothing to retry.\n');
  });

  it('release and drop keep their words, and the audit log names who decided', async () => {
    const keys = await withStore(async (store) => {
      const setup = setupEngine(council.configFile);
      const planning = planningContextFrom({ ...setup.loaded.config, review: false }, setup.engine.directory);
      await new Outbox(store, { planning }).record({ key: '<m1@x>', contentHash: 'h' }, [finding({ itemKey: '<m1@x>', actions: [action('nudge', [A.tom]), action('notify', [A.alice])] })]);
      await store.claimDue(new Date(Date.now() + 86_400_000).toISOString(), 10);
      await new Outbox(store, { planning, sender: {} }).recoverInFlight();
      return (await store.listEffects({ states: ['in-doubt'] })).map((e) => e.key);
    });
    expect(keys).toHaveLength(2);
    const [first = '', second = ''] = keys;
    const released = recorder();
    expect(await runDecision('release', first, { config: council.configFile }, released)).toBe(0);
    expect(released.stdout).toMatch(/^Released the nudge to tom\.brown@millbrook-tc\.gov\.uk: it will be sent once/);
    const dropped = recorder();
    expect(await runDecision('drop', second, { config: council.configFile }, dropped)).toBe(0);
    expect(dropped.stdout).toBe(`Dropped the notify to ${A.alice}: it will not be sent.\n`);
    for (const [key, state] of [[first, 'pending'], [second, 'dropped']] as const) {
      expect((await withStore((s) => s.listAudit({ effectKey: key }))).at(-1)).toMatchObject({ fromState: 'in-doubt', toState: state, actor: ACTOR });
    }
    const again = recorder();
    expect(await runDecision('drop', second, { config: council.configFile }, again)).toBe(1);
    expect(again.stderr).toContain(`The effect ${second} is not held in doubt (it is dropped), so nothing was changed.\n`);
  });
});
