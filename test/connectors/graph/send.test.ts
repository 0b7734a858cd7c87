/**
 * The Graph sender against the simulator: a message composed by the shared composer, drafted
 * from MIME in the service mailbox and sent from there exactly once — counted by its effect key
 * in the simulator's sent log — under a lost answer (503 after the send, a dropped connection
 * before or after it), throttling, a crash between draft and send, and a refused permission or
 * sign-in, which holds the outbox instead of burning its messages.
 */
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GraphDeps } from '../../../connectors/graph/deps.js';
import { GraphSender, odataString, SETTLE_MS } from '../../../connectors/graph/send.js';
import { GraphTransport } from '../../../connectors/graph/transport.js';
import { composeMessage } from '../../../src/mime/compose.js';
import { effectHeaders, effectKey, effectMessageId, KEY_HEADER } from '../../../src/outbox/idempotency.js';
import { SendInDoubtError } from '../../../src/outbox/outbox.js';
import type { OutgoingMessage } from '../../../src/sources/types.js';
import { readCsdl, schemaProblems, type Fault } from '../../graph-sim/index.js';
import { MB, SECRET, startTenant, type Tenant } from './sim-setup.js';

const DOMAIN = 'millbrook-tc.gov.uk';
const SEND_PATH = /\/messages\/[^/]+\/send$/;

interface LogLine {
  level: string;
  fields: Record<string, unknown>;
  message: string | undefined;
}

let t: Tenant;
let slept: number[];
let logs: LogLine[];
/** Runs when the sender logs a line (a test's hook into the moment between two of its steps). */
let onLog: ((line: LogLine) => void) | undefined;

function depsFor(settings = t.settings()): GraphDeps {
  const options = t.transportOptions();
  slept = options.slept;
  const cursors = new Map<string, string>();
  const log = (level: string) => (fields: Record<string, unknown>, message?: string) => {
    const line = { level, fields, message };
    logs.push(line);
    onLog?.(line);
  };
  return {
    transport: new GraphTransport(settings, options),
    settings,
    cursors: {
      getCursor: async (source, key) => cursors.get(`${source}|${key}`),
      setCursor: async (source, key, value) => void cursors.set(`${source}|${key}`, value),
    },
    logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
    now: () => new Date(t.clock.now()),
  };
}

function senderFor(deps: GraphDeps): GraphSender {
  // Settling waits on the simulator's clock, as the transport's own waits do.
  return new GraphSender(deps, { sleep: async (ms) => { slept.push(ms); t.clock.advance(ms); } });
}

function nudge(item = '<CAK1@mail.millbrook-tc.gov.uk>', extra: Partial<OutgoingMessage> = {}): OutgoingMessage & { key: string } {
  const key = effectKey({ rule: 'bcc-clerk', itemKey: item, recipient: MB.sue, kind: 'nudge' });
  return {
    key,
    from: { name: 'Millbrook Protocol', address: MB.service },
    to: [{ name: 'Cllr Sue Taylor', address: MB.sue }],
    subject: 'A gentle reminder about the Member/Officer Protocol',
    text: 'Dear Cllr Taylor,\n\nClause 4.2 asks members to copy the Clerk openly rather than blind.\n',
    messageId: effectMessageId(key, DOMAIN),
    headers: effectHeaders(key),
    ...extra,
  };
}

const sends = (): number => t.sim.requests((r) => r.method === 'POST' && SEND_PATH.test(r.canonicalPath)).length;
const drafts = (): number => t.sim.state.messagesIn(MB.service, 'drafts').length;
const inbox = (address: string, messageId: string) => t.sim.state.messagesIn(address, 'inbox').filter((m) => m.json.internetMessageId === messageId);

/** A 403 as Graph gives it when the app lacks a permission or the mailbox is outside its scope. */
const FORBIDDEN: Fault = { kind: 'status', status: 403 };

beforeEach(async () => {
  t = await startTenant();
  logs = [];
  onLog = undefined;
});
afterEach(async () => {
  await t.close();
});

