/**
 * MailDelta against the Graph simulator: paging, empty pages, duplicates and replays, the Sent
 * Items copy with its Bcc, the Prefer header on every request, the cursor kept back when the sink
 * fails, 410 / SyncStateNotFound → a fresh read, the backfill window, throttling inside $batch,
 * an unknown folder, oversized messages, and what 100 messages cost in requests.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GraphDeps } from '../../../connectors/graph/deps.js';
import { GraphApiError } from '../../../connectors/graph/errors.js';
import { MailDelta, type MailDeltaOptions } from '../../../connectors/graph/mail-delta.js';
import { GraphTransport } from '../../../connectors/graph/transport.js';
import type { RawRecord } from '../../../src/items/types.js';
import type { GraphMailbox } from '../../../connectors/graph/config.js';
import { headerOf, MemoryCursors, messageIdOf, rawMessage, RecordingSink } from '../imap/helpers.js';
import { MB, startTenant, type Tenant } from './sim-setup.js';

let t: Tenant;
beforeEach(async () => {
  t = await startTenant();
});
afterEach(async () => {
  await t.close();
});

interface Rig {
  delta: MailDelta;
  cursors: MemoryCursors;
  transport: GraphTransport;
  warnings: string[];
}

function rig(extra: Record<string, unknown> = {}, options: MailDeltaOptions = {}, cursors = new MemoryCursors()): Rig {
  const settings = t.settings(extra);
  const transport = new GraphTransport(settings, t.transportOptions());
  const warnings: string[] = [];
  const logger = { debug: () => undefined, info: () => undefined, warn: (_f: Record<string, unknown>, m?: string) => void warnings.push(m ?? ''), error: () => undefined };
  const deps: GraphDeps = { transport, settings, cursors, logger, now: () => new Date(t.clock.now()) };
  return { delta: new MailDelta(deps, options), cursors, transport, warnings };
}

const clerk: GraphMailbox = { address: MB.clerk, folders: ['inbox', 'sent'] };
const sue: GraphMailbox = { address: MB.sue, folders: ['inbox', 'sent'] };

async function deliver(mailbox: string, n: number, prefix = 'm', folder = 'inbox'): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 1; i <= n; i++) {
    const id = `<${prefix}-${i}@example.com>`;
    await t.sim.deliver(mailbox, folder, rawMessage({ from: 'resident@example.com', to: mailbox, subject: `Message ${prefix} ${i}`, id }));
    ids.push(id);
  }
  return ids;
}

const cursorOf = (r: Rig, mailbox: string, folder: string): string | undefined => r.cursors.values.get(`graph|mail:${mailbox}:${folder}`);

/** A sink that remembers distinct Message-IDs, as the pipeline's deduplication would. */
class CountingSink extends RecordingSink {
  readonly distinct = new Set<string>();
  override async record(record: RawRecord): Promise<void> {
    await super.record(record);
    if (record.kind === 'mail') this.distinct.add(messageIdOf(record.source));
  }
}

/** A sink whose record() rejects on the n-th message it is given (once). */
class FailingSink extends RecordingSink {
  private count = 0;
  constructor(private readonly failAt: number) {
    super();
  }
  override async record(record: RawRecord): Promise<void> {
    this.count++;
    if (this.count === this.failAt) throw new Error('the state store is full');
    await super.record(record);
  }
}

