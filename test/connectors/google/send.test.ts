/**
 * The Google sender against the simulator: a message composed by the shared composer and sent
 * from the service mailbox with users.messages.send exactly once — counted by its effect key in
 * the simulator's sent log — under a lost answer (500/503 after the send, a connection dropped
 * before or after it, a Sent copy indexed late), rate limits, and a refused grant (gmail.send or
 * gmail.readonly missing from the domain-wide delegation, 403 insufficient scopes, a user Google
 * does not know), which holds the outbox instead of burning its messages.
 */
import { createPublicKey } from 'node:crypto';
import type { gmail_v1 } from 'googleapis/build/src/apis/gmail/v1.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SCOPES, type GoogleSettings } from '../../../connectors/google/config.js';
import type { GoogleDeps } from '../../../connectors/google/deps.js';
import { DELEGATION_PAGE } from '../../../connectors/google/errors.js';
import { bareMessageId, GoogleSender, RECENT_SENT, SETTLE_LOOKS, SETTLE_MS, sentQuery } from '../../../connectors/google/send.js';
import { GoogleTransport, type CallOptions, type GmailAccess, type GmailClient, type GoogleClient, type GoogleTransportOptions, type SdkCallOptions } from '../../../connectors/google/transport.js';
import { effectHeaders, effectKey, effectMessageId, KEY_HEADER } from '../../../src/outbox/idempotency.js';
import { PermanentEffectError, SendInDoubtError } from '../../../src/outbox/outbox.js';
import type { OutgoingMessage } from '../../../src/sources/types.js';
import { ALL_SCOPES, CLIENT_EMAIL, CLIENT_ID, startWorkspace, USER, type Workspace } from './sim-setup.js';

const DOMAIN = 'millbrook-tc.gov.uk';
const SEND_PATH = /\/messages\/send$/;
const SERVICE_LIST = new RegExp(`^/gmail/v1/users/${USER.service.replace(/\./g, '\\.')}/messages$`);

interface LogLine {
  level: string;
  fields: Record<string, unknown>;
  message: string | undefined;
}

let w: Workspace;
let slept: number[];
let logs: LogLine[];
/** Runs when the sender logs a line (a test's hook into the moment between two of its steps). */
let onLog: ((line: LogLine) => void) | undefined;
/** Runs when the sender waits between looks in Sent. */
let onSettle: ((look: number) => Promise<void>) | undefined;

function depsFor(settings: GoogleSettings = w.settings(), make = (s: GoogleSettings, o: GoogleTransportOptions): GoogleTransport => new GoogleTransport(s, o)): GoogleDeps {
  const options = w.transportOptions();
  slept = options.slept;
  const cursors = new Map<string, string>();
  const log = (level: string) => (fields: Record<string, unknown>, message?: string) => {
    const line = { level, fields, message };
    logs.push(line);
    onLog?.(line);
  };
  return {
    transport: make(settings, options),
    settings,
    cursors: {
      getCursor: async (source, key) => cursors.get(`${source}|${key}`),
      setCursor: async (source, key, value) => void cursors.set(`${source}|${key}`, value),
    },
    logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
    now: () => new Date(w.clock.now()),
  };
}

function senderFor(deps: GoogleDeps): GoogleSender {
  let looks = 0;
  // Settling waits on the simulator's clock, as the transport's own waits do.
  return new GoogleSender(deps, {
    sleep: async (ms) => {
      slept.push(ms);
      w.clock.advance(ms);
      await onSettle?.(++looks);
    },
  });
}

function nudge(item = '<CAK1@mail.millbrook-tc.gov.uk>', extra: Partial<OutgoingMessage> = {}): OutgoingMessage & { key: string } {
  const key = effectKey({ rule: 'bcc-clerk', itemKey: item, recipient: USER.sue, kind: 'nudge' });
  return {
    key,
    from: { name: 'Millbrook Protocol', address: USER.service },
    to: [{ name: 'Cllr Sue Taylor', address: USER.sue }],
    cc: [{ name: 'Helen Ashworth', address: USER.clerk }],
    subject: 'A gentle reminder about the Member/Officer Protocol',
    text: 'Dear Cllr Taylor,\n\nClause 4.2 asks members to copy the Clerk openly rather than blind.\n',
    messageId: effectMessageId(key, DOMAIN),
    headers: effectHeaders(key),
    ...extra,
  };
}

