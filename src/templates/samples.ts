/**
 * Realistic sample data for every template, from a fictional council (Millbrook Town Council),
 * for `wardwatch templates preview` and for checking a Clerk's own templates at startup.
 * Every list holds at least one entry so that every part of a template is exercised.
 */
import type { RuleId, Severity } from '../config/schema.js';
import type {
  CouncilData,
  DigestData,
  FindingData,
  ItemData,
  NudgeData,
  NudgeSummaryData,
  PeriodData,
  RecipientData,
  TemplateData,
} from './data.js';
import { RULE_GUIDANCE, ruleAdvice, ruleTitle } from './guidance.js';
import { isRuleTemplateName, type TemplateName } from './names.js';
import { addressedTo, curlyQuotes } from './salutation.js';
import { describeClauses } from './wording.js';

export const SAMPLE_COUNCIL: CouncilData = {
  name: 'Millbrook Town Council',
  clerkName: 'Helen Ashworth',
  clerkAddress: 'clerk@millbrook-tc.gov.uk',
  serviceAddress: 'protocol@millbrook-tc.gov.uk',
};

const people = {
  clerk: { name: 'Helen Ashworth', address: 'clerk@millbrook-tc.gov.uk', salutation: 'Helen' },
  sam: { name: 'Sam Patel', address: 'sam.patel@millbrook-tc.gov.uk', salutation: 'Sam' },
  priya: { name: 'Priya Shah', address: 'priya.shah@millbrook-tc.gov.uk', salutation: 'Priya' },
  dan: { name: 'Dan Okafor', address: 'dan.okafor@millbrook-tc.gov.uk', salutation: 'Dan' },
  tom: { name: 'Cllr Tom Brown', address: 'tom.brown@millbrook-tc.gov.uk', salutation: 'Councillor Brown' },
  alice: { name: 'Cllr Alice Green', address: 'alice.green@millbrook-tc.gov.uk', salutation: 'Councillor Green' },
  raj: { name: 'Cllr Raj Mehta', address: 'raj.mehta@millbrook-tc.gov.uk', salutation: 'Councillor Mehta' },
  sue: { name: 'Cllr Sue Taylor', address: 'sue.taylor@millbrook-tc.gov.uk', salutation: 'Councillor Taylor' },
  ben: { name: 'Cllr Ben Hughes', address: 'ben.hughes@millbrook-tc.gov.uk', salutation: 'Councillor Hughes' },
} satisfies Record<string, RecipientData>;

function who(p: RecipientData): string {
  return `${p.name} <${p.address}>`;
}

function mail(subject: string, date: string, from: RecipientData): ItemData {
  return { kind: 'mail', isEvent: false, subject, date, start: null, location: null, calendar: null, from: who(from) };
}

function event(subject: string, date: string, location: string, calendar: string, organiser: RecipientData): ItemData {
  return { kind: 'event', isEvent: true, subject, date, start: date, location, calendar, from: who(organiser) };
}

interface RuleSample {
  recipient: RecipientData;
  severity: Severity;
  clauses: string[];
  item: ItemData;
  summary: string;
  why: string[];
}

