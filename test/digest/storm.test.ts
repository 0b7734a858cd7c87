/**
 * Sizes have limits (issue 13): 20,000 findings made a 5.46 MB digest. The digest lists the first
 * items per rule and counts the rest; every finding is in the attached findings.csv.
 */
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { buildDigest, DIGEST_ITEMS_PER_RULE, DIGEST_PAGE_SIZE, FINDINGS_CSV } from '../../src/digest/build.js';
import { composeDigest } from '../../src/digest/send.js';
import type { Finding } from '../../src/engine/types.js';
import { effectKey, effectMessageId } from '../../src/outbox/idempotency.js';
import type { Store } from '../../src/store/types.js';
import { council } from '../support/council.js';
import { StoreBench } from '../outbox/fixtures.js';
import { engine } from './fixtures.js';
import { enqueue } from '../../src/outbox/enqueue.js';

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

describe('a digest built from a long list of findings', () => {
  /** The store, with the most rows any one call of each method returned. */
  function watched(store: Store): { store: Store; largest: Map<string, number> } {
    const largest = new Map<string, number>();
    const proxy = new Proxy(store, {
      get(target, prop, receiver) {
        const value: unknown = Reflect.get(target, prop, receiver);
        if (typeof value !== 'function') return value;
        return async (...args: unknown[]) => {
          const result: unknown = await Reflect.apply(value, target, args);
          if (Array.isArray(result)) largest.set(String(prop), Math.max(largest.get(String(prop)) ?? 0, result.length));
          return result;
        };
      },
    });
    return { store: proxy, largest };
  }

  it('reads findings and digest entries a page at a time, and lists them in first-seen order across the pages', async () => {
    const N = 1_234;
    const since = '2026-11-20T09:00:10.000Z';
    bench = new StoreBench();
    await bench.store().close();
    const db = new Database(bench.dbPath);
    const insert = db.prepare('INSERT INTO findings (rule, item_key, seq, finding, first_seen, updated_at) VALUES (?, ?, 0, ?, ?, ?)');
    const keyOf = (n: number): string => `<round-${String(n).padStart(4, '0')}@millbrook-tc.gov.uk>`;
    db.transaction(() => {
      // Written newest first and updated in the reverse order, so that neither the table's order nor
      // the order of updates is the order the digest lists them in.
      for (let n = N - 1; n >= 0; n--) {
        const firstSeen = new Date(Date.parse('2026-11-20T09:00:00.000Z') + n * 100).toISOString();
        const updated = new Date(Date.parse(firstSeen) + (N - n) * 1000).toISOString();
        const finding: Finding = {
          rule: 'no-blind-copies',
          severity: 'warning',
          clauses: ['12.1'],
          item: { kind: 'mail', key: keyOf(n) },
          people: ['alice.green@millbrook-tc.gov.uk'],
          summary: `Cllr Alice Green copied a member blind about the Castle Street bins, round ${n}.`,
          actions: [{ kind: 'digest', to: [] }],
          why: [{ kind: 'fact', text: 'Bcc: raj.mehta@millbrook-tc.gov.uk' }],
          messageId: 'bcc-member',
          targets: {},
        };
        insert.run('no-blind-copies', keyOf(n), JSON.stringify(finding), firstSeen, updated);
      }
    })();
    db.close();
    const store = bench.store();
    // Findings from before the last digest still waiting to be listed (that digest was dropped, say): every tenth of the first hundred.
    const waiting = Array.from({ length: 10 }, (_, i) => i * 10);
    await enqueue(
      store,
      waiting.map((n) => {
        const key = effectKey({ rule: 'no-blind-copies', itemKey: keyOf(n), recipient: '', kind: 'digest' });
        return {
          key,
          kind: 'digest',
          rule: 'no-blind-copies',
          itemKey: keyOf(n),
          recipient: '',
          payload: { summary: `Round ${n}`, clauses: ['12.1'] },
          messageId: effectMessageId(key, 'millbrook-tc.gov.uk'),
          notBefore: '2026-11-20T09:00:00.000Z',
        };
      }),
      '2026-11-20T09:00:05.000Z',
    );

    const reading = watched(store);
    const built = await buildDigest({ store: reading.store, engine, config: council }, { date: '2026-11-21', since, until: '2026-11-21T07:30:00.000Z' });

    const expected = [...waiting, ...Array.from({ length: N - 100 }, (_, i) => 100 + i)];
    expect(built.sections.totals.findings).toBe(expected.length);
    expect(built.digestEffectIds).toHaveLength(waiting.length);
    const rows = (built.csv ?? '').split('\r\n').filter((l) => l !== '').slice(1);
    expect(rows.map((l) => /round (\d+)/.exec(l)?.[1])).toEqual(expected.map(String));
    expect(built.rules[0]?.items.map((i) => i.itemKey)).toEqual(expected.slice(0, DIGEST_ITEMS_PER_RULE).map(keyOf));
    // No call read more than a page: memory stays the same however long the list.
    expect(Math.max(...reading.largest.values())).toBeLessThanOrEqual(DIGEST_PAGE_SIZE);
    expect(reading.largest.get('listFindingsByFirstSeen')).toBe(DIGEST_PAGE_SIZE);
  });
});