/** Sends Gmail took (a probe with no content is refused with 400 and not counted). */
const sends = (): number => w.sim.requests((r) => r.method === 'POST' && SEND_PATH.test(r.canonicalPath) && r.status === 200).length;
/** Every send request with a message in it that reached the simulator, whatever became of it (the readiness probe, refused with 400, aside). */
const sendTries = (): number => w.sim.requests((r) => r.method === 'POST' && SEND_PATH.test(r.canonicalPath) && r.status !== 400).length;
const sentCopies = (messageId: string) => w.sim.state.messages(USER.service, 'SENT').filter((m) => m.raw.includes(`Message-ID: ${messageId}`));
const inbox = (address: string, messageId: string) => w.sim.state.messages(address, 'INBOX').filter((m) => m.raw.includes(`Message-ID: ${messageId}`));
const searches = () => w.sim.requests((r) => r.method === 'GET' && SERVICE_LIST.test(r.canonicalPath) && new URLSearchParams(r.query).has('q'));

/** Gives the service account exactly these delegated scopes (the Admin console's grant changed). */
function grant(scopes: string[]): void {
  const publicKeyPem = createPublicKey(w.keyJson.private_key).export({ type: 'spki', format: 'pem' }).toString();
  w.sim.addServiceAccount({ clientEmail: CLIENT_EMAIL, publicKeyPem, grants: { scopes } });
}

/**
 * A transport whose Gmail search has not caught up yet: once `lagging`, every `q` also asks for
 * what no message can be (`-in:sent` beside `in:sent`), so searches miss while listing by label works.
 */
class LaggingSearch extends GoogleTransport {
  lagging = false;
  override call<Sdk, R>(client: GoogleClient<Sdk>, what: string, fn: (sdk: Sdk, options: SdkCallOptions) => Promise<R>, options?: CallOptions): Promise<R> {
    if (!this.lagging || client.api !== 'gmail') return super.call(client, what, fn, options);
    return super.call(client, what, (sdk, o) => fn(lagged(sdk as gmail_v1.Gmail) as Sdk, o), options);
  }
}

type ListFn = (params: gmail_v1.Params$Resource$Users$Messages$List, options: SdkCallOptions) => Promise<unknown>;

function lagged(gmail: gmail_v1.Gmail): gmail_v1.Gmail {
  const real = gmail.users.messages;
  const list = (real.list as unknown as ListFn).bind(real);
  const messages = Object.assign(Object.create(real) as object, {
    list: (params: gmail_v1.Params$Resource$Users$Messages$List, o: SdkCallOptions) => list(params.q ? { ...params, q: `${params.q} -in:sent` } : params, o),
  });
  const users = Object.assign(Object.create(gmail.users) as object, { messages });
  return Object.assign(Object.create(gmail) as object, { users }) as gmail_v1.Gmail;
}

beforeEach(async () => {
  w = await startWorkspace();
  logs = [];
  onLog = undefined;
  onSettle = undefined;
});
afterEach(async () => {
  await w.close();
});

