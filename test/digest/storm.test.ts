/**
 * Sizes have limits (issue 13): 20,000 findings made a 5.46 MB digest. The digest lists the first
 * items per rule and counts the rest; every finding is in the attached findings.csv.
 */
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { buildDigest, DIGEST_ITEMS_PER_RULE, FINDINGS_CSV } from '../../src/digest/build.js';
import { composeDigest } from '../../src/digest/send.js';
import type { Finding } from '../../src/engine/types.js';
import { council } from '../support/council.js';
import { StoreBench } from '../outbox/fixtures.js';
import { engine } from './fixtures.js';

const STORM = 20_000;
const RULES = ['requests-via-clerk', 'no-blind-copies', 'state-capacity', 'press-via-clerk'] as const;

let bench: StoreBench;
afterEach(async () => await bench?.dispose());

/** 20,000 findings written straight into the store in one transaction (the outbox's path is measured in bench/digest-storm.ts). */
async function fill(): Promise<void> {
  await bench.store().close();
  const db = new Database(bench.dbPath);
  const insert = db.prepare('INSERT INTO findings (rule, item_key, seq, finding, first_seen, updated_at) VALUES (?, ?, 0, ?, ?, ?)');
  db.transaction(() => {
    for (let n = 0; n < STORM; n++) {
      const rule = RULES[n % RULES.length] ?? 'no-blind-copies';
      const key = `<storm-${n}@millbrook-tc.gov.uk>`;
      const at = new Date(Date.parse('2026-11-20T09:00:00.000Z') + n * 100).toISOString();
      const finding: Finding = {
        rule,
        severity: 'warning',
        clauses: ['12.1'],
        item: { kind: 'mail', key },
        people: ['alice.green@millbrook-tc.gov.uk'],
        summary: `Cllr Alice Green wrote about the Castle Street bins, round ${n}, "as agreed".`,
        actions: [{ kind: 'digest', to: [] }],
        why: [{ kind: 'fact', text: 'Cllr Alice Green (member) wrote to Sam Patel (officer)' }],
        messageId: 'storm',
        targets: {},
      };
      insert.run(rule, key, JSON.stringify(finding), at, at);
    }
  })();
  db.close();
}

describe('a digest of 20,000 findings', () => {
  it('stays small, counts every finding and attaches them all as findings.csv', async () => {
    bench = new StoreBench();
    await fill();
    const store = bench.store();
    const built = await buildDigest({ store, engine, config: council }, { date: '2026-11-20', until: '2026-11-21T07:30:00.000Z' });
    const message = composeDigest(built, { engine, config: council });

    expect(built.sections.totals.findings).toBe(STORM);
    expect(built.sections.rules.reduce((n, r) => n + r.findings, 0)).toBe(STORM);
    for (const r of built.sections.rules) {
      expect(r.items).toHaveLength(DIGEST_ITEMS_PER_RULE);
      expect(r.more).toBe(`and ${(STORM / RULES.length - DIGEST_ITEMS_PER_RULE).toLocaleString('en-GB')} more — the full list is attached as findings.csv`);
    }
    expect(Buffer.byteLength(message.text)).toBeLessThan(200_000);
    expect(Buffer.byteLength(message.html ?? '')).toBeLessThan(250_000);
    expect(message.text).toContain('Findings: 20000.');
    expect(message.text).toContain('and 4,950 more — the full list is attached as findings.csv');

    const csv = message.attachments?.find((a) => a.filename === FINDINGS_CSV);
    expect(csv?.contentType).toBe('text/csv; charset=utf-8');
    const lines = String(csv?.content ?? '').split('\r\n').filter((l) => l !== '');
    expect(lines[0]).toBe('rule,rule title,clauses,item,summary,actions,first seen');
    expect(lines).toHaveLength(STORM + 1);
    // Quotes in a summary are doubled inside a quoted field.
    expect(lines[1]).toContain('"Cllr Alice Green wrote about the Castle Street bins, round 0, “as agreed”."');
    expect(lines.some((l) => l.includes('round 19999,'))).toBe(true);
  }, 120_000);

  it('attaches nothing when every finding is listed', async () => {
    bench = new StoreBench();
    const store = bench.store();
    const built = await buildDigest({ store, engine, config: council }, { date: '2026-11-20', until: '2026-11-21T07:30:00.000Z' });
    expect(built.csv).toBeUndefined();
    expect(composeDigest(built, { engine, config: council }).attachments).toBeUndefined();
  });
});
