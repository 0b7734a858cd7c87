/**
 * The rule catalogue: every rule, in the order of DESIGN.md. The rule ids — in the config schema,
 * the profiles, the templates and the digest — all come from here.
 */
import type { Rule } from './types.js';
import noBlindCopies from './no-blind-copies.js';
import noSilentForwards from './no-silent-forwards.js';
import requestsViaClerk from './requests-via-clerk.js';
import officialLettersFromOfficers from './official-letters-from-officers.js';
import stateCapacity from './state-capacity.js';
import confidentialStaysInternal from './confidential-stays-internal.js';
import noPartyPoliticalUse from './no-party-political-use.js';
import pressViaClerk from './press-via-clerk.js';
import officerConductRaisedProperly from './officer-conduct-raised-properly.js';
import inviteWardMembers from './invite-ward-members.js';
import notifyWardMembersOfConsultations from './notify-ward-members-of-consultations.js';
import noWardMeetingsBeforeElections from './no-ward-meetings-before-elections.js';
import clerkInformedOfMemberMeetings from './clerk-informed-of-member-meetings.js';
import noOfficersAtSurgeries from './no-officers-at-surgeries.js';
import partyGroupAttendanceAuthorised from './party-group-attendance-authorised.js';
import notifyWardMembersOfVisits from './notify-ward-members-of-visits.js';

const catalogue = [
  noBlindCopies,
  noSilentForwards,
  requestsViaClerk,
  officialLettersFromOfficers,
  stateCapacity,
  confidentialStaysInternal,
  noPartyPoliticalUse,
  pressViaClerk,
  officerConductRaisedProperly,
  inviteWardMembers,
  notifyWardMembersOfConsultations,
  noWardMeetingsBeforeElections,
  clerkInformedOfMemberMeetings,
  noOfficersAtSurgeries,
  partyGroupAttendanceAuthorised,
  notifyWardMembersOfVisits,
] as const;

type CatalogueRule = (typeof catalogue)[number];
export type RuleId = CatalogueRule['meta']['id'];
/** The rules with a notice template of their own (`<rule-id>.notify`). */
/** The rules with a notice template of their own (`<rule-id>.notify`). */
export type NotifyRule = Extract<CatalogueRule, { meta: { templates?: { notify: 'own' } } }>['meta']['id'];

/** A rule with its option type erased: the engine parses options with the rule's own schema. */
export type AnyRule = Rule<unknown, RuleId>;

export const allRules: readonly AnyRule[] = catalogue.map((rule) => rule as unknown as AnyRule);

/** Every rule id, in catalogue order (a tuple, as zod's `enum` wants). */
export const RULE_IDS = allRules.map((r) => r.meta.id) as [RuleId, ...RuleId[]];

const idSet: ReadonlySet<string> = new Set(RULE_IDS);

/** True for one of the catalogue's rule ids (a string from a file, a template name, stored data). */
export function isRuleId(rule: string): rule is RuleId {
  return idSet.has(rule);
}

export const rulesById: ReadonlyMap<RuleId, AnyRule> = new Map(allRules.map((r) => [r.meta.id, r]));

/** Rules whose `notify` has a notice template of their own. */
export const NOTIFY_RULES: readonly NotifyRule[] = allRules.filter((r) => r.meta.templates?.notify === 'own').map((r) => r.meta.id as NotifyRule);