describe('sending from the service mailbox', () => {
  it('sends the composed MIME once; the recipients get it without Bcc, marked auto-generated, and Sent holds the copy alreadySent finds', async () => {
    const sender = senderFor(depsFor());
    const m = nudge();
    await sender.send(m);

    expect(w.sim.sentCount(KEY_HEADER, m.key)).toBe(1);
    expect(sends()).toBe(1);
    const record = w.sim.state.sent.at(-1);
    expect(record?.from).toContain(USER.service);
    expect(record?.to.sort()).toEqual([USER.clerk, USER.sue].sort());
    expect(record?.headers['message-id']).toBe(m.messageId);
    expect(record?.headers['auto-submitted']).toBe('auto-generated');

    for (const address of [USER.sue, USER.clerk]) {
      const got = inbox(address, m.messageId);
      expect(got).toHaveLength(1);
      const mime = got[0]?.raw ?? '';
      expect(mime).toMatch(/^Auto-Submitted: auto-generated\r?$/im);
      // The composer folds the long key onto a second line: unfolded, it is the key.
      expect(mime.replace(/\r?\n[ \t]+/g, ' ')).toContain(`X-Wardwatch-Key: ${m.key}\r\n`);
      expect(mime).not.toMatch(/^Bcc:/im);
      expect(mime).toContain(`Subject: ${m.subject}`);
    }
    expect(sentCopies(m.messageId)).toHaveLength(1);
    expect(await sender.alreadySent(m.messageId)).toBe(true);

    // Looked in Sent first (with gmail.readonly), then sent (with gmail.send), each signed in as the service mailbox.
    const q = searches().map((r) => new URLSearchParams(r.query).get('q'));
    expect(q[0]).toBe(`rfc822msgid:${bareMessageId(m.messageId)} in:sent`);
    expect(w.sim.requests((r) => r.api === 'gmail').every((r) => r.user === USER.service)).toBe(true);
    const tokens = w.sim.auth.tokenRequests.filter((t) => t.sub === USER.service && t.ok).map((t) => t.scopes.join(' '));
    expect(tokens.sort()).toEqual([SCOPES.gmailRead, SCOPES.gmailSend].sort());
  });

  it('a first send costs one search, one listing of the newest sent (empty) and one send in Gmail quota units, and nothing is retried', async () => {
    const deps = depsFor();
    await senderFor(deps).send(nudge());
    expect(w.sim.quotaUnits(USER.service)).toBe(5 + 5 + 100);
    expect(deps.transport.quotaUnits(USER.service)).toBe(110);
  });

  it('does not send again a message that is already in Sent (an answer lost before the outbox marked it done)', async () => {
    const sender = senderFor(depsFor());
    const m = nudge();
    await sender.send(m);
    await sender.send(m);
    expect(w.sim.sentCount(KEY_HEADER, m.key)).toBe(1);
    expect(sends()).toBe(1);
    expect(logs.some((l) => l.message?.includes('already in the service mailbox\'s Sent'))).toBe(true);
  });

  it('says a never-sent Message-ID was not sent, and searches with the id as Gmail documents rfc822msgid: (no angle brackets)', async () => {
    const sender = senderFor(depsFor());
    const m = nudge();
    expect(await sender.alreadySent(m.messageId)).toBe(false);
    expect(bareMessageId('<ww-1@x.gov.uk>')).toBe('ww-1@x.gov.uk');
    expect(sentQuery('<ww-1@x.gov.uk>')).toBe('rfc822msgid:ww-1@x.gov.uk in:sent');
    // A copy of the message in the inbox (the service mailbox got it, as a recipient would) is not a sent one.
    await w.sim.deliver(USER.service, ['From: sue.taylor@millbrook-tc.gov.uk', `To: ${USER.service}`, 'Subject: Fwd', `Message-ID: ${m.messageId}`, '', 'Hello', ''].join('\r\n'));
    expect(await sender.alreadySent(m.messageId)).toBe(false);
    expect(searches().map((r) => r.status)).toEqual([200, 200]);
  });

  it('routes to the Clerk with the original attached (message/rfc822), and carries an iMIP part', async () => {
    const sender = senderFor(depsFor());
    const original = ['From: sam.patel@millbrook-tc.gov.uk', 'To: sue.taylor@millbrook-tc.gov.uk', 'Subject: Planning committee papers', 'Message-ID: <orig-1@mail.millbrook-tc.gov.uk>', '', 'See attached.', ''].join('\r\n');
    const key = effectKey({ rule: 'route', itemKey: '<orig-1@mail.millbrook-tc.gov.uk>', recipient: USER.clerk, kind: 'route-to-clerk' });
    const routed: OutgoingMessage = {
      from: { name: 'Millbrook Protocol', address: USER.service },
      to: [{ name: 'Helen Ashworth', address: USER.clerk }],
      subject: 'For the Clerk: Planning committee papers',
      text: 'Wardwatch routed this message to you under clause 7.1.',
      messageId: effectMessageId(key, DOMAIN),
      headers: effectHeaders(key),
      attachments: [{ filename: 'original.eml', contentType: 'message/rfc822', content: Buffer.from(original) }],
      calendar: { method: 'REQUEST', content: 'BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nUID:ev-1@millbrook\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n' },
    };
    await sender.send(routed);
    expect(w.sim.sentCount(KEY_HEADER, key)).toBe(1);
    const mime = inbox(USER.clerk, routed.messageId)[0]?.raw ?? '';
    expect(mime).toMatch(/Content-Type: message\/rfc822/i);
    expect(mime).toContain('Subject: Planning committee papers');
    expect(mime).toMatch(/Content-Type: text\/calendar; ?charset=utf-8; ?method=REQUEST/i);
    expect(await sender.alreadySent(routed.messageId)).toBe(true);
  });
});

