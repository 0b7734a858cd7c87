import { describe, expect, it } from 'vitest';
import { SignInLimiter, addressKey, type Admission, type SignInAttempt, type SignInTicket } from '../../src/console/rate-limit.js';

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
  it('refuses a username from an address after the allowed failures until the oldest leaves the window', () => {
    const limiter = new SignInLimiter({ perUsernameFromAddress: 3, perUsername: 100, perAddress: 100, windowMs: 15 * 60_000 });
    const attempt = { username: 'helen', address: '192.0.2.1', account: true };
    fail(limiter, attempt, at(0));
    fail(limiter, attempt, at(5));
    fail(limiter, attempt, at(6));
    const refused = limiter.begin(attempt, at(7));
    expect(refused).toEqual({ admitted: false, refusedUntil: at(15) });
    // The username counts whatever its case.
    expect(limiter.begin({ username: 'Helen', address: '192.0.2.1', account: true }, at(7))).toEqual({ admitted: false, refusedUntil: at(15) });
    // Once the first has aged out there is room for one more failure, not three.
    fail(limiter, attempt, at(15));
    expect(limiter.begin(attempt, at(15))).toEqual({ admitted: false, refusedUntil: at(20) });
  });

  it('does not let one guesser lock an account out from other addresses, however long they keep guessing', () => {
    const limiter = new SignInLimiter();
    const guesser = { username: 'helen', address: '203.0.113.5', account: true };
    const clerk = { username: 'helen', address: '192.0.2.10', account: true };
    // Five failures, then a guess every three minutes for two hours: each is let in as soon as
    // the oldest failure leaves the window, so the guesser is never short of failures counted.
    for (let minute = 0; minute < 120; minute += 3) {
      const admission = limiter.begin(guesser, at(minute));
      if (admission.admitted) limiter.failed(admission.ticket);
      // The Clerk, from their own address, signs in throughout.
      const ticket = ticketOf(limiter.begin(clerk, at(minute + 1)));
      limiter.succeeded(ticket);
    }
    // The guesser is held to five in any fifteen minutes all along.
    expect(limiter.begin(guesser, at(119))).toEqual({ admitted: false, refusedUntil: at(120) });
  });

  it('refuses a username everywhere once guesses from many addresses reach its ceiling', () => {
    const limiter = new SignInLimiter({ perUsernameFromAddress: 5, perUsername: 12, perAddress: 100 });
    const from = (address: string): SignInAttempt => ({ username: 'helen', address, account: true });
    // Two addresses fill their own limit of five each: ten for helen, under the ceiling of twelve.
    for (let i = 0; i < 5; i++) for (const address of ['203.0.113.1', '203.0.113.2']) fail(limiter, from(address), at(i));
    fail(limiter, from('203.0.113.3'), at(6));
    fail(limiter, from('203.0.113.4'), at(7));
    // The ceiling is reached: a new address is refused until the attempt at 10:00 has aged out, the right password included.
    expect(limiter.begin(from('192.0.2.10'), at(8))).toEqual({ admitted: false, refusedUntil: at(15) });
    expect(limiter.begin({ username: 'Helen', address: '198.51.100.7', account: true }, at(8))).toMatchObject({ admitted: false });
    // Other accounts are untouched.
    expect(limiter.begin({ username: 'sam', address: '203.0.113.1', account: true }, at(8))).toMatchObject({ admitted: true });
  });

  it('has defaults of 5 per username from an address, 50 per username and 20 per address, in 15 minutes', () => {
    expect(new SignInLimiter().settings).toEqual({ perUsernameFromAddress: 5, perUsername: 50, perAddress: 20, windowMs: 15 * 60_000, maxKeys: 10_000 });
    const limiter = new SignInLimiter();
    // Ten addresses with five failures each fill the ceiling of fifty; nine do not.
    for (let a = 0; a < 9; a++) for (let i = 0; i < 5; i++) fail(limiter, { username: 'helen', address: `203.0.113.${a}`, account: true }, at(0));
    expect(limiter.begin({ username: 'helen', address: '192.0.2.10', account: true }, at(1))).toMatchObject({ admitted: true });
    for (let i = 0; i < 4; i++) fail(limiter, { username: 'helen', address: '203.0.113.9', account: true }, at(1));
    expect(limiter.begin({ username: 'helen', address: '192.0.2.11', account: true }, at(1))).toEqual({ admitted: false, refusedUntil: at(15) });
  });

  it('counts an attempt from when it starts: attempts still being checked fill the limit', () => {
    const limiter = new SignInLimiter({ perUsernameFromAddress: 2, perAddress: 100 });
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

  it('holds attempts still being checked from many addresses to the username’s ceiling', () => {
    const limiter = new SignInLimiter({ perUsernameFromAddress: 5, perUsername: 7, perAddress: 100 });
    const admitted = Array.from({ length: 20 }, (_, i) => limiter.begin({ username: 'helen', address: `203.0.113.${i}`, account: true }, at(0)));
    expect(admitted.filter((a) => a.admitted)).toHaveLength(7);
  });

  it('a success clears the username’s failures from its address, but not from elsewhere nor the address’s', () => {
    const limiter = new SignInLimiter({ perUsernameFromAddress: 2, perUsername: 4, perAddress: 3 });
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
    // Helen's count from anywhere keeps them too: one more from elsewhere fills the ceiling of four.
    fail(limiter, { ...attempt, address: '198.51.100.1' }, at(15));
    expect(limiter.begin({ ...attempt, address: '198.51.100.2' }, at(15))).toEqual({ admitted: false, refusedUntil: at(16) });
  });

  it('counts names that are no account too, the same way, without keeping what was typed', () => {
    const limiter = new SignInLimiter({ perUsernameFromAddress: 2, perUsername: 3, perAddress: 100 });
    const typed = { username: 'correct horse battery staple', address: '192.0.2.1', account: false };
    fail(limiter, typed, at(0));
    fail(limiter, { ...typed, username: 'Correct Horse Battery Staple' }, at(0));
    expect(limiter.begin(typed, at(1))).toEqual({ admitted: false, refusedUntil: at(15) });
    fail(limiter, { ...typed, address: '192.0.2.2' }, at(1));
    expect(limiter.begin({ ...typed, address: '192.0.2.3' }, at(1))).toEqual({ admitted: false, refusedUntil: at(15) });
    const remembered: unknown[] = Object.values(limiter);
    const keys = remembered.flatMap((field) => (field instanceof Map ? [...field.keys()].map(String) : []));
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.join(' ')).not.toMatch(/horse/i);
  });

  it('never forgets an account’s counts, however many addresses and names guess', () => {
    const limiter = new SignInLimiter({ perUsernameFromAddress: 3, perUsername: 6, perAddress: 1000, maxKeys: 50 });
    const helen = { username: 'helen', address: '198.51.100.1', account: true };
    for (let i = 0; i < 3; i++) {
      fail(limiter, helen, at(i));
      fail(limiter, { ...helen, address: '198.51.100.2' }, at(i));
    }
    // An attacker with many addresses tries many names that are no account.
    for (let i = 0; i < 500; i++) fail(limiter, { username: `name-${i}`, address: `address-${i}`, account: false }, at(5));
    expect(limiter.begin(helen, at(6))).toEqual({ admitted: false, refusedUntil: at(15) });
    expect(limiter.begin({ ...helen, address: '192.0.2.77' }, at(6))).toEqual({ admitted: false, refusedUntil: at(15) });
  });

  it('forgets accounts’ counts once their window has ended', () => {
    const limiter = new SignInLimiter({ perUsernameFromAddress: 1, perUsername: 1000, perAddress: 1000 });
    for (let i = 0; i < 200; i++) fail(limiter, { username: 'helen', address: `203.0.113.${i}`, account: true }, at(0));
    fail(limiter, { username: 'sam', address: '192.0.2.1', account: true }, at(20));
    const sizes = Object.values(limiter as object).flatMap((field: unknown) => (field instanceof Map ? [field.size] : []));
    // Helen's 201 counts have gone; what is left is sam from anywhere and from 192.0.2.1, and the
    // 201 addresses' counts (bounded by maxKeys, not by the window).
    expect(sizes.reduce((sum, size) => sum + size, 0)).toBe(2 + 201);
    expect(limiter.begin({ username: 'helen', address: '203.0.113.1', account: true }, at(20))).toMatchObject({ admitted: true });
  });

  it('keeps at most maxKeys addresses and unknown names, forgetting first what runs out soonest', () => {
    const limiter = new SignInLimiter({ perUsernameFromAddress: 1, perUsername: 1, perAddress: 1, maxKeys: 6 });
    fail(limiter, { username: 'old', address: 'a1', account: false }, at(0));
    fail(limiter, { username: 'new1', address: 'a2', account: false }, at(1));
    fail(limiter, { username: 'new2', address: 'a3', account: false }, at(2));
    // Nine keys were counted; the three that run out soonest (old, old from a1, and a1) have been forgotten, the rest are remembered.
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
    // An IPv6 /64 is one address here too.
    expect(limiter.firstRefusal({ ...helen, address: '2001:db8:1:2::1' }, at(16))).toBe(true);
    expect(limiter.firstRefusal({ ...helen, address: '2001:db8:1:2:abcd::9' }, at(16))).toBe(false);
  });
});