describe('first sync and paging', () => {
  it('reads every page to the delta link, hands each message over once with its folder and origin, and stores the link', async () => {
    const ids = await deliver(MB.clerk, 7);
    const r = rig({ pageSize: 3 });
    const sink = new RecordingSink();
    const result = await r.delta.round(clerk, 'inbox', sink);
    expect(result).toEqual({ records: 7, removed: 0 });
    expect(sink.messageIds()).toEqual(ids);
    const first = sink.mail()[0];
    expect(first).toMatchObject({ kind: 'mail', mailbox: MB.clerk, folder: 'inbox' });
    expect(first?.origin).toMatch(/^graph:clerk@millbrook-tc\.gov\.uk\/inbox\/AAMkMsg/);
    expect(Buffer.isBuffer(first?.source)).toBe(true);
    // Three delta pages of 3, 3 and 1 (the last carries the delta link).
    const pages = t.sim.requests((q) => q.canonicalPath.endsWith('/mailFolders/inbox/messages/delta') && !q.inBatch);
    expect(pages).toHaveLength(3);
    expect(pages[0]?.query).toContain('%24select=id');
    expect(cursorOf(r, MB.clerk, 'inbox')).toMatch(/\$deltatoken=/);

    // The next round starts from the stored link and sees only what is new.
    const later = await deliver(MB.clerk, 1, 'later');
    const again = new RecordingSink();
    expect(await r.delta.round(clerk, 'inbox', again)).toEqual({ records: 1, removed: 0 });
    expect(again.messageIds()).toEqual(later);
  });

  it('asks with Prefer: IdType="ImmutableId" and odata.maxpagesize on every request', async () => {
    await deliver(MB.clerk, 5);
    const r = rig({ pageSize: 2 });
    await r.delta.round(clerk, 'inbox', new RecordingSink());
    const all = t.sim.requests();
    // Everything but the $batch envelope itself (whose own headers Graph does not apply to its steps).
    const sent = all.filter((q) => q.path !== '/$batch');
    expect(sent.length).toBeGreaterThan(5);
    for (const q of sent) expect(q.headers['prefer'] ?? '').toContain('IdType="ImmutableId"');
    for (const q of sent.filter((x) => x.path.endsWith('/delta') || x.query.includes('deltatoken') || x.query.includes('skiptoken'))) {
      expect(q.headers['prefer']).toContain('odata.maxpagesize=2');
    }
  });

  it('goes through empty pages that still carry a next link', async () => {
    const ids = await deliver(MB.clerk, 4);
    t.sim.mail.quirks = { emptyPagesBefore: 3 };
    const r = rig({ pageSize: 10 });
    const sink = new RecordingSink();
    expect((await r.delta.round(clerk, 'inbox', sink)).records).toBe(4);
    expect(sink.messageIds()).toEqual(ids);
    expect(t.sim.requests((q) => q.canonicalPath.endsWith('/messages/delta') && !q.inBatch)).toHaveLength(4);
  });

  it('hands over once an item twice in one page and the items a round replays', async () => {
    const ids = await deliver(MB.clerk, 5);
    t.sim.mail.quirks = { duplicateInPage: true };
    const r = rig({ pageSize: 2 });
    const sink = new RecordingSink();
    expect((await r.delta.round(clerk, 'inbox', sink)).records).toBe(5);
    expect(sink.messageIds()).toEqual(ids);
    // The duplicates were not even read.
    expect(t.sim.requests((q) => q.inBatch && q.path.endsWith('/$value'))).toHaveLength(5);

    // The next round replays the previous one's items as well as the new: within the round each goes once.
    t.sim.mail.quirks = { duplicateInPage: true, replayPreviousRound: true };
    const more = await deliver(MB.clerk, 2, 'more');
    const second = new RecordingSink();
    await r.delta.round(clerk, 'inbox', second);
    // Graph's replay of the round before is handed over again (the pipeline knows it), each item once.
    expect(second.messageIds()).toEqual([...ids, ...more]);
    const third = await deliver(MB.clerk, 1, 'third');
    const replayed = new RecordingSink();
    await r.delta.round(clerk, 'inbox', replayed);
    // The simulator replays from where the round before began (the whole folder here): still each once.
    expect(replayed.messageIds()).toEqual([...ids, ...more, ...third]);
  });
});

