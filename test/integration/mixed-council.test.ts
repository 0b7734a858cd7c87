/**
 * Issue 15, a mixed council: one mailbox on Microsoft 365 (the Graph simulator), one on hosted
 * mail (a real Dovecot), read by one running service. An officer on Microsoft 365 writes to a
 * councillor on the other host with another councillor in Bcc: the officer's Sent Items copy (with
 * the Bcc) is read through Graph, the councillor's delivered copy (without it) through IMAP. Read in
 * either order, the two copies are one item, judged once: one no-blind-copies finding, one nudge,
 * and one message in the officer's Inbox (counted by its X-Wardwatch-Key header).
 *
 * The service's clock is Monday 12 April 2027, 09:00 in Millbrook; the servers keep real time.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
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
import { inboxWithKey, sentWithKey } from './graph-council.js';
import { composeMail, folderMessages, waitFor } from './imap-council.js';
import { RAJ_PASSWORD_VARIABLE, startMixedCouncil, type MixedCouncil } from './mixed-council-setup.js';

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

let council: MixedCouncil;
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
    let entry: { item?: unknown; msg?: unknown };
    try {
      entry = JSON.parse(line) as { item?: unknown; msg?: unknown };
    } catch {
      continue; // a line still being written: counted on the next look
    }
    if (entry.item === id && typeof entry.msg === 'string' && /^(item judged|unchanged since)/.test(entry.msg)) n += 1;
  }
  return n;
}

/** Both copies of the message: Sam's Sent Items copy (with the Bcc) and Raj's delivered copy (without). */
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

async function sentCopyToGraph(sentCopy: string): Promise<void> {
  await council.sim.deliver(A.sam, 'sentitems', sentCopy);
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
  // One item: both copies merged under the Message-ID, the Bcc taken from Sam's Sent copy.
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
  // One message with that key sent through Microsoft 365, and one in Sam's Inbox.
  expect(sentWithKey(council.sim, key)).toHaveLength(1);
  expect(sentWithKey(council.sim, key)[0]?.from).toBe(A.service);
  expect(inboxWithKey(council.sim, A.sam, key)).toHaveLength(1);
}

beforeAll(async () => {
  offsetMs = START - Date.now();
  council = await startMixedCouncil();
  logFile = path.join(council.dir, 'wardwatch.log');
}, 60_000);

afterAll(async () => {
  await running?.service.stop();
  await council?.stop();
});

describe('a mixed council: Sam on Microsoft 365, Raj on IMAP', () => {
  test('validate accepts the config with only Raj\'s IMAP password set; without the claim, it asks for Sam\'s', () => {
    const ok = recorder();
    expect(runValidate(council.configFile, ok, { [RAJ_PASSWORD_VARIABLE]: council.rajPassword })).toBe(0);
    expect(ok.stdout).toContain(`${council.configFile} is valid`);
    expect(ok.stderr).not.toContain(A.sam);

    // The IMAP connector still needs Raj's login…
    const noPassword = recorder();
    expect(runValidate(council.configFile, noPassword, {})).toBe(2);
    expect(noPassword.stderr).toContain(RAJ_PASSWORD_VARIABLE);
    expect(noPassword.stderr).not.toContain(A.sam);

    // …and, were Microsoft 365 to claim no mailbox, it would want one for Sam too.
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
      connectorTuning: { graph: { backoffMs: 50 } },
    });
    const started = await running.service.start();
    expect([...started.sources].sort()).toEqual(['graph', 'imap']);
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
    expect(report.sources.map((s) => [s.source, s.state]).sort()).toEqual([
      ['graph', 'ok'],
      ['imap', 'ok'],
    ]);
    expect(report.status).toBe('ok');
  }, 60_000);

  test('Sam\'s Sent copy read first, then Raj\'s: one item, one finding, one nudge in Sam\'s Inbox', async () => {
    const id = messageId('mill-lane-bins');
    const key = effectKey({ rule: 'no-blind-copies', itemKey: id, recipient: A.sam, kind: 'nudge' });
    const { sentCopy, delivered } = bccMail(id, 'New bins for Mill Lane');

    await sentCopyToGraph(sentCopy);
    await waitFor('the nudge in Sam\'s Inbox', () => inboxWithKey(council.sim, A.sam, key).length > 0, WAIT_MS, 200);
    expect(await copiesOf(id)).toEqual([`${A.sam}:sent`]);
    const judgedBefore = timesJudged(id);
    expect(judgedBefore).toBeGreaterThan(0);

    await deliveredCopyToDovecot(id, delivered);
    await waitFor('Raj\'s copy merged into the item', async () => (await copiesOf(id)).length === 2, WAIT_MS, 200);
    await waitFor('the merged item judged', () => timesJudged(id) > judgedBefore, WAIT_MS, 200);
    await running.service.flushOutbox();
    await expectOneItemOneNudge(id);
  }, 60_000);

  test('Raj\'s copy read first, then Sam\'s Sent copy: the same single nudge', async () => {
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

    await sentCopyToGraph(sentCopy);
    await waitFor('the nudge in Sam\'s Inbox', () => inboxWithKey(council.sim, A.sam, key).length > 0, WAIT_MS, 200);
    await waitFor('the nudge recorded as done', async () => (await running.store.getEffect(key))?.state === 'done', WAIT_MS, 200);
    await running.service.flushOutbox();
    await expectOneItemOneNudge(id);
  }, 60_000);

  test('every message Wardwatch sent through Microsoft 365 went once, and both sources are still ok', async () => {
    const counts = new Map<string, number>();
    for (const s of council.sim.state.sent) {
      const key = s.headers.find((h) => h.name?.toLowerCase() === 'x-wardwatch-key')?.value;
      if (key !== undefined && key !== null) counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect([...counts].filter(([, n]) => n > 1)).toEqual([]);
    // The two nudges at least (the morning's catch-up digest may be there too).
    expect(counts.size).toBeGreaterThanOrEqual(2);
    const report = await health();
    expect(report.sources.map((s) => [s.source, s.state]).sort()).toEqual([
      ['graph', 'ok'],
      ['imap', 'ok'],
    ]);
  });
});
