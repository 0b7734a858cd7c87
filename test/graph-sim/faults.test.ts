import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphError } from '@microsoft/microsoft-graph-client';
import { EARLY_RETRY_PENALTY_SECONDS, Gate, MAILBOX_CONCURRENCY } from './faults.js';
import { MB, startHarness, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => { h = await startHarness(); });
afterAll(async () => { await h.close(); });

const fail = (p: Promise<unknown>): Promise<GraphError> => p.then(
  () => { throw new Error('expected the request to fail'); },
  (e: unknown) => e as GraphError,
);
const list = (mailbox: string) => h.client.api(`/users/${mailbox}/mailFolders/inbox/messages`).get();

describe('Graph simulator: injected faults and throttling', () => {
  it('429 with Retry-After in seconds; a retry before it elapses is penalised and counted', async () => {
    h.sim.inject({ kind: 'status', status: 429, retryAfter: { seconds: 7 } }, { path: `/users/${MB.sue}/` });
    const first = await fail(list(MB.sue));
    expect(first.statusCode).toBe(429);
    expect(first.headers?.get('retry-after')).toBe('7');
    expect(h.sim.faults.stats.earlyRetries).toBe(0);

    h.clock.advance(3_000);
    const early = await fail(list(MB.sue));
    expect(early.statusCode).toBe(429);
    expect(early.headers?.get('retry-after')).toBe(String(4 + EARLY_RETRY_PENALTY_SECONDS));
    expect(h.sim.faults.stats.earlyRetries).toBe(1);
    // Other mailboxes are not throttled with it.
    await expect(list(MB.sam)).resolves.toMatchObject({ value: [] });

    h.clock.advance((4 + EARLY_RETRY_PENALTY_SECONDS) * 1000);
    await expect(list(MB.sue)).resolves.toMatchObject({ value: [] });
    expect(h.sim.faults.stats.earlyRetries).toBe(1);
  });

  it('429 with Retry-After as an HTTP date, and 503 with none (the client backs off on its own)', async () => {
    h.sim.inject({ kind: 'status', status: 429, retryAfter: { httpDateInSeconds: 120 } }, { path: `/users/${MB.raj}/` });
    const dated = await fail(list(MB.raj));
    const until = Date.parse(dated.headers?.get('retry-after') ?? '');
    expect(until - h.clock.now()).toBeGreaterThanOrEqual(120_000);
    expect(until - h.clock.now()).toBeLessThan(121_000);
    h.clock.advance(121_000);
    await expect(list(MB.raj)).resolves.toMatchObject({ value: [] });

    h.sim.inject({ kind: 'status', status: 503, retryAfter: 'none' }, { path: `/users/${MB.raj}/` });
    const bare = await fail(list(MB.raj));
    expect(bare.statusCode).toBe(503);
    expect(bare.headers?.get('retry-after')).toBeNull();
    await expect(list(MB.raj)).resolves.toMatchObject({ value: [] });
    expect(h.sim.faults.stats.earlyRetries).toBe(1);
  });

  it(`a ${MAILBOX_CONCURRENCY + 1}th concurrent request to one mailbox gets 429`, async () => {
    const gate = new Gate();
    h.sim.inject({ kind: 'hold', gate }, { path: `/users/${MB.clerk}/`, times: MAILBOX_CONCURRENCY });
    const calls = Array.from({ length: MAILBOX_CONCURRENCY }, () => list(MB.clerk));
    await gate.waiting(MAILBOX_CONCURRENCY);
    const fifth = await fail(list(MB.clerk));
    expect(fifth.statusCode).toBe(429);
    expect(fifth.code).toBe('ApplicationThrottled');
    gate.open();
    const results = await Promise.all(calls);
    expect(results).toHaveLength(MAILBOX_CONCURRENCY);
    expect(h.sim.faults.stats.concurrencyRejections).toBe(1);
    await expect(list(MB.clerk)).resolves.toMatchObject({ value: [] });
  });

  it('drops a connection before the request takes effect', async () => {
    h.sim.inject({ kind: 'drop' }, { method: 'POST', path: `/users/${MB.service}/sendMail` });
    const err = await h.client.api(`/users/${MB.service}/sendMail`).post({
      message: { subject: 'Lost', toRecipients: [{ emailAddress: { address: MB.clerk } }], internetMessageHeaders: [{ name: 'x-wardwatch-effect', value: 'eff-lost' }] },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(h.sim.sentCount('x-wardwatch-effect', 'eff-lost')).toBe(0);
  });

  it('$batch: inner statuses (429 among them) inside a 200 envelope, and at most 20 requests', async () => {
    h.sim.inject({ kind: 'status', status: 429, retryAfter: { seconds: 5 } }, { path: `/users/${MB.chamber}/` });
    const res = await h.client.api('/$batch').post({
      requests: [
        { id: '1', method: 'GET', url: `/users/${MB.chamber}/events` },
        { id: '2', method: 'GET', url: `/users/${MB.sam}/mailFolders/inbox/messages` },
        { id: '3', method: 'GET', url: `/users/${MB.sam}/messages/nope`, dependsOn: ['2'] },
        { id: '4', method: 'GET', url: `/users/${MB.sam}/events`, dependsOn: ['3'] },
      ],
    }) as { responses: Array<{ id: string; status: number; headers: Record<string, string> }> };
    expect(res.responses.map((r) => [r.id, r.status])).toEqual([['1', 429], ['2', 200], ['3', 404], ['4', 424]]);
    expect(res.responses[0]?.headers['retry-after']).toBe('5');
    expect(h.sim.requests((r) => r.inBatch).length).toBe(3);

    const tooMany = await fail(h.client.api('/$batch').post({
      requests: Array.from({ length: 21 }, (_, i) => ({ id: String(i + 1), method: 'GET', url: `/users/${MB.sam}/events` })),
    }));
    expect(tooMany.statusCode).toBe(400);
  });
});