const RULE_SAMPLES: Readonly<Record<RuleId, RuleSample>> = {
  'no-blind-copies': {
    recipient: people.tom,
    severity: 'warning',
    clauses: ['12.1'],
    item: mail('Street lighting on Castle Street', 'Tuesday 13 April 2027 at 10:30', people.tom),
    summary: 'Cllr Tom Brown blind-copied Cllr Alice Green into correspondence with Sam Patel.',
    why: ['Cllr Alice Green received the message as a blind copy (Bcc)', 'the message is between a member and an officer'],
  },
  'no-silent-forwards': {
    recipient: people.sam,
    severity: 'warning',
    clauses: ['12.1'],
    item: mail('Fw: Flooding on Weir Road', 'Tuesday 13 April 2027 at 11:05', people.sam),
    summary: "Sam Patel forwarded Cllr Sue Taylor's message to Cllr Raj Mehta without Cllr Sue Taylor among the recipients.",
    why: ['the message forwards a message written by Cllr Sue Taylor', 'Cllr Sue Taylor is not among the recipients'],
  },
  'requests-via-clerk': {
    recipient: people.alice,
    severity: 'warning',
    clauses: ['4.6', '2.9'],
    item: mail('Leaflet for the Market Square fair', 'Tuesday 13 April 2027 at 09:12', people.alice),
    summary: 'Cllr Alice Green asked Priya Shah for work without copying in the Town Clerk.',
    why: ['the words “could you draft” (in the body)', 'the Town Clerk is not in To or Cc'],
  },
  'official-letters-from-officers': {
    recipient: people.raj,
    severity: 'warning',
    clauses: ['12.2', '12.3', '12.4'],
    item: mail('Riverside Park café licence', 'Monday 12 April 2027 at 16:40', people.raj),
    summary: 'Cllr Raj Mehta wrote to an outside organisation on behalf of the Council in words that give instructions.',
    why: ['the words “on behalf of the Council” (in the body)', 'the words “you must vacate” (in the body)'],
  },
  'state-capacity': {
    recipient: people.ben,
    severity: 'info',
    clauses: ['12.5', '11.5a'],
    item: mail('Parking on Hazel Avenue', 'Monday 12 April 2027 at 14:20', people.ben),
    summary: 'Cllr Ben Hughes wrote to people outside the Council without saying in what capacity.',
    why: ['the recipients are outside the Council', 'no phrase such as “as ward member” or “in a personal capacity” was found'],
  },
  'confidential-stays-internal': {
    recipient: people.dan,
    severity: 'error',
    clauses: ['10.7'],
    item: mail('CONFIDENTIAL: staffing review', 'Tuesday 13 April 2027 at 08:47', people.dan),
    summary: "A message marked confidential was sent to an address outside the Council's domains (d.okafor1987@example.com).",
    why: ['the word “CONFIDENTIAL” (in the subject)', 'd.okafor1987@example.com is not a Council address'],
  },
  'no-party-political-use': {
    recipient: people.sue,
    severity: 'warning',
    clauses: ['14.1', '14.3'],
    item: mail('Leaflets for Saturday', 'Monday 12 April 2027 at 19:02', people.sue),
    summary: 'Cllr Sue Taylor asked Sam Patel for help with campaign work.',
    why: ['the words “our campaign leaflets” (in the body)'],
  },
  'press-via-clerk': {
    recipient: people.tom,
    severity: 'warning',
    clauses: ['11.5c', '11.5g'],
    item: mail('Statement on library opening hours', 'Tuesday 13 April 2027 at 12:15', people.tom),
    summary: 'Cllr Tom Brown sent a statement to the Millbrook Gazette without the Town Clerk, during the pre-election period.',
    why: ['news@millbrookgazette.co.uk is a media address', 'the pre-election period for polling day on Thursday 6 May 2027 has begun'],
  },
  'officer-conduct-raised-properly': {
    recipient: people.dan,
    severity: 'warning',
    clauses: ['15.2'],
    item: mail('A concern', 'Monday 12 April 2027 at 17:55', people.dan),
    summary: "Dan Okafor raised a concern about another officer's conduct with Cllr Ben Hughes.",
    why: ['the message is from an officer to a member', "it discusses another officer's conduct"],
  },
  'invite-ward-members': {
    recipient: people.priya,
    severity: 'warning',
    clauses: ['9.3'],
    item: event('Riverside Park play area: public meeting', 'Thursday 22 April 2027 at 19:00', 'Riverside Park Pavilion', 'Council events', people.priya),
    summary:
      'The Council\'s public meeting "Riverside Park play area: public meeting" on Thursday 22 April 2027 at 19:00 concerns Riverside, but not all of its members are invited: Cllr Sue Taylor should be.',
    why: ['the location names Riverside Park, in Riverside ward', 'Cllr Sue Taylor is a member for Riverside and is not invited'],
  },
  'notify-ward-members-of-consultations': {
    recipient: people.priya,
    severity: 'info',
    clauses: ['9.2c'],
    item: event('Consultation opens: Northfield allotments', 'Monday 19 April 2027', 'Northfield Community Centre', 'Council events', people.priya),
    summary: 'The Council is starting a consultation, "Northfield allotments", affecting Northfield, and Cllr Ben Hughes should be told at the outset.',
    why: ['the words “consultation opens” (in the title)', 'the location is in Northfield ward'],
  },
  'no-ward-meetings-before-elections': {
    recipient: people.alice,
    severity: 'error',
    clauses: ['9.4b'],
    item: event('Castle ward surgery', 'Tuesday 20 April 2027 at 18:00', 'Council Chamber', 'Council Chamber', people.alice),
    summary:
      'Cllr Alice Green has arranged a ward surgery "Castle ward surgery" on Tuesday 20 April 2027 at 18:00, inside the pre-election period before polling day on Thursday 6 May 2027, when no such meetings should be arranged or held.',
    why: ['the words “ward surgery” (in the title)', 'the pre-election period began on Wednesday 31 March 2027'],
  },
  'clerk-informed-of-member-meetings': {
    recipient: people.raj,
    severity: 'info',
    clauses: ['9.4'],
    item: event('Weir Road residents’ meeting', 'Wednesday 28 April 2027 at 19:30', 'Riverside Park Pavilion', 'Cllr Raj Mehta', people.raj),
    summary: 'Cllr Raj Mehta has arranged a public meeting, "Weir Road residents’ meeting", on Council business without informing the Town Clerk.',
    why: ['the words “residents\' meeting” (in the title)', 'the Town Clerk is not among the attendees'],
  },
  'no-officers-at-surgeries': {
    recipient: people.ben,
    severity: 'warning',
    clauses: ['9.4c'],
    item: event('Northfield ward surgery', 'Saturday 17 April 2027 at 10:00', 'Northfield Community Centre', 'Cllr Ben Hughes', people.ben),
    summary: 'Cllr Ben Hughes has invited Dan Okafor to the ward surgery "Northfield ward surgery".',
    why: ['the words “ward surgery” (in the title)', 'Dan Okafor is an officer'],
  },
  'party-group-attendance-authorised': {
    recipient: people.raj,
    severity: 'warning',
    clauses: ['8.2', '8.14'],
    item: event('Labour group: budget briefing', 'Monday 19 April 2027 at 18:30', 'Committee Room 2', 'Cllr Raj Mehta', people.raj),
    summary:
      'The party-group meeting "Labour group: budget briefing" on Monday 19 April 2027 at 18:30 invites Sam Patel, and an officer\'s attendance at a party-group meeting is voluntary and needs the Clerk\'s authorisation.',
    why: ['the words “Labour group” (in the title)', 'Sam Patel is an officer', 'the event has no “Clerk authorised” category'],
  },
  'notify-ward-members-of-visits': {
    recipient: people.raj,
    severity: 'info',
    clauses: ['13.3d'],
    item: event('Visit to Millbrook Library', 'Friday 16 April 2027 at 11:00', 'Millbrook Library', 'Cllr Raj Mehta', people.raj),
    summary:
      'Cllr Raj Mehta will visit "Visit to Millbrook Library" in Castle on Friday 16 April 2027 at 11:00, outside their own ward, so Cllr Tom Brown and Cllr Alice Green should be told beforehand.',
    why: ['Millbrook Library is in Castle ward', 'Cllr Raj Mehta is a member for Riverside'],
  },
};

