/**
 * GmailSync against the Google simulator: the first round (the profile's history id taken before
 * listing, paged listings per configured label with the backfill window, empty pages that still
 * carry a page token), later rounds by history (new messages, INBOX or SENT added later, each read
 * once), the Sent copy with its Bcc, only the configured folders, user labels by name (looked up
 * once; an unknown one fails the round), the cursor kept back when the
 * sink fails, a lost history → a fresh read with nothing new to the pipeline, faults inside a
 * round, messages gone or too large, deletions, and what 1,000 messages cost in quota units.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GoogleMailbox } from '../../../connectors/google/config.js';
import type { GoogleDeps } from '../../../connectors/google/deps.js';
import { GoogleApiError } from '../../../connectors/google/errors.js';
import { FAILED_ROUNDS_BEFORE_SKIP, GmailSync, type GmailSyncOptions } from '../../../connectors/google/gmail-sync.js';
import { GoogleTransport, type GoogleTransportOptions } from '../../../connectors/google/transport.js';
import type { RawRecord } from '../../../src/items/types.js';
import { headerOf, MemoryCursors, messageIdOf, rawMessage, RecordingSink } from '../imap/helpers.js';
import { startWorkspace, USER, type Workspace } from './sim-setup.js';

let w: Workspace;
beforeEach(async () => {
  w = await startWorkspace();
});
afterEach(async () => {
  await w.close();
});

interface Logged {
  fields: Record<string, unknown>;
  message: string;
}

interface Rig {
  sync: GmailSync;
  cursors: MemoryCursors;
  transport: GoogleTransport;
  warnings: string[];
  debug: Logged[];
  info: Logged[];
}

function rig(extra: Record<string, unknown> = {}, options: GmailSyncOptions = {}, cursors = new MemoryCursors(), transportOptions: GoogleTransportOptions = {}): Rig {
  const settings = w.settings(extra);
  const transport = new GoogleTransport(settings, { ...w.transportOptions(), ...transportOptions });
  const warnings: string[] = [];
  const debug: Logged[] = [];
  const info: Logged[] = [];
  const logger = {
    debug: (fields: Record<string, unknown>, message?: string) => void debug.push({ fields, message: message ?? '' }),
    info: (fields: Record<string, unknown>, message?: string) => void info.push({ fields, message: message ?? '' }),
    warn: (_f: Record<string, unknown>, m?: string) => void warnings.push(m ?? ''),
    error: () => undefined,
  };
  const deps: GoogleDeps = { transport, settings, cursors, logger, now: () => new Date(w.clock.now()) };
  return { sync: new GmailSync(deps, options), cursors, transport, warnings, debug, info };
}

const clerk: GoogleMailbox = { address: USER.clerk, folders: ['inbox', 'sent'] };
const sue: GoogleMailbox = { address: USER.sue, folders: ['inbox', 'sent'] };

const cursorOf = (r: Rig, mailbox: string): string | undefined => r.cursors.values.get(`google|gmail:${mailbox}`);
const historyIdOf = (mailbox: string): string => String(w.sim.state.mailbox(mailbox)?.historyId);
const gmailRequests = (pattern: RegExp, user: string = USER.clerk) => w.sim.requests((q) => q.api === 'gmail' && q.user === user && pattern.test(q.canonicalPath));
const LIST = /\/messages$/;
const GET = /\/messages\/[^/]+$/;
const HISTORY = /\/history$/;
const LABELS = /\/labels$/;

async function deliver(mailbox: string, n: number, prefix = 'm', labelIds = ['INBOX']): Promise<{ ids: string[]; gmailIds: string[] }> {
  const ids: string[] = [];
  const gmailIds: string[] = [];
  for (let i = 1; i <= n; i++) {
    const id = `<${prefix}-${i}@example.com>`;
    gmailIds.push(await w.sim.deliver(mailbox, rawMessage({ from: 'resident@example.com', to: mailbox, subject: `Message ${prefix} ${i}`, id }), labelIds));
    ids.push(id);
  }
  return { ids, gmailIds };
}

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

/** A sink that runs `hook` (once) when it has taken its first record. */
class HookSink extends RecordingSink {
  private fired = false;
  constructor(private readonly hook: () => Promise<unknown> | void) {
    super();
  }
  override async record(record: RawRecord): Promise<void> {
    await super.record(record);
    if (!this.fired) {
      this.fired = true;
      await this.hook();
    }
  }
}

