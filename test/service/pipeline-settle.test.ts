import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../src/config/schema.js';
import { Engine } from '../../src/engine/engine.js';
import type { RawRecord } from '../../src/items/types.js';
import { Outbox, planningContextFrom } from '../../src/outbox/outbox.js';
import { ClerkActions } from '../../src/review/clerk-actions.js';
import { StoredItemMemory } from '../../src/service/item-memory.js';
import { silentLogger } from '../../src/service/logger.js';
import { LivePipeline } from '../../src/service/pipeline.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { A, councilConfigInput } from '../support/council.js';
import { publicMeetingIcs, requestMail } from './helpers.js';

const config = ConfigSchema.parse({
  ...councilConfigInput,
  review: true,
  limits: { nudgesPerPersonPerDay: 100, quietHours: { roles: [], weekends: false } },
});

const dirs: string[] = [];
const stores: SqliteStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function council() {
  const dir = mkdtempSync(path.join(tmpdir(), 'wardwatch-settle-'));
  dirs.push(dir);
  const store = new SqliteStore(path.join(dir, 'state.sqlite'));
  stores.push(store);
  const engine = new Engine(config);
  const planning = planningContextFrom(config, engine.directory);
  const pipeline = new LivePipeline({ store, engine, outbox: new Outbox(store, { planning }), logger: silentLogger(), memory: new StoredItemMemory(store) });
  const actions = new ClerkActions({ store, planning });
  return { store, pipeline, actions };
}

const UID = 'traffic-calming@millbrook-tc.gov.uk';
const meeting = (): RawRecord => ({ kind: 'calendar', source: publicMeetingIcs(UID), calendarId: 'council-events', origin: 'council-events/traffic.ics' });
/** The same meeting edited: Cllr Tom Brown is no longer invited either. */
const meetingWithoutTom = (): RawRecord => ({
  kind: 'calendar',
  source: publicMeetingIcs(UID, { sequence: 1 })
    .split('\r\n')
    .filter((line) => !line.startsWith('ATTENDEE'))
    .join('\r\n'),
  calendarId: 'council-events',
  origin: 'council-events/traffic.ics',
});
const mailRecord = (content: string, mailbox: string, folder: string, origin = `${mailbox}/${folder}/x.eml`): RawRecord => ({ kind: 'mail', source: Buffer.from(content), mailbox, folder, origin });

describe('settled findings when an item is read again', () => {
  it('plans nothing new for a dismissed finding, and keeps the finding as found', async () => {
    const { store, pipeline, actions } = council();
    await pipeline.take(meeting());
    expect((await store.listEffects({ kinds: ['invite'] })).map((e) => [e.recipient, e.state])).toEqual([[A.alice, 'awaiting-review']]);
    const dismissed = await actions.dismiss({ rule: 'invite-ward-members', itemKey: UID, reason: 'Ward members were told at the last full council', actor: 'helen' });
    expect(dismissed.ok).toBe(true);

    const reread = await pipeline.take(meetingWithoutTom());
    expect(reread.items).toEqual([{ key: UID, kind: 'event', status: 'evaluated', findings: 1, enqueued: 0 }]);
    expect((await store.listEffects({ kinds: ['invite'] })).map((e) => [e.recipient, e.state])).toEqual([[A.alice, 'withdrawn']]);
    const [stored] = await store.getFindings(UID);
    expect(stored?.rule).toBe('invite-ward-members');
    expect(stored?.finding.people).toEqual(expect.arrayContaining([A.tom, A.alice]));
  });

  it('would have invited the member dropped from the edited meeting, had the finding not been dismissed', async () => {
    const { store, pipeline } = council();
    await pipeline.take(meeting());
    await pipeline.take(meetingWithoutTom());
    expect((await store.listEffects({ kinds: ['invite'] })).map((e) => e.recipient).sort()).toEqual([A.alice, A.tom]);
  });
});

