/**
 * The data every template receives, as zod schemas (checked before each render) and the
 * TypeScript types inferred from them, plus builders that turn the engine's findings and items
 * into it and `sampleData(name)` for previews and tests.
 *
 * Templates are logic-less and rendered in strict mode, so every field is always present:
 * an absent value is `null` (test it with {{#if}}), never missing. Strings are single lines;
 * dates come ready-formatted; no message body is ever part of the data (subject lines only).
 */
import { z } from 'zod';
import { RULE_IDS, SEVERITIES, type Config } from '../config/schema.js';
import type { Finding } from '../engine/types.js';
import type { Address, Item, MailItem } from '../items/types.js';
import type { Evidence } from '../rules/types.js';
import { ruleTitle } from './guidance.js';
import { isRuleTemplateName, type TemplateName } from './names.js';
import { addressedTo, curlyQuotes } from './salutation.js';
import { describeClauses, formatDay, formatWhen } from './wording.js';

/* ---------------------------------------------------------------------------------------- */
/* Parts shared by every template                                                            */
/* ---------------------------------------------------------------------------------------- */

const text = z.string();
const nonEmpty = z.string().min(1);

export const CouncilDataSchema = z
  .object({
    /** "Millbrook Town Council". */
    name: nonEmpty,
    /** The Town Clerk's name, for the sign-off and the contact line. */
    clerkName: nonEmpty,
    /** Where questions about a message should go (the Clerk's address). */
    clerkAddress: nonEmpty,
    /** The address Wardwatch's messages come from. */
    serviceAddress: nonEmpty,
  })
  .strict();
export type CouncilData = z.infer<typeof CouncilDataSchema>;

export const RecipientDataSchema = z
  .object({
    name: nonEmpty,
    address: nonEmpty,
    /** What follows "Dear": "Councillor Mehta", "Dan", a person's configured salutation, or "Sir or Madam". */
    salutation: nonEmpty,
  })
  .strict();
export type RecipientData = z.infer<typeof RecipientDataSchema>;

export const FindingDataSchema = z
  .object({
    rule: z.enum(RULE_IDS),
    /** A few words naming what the rule keeps. */
    ruleTitle: nonEmpty,
    /** One sentence: what Wardwatch noticed. */
    summary: nonEmpty,
    clauses: z.array(nonEmpty).min(1),
    /** The clauses and the protocol they belong to, e.g. "paragraph 12.1 of the Member/Officer Protocol". */
    clauseText: nonEmpty,
    severity: z.enum(SEVERITIES),
    /** True for severity warning or error: the message is a warning rather than a gentle nudge. */
    warning: z.boolean(),
    /** Each fact or phrase that made the rule fire, as a short sentence. */
    why: z.array(text),
  })
  .strict();
export type FindingData = z.infer<typeof FindingDataSchema>;

export const ItemDataSchema = z
  .object({
    kind: z.enum(['mail', 'event']),
    /** True for a calendar event (templates cannot compare strings). */
    isEvent: z.boolean(),
    /** The message's subject line or the event's title: untrusted text. */
    subject: text,
    /** When it was sent, or when the event starts, ready to read ("Tuesday 13 April 2027 at 10:30"). */
    date: text,
    /** For an event: when it starts; null for a message. */
    start: text.nullable(),
    /** For an event: where; null when not given. */
    location: text.nullable(),
    /** For an event: the calendar's name; null for a message. */
    calendar: text.nullable(),
    /** Who wrote the message or organises the event ("Cllr Tom Brown <tom.brown@…>"); null when unknown. */
    from: text.nullable(),
  })
  .strict();
export type ItemData = z.infer<typeof ItemDataSchema>;

const base = { council: CouncilDataSchema, recipient: RecipientDataSchema };
const aboutFinding = { ...base, finding: FindingDataSchema, item: ItemDataSchema };

/* ---------------------------------------------------------------------------------------- */
/* Per-template data                                                                         */
/* ---------------------------------------------------------------------------------------- */

/** `<rule-id>`: the nudge or warning to the person whose mail or meeting broke the protocol. */
export const NudgeDataSchema = z.object(aboutFinding).strict();
export type NudgeData = z.infer<typeof NudgeDataSchema>;