describe('a send whose answer is lost', () => {
  it.each([500, 503] as const)('%i after the send went through: found in Sent at the first look, not sent again', async (status) => {
    const sender = senderFor(depsFor());
    const m = nudge();
    w.sim.inject({ kind: 'status', status, when: 'after' }, { path: SEND_PATH, method: 'POST' });
    await sender.send(m);
    expect(w.sim.sentCount(KEY_HEADER, m.key)).toBe(1);
    expect(sendTries()).toBe(1);
    expect(slept.filter((ms) => ms === SETTLE_MS)).toHaveLength(0);
    expect(logs.some((l) => l.message === 'The message is in Sent: it went')).toBe(true);
  });

  it('a connection dropped after the send took effect: sent once', async () => {
    const sender = senderFor(depsFor());
    const m = nudge();
    w.sim.inject({ kind: 'drop', when: 'after' }, { path: SEND_PATH, method: 'POST' });
    await sender.send(m);
    expect(w.sim.sentCount(KEY_HEADER, m.key)).toBe(1);
    expect(w.sim.faults.stats.fired['drop']).toBe(1);
    expect(sendTries()).toBe(1);
  });

  it('a Sent copy indexed late: found at a later look, not sent again', async () => {
    const sender = senderFor(depsFor());
    const m = nudge();
    w.sim.inject({ kind: 'status', status: 503, when: 'after' }, { path: SEND_PATH, method: 'POST' });
    // Gmail has filed the copy but search does not see it yet: hidden at the first look, back at the third.
    let hidden: string | undefined;
    onLog = (line) => {
      if (!line.message?.includes('answer to a send was lost')) return;
      const copy = sentCopies(m.messageId)[0];
      hidden = copy?.raw;
      if (copy) w.sim.state.deleteMessage(USER.service, copy.id);
    };
    onSettle = async (look) => {
      if (look === 2 && hidden !== undefined) await w.sim.deliver(USER.service, hidden, ['SENT']);
    };
    await sender.send(m);
    expect(w.sim.sentCount(KEY_HEADER, m.key)).toBe(1);
    expect(sendTries()).toBe(1);
    expect(slept.filter((ms) => ms === SETTLE_MS)).toHaveLength(2);
  });

  it('a connection dropped before the send took effect looks the same from here: not in Sent after waiting, so held in doubt, not sent twice', async () => {
    const sender = senderFor(depsFor());
    const m = nudge();
    w.sim.inject({ kind: 'drop', when: 'before' }, { path: SEND_PATH, method: 'POST' });
    const err = await sender.send(m).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SendInDoubtError);
    expect((err as Error).message).toContain(m.messageId);
    expect((err as Error).message).toContain('may or may not have gone');
    // The transport did not repeat the send; the sender searched Sent SETTLE_LOOKS times and read the newest sent messages by label.
    expect(sendTries()).toBe(1);
    expect(w.sim.sentCount(KEY_HEADER, m.key)).toBe(0);
    expect(slept.filter((ms) => ms === SETTLE_MS)).toHaveLength(SETTLE_LOOKS - 1);
    expect(searches()).toHaveLength(1 + SETTLE_LOOKS);
    const byLabel = w.sim.requests((r) => SERVICE_LIST.test(r.canonicalPath) && new URLSearchParams(r.query).getAll('labelIds').includes('SENT'));
    // Once before sending (the search found nothing), once after every settling look missed.
    expect(byLabel).toHaveLength(2);
    expect(byLabel.every((r) => new URLSearchParams(r.query).get('maxResults') === String(RECENT_SENT))).toBe(true);

    // Under delivery: at-least-once the outbox tries again; that attempt looks in Sent first, finds nothing, and sends it once.
    await sender.send(m);
    expect(w.sim.sentCount(KEY_HEADER, m.key)).toBe(1);
    expect(sends()).toBe(1);
  });

  it('the copy found by label when search never shows it (the index lagging): it went', async () => {
    let transport: LaggingSearch | undefined;
    const sender = senderFor(depsFor(w.settings(), (settings, options) => (transport = new LaggingSearch(settings, options))));
    const m = nudge();
    w.sim.inject({ kind: 'drop', when: 'after' }, { path: SEND_PATH, method: 'POST' });
    onLog = (line) => {
      if (line.message?.includes('answer to a send was lost') && transport) transport.lagging = true;
    };
    await sender.send(m);
    expect(w.sim.sentCount(KEY_HEADER, m.key)).toBe(1);
    expect(sendTries()).toBe(1);
    expect(slept.filter((ms) => ms === SETTLE_MS)).toHaveLength(SETTLE_LOOKS - 1);
    expect(logs.some((l) => l.message === 'The message is in Sent: it went')).toBe(true);
  });

  it('a restart seconds after a send whose answer was lost: the copy is in SENT but not searchable yet, so alreadySent says sent and nothing goes twice', async () => {
    const m = nudge();
    // Before the restart: the send went through, its answer was lost and the process stopped.
    await senderFor(depsFor()).send(m);
    expect(sends()).toBe(1);
    // After it: a new sender, and Gmail's search index has not caught up with the copy yet.
    let transport: LaggingSearch | undefined;
    const restarted = senderFor(depsFor(w.settings(), (settings, options) => (transport = new LaggingSearch(settings, options))));
    if (transport) transport.lagging = true;
    const searchesBefore = searches().length;
    expect(await restarted.alreadySent(m.messageId)).toBe(true);
    expect(searches().length).toBe(searchesBefore + 1);
    await restarted.send(m);
    expect(w.sim.sentCount(KEY_HEADER, m.key)).toBe(1);
    expect(sends()).toBe(1);
    expect(logs.some((l) => l.message?.includes('already in the service mailbox\'s Sent'))).toBe(true);
    // A message that really was not sent is still not found (search and the newest SENT both miss).
    expect(await restarted.alreadySent(nudge('<CAK2@mail.millbrook-tc.gov.uk>').messageId)).toBe(false);
  });

  it('the mailbox unreadable after a lost answer: tried again later (not in doubt), and that try finds the Sent copy', async () => {
    const sender = senderFor(depsFor());
    const m = nudge();
    w.sim.inject({ kind: 'drop', when: 'after' }, { path: SEND_PATH, method: 'POST' });
    onLog = (line) => {
      // Every look (each retried by the transport six times) meets a 503.
      if (line.message?.includes('answer to a send was lost')) w.sim.inject({ kind: 'status', status: 503 }, { path: SERVICE_LIST, method: 'GET', times: 6 * SETTLE_LOOKS });
    };
    const err = await sender.send(m).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(SendInDoubtError);
    expect((err as Error).message).toContain('looks in Sent');
    onLog = undefined;
    await sender.send(m);
    expect(w.sim.sentCount(KEY_HEADER, m.key)).toBe(1);
    expect(sendTries()).toBe(1);
  });
});

