/**
 * The shape of a rule, after ESLint: a `meta` describing it and a pure `evaluate`.
 * A rule does no I/O: everything it may consult is in the context.
 */
import type { z } from 'zod';
import type { ActionKind, CalendarConfig, Severity } from '../config/parts.js';
import type { Evidence, HitTargets } from '../model/evidence.js';
import type { Directory } from '../directory/directory.js';
import type { ElectionCalendar } from '../elections/types.js';
import type { EventItem, Item, MailItem } from '../items/types.js';

export type { Evidence, HitTargets } from '../model/evidence.js';

/** Protocol file prefixes in ../shared/protocols (000 Alton … 004 Knutsford). */
export type ProtocolFile = '000' | '001' | '002' | '003' | '004';

/** A few words naming what a rule keeps, and one sentence saying what to do instead (digest, folded summaries). */
export interface RuleGuidance {
  /** E.g. "Blind copies in member–officer correspondence". */
  title: string;
  /** One sentence: what to do instead. */
  advice: string;
}

/** A sample person of the fictional Millbrook Town Council, for template previews. */
export type SamplePerson = 'clerk' | 'sam' | 'priya' | 'dan' | 'tom' | 'alice' | 'raj' | 'sue' | 'ben';

/** A realistic finding of the rule, for `wardwatch templates preview` and checking the Clerk's templates. */
export interface RuleSample {
  /** Who the rule's own message goes to. */
  recipient: SamplePerson;
  severity: Severity;
  clauses: string[];
  item:
    | { kind: 'mail'; subject: string; date: string; from: SamplePerson }
    | { kind: 'event'; subject: string; date: string; location: string; calendar: string; organiser: SamplePerson };
  summary: string;
  why: string[];
}

export interface RuleMeta<O = Record<string, unknown>, Id extends string = string> {
  id: Id;
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
  guidance: RuleGuidance;
  sample: RuleSample;
  /**
   * The rule's own templates for action kinds whose message is otherwise shared: `notify` gets
   * `<rule-id>.notify` when set to `own`; `notify-clerk` may name a shared template of its own
   * (the party-group rule asks the Clerk for an authorisation rather than telling them).
   */
  templates?: { notify?: 'own'; 'notify-clerk'?: 'authorisation-request' };
  /** What a declined room booking says it breaks, instead of the finding's summary. */
  declineReason?: string;
  /**
   * The message id of this rule's findings that wait for the Clerk's authorisation (an officer at
   * a party-group meeting): the digest lists the meetings still to come under "awaiting your
   * authorisation".
   */
  awaitsAuthorisation?: string;
}

/**
 * What a rule says of an item it does not judge: a mail rule of an event, an event rule of mail.
 * The engine gives this without calling the rule (each rule then only ever sees one kind of item).
 */
export const NOT_ITS_KIND = {
  mail: 'applies to mail only',
  event: 'applies to events only',
} as const;

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

interface RuleOf<K extends RuleMeta['kind'], I, O, Id extends string> {
  meta: RuleMeta<O, Id> & { kind: K };
  /** Pure: no I/O, no clock (use ctx.now), no randomness. The engine gives it only items of its kind. */
  evaluate(input: I, ctx: RuleContext<O>): Evaluation;
}

export type MailRule<O = Record<string, unknown>, Id extends string = string> = RuleOf<'mail', MailRuleInput, O, Id>;
export type EventRule<O = Record<string, unknown>, Id extends string = string> = RuleOf<'event', EventRuleInput, O, Id>;
export type MailAndEventRule<O = Record<string, unknown>, Id extends string = string> = RuleOf<'mail+event', RuleInput, O, Id>;
export type Rule<O = Record<string, unknown>, Id extends string = string> = MailRule<O, Id> | EventRule<O, Id> | MailAndEventRule<O, Id>;

/**
 * The define functions keep a rule's id and its own templates as literal types, so that the rule
 * ids and the names of the rules' own templates are derived from the catalogue (src/rules/index.ts).
 */
type RuleTemplates = NonNullable<RuleMeta['templates']>;
type WithTemplates<R, T> = R & { meta: { templates?: T } };

/** A rule that judges mail only: the engine never shows it an event. */
export function defineMailRule<O, const Id extends string, const T extends RuleTemplates = Record<never, never>>(
  rule: WithTemplates<MailRule<O, Id>, T>,
): WithTemplates<MailRule<O, Id>, T> {
  return rule;
}

/** A rule that judges events only: the engine never shows it mail. */
export function defineEventRule<O, const Id extends string, const T extends RuleTemplates = Record<never, never>>(
  rule: WithTemplates<EventRule<O, Id>, T>,
): WithTemplates<EventRule<O, Id>, T> {
  return rule;
}

/** A rule that judges both mail and events (it tells them apart itself). */
export function defineMailAndEventRule<O, const Id extends string, const T extends RuleTemplates = Record<never, never>>(
  rule: WithTemplates<MailAndEventRule<O, Id>, T>,
): WithTemplates<MailAndEventRule<O, Id>, T> {
  return rule;
}

/**
 * Whether a rule judges items of this kind: the one kind check. A mail rule is never shown an
 * event, nor an event rule mail; each rule's code then sees one kind of item.
 */
export function judges(rule: { meta: Pick<RuleMeta, 'kind'> }, item: Item): boolean {
  return rule.meta.kind === 'mail+event' || rule.meta.kind === item.kind;
}

/** What a rule says of an item of the other kind, without being called. */
export function notItsKind(rule: { meta: Pick<RuleMeta, 'kind'> }): Evaluation {
  return { hits: [], reason: rule.meta.kind === 'event' ? NOT_ITS_KIND.event : NOT_ITS_KIND.mail };
}

/** Run a rule on an item, through the kind check. */
export function evaluateRule<O>(rule: Rule<O>, input: RuleInput, ctx: RuleContext<O>): Evaluation {
  if (!judges(rule, input.item)) return notItsKind(rule);
  switch (rule.meta.kind) {
    case 'mail+event':
      return (rule as MailAndEventRule<O>).evaluate(input, ctx);
    case 'mail':
      return (rule as MailRule<O>).evaluate(input as MailRuleInput, ctx);
    case 'event':
      return (rule as EventRule<O>).evaluate(input as EventRuleInput, ctx);
  }
}

export type { Item };