/** `invite-ward-members.notify`: tells the organiser which members were added. */
export const InvitedNoticeDataSchema = z
  .object({ ...aboutFinding, wards: nonEmpty, invited: z.array(nonEmpty).min(1) })
  .strict();
export type InvitedNoticeData = z.infer<typeof InvitedNoticeDataSchema>;

/** `notify-ward-members-of-consultations.notify`: the consultation notice to a ward's members. */
export const ConsultationNoticeDataSchema = z
  .object({ ...aboutFinding, wards: nonEmpty, startedBy: nonEmpty })
  .strict();
export type ConsultationNoticeData = z.infer<typeof ConsultationNoticeDataSchema>;

/** `notify-ward-members-of-visits.notify`: the visit notice to a ward's members. */
export const VisitNoticeDataSchema = z.object({ ...aboutFinding, wards: nonEmpty, visitors: nonEmpty }).strict();
export type VisitNoticeData = z.infer<typeof VisitNoticeDataSchema>;

/** `no-officers-at-surgeries.notify` and `party-group-attendance-authorised.notify`: to the officer invited. */
export const OfficerNoticeDataSchema = z.object({ ...aboutFinding, organiser: nonEmpty }).strict();
export type OfficerNoticeData = z.infer<typeof OfficerNoticeDataSchema>;

/** `clerk-notice`: tells the Clerk what happened, which clause, and what Wardwatch did. */
export const ClerkNoticeDataSchema = z
  .object({
    ...aboutFinding,
    actionsTaken: z.array(nonEmpty),
    /** What the Clerk must do by hand (e.g. decline a booking Wardwatch could not); empty when nothing. */
    toDo: z.array(nonEmpty),
  })
  .strict();
export type ClerkNoticeData = z.infer<typeof ClerkNoticeDataSchema>;

/** `authorisation-request`: asks the Clerk to authorise or decline officers' attendance at a party-group meeting. */
export const AuthorisationRequestDataSchema = z
  .object({
    ...aboutFinding,
    organiser: nonEmpty,
    officers: z.array(nonEmpty).min(1),
    /** People present who are not members of the Council (empty when there are none). */
    outsiders: z.array(nonEmpty),
    /**
     * The event category the rule reads as the Clerk's authorisation (the first of the rule's
     * `authorisedCategories`), e.g. "Clerk authorised"; null when none is configured.
     */
    authoriseCategory: nonEmpty.nullable(),
  })
  .strict();
export type AuthorisationRequestData = z.infer<typeof AuthorisationRequestDataSchema>;

/** `routed-copy`: the cover note to the Clerk; the original message travels as an attachment. */
export const RoutedCopyDataSchema = z
  .object({
    ...aboutFinding,
    original: z.object({ from: nonEmpty, to: nonEmpty, attachment: nonEmpty }).strict(),
    actionsTaken: z.array(nonEmpty),
  })
  .strict();
export type RoutedCopyData = z.infer<typeof RoutedCopyDataSchema>;

/** `invitation`: invites a ward member to a Council public meeting. */
export const InvitationDataSchema = z.object({ ...aboutFinding, wards: nonEmpty, organiser: nonEmpty }).strict();
export type InvitationData = z.infer<typeof InvitationDataSchema>;

export const PeriodDataSchema = z
  .object({
    /** "Town council elections". */
    name: nonEmpty,
    /** First day of the pre-election period, ready to read. */
    start: nonEmpty,
    /** Polling day (the period ends when the polls close), ready to read. */
    poll: nonEmpty,
    /** The wards the election covers ("all wards", or their names). */
    wards: nonEmpty,
  })
  .strict();
export type PeriodData = z.infer<typeof PeriodDataSchema>;

/** `booking-declined`: tells the organiser a room booking was declined in the pre-election period. */
export const BookingDeclinedDataSchema = z.object({ ...aboutFinding, room: nonEmpty, period: PeriodDataSchema }).strict();
export type BookingDeclinedData = z.infer<typeof BookingDeclinedDataSchema>;

