import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { allRules, type AnyRule } from '../../src/rules/index.js';
import type { Rule } from '../../src/rules/types.js';
import { A, council, event } from '../support/council.js';

describe('verdicts worked out when read', () => {
  const meeting = event({ summary: 'Public meeting: Castle Street parking', location: 'Castle Street', start: '2026-12-03T18:30:00.000Z', organizer: A.clerk, attendees: [A.tom] });
  const now = '2026-11-20T09:00:00.000Z';

  it('a rule explains a miss only when its verdict\'s reason is read, and once', () => {
    let explained = 0;
    const quiet = {
      // An event rule's meta: the engine shows a rule only the kind of item it judges.
      meta: { ...(allRules.find((r) => r.meta.kind === 'event') as Rule<unknown>).meta },
      evaluate: () => ({
        hits: [],
        get reason(): string {
          explained++;
          return 'nothing to see';
        },
      }),
    } as AnyRule;
    const engine = new Engine(council, { rules: [quiet] });
    const evaluation = engine.evaluate(meeting, now);
    expect(evaluation.findings).toEqual([]);
    expect(explained).toBe(0);
    // Which rules ran, and whether they fired, without explaining them.
    expect(evaluation.verdicts.map((v) => [v.rule, v.enabled, v.fired])).toEqual([[quiet.meta.id, true, false]]);
    expect(explained).toBe(0);
    expect(evaluation.verdicts[0]?.reason).toBe('nothing to see');
    expect(evaluation.verdicts[0]?.reason).toBe('nothing to see');
    expect(explained).toBe(1);
  });

  it('JSON of an evaluation holds its findings, verdicts and notices', () => {
    const engine = new Engine(council);
    const evaluation = engine.evaluate(meeting, now);
    const json = JSON.parse(JSON.stringify(evaluation)) as { findings: unknown[]; verdicts: { rule: string; reason: string }[]; notices: unknown[] };
    expect(json.findings.length).toBe(evaluation.findings.length);
    expect(json.findings.length).toBeGreaterThan(0);
    expect(json.verdicts.map((v) => v.rule)).toEqual(engine.rules.map((r) => r.meta.id));
    expect(json.verdicts.every((v) => typeof v.reason === 'string' && v.reason.length > 0)).toBe(true);
    expect(json.notices).toEqual(evaluation.notices);
  });
});
