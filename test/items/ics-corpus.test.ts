/**
 * Every .ics file of the shared corpora (real exports and fuzzing leftovers) goes through
 * parseCalendar without throwing, with a bounded number of occurrences per file.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseCalendar } from '../../src/items/ical-parse.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const corpus = path.resolve(repoRoot, '../shared/corpora/ics');

function icsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return icsFiles(full);
    return entry.name.toLowerCase().endsWith('.ics') ? [full] : [];
  });
}

const MAX_OCCURRENCES_PER_SERIES = 1000;

describe('the shared iCalendar corpora', () => {
  const files = icsFiles(corpus).sort();

  it('holds more than 150 calendar files', () => {
    expect(files.length).toBeGreaterThan(150);
  });

  it('reads every file without throwing, reporting what it cannot use', () => {
    let events = 0;
    let problems = 0;
    const perFile: string[] = [];
    for (const file of files) {
      const source = readFileSync(file, 'utf8');
      const origin = path.relative(corpus, file);
      const result = parseCalendar(source, {
        calendarId: 'corpus',
        origin,
        timeZone: 'Europe/London',
        horizon: { from: '2020-01-01T00:00:00Z', to: '2028-01-01T00:00:00Z' },
      });
      events += result.events.length;
      problems += result.problems.length;
      perFile.push(`${origin}: ${result.events.length} events, ${result.problems.length} problems`);
      for (const event of result.events) {
        expect(event.occurrences.length).toBeLessThanOrEqual(MAX_OCCURRENCES_PER_SERIES);
        expect(Number.isNaN(Date.parse(event.start))).toBe(false);
        expect(Date.parse(event.end)).toBeGreaterThanOrEqual(Date.parse(event.start));
        expect(event.key).not.toBe('');
      }
      for (const problem of result.problems) {
        expect(problem.origin).toBe(origin);
        expect(problem.kind).toBe('calendar');
        expect(problem.reason.length).toBeGreaterThan(10);
      }
    }
    if (process.env.ICS_CORPUS_REPORT) console.log(`${perFile.join('\n')}\nTOTAL ${files.length} files, ${events} events, ${problems} problems`);
    expect(events).toBeGreaterThan(100);
  });
});
