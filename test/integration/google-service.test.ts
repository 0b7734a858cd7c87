/**
 * Issue 16, end to end: the service (as `wardwatch run` assembles it) with the Google Workspace
 * connector against the Google simulator. The scenarios are the ones the IMAP and Microsoft 365
 * connectors prove: a member blind-copied into an officer's mail → a nudge in the officer's
 * mailbox; a public meeting missing a ward member → the member added to the organiser's event with
 * updates sent; a ward surgery booked in the Council Chamber in the pre-election period → the room
 * declines; the digest arrives. Then the faults the simulator can inject, with nothing lost and
 * nothing sent twice (counted by X-Wardwatch-Key).
 *
 * The service's clock is Monday 12 April 2027, 09:00 in Millbrook, inside the pre-election period
 * of the town council elections on 6 May 2027; the simulator keeps real time.
 */
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { setupEngine, type Setup } from '../../src/cli/engine-setup.js';
import { digestKey } from '../../src/digest/send.js';
import { sendDigestIfDue } from '../../src/digest/scheduler.js';
import { effectKey } from '../../src/outbox/idempotency.js';
import { assembleService, type AssembledService } from '../../src/service/assemble.js';
import type { HealthReport } from '../../src/service/health.js';
import { createLogger } from '../../src/service/logger.js';
import { A } from '../support/council.js';
import { waitFor } from './imap-council.js';
import { deliverMail, inboxWithKey, meeting, parsedWithKey, ROOM, sentWithKey, startGoogleCouncil, type GoogleCouncil } from './google-council.js';

const START = Date.parse('2027-04-12T08:00:00.000Z');
const DAY_MS = 86_400_000;

