/** Holding sending while the service refuses it, and checking again (src/sources/send-refusal.ts). */
import { describe, expect, it } from 'vitest';
import { RefusalHold, runStep, StepFailure } from '../../src/sources/send-refusal.js';

describe('RefusalHold', () => {
  it('checks at the first question, holds on a refusal, checks again only after reprobeMs, and resumes', () => {
    let now = Date.parse('2027-04-12T09:00:00Z');
    const hold = new RefusalHold<'send' | 'mailbox'>(60_000, () => new Date(now));
    expect(hold.checkDue()).toBe(true);
    expect(hold.checkDue()).toBe(false);
    expect(hold.refuse('send', 'no Mail.Send')).toBe(true);
    const since = hold.problem()?.since;
    expect(hold.problem()).toEqual({ reason: 'no Mail.Send', since: '2027-04-12T09:00:00.000Z' });
    now += 30_000;
    expect(hold.checkDue()).toBe(false);
    now += 30_000;
    expect(hold.checkDue()).toBe(true);
    // Out of reach: still refused, checked again later; refused again: the first `since` is kept.
    hold.postpone();
    expect(hold.checkDue()).toBe(false);
    expect(hold.refuse('mailbox', 'no Mail.ReadWrite')).toBe(false);
    expect(hold.refusal).toMatchObject({ kind: 'mailbox', since });
    expect(hold.allow()).toBe(true);
    expect(hold.problem()).toBeUndefined();
    expect(hold.allow()).toBe(false);
  });
});

describe('runStep', () => {
  it('tags a failure with its step, and keeps an inner step\'s tag', async () => {
    const failed = await runStep('read', () => Promise.reject(new Error('403'))).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(StepFailure);
    expect((failed as StepFailure<string>).step).toBe('read');
    const nested = await runStep('send', () => runStep('draft', () => Promise.reject(new Error('x')))).catch((e: unknown) => e);
    expect((nested as StepFailure<string>).step).toBe('draft');
  });
});
