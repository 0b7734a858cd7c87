/**
 * Console passwords, hashed with scrypt (Node's own crypto) and stored as
 * `scrypt$N$r$p$salt$hash`, salt and hash in base64.
 *
 * The cost parameters are read back from the stored value, so they can be raised for new
 * passwords later without making the old ones unusable. They are bounded, because the stored value
 * decides how much memory and time a sign-in costs: a tampered (or corrupted) row must not be able
 * to make one sign-in take minutes or gigabytes. A value outside the bounds, or not in the format at
 * all, verifies as false rather than throwing, so a broken row refuses a sign-in and nothing more.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/** The fewest characters a console password may have (`wardwatch users add` refuses shorter ones). */
export const MIN_PASSWORD_LENGTH = 12;

/** Cost for new hashes: N = 2^15, r = 8, p = 1 (32 MiB and some tens of milliseconds a sign-in). */
const COST = { N: 2 ** 15, r: 8, p: 1 } as const;
const SALT_BYTES = 16;
const KEY_BYTES = 64;

/** What a stored value may ask for before it is treated as malformed. */
const LIMITS = { maxN: 2 ** 20, maxR: 32, maxP: 16, maxMemory: 256 * 1024 * 1024, minSalt: 8, maxSalt: 64, minKey: 16, maxKey: 128 } as const;

interface Parameters {
  N: number;
  r: number;
  p: number;
}

/** The memory scrypt needs for these parameters (its working array, 128·N·r bytes, and the p blocks). */
function memoryNeeded({ N, r, p }: Parameters): number {
  return 128 * N * r + 128 * r * p;
}

function derive(password: string, salt: Buffer, keyLength: number, params: Parameters): Promise<Buffer> {
  // Node's default maxmem (32 MiB) is exactly what N=2^15, r=8 needs and is refused; allow what
  // these parameters need, with room for OpenSSL's own bookkeeping.
  const options: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: memoryNeeded(params) + 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, keyLength, options, (err, key) => {
      if (err !== null) reject(err);
      else resolve(key);
    });
  });
}

/** Hash a password for storing, with a fresh random salt. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, KEY_BYTES, COST);
  return ['scrypt', COST.N, COST.r, COST.p, salt.toString('base64'), key.toString('base64')].join('$');
}

const DECIMAL = /^[1-9][0-9]{0,9}$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

function positive(text: string | undefined, max: number): number | undefined {
  if (text === undefined || !DECIMAL.test(text)) return undefined;
  const n = Number(text);
  return n <= max ? n : undefined;
}

function base64(text: string | undefined, min: number, max: number): Buffer | undefined {
  if (text === undefined || !BASE64.test(text) || text.length % 4 !== 0) return undefined;
  const bytes = Buffer.from(text, 'base64');
  // Reject anything that does not read back the same (stray bits in the padding, say).
  if (bytes.toString('base64') !== text || bytes.length < min || bytes.length > max) return undefined;
  return bytes;
}

interface Parsed extends Parameters {
  salt: Buffer;
  key: Buffer;
}

function parse(stored: string): Parsed | undefined {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const N = positive(parts[1], LIMITS.maxN);
  const r = positive(parts[2], LIMITS.maxR);
  const p = positive(parts[3], LIMITS.maxP);
  const salt = base64(parts[4], LIMITS.minSalt, LIMITS.maxSalt);
  const key = base64(parts[5], LIMITS.minKey, LIMITS.maxKey);
  if (N === undefined || r === undefined || p === undefined || salt === undefined || key === undefined) return undefined;
  // N must be a power of two greater than 1 (scrypt's own condition).
  if (N < 2 || (N & (N - 1)) !== 0) return undefined;
  if (memoryNeeded({ N, r, p }) > LIMITS.maxMemory) return undefined;
  // scrypt's bound on p·r; far above the limits above, checked so no call can throw on it.
  if (p * r >= 2 ** 30) return undefined;
  return { N, r, p, salt, key };
}

/**
 * Whether `password` is the one `stored` was made from: compared in constant time. False for a
 * stored value that is not a well-formed scrypt hash within the bounds above.
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parse(stored);
  if (parsed === undefined) return false;
  let key: Buffer;
  try {
    key = await derive(password, parsed.salt, parsed.key.length, parsed);
  } catch {
    return false;
  }
  return timingSafeEqual(key, parsed.key);
}
