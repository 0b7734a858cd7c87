import { describe, expect, it } from 'vitest';
import { ACTION_KINDS } from '../../src/config/parts.js';
import { ConfigSchema } from '../../src/config/schema.js';
import { resolveRuleSettings } from '../../src/engine/rule-settings.js';
import { planEffects, planningContextFrom } from '../../src/outbox/outbox.js';
import { heldForReview, NO_REVIEW, reachesOthers, reviewApplies, reviewSettingsFrom } from '../../src/review/policy.js';
import { allRules } from '../../src/rules/index.js';
import { DAILY_SUMMARY_RULE } from '../../src/store/types.js';
import { A, councilConfigInput, directory } from '../support/council.js';
import { action, finding } from '../outbox/fixtures.js';

const configWith = (extra: Record<string, unknown>) => ConfigSchema.parse({ ...councilConfigInput, ...extra });

describe('which kinds review can hold', () => {
  it('holds what reaches others (offender, people told or invited, a room) and never what goes to the Clerk or the digest', () => {
    const held = ACTION_KINDS.filter((k) => reachesOthers(k)).sort();
    expect(held).toEqual(['block', 'invite', 'notify', 'nudge', 'warn']);
    const settings = { review: true, rules: new Map<string, boolean>() };
    for (const kind of ['route-to-clerk', 'notify-clerk', 'digest'] as const) expect(heldForReview(kind, 'no-blind-copies', settings)).toBe(false);
  });
});

describe('review settings', () => {
  it('follow the council’s review, with each rule’s own setting winning either way', () => {
    const on = reviewSettingsFrom(configWith({ review: true, rules: { 'no-blind-copies': { review: false } } }));
    expect(reviewApplies('no-blind-copies', on)).toBe(false);
    expect(reviewApplies('requests-via-clerk', on)).toBe(true);
    const off = reviewSettingsFrom(configWith({ review: false, rules: { 'press-via-clerk': { review: true }, 'no-silent-forwards': 'on' } }));
    expect(reviewApplies('press-via-clerk', off)).toBe(true);
    expect(reviewApplies('no-silent-forwards', off)).toBe(false);
    expect(reviewApplies('no-blind-copies', NO_REVIEW)).toBe(false);
  });

  it('never hold the daily summary, which carries only what was approved already', () => {
    const all = { review: true, rules: new Map([[DAILY_SUMMARY_RULE, true]]) };
    expect(heldForReview('nudge', DAILY_SUMMARY_RULE, all)).toBe(false);
    expect(heldForReview('nudge', 'no-blind-copies', all)).toBe(true);
  });

  it('are carried in the rule settings the engine resolves', () => {
    const settings = resolveRuleSettings(allRules, configWith({ review: true, rules: { 'no-blind-copies': { review: false }, 'press-via-clerk': { review: true } } }));
    expect(settings.get('no-blind-copies')?.review).toBe(false);
    expect(settings.get('press-via-clerk')?.review).toBe(true);
    expect(settings.get('requests-via-clerk')?.review).toBeUndefined();
  });
});

describe('planEffects under review', () => {
  const now = new Date('2026-01-14T10:00:00.000Z');
  const f = finding({ itemKey: '<m1@x>', actions: [action('nudge', [A.sam]), action('route-to-clerk', [A.clerk]), action('digest')] });

  it('marks the effects that reach others as held, without a cap, and leaves the Clerk’s alone', () => {
    const planning = planningContextFrom(configWith({ review: true }), directory);
    const effects = planEffects(f, now, planning);
    expect(effects.map((e) => [e.kind, e.review === true, e.cap !== undefined])).toEqual([
      ['nudge', true, false],
      ['route-to-clerk', false, true],
      ['digest', false, false],
    ]);
  });

  it('holds nothing when review is off, for the council or for the rule', () => {
    for (const config of [configWith({}), configWith({ review: true, rules: { 'no-blind-copies': { review: false } } })]) {
      const effects = planEffects(f, now, planningContextFrom(config, directory));
      expect(effects.some((e) => e.review === true)).toBe(false);
      expect(effects.find((e) => e.kind === 'nudge')?.cap).toBeDefined();
    }
  });
});
