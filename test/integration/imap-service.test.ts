/**
 * Issue 4, end to end: the service (as `wardwatch run` assembles it) with the standards
 * connector against a real Dovecot (IMAP, IDLE), Postfix (SMTP) and Radicale (CalDAV).
 *
 * One stack and one running service for the whole file; the tests run in order and build on
 * each other (the digests list what the earlier tests did; the last test checks that every
 * message Wardwatch sent arrived exactly once). The service's clock is set to Monday 12 April
 * 2027, inside the pre-election period of the town council elections on 6 May 2027, and runs on
 * from there; the servers keep real time.
 */
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { setupEngine, type Setup } from '../../src/cli/engine-setup.js';
import { digestKey } from '../../src/digest/send.js';
import { sendDigestIfDue, type DigestSchedulerDeps } from '../../src/digest/scheduler.js';
import { effectKey } from '../../src/outbox/idempotency.js';
import { assembleService, type AssembledService } from '../../src/service/assemble.js';
import type { HealthReport } from '../../src/service/health.js';
import { createLogger } from '../../src/service/logger.js';
import { A } from '../support/council.js';
import {
  appendTo,
  attendeeParameters,
  calendarObject,
  composeMail,
  contentLines,
  folderMessages,
  getEvent,
  icsTime,
  keyedMessages,
  PEOPLE,
  putEvent,
  recreateFolder,
  startImapCouncil,
  submit,
  waitFor,
  waitForKeyed,
  wardwatchKey,
  type ImapCouncil,
  type PersonName,
} from './imap-council.js';

const START = Date.parse('2027-04-12T08:00:00.000Z'); // 09:00 in Millbrook, a Monday
const DAY_MS = 86_400_000;

let council: ImapCouncil;
let setup: Setup;
let running: AssembledService;
let healthUrl: string;
let offsetMs = 0;
const clock = (): Date => new Date(Date.now() + offsetMs);

/** Wardwatch's /healthz, as an operator's monitoring would read it. */
async function health(): Promise<HealthReport> {
  const res = await fetch(healthUrl);
  return (await res.json()) as HealthReport;
}