describe('the first round', () => {
  it('takes the history id first, lists each configured label page by page within the backfill window, hands each message over once (oldest first), then stores the id', async () => {
    const inbox = await deliver(USER.clerk, 7);
    const sent = await deliver(USER.clerk, 2, 's', ['SENT']);
    const before = historyIdOf(USER.clerk);
    const r = rig({ pageSize: 3 });
    const sink = new RecordingSink();
    expect(await r.sync.round(clerk, sink)).toEqual({ records: 9, removed: 0 });
    // SENT is listed first (a message to oneself is the sender's copy), then INBOX; each oldest first.
    expect(sink.messageIds()).toEqual([...sent.ids, ...inbox.ids]);
    expect(sink.mail().map((m) => m.folder)).toEqual([...sent.ids.map(() => 'sent'), ...inbox.ids.map(() => 'inbox')]);
    const first = sink.mail()[2];
    expect(first).toMatchObject({ kind: 'mail', mailbox: USER.clerk, folder: 'inbox', origin: `google:${USER.clerk}/${inbox.gmailIds[0]}` });
    expect(Buffer.isBuffer(first?.source)).toBe(true);
    expect(first?.source.toString('utf8')).toBe(w.sim.state.messages(USER.clerk).find((m) => m.id === inbox.gmailIds[0])?.raw);

    const gmail = w.sim.requests((q) => q.api === 'gmail');
    expect(gmail[0]?.canonicalPath).toBe(`/gmail/v1/users/${USER.clerk}/profile`);
    const lists = gmailRequests(LIST).map((q) => new URLSearchParams(q.query));
    // SENT: one page of 2; INBOX: pages of 3, 3 and 1.
    expect(lists.map((p) => p.getAll('labelIds'))).toEqual([['SENT'], ['INBOX'], ['INBOX'], ['INBOX']]);
    const after = Math.floor((w.clock.now() - 30 * 86_400_000) / 1000);
    for (const p of lists) {
      expect(p.get('q')).toBe(`after:${after}`);
      expect(p.get('maxResults')).toBe('3');
    }
    expect(gmailRequests(GET).map((q) => new URLSearchParams(q.query).get('format'))).toEqual(Array(9).fill('raw'));
    expect(cursorOf(r, USER.clerk)).toBe(before);

    // The next round reads the history from there and sees only what is new.
    const later = await deliver(USER.clerk, 1, 'later');
    const again = new RecordingSink();
    expect(await r.sync.round(clerk, again)).toEqual({ records: 1, removed: 0 });
    expect(again.messageIds()).toEqual(later.ids);
    expect(gmailRequests(LIST)).toHaveLength(4);
    expect(cursorOf(r, USER.clerk)).toBe(historyIdOf(USER.clerk));
  });

  it('misses nothing that arrives while the mailbox is being read: the next round\'s history has it', async () => {
    const old = await deliver(USER.clerk, 3);
    const r = rig();
    let during: string[] = [];
    const sink = new HookSink(async () => {
      during = (await deliver(USER.clerk, 2, 'during')).ids;
    });
    expect((await r.sync.round(clerk, sink)).records).toBe(3);
    expect(sink.messageIds()).toEqual(old.ids);
    const next = new RecordingSink();
    await r.sync.round(clerk, next);
    expect(next.messageIds()).toEqual(during);
  });

  it('goes through pages with no messages but a nextPageToken, in listings and in the history', async () => {
    const { ids } = await deliver(USER.clerk, 4);
    w.sim.gmail.quirks = { emptyPagesBefore: 2, trailingEmptyPage: true };
    const r = rig({ pageSize: 3 });
    const sink = new RecordingSink();
    expect((await r.sync.round(clerk, sink)).records).toBe(4);
    expect(sink.messageIds()).toEqual(ids);
    // INBOX: 2 empty pages, pages of 3 and 1, then the trailing empty page; SENT: 2 empty pages, then an empty listing.
    expect(gmailRequests(LIST).filter((q) => q.query.includes('INBOX'))).toHaveLength(5);
    expect(gmailRequests(LIST).filter((q) => q.query.includes('SENT'))).toHaveLength(3);

    const more = await deliver(USER.clerk, 2, 'more');
    const next = new RecordingSink();
    expect((await r.sync.round(clerk, next)).records).toBe(2);
    expect(next.messageIds()).toEqual(more.ids);
    expect(gmailRequests(HISTORY)).toHaveLength(3);
  });

  it('reads only the backfill window', async () => {
    await deliver(USER.clerk, 2, 'old');
    w.clock.advance(40 * 86_400_000);
    const recent = await deliver(USER.clerk, 2, 'recent');
    const r = rig({ backfillDays: 30 });
    const sink = new RecordingSink();
    await r.sync.round(clerk, sink);
    expect(sink.messageIds()).toEqual(recent.ids);
  });
});