describe('Google Workspace through the service', () => {
  let council: GoogleCouncil;
  let setup: Setup;
  let running: AssembledService;
  let offsetMs = 0;
  const clock = (): Date => new Date(Date.now() + offsetMs);
  let serial = 0;
  const messageId = (what: string): string => `<${what}-${++serial}-${Date.now()}@millbrook-tc.gov.uk>`;
  const health = async (): Promise<HealthReport> => (await (await fetch(`http://127.0.0.1:${council.port}/healthz`)).json()) as HealthReport;

  beforeAll(async () => {
    offsetMs = START - Date.now();
    council = await startGoogleCouncil();
    setup = setupEngine(council.configFile);
    const logger = createLogger({ level: 'debug', destination: pino.destination({ dest: path.join(council.dir, 'wardwatch.log'), sync: true }) });
    running = await assembleService(setup, {
      logger,
      now: clock,
      // An effect whose send is cut off is tried again after a second, not the minute a council gets.
      tuning: { heartbeatMs: 200, outboxIntervalMs: 300, sourceBackoff: { initialMs: 200, maxMs: 1000 }, retry: { baseDelayMs: 1000 } },
      connectorTuning: council.tuning,
    });
    const started = await running.service.start();
    expect(started.sources).toEqual(['google']);
    await waitFor('the first round over every mailbox and calendar', async () => (await health()).sources[0]?.state === 'ok', 30_000);
  }, 60_000);

  afterAll(async () => {
    await running?.service.stop();
    await council?.stop();
  });

  test('the catch-up digest of the morning arrives in the Clerk\'s mailbox', async () => {
    await waitFor('the digest in the Clerk\'s INBOX', () => inboxWithKey(council.sim, A.clerk, digestKey('2027-04-12')).length === 1);
    const [sent] = sentWithKey(council.sim, digestKey('2027-04-12'));
    expect(sent?.from).toBe(A.service);
    expect(sent?.headers['auto-submitted']).toBe('auto-generated');
  });

  test('an officer\'s mail with a member in Bcc: the nudge lands in the officer\'s INBOX, once', async () => {
    const id = messageId('mill-lane-bins');
    await deliverMail(council.sim, {
      messageId: id,
      from: A.sam,
      to: [A.raj],
      bcc: [A.sue],
      subject: 'New bins for Mill Lane',
      body: 'Dear Cllr Mehta,\n\nThe new bins for Mill Lane will be installed on Thursday morning, as you asked.\n\nKind regards,\nSam Patel',
      date: clock(),
    });
    const key = effectKey({ rule: 'no-blind-copies', itemKey: id, recipient: A.sam, kind: 'nudge' });
    await waitFor('the nudge in Sam\'s INBOX', () => inboxWithKey(council.sim, A.sam, key).length > 0);
    const [nudge] = await parsedWithKey(council.sim, A.sam, key);
    expect(nudge?.subject).toMatch(/^(Please note|A gentle reminder): copying councillors openly \(“New bins for Mill Lane”\)$/);
    expect(nudge?.from?.value[0]?.address).toBe(A.service);
    expect(nudge?.headers.get('auto-submitted')).toBe('auto-generated');
    expect(nudge?.text).toContain('Dear Sam,');
    expect(sentWithKey(council.sim, key)).toHaveLength(1);
  });

  test('a public meeting missing a Castle member: she is added to the organiser\'s event (keeping Tom\'s answer) with updates sent', async () => {
    const event = council.sim.state.addEvent(
      A.clerk,
      meeting({
        subject: 'Public meeting: traffic calming on Castle Street',
        start: '2027-04-20T18:00:00+01:00',
        end: '2027-04-20T19:30:00+01:00',
        location: 'Millbrook Library, Castle Street, MB1 2QT',
        description: 'Public Meeting',
        organiser: { address: A.clerk, name: 'Helen Ashworth' },
        attendees: [{ address: A.tom, name: 'Cllr Tom Brown', response: 'accepted' }],
      }),
    );
    const uid = event.iCalUID ?? '';
    const onEvent = await waitFor('Cllr Alice Green on the event', () => {
      const now = council.sim.state.events(A.clerk).find((e) => e.id === event.id);
      return now?.attendees?.some((a) => a.email === A.alice) ? now : undefined;
    });
    expect(onEvent.attendees?.find((a) => a.email === A.tom)?.responseStatus).toBe('accepted');
    await waitFor('Google\'s invitation to Alice', () => council.sim.state.sent.some((s) => s.kind === 'invitation' && s.to.includes(A.alice)));
    const notice = effectKey({ rule: 'invite-ward-members', itemKey: uid, recipient: A.clerk, kind: 'notify' });
    await waitFor('the notice to the organiser', () => inboxWithKey(council.sim, A.clerk, notice).length === 1);
    expect(council.sim.state.sent.filter((s) => s.kind === 'invitation' && s.to.includes(A.alice))).toHaveLength(1);
  });

  test('a ward surgery booked in the Council Chamber in the pre-election period is declined by the room', async () => {
    const event = council.sim.state.addEvent(
      ROOM,
      meeting({
        subject: 'Castle ward surgery',
        start: '2027-04-22T10:00:00+01:00',
        end: '2027-04-22T12:00:00+01:00',
        location: 'Council Chamber, Market Square',
        organiser: { address: A.alice, name: 'Cllr Alice Green' },
        attendees: [{ address: ROOM, name: 'Council Chamber', resource: true, response: 'accepted' }],
      }),
    );
    const uid = event.iCalUID ?? '';
    await waitFor('the room\'s decline', () => council.sim.state.events(ROOM).find((e) => e.id === event.id)?.attendees?.find((a) => a.email === ROOM)?.responseStatus === 'declined');
    const block = await waitFor('the block carried out', async () => (await running.store.listEffects({ itemKey: uid, kinds: ['block'], states: ['done'] }))[0]);
    expect(block.kind).toBe('block');
    const notice = effectKey({ rule: 'no-ward-meetings-before-elections', itemKey: uid, recipient: A.clerk, kind: 'notify-clerk' });
    await waitFor('the Clerk told', () => inboxWithKey(council.sim, A.clerk, notice).length === 1);
  });

  test('the next morning\'s digest arrives, listing what was done', async () => {
    const report = await sendDigestIfDue({ store: running.store, engine: setup.engine, config: setup.loaded.config, sender: running.sender }, new Date(clock().getTime() + DAY_MS));
    expect(report).toMatchObject({ sent: ['2027-04-13'], failed: [] });
    const [digest] = await parsedWithKey(council.sim, A.clerk, digestKey('2027-04-13'));
    expect(digest?.text).toContain('New bins for Mill Lane');
    expect(digest?.text).toContain('Castle ward surgery');
    expect(digest?.text).toContain('Public meeting: traffic calming on Castle Street');
  });

  test('under the faults the simulator injects, nothing is lost and nothing is sent twice', async () => {
    const sim = council.sim;
    sim.inject({ kind: 'status', status: 503, when: 'after' }, { path: /messages\/send$/ });
    sim.inject({ kind: 'drop', when: 'after' }, { path: /messages\/send$/ });
    sim.inject({ kind: 'status', status: 429 }, { path: /messages\/send$/ });
    sim.inject({ kind: 'status', status: 403, reason: 'userRateLimitExceeded' }, { path: /\/history$/, times: 2 });
    sim.inject({ kind: 'status', status: 500 }, { path: /\/messages\/[^/]+$/, times: 2 });
    sim.inject({ kind: 'unauthorized' }, { path: /\/history$/ });
    sim.inject({ kind: 'drop', when: 'before' }, { path: /\/messages\/[^/]+$/, times: 2 });
    sim.state.expireHistory(A.tom);

    const keys: string[] = [];
    for (let i = 0; i < 6; i++) {
      const id = messageId(`hazel-avenue-${i}`);
      await deliverMail(sim, {
        messageId: id,
        from: A.sam,
        to: [A.tom],
        bcc: [A.ben],
        subject: `Street lights on Hazel Avenue (${i + 1})`,
        body: 'Dear Cllr Brown,\n\nThe faulty street lights on Hazel Avenue were reported to the county council this morning.\n\nKind regards,\nSam Patel',
        date: clock(),
      });
      keys.push(effectKey({ rule: 'no-blind-copies', itemKey: id, recipient: A.sam, kind: 'nudge' }));
    }
    await waitFor(
      'every nudge carried out',
      async () => (await Promise.all(keys.map((k) => running.store.getEffect(k)))).every((e) => e?.state === 'done'),
      60_000,
      200,
    );
    for (const key of keys) expect(sentWithKey(sim, key), key).toHaveLength(1);
    expect(sim.faults.stats.fired).toMatchObject({ status: expect.any(Number), drop: expect.any(Number), unauthorized: 1 });
    expect((sim.faults.stats.fired['status'] ?? 0) + (sim.faults.stats.fired['drop'] ?? 0)).toBeGreaterThanOrEqual(8);
  }, 90_000);

  test('a mailbox whose delegation is refused shows in /healthz and the digest, while the others are read', async () => {
    const sim = council.sim;
    sim.inject({ kind: 'status', status: 403 }, { path: `/users/${A.dan}/`, times: 100_000 });
    const failing = await waitFor('Dan\'s mailbox reported in /healthz', async () => {
      const h = await health();
      return h.status === 'degraded' && (h.sources[0]?.lastError?.message ?? '').includes(A.dan) ? h : undefined;
    }, 30_000);
    expect(failing.sources[0]?.state).toBe('failing');
    const id = messageId('riverside-path');
    await deliverMail(sim, { messageId: id, from: A.sam, to: [A.raj], bcc: [A.sue], subject: 'Riverside Park path', body: 'Dear Cllr Mehta,\n\nThe path will be resurfaced next week.\n\nKind regards,\nSam Patel', date: clock() });
    const key = effectKey({ rule: 'no-blind-copies', itemKey: id, recipient: A.sam, kind: 'nudge' });
    await waitFor('the nudge to Sam', () => inboxWithKey(sim, A.sam, key).length === 1, 30_000);
    const report = await sendDigestIfDue({ store: running.store, engine: setup.engine, config: setup.loaded.config, sender: running.sender }, new Date(clock().getTime() + 2 * DAY_MS));
    expect(report.sent).toEqual(['2027-04-14']);
    const [digest] = await parsedWithKey(sim, A.clerk, digestKey('2027-04-14'));
    const text = digest?.text ?? '';
    expect(text.slice(text.indexOf('SOURCES'))).toMatch(/- google: NOT WORKING.*dan\.okafor@millbrook-tc\.gov\.uk/s);
    sim.faults.clear();
    await waitFor('/healthz to recover', async () => (await health()).status === 'ok', 30_000);
  }, 120_000);

  test('every message Wardwatch sent went once', () => {
    const counts = new Map<string, number>();
    for (const s of council.sim.state.sent) {
      const key = s.headers['x-wardwatch-key'];
      if (key !== undefined) counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect([...counts].filter(([, n]) => n > 1)).toEqual([]);
    expect(counts.size).toBeGreaterThanOrEqual(8);
  });
});
