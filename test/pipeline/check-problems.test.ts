/**
 * How `check` reports the files it could not read apart from those it read with a warning, each
 * identical line once with its count (issue 12, point 17). Real corpus files, linked where they lie.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCheck } from '../../src/cli/check.js';

const root = path.resolve(import.meta.dirname, '../..');
const demoConfig = path.join(root, 'config/demo/council.yaml');
const corpus = path.resolve(root, '../shared/corpora/ics');

let tmp: string;
let source: string;

async function check(json: boolean): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCheck(
    { config: demoConfig, source, now: '2027-04-12T09:00:00Z', ...(json ? { json: true } : {}) },
    { out: (t) => (out += t), err: (t) => (err += t) },
  );
  return { code, out, err };
}

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'wardwatch-problems-'));
  source = path.join(tmp, 'source');
  const calendars = path.join(source, 'calendars/council-events');
  mkdirSync(calendars, { recursive: true });
  symlinkSync(path.join(corpus, 'node-ical/fixtures/duplicate-uid-sequence.ics'), path.join(calendars, 'duplicate-uid-sequence.ics'));
  symlinkSync(path.join(corpus, 'python-icalendar/calendars/big_bad_calendar.ics'), path.join(calendars, 'big_bad_calendar.ics'));
});

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('check: could not read, read with a warning', () => {
  it('--json: a file read with a warning is not said to be unreadable, and a line repeated 20 times is given once', async () => {
    const { err } = await check(true);
    const lines = err.trim().split('\n');
    const duplicate = lines.filter((l) => l.includes('duplicate-uid-sequence.ics'));
    expect(duplicate).toHaveLength(2);
    for (const line of duplicate) expect(line).toMatch(/^read with a warning \S+duplicate-uid-sequence\.ics: Event .* appears more than once in this calendar; the copy with the higher SEQUENCE/);
    const bad = lines.filter((l) => l.includes('big_bad_calendar.ics'));
    expect(bad).toEqual([
      `could not read ${path.join(source, 'calendars/council-events/big_bad_calendar.ics')}: An event with no UID or title was not read: it has no start date (DTSTART). (20 times)`,
      `read with a warning ${path.join(source, 'calendars/council-events/big_bad_calendar.ics')}: The calendar has no END:VCALENDAR, so the file may be cut short; the events that were complete have been read.`,
    ]);
  });

  it('the readable report lists them under their own headings', async () => {
    const { out } = await check(false);
    const errors = out.slice(out.indexOf('Could not read (1)'), out.indexOf('Read with a warning'));
    expect(errors).toContain('big_bad_calendar.ics: An event with no UID or title was not read: it has no start date (DTSTART). (20 times)');
    expect(errors).not.toContain('duplicate-uid-sequence.ics');
    const warnings = out.slice(out.indexOf('Read with a warning (3)'));
    expect(warnings.match(/duplicate-uid-sequence\.ics: /g)).toHaveLength(2);
    expect(warnings).toContain('big_bad_calendar.ics: The calendar has no END:VCALENDAR');
  });
});
