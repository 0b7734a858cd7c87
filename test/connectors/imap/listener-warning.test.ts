/**
 * Watching five mailboxes (Inbox and Sent each) plus CalDAV must not make Node warn of a listener
 * leak on the stop signal (MaxListenersExceededWarning): every folder's loop used to add its own
 * abort listeners to the one signal. Against the real stack, and the fan-out on its own.
 */
import { getEventListeners } from 'node:events';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DAVClient } from 'tsdav';
import { parseImapSettings } from '../../../connectors/imap/config.js';
import { createImapConnector } from '../../../connectors/imap/connector.js';
import { StopSignals } from '../../../connectors/imap/timing.js';
import { startMailStack, type MailStack } from '../../support/servers.js';
import { eventually, MemoryCursors, rawMessage, RecordingSink } from './helpers.js';

const D = 'millbrook-tc.gov.uk';
const service = { address: `protocol@${D}`, password: 'service-Pa55' };
const people = ['clerk', 'sam.patel', 'priya.shah', 'tom.brown', 'alice.green'].map((local, i) => ({ address: `${local}@${D}`, password: `Pa55-${i}-word` }));
const env: Record<string, string> = { WW_SERVICE: service.password, ...Object.fromEntries(people.map((p, i) => [`WW_P${i}`, p.password])) };

let stack: MailStack;

beforeAll(async () => {
  stack = await startMailStack({ users: [service, ...people] });
  const client = new DAVClient({ serverUrl: stack.caldavUrl, credentials: { username: service.address, password: service.password }, authMethod: 'Basic', defaultAccountType: 'caldav' });
  await client.login();
  await client.makeCalendar({ url: `${client.account?.homeUrl ?? ''}council-events/`, props: { displayname: 'Council events' } });
});

afterAll(async () => {
  await stack?.stop();
});

describe('the stop signal', () => {
  test('five mailboxes with their Sent folders plus CalDAV: no MaxListenersExceededWarning, and few listeners on the signal', async () => {
    const settings = parseImapSettings(
      {
        host: '127.0.0.1',
        port: stack.ports.imap,
        secure: false,
        password: '${WW_SERVICE}',
        mailboxes: Object.fromEntries(people.map((p, i) => [p.address, { password: `\${WW_P${i}}` }])),
        recheckSeconds: 0.3,
        backoff: { initialSeconds: 0.2, maxSeconds: 1 },
        caldav: { url: stack.caldavUrl, user: service.address, password: '${WW_SERVICE}', calendars: { 'council-events': `/protocol%40${D}/council-events/` }, pollSeconds: 0.3 },
      },
      {
        councilName: 'Millbrook Town Council',
        serviceAddress: service.address,
        mailboxes: people.map((p) => ({ address: p.address, folders: ['inbox', 'sent'] })),
        calendarIds: ['council-events'],
      },
      env,
    );
    const warnings: Error[] = [];
    const onWarning = (w: Error): void => {
      warnings.push(w);
    };
    process.on('warning', onWarning);
    const connector = createImapConnector(settings, new MemoryCursors());
    const stop = new AbortController();
    try {
      const sink = new RecordingSink();
      await connector.sync(sink);
      const watching = connector.watch(sink, stop.signal);
      sink.clear();
      for (const p of people) await stack.deliver(rawMessage({ from: 'j.smith@example.com', to: p.address, subject: 'Hazel Avenue potholes', id: `<watch-${p.address}>` }));
      await eventually('a new message seen in each of the five inboxes', () => new Set(sink.mail().map((r) => r.mailbox)).size === 5, 15_000);
      // Several rechecks and calendar polls: each used to add (and remove) listeners of its own.
      await new Promise((r) => setTimeout(r, 1500));
      expect(getEventListeners(stop.signal, 'abort').length).toBeLessThanOrEqual(3);
      stop.abort();
      await watching;
    } finally {
      stop.abort();
      await connector.close();
      process.off('warning', onWarning);
    }
    expect(sinkProblems(warnings)).toEqual([]);
  }, 60_000);
});

function sinkProblems(warnings: readonly Error[]): string[] {
  return warnings.filter((w) => w.name === 'MaxListenersExceededWarning').map((w) => w.message);
}

describe('StopSignals', () => {
  test('one listener on the shared signal for any number of waiters; each aborts with it', () => {
    const shared = new AbortController();
    const stops = new StopSignals(shared.signal);
    const waiters = Array.from({ length: 25 }, () => stops.child());
    expect(getEventListeners(shared.signal, 'abort')).toHaveLength(1);
    expect(stops.size).toBe(25);
    waiters[0]?.release();
    expect(stops.size).toBe(24);
    shared.abort();
    expect(waiters.slice(1).every((w) => w.signal.aborted)).toBe(true);
    expect(waiters[0]?.signal.aborted).toBe(false);
    // After the shared signal has aborted, a new waiter is aborted from the start.
    expect(stops.child().signal.aborted).toBe(true);
  });

  test('stopAll ends the waiters without touching the shared signal; dispose removes the listener', () => {
    const shared = new AbortController();
    const stops = new StopSignals(shared.signal);
    const a = stops.child();
    stops.stopAll();
    expect(a.signal.aborted).toBe(true);
    expect(shared.signal.aborted).toBe(false);
    stops.dispose();
    expect(getEventListeners(shared.signal, 'abort')).toHaveLength(0);
  });
});