describe('standing exceptions when an item is read', () => {
  it('records a finding an exception covers as settled, and plans nothing for it', async () => {
    const { store, pipeline, actions } = council();
    const added = await actions.addException({ rule: 'requests-via-clerk', match: 'sender', value: A.raj, reason: 'Raj chairs the parks working group', expiresAt: '2099-01-01', actor: 'helen' });
    // Too far ahead: refused, so an exception a year ahead is added instead.
    expect(added.ok).toBe(false);
    const inAYear = new Date(Date.now() + 300 * 86_400_000).toISOString();
    const exception = await actions.addException({ rule: 'requests-via-clerk', match: 'sender', value: A.raj, reason: 'Raj chairs the parks working group', expiresAt: inAYear, actor: 'helen' });
    const id = exception.exception?.id;
    expect(id).toBeDefined();

    const r = requestMail(1);
    const outcome = await pipeline.take(mailRecord(r.content, A.raj, 'sent'));
    expect(outcome.items[0]).toMatchObject({ status: 'evaluated', findings: 1, enqueued: 0 });
    expect(await store.listEffects({ itemKey: r.messageId })).toEqual([]);
    expect((await store.getFindings(r.messageId)).map((f) => f.rule)).toEqual(['requests-via-clerk']);
    expect(await store.listSettlements({ itemKey: r.messageId })).toEqual([
      expect.objectContaining({
        rule: 'requests-via-clerk',
        kind: 'excepted',
        actor: 'wardwatch',
        exceptionId: id,
        reason: `Covered by standing exception ${id}: Raj chairs the parks working group`,
      }),
    ]);

    // Revoked: the next such message is acted on again.
    await actions.revokeException(id ?? 0, 'helen');
    const r2 = requestMail(2);
    await pipeline.take(mailRecord(r2.content, A.raj, 'sent'));
    expect((await store.listEffects({ itemKey: r2.messageId })).map((e) => e.kind).sort()).toEqual(['digest', 'nudge', 'route-to-clerk']);
  });

  it('matches a phrase and a recipient domain, and leaves other rules’ findings alone', async () => {
    const { store, pipeline, actions } = council();
    const until = new Date(Date.now() + 30 * 86_400_000).toISOString();
    await actions.addException({ match: 'phrase', value: 'benches by the BANDSTAND', reason: 'Agreed park maintenance', expiresAt: until, actor: 'helen' });
    const r1 = requestMail(1);
    await pipeline.take(mailRecord(r1.content, A.raj, 'sent'));
    expect(await store.listEffects({ itemKey: r1.messageId })).toEqual([]);

    const { store: other, pipeline: otherPipeline, actions: otherActions } = council();
    await otherActions.addException({ rule: 'no-blind-copies', match: 'recipient-domain', value: 'millbrook-tc.gov.uk', reason: 'Internal', expiresAt: until, actor: 'helen' });
    const r2 = requestMail(2);
    await otherPipeline.take(mailRecord(r2.content, A.raj, 'sent'));
    // The exception is for another rule: the request is acted on.
    expect((await other.listEffects({ itemKey: r2.messageId })).length).toBe(3);
    await otherActions.addException({ match: 'recipient-domain', value: 'millbrook-tc.gov.uk', reason: 'Internal', expiresAt: until, actor: 'helen' });
    const r3 = requestMail(3);
    await otherPipeline.take(mailRecord(r3.content, A.raj, 'sent'));
    expect(await other.listEffects({ itemKey: r3.messageId })).toEqual([]);
  });

  it('withdraws what a finding planned and has not sent once an exception covers it when the item is read again', async () => {
    const { store, pipeline, actions } = council();
    const r = requestMail(4);
    await pipeline.take(mailRecord(r.content, A.raj, 'sent'));
    expect((await store.listEffects({ itemKey: r.messageId })).map((e) => e.state).sort()).toEqual(['awaiting-review', 'pending', 'pending']);
    await actions.addException({ match: 'sender', value: A.raj, reason: 'Raj chairs the parks working group', expiresAt: new Date(Date.now() + 86_400_000).toISOString(), actor: 'helen' });
    // Dan's inbox copy arrives: the item is read again.
    const again = await pipeline.take(mailRecord(r.content, A.dan, 'inbox', 'dan/inbox/x.eml'));
    expect(again.items[0]?.status).toBe('evaluated');
    const after = await store.listEffects({ itemKey: r.messageId });
    expect(after.map((e) => e.state)).toEqual(['withdrawn', 'withdrawn', 'withdrawn']);
    expect((await store.listAudit({ effectKey: after[0]?.key ?? '' })).at(-1)).toMatchObject({ actor: 'wardwatch', outcome: expect.stringContaining('standing exception') });
  });
});