describe('later rounds, by history', () => {
  it('reads messages added, and messages that get INBOX or SENT later, each once; other labels read nothing', async () => {
    const start = await deliver(USER.clerk, 2);
    const archived = await deliver(USER.clerk, 1, 'archived', ['CATEGORY_UPDATES']);
    const r = rig({ pageSize: 2 });
    await r.sync.round(clerk, new RecordingSink());
    const getsBefore = gmailRequests(GET).length;

    const fresh = await deliver(USER.clerk, 3, 'fresh');
    // Moved to the inbox later: its labelAdded counts.
    w.sim.state.modifyLabels(USER.clerk, archived.gmailIds[0] ?? '', ['INBOX']);
    // A star on an inbox message already read, and one on a new message: nothing new, read once.
    w.sim.state.modifyLabels(USER.clerk, start.gmailIds[0] ?? '', ['STARRED']);
    w.sim.state.modifyLabels(USER.clerk, fresh.gmailIds[0] ?? '', ['STARRED', 'IMPORTANT']);
    // A draft that is sent later (gets SENT), and a promotion nobody moves.
    const draft = await deliver(USER.clerk, 1, 'draft', ['DRAFT']);
    w.sim.state.modifyLabels(USER.clerk, draft.gmailIds[0] ?? '', ['SENT'], ['DRAFT']);
    await deliver(USER.clerk, 1, 'promo', ['CATEGORY_PROMOTIONS']);

    const sink = new RecordingSink();
    expect(await r.sync.round(clerk, sink)).toEqual({ records: 5, removed: 0 });
    expect(sink.messageIds()).toEqual([...fresh.ids, ...archived.ids, ...draft.ids]);
    expect(sink.mail().map((m) => m.folder)).toEqual(['inbox', 'inbox', 'inbox', 'inbox', 'sent']);
    expect(gmailRequests(GET).length - getsBefore).toBe(5);
    const history = gmailRequests(HISTORY).map((q) => new URLSearchParams(q.query));
    expect(history.length).toBeGreaterThan(1);
    expect(history[0]?.getAll('historyTypes')).toEqual(['messageAdded', 'labelAdded']);
    expect(history[0]?.get('maxResults')).toBe('2');
    expect(cursorOf(r, USER.clerk)).toBe(historyIdOf(USER.clerk));

    // Nothing new: one history request, nothing read, nothing stored anew.
    const quiet = new RecordingSink();
    expect(await r.sync.round(clerk, quiet)).toEqual({ records: 0, removed: 0 });
    expect(gmailRequests(GET).length - getsBefore).toBe(5);
  });

  it('passes over deletions (Gmail names them only by id) without making up a Message-ID, and skips quietly a message gone before it was read', async () => {
    const { gmailIds } = await deliver(USER.clerk, 3);
    const r = rig({}, { readAhead: 1 });
    await r.sync.round(clerk, new RecordingSink());
    w.sim.state.deleteMessage(USER.clerk, gmailIds[0] ?? '');
    const sink = new RecordingSink();
    expect(await r.sync.round(clerk, sink)).toEqual({ records: 0, removed: 0 });
    expect(sink.removals).toEqual([]);
    expect(sink.problems).toEqual([]);

    // Added, then deleted before it was read: history still names it; reading it gives 404.
    const more = await deliver(USER.clerk, 3, 'more');
    const vanishing = more.gmailIds[2] ?? '';
    const hook = new HookSink(() => w.sim.state.deleteMessage(USER.clerk, vanishing));
    const atStart = historyIdOf(USER.clerk);
    expect((await r.sync.round(clerk, hook)).records).toBe(2);
    expect(hook.messageIds()).toEqual(more.ids.slice(0, 2));
    expect(hook.problems).toEqual([]);
    expect(gmailRequests(GET).filter((q) => q.status === 404)).toHaveLength(1);
    expect(r.debug.map((d) => d.message)).toContain('A message went before it could be read');
    // The history id the round's answer gave (before the deletion), not the mailbox's latest.
    expect(cursorOf(r, USER.clerk)).toBe(atStart);
    expect(await r.sync.round(clerk, new RecordingSink())).toEqual({ records: 0, removed: 0 });
    expect(cursorOf(r, USER.clerk)).toBe(historyIdOf(USER.clerk));
  });
});

