/** Console passwords: scrypt hashes in `scrypt$N$r$p$salt$hash`, checked in constant time. */
import { scryptSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashPassword, MIN_PASSWORD_LENGTH, verifyPassword } from '../../src/console/passwords.js';

const PASSWORD = 'correct horse battery staple';

describe('hashPassword and verifyPassword', () => {
  it('verifies the password a hash was made from, and refuses another', async () => {
    const stored = await hashPassword(PASSWORD);
    expect(await verifyPassword(PASSWORD, stored)).toBe(true);
    expect(await verifyPassword('correct horse battery stapler', stored)).toBe(false);
    expect(await verifyPassword('', stored)).toBe(false);
  });

  it('stores scrypt with N=2^15, r=8, p=1, a 16-byte salt and a 64-byte key, never the password', async () => {
    const stored = await hashPassword(PASSWORD);
    const [name, n, r, p, salt, key] = stored.split('$');
    expect([name, n, r, p]).toEqual(['scrypt', '32768', '8', '1']);
    expect(Buffer.from(salt ?? '', 'base64')).toHaveLength(16);
    expect(Buffer.from(key ?? '', 'base64')).toHaveLength(64);
    expect(stored).not.toContain(PASSWORD);
  });

  it('makes a different hash each time for the same password (a fresh salt)', async () => {
    const [one, two] = await Promise.all([hashPassword(PASSWORD), hashPassword(PASSWORD)]);
    expect(one).not.toBe(two);
    expect(one.split('$')[4]).not.toBe(two.split('$')[4]);
    expect(await verifyPassword(PASSWORD, one)).toBe(true);
    expect(await verifyPassword(PASSWORD, two)).toBe(true);
  });

  it('reads the cost from the stored value, so hashes made with other parameters still verify', async () => {
    const salt = Buffer.alloc(16, 7);
    const key = scryptSync(PASSWORD, salt, 32, { N: 1024, r: 4, p: 2 });
    const stored = `scrypt$1024$4$2$${salt.toString('base64')}$${key.toString('base64')}`;
    expect(await verifyPassword(PASSWORD, stored)).toBe(true);
    expect(await verifyPassword('not the password', stored)).toBe(false);
  });

  it('treats the same password typed in another Unicode form as the same password', async () => {
    const stored = await hashPassword('caf\u00e9 au lait 2027');
    expect(await verifyPassword('cafe\u0301 au lait 2027', stored)).toBe(true);
  });

  it('answers false, without throwing, for a malformed stored value', async () => {
    const good = await hashPassword(PASSWORD);
    const [, , , , salt, key] = good.split('$');
    const malformed = [
      '',
      'not a hash',
      PASSWORD,
      `bcrypt$32768$8$1$${salt}$${key}`,
      `scrypt$32768$8$1$${salt}`,
      `scrypt$32768$8$1$${salt}$${key}$extra`,
      `scrypt$32767$8$1$${salt}$${key}`, // N not a power of two
      `scrypt$1$8$1$${salt}$${key}`, // N too small for scrypt
      `scrypt$0$8$1$${salt}$${key}`,
      `scrypt$-32768$8$1$${salt}$${key}`,
      `scrypt$32768.0$8$1$${salt}$${key}`,
      `scrypt$032768$8$1$${salt}$${key}`,
      `scrypt$32768$8$1$not*base64$${key}`,
      `scrypt$32768$8$1$${salt}$${(key ?? '').slice(0, -2)}`,
      `scrypt$32768$8$1$$${key}`,
      `scrypt$32768$8$1$${Buffer.alloc(4).toString('base64')}$${key}`, // a salt too short to be one
    ];
    for (const stored of malformed) expect(await verifyPassword(PASSWORD, stored), stored).toBe(false);
  });

  it('refuses, at once, a stored value asking for an unreasonable cost (a tampered row)', async () => {
    const good = await hashPassword(PASSWORD);
    const [, , , , salt, key] = good.split('$');
    const started = Date.now();
    for (const cost of ['1073741824$8$1', '1048576$8$1', '32768$4096$1', '32768$8$100000', '99999999999$8$1']) {
      expect(await verifyPassword(PASSWORD, `scrypt$${cost}$${salt}$${key}`), cost).toBe(false);
    }
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('asks for passwords of at least 12 characters', () => {
    expect(MIN_PASSWORD_LENGTH).toBe(12);
  });
});
