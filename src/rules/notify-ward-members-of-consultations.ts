/**
 * When the Council undertakes a consultation affecting a ward, that ward's members are told at
 * the outset (001 10.6; 002 11.1; 004 9.2c). Seen either as a consultation event the Council
 * organises, or as an officer's mail announcing a consultation to residents or consultees.
 */
import { z } from 'zod';
import type { Directory, Person, WardResolution } from '../directory/directory.js';
import type { EventItem, MailItem } from '../items/types.js';
import type { Evaluation, EventFacts, Evidence, MailFacts, RuleContext } from './types.js';
import { defineMailAndEventRule } from './types.js';
import { spoofReason } from './mail-input.js';
import { fact, ownText, words, type PhrasePattern } from '../signals/match.js';
import { findPhrasesFiltered } from '../signals/prefilter.js';
import { splitSentences } from '../signals/sentences.js';
import { ownTextOf } from '../signals/text-views.js';
import {
  andList,
  classifyEvent,
  formatWhen,
  isEventInput,
  kindLabel,
  partiesOf,
  plainPhrase,
  respondingToConsultation,
  wardEvidence,
  wardNames,
  whyInactive,
} from '../signals/event-kind.js';

const options = z.object({
  /** More words that announce a consultation (in mail) or mark a consultation event. */
  extraConsultationPhrases: z.array(z.string()).default([]),
});
type Options = z.infer<typeof options>;

/**
 * How far into a message's own words (or an event's description) to look for ward places when the
 * subject names none; its quoted history, signature, disclaimers and the council's own address
 * block are never read for them.
 */
const BODY_WARD_SCAN_CHARS = 2000;

/** Words that announce a consultation in a message to residents or consultees. */
const ANNOUNCEMENT: PhrasePattern[] = [
  words('have your say', 'have your say'),
  words('we are consulting', "we(?: are|['\u2019]re)(?: now)? consulting", 'the (?:town )?council is consulting', 'is consulting (?:on|residents|local people)'),
  words('consultation period', 'consultation period'),
  words('public consultation', 'public consultation'),
  words(
    'consultation opens',
    'consultation (?:is|will be) (?:now )?(?:open|running|live)',
    'consultation (?:opens|runs|closes)',
    'launch(?:ed|ing)? (?:a|the|our) (?:\\p{L}+ )?consultation',
  ),
  words('consultation event', 'consultation (?:event|exhibition|drop-in|survey|questionnaire|document)s?'),
  words('survey closes', 'survey\\b[^.\\n]{0,80}?\\bclos(?:es|ing)'),
  words('views wanted', '(?:tell us|share) your views', 'we (?:would like|want) to hear your views'),
];
const CONSULTATION_IN_SUBJECT: PhrasePattern[] = [words('consultation', 'consultations?')];

/** Words that thank someone for taking part: an acknowledgement of a response, in a consultation already running. */
const ACKNOWLEDGEMENT: PhrasePattern[] = [
  words(
    'acknowledgement',
    "thank(?:s|\\s+you)\\s+(?:very\\s+much\\s+)?for\\s+(?:your\\s+(?:response|reply|comments?|feedback|views|submission|representation|contribution|participation|(?:completed\\s+)?(?:survey|questionnaire))|taking\\s+part|responding|completing|filling\\s+in|contributing|participating)",
    'we\\s+have\\s+(?:now\\s+)?received\\s+your\\s+(?:response|comments?|views|submission|representation|questionnaire)',
    '(?:your\\s+)?(?:response|submission|representation)\\s+(?:has\\s+been\\s+)?(?:received|acknowledged)',
  ),
];

/** Words that open a consultation even in a message that thanks someone first ("Thank you for your response last year. We are now consulting on …"). */
const LAUNCH: PhrasePattern[] = [
  words(
    'consultation opens',
    "we(?:\\s+are|['\u2019]re)\\s+(?:now\\s+)?consulting",
    'have\\s+your\\s+say',
    'launch(?:ed|ing)?\\s+(?:a|the|our|a\\s+new)\\s+(?:\\p{L}+\\s+)?consultation',
    'consultation\\s+(?:is|will\\s+be)\\s+now\\s+open',
    'consultation\\s+opens',
    '(?:the\\s+)?(?:town\\s+)?council\\s+is\\s+(?:now\\s+)?consulting',
    'is\\s+consulting\\s+(?:on|residents|local\\s+people)',
    'public\\s+consultation',
    'consultation\\s+(?:event|exhibition|drop-in|survey|questionnaire|document)s?',
    '(?:tell\\s+us|share)\\s+your\\s+views',
  ),
];

