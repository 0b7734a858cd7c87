import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Address, Problem, RawRecord } from '../../src/items/types.js';
import { sourceState } from '../../src/service/health.js';
import { silentLogger } from '../../src/service/logger.js';
import { ServiceMetrics } from '../../src/service/metrics.js';
import { DEFAULT_SOURCE_BACKOFF, SourceRunner, sourceBackoffMs } from '../../src/service/source-runner.js';
import { pause } from '../../src/sources/retry-timing.js';
import type { EventRef, RecordSink, SourceConnector, SourceHealth } from '../../src/sources/types.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { waitFor } from './helpers.js';

/** A source that fails its first `failures` syncs, then hands over one record per sync and watches until aborted. */
class FlakySource implements SourceConnector {
  readonly capabilities = { addAttendees: false, declineBooking: false };
  syncs = 0;
  watches = 0;
  closed = false;

  constructor(
    readonly name: string,
    public failures: number,
  ) {}

  async sync(sink: RecordSink): Promise<void> {
    this.syncs += 1;
    if (this.failures > 0) {
      this.failures -= 1;
      throw new Error(`${this.name}: connection refused`);
    }
    await sink.record({ kind: 'calendar', source: 'BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n', calendarId: 'council-events', origin: `${this.name}-${this.syncs}` });
  }

  watch(_sink: RecordSink, signal: AbortSignal): Promise<void> {
    this.watches += 1;
    return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
  }

  async addAttendees(_ref: EventRef, _attendees: Address[]): Promise<void> {}
  async declineBooking(_ref: EventRef, _room: string | undefined, _reason: string): Promise<void> {}
  async close(): Promise<void> {
    this.closed = true;
  }
}

class CountingSink implements RecordSink {
  readonly origins: string[] = [];
  async record(record: RawRecord): Promise<void> {
    this.origins.push(record.origin);
  }
  async removed(): Promise<void> {}
  problem(_problem: Problem): void {}
}

let dir: string | undefined;
let store: SqliteStore | undefined;
afterEach(async () => {
  await store?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
  store = undefined;
});

function openStore(): SqliteStore {
  dir = mkdtempSync(path.join(tmpdir(), 'wardwatch-runner-'));
  store = new SqliteStore(path.join(dir, 'state.sqlite'));
  return store;
}

describe('source backoff', () => {
  it('doubles from 5 seconds up to 5 minutes', () => {
    expect([1, 2, 3, 4, 7, 8, 50].map((n) => sourceBackoffMs(n, DEFAULT_SOURCE_BACKOFF))).toEqual([5000, 10_000, 20_000, 40_000, 300_000, 300_000, 300_000]);
  });
});

