/**
 * Sizes have limits (issue 13): one message to 5,000 press addresses made a 185 KB nudge. Lists a
 * person reads name a few and count the rest, and a finding's reasons are set out up to a limit.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { andList, commaList } from '../../src/signals/wording.js';
import { boundedList, LIST_LIMIT } from '../../src/templates/wording.js';
import { ActionBench, rawMail } from '../actions/harness.js';
import { A } from '../support/council.js';

const PRESS = Array.from({ length: 5_000 }, (_, n) => `reporter${n + 1}@millbrookgazette.co.uk`);

let bench: ActionBench | undefined;
afterEach(async () => await bench?.dispose());

describe('bounded lists', () => {
  it('names at most a few and counts the rest', () => {
    expect(boundedList(PRESS)).toBe('reporter1@millbrookgazette.co.uk, reporter2@millbrookgazette.co.uk, reporter3@millbrookgazette.co.uk and 4,997 others');
    expect(boundedList(['Sam Patel', 'Priya Shah', 'Dan Okafor', 'Helen Ashworth'], 3)).toBe('Sam Patel, Priya Shah, Dan Okafor and 1 other');
    expect(boundedList(['Sam Patel', 'Priya Shah'])).toBe('Sam Patel and Priya Shah');
    expect(andList(PRESS).length).toBeLessThan(200);
    expect(commaList(['a@example.org', 'b@example.org'])).toBe('a@example.org, b@example.org');
    expect(commaList(PRESS)).toContain('and 4,997 others');
    expect(LIST_LIMIT).toBeLessThanOrEqual(5);
  });
});

describe('a message to 5,000 press addresses', () => {
  it('makes a short reminder that names a few and counts the others', async () => {
    bench = new ActionBench({ now: '2026-11-20T10:00:00.000Z' });
    const source = rawMail({
      messageId: '<press-5000@millbrook-tc.gov.uk>',
      from: 'Cllr Tom Brown <tom.brown@millbrook-tc.gov.uk>',
      to: PRESS,
      subject: 'Statement on the Market Square fair',
      body: 'Dear editors,\n\nPlease find below my statement on the Market Square fair, which returns next spring.\n\nCllr Tom Brown',
    });
    const { findings } = await bench.recordMail(source, { mailbox: A.tom, folder: 'sent' });
    expect(findings.map((f) => f.rule)).toContain('press-via-clerk');
    await bench.run();
    const toTom = (await bench.written()).filter((w) => w.to.includes(A.tom));
    expect(toTom.length).toBeGreaterThan(0);
    for (const w of toTom) {
      expect(Buffer.byteLength(w.raw)).toBeLessThan(24_000);
      expect(w.mail.text).toContain('and 4,997 others');
      expect(w.mail.text).not.toContain('reporter4@millbrookgazette.co.uk');
      expect(w.mail.text).toContain('Dear Councillor Brown,');
    }
  }, 60_000);
});
