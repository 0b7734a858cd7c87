import { describe, expect, it } from 'vitest';
import { containsText, exceptionCovering, exceptionSubjectOf, normalisePhrase } from '../../src/review/exceptions.js';
import type { StandingException } from '../../src/store/types.js';
import { A, event, mail } from '../support/council.js';

const NOW = '2026-03-02T10:00:00.000Z';

let nextId = 1;
function exception(spec: Partial<StandingException> & Pick<StandingException, 'match' | 'value'>): StandingException {
  return {
    id: nextId++,
    reason: 'Agreed with the monitoring officer',
    actor: 'helen',
    createdAt: '2026-03-01T09:00:00.000Z',
    expiresAt: '2026-06-01T00:00:00.000Z',
    ...spec,
  };
}

const newsletter = mail({
  from: A.sam,
  to: [A.tom],
  cc: ['Parish.Clerk@Hazelford-PC.gov.uk'],
  bcc: [A.alice],
  subject: 'The Spring   Newsletter',
  text: 'Dear all,\nplease find the draft of the\nspring newsletter attached.',
});

const surgery = event({
  organizer: A.raj,
  summary: 'Riverside ward surgery',
  description: 'Drop-in at the library for residents of Riverside.',
  attendees: [A.sue, 'volunteer@riverside-friends.org.uk'],
});

describe('what an exception matches on an item', () => {
  const mailSubject = exceptionSubjectOf(newsletter);
  const eventSubject = exceptionSubjectOf(surgery);

  it('a sender: the mail’s From, or the event’s organiser', () => {
    expect(exceptionCovering([exception({ match: 'sender', value: A.sam })], 'no-blind-copies', mailSubject, NOW)).toBeDefined();
    expect(exceptionCovering([exception({ match: 'sender', value: A.tom })], 'no-blind-copies', mailSubject, NOW)).toBeUndefined();
    expect(exceptionCovering([exception({ match: 'sender', value: A.raj })], 'no-officers-at-surgeries', eventSubject, NOW)).toBeDefined();
  });

  it('a recipient domain: any To, Cc or Bcc address, or attendee, at the domain or below it', () => {
    expect(exceptionCovering([exception({ match: 'recipient-domain', value: 'hazelford-pc.gov.uk' })], 'no-blind-copies', mailSubject, NOW)).toBeDefined();
    expect(exceptionCovering([exception({ match: 'recipient-domain', value: 'gov.uk' })], 'no-blind-copies', mailSubject, NOW)).toBeDefined();
    // Part of a label is not the domain.
    expect(exceptionCovering([exception({ match: 'recipient-domain', value: 'pc.gov.uk' })], 'no-blind-copies', mailSubject, NOW)).toBeUndefined();
    expect(exceptionCovering([exception({ match: 'recipient-domain', value: 'riverside-friends.org.uk' })], 'no-officers-at-surgeries', eventSubject, NOW)).toBeDefined();
    // The sender's own domain is not a recipient's.
    expect(exceptionCovering([exception({ match: 'recipient-domain', value: 'example.com' })], 'no-blind-copies', mailSubject, NOW)).toBeUndefined();
  });

  it('a phrase: in the subject or body, or the event’s title or description, whatever the case and line breaks', () => {
    expect(exceptionCovering([exception({ match: 'phrase', value: 'spring newsletter' })], 'no-blind-copies', mailSubject, NOW)).toBeDefined();
    expect(exceptionCovering([exception({ match: 'phrase', value: 'draft of the spring' })], 'no-blind-copies', mailSubject, NOW)).toBeDefined();
    expect(exceptionCovering([exception({ match: 'phrase', value: 'drop-in at the library' })], 'no-officers-at-surgeries', eventSubject, NOW)).toBeDefined();
    expect(exceptionCovering([exception({ match: 'phrase', value: 'autumn newsletter' })], 'no-blind-copies', mailSubject, NOW)).toBeUndefined();
  });

  it('only for its own rule when it names one, and only while in force', () => {
    const forOther = exception({ match: 'sender', value: A.sam, rule: 'press-via-clerk' });
    expect(exceptionCovering([forOther], 'no-blind-copies', mailSubject, NOW)).toBeUndefined();
    expect(exceptionCovering([forOther], 'press-via-clerk', mailSubject, NOW)).toBe(forOther);
    const expired = exception({ match: 'sender', value: A.sam, expiresAt: NOW });
    expect(exceptionCovering([expired], 'no-blind-copies', mailSubject, NOW)).toBeUndefined();
    const revoked = exception({ match: 'sender', value: A.sam, revokedAt: '2026-03-01T12:00:00.000Z', revokedBy: 'helen' });
    expect(exceptionCovering([revoked], 'no-blind-copies', mailSubject, NOW)).toBeUndefined();
    // The first that covers it is the one named.
    const first = exception({ match: 'phrase', value: 'newsletter' });
    expect(exceptionCovering([expired, first, exception({ match: 'sender', value: A.sam })], 'no-blind-copies', mailSubject, NOW)).toBe(first);
  });
});

describe('phrase matching', () => {
  it('normalises case and white space', () => {
    expect(normalisePhrase('  The\tSpring\n\nNEWSLETTER ')).toBe('the spring newsletter');
  });

  it('finds a pattern with Knuth–Morris–Pratt, overlapping prefixes included', () => {
    expect(containsText('aabaabaaab', 'aabaaab')).toBe(true);
    expect(containsText('abababc', 'ababc')).toBe(true);
    expect(containsText('abababa', 'ababc')).toBe(false);
    expect(containsText('short', 'longer pattern')).toBe(false);
  });

  it('takes linear time on text built to slow a naive search', () => {
    const text = 'a'.repeat(2_000_000);
    const pattern = `${'a'.repeat(199)}b`;
    const started = performance.now();
    expect(containsText(text, pattern)).toBe(false);
    // A naive search would compare about 400 million characters here.
    expect(performance.now() - started).toBeLessThan(1500);
  });
});