describe('rate limits and refusals of the message', () => {
  it.each([
    ['429', { kind: 'status', status: 429, retryAfterSeconds: 7 }],
    ['403 userRateLimitExceeded', { kind: 'status', status: 403, reason: 'userRateLimitExceeded', retryAfterSeconds: 7 }],
    ['403 rateLimitExceeded', { kind: 'status', status: 403, reason: 'rateLimitExceeded', retryAfterSeconds: 7 }],
  ] as const)('%s on the send: waits as asked and sends once', async (_name, fault) => {
    const sender = senderFor(depsFor());
    const m = nudge();
    w.sim.inject(fault, { path: SEND_PATH, method: 'POST' });
    await sender.send(m);
    expect(w.sim.sentCount(KEY_HEADER, m.key)).toBe(1);
    expect(slept).toContain(7000);
    expect(sendTries()).toBe(2);
    expect(sender.problem()).toBeUndefined();
  });

  it('Gmail\'s daily sending limit (429 "Retry after <time>"): the outbox is held until that time, not burnt, then sending resumes', async () => {
    const sender = senderFor(depsFor());
    expect(await sender.readiness()).toBeUndefined();
    const m = nudge();
    const until = new Date(w.clock.now() + 6 * 3600_000).toISOString();
    w.sim.inject({ kind: 'status', status: 429, message: `User-rate limit exceeded.  Retry after ${until} (Mail sending)` }, { path: SEND_PATH, method: 'POST' });
    const err = await sender.send(m).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(PermanentEffectError);
    expect(err).not.toBeInstanceOf(SendInDoubtError);
    expect((err as Error).message).toMatch(/^Not sent: /);
    // No wait of hours inside the call: one try, then held.
    expect(sendTries()).toBe(1);
    expect(slept.every((ms) => ms <= 5 * 60_000)).toBe(true);
    const problem = sender.problem();
    expect(problem?.reason).toContain(until);
    expect(problem?.reason).toContain(USER.service);
    expect(await sender.readiness()).toBe(problem?.reason);
    // Asked meanwhile (the outbox should not, being held), nothing is tried.
    await expect(sender.send(m)).rejects.toThrow(/^Not sent: /);
    expect(sendTries()).toBe(1);

    w.clock.advance(6 * 3600_000 + 1000);
    expect(await sender.readiness()).toBeUndefined();
    expect(sender.problem()).toBeUndefined();
    await sender.send(m);
    expect(w.sim.sentCount(KEY_HEADER, m.key)).toBe(1);
  });

  it('a message Gmail refuses as a bad request is given up for good', async () => {
    const sender = senderFor(depsFor());
    // A recipient with no address leaves the message without a To field: Gmail answers 400 "Recipient address required".
    const m = nudge('<bad@x>', { to: [{ name: 'Nobody', address: '' }], cc: [] });
    const err = await sender.send(m).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentEffectError);
    expect((err as Error).message).toContain('for good');
    expect((err as Error).message).toContain('Recipient address required');
    // Refused once, not tried again.
    expect(w.sim.requests((r) => SEND_PATH.test(r.canonicalPath)).map((r) => r.status)).toEqual([400]);
    expect(sender.problem()).toBeUndefined();
  });
});

