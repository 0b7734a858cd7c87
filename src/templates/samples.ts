/**
 * Realistic sample data for every template, from a fictional council (Millbrook Town Council),
 * for `wardwatch templates preview` and for checking a Clerk's own templates at startup.
 * Every list holds at least one entry so that every part of a template is exercised.
 */
import type { Severity } from '../config/parts.js';
import { rulesById, type RuleId } from '../rules/index.js';
import type { SamplePerson } from '../rules/types.js';
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
import { ruleAdvice, ruleTitle } from './guidance.js';
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
} satisfies Record<SamplePerson, RecipientData>;

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

/** A rule's sample (kept in its meta), with its people as the sample council's. */
function sampleOf(rule: RuleId): RuleSample {
  const meta = rulesById.get(rule)?.meta;
  if (!meta) throw new Error(`No rule "${rule}" in the catalogue.`);
  const { sample } = meta;
  const item =
    sample.item.kind === 'mail'
      ? mail(sample.item.subject, sample.item.date, people[sample.item.from])
      : event(sample.item.subject, sample.item.date, sample.item.location, sample.item.calendar, people[sample.item.organiser]);
  return { recipient: people[sample.recipient], severity: sample.severity, clauses: sample.clauses, item, summary: sample.summary, why: sample.why };
}

/** A sample finding as its reader receives it: quotation marks curly, and the reader named as "you". */
function findingFor(rule: RuleId, reader: RecipientData): FindingData {
  const s = sampleOf(rule);
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
function about(rule: RuleId, council: CouncilData, recipient: RecipientData = sampleOf(rule).recipient): NudgeData {
  return { council, recipient, finding: findingFor(rule, recipient), item: sampleOf(rule).item };
}

const SAMPLE_PERIOD: PeriodData = {
  name: 'Town council elections',
  start: 'Wednesday 31 March 2027',
  poll: 'Thursday 6 May 2027',
  wards: 'all wards',
};

function folded(rule: RuleId, reader: RecipientData): NudgeSummaryData['nudges'][number] {
  const s = sampleOf(rule);
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
  const { item } = sampleOf(rule);
  return item.isEvent ? `event “${item.subject}”, ${item.date}` : `message “${item.subject}”, sent ${item.date}`;
}

const WITHHELD = 'a private matter — details withheld';

function digestSample(council: CouncilData): DigestData {
  type Row = DigestData['digest']['rules'][number];
  type Entry = Row['items'][number];
  const entry = (rule: RuleId, actions: string): Entry => ({ reference: digestReference(rule), summary: curlyQuotes(sampleOf(rule).summary), private: false, actions });
  const row = (rule: RuleId, actions: string, items: Entry[]): Row => ({
    rule,
    ruleTitle: ruleTitle(rule),
    clauseText: describeClauses(sampleOf(rule).clauses),
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
      totals: { findings: 6, actions: 7, needsHuman: 2, awaitingReview: 3 },
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
          reference: `${ruleTitle('no-blind-copies')}: message “Re: Hazel Avenue verges”`,
        },
      ],
      awaitingAuthorisation: [
        { officer: 'Dan Okafor', meeting: 'Liberal Democrat group: ward priorities', date: 'Tuesday 20 April 2027 at 19:00', organiser: 'Cllr Ben Hughes' },
      ],
      awaitingReview: {
        total: 3,
        headline: 'Wardwatch is holding 3 actions for your review: none of them goes out until you approve them.',
        rules: [
          { ruleTitle: ruleTitle('press-via-clerk'), count: 2, actions: '2 nudges' },
          { ruleTitle: ruleTitle('notify-ward-members-of-visits'), count: 1, actions: '1 notice' },
        ],
        console: { url: 'https://wardwatch.millbrook-tc.gov.uk/', onServer: false },
        command: 'wardwatch outbox list --state awaiting-review --config FILE',
      },
      notABreach: [
        {
          rule: 'requests-via-clerk',
          ruleTitle: ruleTitle('requests-via-clerk'),
          dismissed: 1,
          excepted: 2,
          recent: 9,
          counted: '1 dismissed and 2 covered by a standing exception; 9 in the last 90 days',
          dismissals: [
            {
              reference: 'message “Allotment waiting list”, sent Tuesday 13 April 2027 at 11:05',
              private: false,
              reason: 'Priya looks after the allotments: asking her directly is agreed.',
              by: 'helen.ashworth',
              at: 'Tuesday 13 April 2027 at 16:20',
            },
          ],
          more: '',
        },
        {
          rule: 'officer-conduct-raised-properly',
          ruleTitle: ruleTitle('officer-conduct-raised-properly'),
          dismissed: 1,
          excepted: 0,
          recent: 1,
          counted: '1 dismissed; 1 in the last 90 days',
          dismissals: [{ reference: WITHHELD, private: true, reason: 'A thank-you, not a complaint.', by: 'helen.ashworth', at: 'Tuesday 13 April 2027 at 17:02' }],
          more: '',
        },
      ],
      notABreachDays: 90,
      exceptions: [
        {
          what: 'messages to addresses at millbrook-allotments.org.uk',
          rule: ruleTitle('requests-via-clerk'),
          reason: 'The allotment society’s secretary deals with Priya directly, by agreement.',
          by: 'helen.ashworth',
          made: 'Monday 5 April 2027 at 09:12',
          until: 'the end of Friday 31 December 2027',
        },
      ],
      authorisations: [
        {
          officer: 'Priya Shah',
          meeting: 'Independent group: allotments review',
          date: 'Thursday 15 April 2027 at 18:00',
          by: 'helen.ashworth',
          at: 'Tuesday 13 April 2027 at 09:40',
          note: 'Priya presents the allotments report; no campaigning items on the agenda.',
        },
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
