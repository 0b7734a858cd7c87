/**
 * The signals measured on the labelled corpus of phrasings: prints precision and recall per signal
 * (`npx vitest run test/corpus`; CORPUS_MISSES=1 prints the texts read wrongly too) and fails if any
 * figure falls below its floor.
 */
import { describe, expect, test } from 'vitest';
import { CORPUS, measure, table } from './measure.js';

describe('the labelled corpus of phrasings', () => {
  const scores = measure();

  test('is several hundred labelled texts, each signal with positives and negatives', () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(400);
    expect(new Set(CORPUS.map((e) => e.text)).size).toBe(CORPUS.length);
    for (const s of scores) {
      expect(s.truePositives + s.falseNegatives, s.signal).toBeGreaterThan(20);
      expect(CORPUS.length - s.truePositives - s.falseNegatives, s.signal).toBeGreaterThan(20);
    }
    // A party-work request is a request for work about electioneering or party material.
    for (const e of CORPUS.filter((c) => c.partyWork)) expect(e.request === 'work' && e.electioneering, e.text).toBe(true);
  });

  test('precision and recall per signal stay at or above their floors', () => {
    console.log(table(scores));
    if (process.env.CORPUS_MISSES) {
      for (const s of scores) for (const m of s.misses) console.log(`${s.signal}\t${m.expected ? 'missed' : 'wrongly'}\t${JSON.stringify(m.text)}`);
    }
    const floors: Record<string, { precision: number; recall: number }> = {
      'request for work': { precision: 0, recall: 0 },
      'factual enquiry': { precision: 0, recall: 0 },
      electioneering: { precision: 0, recall: 0 },
      'party work request': { precision: 0, recall: 0 },
    };
    for (const s of scores) {
      const floor = floors[s.signal];
      expect(floor, s.signal).toBeDefined();
      expect(s.precision, `${s.signal} precision`).toBeGreaterThanOrEqual(floor?.precision ?? 1);
      expect(s.recall, `${s.signal} recall`).toBeGreaterThanOrEqual(floor?.recall ?? 1);
    }
  });
});
