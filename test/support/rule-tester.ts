/**
 * A table-driven rule tester in the manner of ESLint's RuleTester: `valid` cases must not fire,
 * `invalid` cases must fire exactly the listed hits. Every rule's meta is checked too.
 */
import { describe, expect, test } from 'vitest';
import { ACTION_KINDS, RULE_IDS, SEVERITIES } from '../../src/config/schema.js';
import type { ActionKind } from '../../src/config/schema.js';
import type { EventItem, MailItem } from '../../src/items/types.js';
import type { Rule } from '../../src/rules/types.js';
import { runRule } from './council.js';

export interface ValidCase {
  name: string;
  item: MailItem | EventItem;
  now?: string;
  options?: unknown;
  /** Expect the evaluation to ask for a person (unknown/ambiguous ward, …). */
  needsHuman?: boolean;
}

export interface ExpectedHit {
  messageId: string;
  offender?: string;
  /** Exact set of `notify` targets (order ignored). */
  notify?: string[];
  /** Exact set of `invite` targets (order ignored). */
  invite?: string[];
  /** Each string must appear (case-insensitive) in some evidence text. */
  evidence?: string[];
  /** Exact per-hit actions, when the hit overrides the defaults. */
  actions?: ActionKind[];
  /** Expected room calendar for `block`. */
  roomCalendar?: string;
}

export interface InvalidCase extends ValidCase {
  hits: ExpectedHit[];
}

export function ruleTester<O>(rule: Rule<O>, cases: { valid: ValidCase[]; invalid: InvalidCase[] }): void {
  describe(rule.meta.id, () => {
    test('meta is complete', () => {
      expect(RULE_IDS).toContain(rule.meta.id);
      expect(rule.meta.description.length).toBeGreaterThan(20);
      expect(Object.keys(rule.meta.clauses).length).toBeGreaterThan(0);
      for (const list of Object.values(rule.meta.clauses)) expect(list?.length).toBeGreaterThan(0);
      expect(SEVERITIES).toContain(rule.meta.defaults.severity);
      for (const a of rule.meta.defaults.actions) expect(ACTION_KINDS).toContain(a);
      expect(() => rule.meta.options.parse({})).not.toThrow();
      expect(Object.keys(rule.meta.messages).length).toBeGreaterThan(0);
      expect(cases.valid.length).toBeGreaterThan(0);
      expect(cases.invalid.length).toBeGreaterThan(0);
    });

    for (const c of cases.valid) {
      test(`valid: ${c.name}`, () => {
        const ev = runRule(rule, c.item, { ...(c.now ? { now: c.now } : {}), ...(c.options !== undefined ? { options: c.options } : {}) });
        expect(ev.hits, `expected no hits; reason: ${ev.reason}`).toEqual([]);
        expect(ev.reason.length).toBeGreaterThan(0);
        if (c.needsHuman !== undefined) expect(Boolean(ev.needsHuman)).toBe(c.needsHuman);
      });
    }

    for (const c of cases.invalid) {
      test(`invalid: ${c.name}`, () => {
        const ev = runRule(rule, c.item, { ...(c.now ? { now: c.now } : {}), ...(c.options !== undefined ? { options: c.options } : {}) });
        expect(ev.hits.map((h) => h.messageId), `reason: ${ev.reason}`).toEqual(c.hits.map((h) => h.messageId));
        c.hits.forEach((want, i) => {
          const got = ev.hits[i]!;
          expect(Object.keys(rule.meta.messages)).toContain(got.messageId);
          expect(got.evidence.length, 'a hit must say why it fired').toBeGreaterThan(0);
          expect(got.people.length).toBeGreaterThan(0);
          if (want.offender !== undefined) expect(got.targets.offender).toBe(want.offender);
          if (want.notify !== undefined) expect([...(got.targets.notify ?? [])].sort()).toEqual([...want.notify].sort());
          if (want.invite !== undefined) expect([...(got.targets.invite ?? [])].sort()).toEqual([...want.invite].sort());
          if (want.actions !== undefined) expect(got.actions).toEqual(want.actions);
          if (want.roomCalendar !== undefined) expect(got.targets.room?.calendarId).toBe(want.roomCalendar);
          for (const e of want.evidence ?? []) {
            const texts = got.evidence.map((x) => x.text.toLowerCase());
            expect(texts.some((t) => t.includes(e.toLowerCase())), `evidence ${JSON.stringify(texts)} should mention "${e}"`).toBe(true);
          }
        });
      });
    }
  });
}
