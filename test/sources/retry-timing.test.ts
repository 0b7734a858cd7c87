/** Waiting for a throttling service (src/sources/retry-timing.ts), shared by the cloud connectors. */
import { describe, expect, it } from 'vitest';
import { abortableSleep, jitteredBackoff, pause, retryAfterMs } from '../../src/sources/retry-timing.js';

describe('retryAfterMs', () => {
  const now = Date.parse('2027-04-12T17:00:00Z');
  it.each([
    ['seconds', '120', 120_000],
    ['fractional seconds, rounded up', '1.2', 1200],
    ['an HTTP date', 'Mon, 12 Apr 2027 17:00:30 GMT', 30_000],
    ['a date already past', 'Mon, 12 Apr 2027 16:00:00 GMT', 0],
    ['absent', null, undefined],
    ['blank', '  ', undefined],
    ['unreadable', 'soon', undefined],
  ])('%s', (_name, value, ms) => {
    expect(retryAfterMs(value, now)).toBe(ms);
  });
});

describe('jitteredBackoff', () => {
  it('lies between half and all of the doubled wait, and never beyond a minute', () => {
    expect(jitteredBackoff(1, 1000, () => 0)).toBe(500);
    expect(jitteredBackoff(3, 1000, () => 1)).toBe(4000);
    expect(jitteredBackoff(20, 1000, () => 1)).toBe(60_000);
  });
});

describe('sleeps', () => {
  it('pause resolves at once when the signal aborts', async () => {
    const c = new AbortController();
    const p = pause(60_000, c.signal);
    c.abort();
    await expect(p).resolves.toBeUndefined();
  });

  it('abortableSleep rejects with the reason when the signal aborts, and resolves otherwise', async () => {
    const c = new AbortController();
    const p = abortableSleep(60_000, c.signal);
    c.abort(new Error('stopped'));
    await expect(p).rejects.toThrow('stopped');
    await expect(abortableSleep(1)).resolves.toBeUndefined();
  });
});