/** A sample finding as its reader receives it: quotation marks curly, and the reader named as "you". */
function findingFor(rule: RuleId, reader: RecipientData): FindingData {
  const s = RULE_SAMPLES[rule];
  return {
    rule,
    ruleTitle: ruleTitle(rule),
    summary: addressedTo(curlyQuotes(s.summary), reader.name),
    clauses: s.clauses,
    clauseText: describeClauses(s.clauses),
    severity: s.severity,
    warning: s.severity !== 'info',
    why: s.why,
  };
}

/** The data of a message about one of `rule`'s findings, sent to `recipient` (the rule's sample person by default). */
function about(rule: RuleId, council: CouncilData, recipient: RecipientData = RULE_SAMPLES[rule].recipient): NudgeData {
  return { council, recipient, finding: findingFor(rule, recipient), item: RULE_SAMPLES[rule].item };
}

const SAMPLE_PERIOD: PeriodData = {
  name: 'Town council elections',
  start: 'Wednesday 31 March 2027',
  poll: 'Thursday 6 May 2027',
  wards: 'all wards',
};

function folded(rule: RuleId, reader: RecipientData): NudgeSummaryData['nudges'][number] {
  const s = RULE_SAMPLES[rule];
  return {
    ruleTitle: ruleTitle(rule),
    subject: s.item.subject,
    date: s.item.date,
    summary: addressedTo(curlyQuotes(s.summary), reader.name),
    clauseText: describeClauses(s.clauses),
    advice: ruleAdvice(rule),
  };
}