describe('the source runner', () => {
  it('retries a failing source with growing pauses while another goes on, and records the recovery', async () => {
    const s = openStore();
    const metrics = new ServiceMetrics(s, { defaultMetrics: false });
    const flaky = new FlakySource('flaky', 1000);
    const steady = new FlakySource('steady', 0);
    const sink = new CountingSink();
    const pauses: number[] = [];
    let release = (): void => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    // Pauses are cut short, except that the third one lasts until the test says so.
    const sleep = async (ms: number, signal: AbortSignal): Promise<void> => {
      pauses.push(ms);
      if (pauses.length === 3) await gate;
      await pause(Math.min(ms, 10), signal);
    };
    const options = { store: s, logger: silentLogger(), metrics, backoff: { initialMs: 5000, maxMs: 300_000 }, heartbeatMs: 20, sleep };
    const runners = [new SourceRunner(flaky, sink, options), new SourceRunner(steady, sink, options)];
    for (const r of runners) r.start();

    // The steady source is synced and watched at once, whatever the other does.
    await waitFor('the steady source', () => sink.origins.includes('steady-1'));
    await waitFor('three failures', () => pauses.length === 3);
    expect(flaky.syncs).toBe(3);
    const failing = (await s.listSourceHealth()).find((h) => h.source === 'flaky');
    expect(failing?.lastError?.message).toBe('flaky: connection refused');
    expect(failing?.lastSuccess).toBeUndefined();
    expect(sourceState(failing)).toBe('failing');

    // The server comes back.
    flaky.failures = 0;
    release();
    await waitFor('the flaky source to recover', () => sink.origins.includes('flaky-4'), 5000);
    expect(flaky.syncs).toBe(4);
    // Only the failing source paused, and each pause was twice the one before.
    expect(pauses).toEqual([5000, 10_000, 20_000]);
    expect(runners[0]?.failures).toBe(0);

    const health = (await s.listSourceHealth()).find((h) => h.source === 'flaky');
    expect(health?.lastError?.message).toBe('flaky: connection refused');
    expect(sourceState(health)).toBe('ok');
    expect((await metrics.render()).body).toMatch(/source_errors_total\{source="flaky"\} 3/);

    // A healthy watch keeps refreshing the last success.
    const before = (await s.listSourceHealth()).find((h) => h.source === 'steady')?.lastSuccess ?? '';
    await waitFor('a heartbeat', async () => ((await s.listSourceHealth()).find((h) => h.source === 'steady')?.lastSuccess ?? '') > before);

    await Promise.all(runners.map((r) => r.stop()));
    expect(flaky.closed && steady.closed).toBe(true);
    expect(steady.syncs).toBe(1);
  });

  it('says when its first sync has been tried, whether it worked or not (the catch-up digest waits for it)', async () => {
    const s = openStore();
    const options = { store: s, logger: silentLogger(), backoff: { initialMs: 5000, maxMs: 300_000 }, sleep: (_ms: number, signal: AbortSignal) => pause(60_000, signal) };
    const failing = new SourceRunner(new FlakySource('down', 1), new CountingSink(), options);
    const working = new SourceRunner(new FlakySource('up', 0), new CountingSink(), options);
    let settled = 0;
    void failing.firstAttempt.then(() => (settled += 1));
    void working.firstAttempt.then(() => (settled += 1));
    await Promise.resolve();
    expect(settled).toBe(0);
    failing.start();
    working.start();
    await Promise.all([failing.firstAttempt, working.firstAttempt]);
    expect(settled).toBe(2);
    expect((await s.listSourceHealth()).map((h) => [h.source, sourceState(h)]).sort()).toEqual([
      ['down', 'failing'],
      ['up', 'ok'],
    ]);
    await Promise.all([failing.stop(), working.stop()]);
  });

  it('stops at once while waiting to retry', async () => {
    const s = openStore();
    const broken = new FlakySource('broken', 1000);
    const runner = new SourceRunner(broken, new CountingSink(), { store: s, logger: silentLogger(), backoff: { initialMs: 60_000, maxMs: 60_000 } });
    runner.start();
    await waitFor('the first failure', () => broken.syncs === 1);
    // The pause is a minute long; stopping cuts it short (the test would time out otherwise).
    await runner.stop();
    expect(broken.syncs).toBe(1);
    expect(broken.closed).toBe(true);
  });

  it('while watching, reports the health a connector gives of its own parts', async () => {
    const s = openStore();
    const parts: SourceHealth[] = [{ source: 'imap:clerk@millbrook-tc.gov.uk/INBOX', lastSuccess: '2026-11-20T10:00:00.000Z' }];
    const imap = Object.assign(new FlakySource('imap', 0), { health: (): SourceHealth[] => parts });
    const runner = new SourceRunner(imap, new CountingSink(), { store: s, logger: silentLogger(), heartbeatMs: 10 });
    runner.start();
    await waitFor('the first sync', () => imap.watches === 1);

    // One folder's connection drops; the connector retries it by itself, and the health says so.
    parts[0] = { ...parts[0], source: 'imap:clerk@millbrook-tc.gov.uk/INBOX', lastError: { at: '2099-01-01T00:00:00.000Z', message: 'connection reset' } };
    const failing = await waitFor('the failing part to show', async () => {
      const h = (await s.listSourceHealth()).find((x) => x.source === 'imap');
      return sourceState(h) === 'failing' ? h : undefined;
    });
    expect(failing.lastError?.message).toBe('imap:clerk@millbrook-tc.gov.uk/INBOX: connection reset');

    parts[0] = { source: 'imap:clerk@millbrook-tc.gov.uk/INBOX', lastSuccess: '2099-01-01T00:00:01.000Z' };
    await waitFor('the recovery to show', async () => sourceState((await s.listSourceHealth()).find((x) => x.source === 'imap')) === 'ok');
    await runner.stop();
  });
});