describe('what is handed over', () => {
  it('hands over a Sent copy as folder "sent", with the Bcc header in its MIME, on the first round and by history', async () => {
    const bcc = (id: string) =>
      rawMessage({ from: USER.sue, to: 'resident@example.com', subject: 'Planning', id }).replace(/^To: /m, `Bcc: ${USER.sam}\r\nTo: `);
    await w.sim.deliver(USER.sue, bcc('<sent-1@millbrook-tc.gov.uk>'), ['SENT']);
    const r = rig();
    const sink = new RecordingSink();
    await r.sync.round(sue, sink);
    expect(sink.mail()).toHaveLength(1);
    expect(sink.mail()[0]).toMatchObject({ folder: 'sent', mailbox: USER.sue });
    expect(sink.mail()[0]?.origin).toMatch(/^google:sue\.taylor@millbrook-tc\.gov\.uk\/[0-9a-f]+$/);
    expect(headerOf(sink.mail()[0]?.source ?? '', 'bcc')).toBe(USER.sam);

    // Sent through Gmail later: the sender's copy (Bcc kept) comes by history; Sam's copy has no Bcc.
    const send = await r.transport.call(r.transport.gmail(USER.sue, 'send'), 'sending', (g, o) =>
      g.users.messages.send({ userId: 'me', requestBody: { raw: Buffer.from(bcc('<sent-2@millbrook-tc.gov.uk>')).toString('base64url') } }, o), { retry: 'unsafe' });
    const later = new RecordingSink();
    await r.sync.round(sue, later);
    expect(later.mail().map((m) => [messageIdOf(m.source), m.folder, headerOf(m.source, 'bcc'), m.origin])).toEqual([
      ['<sent-2@millbrook-tc.gov.uk>', 'sent', USER.sam, `google:${USER.sue}/${send.data.id}`],
    ]);
    const sam = new RecordingSink();
    await r.sync.round({ address: USER.sam, folders: ['inbox', 'sent'] }, sam);
    expect(sam.mail().map((m) => [messageIdOf(m.source), m.folder, headerOf(m.source, 'bcc')])).toEqual([['<sent-2@millbrook-tc.gov.uk>', 'inbox', '']]);
  });

  it('reads only the configured folders', async () => {
    const inbox = await deliver(USER.clerk, 2);
    await deliver(USER.clerk, 2, 's', ['SENT']);
    const self = await deliver(USER.clerk, 1, 'self', ['SENT', 'INBOX']);
    w.sim.state.addLabel(USER.clerk, 'Planning');
    const r = rig();
    const only: GoogleMailbox = { address: USER.clerk, folders: ['Inbox'] };
    const sink = new RecordingSink();
    expect((await r.sync.round(only, sink)).records).toBe(3);
    // A message to oneself is in the inbox too: read as inbox, since sent is not configured.
    expect(sink.messageIds()).toEqual([...inbox.ids, ...self.ids]);
    expect(sink.mail().every((m) => m.folder === 'inbox')).toBe(true);
    expect(gmailRequests(LIST).map((q) => new URLSearchParams(q.query).getAll('labelIds'))).toEqual([['INBOX']]);
    // No label configured: the labels are not asked for.
    expect(gmailRequests(LABELS)).toEqual([]);
    expect(r.warnings).toEqual([]);

    await deliver(USER.clerk, 1, 's2', ['SENT']);
    const later = await deliver(USER.clerk, 1, 'later');
    const next = new RecordingSink();
    await r.sync.round(only, next);
    expect(next.messageIds()).toEqual(later.ids);

    // No folder at all: nothing is asked of Google.
    const before = w.sim.requests().length;
    expect(await r.sync.round({ address: USER.clerk, folders: [] }, new RecordingSink())).toEqual({ records: 0, removed: 0 });
    expect(w.sim.requests()).toHaveLength(before);
  });

  it('reports a message larger than the limit and hands over the others', async () => {
    await deliver(USER.clerk, 2);
    await w.sim.deliver(USER.clerk, rawMessage({ from: 'a@example.com', to: USER.clerk, subject: 'Big', id: '<big@example.com>', body: 'x'.repeat(4000) }));
    const r = rig({}, { maxMessageBytes: 2000 });
    const sink = new RecordingSink();
    expect((await r.sync.round(clerk, sink)).records).toBe(2);
    expect(sink.messageIds()).toEqual(['<m-1@example.com>', '<m-2@example.com>']);
    expect(sink.problems).toHaveLength(1);
    expect(sink.problems[0]).toMatchObject({ kind: 'mail', origin: expect.stringMatching(/^google:clerk@millbrook-tc\.gov\.uk\//) });
    expect(sink.problems[0]?.reason).toBe('The message is 5 kB, larger than the 2 kB Wardwatch reads, and was skipped.');
    expect(cursorOf(r, USER.clerk)).toBeDefined();
  });
});

describe('named folders: Gmail user labels', () => {
  it('reads a configured label on the first round and by history (messageAdded and labelAdded), as the configured name in lower case; the labels are asked for once', async () => {
    const planning = w.sim.state.addLabel(USER.clerk, 'Planning Applications');
    const parks = w.sim.state.addLabel(USER.clerk, 'Parks');
    const other = w.sim.state.addLabel(USER.clerk, 'Newsletters');
    const filed = await deliver(USER.clerk, 2, 'filed', [planning]);
    const inboxToo = await deliver(USER.clerk, 1, 'inbox-too', ['INBOX', planning]);
    const sentToo = await deliver(USER.clerk, 1, 'sent-too', ['SENT', planning]);
    const both = await deliver(USER.clerk, 1, 'both', [parks, planning]);
    await deliver(USER.clerk, 1, 'news', [other]);
    const r = rig();
    // Configured in another case than Gmail's: matched without regard to case.
    const mailbox: GoogleMailbox = { address: USER.clerk, folders: ['inbox', 'sent', 'PLANNING applications', 'parks'] };
    const sink = new RecordingSink();
    expect(await r.sync.round(mailbox, sink)).toEqual({ records: 5, removed: 0 });
    // SENT, INBOX, then each label in the order configured (each listed once, as Gmail ANDs labelIds).
    expect(gmailRequests(LIST).map((q) => new URLSearchParams(q.query).getAll('labelIds'))).toEqual([['SENT'], ['INBOX'], [planning], [parks]]);
    // Each message once, as one folder: sent before inbox before the labels; among labels, the first configured.
    expect(sink.mail().map((m) => [messageIdOf(m.source), m.folder])).toEqual([
      [sentToo.ids[0], 'sent'],
      [inboxToo.ids[0], 'inbox'],
      ...filed.ids.map((id) => [id, 'planning applications']),
      [both.ids[0], 'planning applications'],
    ]);
    expect(sink.mail().every((m) => m.mailbox === USER.clerk)).toBe(true);
    expect(gmailRequests(LABELS)).toHaveLength(1);
    expect(cursorOf(r, USER.clerk)).toBe(historyIdOf(USER.clerk));

    // By history: a message filed under the label on arrival, an archived one labelled later, and
    // one given only a label that is not configured.
    const arriving = await deliver(USER.clerk, 1, 'arriving', [planning]);
    const archived = await deliver(USER.clerk, 1, 'archived', ['CATEGORY_UPDATES']);
    const parked = await deliver(USER.clerk, 1, 'parked', ['CATEGORY_UPDATES']);
    const ignored = await deliver(USER.clerk, 1, 'ignored', ['CATEGORY_UPDATES']);
    w.sim.state.modifyLabels(USER.clerk, archived.gmailIds[0] ?? '', [planning]);
    w.sim.state.modifyLabels(USER.clerk, parked.gmailIds[0] ?? '', [parks]);
    w.sim.state.modifyLabels(USER.clerk, ignored.gmailIds[0] ?? '', [other]);
    // A label added to a message already read (it is in the inbox): read again, still as inbox.
    w.sim.state.modifyLabels(USER.clerk, inboxToo.gmailIds[0] ?? '', [parks]);
    const later = new RecordingSink();
    expect(await r.sync.round(mailbox, later)).toEqual({ records: 4, removed: 0 });
    expect(later.mail().map((m) => [messageIdOf(m.source), m.folder])).toEqual([
      [arriving.ids[0], 'planning applications'],
      [archived.ids[0], 'planning applications'],
      [parked.ids[0], 'parks'],
      [inboxToo.ids[0], 'inbox'],
    ]);
    const history = gmailRequests(HISTORY).map((q) => new URLSearchParams(q.query));
    expect(history[0]?.getAll('historyTypes')).toEqual(['messageAdded', 'labelAdded']);
    // The label list was asked once, on the first round, and remembered.
    expect(gmailRequests(LABELS)).toHaveLength(1);
    expect(gmailRequests(LABELS)[0]?.quotaUnits).toBe(1);
    expect(r.info[0]?.fields).toMatchObject({ quotaUnits: 1 + 1 + 4 * 5 + 5 * 5 });
    expect(r.transport.quotaUnits(USER.clerk)).toBe(w.sim.quotaUnits(USER.clerk));
    expect(r.warnings).toEqual([]);
  });

  it('a label only, without inbox or sent: only that label is listed', async () => {
    const planning = w.sim.state.addLabel(USER.clerk, 'Planning');
    await deliver(USER.clerk, 2);
    const filed = await deliver(USER.clerk, 1, 'filed', ['INBOX', planning]);
    const r = rig();
    const sink = new RecordingSink();
    expect((await r.sync.round({ address: USER.clerk, folders: ['Planning'] }, sink)).records).toBe(1);
    // INBOX is not configured: a message in the inbox and the label is the label's.
    expect(sink.mail().map((m) => [messageIdOf(m.source), m.folder])).toEqual([[filed.ids[0], 'planning']]);
    expect(gmailRequests(LIST).map((q) => new URLSearchParams(q.query).getAll('labelIds'))).toEqual([[planning]]);
  });

  it('fails the round, naming the label and the mailbox, when a configured name is no label of the mailbox; asks again next round and reads it once it exists', async () => {
    await deliver(USER.clerk, 2);
    // Sue has a Planning label; the clerk has not: labels are per mailbox.
    w.sim.state.addLabel(USER.sue, 'Planning');
    w.sim.state.addLabel(USER.clerk, 'Parks');
    const r = rig();
    const mailbox: GoogleMailbox = { address: USER.clerk, folders: ['inbox', 'Parks', 'Planning'] };
    const err = await r.sync.round(mailbox, new RecordingSink()).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(GoogleApiError);
    expect((err as GoogleApiError).message).toBe(
      `The label "Planning" does not exist in the mailbox ${USER.clerk}; Gmail's labels are matched by name without regard to case. Check the folder names under mailboxes (or create the label in Gmail).`,
    );
    expect(err).toMatchObject({ reason: 'labelNotFound', failure: 'not-found', subject: USER.clerk });
    // Nothing was listed or read, and no cursor stored.
    expect(gmailRequests(LIST)).toEqual([]);
    expect(gmailRequests(/\/profile$/)).toEqual([]);
    expect(cursorOf(r, USER.clerk)).toBeUndefined();

    // Still missing: the next round asks again (Parks, found, is remembered) and fails the same way.
    await expect(r.sync.round(mailbox, new RecordingSink())).rejects.toThrow(`The label "Planning" does not exist in the mailbox ${USER.clerk}`);
    expect(gmailRequests(LABELS)).toHaveLength(2);

    // Created in Gmail: read from the next round on.
    const planning = w.sim.state.addLabel(USER.clerk, 'planning');
    const filed = await deliver(USER.clerk, 1, 'filed', [planning]);
    const sink = new RecordingSink();
    expect((await r.sync.round(mailbox, sink)).records).toBe(3);
    expect(sink.mail().map((m) => m.folder)).toEqual(['inbox', 'inbox', 'planning']);
    expect(sink.messageIds()[2]).toBe(filed.ids[0]);
    expect(gmailRequests(LABELS)).toHaveLength(3);
    await r.sync.round(mailbox, new RecordingSink());
    expect(gmailRequests(LABELS)).toHaveLength(3);
  });

  it('names every unknown label at once, and says when a name is one of Gmail\'s system labels', async () => {
    const r = rig();
    await expect(r.sync.round({ address: USER.clerk, folders: ['Starred', 'Committees'] }, new RecordingSink())).rejects.toThrow(
      `The labels "Starred" and "Committees" do not exist in the mailbox ${USER.clerk} ("Starred" is one of Gmail's system labels: of those, Wardwatch reads only inbox and sent)`,
    );
  });
});

describe('the cursor', () => {
  it('is not stored when the sink fails during the first round: the next round hands everything over, nothing is lost', async () => {
    const { ids } = await deliver(USER.clerk, 6);
    const r = rig({ pageSize: 4 });
    const failing = new FailingSink(3);
    await expect(r.sync.round(clerk, failing)).rejects.toThrow('the state store is full');
    expect(failing.messageIds()).toEqual(ids.slice(0, 2));
    expect(cursorOf(r, USER.clerk)).toBeUndefined();

    const sink = new RecordingSink();
    await r.sync.round(clerk, sink);
    expect(sink.messageIds()).toEqual(ids);
    expect(cursorOf(r, USER.clerk)).toBe(historyIdOf(USER.clerk));
  });

  it('is not advanced when the sink fails in a later round: the round is handed over again', async () => {
    await deliver(USER.clerk, 2);
    const r = rig({ pageSize: 2 });
    await r.sync.round(clerk, new RecordingSink());
    const stored = cursorOf(r, USER.clerk);
    const { ids } = await deliver(USER.clerk, 5, 'new');
    const failing = new FailingSink(4);
    await expect(r.sync.round(clerk, failing)).rejects.toThrow('the state store is full');
    expect(failing.messageIds()).toEqual(ids.slice(0, 3));
    expect(cursorOf(r, USER.clerk)).toBe(stored);

    const sink = new CountingSink();
    expect((await r.sync.round(clerk, sink)).records).toBe(5);
    expect(sink.messageIds()).toEqual(ids);
    expect(new Set([...failing.messageIds(), ...sink.distinct])).toEqual(new Set(ids));
    expect(cursorOf(r, USER.clerk)).toBe(historyIdOf(USER.clerk));
  });

  it('reads the mailbox afresh when Gmail no longer has the history (404), with no message new to the pipeline but the new one', async () => {
    const { ids } = await deliver(USER.clerk, 4);
    const r = rig({ pageSize: 3 });
    const sink = new CountingSink();
    await r.sync.round(clerk, sink);
    const before = cursorOf(r, USER.clerk);
    const later = await deliver(USER.clerk, 1, 'later');
    w.sim.state.expireHistory(USER.clerk);
    const result = await r.sync.round(clerk, sink);
    expect(result.records).toBe(5);
    expect(r.warnings).toEqual(['Gmail no longer has the mailbox\'s history from where Wardwatch left off: reading the mailbox afresh']);
    expect(gmailRequests(HISTORY).filter((q) => q.status === 404)).toHaveLength(1);
    // Everything was handed over again, but the pipeline meets only one message it did not know.
    expect(sink.mail()).toHaveLength(9);
    expect([...sink.distinct]).toEqual([...ids, ...later.ids]);
    expect(cursorOf(r, USER.clerk)).not.toBe(before);
    expect(cursorOf(r, USER.clerk)).toBe(historyIdOf(USER.clerk));
    expect(await r.sync.round(clerk, new RecordingSink())).toEqual({ records: 0, removed: 0 });
  });

  it('fails the round, with no warning and no cursor, when a listing keeps failing', async () => {
    await deliver(USER.clerk, 2);
    const r = rig();
    w.sim.inject({ kind: 'status', status: 500 }, { path: LIST, times: 6 });
    const err = await r.sync.round(clerk, new RecordingSink()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GoogleApiError);
    expect((err as GoogleApiError).failure).toBe('unavailable');
    expect(cursorOf(r, USER.clerk)).toBeUndefined();
    expect(r.warnings).toEqual([]);
  });
});

describe('faults inside a round', () => {
  it('loses nothing to 429, 403 userRateLimitExceeded, 500 and dropped connections, on the first round and by history', async () => {
    const first = await deliver(USER.clerk, 8);
    w.sim.inject({ kind: 'status', status: 500 }, { path: LIST });
    w.sim.inject({ kind: 'status', status: 429 }, { path: GET, times: 2 });
    w.sim.inject({ kind: 'drop' }, { path: GET });
    w.sim.inject({ kind: 'status', status: 403, reason: 'userRateLimitExceeded' }, { path: /\/profile$/ });
    const r = rig({ pageSize: 3 });
    const sink = new RecordingSink();
    await r.sync.round(clerk, sink);
    expect(sink.messageIds()).toEqual(first.ids);

    const more = await deliver(USER.clerk, 6, 'more');
    w.sim.inject({ kind: 'status', status: 403, reason: 'userRateLimitExceeded' }, { path: HISTORY });
    w.sim.inject({ kind: 'status', status: 503 }, { path: HISTORY });
    w.sim.inject({ kind: 'drop', when: 'after' }, { path: GET });
    w.sim.inject({ kind: 'status', status: 500 }, { path: GET, times: 2 });
    w.sim.inject({ kind: 'status', status: 429, reason: 'userRateLimitExceeded' }, { path: GET });
    w.sim.inject({ kind: 'status', status: 403, reason: 'userRateLimitExceeded' }, { path: GET });
    const next = new RecordingSink();
    await r.sync.round(clerk, next);
    expect(next.messageIds()).toEqual(more.ids);
    expect(sink.problems).toEqual([]);
    expect(next.problems).toEqual([]);
    expect(w.sim.faults.pending()).toEqual([]);
    expect(w.sim.faults.stats.fired).toMatchObject({ status: 10, drop: 2 });
    expect(cursorOf(r, USER.clerk)).toBe(historyIdOf(USER.clerk));
  });
});

/** A sink that always refuses the message with this Message-ID. */
class RefusingSink extends RecordingSink {
  constructor(private readonly refused: string) {
    super();
  }
  override async record(record: RawRecord): Promise<void> {
    if (record.kind === 'mail' && messageIdOf(record.source) === this.refused) throw new Error('the message breaks the parser');
    await super.record(record);
  }
}

/** Settles within `ms`, or says it hung. */
const within = <T>(p: Promise<T>, ms = 5_000): Promise<T | 'hung'> =>
  Promise.race([p, new Promise<'hung'>((r) => setTimeout(() => r('hung'), ms))]);

describe('a message that fails every time', () => {
  async function blocked(fail: (gmailId: string, messageId: string) => { sink: () => RecordingSink }): Promise<void> {
    await deliver(USER.clerk, 1, 'old');
    const r = rig();
    await r.sync.round(clerk, new RecordingSink());
    const { ids, gmailIds } = await deliver(USER.clerk, 3, 'new');
    const { sink } = fail(gmailIds[1] ?? '', ids[1] ?? '');
    const stored = cursorOf(r, USER.clerk);
    for (let round = 1; round <= FAILED_ROUNDS_BEFORE_SKIP; round++) {
      await expect(r.sync.round(clerk, sink())).rejects.toThrow();
      expect(cursorOf(r, USER.clerk)).toBe(stored);
    }
    const last = sink();
    const result = await r.sync.round(clerk, last);
    // The round completes past it: the others handed over, the cursor moved, the message reported.
    expect(result.records).toBe(2);
    expect(last.messageIds()).toEqual([ids[0], ids[2]]);
    expect(cursorOf(r, USER.clerk)).toBe(historyIdOf(USER.clerk));
    expect(last.problems).toHaveLength(1);
    const reason = last.problems[0]?.reason ?? '';
    expect(last.problems[0]?.origin).toBe(`google:${USER.clerk}/${gmailIds[1]}`);
    expect(reason).toContain(USER.clerk);
    expect(reason).toContain('skipped');
    expect(reason).toContain('read again if it changes');
    // The next round has nothing new.
    const after = sink();
    expect((await r.sync.round(clerk, after)).records).toBe(0);
  }

  it('a message whose read always fails (5xx on its get) fails the round three times, then is reported and skipped, and the cursor moves', async () => {
    await blocked((gmailId) => {
      w.sim.inject({ kind: 'status', status: 500 }, { path: `/messages/${gmailId}`, method: 'GET', times: 1000 });
      return { sink: () => new RecordingSink() };
    });
  });

  it('a message the sink always refuses (a failing state store) is never skipped: every round fails and the cursor stays', async () => {
    await deliver(USER.clerk, 3);
    const r = rig();
    await r.sync.round(clerk, new RecordingSink());
    const cursor = cursorOf(r, USER.clerk);
    const id = `<refused-${Date.now()}@millbrook-tc.gov.uk>`;
    await w.sim.deliver(USER.clerk, `From: ${USER.sam}\r\nTo: ${USER.clerk}\r\nSubject: Refused\r\nMessage-ID: ${id}\r\n\r\nx\r\n`, ['INBOX']);
    for (let round = 1; round <= 5; round++) {
      await expect(r.sync.round(clerk, new RefusingSink(id))).rejects.toThrow();
      expect(cursorOf(r, USER.clerk)).toBe(cursor);
    }
  });
});

describe('read-ahead and the transport\'s concurrency', () => {
  it('with one request at a time per user, a round whose read fails rejects instead of hanging', async () => {
    await deliver(USER.clerk, 6);
    const r = rig({}, {}, new MemoryCursors(), { concurrency: 1 });
    // Every read fails (Gmail down for reads): while the first is given up, the others still wait for the one slot.
    w.sim.inject({ kind: 'status', status: 500 }, { path: /\/messages\/[^/]+$/, method: 'GET', times: 1000 });
    const outcome = await within(r.sync.round(clerk, new RecordingSink()).then(() => 'done', (e: unknown) => e));
    expect(outcome).toBeInstanceOf(GoogleApiError);
    expect(cursorOf(r, USER.clerk)).toBeUndefined();
    // And the next round, the fault gone, reads everything.
    w.sim.faults.clear();
    const sink = new RecordingSink();
    expect(await within(r.sync.round(clerk, sink).then((res) => res.records))).toBe(6);
  });
});

describe('cost', () => {
  it('spends about 5 quota units and one request per message, on the first round and by history: 1,000 messages each', async () => {
    await deliver(USER.clerk, 1000, 'a');
    const r = rig();
    const unitsAt0 = w.sim.quotaUnits(USER.clerk);
    const requestsAt0 = r.transport.requestCount;
    const sink = new RecordingSink();
    expect((await r.sync.round(clerk, sink)).records).toBe(1000);
    const firstUnits = w.sim.quotaUnits(USER.clerk) - unitsAt0;
    const firstRequests = r.transport.requestCount - requestsAt0;

    await deliver(USER.clerk, 1000, 'b');
    const unitsAt1 = w.sim.quotaUnits(USER.clerk);
    const requestsAt1 = r.transport.requestCount;
    const next = new RecordingSink();
    expect((await r.sync.round(clerk, next)).records).toBe(1000);
    const laterUnits = w.sim.quotaUnits(USER.clerk) - unitsAt1;
    const laterRequests = r.transport.requestCount - requestsAt1;

    console.log(
      `GmailSync, per 1,000 messages (pageSize 100): first round ${firstUnits} quota units in ${firstRequests} requests; ` +
        `by history ${laterUnits} quota units in ${laterRequests} requests`,
    );
    // First: getProfile (1) + 10 INBOX pages and 1 SENT page (5 each) + 1,000 messages.get format=raw (5 each).
    expect(firstRequests).toBe(1 + 11 + 1000);
    expect(firstUnits).toBe(1 + 11 * 5 + 1000 * 5);
    // By history: 10 history.list pages (2 each) + 1,000 messages.get (5 each).
    expect(laterRequests).toBe(10 + 1000);
    expect(laterUnits).toBe(10 * 2 + 1000 * 5);
    // The transport counts as Google does, and each round logs what it spent.
    expect(r.transport.quotaUnits(USER.clerk)).toBe(w.sim.quotaUnits(USER.clerk));
    expect(r.info.map((l) => l.fields)).toEqual([
      { mailbox: USER.clerk, messages: 1000, calls: firstRequests, quotaUnits: firstUnits },
      { mailbox: USER.clerk, messages: 1000, calls: laterRequests, quotaUnits: laterUnits },
    ]);
  }, 120_000);
});