/** How the digest names a sample item: its subject line or title and date, never its body. */
function digestReference(rule: RuleId): string {
  const { item } = RULE_SAMPLES[rule];
  return item.isEvent ? `event “${item.subject}”, ${item.date}` : `message “${item.subject}”, sent ${item.date}`;
}

const WITHHELD = 'a private matter — details withheld';

function digestSample(council: CouncilData): DigestData {
  type Row = DigestData['digest']['rules'][number];
  type Entry = Row['items'][number];
  const entry = (rule: RuleId, actions: string): Entry => ({ reference: digestReference(rule), summary: curlyQuotes(RULE_SAMPLES[rule].summary), private: false, actions });
  const row = (rule: RuleId, actions: string, items: Entry[]): Row => ({
    rule,
    ruleTitle: RULE_GUIDANCE[rule].title,
    clauseText: describeClauses(RULE_SAMPLES[rule].clauses),
    findings: items.length,
    actions,
    items,
    more: '',
  });
  return {
    council,
    recipient: people.clerk,
    digest: {
      date: 'Wednesday 14 April 2027',
      covering: 'since Tuesday 13 April 2027 at 07:30',
      totals: { findings: 6, actions: 7, needsHuman: 2 },
      rules: [
        row('no-blind-copies', '1 warning sent, 1 warning could not be sent', [
          entry('no-blind-copies', 'warning sent to Cllr Tom Brown'),
          {
            reference: 'message “Re: Hazel Avenue verges”, sent Tuesday 13 April 2027 at 15:48',
            summary: 'Cllr Tom Brown blind-copied Cllr Ben Hughes into correspondence with Priya Shah.',
            private: false,
            actions: 'warning to Cllr Tom Brown could not be sent after 5 attempts: the mail server refused it',
          },
        ]),
        row('requests-via-clerk', '1 warning sent, 1 copy for the Clerk sent', [
          entry('requests-via-clerk', 'warning sent to Cllr Alice Green; copy for the Clerk sent'),
        ]),
        row('officer-conduct-raised-properly', '1 warning waiting for the end of quiet hours (private: no content shown)', [
          { reference: WITHHELD, summary: WITHHELD, private: true, actions: 'warning waiting for quiet hours to end (Wednesday 14 April 2027 at 08:00)' },
        ]),
        row('invite-ward-members', '1 notice sent, 1 invitation sent', [
          entry('invite-ward-members', 'invitation sent to Cllr Sue Taylor; notice sent to Priya Shah'),
        ]),
        row('party-group-attendance-authorised', '1 notice sent, 1 notice to the Clerk sent', [
          entry('party-group-attendance-authorised', 'notice sent to Sam Patel; notice to the Clerk sent'),
        ]),
      ],
      needsHuman: [
        { what: 'The ward of an event could not be worked out (no ward named, no known place or postcode)', reference: 'Council events: “Tree planting morning”, Saturday 24 April 2027 at 10:00' },
        {
          what: 'A warning to tom.brown@millbrook-tc.gov.uk could not be sent after 5 attempts (the mail server refused it)',
          reference: `${RULE_GUIDANCE['no-blind-copies'].title}: message “Re: Hazel Avenue verges”`,
        },
      ],
      awaitingAuthorisation: [
        { officer: 'Sam Patel', meeting: 'Labour group: budget briefing', date: 'Monday 19 April 2027 at 18:30', organiser: 'Cllr Raj Mehta' },
      ],
      upcomingMeetings: [
        {
          title: 'Riverside Park play area: public meeting',
          date: 'Thursday 22 April 2027 at 19:00',
          location: 'Riverside Park Pavilion',
          wards: 'Riverside',
          invited: 'Cllr Raj Mehta and Cllr Sue Taylor',
        },
      ],
      upcomingDays: 14,
      election: { ...SAMPLE_PERIOD, current: true },
      sources: [
        { name: 'Mailbox clerk@millbrook-tc.gov.uk', healthy: true, status: 'read at 07:25, 14 new messages' },
        { name: 'Calendar council-events', healthy: false, status: 'could not be reached since 06:10 (the server did not answer); Wardwatch will keep trying' },
      ],
    },
  };
}