describe('the sign-in rate limit when the clock is stepped back', () => {
  it('drops attempts that seem to be in the future, so a lockout lasts no longer than its window', () => {
    const limiter = new SignInLimiter();
    const helen = { username: 'helen', address: '192.0.2.1', account: true };
    // The clock runs an hour fast: five failures at what it calls 11:00 to 11:04.
    for (let i = 0; i < 5; i++) fail(limiter, helen, at(60 + i));
    expect(limiter.begin(helen, at(65))).toEqual({ admitted: false, refusedUntil: at(75) });
    // NTP steps it back to 10:05. Kept, those failures would refuse helen until 11:15.
    expect(limiter.begin(helen, at(5))).toMatchObject({ admitted: true });
  });

  it('records a refusal again after the clock is stepped back', () => {
    const limiter = new SignInLimiter();
    const helen = { username: 'helen', address: '192.0.2.1', account: true };
    expect(limiter.firstRefusal(helen, at(60))).toBe(true);
    expect(limiter.firstRefusal(helen, at(61))).toBe(false);
    expect(limiter.firstRefusal(helen, at(5))).toBe(true);
    expect(limiter.firstRefusal(helen, at(6))).toBe(false);
  });
});

describe('client addresses in the sign-in rate limit', () => {
  it('counts an IPv6 address by its /64 and an IPv4 address as itself, also written as IPv6', () => {
    expect(addressKey('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:0DB8:0001:0002:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(addressKey('64:ff9b::192.0.2.1')).toBe('64:ff9b:0:0::/64');
    expect(addressKey('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(addressKey('::FFFF:c000:0201')).toBe('192.0.2.1');
    expect(addressKey('192.0.2.1')).toBe('192.0.2.1');
    expect(addressKey('unknown')).toBe('unknown');
  });

  it('holds a whole IPv6 /64 to the address’s limit, and to the limit per username from an address', () => {
    const limiter = new SignInLimiter({ perUsernameFromAddress: 2, perUsername: 100, perAddress: 3 });
    const from = (address: string, username: string): SignInAttempt => ({ username, address, account: false });
    fail(limiter, from('2001:db8:1:2::1', 'a'), at(0));
    fail(limiter, from('2001:db8:1:2::2', 'a'), at(0));
    expect(limiter.begin(from('2001:db8:1:2::3', 'a'), at(0))).toMatchObject({ admitted: false });
    fail(limiter, from('2001:db8:1:2:ffff:ffff:ffff:fffe', 'b'), at(0));
    expect(limiter.begin(from('2001:db8:1:2:ffff:ffff:ffff:ffff', 'c'), at(0))).toEqual({ admitted: false, refusedUntil: at(15) });
    // The next /64 is another address.
    expect(limiter.begin(from('2001:db8:1:3::1', 'c'), at(0))).toMatchObject({ admitted: true });
    // An IPv4 address is the same whether written as IPv4 or as IPv6.
    for (const name of ['a', 'b', 'c']) fail(limiter, from('::ffff:192.0.2.1', name), at(1));
    expect(limiter.begin(from('192.0.2.1', 'd'), at(1))).toMatchObject({ admitted: false });
  });

  it('does not let the addresses of one /64 flush other addresses’ counts', () => {
    const limiter = new SignInLimiter({ perUsernameFromAddress: 5, perUsername: 100, perAddress: 3, maxKeys: 10 });
    for (let i = 0; i < 3; i++) fail(limiter, { username: 'x', address: '192.0.2.1', account: false }, at(0));
    // A thousand addresses of one /64, each with a new name: only three are let in.
    let admitted = 0;
    for (let i = 0; i < 1000; i++) {
      const admission = limiter.begin({ username: `name-${i}`, address: `2001:db8:1:2::${i.toString(16)}`, account: false }, at(1));
      if (admission.admitted) {
        admitted++;
        limiter.failed(admission.ticket);
      }
    }
    expect(admitted).toBe(3);
    expect(limiter.begin({ username: 'y', address: '192.0.2.1', account: false }, at(2))).toEqual({ admitted: false, refusedUntil: at(15) });
  });
});