describe('a refused grant', () => {
  it('gmail.send missing from the delegation: problem() names the Admin-console grant, readiness() holds the outbox and checks again every 15 minutes without sending', async () => {
    grant([SCOPES.gmailRead, SCOPES.calendar]);
    const sender = senderFor(depsFor());
    const reason = await sender.readiness();
    expect(reason).toBeDefined();
    expect(reason).toContain(USER.service);
    expect(reason).toContain(SCOPES.gmailSend);
    expect(reason).toContain(DELEGATION_PAGE);
    expect(reason).toContain(`client ID ${CLIENT_ID}`);
    expect(reason).toContain(`exactly these OAuth scopes: ${ALL_SCOPES.join(',')}`);
    expect(reason).toContain('unauthorized_client');
    expect(reason).toContain('every 15 minutes');
    const problem = sender.problem();
    expect(problem?.reason).toBe(reason);

    // A message tried while held is not even looked for.
    const m = nudge();
    const before = w.sim.requests().length;
    await expect(sender.send(m)).rejects.toThrow(/^Not sent: /);
    expect(await sender.readiness()).toBe(reason);
    expect(w.sim.requests().length).toBe(before);

    // Checked again a quarter of an hour later: still refused, still the same problem since the same time.
    w.clock.advance(15 * 60_000);
    expect(await sender.readiness()).toBeDefined();
    expect(w.sim.requests().length).toBeGreaterThan(before);
    expect(sender.problem()?.since).toBe(problem?.since);

    // The Clerk's IT contractor adds the scope: the next check lets the outbox go, and nothing was sent meanwhile.
    grant(ALL_SCOPES);
    w.clock.advance(15 * 60_000);
    expect(await sender.readiness()).toBeUndefined();
    expect(sender.problem()).toBeUndefined();
    expect(w.sim.sentCount(KEY_HEADER, m.key)).toBe(0);
    expect(sends()).toBe(0);
    await sender.send(m);
    expect(w.sim.sentCount(KEY_HEADER, m.key)).toBe(1);
  });

  it('the gmail.send grant withdrawn while running: the send is refused, not burnt, and the outbox is held', async () => {
    const sender = senderFor(depsFor());
    expect(await sender.readiness()).toBeUndefined();
    await sender.send(nudge('<first@x>'));
    grant([SCOPES.gmailRead, SCOPES.calendar]);
    // Google stops honouring the old tokens; signing in afresh is refused for gmail.send.
    w.sim.auth.revokeAll();
    const m = nudge();
    const err = await sender.send(m).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(PermanentEffectError);
    expect(err).not.toBeInstanceOf(SendInDoubtError);
    expect((err as Error).message).toMatch(/^Not sent: /);
    expect(sender.problem()?.reason).toContain(SCOPES.gmailSend);
    expect(await sender.readiness()).toBeDefined();
    expect(w.sim.sentCount(KEY_HEADER, m.key)).toBe(0);
  });

  it('403 insufficientPermissions on the send: names gmail.send, holds, and lets go once the scope works', async () => {
    // A transport whose send client carries only gmail.readonly stands in for a token without gmail.send.
    let broken = true;
    class ScopeLosing extends GoogleTransport {
      override gmail(user: string, access: GmailAccess = 'read'): GmailClient {
        return super.gmail(user, broken ? 'read' : access);
      }
    }
    const sender = senderFor(depsFor(w.settings(), (s, o) => new ScopeLosing(s, o)));
    const m = nudge();
    await expect(sender.send(m)).rejects.toThrow(/^Not sent: /);
    const reason = sender.problem()?.reason ?? '';
    expect(reason).toContain('403 insufficientPermissions');
    expect(reason).toContain(SCOPES.gmailSend);
    expect(reason).toContain(DELEGATION_PAGE);
    expect(await sender.readiness()).toBe(reason);
    w.clock.advance(15 * 60_000);
    expect(await sender.readiness()).toBe(reason);
    broken = false;
    w.clock.advance(15 * 60_000);
    expect(await sender.readiness()).toBeUndefined();
    await sender.send(m);
    expect(w.sim.sentCount(KEY_HEADER, m.key)).toBe(1);
  });

  it('gmail.readonly missing: says Sent cannot be searched before sending, and names that scope', async () => {
    grant([SCOPES.gmailSend, SCOPES.calendar]);
    const sender = senderFor(depsFor());
    const m = nudge();
    await expect(sender.send(m)).rejects.toThrow(/^Not sent: /);
    const reason = sender.problem()?.reason ?? '';
    expect(reason).toContain(SCOPES.gmailRead);
    expect(reason).toContain('looks in before each send');
    expect(reason).not.toContain(`scope ${SCOPES.gmailSend}`);
    expect(sends()).toBe(0);
    expect(await sender.readiness()).toBe(reason);
  });

  it('a service address Google does not know: says so, and holds', async () => {
    const settings = w.settings({}, { serviceAddress: 'protocol-typo@millbrook-tc.gov.uk' });
    const sender = senderFor(depsFor(settings));
    const reason = await sender.readiness();
    expect(reason).toContain('protocol-typo@millbrook-tc.gov.uk');
    expect(reason).toContain('does not know the user');
    await expect(sender.send(nudge())).rejects.toThrow(/^Not sent: /);
  });

  it('a good grant is ready at once, and the check sends nothing', async () => {
    const sender = senderFor(depsFor());
    expect(await sender.readiness()).toBeUndefined();
    expect(sender.problem()).toBeUndefined();
    expect(w.sim.state.sent).toHaveLength(0);
    // The probe is a send with no content, which Gmail refuses as a bad request once the grant is there.
    expect(w.sim.requests((r) => SEND_PATH.test(r.canonicalPath)).map((r) => r.status)).toEqual([400]);
  });

  it('Google out of reach at the check says nothing about the grant: nothing is held', async () => {
    w.sim.inject({ kind: 'status', status: 503 }, { path: '/profile', method: 'GET', times: 6 });
    const sender = senderFor(depsFor());
    expect(await sender.readiness()).toBeUndefined();
    expect(logs.some((l) => l.message === 'Google could not be reached to check sending')).toBe(true);
  });
});

