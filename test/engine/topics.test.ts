import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import type { Rule } from '../../src/rules/types.js';
import { allRules, type AnyRule } from '../../src/rules/index.js';
import { A, council, mail } from '../support/council.js';

describe('topics: findings about a matter several items share', () => {
  const base = allRules[0] as Rule<unknown>;
  const messageId = Object.keys(base.meta.messages)[0] as string;
  const rule = (topic: string | undefined): AnyRule => ({
    meta: { ...base.meta },
    evaluate: () => ({
      hits: [{ messageId, data: {}, people: [A.tom], evidence: [{ kind: 'fact', text: 'x' }], targets: {}, ...(topic !== undefined ? { topic } : {}) }],
      reason: 'fired',
    }),
  }) as AnyRule;
  const item = mail({ from: A.tom, to: [A.sam], subject: 's', text: 't' });

  it("carries a hit's topic to its finding", () => {
    const [finding] = new Engine(council, { rules: [rule('consultation:riverside park')] }).evaluate(item, '2026-11-20T09:00:00Z').findings;
    expect(finding?.topic).toBe('consultation:riverside park');
  });

  it('leaves a finding without a topic when its hit has none', () => {
    const [finding] = new Engine(council, { rules: [rule(undefined)] }).evaluate(item, '2026-11-20T09:00:00Z').findings;
    expect(finding).toBeDefined();
    expect(finding && 'topic' in finding).toBe(false);
  });
});