describe('sending from the service mailbox', () => {
  it('drafts the composed MIME, sends it once, and the recipient gets it without Bcc and marked auto-generated', async () => {
    const sender = senderFor(depsFor());
    const m = nudge();
    await sender.send(m);

    expect(t.sim.sentCount(KEY_HEADER, m.key)).toBe(1);
    expect(sends()).toBe(1);
    expect(drafts()).toBe(0);
    const draftPosts = t.sim.requests((r) => r.method === 'POST' && r.canonicalPath === `/users/${MB.service}/messages`);
    expect(draftPosts).toHaveLength(1);
    expect(t.sim.requests().every((r) => r.mailbox === undefined || r.headers['prefer']?.includes('IdType="ImmutableId"'))).toBe(true);

    const got = inbox(MB.sue, m.messageId);
    expect(got).toHaveLength(1);
    const mime = got[0]?.mime ?? '';
    expect(mime).toMatch(/^Auto-Submitted: auto-generated\r?$/im);
    // The composer folds the long key onto a second line: unfolded, it is the key.
    expect(mime.replace(/\r?\n[ \t]+/g, ' ')).toContain(`X-Wardwatch-Key: ${m.key}\r\n`);
    expect(mime).not.toMatch(/^Bcc:/im);
    expect(got[0]?.json.subject).toBe(m.subject);

    const sentCopy = t.sim.state.messagesIn(MB.service, 'sentitems');
    expect(sentCopy.map((c) => c.json.internetMessageId)).toEqual([m.messageId]);
    expect(await sender.alreadySent(m.messageId)).toBe(true);
  });

  it('does not send again a message that is already in Sent Items (an answer lost before the outbox marked it done)', async () => {
    const sender = senderFor(depsFor());
    const m = nudge();
    await sender.send(m);
    await sender.send(m);
    expect(t.sim.sentCount(KEY_HEADER, m.key)).toBe(1);
    expect(sends()).toBe(1);
    expect(drafts()).toBe(0);
  });

  it('says a never-sent Message-ID was not sent, with a quote in it escaped as OData wants', async () => {
    const sender = senderFor(depsFor());
    expect(await sender.alreadySent(nudge().messageId)).toBe(false);
    expect(await sender.alreadySent(`<o'brien-1@${DOMAIN}>`)).toBe(false);
    expect(odataString("<o'brien@x>")).toBe("'<o''brien@x>'");
    const looked = t.sim.requests((r) => r.canonicalPath === `/users/${MB.service}/mailFolders/sentitems/messages`);
    expect(looked.map((r) => r.status)).toEqual([200, 200]);
    expect(new URLSearchParams(looked[1]?.query ?? '').get('$filter')).toBe("internetMessageId eq '<o''brien-1@millbrook-tc.gov.uk>'");
  });

  it('routes to the Clerk with the original attached, and carries an iMIP part', async () => {
    const sender = senderFor(depsFor());
    const original = ['From: sam.patel@millbrook-tc.gov.uk', 'To: sue.taylor@millbrook-tc.gov.uk', 'Subject: Planning committee papers', 'Message-ID: <orig-1@mail.millbrook-tc.gov.uk>', '', 'See attached.', ''].join('\r\n');
    const key = effectKey({ rule: 'route', itemKey: '<orig-1@mail.millbrook-tc.gov.uk>', recipient: MB.clerk, kind: 'route-to-clerk' });
    const routed: OutgoingMessage = {
      from: { name: 'Millbrook Protocol', address: MB.service },
      to: [{ name: 'Helen Ashworth', address: MB.clerk }],
      subject: 'For the Clerk: Planning committee papers',
      text: 'Wardwatch routed this message to you under clause 7.1.',
      messageId: effectMessageId(key, DOMAIN),
      headers: effectHeaders(key),
      attachments: [{ filename: 'original.eml', contentType: 'message/rfc822', content: Buffer.from(original) }],
      calendar: { method: 'REQUEST', content: 'BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nUID:ev-1@millbrook\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n' },
    };
    await sender.send(routed);
    expect(t.sim.sentCount(KEY_HEADER, key)).toBe(1);
    const mime = inbox(MB.clerk, routed.messageId)[0]?.mime ?? '';
    expect(mime).toMatch(/Content-Type: message\/rfc822/i);
    expect(mime).toContain('Subject: Planning committee papers');
    expect(mime).toMatch(/Content-Type: text\/calendar; ?charset=utf-8; ?method=REQUEST/i);
  });

  it('only selects properties the v1.0 message type declares', () => {
    const types = readCsdl(readFileSync(new URL('../../../../shared/graph/v1.0-Prod.csdl', import.meta.url), 'utf8'));
    expect(schemaProblems(types, 'graph.message', { id: 'x', internetMessageId: '<a@b>', isDraft: true }, 'message', new Set(['graph.message']))).toEqual([]);
    expect(schemaProblems(types, 'graph.message', { sentDateTime: '2027-04-12T09:00:00Z' }, 'message', new Set(['graph.message']))).toEqual([]);
  });
});

