/**
 * For each rule, a short title and one sentence saying what to do instead, in plain English.
 * The digest and the folded nudge summary use them; each rule's own template says the same
 * at more length (and the Clerk may reword it there).
 */
import type { RuleId } from '../config/schema.js';

export interface RuleGuidance {
  /** A few words naming what the rule keeps, e.g. "Blind copies in member–officer correspondence". */
  title: string;
  /** One sentence: what to do instead. */
  advice: string;
}

export const RULE_GUIDANCE: Readonly<Record<RuleId, RuleGuidance>> = {
  'no-blind-copies': {
    title: 'Blind copies in member–officer correspondence',
    advice: 'If another councillor should see correspondence, copy them openly (Cc) and say so in the message.',
  },
  'no-silent-forwards': {
    title: "Passing on a councillor’s message to another councillor",
    advice: "Before passing a councillor’s message to another councillor, ask the author, or include the author openly and say that you are sharing it.",
  },
  'requests-via-clerk': {
    title: 'Requests for officers’ work go through the Town Clerk',
    advice: 'Send requests for work or assistance to the Town Clerk, or copy the Clerk in; purely factual questions can still go straight to an officer.',
  },
  'official-letters-from-officers': {
    title: 'Official letters on behalf of the Council',
    advice: "Ask the Town Clerk to send letters on the Council’s behalf in the name of the relevant officer; letters that create obligations or give instructions should not go out in a councillor’s name.",
  },
  'state-capacity': {
    title: 'Saying in what capacity you write',
    advice: 'When writing outside the Council, say in what capacity you write: as ward member, in a personal capacity, for a party group or on behalf of the Council.',
  },
  'confidential-stays-internal': {
    title: 'Confidential information sent outside the Council',
    advice: 'Keep confidential material to Council addresses unless someone authorised has agreed to its disclosure; if it went out by mistake, please tell the Town Clerk.',
  },
  'no-party-political-use': {
    title: 'Council resources and party political work',
    advice: 'Use personal or party channels for party, campaign or election work, and please do not ask officers to help with it.',
  },
  'press-via-clerk': {
    title: 'Statements to the media',
    advice: 'Involve the Town Clerk when you would like a statement or press release issued, and take particular care with the media in the run-up to elections.',
  },
  'officer-conduct-raised-properly': {
    title: 'Raising a concern about an officer',
    advice: "Raise a concern about an officer’s conduct or capability privately, with their line manager or the Town Clerk, rather than with councillors, the press or the public.",
  },
  'invite-ward-members': {
    title: 'Inviting ward members to public meetings',
    advice: 'Invite all the members for the wards affected to a Council public meeting as a matter of course.',
  },
  'notify-ward-members-of-consultations': {
    title: 'Telling ward members about consultations',
    advice: 'Tell the members for the wards affected when a public consultation begins.',
  },
  'no-ward-meetings-before-elections': {
    title: 'Ward meetings in the pre-election period',
    advice: 'Hold ward surgeries and public meetings after polling day rather than during the pre-election period.',
  },
  'clerk-informed-of-member-meetings': {
    title: "Telling the Town Clerk about members’ public meetings",
    advice: 'Let the Town Clerk know when you arrange a public meeting on Council business; inviting the Clerk to the event is enough.',
  },
  'no-officers-at-surgeries': {
    title: 'Officers at ward surgeries',
    advice: "Hold ward surgeries without Council staff; if a constituent’s question needs an officer, pass it to the Town Clerk afterwards.",
  },
  'party-group-attendance-authorised': {
    title: 'Officers at party-group meetings',
    advice: "Ask the Town Clerk to authorise an officer’s attendance at a party-group meeting before the officer attends.",
  },
  'notify-ward-members-of-visits': {
    title: "Visits in another member’s ward",
    advice: 'Let the members for a ward know before you visit Council premises there.',
  },
};

export function ruleTitle(rule: RuleId): string {
  return RULE_GUIDANCE[rule].title;
}

export function ruleAdvice(rule: RuleId): string {
  return RULE_GUIDANCE[rule].advice;
}
