/**
 * Issue 16, a mixed council: one mailbox on Google Workspace (the Google simulator), one on hosted
 * mail (a real Dovecot), read by one running service. An officer on Google writes to a councillor
 * on the other host with another councillor in Bcc: the officer's SENT copy (with the Bcc) is read
 * through Gmail, the councillor's delivered copy (without it) through IMAP. Read in either order,
 * the two copies are one item, judged once: one no-blind-copies finding, one nudge, and one
 * message in the officer's INBOX (counted by its X-Wardwatch-Key header).
 *
 * The service's clock is Monday 12 April 2027, 09:00 in Millbrook; the servers keep real time.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { z } from 'zod';
import type { CommandOutput } from '../../src/cli/output.js';
import { setupEngine } from '../../src/cli/engine-setup.js';
import { runValidate } from '../../src/cli/validate.js';
import { effectKey } from '../../src/outbox/idempotency.js';
import { MailSummarySchema } from '../../src/service/item-memory.js';
import { assembleService, type AssembledService } from '../../src/service/assemble.js';
import type { HealthReport } from '../../src/service/health.js';
import { createLogger } from '../../src/service/logger.js';
import type { MailItem } from '../../src/items/types.js';
import { A } from '../support/council.js';
import { inboxWithKey, sentWithKey } from './google-council.js';
import { composeMail, folderMessages, waitFor } from './imap-council.js';
import { RAJ_PASSWORD_VARIABLE, startMixedGoogleCouncil, type MixedGoogleCouncil } from './mixed-council-google-setup.js';

/** A line of the service's log, as far as counting judgements needs it. */
const LogLine = z.object({ item: z.unknown(), msg: z.string() });

const START = Date.parse('2027-04-12T08:00:00.000Z'); // 09:00 in Millbrook, a Monday
/** Generous: two servers and the service share a small, busy machine. */
const WAIT_MS = 30_000;

function recorder(): CommandOutput & { stdout: string; stderr: string } {
  const rec = {
    stdout: '',
    stderr: '',
    out(text: string) {
      rec.stdout += text;
    },
    err(text: string) {
      rec.stderr += text;
    },
  };
  return rec;
}

let council: MixedGoogleCouncil;
let running: AssembledService;
let logFile: string;
let port = 0;
let offsetMs = 0;
const clock = (): Date => new Date(Date.now() + offsetMs);
let serial = 0;
const messageId = (what: string): string => `<${what}-${++serial}-${Date.now()}@millbrook-tc.gov.uk>`;

async function health(): Promise<HealthReport> {
  return (await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as HealthReport;
}

function sourceStates(report: HealthReport): string[][] {
  return report.sources.map((s) => [s.source, s.state]).sort();
}

/** What the service remembers of the message (every copy it has read), from the state store. */
async function remembered(id: string): Promise<MailItem | undefined> {
  const summary = await running.store.getItemMemory('mail', id);
  if (summary === undefined) return undefined;
  return MailSummarySchema.parse(JSON.parse(summary));
}

/** Where the service has read copies of the message: "mailbox:folder", sorted. */
async function copiesOf(id: string): Promise<string[]> {
  return ((await remembered(id))?.copies ?? []).map((c) => `${c.mailbox}:${c.folder}`).sort();
}

/**
 * How many times the pipeline has finished with the message (judged it, or found it unchanged):
 * logged after its findings and effects are recorded, so once this counts a copy, the effects that
 * copy leads to are in the store.
 */
function timesJudged(id: string): number {
  let n = 0;
  for (const line of readFileSync(logFile, 'utf8').split('\n')) {
    if (!line.includes('"item"')) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      continue; // a line still being written: counted on the next look
    }
    const entry = LogLine.safeParse(parsed);
    if (entry.success && entry.data.item === id && /^(item judged|unchanged since)/.test(entry.data.msg)) n += 1;
  }
  return n;
}

/** Both copies of the message: Sam's SENT copy (with the Bcc) and Raj's delivered copy (without). */
function bccMail(id: string, subject: string): { sentCopy: string; delivered: string } {
  const mail = composeMail({
    messageId: id,
    from: 'sam',
    to: ['raj'],
    bcc: ['sue'],
    subject,
    body: 'Dear Cllr Mehta,\r\n\r\nThe new bins for Mill Lane will be installed on Thursday morning, as you asked.\r\n\r\nKind regards,\r\nSam Patel',
    date: clock(),
  });
  return { sentCopy: mail.sentCopy, delivered: mail.submitted };
}