function digestDeps(): DigestSchedulerDeps {
  return { store: running.store, engine: setup.engine, config: setup.loaded.config, sender: running.sender };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

let serial = 0;
function messageId(what: string): string {
  serial += 1;
  return `<${what}-${serial}-${Date.now()}@millbrook-tc.gov.uk>`;
}

beforeAll(async () => {
  offsetMs = START - Date.now();
  council = await startImapCouncil();
  setup = setupEngine(council.configFile);
  // The service's own log, kept beside the config (WARDWATCH_KEEP_TEST_DIR=1 keeps it after the run).
  const logger = createLogger({ level: 'debug', destination: pino.destination({ dest: path.join(council.dir, 'wardwatch.log'), sync: true }) });
  running = await assembleService(setup, {
    logger,
    now: clock,
    tuning: { heartbeatMs: 200, outboxIntervalMs: 500, sourceBackoff: { initialMs: 200, maxMs: 1000 } },
  });
  const started = await running.service.start();
  expect(started.sources).toEqual(['imap']);
  healthUrl = `http://127.0.0.1:${started.port ?? 0}/healthz`;
  await waitFor('the first pass over every folder and calendar', async () => (await health()).sources[0]?.state === 'ok');
}, 60_000);

afterAll(async () => {
  await running?.service.stop();
  await council?.stop();
});

describe('the standards connector through the service, on real servers', () => {
  test('the catch-up digest of the morning arrives in the Clerk\'s INBOX at start', async () => {
    const digest = await waitForKeyed(council.stack, 'clerk', digestKey('2027-04-12'));
    expect(digest.mail.from?.value[0]?.address).toBe(A.service);
    expect(digest.mail.to && !Array.isArray(digest.mail.to) ? digest.mail.to.value.map((a) => a.address) : []).toEqual([A.clerk]);
    await waitFor('the digest to be recorded as sent', async () => await running.store.digestSent('2027-04-12'));
  });

  test('an officer\'s mail with a member in Bcc: delivered through Postfix, its Sent copy seen by IDLE, the nudge lands in the officer\'s INBOX', async () => {
    const id = messageId('mill-lane-bins');
    const mail = composeMail({
      messageId: id,
      from: 'sam',
      to: ['raj'],
      bcc: ['sue'],
      subject: 'New bins for Mill Lane',
      body: 'Dear Cllr Mehta,\n\nThe new bins for Mill Lane will be installed on Thursday morning, as you asked.\n\nKind regards,\nSam Patel',
      date: clock(),
    });
    // The officer's mail client: submission with SMTP AUTH, then the Sent copy (with its Bcc) by IMAP APPEND.
    await submit(council.stack, 'sam', mail.submitted, mail.envelope);
    await appendTo(council.stack, 'sam', 'Sent', mail.sentCopy);

    const key = effectKey({ rule: 'no-blind-copies', itemKey: id, recipient: A.sam, kind: 'nudge' });
    // The folders are re-checked only every minute: arriving well within that, the copy was seen through IDLE.
    const nudge = await waitForKeyed(council.stack, 'sam', key, 15_000);
    expect(nudge.mail.from?.value[0]?.address).toBe(A.service);
    expect(nudge.mail.subject).toMatch(/^(Please note|A gentle reminder): copying councillors openly \(“New bins for Mill Lane”\)$/);
    const [stored] = await running.store.getFindings(id, 'no-blind-copies');
    expect(stored?.finding.clauses.length).toBeGreaterThan(0);
    // Clauses are kept as "<protocol> <paragraph>" ("004 12.1"); the nudge names each paragraph.
    for (const clause of stored?.finding.clauses ?? []) expect(nudge.mail.text).toContain(`paragraph ${clause.split(' ').at(-1) ?? clause}`);
    expect(nudge.mail.text).toContain('Dear Sam,');
    expect(nudge.mail.text).toContain('What to do instead');
    expect(nudge.mail.messageId).toBe((await running.store.getEffect(key))?.messageId);
    // The member's own copy was delivered too; the Bcc is visible only in the officer's Sent copy.
    const rajCopies = (await folderMessages(council.stack, 'raj')).filter((b) => b.toString('utf8').includes(id));
    expect(rajCopies).toHaveLength(1);
    expect(rajCopies[0]?.toString('utf8')).not.toMatch(/^Bcc:/im);
  });

  test('a council public meeting missing a Castle member: the member is added on Radicale (If-Match, SEQUENCE bumped) and invited by iMIP', async () => {
    const uid = 'castle-street-traffic-2027@millbrook-tc.gov.uk';
    const url = await putEvent(
      council,
      'council-events',
      'castle-street-traffic.ics',
      calendarObject([
        `UID:${uid}`,
        `DTSTAMP:${icsTime(clock())}`,
        'DTSTART:20270420T170000Z',
        'DTEND:20270420T183000Z',
        'SUMMARY:Public meeting: traffic calming on Castle Street',
        'LOCATION:Millbrook Library\\, Castle Street\\, MB1 2QT',
        'CATEGORIES:Public Meeting',
        `ORGANIZER;CN=Helen Ashworth:mailto:${A.clerk}`,
        `ATTENDEE;CN=Cllr Tom Brown;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED:mailto:${A.tom}`,
        'STATUS:CONFIRMED',
        'SEQUENCE:0',
      ]),
    );
    const objectPath = new URL(url).pathname;

    const ics = await waitFor('Cllr Alice Green on the event', async () => {
      const now = await getEvent(url);
      return attendeeParameters(now, A.alice) ? now : undefined;
    });
    expect(attendeeParameters(ics, A.alice)).toMatchObject({ CN: 'Cllr Alice Green', PARTSTAT: 'NEEDS-ACTION', RSVP: 'TRUE' });
    expect(attendeeParameters(ics, A.tom)?.PARTSTAT).toBe('ACCEPTED');
    expect(contentLines(ics)).toContain('SEQUENCE:1');

    // Wardwatch wrote to the event's own href, with If-Match on the ETag it had just read.
    const writeAt = council.proxy.requests.findIndex((r) => r.method === 'PUT' && r.path === objectPath);
    expect(council.proxy.requests.filter((r) => r.method === 'PUT' && r.path === objectPath)).toHaveLength(1);
    const write = council.proxy.requests[writeAt];
    expect(write?.status).toBeLessThan(300);
    const readBefore = council.proxy.requests.slice(0, writeAt).filter((r) => r.method === 'GET' && r.path === objectPath);
    expect(readBefore.at(-1)?.etag).toBeDefined();
    expect(write?.ifMatch).toBe(readBefore.at(-1)?.etag);
    // The href came from the store (kept when the event was judged), so no search by UID was needed.
    expect((await running.store.getEvent(uid))?.origin).toMatch(new RegExp(`${objectPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
    expect(council.proxy.requests.some((r) => r.method === 'REPORT' && r.path === objectPath)).toBe(false);

    // The invitation: text/calendar, METHOD:REQUEST, the organiser's UID, in the member's INBOX.
    const imip = await waitForKeyed(council.stack, 'alice', `imip:REQUEST:${uid}:${A.alice}`);
    expect(imip.raw).toMatch(/Content-Type: text\/calendar;[^\r\n]*method=REQUEST/i);
    const request = contentLines(imip.mail.attachments.find((a) => a.contentType === 'text/calendar')?.content.toString('utf8') ?? imip.raw);
    expect(request).toContain('METHOD:REQUEST');
    expect(request).toContain(`UID:${uid}`);
    expect(request).toContain('SEQUENCE:1');
    expect(imip.mail.subject).toBe('Invitation: Public meeting: traffic calming on Castle Street');
    // Wardwatch's own invitation (why she is invited) and the notice to the organiser.
    const invite = await waitForKeyed(council.stack, 'alice', effectKey({ rule: 'invite-ward-members', itemKey: uid, recipient: A.alice, kind: 'invite' }));
    expect(invite.mail.text).toContain('Castle');
    await waitForKeyed(council.stack, 'clerk', effectKey({ rule: 'invite-ward-members', itemKey: uid, recipient: A.clerk, kind: 'notify' }));
  });

  test('a member\'s surgery booked in the Council Chamber in the pre-election period is declined on the room calendar, and the organiser told', async () => {
    const uid = 'castle-surgery-2027-04-22@millbrook-tc.gov.uk';
    const url = await putEvent(
      council,
      'council-chamber',
      'castle-surgery.ics',
      calendarObject([
        `UID:${uid}`,
        `DTSTAMP:${icsTime(clock())}`,
        'DTSTART:20270422T090000Z',
        'DTEND:20270422T110000Z',
        'SUMMARY:Castle ward surgery',
        'LOCATION:Council Chamber\\, Market Square',
        `ORGANIZER;CN=Cllr Alice Green:mailto:${A.alice}`,
        `ATTENDEE;CUTYPE=ROOM;ROLE=NON-PARTICIPANT;PARTSTAT=ACCEPTED;CN=Council Chamber:mailto:${A.chamber}`,
        'STATUS:CONFIRMED',
        'SEQUENCE:0',
      ]),
    );
    const ics = await waitFor('the booking declined on Radicale', async () => {
      const now = await getEvent(url);
      return attendeeParameters(now, A.chamber)?.PARTSTAT === 'DECLINED' ? now : undefined;
    });
    expect(contentLines(ics).some((l) => l.startsWith('COMMENT:') && l.includes('pre-election period'))).toBe(true);
    const objectPath = new URL(url).pathname;
    const write = council.proxy.requests.find((r) => r.method === 'PUT' && r.path === objectPath);
    expect(write?.ifMatch).toBeDefined();

    const block = await waitFor('the block carried out', async () => (await running.store.listEffects({ itemKey: uid, kinds: ['block'], states: ['done'] }))[0]);
    const notice = await waitForKeyed(council.stack, 'alice', block.key);
    expect(notice.mail.text).toContain('Castle ward surgery');
    expect(notice.mail.text).toContain('pre-election');
    const reply = await waitForKeyed(council.stack, 'alice', `imip:REPLY:${uid}:${A.chamber}`);
    expect(reply.raw).toMatch(/method=REPLY/i);
    await waitForKeyed(council.stack, 'clerk', effectKey({ rule: 'no-ward-meetings-before-elections', itemKey: uid, recipient: A.clerk, kind: 'notify-clerk' }));
  });

  test('the next morning\'s digest arrives in the Clerk\'s INBOX, listing what was done', async () => {
    const report = await sendDigestIfDue(digestDeps(), new Date(clock().getTime() + DAY_MS));
    expect(report).toMatchObject({ sent: ['2027-04-13'], failed: [] });
    const digest = await waitForKeyed(council.stack, 'clerk', digestKey('2027-04-13'));
    expect(digest.mail.from?.value[0]?.address).toBe(A.service);
    expect(digest.mail.text).toContain('New bins for Mill Lane');
    expect(digest.mail.text).toContain('Public meeting: traffic calming on Castle Street');
    expect(digest.mail.text).toContain('Castle ward surgery');
  });

  test('Dovecot restarted while Wardwatch idles: it reconnects, and mail delivered meanwhile is acted on exactly once', async () => {
    const request = composeMail({
      messageId: messageId('riverside-benches'),
      from: 'raj',
      to: ['dan'],
      subject: 'Benches in Riverside Park',
      body: 'Hi Dan,\n\nCould you please arrange for the benches by the bandstand in Riverside Park to be repainted? Several residents have mentioned how shabby they look.\n\nThanks,\nRaj',
      date: clock(),
    });
    const capacity = composeMail({
      messageId: messageId('weir-road-hedge'),
      from: 'tom',
      to: [{ address: 'j.smith@example.com', name: 'Jo Smith' }],
      subject: 'Re: Hedge on Weir Road',
      body: 'Dear Jo,\n\nThank you for your email about the hedge. I have looked at the photographs and share your concern about the footway. You can report it on the county council\'s website.\n\nBest wishes,\nTom',
      date: clock(),
    });

    await council.stack.stopDovecot();
    try {
      // Postfix takes the member's mail and keeps it until Dovecot is back (AUTH is Dovecot's too, so from the local network).
      await submit(council.stack, undefined, request.submitted, request.envelope);
      const down = await waitFor('the health endpoint to report the mail server', async () => {
        const h = await health();
        return h.status === 'degraded' ? h : undefined;
      }, 10_000);
      expect(down.sources[0]?.lastError?.message).toMatch(/mail server 127\.0\.0\.1:\d+/);
    } finally {
      await council.stack.startDovecot();
    }
    // Sent copies saved just after the restart, before Wardwatch is back. Raj's is what lets his
    // message be attributed to him: it reached Dan unauthenticated, as a forgery could.
    await appendTo(council.stack, 'tom', 'Sent', capacity.sentCopy);
    await appendTo(council.stack, 'raj', 'Sent', request.sentCopy);

    const nudgeRaj = effectKey({ rule: 'requests-via-clerk', itemKey: messageIdOf(request.submitted), recipient: A.raj, kind: 'nudge' });
    const routed = effectKey({ rule: 'requests-via-clerk', itemKey: messageIdOf(request.submitted), recipient: A.clerk, kind: 'route-to-clerk' });
    const nudgeTom = effectKey({ rule: 'state-capacity', itemKey: messageIdOf(capacity.sentCopy), recipient: A.tom, kind: 'nudge' });
    await waitForKeyed(council.stack, 'raj', nudgeRaj, 30_000);
    const copy = await waitForKeyed(council.stack, 'clerk', routed, 30_000);
    expect(copy.mail.attachments.some((a) => a.contentType === 'message/rfc822')).toBe(true);
    await waitForKeyed(council.stack, 'tom', nudgeTom, 30_000);
    await waitFor('the health endpoint to recover', async () => (await health()).status === 'ok');

    await running.service.flushOutbox();
    await sleep(1500);
    expect(await keyedMessages(council.stack, 'raj', nudgeRaj)).toHaveLength(1);
    expect(await keyedMessages(council.stack, 'clerk', routed)).toHaveLength(1);
    expect(await keyedMessages(council.stack, 'tom', nudgeTom)).toHaveLength(1);
    // Stopping and starting Dovecot, Postfix's retry and each wait above can take tens of seconds
    // on a busy machine: the test as a whole gets the time its waits allow, not the default 30 s.
  }, 150_000);

  test('Radicale down for a while: mail is still acted on, the health and the digest report the calendar, and it recovers', async () => {
    await council.stack.stopRadicale();
    try {
      const degraded = await waitFor('the calendar failure in /healthz', async () => {
        const h = await health();
        return h.status === 'degraded' && /council-events/.test(h.sources[0]?.lastError?.message ?? '') ? h : undefined;
      });
      expect(degraded.sources[0]).toMatchObject({ source: 'imap', state: 'failing' });
      expect(degraded.sources[0]?.lastError?.message).toContain('HTTP 502');

      const id = messageId('hazel-avenue-lights');
      const mail = composeMail({
        messageId: id,
        from: 'sam',
        to: ['tom'],
        bcc: ['ben'],
        subject: 'Street lights on Hazel Avenue',
        body: 'Dear Cllr Brown,\n\nThe faulty street lights on Hazel Avenue were reported to the county council this morning.\n\nKind regards,\nSam Patel',
        date: clock(),
      });
      await submit(council.stack, 'sam', mail.submitted, mail.envelope);
      await appendTo(council.stack, 'sam', 'Sent', mail.sentCopy);
      await waitForKeyed(council.stack, 'sam', effectKey({ rule: 'no-blind-copies', itemKey: id, recipient: A.sam, kind: 'nudge' }), 15_000);

      const report = await sendDigestIfDue(digestDeps(), new Date(clock().getTime() + 2 * DAY_MS));
      expect(report.sent).toEqual(['2027-04-14']);
      const digest = await waitForKeyed(council.stack, 'clerk', digestKey('2027-04-14'));
      const text = digest.mail.text ?? '';
      const sources = text.slice(text.indexOf('SOURCES'));
      expect(sources).toMatch(/- imap: NOT WORKING, could not be read since .*council-events.*HTTP 502/);
      expect(digest.mail.text).toContain('Street lights on Hazel Avenue');
    } finally {
      await council.stack.startRadicale();
    }
    const recovered = await waitFor('/healthz to recover', async () => {
      const h = await health();
      return h.status === 'ok' ? h : undefined;
    });
    expect(recovered.sources[0]?.state).toBe('ok');
  });

  test('UIDVALIDITY reset (the Sent folder deleted and made again with the same messages): read again, no action repeated', async () => {
    const cursorKey = `${A.sam}/sent`;
    const reset = await recreateFolder(council.stack, 'sam', 'Sent');
    expect(reset.after).not.toBe(reset.before);
    expect(reset.messages).toBe(2);
    // Dovecot drops a session whose folder is deleted, but one deleted and made again at once it
    // keeps, stale (it answers "* NO Internal error" in IDLE): the once-a-minute re-check, which
    // selects the folder afresh, is what notices the new UIDVALIDITY then.
    await waitFor('the Sent folder to be read again under its new UIDVALIDITY', async () => (await running.store.getCursor('imap', cursorKey))?.startsWith(`${reset.after}:`), 75_000, 250);
    await running.service.flushOutbox();
    await sleep(1500);
    await running.service.flushOutbox();

    // Every message Wardwatch sent, in every mailbox: each X-Wardwatch-Key once per mailbox.
    const seen = new Map<string, number>();
    for (const who of Object.keys(PEOPLE) as PersonName[]) {
      for (const raw of await folderMessages(council.stack, who)) {
        const key = wardwatchKey(raw);
        if (key === '') continue;
        const at = `${PEOPLE[who]} ${key}`;
        seen.set(at, (seen.get(at) ?? 0) + 1);
      }
    }
    const repeated = [...seen].filter(([, n]) => n > 1).map(([at]) => at);
    expect(repeated).toEqual([]);
    // …and every effect carried out is among them.
    const delivered = new Set([...seen.keys()].map((at) => at.slice(at.indexOf(' ') + 1)));
    const done = (await running.store.listEffects({ states: ['done'] })).filter((e) => e.kind !== 'digest');
    // Two nudges to Sam, the invitation and the notice of the meeting, the block and the Clerk's
    // notice of the surgery, Raj's nudge and routed copy, Tom's nudge.
    expect(done.map((e) => `${e.rule} ${e.kind}`).sort()).toEqual([
      'invite-ward-members invite',
      'invite-ward-members notify',
      'no-blind-copies nudge',
      'no-blind-copies nudge',
      'no-ward-meetings-before-elections block',
      'no-ward-meetings-before-elections notify-clerk',
      'requests-via-clerk nudge',
      'requests-via-clerk route-to-clerk',
      'state-capacity nudge',
    ]);
    expect(done.map((e) => e.key).filter((k) => !delivered.has(k))).toEqual([]);
    expect((await running.store.listEffects({ states: ['pending', 'sending', 'failed'] })).filter((e) => e.kind !== 'digest')).toEqual([]);
  }, 120_000);
});

/** The Message-ID header of a raw message. */
function messageIdOf(raw: string): string {
  return /^Message-ID:\s*(<[^>]+>)/im.exec(raw)?.[1] ?? '';
}
