import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  effectHeaders,
  effectKey,
  effectMessageId,
  KEY_HEADER,
  parseEffectKey,
  serviceDomainOf,
} from '../../src/outbox/idempotency.js';

describe('effectKey', () => {
  it('names the rule, item, recipient and kind in a readable key', () => {
    const key = effectKey({ rule: 'no-blind-copies', itemKey: '<abc.123@millbrook-tc.gov.uk>', recipient: 'Sam.Patel@Millbrook-TC.gov.uk', kind: 'nudge' });
    expect(key).toBe('ww1;no-blind-copies;<abc.123@millbrook-tc.gov.uk>;sam.patel@millbrook-tc.gov.uk;nudge');
  });

  it('is the same for the same effect and different when any part differs', () => {
    const base = { rule: 'no-blind-copies', itemKey: '<m1@x>', recipient: 'a@x.gov.uk', kind: 'nudge' } as const;
    const keys = new Set([
      effectKey(base),
      effectKey({ ...base, rule: 'no-silent-forwards' }),
      effectKey({ ...base, itemKey: '<m2@x>' }),
      effectKey({ ...base, recipient: 'b@x.gov.uk' }),
      effectKey({ ...base, kind: 'warn' }),
    ]);
    expect(keys.size).toBe(5);
    expect(effectKey(base)).toBe(effectKey({ ...base }));
  });

  it('cannot be confused by separators inside an item key', () => {
    const a = effectKey({ rule: 'invite-ward-members', itemKey: 'uid;x', recipient: '', kind: 'block' });
    const b = effectKey({ rule: 'invite-ward-members', itemKey: 'uid', recipient: 'x', kind: 'block' });
    expect(a).not.toBe(b);
  });

  it('stays one line of printable ASCII, safe for a mail header, whatever the item key holds', () => {
    const key = effectKey({ rule: 'invite-ward-members', itemKey: 'Réunion 2027\r\nBcc: evil@example.com;%', recipient: '', kind: 'invite' });
    expect(key).toMatch(/^[\x21-\x7e]+$/);
    expect(key).not.toContain('\n');
  });

  it('reads back into its parts', () => {
    const identity = { rule: 'notify-ward-members-of-visits', itemKey: 'Réunion;1#2027-03-01T10:00:00.000Z', recipient: 'ben.hughes@millbrook-tc.gov.uk', kind: 'notify' } as const;
    expect(parseEffectKey(effectKey(identity))).toEqual(identity);
    expect(parseEffectKey('something else')).toBeUndefined();
    expect(parseEffectKey('ww1;a;b;c;%E0%A4')).toBeUndefined();
  });
});

describe('effectMessageId', () => {
  it('is <ww-{first 32 hex of sha256(key)}@{service domain}>', () => {
    const key = 'ww1;no-blind-copies;<m1@x>;a@x.gov.uk;nudge';
    const hex = createHash('sha256').update(key).digest('hex').slice(0, 32);
    expect(effectMessageId(key, 'Millbrook-TC.gov.uk')).toBe(`<ww-${hex}@millbrook-tc.gov.uk>`);
  });

  it('is deterministic and differs between keys', () => {
    expect(effectMessageId('k1', 'x.gov.uk')).toBe(effectMessageId('k1', 'x.gov.uk'));
    expect(effectMessageId('k1', 'x.gov.uk')).not.toBe(effectMessageId('k2', 'x.gov.uk'));
  });
});

describe('serviceDomainOf and headers', () => {
  it('takes the domain of the service address', () => {
    expect(serviceDomainOf('protocol@Millbrook-TC.gov.uk')).toBe('millbrook-tc.gov.uk');
  });

  it('explains politely when the service address has no domain', () => {
    expect(() => serviceDomainOf('protocol')).toThrow(/has no domain/);
  });

  it('puts the key in the X-Wardwatch-Key header', () => {
    expect(KEY_HEADER).toBe('X-Wardwatch-Key');
    expect(effectHeaders('ww1;a;b;c;nudge')).toEqual({ 'X-Wardwatch-Key': 'ww1;a;b;c;nudge', 'Auto-Submitted': 'auto-generated' });
  });
});
