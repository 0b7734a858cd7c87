import { describe, expect, it } from 'vitest';
import { waitingOnDeadlines, withDeadline } from '../../src/runtime/deadline.js';

describe('withDeadline', () => {
  it('gives the result of work that finishes in time, and stops watching it', async () => {
    await expect(withDeadline(Promise.resolve(42), 1000, () => new Error('late'))).resolves.toBe(42);
    expect(waitingOnDeadlines()).toBe(0);
  });

  it("passes on the work's own failure", async () => {
    await expect(withDeadline(Promise.reject(new Error('broken')), 1000, () => new Error('late'))).rejects.toThrow('broken');
    expect(waitingOnDeadlines()).toBe(0);
  });

  it('fails work that never finishes, once its deadline has passed, and not before', async () => {
    const started = Date.now();
    const never = new Promise<number>(() => {});
    const quick = withDeadline(new Promise<number>((resolve) => setTimeout(() => resolve(7), 20)), 5000, () => new Error('late'));
    await expect(withDeadline(never, 150, () => new Error('the message could not be read within 0 seconds'))).rejects.toThrow('could not be read');
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(145);
    expect(waited).toBeLessThan(2000);
    await expect(quick).resolves.toBe(7);
    expect(waitingOnDeadlines()).toBe(0);
  });
});
