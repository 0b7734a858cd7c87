/** The rule catalogue: every rule, in the order of DESIGN.md. */
import type { RuleId } from '../config/schema.js';
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

/** A rule with its option type erased: the engine parses options with the rule's own schema. */
export type AnyRule = Rule<unknown>;

function erase<O>(rule: Rule<O>): AnyRule {
  return rule as unknown as AnyRule;
}

export const allRules: readonly AnyRule[] = [
  erase(noBlindCopies),
  erase(noSilentForwards),
  erase(requestsViaClerk),
  erase(officialLettersFromOfficers),
  erase(stateCapacity),
  erase(confidentialStaysInternal),
  erase(noPartyPoliticalUse),
  erase(pressViaClerk),
  erase(officerConductRaisedProperly),
  erase(inviteWardMembers),
  erase(notifyWardMembersOfConsultations),
  erase(noWardMeetingsBeforeElections),
  erase(clerkInformedOfMemberMeetings),
  erase(noOfficersAtSurgeries),
  erase(partyGroupAttendanceAuthorised),
  erase(notifyWardMembersOfVisits),
];

export const rulesById: ReadonlyMap<RuleId, AnyRule> = new Map(allRules.map((r) => [r.meta.id, r]));