/** A greeting on its own ("Dear Ms Jones,", "Hello all"). */
const GREETING = /^(?:dear|hi|hello|good\s+(?:morning|afternoon|evening))(?![\p{L}])[^.!?]{0,60}$/iu;

/** The message's first sentence after any greeting. */
function openingSentence(text: string): string {
  return splitSentences(text).find((s) => !GREETING.test(s)) ?? '';
}

/**
 * The matter a consultation finding is about: its title (without reply prefixes, spacing or case),
 * its wards and its time (an event's day; a message's year, so a mailout that runs over a month's
 * end is still one matter). Announcing it again to more people is the same matter; a consultation
 * of the same name elsewhere, on another day's event or in another year is another.
 */
function consultationTopic(title: string, wards: readonly string[], period: string): string {
  const plain = title.replace(/^\s*(?:(?:re|fw|fwd|aw|sv)\s*:\s*)+/i, '').replace(/\s+/g, ' ').trim().toLowerCase();
  return `consultation:${plain}|${[...wards].sort().join(',')}|${period}`;
}

function holds(person: Person, addresses: ReadonlySet<string>): boolean {
  return person.emails.some((e) => addresses.has(e));
}

/** The ward members who are not already among `present` (nor `except`, the sender or organiser). */
function membersToTell(directory: Directory, wards: readonly string[], present: ReadonlySet<string>, except: Person | undefined): Person[] {
  const members = [...new Map(wards.flatMap((w) => directory.membersOfWard(w)).map((p) => [p.id, p])).values()];
  return members.filter((m) => m !== except && !holds(m, present));
}

function askAboutWard(directory: Directory, title: string, resolution: WardResolution): Evaluation {
  const detail =
    resolution.status === 'ambiguous'
      ? `it mentions places in more than one ward (${wardNames(directory, [...new Set(resolution.evidence.map((e) => e.ward))])})`
      : 'no ward label, place or postcode was found in it';
  const question = `Wardwatch could not tell which ward the consultation "${title}" affects: ${detail}. Please check whether the ward members have been told.`;
  return { hits: [], reason: question, needsHuman: question };
}

interface Announcement {
  title: string;
  when: string;
  starter: Person | undefined;
  wards: WardResolution;
  wardFieldNames: Record<string, string>;
  present: ReadonlySet<string>;
  /** When, for telling one consultation from another of the same name: an event's day, a message's year. */
  period: string;
  /** How to say a member already has it / does not: "already invited" or "already among the recipients". */
  presentAs: { all: string; missing: string };
  evidence: Evidence[];
}

function decide(directory: Directory, a: Announcement): Evaluation {
  if (a.wards.status === 'unknown' || a.wards.status === 'ambiguous') return askAboutWard(directory, a.title, a.wards);
  const tell = membersToTell(directory, a.wards.wards, a.present, a.starter);
  const wards = wardNames(directory, a.wards.wards);
  if (tell.length === 0) {
    return { hits: [], reason: `the consultation "${a.title}" affects ${wards}, and every member for it is ${a.presentAs.all}` };
  }
  const names = andList(tell.map((m) => m.name));
  return {
    reason: `the Council is starting a consultation, "${a.title}", affecting ${wards}; ${names} should be told at the outset`,
    hits: [
      {
        messageId: 'consultationStarting',
        data: { title: a.title, date: a.when, wards, notify: names, starter: a.starter?.name ?? 'the Council' },
        people: [...(a.starter ? [a.starter.id] : []), ...tell.map((m) => m.id)],
        evidence: [
          ...a.evidence,
          ...wardEvidence(directory, a.wards, a.wardFieldNames),
          ...tell.map((m) => fact(`${m.name} is not ${a.presentAs.missing}`)),
        ],
        targets: { notify: tell.map((m) => m.id) },
        // The same consultation announced in many messages (one to each resident) is told of once.
        topic: consultationTopic(a.title, a.wards.wards, a.period),
      },
    ],
  };
}

