/**
 * For each rule, a short title and one sentence saying what to do instead, in plain English, kept
 * in the rule's own meta (`guidance`). The digest and the folded nudge summary use them; each
 * rule's own template says the same at more length (and the Clerk may reword it there).
 */
import { rulesById, type RuleId } from '../rules/index.js';
import type { RuleGuidance } from '../rules/types.js';

export type { RuleGuidance } from '../rules/types.js';

export function ruleGuidance(rule: RuleId): RuleGuidance {
  const found = rulesById.get(rule);
  if (!found) throw new Error(`No rule "${rule}" in the catalogue.`);
  return found.meta.guidance;
}

export function ruleTitle(rule: RuleId): string {
  return ruleGuidance(rule).title;
}

export function ruleAdvice(rule: RuleId): string {
  return ruleGuidance(rule).advice;
}