/** Sam's copy, as Gmail keeps a sent message: labelled SENT, the Bcc field kept. */
async function sentCopyToGoogle(sentCopy: string): Promise<void> {
  expect(sentCopy).toMatch(/^Bcc:.*sue\.taylor@millbrook-tc\.gov\.uk/im);
  await council.sim.deliver(A.sam, sentCopy, ['SENT']);
}

/** Raj's copy, delivered into his Dovecot INBOX over LMTP as Postfix would deliver it. */
async function deliveredCopyToDovecot(id: string, delivered: string): Promise<void> {
  await council.stack.deliver(delivered, [A.raj]);
  // The delivered copy carries no Bcc: what the IMAP connector reads says nothing of Sue.
  const copies = (await folderMessages(council.stack, 'raj')).map((b) => b.toString('utf8')).filter((m) => m.includes(id));
  expect(copies).toHaveLength(1);
  expect(copies[0]).not.toMatch(/^Bcc:/im);
}

/** Everything the test asks of the message once both copies have been read and the outbox has run. */
async function expectOneItemOneNudge(id: string): Promise<void> {
  const key = effectKey({ rule: 'no-blind-copies', itemKey: id, recipient: A.sam, kind: 'nudge' });
  // One item: both copies merged under the Message-ID, the Bcc taken from Sam's SENT copy.
  const item = await remembered(id);
  expect(item?.copies.map((c) => `${c.mailbox}:${c.folder}`).sort()).toEqual([`${A.raj}:inbox`, `${A.sam}:sent`]);
  expect(item?.bcc.map((b) => b.address)).toEqual([A.sue]);
  // Nothing was judged under any other key for this message (two messages sharing a Message-ID
  // would be told apart as "<id>#…"), and no problem was recorded about it.
  const base = id.slice(0, -1);
  const findings = await running.store.listFindings({});
  expect(findings.filter((f) => f.itemKey.startsWith(base)).map((f) => f.itemKey)).toEqual(findings.filter((f) => f.itemKey === id).map((f) => f.itemKey));
  expect((await running.store.listEffects({})).filter((e) => e.itemKey.startsWith(base) && e.itemKey !== id)).toEqual([]);
  expect((await running.store.listProblems()).filter((p) => JSON.stringify(p).includes(base))).toEqual([]);
  // One finding, one nudge, carried out.
  expect(await running.store.getFindings(id, 'no-blind-copies')).toHaveLength(1);
  const nudges = await running.store.listEffects({ itemKey: id, kinds: ['nudge'] });
  expect(nudges.map((e) => [e.key, e.state])).toEqual([[key, 'done']]);
  // One message with that key sent through Google, from the service mailbox, and one in Sam's INBOX.
  const sent = sentWithKey(council.sim, key);
  expect(sent).toHaveLength(1);
  expect(sent[0]?.from).toBe(A.service);
  expect(sent[0]?.to).toEqual([A.sam]);
  expect(inboxWithKey(council.sim, A.sam, key)).toHaveLength(1);
}

beforeAll(async () => {
  offsetMs = START - Date.now();
  council = await startMixedGoogleCouncil();
  logFile = path.join(council.dir, 'wardwatch.log');
}, 60_000);

afterAll(async () => {
  await running?.service.stop();
  await council?.stop();
});