function evaluateEvent(item: EventItem, facts: EventFacts, ctx: RuleContext<Options>): Evaluation {
  const { directory } = ctx;
  const inactive = whyInactive(item, ctx.now, ctx.council.timezone);
  if (inactive) return { hits: [], reason: `${inactive}; it is too late to tell the ward members at the outset` };

  const organiser = facts.organizer;
  const onCouncilCalendar = facts.calendar?.role === 'council';
  const byStaff = organiser !== undefined && (organiser.role === 'clerk' || organiser.role === 'officer');
  if (!onCouncilCalendar && !byStaff) {
    const who = organiser ? `${organiser.name} (a member)` : item.organizer?.address ?? 'an unknown organiser';
    return { hits: [], reason: `"${item.summary}" is organised by ${who}, not by the Council; this rule covers consultations the Council runs` };
  }

  const kinds = classifyEvent(item, partiesOf(directory), { consultation: ctx.options.extraConsultationPhrases });
  if (!kinds.kinds.includes('consultation')) {
    const reason =
      kinds.kinds.length > 0
        ? `"${item.summary}" is ${andList(kinds.kinds.map(kindLabel))}, not a consultation`
        : `nothing in the categories, title or description of "${item.summary}" marks it as a consultation`;
    return { hits: [], reason };
  }

  let wards = facts.wards;
  let wardFieldNames: Record<string, string> = {};
  if (wards.status === 'unknown' && item.description.trim() !== '') {
    wards = directory.wardsOfOwnWords(ownText(item.description), BODY_WARD_SCAN_CHARS);
    wardFieldNames = { subject: 'the description' };
  }
  const present = new Set([...facts.attendees, ...(item.organizer ? [item.organizer.address] : [])]);
  return decide(directory, {
    title: item.summary,
    when: formatWhen(item.start, ctx.council.timezone, item.allDay),
    period: item.start.slice(0, 10),
    starter: organiser,
    wards,
    wardFieldNames,
    present,
    presentAs: { all: 'already invited', missing: 'among the attendees' },
    evidence: [
      ...(kinds.byKind.consultation ?? []),
      fact(onCouncilCalendar ? `on the council calendar "${facts.calendar?.name ?? item.calendarId}"` : `organised by ${organiser?.name ?? 'the Council'}`),
    ],
  });
}

