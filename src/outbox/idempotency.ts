/**
 * Idempotency keys and deterministic Message-IDs for outbox effects.
 *
 * An effect is identified by (rule, item key, recipient, kind). The key is readable, one line of
 * printable ASCII (safe in the `X-Wardwatch-Key` header), and unambiguous: each part is
 * percent-encoded where it holds a separator, a space, a control character or non-ASCII text.
 * The Message-ID is derived from the key, so a message half-sent before a crash can be recognised.
 */
import { createHash } from 'node:crypto';
import type { ActionKind } from '../config/schema.js';

/** Header that every outgoing message carries, holding its effect's idempotency key. */
export const KEY_HEADER = 'X-Wardwatch-Key';

const KEY_VERSION = 'ww1';
const SEPARATOR = ';';

export interface EffectIdentity {
  /** A rule id, or `daily-summary` for a per-person daily summary. */
  rule: string;
  itemKey: string;
  /** Lower-cased address, or '' for an effect with no recipient (block, digest). */
  recipient: string;
  kind: ActionKind;
}

/** Characters kept as they are: everything printable in ASCII except separators, `%` and space. */
const SAFE = /^[A-Za-z0-9<>@._+=!$~*'()#:/\-[\]{}|?&,^`"\\]$/;

function encodePart(part: string): string {
  let out = '';
  for (const ch of part) {
    if (SAFE.test(ch)) {
      out += ch;
    } else {
      for (const byte of Buffer.from(ch, 'utf8')) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    }
  }
  return out;
}

/** The idempotency key of an effect: `ww1;<rule>;<item key>;<recipient>;<kind>`. */
export function effectKey(identity: EffectIdentity): string {
  const parts = [identity.rule, identity.itemKey, identity.recipient.trim().toLowerCase(), identity.kind];
  return [KEY_VERSION, ...parts.map(encodePart)].join(SEPARATOR);
}

/** Reads a key made by `effectKey` back into its parts; undefined for anything else. */
export function parseEffectKey(key: string): Omit<EffectIdentity, 'kind'> & { kind: string } | undefined {
  const parts = key.split(SEPARATOR);
  if (parts.length !== 5 || parts[0] !== KEY_VERSION) return undefined;
  try {
    const [rule, itemKey, recipient, kind] = parts.slice(1).map((p) => decodeURIComponent(p)) as [string, string, string, string];
    return { rule, itemKey, recipient, kind };
  } catch {
    return undefined;
  }
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** The deterministic Message-ID of an effect: `<ww-{first 32 hex of sha256(key)}@{serviceDomain}>`. */
export function effectMessageId(key: string, serviceDomain: string): string {
  return `<ww-${sha256Hex(key).slice(0, 32)}@${serviceDomain.trim().toLowerCase()}>`;
}

/** The domain of the council's service address, used on the right of every Message-ID. */
export function serviceDomainOf(serviceAddress: string): string {
  const at = serviceAddress.lastIndexOf('@');
  if (at < 0 || at === serviceAddress.length - 1) {
    throw new Error(`The service address "${serviceAddress}" has no domain, so Wardwatch cannot give its messages a Message-ID.`);
  }
  return serviceAddress.slice(at + 1).trim().toLowerCase();
}

/** Headers every outgoing message of an effect carries. */
export function effectHeaders(key: string): Record<string, string> {
  return { [KEY_HEADER]: key };
}