describe('a mixed council: Sam on Google Workspace, Raj on IMAP', () => {
  test('validate accepts the config with only Raj\'s IMAP password set; without the claim, it asks for Sam\'s', () => {
    const ok = recorder();
    expect(runValidate(council.configFile, ok, { [RAJ_PASSWORD_VARIABLE]: council.rajPassword }), ok.stderr).toBe(0);
    expect(ok.stdout).toContain(`${council.configFile} is valid`);
    expect(ok.stderr).not.toContain(A.sam);

    // The IMAP connector still needs Raj's login…
    const noPassword = recorder();
    expect(runValidate(council.configFile, noPassword, {})).toBe(2);
    expect(noPassword.stderr).toContain(RAJ_PASSWORD_VARIABLE);
    expect(noPassword.stderr).not.toContain(A.sam);

    // …and, were Google to claim no mailbox, it would want one for Sam too.
    const unclaimed = recorder();
    expect(runValidate(council.unclaimedConfigFile, unclaimed, { [RAJ_PASSWORD_VARIABLE]: council.rajPassword })).toBe(2);
    expect(unclaimed.stderr).toContain(`there is no IMAP password for the watched mailbox ${A.sam}`);
  });

  test('the service starts with both sources, and /healthz reports both ok', async () => {
    const setup = setupEngine(council.configFile);
    const logger = createLogger({ level: 'debug', destination: pino.destination({ dest: logFile, sync: true }) });
    running = await assembleService(setup, {
      logger,
      now: clock,
      tuning: { heartbeatMs: 200, outboxIntervalMs: 300, sourceBackoff: { initialMs: 200, maxMs: 1000 } },
      connectorTuning: council.tuning,
    });
    const started = await running.service.start();
    expect([...started.sources].sort()).toEqual(['google', 'imap']);
    port = started.port ?? 0;
    const report = await waitFor(
      'both sources ok',
      async () => {
        const h = await health();
        return h.sources.length === 2 && h.sources.every((s) => s.state === 'ok') ? h : undefined;
      },
      WAIT_MS,
      200,
    );
    expect(sourceStates(report)).toEqual([
      ['google', 'ok'],
      ['imap', 'ok'],
    ]);
    expect(report.status).toBe('ok');
  }, 60_000);

  test('Sam\'s SENT copy read first, then Raj\'s: one item, one finding, one nudge in Sam\'s INBOX', async () => {
    const id = messageId('mill-lane-bins');
    const key = effectKey({ rule: 'no-blind-copies', itemKey: id, recipient: A.sam, kind: 'nudge' });
    const { sentCopy, delivered } = bccMail(id, 'New bins for Mill Lane');

    await sentCopyToGoogle(sentCopy);
    await waitFor('the nudge in Sam\'s INBOX', () => inboxWithKey(council.sim, A.sam, key).length > 0, WAIT_MS, 200);
    expect(await copiesOf(id)).toEqual([`${A.sam}:sent`]);
    // Judging is logged just after the nudge is recorded, so it may trail the send by a moment.
    const judgedBefore = await waitFor('Sam\'s copy judged', () => timesJudged(id) || undefined, WAIT_MS, 200);

    await deliveredCopyToDovecot(id, delivered);
    await waitFor('Raj\'s copy merged into the item', async () => (await copiesOf(id)).length === 2, WAIT_MS, 200);
    await waitFor('the merged item judged', () => timesJudged(id) > judgedBefore, WAIT_MS, 200);
    await running.service.flushOutbox();
    await expectOneItemOneNudge(id);
  }, 60_000);

  test('Raj\'s copy read first, then Sam\'s SENT copy: the same single nudge', async () => {
    const id = messageId('weir-road-flooding');
    const key = effectKey({ rule: 'no-blind-copies', itemKey: id, recipient: A.sam, kind: 'nudge' });
    const { sentCopy, delivered } = bccMail(id, 'Flooding on Weir Road');

    await deliveredCopyToDovecot(id, delivered);
    await waitFor('Raj\'s copy read', async () => (await copiesOf(id)).length === 1, WAIT_MS, 200);
    await waitFor('Raj\'s copy judged', () => timesJudged(id) > 0, WAIT_MS, 200);
    expect(await copiesOf(id)).toEqual([`${A.raj}:inbox`]);
    // Raj's copy alone shows no Bcc: nothing to nudge about yet.
    expect(await running.store.getFindings(id, 'no-blind-copies')).toEqual([]);
    expect(await running.store.listEffects({ itemKey: id, kinds: ['nudge'] })).toEqual([]);

    await sentCopyToGoogle(sentCopy);
    await waitFor('the nudge in Sam\'s INBOX', () => inboxWithKey(council.sim, A.sam, key).length > 0, WAIT_MS, 200);
    await waitFor('the nudge recorded as done', async () => (await running.store.getEffect(key))?.state === 'done', WAIT_MS, 200);
    await running.service.flushOutbox();
    await expectOneItemOneNudge(id);
  }, 60_000);

  test('every message Wardwatch sent through Google went once, Google read only Sam\'s and the service\'s mailboxes, and both sources are still ok', async () => {
    const counts = new Map<string, number>();
    for (const s of council.sim.state.sent) {
      const key = s.headers['x-wardwatch-key'];
      if (key !== undefined) counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect([...counts].filter(([, n]) => n > 1)).toEqual([]);
    // The two nudges at least (the morning's catch-up digest may be there too).
    expect(counts.size).toBeGreaterThanOrEqual(2);
    // Raj's mailbox is Dovecot's: the Google connector never asked Gmail about him.
    const gmailUsers = new Set(council.sim.requests((r) => r.api === 'gmail').map((r) => r.user));
    expect(gmailUsers.has(A.raj)).toBe(false);
    expect(gmailUsers.has(A.sam)).toBe(true);
    const report = await health();
    expect(sourceStates(report)).toEqual([
      ['google', 'ok'],
      ['imap', 'ok'],
    ]);
  });
});
