/**
 * The names of every message template in templates/. They are exactly the names that
 * `templateFor(kind, rule)` in src/engine/decide.ts can produce:
 * - `<rule-id>`: the nudge or warning for that rule (the same template serves both);
 * - `<rule-id>.notify`: the notice of each rule whose meta has `templates: { notify: 'own' }`;
 * - the shared ones below (Clerk's notice and authorisation request, routed copy, invitation,
 *   declined booking), plus the folded `nudge-summary` and the Clerk's daily `digest`, and the
 *   `clerk-summary` the Clerk's further routed copies and notices fold into over their daily limit.
 */
import { isRuleId, NOTIFY_RULES, RULE_IDS, type NotifyRule, type RuleId } from '../rules/index.js';

export { NOTIFY_RULES, type NotifyRule };

export type NotifyTemplateName = `${NotifyRule}.notify`;

/** Templates produced by action kinds that do not depend on the rule. */
export const ACTION_TEMPLATE_NAMES = ['clerk-notice', 'authorisation-request', 'routed-copy', 'invitation', 'booking-declined'] as const;
/** Templates the scheduler uses: several nudges folded into one message, and the Clerk's digest. */
export const SCHEDULED_TEMPLATE_NAMES = ['nudge-summary', 'digest', 'clerk-summary'] as const;

export type SharedTemplateName = (typeof ACTION_TEMPLATE_NAMES)[number] | (typeof SCHEDULED_TEMPLATE_NAMES)[number];
export type TemplateName = RuleId | NotifyTemplateName | SharedTemplateName;

export function notifyTemplateName(rule: NotifyRule): NotifyTemplateName {
  return `${rule}.notify`;
}

/** Every template name, in a stable order: the rules, their notices, then the shared ones. */
export const TEMPLATE_NAMES: readonly TemplateName[] = [
  ...RULE_IDS,
  ...NOTIFY_RULES.map(notifyTemplateName),
  ...ACTION_TEMPLATE_NAMES,
  ...SCHEDULED_TEMPLATE_NAMES,
];

const NAME_SET: ReadonlySet<string> = new Set(TEMPLATE_NAMES);

export function isTemplateName(name: string): name is TemplateName {
  return NAME_SET.has(name);
}

export function isRuleTemplateName(name: TemplateName): name is RuleId {
  return isRuleId(name);
}

/** The file a template lives in, inside templates/ or the Clerk's override folder. */
export function templateFileName(name: TemplateName): string {
  return `${name}.hbs`;
}