describe('earlier sending', () => {
  it('says nothing for an empty Sent or one without Wardwatch mail, and says so once Wardwatch has sent', async () => {
    const sender = senderFor(depsFor());
    expect(await sender.earlierSending()).toBeUndefined();
    await w.sim.deliver(USER.service, ['From: protocol@millbrook-tc.gov.uk', `To: ${USER.clerk}`, 'Subject: Hand-written', `Message-ID: <CAhand-1@${DOMAIN}>`, '', 'Hello', ''].join('\r\n'), ['SENT']);
    // Wardwatch's kind of Message-ID in the inbox is not sending.
    await w.sim.deliver(USER.service, ['From: sue.taylor@millbrook-tc.gov.uk', `To: ${USER.service}`, 'Subject: Re', `Message-ID: ${nudge('<in@x>').messageId}`, '', 'Hi', ''].join('\r\n'));
    expect(await sender.earlierSending()).toBeUndefined();
    await sender.send(nudge());
    const said = await sender.earlierSending();
    expect(said).toContain(USER.service);
    expect(said).toContain('1 message');
  });

  it('reads at most the newest hundred sent messages, by their Message-ID header only', async () => {
    for (let i = 0; i < 120; i++) {
      await w.sim.deliver(USER.service, ['From: protocol@millbrook-tc.gov.uk', `To: ${USER.clerk}`, `Subject: Hand-written ${i}`, `Message-ID: <CAhand-${i}@${DOMAIN}>`, '', 'Hello', ''].join('\r\n'), ['SENT']);
    }
    const sender = senderFor(depsFor());
    expect(await sender.earlierSending()).toBeUndefined();
    const gets = w.sim.requests((r) => /\/messages\/[^/]+$/.test(r.canonicalPath) && !SEND_PATH.test(r.canonicalPath));
    expect(gets).toHaveLength(100);
    expect(gets.every((r) => new URLSearchParams(r.query).get('format') === 'metadata' && new URLSearchParams(r.query).getAll('metadataHeaders').join() === 'Message-ID')).toBe(true);
  });
});