export const FoldedNudgeSchema = z
  .object({ ruleTitle: nonEmpty, subject: text, date: text, summary: nonEmpty, clauseText: nonEmpty, advice: nonEmpty })
  .strict();
export type FoldedNudge = z.infer<typeof FoldedNudgeSchema>;

/** `nudge-summary`: several of one day's nudges for one person, folded into one message. */
export const NudgeSummaryDataSchema = z
  .object({ ...base, date: nonEmpty, count: z.number().int().min(1), nudges: z.array(FoldedNudgeSchema).min(1) })
  .strict();
export type NudgeSummaryData = z.infer<typeof NudgeSummaryDataSchema>;

/** One item a rule found, in the digest: subject lines and titles only, never a message's body. */
export const DigestItemDataSchema = z
  .object({
    /** The message's subject line and date, or the event's title and date; for a private finding, "a private matter — details withheld". */
    reference: nonEmpty,
    /** The finding's one sentence; for a private finding, the same withheld sentence. */
    summary: nonEmpty,
    /** True for a private finding (officer conduct): reference and summary are the withheld sentence. */
    private: z.boolean(),
    /** What Wardwatch did and where each action stands, e.g. "nudge sent to Sam Patel". */
    actions: nonEmpty,
  })
  .strict();
export type DigestItemData = z.infer<typeof DigestItemDataSchema>;

export const DigestSectionsSchema = z
  .object({
    /** The day the digest is for, ready to read. */
    date: nonEmpty,
    /** What it covers, e.g. "since Monday 12 April 2027 at 07:30". */
    covering: nonEmpty,
    totals: z
      .object({
        findings: z.number().int().min(0),
        actions: z.number().int().min(0),
        needsHuman: z.number().int().min(0),
        /** Wardwatch's actions held for the Clerk's approval (`review: true`), however old. */
        awaitingReview: z.number().int().min(0),
      })
      .strict(),
    /** Counts per rule, with the actions taken, and each item found; never any content. */
    rules: z.array(
      z
        .object({
          rule: z.enum(RULE_IDS),
          ruleTitle: nonEmpty,
          clauseText: nonEmpty,
          findings: z.number().int().min(1),
          actions: text,
          /** The first items found (at most 50); `more` counts the rest, which the attached CSV lists. */
          items: z.array(DigestItemDataSchema).min(1),
          /** "and 19,950 more — the full list is attached as findings.csv"; empty when every item is listed. */
          more: text,
        })
        .strict(),
    ),
    /** Unknown wards, failed actions, items that could not be read: each for a person to look at. */
    needsHuman: z.array(z.object({ what: nonEmpty, reference: text }).strict()),
    awaitingAuthorisation: z.array(z.object({ officer: nonEmpty, meeting: text, date: nonEmpty, organiser: nonEmpty }).strict()),
    /**
     * Actions held for the Clerk's approval, counted per rule (no content), and where to review
     * them; null when nothing awaits review.
     */
    awaitingReview: z
      .object({
        total: z.number().int().min(1),
        /** "Wardwatch is holding 3 actions for your review: none of them goes out until you approve it." */
        headline: nonEmpty,
        rules: z.array(z.object({ ruleTitle: nonEmpty, count: z.number().int().min(1), actions: nonEmpty }).strict()).min(1),
        /**
         * The console's address: `console.publicUrl`, or the Wardwatch server's own address
         * (`onServer`: true); null when the console is switched off.
         */
        console: z.object({ url: nonEmpty, onServer: z.boolean() }).strict().nullable(),
        /** The command that lists them: "wardwatch outbox list --state awaiting-review --config FILE". */
        command: nonEmpty,
      })
      .strict()
      .nullable(),
    /**
     * Per rule, the findings marked not a breach in the period (dismissed by a person, or covered
     * by a standing exception): they are left out of `rules` and counted here, with the total for
     * the last `notABreachDays` days, so that a rule that misfires stands out.
     */
    notABreach: z.array(
      z
        .object({
          rule: z.enum(RULE_IDS),
          ruleTitle: nonEmpty,
          dismissed: z.number().int().min(0),
          excepted: z.number().int().min(0),
          /** Dismissed or excepted in the last `notABreachDays` days, this period included. */
          recent: z.number().int().min(0),
          /** "1 dismissed and 2 covered by a standing exception; 7 in the last 90 days". */
          counted: nonEmpty,
          /** Those dismissed in the period, with the reason given (the first 50); a private one names no subject. */
          dismissals: z.array(
            z
              .object({
                /** The message's subject line and date or the event's title and date; "a private matter — details withheld" for a private one. */
                reference: nonEmpty,
                private: z.boolean(),
                reason: nonEmpty,
                /** Who dismissed it (a console user, or `cli:<name>`). */
                by: nonEmpty,
                at: nonEmpty,
              })
              .strict(),
          ),
          /** "and 12 more"; empty when every dismissal is listed. */
          more: text,
        })
        .strict(),
    ),
    /** How many days `notABreach[].recent` looks back (90). */
    notABreachDays: z.number().int().min(1),
    /** Standing exceptions in force when the digest was made. */
    exceptions: z.array(
      z
        .object({
          /** "messages from Cllr Tom Brown <tom.brown@…>", "messages to addresses at example.org", "items containing the words “…”". */
          what: nonEmpty,
          /** The rule's title, or "Every rule". */
          rule: nonEmpty,
          reason: nonEmpty,
          by: nonEmpty,
          /** When it was made, ready to read. */
          made: nonEmpty,
          /** When it ends, ready to read: "the end of Thursday 31 December 2026" for an exception that runs to the end of a day. */
          until: nonEmpty,
        })
        .strict(),
    ),
    /** Party-group attendances the Clerk authorised in the period (in the console or with the CLI). */
    authorisations: z.array(
      z
        .object({
          /** The officers concerned, e.g. "Sam Patel" or "Sam Patel and Dan Okafor". */
          officer: nonEmpty,
          meeting: text,
          date: nonEmpty,
          by: nonEmpty,
          at: nonEmpty,
          /** The Clerk's note, when one was given; empty otherwise. */
          note: text,
        })
        .strict(),
    ),
    upcomingMeetings: z.array(z.object({ title: text, date: nonEmpty, location: text, wards: nonEmpty, invited: nonEmpty }).strict()),
    /** How many days ahead `upcomingMeetings` looks (14). */
    upcomingDays: z.number().int().min(1),
    /** The current or next pre-election period; null when none is scheduled. */
    election: PeriodDataSchema.extend({ current: z.boolean() }).strict().nullable(),
    sources: z.array(z.object({ name: nonEmpty, healthy: z.boolean(), status: nonEmpty }).strict()),
  })
  .strict();
