/**
 * Issue 15, end to end: the service (as `wardwatch run` assembles it) with the Microsoft 365
 * connector against the Graph simulator, once polling and once with change notifications. The
 * scenarios are the ones the IMAP connector proves on real servers: a member blind-copied into an
 * officer's mail → a nudge in the officer's mailbox; a public meeting missing a ward member → the
 * member added to the organiser's event, and Exchange's invitation sent; a ward surgery booked in
 * the pre-election period → the room mailbox declines; the digest arrives. Then every fault the
 * simulator can inject, with nothing lost and nothing sent twice (counted by X-Wardwatch-Key).
 *
 * The service's clock is Monday 12 April 2027, 09:00 in Millbrook, inside the pre-election period
 * of the town council elections on 6 May 2027; the simulator keeps real time.
 */
import { readFileSync } from 'node:fs';
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
import { propertyType, readCsdl, schemaProblems } from '../graph-sim/index.js';
import { A } from '../support/council.js';
import { waitFor } from './imap-council.js';
import { deliverMail, inboxWithKey, meeting, parsedWithKey, sentWithKey, startGraphCouncil, type GraphCouncil } from './graph-council.js';

const START = Date.parse('2027-04-12T08:00:00.000Z');
const DAY_MS = 86_400_000;

describe.each([{ mode: 'polling', notifications: false }, { mode: 'notifications', notifications: true }])('Microsoft 365 through the service ($mode)', ({ mode, notifications }) => {
  let council: GraphCouncil;
  let setup: Setup;
  let running: AssembledService;
  let offsetMs = 0;
  const clock = (): Date => new Date(Date.now() + offsetMs);
  let serial = 0;
  const messageId = (what: string): string => `<${what}-${mode}-${++serial}-${Date.now()}@millbrook-tc.gov.uk>`;
  const health = async (): Promise<HealthReport> => (await (await fetch(`http://127.0.0.1:${council.port}/healthz`)).json()) as HealthReport;

  beforeAll(async () => {
    offsetMs = START - Date.now();
    council = await startGraphCouncil({ notifications });
    setup = setupEngine(council.configFile);
    const logger = createLogger({ level: 'debug', destination: pino.destination({ dest: path.join(council.dir, 'wardwatch.log'), sync: true }) });
    running = await assembleService(setup, {
      logger,
      now: clock,
      // An effect whose send is cut off before it went is tried again after a second, not the minute a council gets.
      tuning: { heartbeatMs: 200, outboxIntervalMs: 300, sourceBackoff: { initialMs: 200, maxMs: 1000 }, retry: { baseDelayMs: 1000 } },
      connectorTuning: { graph: { backoffMs: 50 } },
    });
    const started = await running.service.start();
    expect(started.sources).toEqual(['graph']);
    await waitFor('the first round over every folder and calendar', async () => (await health()).sources[0]?.state === 'ok', 30_000);
  }, 60_000);

  afterAll(async () => {
    await running?.service.stop();
    await council?.stop();
  });

  test('the catch-up digest of the morning arrives in the Clerk\'s mailbox', async () => {
    await waitFor('the digest in the Clerk\'s Inbox', () => inboxWithKey(council.sim, A.clerk, digestKey('2027-04-12')).length === 1);
    const [sent] = sentWithKey(council.sim, digestKey('2027-04-12'));
    expect(sent?.from).toBe(A.service);
    expect(sent?.mime).toMatch(/^Auto-Submitted: auto-generated/im);
  });

  test(notifications ? 'subscriptions were made for every folder and calendar, and their handshakes answered' : 'no subscription is made without a notification address', () => {
    const subs = council.sim.subscriptions.subscriptions;
    // Eleven watched folders and two calendars.
    if (notifications) expect(subs.size).toBe(11 + 2);
    else expect(subs.size).toBe(0);
  });

  test('an officer\'s mail with a member in Bcc: the nudge lands in the officer\'s Inbox, once', async () => {
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
    await waitFor('the nudge in Sam\'s Inbox', () => inboxWithKey(council.sim, A.sam, key).length > 0);
    const [nudge] = await parsedWithKey(council.sim, A.sam, key);
    expect(nudge?.subject).toMatch(/^(Please note|A gentle reminder): copying councillors openly \(“New bins for Mill Lane”\)$/);
    expect(nudge?.from?.value[0]?.address).toBe(A.service);
    expect(nudge?.headers.get('auto-submitted')).toBe('auto-generated');
    expect(nudge?.text).toContain('Dear Sam,');
    expect(sentWithKey(council.sim, key)).toHaveLength(1);
  });

  test('a public meeting missing a Castle member: she is added to the organiser\'s event (keeping Tom\'s answer) and Exchange invites her', async () => {
    const event = council.sim.state.addEvent(
      A.clerk,
      meeting({
        subject: 'Public meeting: traffic calming on Castle Street',
        start: '2027-04-20T17:00:00.0000000',
        end: '2027-04-20T18:30:00.0000000',
        location: 'Millbrook Library, Castle Street, MB1 2QT',
        categories: ['Public Meeting'],
        organiser: { address: A.clerk, name: 'Helen Ashworth' },
        attendees: [{ address: A.tom, name: 'Cllr Tom Brown', response: 'accepted' }],
      }),
    );
    const uid = event.iCalUId ?? '';
    await waitFor('Cllr Alice Green on the event', () => council.sim.state.mailbox(A.clerk).events.get(event.id ?? '')?.json.attendees?.some((a) => a.emailAddress?.address === A.alice));
    const attendees = council.sim.state.mailbox(A.clerk).events.get(event.id ?? '')?.json.attendees ?? [];
    expect(attendees.find((a) => a.emailAddress?.address === A.tom)?.status?.response).toBe('accepted');
    await waitFor('Exchange\'s invitation to Alice', () => council.sim.state.sent.some((s) => s.kind === 'invitation' && s.to.includes(A.alice)));
    const notice = effectKey({ rule: 'invite-ward-members', itemKey: uid, recipient: A.clerk, kind: 'notify' });
    await waitFor('the notice to the organiser', () => inboxWithKey(council.sim, A.clerk, notice).length === 1);
    const patches = council.sim.requests((r) => r.method === 'PATCH' && r.canonicalPath.includes('/events/'));
    expect(patches.length).toBe(1);
    expect(patches[0]?.headers['if-match']).toMatch(/^W\//);
    expect(council.sim.state.sent.filter((s) => s.kind === 'invitation' && s.to.includes(A.alice))).toHaveLength(1);
  });

  test('a ward surgery booked in the Council Chamber in the pre-election period is declined by the room, citing the clause', async () => {
    const event = council.sim.state.addEvent(
      A.chamber,
      meeting({
        subject: 'Castle ward surgery',
        start: '2027-04-22T09:00:00.0000000',
        end: '2027-04-22T11:00:00.0000000',
        location: 'Council Chamber, Market Square',
        organiser: { address: A.alice, name: 'Cllr Alice Green' },
        attendees: [{ address: A.chamber, name: 'Council Chamber', type: 'resource', response: 'accepted' }],
      }),
    );
    const uid = event.iCalUId ?? '';
    const response = await waitFor('the room\'s decline', () => council.sim.state.sent.find((s) => s.kind === 'eventResponse' && s.from === A.chamber));
    expect(response.subject).toMatch(/Declined/i);
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

  test('under every fault the simulator injects, nothing is lost and nothing is sent twice', async () => {
    const sim = council.sim;
    const svc = `/users/${A.service}`;
    // Sends that went through and then failed, sends cut off, throttling with and without Retry-After,
    // a token refused while valid, an expired delta link, dropped connections on reads.
    sim.inject({ kind: 'status', status: 503, when: 'after' }, { path: new RegExp(`^${svc}/messages/[^/]+/send$`) });
    sim.inject({ kind: 'status', status: 504, when: 'after' }, { path: new RegExp(`^${svc}/messages/[^/]+/send$`) });
    sim.inject({ kind: 'drop', when: 'after' }, { path: new RegExp(`^${svc}/messages/[^/]+/send$`) });
    sim.inject({ kind: 'drop', when: 'before' }, { path: new RegExp(`^${svc}/messages/[^/]+/send$`) });
    sim.inject({ kind: 'status', status: 429, retryAfter: { seconds: 1 } }, { path: `${svc}/messages`, times: 2 });
    sim.inject({ kind: 'status', status: 429, retryAfter: 'none' }, { path: '/messages/delta', times: 3 });
    sim.inject({ kind: 'unauthorized' }, { path: '/messages/delta', times: 1 });
    sim.inject({ kind: 'drop', when: 'before' }, { path: '/$value', times: 2 });
    sim.state.expireSyncState(A.tom);

    const ids: string[] = [];
    const keys: string[] = [];
    for (let i = 0; i < 6; i++) {
      const id = messageId(`hazel-avenue-${i}`);
      ids.push(id);
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
      'every nudge delivered or held in doubt',
      async () => {
        const effects = await Promise.all(keys.map((k) => running.store.getEffect(k)));
        return effects.every((e) => e !== undefined && (e.state === 'done' || e.state === 'in-doubt'));
      },
      60_000,
      200,
    );
    await running.service.flushOutbox();
    // Each send that failed after taking effect was found in Sent Items, each cut off before it was
    // sent again from its draft: every nudge went exactly once, and none is left in doubt.
    for (const key of keys) {
      expect((await running.store.getEffect(key))?.state, key).toBe('done');
      expect(sentWithKey(sim, key), key).toHaveLength(1);
    }
    expect(sim.faults.stats.fired).toMatchObject({ status: expect.any(Number), drop: expect.any(Number), unauthorized: 1 });
    expect(sim.faults.stats.earlyRetries).toBe(0);
  }, 90_000);

  test('a mailbox that keeps failing shows in /healthz, /metrics and the digest, while the others are read; then it recovers', async () => {
    const sim = council.sim;
    sim.inject({ kind: 'status', status: 403 }, { path: `/users/${A.dan}/`, times: 100_000 });
    // With notifications Dan's mailbox is read when Graph announces a change (or at the hourly safety round).
    const toDan = (what: string) => deliverMail(sim, { messageId: messageId(what), from: A.raj, to: [A.dan], subject: 'Bandstand', body: 'Hi Dan,\n\nThanks for the update on the bandstand.\n\nRaj', date: clock() });
    await toDan('bandstand');
    const failing = await waitFor('Dan\'s mailbox reported in /healthz', async () => {
      const h = await health();
      return h.status === 'degraded' && (h.sources[0]?.lastError?.message ?? '').includes(A.dan) ? h : undefined;
    }, 30_000);
    expect(failing.sources[0]?.lastError?.message).toMatch(/Mail\.ReadWrite/);
    const metrics = await (await fetch(`http://127.0.0.1:${council.port}/metrics`)).text();
    expect(metrics).toMatch(/source_errors_total\{source="graph"\} [1-9]/);

    // The others go on: a blind copy from Sam is still acted on.
    const id = messageId('riverside-path');
    await deliverMail(sim, { messageId: id, from: A.sam, to: [A.raj], bcc: [A.sue], subject: 'Riverside Park path', body: 'Dear Cllr Mehta,\n\nThe path will be resurfaced next week.\n\nKind regards,\nSam Patel', date: clock() });
    const key = effectKey({ rule: 'no-blind-copies', itemKey: id, recipient: A.sam, kind: 'nudge' });
    await waitFor('the nudge to Sam', () => inboxWithKey(sim, A.sam, key).length === 1, 30_000);

    const report = await sendDigestIfDue({ store: running.store, engine: setup.engine, config: setup.loaded.config, sender: running.sender }, new Date(clock().getTime() + 2 * DAY_MS));
    expect(report.sent).toEqual(['2027-04-14']);
    const [digest] = await parsedWithKey(sim, A.clerk, digestKey('2027-04-14'));
    const sources = (digest?.text ?? '').slice((digest?.text ?? '').indexOf('SOURCES'));
    expect(sources).toMatch(/- graph: NOT WORKING.*dan\.okafor@millbrook-tc\.gov\.uk/s);

    sim.faults.clear();
    await toDan('bandstand-again');
    await waitFor('/healthz to recover', async () => (await health()).status === 'ok', 30_000);
  }, 240_000);

  test('every property the connector selected, filtered on or sent is declared in Graph\'s v1.0 schema (message, event, subscription)', () => {
    const types = readCsdl(readFileSync(new URL('../../../shared/graph/v1.0-Prod.csdl', import.meta.url), 'utf8'));
    const typeOf = (path: string): string | undefined =>
      /\/(messages|mailFolders\/[^/]+\/messages)(\/|$)/.test(path) ? 'graph.message' : /\/(events|calendarView)(\/|$)/.test(path) ? 'graph.event' : path.startsWith('/subscriptions') ? 'graph.subscription' : undefined;
    const problems: string[] = [];
    let checked = 0;
    for (const r of council.sim.requests()) {
      const type = typeOf(r.canonicalPath);
      if (type === undefined) continue;
      const query = new URLSearchParams(r.query);
      for (const field of (query.get('$select') ?? '').split(',').filter((f) => f !== '')) {
        checked++;
        if (propertyType(types, type, field) === undefined) problems.push(`${r.method} ${r.canonicalPath}: $select ${field} is not a property of ${type}`);
      }
      for (const m of (query.get('$filter') ?? '').matchAll(/(\w+) (?:eq|ge|gt|le|lt) /g)) {
        checked++;
        if (propertyType(types, type, m[1] ?? '') === undefined) problems.push(`${r.method} ${r.canonicalPath}: $filter on ${m[1] ?? ''} is not a property of ${type}`);
      }
      // The bodies Wardwatch sends as resources: a subscription, an event's changes (an action's parameters are not a resource).
      if (r.body !== undefined && (r.method === 'PATCH' || (r.method === 'POST' && r.canonicalPath === '/subscriptions'))) {
        checked++;
        problems.push(...schemaProblems(types, type, r.body, `${r.method} ${r.canonicalPath}`, new Set(['graph.event', 'graph.subscription'])));
      }
    }
    expect(problems).toEqual([]);
    expect(checked).toBeGreaterThan(notifications ? 20 : 10);
  });

  test('every message Wardwatch sent went once', () => {
    const counts = new Map<string, number>();
    for (const s of council.sim.state.sent) {
      const key = s.headers.find((h) => h.name?.toLowerCase() === 'x-wardwatch-key')?.value;
      if (key !== undefined && key !== null) counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect([...counts].filter(([, n]) => n > 1)).toEqual([]);
    expect(counts.size).toBeGreaterThanOrEqual(8);
  });
});
