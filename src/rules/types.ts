/**
 * The shape of a rule, after ESLint: a `meta` describing it and a pure `evaluate`.
 * A rule does no I/O: everything it may consult is in the context.
 */
import type { z } from 'zod';
import type { ActionKind, CalendarConfig, RuleId, Severity } from '../config/schema.js';
import type { Directory } from '../directory/directory.js';
import type { ElectionCalendar } from '../elections/types.js';
import type { EventItem, Item, MailItem } from '../items/types.js';

/** Protocol file prefixes in ../shared/protocols (000 Alton … 004 Knutsford). */
export type ProtocolFile = '000' | '001' | '002' | '003' | '004';

export interface RuleMeta<O = Record<string, unknown>> {
  id: RuleId;
  kind: 'mail' | 'event' | 'mail+event';
  /** One sentence: what the rule keeps. */
  description: string;
  /** The catalogue's clauses, per protocol file, e.g. { '002': ['9.1'], '004': ['12.1'] }. */
  clauses: Partial<Record<ProtocolFile, string[]>>;
  defaults: { severity: Severity; actions: ActionKind[] };
  /** Options schema; every option has a default so `schema.parse({})` gives the defaults. */
  options: z.ZodType<O>;
  /** Message ids → sentence templates with {placeholders}, used for a finding's summary. */
  messages: Record<string, string>;
}

/**
 * What a rule says of an item it does not judge: a mail rule of an event, an event rule of mail.
 * The engine gives this without calling the rule (each rule then only ever sees one kind of item).
 */
export const NOT_ITS_KIND = {
  mail: 'applies to mail only',
  event: 'applies to events only',
} as const;

/** Why a rule fired: each phrase or fact that made it fire, so a clerk can judge it. */
export interface Evidence {
  kind: 'phrase' | 'fact';
  /** For a phrase: the words as they appear in the item. For a fact: a short statement. */
  text: string;
  /** Where a phrase was found (subject, body, location, …). */
  field?: string;
}

/** Who the actions of a hit go to, by role. The decision layer picks by action kind. */
export interface HitTargets {
  /** The person whose mail or meeting broke the protocol (nudge / warn go here). */
  offender?: string;
  /** People a `notify` goes to (ward members to tell of a consultation or a visit, an organiser, an officer). */
  notify?: string[];
  /** Members to add to the event (`invite`). */
  invite?: string[];
  /** For `block`: the room calendar whose booking to decline. */
  room?: { calendarId: string; address?: string };
  /**
   * For a finding on a recurring series: the occurrence concerned (ISO instants). Every message,
   * the digest and a declined booking name this occurrence rather than the series' first date.
   */
  occurrence?: { start: string; recurrenceId: string };
}

export interface Hit {
  messageId: string;
  /** Values for the message's {placeholders}. */
  data: Record<string, string | number>;
  /** Council people involved, offender first (addresses). */
  people: string[];
  evidence: Evidence[];
  targets: HitTargets;
  /** Default actions for this particular hit when they differ from meta.defaults (e.g. warn instead of nudge in a pre-election period). The council's config still wins. */
  actions?: ActionKind[];
  severity?: Severity;
  /**
   * The matter the hit is about, when several items can be about the same one (a consultation
   * announced to residents in one message each): the Council's actions on a matter are taken once,
   * whichever of its items they were first found in. Hits without a topic are about their item.
   */
  topic?: string;
  /** Set on hits that must not carry message content into the digest (officer conduct). */
  private?: boolean;
}

export interface Evaluation {
  hits: Hit[];
  /** Always set: why the rule fired, or why it did not (for `wardwatch explain`). */
  reason: string;
  /** Set when the rule could not decide without a person (unknown or ambiguous ward, …): the digest lists it under "needs a human". */
  needsHuman?: string;
}

/**
 * A miss whose reason is worked out only when it is read (by `wardwatch explain`): most misses are
 * never explained, and explaining one may mean reading the message again.
 *
 * A class rather than an object literal with `get reason()`: V8 gives every such literal a hidden
 * class of its own (the getter is a new function each time), kept in the old generation until the
 * next full collection, and with it the getter and everything it can reach (the item, its text,
 * the rule's working). Over 20,000 messages that promoted some 60 MB of short-lived objects.
 */
class MissExplainedWhenRead implements Evaluation {
  readonly hits: Hit[] = [];
  constructor(private readonly explain: () => string) {}
  get reason(): string {
    return this.explain();
  }
}

/** A miss explained only when its reason is read (see `MissExplainedWhenRead`). */
export function missExplainedWhenRead(explain: () => string): Evaluation {
  return new MissExplainedWhenRead(explain);
}

/** Resolved facts the engine computes once per item and hands every rule. */
export interface MailFacts {
  /** The council person the message is attributed to, unless it may be spoofed (`spoofSuspected`). */
  author?: import('../directory/directory.js').Person;
  /** The author's address as written (From), lower-cased. */
  authorAddress?: string;
  /**
   * The From claims a council person, but authentication failed or nothing trusted vouches for it
   * (no pass from a trusted receiving server, no copy in their own Sent folder): nothing is done in
   * that person's name.
   */
  spoofSuspected: boolean;
  /** Visible recipients (To + Cc), lower-cased addresses. */
  visible: string[];
  /** Blind recipients: Bcc header of a sent copy, plus watched mailboxes that received it without being in To/Cc. */
  blind: string[];
  /** Wards the message concerns (labels, then subject). */
  wards: import('../directory/directory.js').WardResolution;
}

export interface EventFacts {
  organizer?: import('../directory/directory.js').Person;
  calendar?: CalendarConfig;
  wards: import('../directory/directory.js').WardResolution;
  /** Attendee addresses (excluding rooms/resources), lower-cased. */
  attendees: string[];
  /** ROOM / RESOURCE attendees. */
  rooms: string[];
}

export interface Council {
  name: string;
  timezone: string;
  domains: readonly string[];
  serviceAddress: string;
}

export interface RuleContext<O = Record<string, unknown>> {
  directory: Directory;
  elections: ElectionCalendar;
  council: Council;
  calendars: ReadonlyMap<string, CalendarConfig>;
  /** ISO 8601 UTC. */
  now: string;
  options: O;
}

export type MailRuleInput = { item: MailItem; facts: MailFacts };
export type EventRuleInput = { item: EventItem; facts: EventFacts };
export type RuleInput = MailRuleInput | EventRuleInput;

export interface Rule<O = Record<string, unknown>> {
  meta: RuleMeta<O>;
  /** Pure: no I/O, no clock (use ctx.now), no randomness. Items of the wrong kind get `{hits: [], reason: 'not a …'}`. */
  evaluate(input: RuleInput, ctx: RuleContext<O>): Evaluation;
}

/** Helper so a rule file gets its option type inferred. */
export function defineRule<O>(rule: Rule<O>): Rule<O> {
  return rule;
}

export type { Item };