type Sampler = (council: CouncilData) => TemplateData;

const SHARED_SAMPLES: Readonly<Record<Exclude<TemplateName, RuleId>, Sampler>> = {
  'invite-ward-members.notify': (c) => ({ ...about('invite-ward-members', c), wards: 'Riverside', invited: ['Cllr Sue Taylor'] }),
  'notify-ward-members-of-consultations.notify': (c) => ({
    ...about('notify-ward-members-of-consultations', c, people.ben),
    wards: 'Northfield',
    startedBy: 'Priya Shah',
  }),
  'notify-ward-members-of-visits.notify': (c) => ({ ...about('notify-ward-members-of-visits', c, people.alice), wards: 'Castle', visitors: 'Cllr Raj Mehta' }),
  'no-officers-at-surgeries.notify': (c) => ({ ...about('no-officers-at-surgeries', c, people.dan), organiser: 'Cllr Ben Hughes' }),
  'party-group-attendance-authorised.notify': (c) => ({ ...about('party-group-attendance-authorised', c, people.sam), organiser: 'Cllr Raj Mehta' }),
  'clerk-notice': (c) => ({
    ...about('confidential-stays-internal', c, people.clerk),
    actionsTaken: ['A warning was sent to Dan Okafor.', 'The finding will appear in tomorrow’s digest.'],
    toDo: [],
  }),
  'authorisation-request': (c) => ({
    ...about('party-group-attendance-authorised', c, people.clerk),
    organiser: 'Cllr Raj Mehta',
    officers: ['Sam Patel'],
    outsiders: ['Mark Evans <mark.evans@example.org>'],
    authoriseCategory: 'Clerk authorised',
  }),
  'routed-copy': (c) => ({
    ...about('requests-via-clerk', c, people.clerk),
    original: { from: who(people.alice), to: who(people.priya), attachment: 'original-message.eml' },
    actionsTaken: ['Cllr Alice Green was sent a courteous reminder.'],
  }),
  invitation: (c) => ({ ...about('invite-ward-members', c, people.sue), wards: 'Riverside', organiser: 'Priya Shah' }),
  'booking-declined': (c) => ({ ...about('no-ward-meetings-before-elections', c), room: 'Council Chamber', period: SAMPLE_PERIOD }),
  'nudge-summary': (c) => ({
    council: c,
    recipient: people.tom,
    date: 'Tuesday 13 April 2027',
    count: 3,
    nudges: [folded('no-blind-copies', people.tom), folded('press-via-clerk', people.tom), folded('state-capacity', people.tom)],
  }),
  digest: digestSample,
  'clerk-summary': (c) => ({
    council: c,
    recipient: people.clerk,
    date: 'Tuesday 13 April 2027',
    count: 2,
    nudges: [folded('requests-via-clerk', people.clerk), folded('press-via-clerk', people.clerk)],
  }),
};

/** Sample data for the named template; `council` replaces Millbrook's details (a council previewing its own). */
export function sampleData(name: TemplateName, council: CouncilData = SAMPLE_COUNCIL): TemplateData {
  return isRuleTemplateName(name) ? about(name, council) : SHARED_SAMPLES[name](council);
}