function evaluateMail(item: MailItem, facts: MailFacts, ctx: RuleContext<Options>): Evaluation {
  const { directory } = ctx;
  if (facts.spoofSuspected) {
    return { hits: [], reason: spoofReason(item, facts) };
  }
  const author = facts.author;
  if (!author) return { hits: [], reason: `sent by ${facts.authorAddress ?? 'an unknown sender'}, who is not one of the Council's people; only the Council starts its consultations` };
  if (author.role === 'member') {
    return { hits: [], reason: `sent by ${author.name}, a member; this rule covers consultations the Council itself runs, announced by the Clerk or an officer` };
  }
  if (item.inReplyTo !== undefined || /^\s*(?:re|aw|sv|fwd?)\s*:/i.test(item.subject)) {
    return { hits: [], reason: `"${item.subject}" is a reply or forward in an existing conversation, not the start of a consultation` };
  }
  const recipients = [...facts.visible, ...facts.blind];
  const outside = recipients.filter((a) => directory.isExternal(a));
  if (outside.length === 0) {
    return { hits: [], reason: `"${item.subject}" went only to the Council's own people; a consultation is announced to residents or consultees` };
  }
  const responding = respondingToConsultation(item.subject, 'subject');
  if (responding) {
    return { hits: [], reason: `"${item.subject}" is the Council responding to another body's consultation ("${responding.text}"), not starting one` };
  }

  const body = ownTextOf(item);
  const opening = openingSentence(body);
  const thanks = [...findPhrasesFiltered(item.subject, ACKNOWLEDGEMENT, 'subject'), ...findPhrasesFiltered(opening, ACKNOWLEDGEMENT, 'body')];
  // Words that open a consultation count outside the thank-you itself ("thank you for completing the consultation survey" opens nothing).
  const others = splitSentences(body);
  others.splice(others.indexOf(opening), opening === '' ? 0 : 1);
  const rest = [item.subject, ...others].join('\n');
  if (thanks.length > 0 && findPhrasesFiltered(rest, LAUNCH, 'body').length === 0) {
    return {
      hits: [],
      reason: `${author.name}'s message "${item.subject}" acknowledges someone's part in a consultation ("${thanks[0]?.text ?? ''}"); it does not start one`,
    };
  }
  const extra = ctx.options.extraConsultationPhrases.filter((p) => p.trim() !== '').map((p) => plainPhrase('council phrase', p));
  const patterns = [...ANNOUNCEMENT, ...extra];
  const phrases = [...findPhrasesFiltered(item.subject, patterns, 'subject'), ...findPhrasesFiltered(body, patterns, 'body')];
  if (phrases.length === 0) {
    const subjectWord = findPhrasesFiltered(item.subject, CONSULTATION_IN_SUBJECT, 'subject');
    if (subjectWord.length === 0) {
      return { hits: [], reason: `${author.name}'s message "${item.subject}" does not announce a consultation (no words such as "have your say" or "we are consulting")` };
    }
    phrases.push(...subjectWord);
  }

  let wards = facts.wards;
  let wardFieldNames: Record<string, string> = { subject: 'the subject', categories: 'the labels' };
  if (wards.status === 'unknown' && body.trim() !== '') {
    wards = directory.wardsOfOwnWords(body, BODY_WARD_SCAN_CHARS);
    wardFieldNames = { subject: 'the body' };
  }
  const sample = outside.slice(0, 3).join(', ') + (outside.length > 3 ? ` and ${outside.length - 3} more` : '');
  return decide(directory, {
    title: item.subject,
    when: item.date ? formatWhen(item.date, ctx.council.timezone) : 'an unknown date',
    period: item.date?.slice(0, 4) ?? 'undated',
    starter: author,
    wards,
    wardFieldNames,
    present: new Set([...recipients, ...(facts.authorAddress ? [facts.authorAddress] : [])]),
    presentAs: { all: 'already among the recipients', missing: 'among the recipients' },
    evidence: [
      ...phrases,
      fact(`sent by ${author.name} (${author.role === 'clerk' ? 'the Clerk' : 'an officer'}) to ${outside.length} outside recipient${outside.length > 1 ? 's' : ''}: ${sample}`),
    ],
  });
}

export default defineMailAndEventRule({
  meta: {
    id: 'notify-ward-members-of-consultations',
    kind: 'mail+event',
    description: "Tells a ward's members at the outset when the Council starts a consultation affecting their ward.",
    clauses: { '001': ['10.6'], '002': ['11.1'], '004': ['9.2c'] },
    defaults: { severity: 'info', actions: ['notify', 'digest'] },
    options,
    messages: {
      consultationStarting: 'The Council is starting a consultation, "{title}", affecting {wards}, and {notify} should be told at the outset.',
    },
    templates: { notify: 'own' },
    guidance: {
      title: 'Telling ward members about consultations',
      advice: 'Tell the members for the wards affected when a public consultation begins.',
    },
    sample: {
      recipient: 'priya',
      severity: 'info',
      clauses: ['9.2c'],
      item: { kind: 'event', subject: 'Consultation opens: Northfield allotments', date: 'Monday 19 April 2027', location: 'Northfield Community Centre', calendar: 'Council events', organiser: 'priya' },
      summary: 'The Council is starting a consultation, "Northfield allotments", affecting Northfield, and Cllr Ben Hughes should be told at the outset.',
      why: ['the words “consultation opens” (in the title)', 'the location is in Northfield ward'],
    },
  },
  evaluate(input, ctx) {
    if (isEventInput(input)) return evaluateEvent(input.item, input.facts, ctx);
    return evaluateMail(input.item, input.facts, ctx);
  },
});