describe('a send whose answer is lost', () => {
  it('503 after the send went through: found in Sent Items, not sent again', async () => {
    const sender = senderFor(depsFor());
    const m = nudge();
    t.sim.inject({ kind: 'status', status: 503, when: 'after' }, { path: SEND_PATH, method: 'POST' });
    await sender.send(m);
    expect(t.sim.sentCount(KEY_HEADER, m.key)).toBe(1);
    expect(sends()).toBe(1);
    expect(t.sim.faults.stats.earlyRetries).toBe(0);
  });

  it('a connection dropped before the send took effect: still in Drafts, so not sent now; the next attempt sends it, once', async () => {
    const sender = senderFor(depsFor());
    const m = nudge();
    t.sim.inject({ kind: 'drop', when: 'before' }, { path: SEND_PATH, method: 'POST' });
    // Exchange may still be taking a message whose answer was lost: nothing is sent again at once.
    await expect(sender.send(m)).rejects.toThrow(/still in Drafts/);
    expect(t.sim.sentCount(KEY_HEADER, m.key)).toBe(0);
    expect(drafts()).toBe(1);
    // It waited for a Sent Items copy before deciding.
    expect(slept.filter((ms) => ms === SETTLE_MS)).toHaveLength(2);
    // The outbox's next attempt (a minute on at least) looks first, finds the draft unsent, and sends it.
    await sender.send(m);
    expect(t.sim.sentCount(KEY_HEADER, m.key)).toBe(1);
    expect(t.sim.faults.stats.fired['drop']).toBe(1);
    expect(drafts()).toBe(0);
  });

  it('a connection dropped after the send took effect: sent once', async () => {
    const sender = senderFor(depsFor());
    const m = nudge();
    t.sim.inject({ kind: 'drop', when: 'after' }, { path: SEND_PATH, method: 'POST' });
    await sender.send(m);
    expect(t.sim.sentCount(KEY_HEADER, m.key)).toBe(1);
    expect(t.sim.faults.stats.fired['drop']).toBe(1);
    expect(drafts()).toBe(0);
  });

  it('the draft gone and no Sent Items copy after waiting: held in doubt, not sent twice', async () => {
    const sender = senderFor(depsFor());
    const m = nudge();
    t.sim.inject({ kind: 'drop', when: 'after' }, { path: SEND_PATH, method: 'POST' });
    // Exchange has not filed the Sent Items copy (or someone removed it) when the sender looks.
    onLog = (line) => {
      if (line.message?.includes('answer to a send was lost')) {
        for (const copy of t.sim.state.messagesIn(MB.service, 'sentitems')) t.sim.state.deleteMessage(MB.service, copy.json.id);
      }
    };
    await expect(sender.send(m)).rejects.toBeInstanceOf(SendInDoubtError);
    expect(t.sim.sentCount(KEY_HEADER, m.key)).toBe(1);
    expect(sends()).toBe(1);
    expect(slept.filter((ms) => ms === SETTLE_MS)).toHaveLength(2);
  });

  it('the mailbox unreadable after a lost answer: tried again later, and that try finds the Sent Items copy', async () => {
    const sender = senderFor(depsFor());
    const m = nudge();
    t.sim.inject({ kind: 'drop', when: 'after' }, { path: SEND_PATH, method: 'POST' });
    onLog = (line) => {
      // Every look (each retried by the transport six times) meets a 503.
      if (line.message?.includes('answer to a send was lost')) t.sim.inject({ kind: 'status', status: 503 }, { path: new RegExp(`^/users/${MB.service}/messages$`), method: 'GET', times: 18 });
    };
    const err = await sender.send(m).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(SendInDoubtError);
    expect((err as Error).message).toContain('looks in Sent Items');
    onLog = undefined;
    await sender.send(m);
    expect(t.sim.sentCount(KEY_HEADER, m.key)).toBe(1);
    expect(sends()).toBe(1);
    expect(t.sim.faults.stats.earlyRetries).toBe(0);
  });

  it('a draft created but its answer lost: the draft is found and used, never made twice', async () => {
    const sender = senderFor(depsFor());
    const m = nudge();
    t.sim.inject({ kind: 'drop', when: 'after' }, { path: new RegExp(`^/users/${MB.service}/messages$`), method: 'POST' });
    await sender.send(m);
    expect(t.sim.requests((r) => r.method === 'POST' && r.canonicalPath === `/users/${MB.service}/messages`)).toHaveLength(1);
    expect(t.sim.sentCount(KEY_HEADER, m.key)).toBe(1);
    expect(drafts()).toBe(0);
  });
});

