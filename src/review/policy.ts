/**
 * Review mode: which effects wait for the Clerk's approval before they go.
 *
 * An effect is held when review applies to its rule (`rules.<id>.review`, else the council's
 * `review`) and its kind addresses someone other than the Clerks and the digest's readers — the
 * person who broke the protocol, the people told, the people invited, or a room's booking. What
 * goes to the Clerk (a routed copy, a notice, a digest entry) is never held: it is the Clerk's own
 * reading. Nor is a daily summary, which only carries messages approved already.
 */
import { actionSpec } from '../actions/kinds/index.js';
import type { ActionKind, Config } from '../config/schema.js';
import { DAILY_SUMMARY_RULE } from '../store/types.js';

/** The council's review settings: the default and each rule's own, where it has one. */
export interface ReviewSettings {
  /** The council-wide `review`. */
  review: boolean;
  /** `rules.<id>.review`, for the rules that set it. */
  rules: ReadonlyMap<string, boolean>;
}

/** No review at all: every effect goes as planned. */
export const NO_REVIEW: ReviewSettings = { review: false, rules: new Map() };

/** The review settings of a loaded configuration. */
export function reviewSettingsFrom(config: Partial<Pick<Config, 'review' | 'rules'>>): ReviewSettings {
  const rules = new Map<string, boolean>();
  for (const [rule, setting] of Object.entries(config.rules ?? {})) {
    if (typeof setting === 'object' && setting.review !== undefined) rules.set(rule, setting.review);
  }
  return { review: config.review === true, rules };
}

/** Whether review applies to a rule: its own setting, else the council's. */
export function reviewApplies(rule: string, settings: ReviewSettings): boolean {
  if (rule === DAILY_SUMMARY_RULE) return false;
  return settings.rules.get(rule) ?? settings.review;
}

/** True for a kind that reaches someone other than the Clerks and the digest's readers. */
export function reachesOthers(kind: ActionKind): boolean {
  const { addresses } = actionSpec(kind);
  return addresses === 'offender' || addresses === 'notified' || addresses === 'invited' || addresses === 'room';
}

/** True when an effect of this kind, planned for this rule, waits for the Clerk's approval. */
export function heldForReview(kind: ActionKind, rule: string, settings: ReviewSettings): boolean {
  return reachesOthers(kind) && reviewApplies(rule, settings);
}
