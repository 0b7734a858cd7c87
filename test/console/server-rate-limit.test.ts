import { describe, expect, it } from 'vitest';
import { SignInLimiter, type Admission, type SignInAttempt, type SignInTicket } from '../../src/console/rate-limit.js';

const at = (minutes: number): Date => new Date(Date.UTC(2027, 2, 1, 10, minutes));

function ticketOf(admission: Admission): SignInTicket {
  if (!admission.admitted) throw new Error(`refused until ${admission.refusedUntil.toISOString()}`);
  return admission.ticket;
}

/** An attempt that is let in and whose password turns out wrong. */
function fail(limiter: SignInLimiter, attempt: SignInAttempt, when: Date): void {
  limiter.failed(ticketOf(limiter.begin(attempt, when)));
}

describe('the sign-in rate limit', () => {
  it('refuses after the allowed failures until the oldest leaves the window', () => {
    const limiter = new SignInLimiter({ perUsername: 3, perAddress: 100, windowMs: 15 * 60_000 });
    const attempt = { username: 'helen', address: '192.0.2.1', account: true };
    fail(limiter, attempt, at(0));
    fail(limiter, attempt, at(5));
    fail(limiter, attempt, at(6));
    const refused = limiter.begin(attempt, at(7));
    expect(refused).toEqual({ admitted: false, refusedUntil: at(15) });
    // The username counts whatever its case, from any address.
    expect(limiter.begin({ username: 'Helen', address: '192.0.2.9', account: true }, at(7))).toEqual({ admitted: false, refusedUntil: at(15) });
    // Once the first has aged out there is room for one more failure, not three.
    fail(limiter, attempt, at(15));
    expect(limiter.begin(attempt, at(15))).toEqual({ admitted: false, refusedUntil: at(20) });
  });

  it('counts an attempt from when it starts: attempts still being checked fill the limit', () => {
    const limiter = new SignInLimiter({ perUsername: 2, perAddress: 100 });
    const attempt = { username: 'helen', address: '192.0.2.1', account: true };
    const first = ticketOf(limiter.begin(attempt, at(0)));
    const second = ticketOf(limiter.begin(attempt, at(0)));
    // Neither has been answered yet, and a third is refused all the same.
    expect(limiter.begin(attempt, at(0))).toEqual({ admitted: false, refusedUntil: at(15) });
    // A success gives its place back, and leaves the other attempt still being checked counted.
    limiter.succeeded(first);
    const third = ticketOf(limiter.begin(attempt, at(1)));
    expect(limiter.begin(attempt, at(1))).toMatchObject({ admitted: false });
    limiter.failed(second);
    limiter.failed(third);
    expect(limiter.begin(attempt, at(2))).toEqual({ admitted: false, refusedUntil: at(15) });
  });

  it('a success clears the username’s failures but not the address’s', () => {
    const limiter = new SignInLimiter({ perUsername: 2, perAddress: 3 });
    const attempt = { username: 'helen', address: '192.0.2.1', account: true };
    fail(limiter, attempt, at(0));
    fail(limiter, attempt, at(1));
    expect(limiter.begin(attempt, at(2))).toMatchObject({ admitted: false });
    // Once the first failure has aged out, the right password clears the other (at 10:01).
    limiter.succeeded(ticketOf(limiter.begin(attempt, at(15))));
    fail(limiter, attempt, at(15));
    // Without the clearing, 10:01 and 10:15 would fill the limit of two.
    const again = ticketOf(limiter.begin(attempt, at(15)));
    limiter.failed(again);
    // The address keeps its failures (10:01 and twice 10:15): a third name from it is refused until 10:16.
    expect(limiter.begin({ username: 'sam', address: '192.0.2.1', account: true }, at(15))).toEqual({ admitted: false, refusedUntil: at(16) });
  });

  it('counts names that are no account too, the same way, without keeping what was typed', () => {
    const limiter = new SignInLimiter({ perUsername: 2, perAddress: 100 });
    const typed = { username: 'correct horse battery staple', address: '192.0.2.1', account: false };
    fail(limiter, typed, at(0));
    fail(limiter, { ...typed, username: 'Correct Horse Battery Staple' }, at(0));
    expect(limiter.begin(typed, at(1))).toEqual({ admitted: false, refusedUntil: at(15) });
    const remembered: unknown[] = Object.values(limiter);
    const keys = remembered.flatMap((field) => (field instanceof Map ? [...field.keys()].map(String) : []));
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.join(' ')).not.toMatch(/horse/i);
  });

  it('never forgets an account’s count, however many addresses and names guess', () => {
    const limiter = new SignInLimiter({ perUsername: 3, perAddress: 1000, maxKeys: 50 });
    const helen = { username: 'helen', address: '198.51.100.1', account: true };
    for (let i = 0; i < 3; i++) fail(limiter, helen, at(i));
    // An attacker with many addresses tries many names that are no account.
    for (let i = 0; i < 500; i++) fail(limiter, { username: `name-${i}`, address: `address-${i}`, account: false }, at(5));
    expect(limiter.begin({ ...helen, address: '192.0.2.77' }, at(6))).toEqual({ admitted: false, refusedUntil: at(15) });
  });

  it('keeps at most maxKeys addresses and unknown names, forgetting first what runs out soonest', () => {
    const limiter = new SignInLimiter({ perUsername: 1, perAddress: 1, maxKeys: 4 });
    fail(limiter, { username: 'old', address: 'a1', account: false }, at(0));
    fail(limiter, { username: 'new1', address: 'a2', account: false }, at(1));
    fail(limiter, { username: 'new2', address: 'a3', account: false }, at(2));
    // Six keys were counted; the two that run out soonest (old and a1) have been forgotten, the rest are remembered.
    expect(limiter.begin({ username: 'new2', address: 'z1', account: false }, at(3))).toEqual({ admitted: false, refusedUntil: at(17) });
    expect(limiter.begin({ username: 'new1', address: 'z2', account: false }, at(3))).toEqual({ admitted: false, refusedUntil: at(16) });
    expect(limiter.begin({ username: 'other', address: 'a2', account: false }, at(3))).toEqual({ admitted: false, refusedUntil: at(16) });
    expect(limiter.begin({ username: 'old', address: 'a1', account: false }, at(3))).toMatchObject({ admitted: true });
  });

  it('says a refusal is the first from its address, for an account or for any name that is no account, once a window', () => {
    const limiter = new SignInLimiter({ windowMs: 15 * 60_000 });
    const helen = { username: 'helen', address: '192.0.2.1', account: true };
    expect(limiter.firstRefusal(helen, at(0))).toBe(true);
    expect(limiter.firstRefusal(helen, at(1))).toBe(false);
    expect(limiter.firstRefusal({ ...helen, address: '192.0.2.2' }, at(1))).toBe(true);
    expect(limiter.firstRefusal({ username: 'nobody', address: '192.0.2.1', account: false }, at(1))).toBe(true);
    expect(limiter.firstRefusal({ username: 'somebody else', address: '192.0.2.1', account: false }, at(2))).toBe(false);
    expect(limiter.firstRefusal(helen, at(15))).toBe(true);
  });
});