export type DigestSections = z.infer<typeof DigestSectionsSchema>;

/** `digest`: the Clerk's daily digest. */
export const DigestDataSchema = z.object({ ...base, digest: DigestSectionsSchema }).strict();
export type DigestData = z.infer<typeof DigestDataSchema>;

export type TemplateData =
  | NudgeData
  | InvitedNoticeData
  | ConsultationNoticeData
  | VisitNoticeData
  | OfficerNoticeData
  | ClerkNoticeData
  | AuthorisationRequestData
  | RoutedCopyData
  | InvitationData
  | BookingDeclinedData
  | NudgeSummaryData
  | DigestData;

type NotNudge = Exclude<TemplateName, (typeof RULE_IDS)[number]>;

const SCHEMAS: Readonly<Record<NotNudge, z.ZodType<TemplateData>>> = {
  'invite-ward-members.notify': InvitedNoticeDataSchema,
  'notify-ward-members-of-consultations.notify': ConsultationNoticeDataSchema,
  'notify-ward-members-of-visits.notify': VisitNoticeDataSchema,
  'no-officers-at-surgeries.notify': OfficerNoticeDataSchema,
  'party-group-attendance-authorised.notify': OfficerNoticeDataSchema,
  'clerk-notice': ClerkNoticeDataSchema,
  'authorisation-request': AuthorisationRequestDataSchema,
  'routed-copy': RoutedCopyDataSchema,
  invitation: InvitationDataSchema,
  'booking-declined': BookingDeclinedDataSchema,
  'nudge-summary': NudgeSummaryDataSchema,
  digest: DigestDataSchema,
  'clerk-summary': NudgeSummaryDataSchema,
};