describe('throttling and crashes', () => {
  it('429 on the send: waits as asked and sends once, never early', async () => {
    const sender = senderFor(depsFor());
    const m = nudge();
    t.sim.inject({ kind: 'status', status: 429, retryAfter: { seconds: 7 } }, { path: SEND_PATH, method: 'POST' });
    await sender.send(m);
    expect(t.sim.sentCount(KEY_HEADER, m.key)).toBe(1);
    expect(slept).toContain(7000);
    expect(t.sim.faults.stats.earlyRetries).toBe(0);
    expect(sends()).toBe(2);
  });

  /** What a crashed attempt leaves: the composed message in Drafts, drafted as the sender drafts it, not sent. */
  async function leftDraft(deps: GraphDeps, m: OutgoingMessage): Promise<string> {
    const mime = (await composeMessage(m, { date: deps.now() })).toString('base64');
    const res = await deps.transport.request({ mailbox: MB.service, method: 'POST', url: `/users/${MB.service}/messages`, headers: { Prefer: 'IdType="ImmutableId"' }, text: { contentType: 'text/plain', body: mime }, retry: 'unsafe' });
    return (JSON.parse(res.text) as { id: string }).id;
  }
  const draftPosts = () => t.sim.requests((r) => r.method === 'POST' && r.canonicalPath === `/users/${MB.service}/messages`).length;

  it('a crash between drafting and sending: the draft left behind is sent, one draft, one send', async () => {
    const deps = depsFor();
    const m = nudge();
    await leftDraft(deps, m);
    expect(drafts()).toBe(1);
    const sender = senderFor(deps);
    expect(await sender.alreadySent(m.messageId)).toBe(false);
    await sender.send(m);
    expect(t.sim.sentCount(KEY_HEADER, m.key)).toBe(1);
    expect(sends()).toBe(1);
    expect(drafts()).toBe(0);
    // No second draft was made.
    expect(draftPosts()).toBe(1);
    expect(await sender.alreadySent(m.messageId)).toBe(true);
  });

  it('two drafts of one message (two cut-off attempts): one is sent and the other deleted', async () => {
    const deps = depsFor();
    const m = nudge();
    await leftDraft(deps, m);
    const second = await leftDraft(deps, m);
    await senderFor(deps).send(m);
    expect(t.sim.sentCount(KEY_HEADER, m.key)).toBe(1);
    expect(sends()).toBe(1);
    expect(draftPosts()).toBe(2);
    expect(t.sim.requests((r) => r.method === 'DELETE' && r.canonicalPath === `/users/${MB.service}/messages/${second}`)).toHaveLength(1);
    expect(drafts()).toBe(0);
  });
});

