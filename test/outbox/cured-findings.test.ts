/**
 * A breach Wardwatch put right itself (it added the missing ward members to the meeting, it
 * declined the booking) no longer shows when the item is read again. Its finding is kept, so that
 * the notice to the organiser about what Wardwatch did still goes; a breach put right by anyone
 * else, or one whose remedy has not been tried yet, is gone as before.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ActionKind } from '../../src/config/schema.js';
import { recordEvaluation } from '../../src/outbox/enqueue.js';
import { effectKey, effectMessageId } from '../../src/outbox/idempotency.js';
import type { SqliteStore } from '../../src/store/sqlite-store.js';
import type { NewEffect } from '../../src/store/types.js';
import { action, finding, StoreBench } from './fixtures.js';

const UID = 'castle-street-traffic-2027@millbrook-tc.gov.uk';
const T0 = '2027-04-12T09:00:00.000Z';
const T1 = '2027-04-12T09:00:05.000Z';
const ALICE = 'alice.green@millbrook-tc.gov.uk';
const CLERK = 'clerk@millbrook-tc.gov.uk';

function effect(kind: ActionKind, recipient: string): NewEffect {
  const key = effectKey({ rule: 'invite-ward-members', itemKey: UID, recipient, kind });
  return { key, kind, rule: 'invite-ward-members', itemKey: UID, recipient, payload: { summary: 'Missing', clauses: ['9.3'] }, messageId: effectMessageId(key, 'millbrook-tc.gov.uk'), notBefore: T0 };
}

const missingMember = finding({ rule: 'invite-ward-members', itemKey: UID, actions: [action('invite', [ALICE]), action('notify', [CLERK])] });

describe('a finding Wardwatch put right itself', () => {
  let bench: StoreBench;
  let store: SqliteStore;
  beforeEach(async () => {
    bench = new StoreBench();
    store = bench.store();
    await recordEvaluation(store, { item: { key: UID, contentHash: 'h1' }, findings: [missingMember], effects: [effect('invite', ALICE), effect('notify', CLERK)], now: T0 });
  });
  afterEach(async () => await bench.dispose());

  async function invite(state: 'done' | 'pending'): Promise<void> {
    if (state === 'pending') return;
    const [claimed] = await store.claimDue(T0, 1);
    expect(claimed?.kind).toBe('invite');
    expect(await store.markDone(claimed?.id ?? 0, T0, 'added to the event')).toBe(true);
  }

  it('is kept when the event read again no longer shows it, once the invitation went', async () => {
    await invite('done');
    // The event read again, with Alice on it: the rule finds nothing now.
    await recordEvaluation(store, { item: { key: UID, contentHash: 'h2' }, findings: [], effects: [], now: T1 });
    expect((await store.getFindings(UID)).map((f) => f.finding)).toEqual([missingMember]);
  });

  it('is gone when the remedy had not been tried: someone else put it right', async () => {
    await invite('pending');
    await recordEvaluation(store, { item: { key: UID, contentHash: 'h2' }, findings: [], effects: [], now: T1 });
    expect(await store.getFindings(UID)).toEqual([]);
  });

  it('is gone when only a message went, which changes nothing in the item', async () => {
    const key = '<m1@x>';
    const nudge = finding({ itemKey: key, actions: [action('nudge', ['sam.patel@millbrook-tc.gov.uk'])] });
    const k = effectKey({ rule: 'no-blind-copies', itemKey: key, recipient: 'sam.patel@millbrook-tc.gov.uk', kind: 'nudge' });
    await recordEvaluation(store, {
      item: { key, contentHash: 'm1' },
      findings: [nudge],
      effects: [{ key: k, kind: 'nudge', rule: 'no-blind-copies', itemKey: key, recipient: 'sam.patel@millbrook-tc.gov.uk', payload: { summary: 's', clauses: ['12.1'] }, messageId: effectMessageId(k, 'millbrook-tc.gov.uk'), notBefore: T0 }],
      now: T0,
    });
    const sent = (await store.listEffects({ itemKey: key }))[0];
    await store.claimDue(T0, 10);
    expect(await store.markDone(sent?.id ?? 0, T0, 'sent')).toBe(true);
    await recordEvaluation(store, { item: { key, contentHash: 'm2' }, findings: [], effects: [], now: T1 });
    expect(await store.getFindings(key)).toEqual([]);
  });
});