describe('what is handed over', () => {
  it('hands over a Sent Items copy as folder "sent", with the Bcc header in its MIME', async () => {
    const raw = rawMessage({ from: MB.sue, to: 'resident@example.com', subject: 'Planning', id: '<sent-1@millbrook-tc.gov.uk>' }).replace(/^To: /m, 'Bcc: sam.patel@millbrook-tc.gov.uk\r\nTo: ');
    await t.sim.deliver(MB.sue, 'sentitems', raw);
    const r = rig();
    const sink = new RecordingSink();
    await r.delta.round(sue, 'sent', sink);
    expect(sink.mail()).toHaveLength(1);
    const rec = sink.mail()[0];
    expect(rec?.folder).toBe('sent');
    expect(rec?.origin).toMatch(/^graph:sue\.taylor@millbrook-tc\.gov\.uk\/sent\//);
    expect(headerOf(rec?.source ?? '', 'bcc')).toBe('sam.patel@millbrook-tc.gov.uk');
    expect(cursorOf(r, MB.sue, 'sent')).toBeDefined();
    expect(t.sim.requests((q) => q.canonicalPath.endsWith('/mailFolders/sentitems/messages/delta'))).not.toHaveLength(0);
  });

  it('reports a message larger than the limit and hands over the others', async () => {
    await deliver(MB.clerk, 2);
    await t.sim.deliver(MB.clerk, 'inbox', rawMessage({ from: 'a@example.com', to: MB.clerk, subject: 'Big', id: '<big@example.com>', body: 'x'.repeat(4000) }));
    const r = rig({}, { maxMessageBytes: 2000 });
    const sink = new RecordingSink();
    expect((await r.delta.round(clerk, 'inbox', sink)).records).toBe(2);
    expect(sink.messageIds()).toEqual(['<m-1@example.com>', '<m-2@example.com>']);
    expect(sink.problems).toHaveLength(1);
    expect(sink.problems[0]).toMatchObject({ kind: 'mail' });
    expect(sink.problems[0]?.reason).toMatch(/^The message is 5 kB, larger than the 2 kB Wardwatch reads, and was skipped\.$/);
  });

  it('passes over removals (Graph names them only by id) without making up a Message-ID', async () => {
    await deliver(MB.clerk, 3);
    const r = rig();
    await r.delta.round(clerk, 'inbox', new RecordingSink());
    const [gone] = t.sim.state.messagesIn(MB.clerk, 'inbox');
    t.sim.state.deleteMessage(MB.clerk, gone?.json.id ?? '');
    const sink = new RecordingSink();
    expect(await r.delta.round(clerk, 'inbox', sink)).toEqual({ records: 0, removed: 0 });
    expect(sink.removals).toEqual([]);
    expect(sink.problems).toEqual([]);
  });
});

describe('the cursor', () => {
  it('is not advanced past a message the sink did not take: the next round delivers it, nothing is lost', async () => {
    const ids = await deliver(MB.clerk, 6);
    const r = rig({ pageSize: 10 });
    const failing = new FailingSink(3);
    await expect(r.delta.round(clerk, 'inbox', failing)).rejects.toThrow('the state store is full');
    expect(failing.messageIds()).toEqual(ids.slice(0, 2));
    expect(cursorOf(r, MB.clerk, 'inbox')).toBeUndefined();

    const sink = new RecordingSink();
    await r.delta.round(clerk, 'inbox', sink);
    expect(sink.messageIds()).toEqual(ids);
    expect(cursorOf(r, MB.clerk, 'inbox')).toMatch(/\$deltatoken=/);
  });

  it('keeps the link of the last fully stored page when the sink fails later in a big first sync', async () => {
    const ids = await deliver(MB.clerk, 6);
    const r = rig({ pageSize: 2 });
    const failing = new FailingSink(5);
    await expect(r.delta.round(clerk, 'inbox', failing)).rejects.toThrow();
    // Pages 1 and 2 were stored: the cursor is the next link to page 3.
    expect(cursorOf(r, MB.clerk, 'inbox')).toMatch(/\$skiptoken=/);
    const sink = new RecordingSink();
    await r.delta.round(clerk, 'inbox', sink);
    expect(new Set([...failing.messageIds(), ...sink.messageIds()])).toEqual(new Set(ids));
    expect(sink.messageIds()).toEqual(ids.slice(4));
  });

  for (const code of ['syncStateNotFound', 'SyncStateNotFound'] as const) {
    it(`reads the folder afresh on 410 ${code}, with no message new to the pipeline`, async () => {
      const ids = await deliver(MB.clerk, 4);
      const r = rig({ pageSize: 3 });
      const sink = new CountingSink();
      await r.delta.round(clerk, 'inbox', sink);
      const before = cursorOf(r, MB.clerk, 'inbox');
      const later = await deliver(MB.clerk, 1, 'later');
      t.sim.state.syncStateErrorCode = code;
      t.sim.state.expireSyncState(MB.clerk);
      const result = await r.delta.round(clerk, 'inbox', sink);
      expect(result.records).toBe(5);
      expect(r.warnings).toEqual(['Microsoft 365 no longer knows the folder\'s sync state: reading the folder afresh']);
      expect(t.sim.requests((q) => q.status === 410)).toHaveLength(1);
      // Everything was handed over again, but the pipeline meets only one message it did not know.
      expect(sink.mail()).toHaveLength(9);
      expect([...sink.distinct]).toEqual([...ids, ...later]);
      expect(cursorOf(r, MB.clerk, 'inbox')).not.toBe(before);
      expect(await r.delta.round(clerk, 'inbox', new RecordingSink())).toEqual({ records: 0, removed: 0 });
    });
  }

  it('reads afresh when an injected 410 meets a stored link, and a 410 on a fresh read is an error', async () => {
    await deliver(MB.clerk, 2);
    const r = rig();
    await r.delta.round(clerk, 'inbox', new RecordingSink());
    t.sim.inject({ kind: 'syncStateNotFound' }, { path: '/mailFolders/inbox/messages/delta' });
    const sink = new RecordingSink();
    expect((await r.delta.round(clerk, 'inbox', sink)).records).toBe(2);

    const fresh = rig();
    t.sim.inject({ kind: 'syncStateNotFound' }, { path: '/mailFolders/inbox/messages/delta' });
    const err = await fresh.delta.round(clerk, 'inbox', new RecordingSink()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GraphApiError);
    expect((err as GraphApiError).failure).toBe('gone');
  });
});

describe('backfill, throttling, folders, cost', () => {
  it('reads only the backfill window on the first round', async () => {
    await deliver(MB.clerk, 2, 'old');
    t.clock.advance(40 * 86_400_000);
    const recent = await deliver(MB.clerk, 2, 'recent');
    const r = rig({ backfillDays: 30 });
    const sink = new RecordingSink();
    await r.delta.round(clerk, 'inbox', sink);
    expect(sink.messageIds()).toEqual(recent);
    const first = t.sim.requests((q) => q.canonicalPath.endsWith('/messages/delta'))[0];
    const since = new Date(t.clock.now() - 30 * 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    expect(new URLSearchParams(first?.query).get('$filter')).toBe(`receivedDateTime ge ${since}`);
  });

  it('loses no message when steps inside the $batch are throttled', async () => {
    const ids = await deliver(MB.clerk, 12);
    // Each 429 throttles the rest of its envelope too (as Graph does for one mailbox): three rounds of the batch.
    t.sim.inject({ kind: 'status', status: 429, retryAfter: { seconds: 2 }, when: 'before' }, { path: /\/messages\/[^/]+\/\$value$/, times: 2 });
    t.sim.inject({ kind: 'status', status: 503, retryAfter: 'none', when: 'before' }, { path: /\/messages\/[^/]+\/\$value$/, times: 2 });
    const r = rig({ pageSize: 50 });
    const sink = new RecordingSink();
    await r.delta.round(clerk, 'inbox', sink);
    expect(sink.messageIds()).toEqual(ids);
    expect(sink.problems).toEqual([]);
    expect(t.sim.faults.stats.fired['status']).toBe(4);
    expect(t.sim.requests((q) => q.path === '/$batch')).toHaveLength(4);
    expect(t.sim.faults.stats.earlyRetries).toBe(0);
  });

  it('keeps the link back, but hands over the others, when a step stays throttled', async () => {
    const ids = await deliver(MB.clerk, 3);
    const first = t.sim.state.messagesIn(MB.clerk, 'inbox')[0]?.json.id ?? '';
    // Six tries in all (the transport's default): every one of them unavailable for the first message.
    t.sim.inject({ kind: 'status', status: 503, retryAfter: 'none', when: 'before' }, { path: `/messages/${first}/$value`, times: 6 });
    const r = rig();
    const sink = new RecordingSink();
    await expect(r.delta.round(clerk, 'inbox', sink)).rejects.toThrow(/did not give 1 message/);
    expect(sink.messageIds()).toEqual(ids.slice(1));
    expect(cursorOf(r, MB.clerk, 'inbox')).toBeUndefined();
    const again = new RecordingSink();
    await r.delta.round(clerk, 'inbox', again);
    expect(again.messageIds()).toEqual(ids);
  });

  it('says clearly which folder of which mailbox does not exist', async () => {
    const r = rig();
    const err = await r.delta.round(clerk, 'Planning Committee', new RecordingSink()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GraphApiError);
    expect((err as Error).message).toBe(
      'The folder "Planning Committee" does not exist in the mailbox clerk@millbrook-tc.gov.uk (neither at the top level nor under the Inbox); check the folder names under mailboxes.',
    );
  });

  it('reads a named folder by its id, found once by display name, and names it in records as configured (lower case)', async () => {
    t.sim.state.addFolder(MB.clerk, 'Planning');
    const ids = await deliver(MB.clerk, 2, 'p', 'Planning');
    const r = rig();
    const before = t.sim.requests((q) => q.path.endsWith('/mailFolders')).length;
    const sink = new RecordingSink();
    await r.delta.round(clerk, 'Planning', sink);
    expect(sink.messageIds()).toEqual(ids);
    expect(sink.mail()[0]?.folder).toBe('planning');
    await r.delta.round(clerk, 'Planning', new RecordingSink());
    expect(t.sim.requests((q) => q.path.endsWith('/mailFolders')).length - before).toBe(1);
    expect(t.sim.requests((q) => q.canonicalPath.endsWith('/mailFolders/Planning/messages/delta')).length).toBeGreaterThan(0);
  });

  it('costs few requests per message: 100 messages', async () => {
    await deliver(MB.clerk, 100);
    const r = rig({ pageSize: 100 });
    const sink = new RecordingSink();
    await r.delta.round(clerk, 'inbox', sink);
    expect(sink.mail()).toHaveLength(100);
    const outer = t.sim.requests((q) => !q.inBatch).length;
    const all = t.sim.requests().length;
    // 1 delta page + 5 batches of 20 $value reads = 6 HTTP requests (60 per 1,000); 106 counting each step.
    console.log(`MailDelta, 100 messages: ${outer} HTTP requests (${r.transport.requestCount} by the transport), ${all} counting each $batch step`);
    expect(outer).toBe(6);
    expect(r.transport.requestCount).toBe(6);
    expect(all).toBe(106);
  });
});
