/** What the engine produces: findings with the actions the council's config decided on. */
import type { ActionKind, Severity } from '../config/parts.js';
import type { RuleId } from '../rules/index.js';
import type { Evidence, HitTargets } from './evidence.js';

export type { Evidence, HitTargets } from './evidence.js';

export interface PlannedAction {
  kind: ActionKind;
  /** Recipients (addresses); empty for `digest` and `block`. */
  to: string[];
  /** Template name in templates/ (for nudge, warn, notify, notify-clerk, route-to-clerk, invite). */
  template?: string;
  /** For `block`: which room calendar. For `invite`: the event's calendar. */
  calendarId?: string;
}

/** The JSON finding of DESIGN.md, one per line with --json. Extra fields: `why`, `messageId`. */
export interface Finding {
  rule: RuleId;
  severity: Severity;
  clauses: string[];
  item: { kind: 'mail' | 'event'; key: string };
  people: string[];
  summary: string;
  actions: PlannedAction[];
  /** Each phrase or fact that made the rule fire. */
  why: Evidence[];
  messageId: string;
  /** The matter this finding is about, when several items can share it (see `Hit.topic`); its actions are taken once per matter. */
  topic?: string;
  /** True when the digest must not show content (officer conduct matters). */
  private?: boolean;
  targets: HitTargets;
}