describe('refused permission or sign-in', () => {
  it('403 on the send: explains Mail.Send and the RBAC scope, holds the outbox, checks again every 15 minutes without sending', async () => {
    const sender = senderFor(depsFor());
    expect(await sender.readiness()).toBeUndefined();
    const m = nudge();
    // Refused for the message, and again at the first check a quarter of an hour later.
    t.sim.inject(FORBIDDEN, { path: SEND_PATH, method: 'POST', times: 2 });
    const err = await sender.send(m).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(SendInDoubtError);
    expect((err as Error).message).toMatch(/^Not sent: /);
    expect(err).not.toHaveProperty('name', 'PermanentEffectError');
    const problem = sender.problem();
    expect(problem?.reason).toContain('Mail.Send');
    expect(problem?.reason).toContain('RBAC for Applications management scope');
    expect(problem?.reason).toContain(MB.service);
    expect(await sender.readiness()).toBe(problem?.reason);
    expect(t.sim.sentCount(KEY_HEADER, m.key)).toBe(0);
    expect(drafts()).toBe(1);

    // A message tried while held is not even drafted.
    await expect(sender.send(nudge('<other@x>'))).rejects.toThrow(/^Not sent: /);
    expect(drafts()).toBe(1);
    const before = t.sim.requests().length;
    expect(await sender.readiness()).toBeDefined();
    expect(t.sim.requests().length).toBe(before);

    t.clock.advance(15 * 60_000);
    expect(await sender.readiness()).toBeDefined();
    expect(sender.problem()?.since).toBe(problem?.since);

    t.clock.advance(15 * 60_000);
    expect(await sender.readiness()).toBeUndefined();
    expect(sender.problem()).toBeUndefined();
    expect(t.sim.sentCount(KEY_HEADER, m.key)).toBe(0);

    await sender.send(m);
    expect(t.sim.sentCount(KEY_HEADER, m.key)).toBe(1);
    expect(drafts()).toBe(0);
  });

  it('403 on the service mailbox itself: explains Mail.ReadWrite and the scope', async () => {
    const sender = senderFor(depsFor());
    t.sim.inject(FORBIDDEN, { path: new RegExp(`^/users/${MB.service}/messages$`), method: 'GET' });
    await expect(sender.send(nudge())).rejects.toThrow(/^Not sent: /);
    expect(sender.problem()?.reason).toContain('Mail.ReadWrite');
    expect(sender.problem()?.reason).toContain('management scope');
    expect(await sender.readiness()).toBeDefined();
    t.clock.advance(15 * 60_000);
    expect(await sender.readiness()).toBeUndefined();
  });

  it('a refused sign-in holds sending and says which setting to change', async () => {
    const settings = t.settings({ certificatePath: undefined, clientSecret: '${S}' }, {}, { S: 'not-the-secret' });
    const sender = senderFor(depsFor(settings));
    const reason = await sender.readiness();
    expect(reason).toContain('AADSTS7000215');
    expect(reason).not.toContain('not-the-secret');
    expect(sender.problem()?.reason).toBe(reason);
    await expect(sender.send(nudge())).rejects.toThrow(/^Not sent: /);
    expect(t.sim.sentCount(KEY_HEADER, nudge().key)).toBe(0);
  });

  it('a good sign-in is ready at once', async () => {
    const settings = t.settings({ certificatePath: undefined, clientSecret: '${S}' }, {}, { S: SECRET });
    const sender = senderFor(depsFor(settings));
    expect(await sender.readiness()).toBeUndefined();
    expect(sender.problem()).toBeUndefined();
  });
});

describe('earlier sending', () => {
  it('says nothing for an empty Sent Items or one without Wardwatch mail, and says so once Wardwatch has sent', async () => {
    const sender = senderFor(depsFor());
    expect(await sender.earlierSending()).toBeUndefined();
    await t.sim.deliver(MB.service, 'sentitems', ['From: protocol@millbrook-tc.gov.uk', `To: ${MB.clerk}`, 'Subject: Hand-written', `Message-ID: <CAhand-1@${DOMAIN}>`, '', 'Hello', ''].join('\r\n'));
    expect(await sender.earlierSending()).toBeUndefined();
    await sender.send(nudge());
    const said = await sender.earlierSending();
    expect(said).toContain(MB.service);
    expect(said).toContain('1 message');
  });
});