/** The schema of the data the named template receives. */
export function templateDataSchema(name: TemplateName): z.ZodType<TemplateData> {
  return isRuleTemplateName(name) ? NudgeDataSchema : SCHEMAS[name];
}

/* ---------------------------------------------------------------------------------------- */
/* Builders: from the engine's values to template data                                       */
/* ---------------------------------------------------------------------------------------- */

/** The council's part, from its configuration: the first Clerk listed answers questions. */
export function councilData(config: Pick<Config, 'council' | 'people'>): CouncilData {
  const clerk = config.people.find((p) => p.role === 'clerk');
  return {
    name: config.council.name,
    clerkName: clerk?.name ?? 'the Town Clerk',
    clerkAddress: clerk?.emails[0] ?? config.council.serviceAddress,
    serviceAddress: config.council.serviceAddress,
  };
}

/** "Cllr Tom Brown <tom.brown@…>", or the bare address when no name was given. */
export function describeAddress(address: Address): string {
  return address.name !== undefined && address.name.trim() !== '' ? `${address.name} <${address.address}>` : address.address;
}

function describeEvidence(evidence: Evidence): string {
  if (evidence.kind === 'fact') return curlyQuotes(evidence.text);
  return evidence.field !== undefined ? `the words “${evidence.text}” (in the ${evidence.field})` : `the words “${evidence.text}”`;
}

/**
 * At most this many of a finding's reasons are set out in a message: a rule may give one reason per
 * recipient ("… is a media address"), and a message to thousands must not carry thousands of lines.
 * The rest are counted; `wardwatch explain` shows them all.
 */
export const WHY_LIMIT = 10;

function boundedWhy(why: readonly Evidence[]): string[] {
  const shown = why.slice(0, WHY_LIMIT).map(describeEvidence);
  const rest = why.length - shown.length;
  if (rest > 0) shown.push(`and ${rest.toLocaleString('en-GB')} further reason${rest === 1 ? '' : 's'} of the same kind (wardwatch explain lists them all)`);
  return shown;
}

/**
 * The finding's part. `protocolTitle` names the council's protocol for its own clause numbers;
 * `readerName`, when given, is the reader's name, so that the summary speaks to them ("You asked…").
 * Quotation marks are made curly, as in the templates.
 */
export function findingData(
  finding: Pick<Finding, 'rule' | 'severity' | 'clauses' | 'summary' | 'why'>,
  protocolTitle?: string,
  readerName?: string,
): FindingData {
  const summary = curlyQuotes(finding.summary);
  return {
    rule: finding.rule,
    ruleTitle: ruleTitle(finding.rule),
    summary: readerName !== undefined ? addressedTo(summary, readerName) : summary,
    clauses: [...finding.clauses],
    clauseText: curlyQuotes(describeClauses(finding.clauses, protocolTitle)),
    severity: finding.severity,
    warning: finding.severity !== 'info',
    why: boundedWhy(finding.why),
  };
}

/** The item's part, dates in the council's time zone. Subject lines only: never the body. */
export function itemData(item: Item, timeZone: string, calendarName?: string): ItemData {
  if (item.kind === 'mail') return mailData(item, timeZone);
  const start = item.allDay ? formatDay(item.start, timeZone) : formatWhen(item.start, timeZone);
  return {
    kind: 'event',
    isEvent: true,
    subject: item.summary,
    date: start,
    start,
    location: item.location.trim() !== '' ? item.location : null,
    calendar: calendarName ?? item.calendarId,
    from: item.organizer !== undefined ? describeAddress(item.organizer) : null,
  };
}

/** A message's part of the data, from what names it (a parsed message, or a saved headline). */
export function mailData(item: Pick<MailItem, 'subject' | 'date' | 'from'>, timeZone: string): ItemData {
  const from = item.from[0];
  return {
    kind: 'mail',
    isEvent: false,
    subject: item.subject,
    date: item.date !== undefined ? formatWhen(item.date, timeZone) : 'date not given',
    start: null,
    location: null,
    calendar: null,
    from: from !== undefined ? describeAddress(from) : null,
  };
}
