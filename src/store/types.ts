/**
 * The state store: everything Wardwatch must remember between runs. Seen items, findings, the
 * outbox of effects, connector cursors, digests sent, quarantined problems, source health and an
 * audit log of every effect's transitions.
 *
 * The port is asynchronous (a networked database cannot answer at once) and split into small
 * repositories, one per kind of record, which a `Store` brings together behind `transaction(fn)`.
 * Policy (daily caps, quiet hours, dry runs) is not here: it lives in src/outbox/ and uses these
 * repositories. Times are ISO 8601 UTC strings as `Date.prototype.toISOString()` writes them, so
 * they compare as text.
 */
import type { ActionKind, Severity } from '../config/schema.js';
import type { Finding } from '../engine/types.js';
import type { Problem, ProblemSeverity } from '../items/types.js';
import type { SourceHealth } from '../sources/types.js';

export const EFFECT_STATES = ['awaiting-review', 'pending', 'sending', 'done', 'failed', 'folded', 'skipped-dry-run', 'in-doubt', 'dropped', 'withdrawn'] as const;
/**
 * - `awaiting-review`: held for the Clerk's approval (`review: true`); approved → `pending` (or,
 *   over its person's daily cap on approval, `folded`), withdrawn → `withdrawn`. Never claimed,
 *   never counted against a daily cap while it waits.
 * - `pending`: waiting for `nextAttemptAt`.
 * - `sending`: claimed by an executor (an attempt is under way, or was when the process stopped).
 * - `done`: carried out (or recognised as already carried out).
 * - `failed`: gave up after the maximum number of attempts, or on a permanent error; listed in the digest.
 * - `folded`: over the person's daily cap; collected into that day's summary effect (`foldedInto`).
 *   It stays `folded` once the summary has gone: the summary's state says whether it went.
 * - `skipped-dry-run`: recorded while `dryRun` was on; never carried out.
 * - `in-doubt`: caught mid-send by a crash, and the sender cannot tell whether it went; held for
 *   the Clerk to release (→ pending, sent once) or drop.
 * - `dropped`: an in-doubt effect the Clerk chose not to send.
 * - `withdrawn`: never carried out, because its event or message was removed at its source
 *   before it was due, or a person withdrew it (`lastError` says why); listed in the digest.
 */
export type EffectState = (typeof EFFECT_STATES)[number];

/** Rule name of the per-person daily summary that collects folded effects. */
export const DAILY_SUMMARY_RULE = 'daily-summary';

import type { MailHeadline } from '../model/mail-headline.js';

export type { MailHeadline };

/** What the executor needs besides the finding (which it can read with `getFindings(itemKey, rule)`). */
export interface EffectPayload {
  /** The finding's one-sentence summary (or, for a daily summary, a description of it). */
  summary: string;
  severity?: Severity;
  clauses: string[];
  /** Template name in templates/. */
  template?: string;
  /** For `block` and `invite`: the calendar concerned. */
  calendarId?: string;
  /** All recipients of the planned action (an effect has one of them). */
  to?: string[];
  /** The digest must not show content (officer conduct matters). */
  private?: boolean;
  /** For a daily summary: the council-timezone day (YYYY-MM-DD) it covers. */
  day?: string;
}

/** A daily cap group: the effect counts against `person`'s allowance for `day`. */
export interface CapGroup {
  /** Person id (primary address), or the address when the person is unknown. */
  person: string;
  /** YYYY-MM-DD in the council's timezone: the day the effect would be delivered. */
  day: string;
  /** Effects allowed for this person on this day before the rest fold into the summary. */
  limit: number;
  /** The summary effect the excess folds into (enqueued when the first one folds). */
  summary: NewEffect;
}

export interface NewEffect {
  key: string;
  kind: ActionKind;
  rule: string;
  itemKey: string;
  recipient: string;
  payload: EffectPayload;
  /** Deterministic Message-ID (angle brackets kept). */
  messageId: string;
  /** ISO instant: not attempted before this (quiet hours). */
  notBefore: string;
  cap?: CapGroup;
  /** Held for the Clerk's approval (`review`): recorded as `awaiting-review`, not folded or capped. */
  review?: boolean;
}

export interface EffectRow {
  id: number;
  key: string;
  kind: ActionKind;
  rule: string;
  itemKey: string;
  recipient: string;
  payload: EffectPayload;
  state: EffectState;
  attempts: number;
  nextAttemptAt: string;
  lastAttemptAt?: string;
  lastError?: string;
  messageId: string;
  createdAt: string;
  doneAt?: string;
  person?: string;
  capDay?: string;
  /** For a folded effect: the key of the summary effect that carries it. */
  foldedInto?: string;
  /**
   * For a failed effect: it was given up because of a fault on this side (a template that could
   * not be rendered, say), so nothing was sent and it may be tried again once the fault is fixed.
   */
  localFault?: boolean;
  /** The Clerk released it from `in-doubt`: send it even though an earlier attempt may have gone. */
  released?: boolean;
  /**
   * The Clerk's own words for this one message, set while it awaited review: put after the
   * greeting of the rendered message; the template's wording (and its clause) stays.
   */
  coverText?: string;
}

/** Which items' effects `withdrawEffects` withdraws. */
export type WithdrawTarget = { itemKey: string } | { uid: string } | { origin: string };

export type EnqueueOutcome =
  /** Recorded, waiting to be carried out. */
  | 'enqueued'
  /** An effect with this key already exists: nothing changed. */
  | 'duplicate'
  /** Recorded, over the daily cap: it travels in the summary `summaryKey`. */
  | 'folded'
  /** Recorded in dry-run mode: it will never be carried out. */
  | 'skipped-dry-run';

export interface EnqueueResult {
  key: string;
  outcome: EnqueueOutcome;
  summaryKey?: string;
}

export type SeenStatus = 'new' | 'changed' | 'unchanged';

export interface EvaluationRecord {
  item: { key: string; contentHash: string };
  /** Every finding for the item as just evaluated; they replace the item's earlier findings. */
  findings: Finding[];
  effects: NewEffect[];
  now: string;
  dryRun?: boolean;
}

export interface EvaluationOutcome {
  seen: SeenStatus;
  effects: EnqueueResult[];
}

export interface StoredFinding {
  rule: string;
  itemKey: string;
  /** Position among this rule's findings for the item (a rule may find more than one thing). */
  seq: number;
  finding: Finding;
  firstSeen: string;
  updatedAt: string;
}

export interface EffectFilter {
  states?: readonly EffectState[];
  kinds?: readonly ActionKind[];
  itemKey?: string;
  /** Effects on any of these items (a page of them at once). */
  itemKeys?: readonly string[];
  foldedInto?: string;
  /** Created at or after this instant. */
  createdSince?: string;
  /** Only effects with a greater id: with `limit`, a long list is read page by page (in id order). */
  afterId?: number;
  /** Only effects with a smaller id: with `limit` and `newestFirst`, a long list read backwards page by page. */
  beforeId?: number;
  /** Created before this instant. */
  createdBefore?: string;
  rule?: string;
  /** The recipient's address contains this text (case-insensitive). */
  recipientContains?: string;
  /** Newest (highest id) first instead of oldest first. */
  newestFirst?: boolean;
  limit?: number;
}

/** Where a page of findings in first-seen order ended: the next page starts after it. */
export type FindingPosition = Pick<StoredFinding, 'firstSeen' | 'itemKey' | 'seq' | 'rule'>;

export interface AuditEntry {
  id: number;
  at: string;
  effectKey: string;
  kind: string;
  recipient: string;
  /** Absent for the first record of an effect. */
  fromState?: EffectState;
  toState: EffectState;
  /** What happened, in a sentence a clerk can read. */
  outcome: string;
  /** Who made the change (a console user's name); absent when Wardwatch did it itself. */
  actor?: string;
}

export interface AuditFilter {
  effectKey?: string;
  since?: string;
  /** Only entries with a smaller id: with `limit` and `newestFirst`, a long log read backwards page by page. */
  beforeId?: number;
  /** Newest (highest id) first instead of oldest first. */
  newestFirst?: boolean;
  limit?: number;
}

export interface ProblemRow {
  origin: string;
  kind: Problem['kind'];
  reason: string;
  /** `error`: could not be read; `warning`: read, with a remark. */
  severity: ProblemSeverity;
  firstSeen: string;
  lastSeen: string;
  /** How many times it has been reported. */
  count: number;
}

export interface DigestRow {
  date: string;
  messageId: string;
  sentAt: string;
  /** The digest as sent (absent for digests recorded before the archive was kept). */
  content?: DigestContent;
}

/** A digest's words as they went out, kept for the console's digest archive. */
export interface DigestContent {
  subject: string;
  text: string;
  html: string;
  recipients: string[];
}

/**
 * An event as the digest needs it: recorded by the service each time it evaluates an event, so the
 * digest can list upcoming public meetings and who was invited. No description (privacy).
 */
export interface EventSummary {
  /** The item key (UID, with `#RECURRENCE-ID` for a single occurrence). */
  key: string;
  calendarId: string;
  summary: string;
  /** ISO 8601 UTC instants. */
  start: string;
  end: string;
  location: string;
  /** What kind of meeting it is (`public-meeting`, `ward-surgery`, …), as the event signals classify it; `cancelled` when it was. */
  kinds: string[];
  /** Ward ids it concerns. */
  wards: string[];
  organizer?: string;
  /** The organiser's display name (the iCalendar CN), when the event gives one. */
  organizerName?: string;
  /** Attendee addresses. */
  attendees: string[];
  /** Where its source keeps it (the CalDAV href, a Graph id, a file path), so it can be changed there. */
  origin?: string;
  /** The source's version token when it was read (CalDAV ETag, Graph changeKey). */
  etag?: string;
  /** Its iCalendar SEQUENCE when it was read. */
  sequence?: number;
  /** True for an all-day event (start and end are then midnights, council time). */
  allDay?: boolean;
}

/** Something only a person can settle (an unknown or ambiguous ward, say), for the digest. */
export interface NeedsHumanRow {
  itemKey: string;
  /** The rule that asked; absent when the notice is not about one rule. */
  rule?: string;
  message: string;
  firstSeen: string;
  lastSeen: string;
  /** How many times it has been reported. */
  count: number;
}

/**
 * A digest about to be sent: written before the message goes out, so that after a crash between
 * sending and recording, the digest can be recorded with the content cut-off it really had.
 */
export interface DigestAttempt {
  date: string;
  messageId: string;
  /** Start of the period covered (absent for the first digest: everything so far). */
  since?: string;
  /** End of the period covered: findings and `digest` effects before this instant are in it. */
  until: string;
  startedAt: string;
}

/** Who the store is: written once, when the file is created. */
export interface StoreIdentity {
  /** A random id naming this state file (recorded beside the outbox, to recognise a replaced file). */
  id: string;
  createdAt: string;
  /** When `wardwatch run` first started with this file; absent until then. */
  firstStart?: string;
  /** Set when it was started with `--fresh-start`: items dated before this instant get no effects. */
  freshStart?: string;
}

/** A digest caught mid-send that the sender cannot vouch for, held for the Clerk. */
export interface DigestInDoubt {
  date: string;
  messageId: string;
  since: string;
}

/** Changes made while an attempt ends. */
export interface AttemptFailure {
  error: string;
  /** When to try again; absent means give up (state `failed`). */
  retryAt?: string;
  /** Given up because of a fault on this side, before anything was sent (see `EffectRow.localFault`). */
  local?: boolean;
}

/**
 * Instants (ISO 8601 UTC) before which each kind of record is pruned; see `retentionCutoffs`.
 */
export interface RetentionCutoffs {
  /** Raw originals and their headlines, by when they were saved. */
  originals: string;
  /** Seen items, item memory, event summaries (of events already over), needs-a-human notices and problems, by when last seen. */
  items: string;
  /** Findings, by when last updated. */
  findings: string;
  /** Finished effects, by when they finished (or were recorded). */
  effects: string;
  audit: string;
  digests: string;
}

/** How many records a prune removed (or, in a dry run, would remove), per kind. */
export interface PruneReport {
  originals: number;
  seenItems: number;
  itemMemory: number;
  events: number;
  needsHuman: number;
  problems: number;
  findings: number;
  effects: number;
  audit: number;
  digests: number;
}

/** Seen items, their findings, saved originals and the events recorded for the digest. */
export interface ItemRepository {
  /** Read-only: would this item be new, changed or unchanged? */
  checkSeen(itemKey: string, contentHash: string): Promise<SeenStatus>;
  /** Remember the item's content hash; says whether it was new, changed or unchanged. */
  markSeen(itemKey: string, contentHash: string, now: string): Promise<SeenStatus>;

  /**
   * Keep a message's raw source (so `route-to-clerk` can attach it later) and its headline (what
   * messages name it by); replaces an earlier copy.
   */
  saveOriginal(itemKey: string, source: Buffer, now: string, headline?: MailHeadline): Promise<void>;
  getOriginal(itemKey: string): Promise<Buffer | undefined>;
  /** The headline saved with the original; undefined when none was (originals saved before there were headlines). */
  getMailHeadline(itemKey: string): Promise<MailHeadline | undefined>;
  /** Forget sources saved before `olderThan`; returns how many were removed. */
  pruneOriginals(olderThan: string): Promise<number>;

  /** Record (or refresh) an event the service has evaluated. */
  upsertEvent(summary: EventSummary, now: string): Promise<void>;
  /** Events starting in [from, to), earliest first. */
  listUpcomingEvents(from: string, to: string): Promise<EventSummary[]>;
  getEvent(key: string): Promise<EventSummary | undefined>;
}

/** What the rules found about each item. */
export interface FindingRepository {
  /** Make `findings` the item's findings: new ones are added, changed ones updated, the rest removed. */
  replaceFindings(itemKey: string, findings: readonly Finding[], now: string): Promise<void>;
  /** The item's current findings, optionally of one rule only, in rule then evaluation order. */
  getFindings(itemKey: string, rule?: string): Promise<StoredFinding[]>;
  /** Findings updated at or after `since` (all when absent), oldest first. */
  listFindings(filter?: { since?: string; itemKey?: string; rule?: string }): Promise<StoredFinding[]>;
  /**
   * One page of findings first seen in [since, before), in first-seen order (then item, seq and
   * rule), starting after `after`: a long list read page by page without holding it all.
   */
  listFindingsByFirstSeen(filter: { since?: string; before?: string; after?: FindingPosition }, limit: number): Promise<StoredFinding[]>;
}

/** Where a newly recorded effect stands, as the outbox policy decided. */
export interface EffectPlacement {
  state: 'awaiting-review' | 'pending' | 'folded' | 'skipped-dry-run';
  /** The audit entry that opens its history. */
  outcome: string;
  /** Cap group (person, day) it counts against, when not the one in `effect.cap`. */
  person?: string;
  day?: string;
  foldedInto?: string;
}

/** Where an approved effect goes, as the outbox policy decided when it was approved. */
export type ApprovalPlacement =
  /** Queued, counting against `person`'s daily cap for `day`. */
  | { state: 'pending'; person: string; day: string }
  /** Over that cap: carried by the day's summary `foldedInto`. */
  | { state: 'folded'; person: string; day: string; foldedInto: string };

/**
 * The outbox's rows: stored and moved between states here; what state a new effect starts in
 * (cap folding, dry run) is the outbox policy's decision (src/outbox/enqueue.ts). Every change of
 * state writes its audit entry in the same transaction.
 */
export interface EffectRepository {
  /** Record a new effect in the state the policy chose; throws if the key exists (check `effectKnown` first). */
  insertEffect(effect: NewEffect, now: string, placement: EffectPlacement): Promise<EffectRow>;
  /** True when an effect with this key exists or existed (pruned after its retention period). */
  effectKnown(key: string): Promise<boolean>;
  /** How many of the person's effects for the day (summaries aside) are in these states. */
  countCapped(person: string, day: string, states: readonly EffectState[]): Promise<number>;
  /**
   * awaiting-review → pending, due at `dueAt`, by a person: `change.coverText` (when given) is kept
   * as the effect's cover text. `change.placement` is where the outbox policy put it under its
   * person's daily cap, decided at approval time: `pending` counting against (person, day), or
   * `folded` into that day's summary. Without a placement it is pending and counts against no cap.
   * False when the effect was not awaiting review.
   */
  approveEffect(id: number, now: string, dueAt: string, change: PersonChange & { coverText?: string; placement?: ApprovalPlacement }): Promise<boolean>;
  /** Set (or, with undefined, clear) the cover text of an effect awaiting review. False when it is not awaiting review. */
  setCoverText(id: number, now: string, coverText: string | undefined, change: PersonChange): Promise<boolean>;
  /**
   * awaiting-review, pending or folded → withdrawn, by a person (never one being sent or sent).
   * A folded one only while the daily summary carrying it (`foldedInto`) is still pending: once
   * the summary is being sent, or has gone, the reminder has gone with it. The store tests this
   * in the same change, so a summary claimed at that moment cannot race it. Its `lastError` says
   * who withdrew it, and why when `change.reason` is given. False otherwise.
   */
  withdrawEffect(id: number, now: string, change: PersonChange & { reason?: string }): Promise<boolean>;
  /** Move up to `limit` due pending effects (not `digest` ones) to `sending`, counting an attempt. */
  claimDue(now: string, limit: number): Promise<EffectRow[]>;
  /** sending → done. False when the effect was not in `sending`. */
  markDone(id: number, now: string, outcome: string): Promise<boolean>;
  /** sending → pending (retry at `retryAt`) or → failed (no `retryAt`). */
  markAttemptFailed(id: number, now: string, failure: AttemptFailure): Promise<boolean>;
  /** sending → pending, due at `dueAt` (after a restart, when the effect was not carried out). */
  returnToPending(id: number, now: string, dueAt: string, outcome: string): Promise<boolean>;
  /**
   * failed → pending, due at `dueAt`, its attempts counted afresh: a person fixed what made it fail
   * (`wardwatch outbox retry`). False when the effect was not in `failed`.
   */
  requeueFailed(id: number, now: string, dueAt: string, outcome: string, actor?: string): Promise<boolean>;
  /** sending → in-doubt (caught mid-send; the sender cannot tell whether it went). */
  markInDoubt(id: number, now: string, outcome: string): Promise<boolean>;
  /** in-doubt → pending, due now, marked released (the Clerk's decision; sent once). */
  releaseInDoubt(id: number, now: string, outcome: string, actor?: string): Promise<boolean>;
  /** in-doubt → dropped (the Clerk's decision; never sent). */
  dropInDoubt(id: number, now: string, outcome: string, actor?: string): Promise<boolean>;
  /**
   * pending or awaiting-review → withdrawn, for every effect planned about the removed item(s) that has not been
   * carried out (never one being sent, sent, or held in doubt), with `reason` kept as its
   * `lastError` and in the audit. The items: those with `itemKey`, or of the event `uid` (its
   * occurrences included), or the events read from `origin`. Returns the effects withdrawn.
   */
  withdrawEffects(target: WithdrawTarget, now: string, reason: string): Promise<EffectRow[]>;
  /** pending `digest` effects → done, once the digest listing them has been sent. */
  markDigested(ids: readonly number[], now: string, digestDate: string): Promise<number>;
  /** Record an audit entry about an effect without changing its state. */
  noteEffect(id: number, now: string, outcome: string): Promise<void>;
  getEffect(key: string): Promise<EffectRow | undefined>;
  listEffects(filter?: EffectFilter): Promise<EffectRow[]>;
  /**
   * How many effects are in these states, leaving out digest entries (which wait for the daily
   * digest): read from an index, so the cost does not grow with the digest backlog.
   */
  countOutboxEffects(states: readonly EffectState[]): Promise<number>;
  /**
   * The longest wait in the outbox (digest entries aside), if it began at or before `dueBy`: for
   * `pending`, when the earliest due effect became due; for `sending`, when the oldest effect
   * under way was claimed.
   */
  oldestOutboxEffectDue(state: 'pending' | 'sending', dueBy: string): Promise<string | undefined>;
}

/** The audit log of every effect's transitions (written by the effect repository). */
export interface AuditRepository {
  listAudit(filter?: AuditFilter): Promise<AuditEntry[]>;
}

/** Connector cursors (sync tokens, UIDs, ETags), by source and key. */
export interface CursorRepository {
  getCursor(source: string, key: string): Promise<string | undefined>;
  setCursor(source: string, key: string, value: string): Promise<void>;
}

export type ItemMemoryKind = 'mail' | 'event';

/** Body-less summaries of the items seen, so later copies merge with earlier ones after a restart. */
export interface ItemMemoryRepository {
  getItemMemory(kind: ItemMemoryKind, key: string): Promise<string | undefined>;
  setItemMemory(kind: ItemMemoryKind, key: string, summary: string, now: string): Promise<void>;
}

/** Digests sent, and digests caught mid-send. */
export interface DigestRepository {
  /** True when the digest for this date (YYYY-MM-DD) has been sent. */
  digestSent(date: string): Promise<boolean>;
  /** Record the digest for a date (with its words as sent, for the archive); false when one was already recorded. */
  recordDigest(date: string, messageId: string, now: string, content?: DigestContent): Promise<boolean>;
  /** Digests sent, newest first: at most `limit`, dated before `before` (YYYY-MM-DD) when given. */
  listDigests(filter?: { before?: string; limit?: number }): Promise<DigestRow[]>;
  getDigest(date: string): Promise<DigestRow | undefined>;
  /** The digest with the latest date (before the date `before`, YYYY-MM-DD, when given), if any was sent. */
  lastDigest(before?: string): Promise<DigestRow | undefined>;
  /** Remember what a digest about to be sent covers (replacing an earlier attempt for the date). */
  recordDigestAttempt(attempt: DigestAttempt): Promise<void>;
  getDigestAttempt(date: string): Promise<DigestAttempt | undefined>;
  /** Forget the attempt (the send failed cleanly, or the Clerk released it to be sent again). */
  clearDigestAttempt(date: string): Promise<void>;
  /** Hold the attempt as in doubt (the sender cannot tell whether it went). */
  markDigestInDoubt(date: string, now: string): Promise<void>;
  /** Digest attempts held in doubt, oldest first. */
  listDigestsInDoubt(): Promise<DigestInDoubt[]>;
}

/** Quarantined problems, source health and what needs a person's judgement. */
export interface HealthRepository {
  /** Quarantine: something could not be read. Repeats of the same origin count up. */
  recordProblem(problem: Problem, now: string): Promise<void>;
  /** The origin was read successfully after all. */
  clearProblem(origin: string): Promise<void>;
  listProblems(): Promise<ProblemRow[]>;

  recordSourceSuccess(source: string, now: string): Promise<void>;
  recordSourceError(source: string, now: string, message: string): Promise<void>;
  listSourceHealth(): Promise<SourceHealth[]>;

  /** Something needs a person's judgement; repeats of the same item and rule count up. */
  recordNeedsHuman(itemKey: string, rule: string | undefined, message: string, now: string): Promise<void>;
  /** Settled: the item (and rule, when given) no longer needs a person. */
  clearNeedsHuman(itemKey: string, rule?: string): Promise<void>;
  /** What needs a person, reported at or after `since` (all when absent), oldest first. */
  listNeedsHuman(since?: string): Promise<NeedsHumanRow[]>;
}

/** The store as a whole: its identity, its soundness and what spans every repository. */
export interface StoreAdmin {
  /** This store's identity (created with it). */
  identity(): Promise<StoreIdentity>;
  /** True when the service has never started with this store and it holds nothing (just created, or emptied). */
  isFresh(): Promise<boolean>;
  /** Note the first start of the service (and a fresh start), once. */
  recordStart(now: string, options?: { freshStart?: boolean }): Promise<StoreIdentity>;
  /**
   * The database's own integrity check: an empty list when it is sound, otherwise what it reports
   * (at most `maxErrors` lines). Throws when the store cannot be read at all.
   */
  checkIntegrity(maxErrors?: number): Promise<string[]>;
  /**
   * Storage limitation: delete what is older than its cutoff, in one transaction. What exactly-once
   * needs survives as one-way fingerprints (SHA-256 of the item and effect keys), so a message
   * read again after pruning is not judged again and no effect is carried out twice. Nothing is
   * pruned that a pending or sending effect still needs. `dryRun` counts without deleting.
   */
  prune(cutoffs: RetentionCutoffs, now: string, options?: { dryRun?: boolean }): Promise<PruneReport>;
}

/** Who changed something by hand, and what it means, for the audit log. */
export interface PersonChange {
  /** The console user (or `cli:<os user>` for the command line) who made the change. */
  actor: string;
  /** What happened, in a sentence a clerk can read. */
  outcome: string;
}

/**
 * How a person settled a finding: `dismissed` (not a breach, with a reason), `authorised` (the
 * Clerk authorised what it asked for, such as an officer's attendance at a party-group meeting) or
 * `excepted` (a standing exception covers it). A settled finding plans no further effects and
 * leaves the digest's lists; it is counted per rule.
 */
export type SettlementKind = 'dismissed' | 'authorised' | 'excepted';
export const SETTLEMENT_KINDS: readonly SettlementKind[] = ['dismissed', 'authorised', 'excepted'];

export interface Settlement {
  id: number;
  rule: string;
  itemKey: string;
  kind: SettlementKind;
  /** Only the rule's findings with this message id (`authorisationNeeded`, say); every finding of the rule on the item when absent. */
  messageId?: string;
  reason: string;
  actor: string;
  at: string;
  /** For `excepted`: the standing exception that covers it. */
  exceptionId?: number;
}

export type NewSettlement = Omit<Settlement, 'id'>;

export interface SettlementFilter {
  itemKey?: string;
  rule?: string;
  kind?: SettlementKind;
  /** Settled at or after this instant. */
  since?: string;
  limit?: number;
}

/** What a standing exception matches on an item. */
export type ExceptionMatch = 'sender' | 'recipient-domain' | 'phrase';
export const EXCEPTION_MATCHES: readonly ExceptionMatch[] = ['sender', 'recipient-domain', 'phrase'];

/** "Findings like this are not breaches until `expiresAt`": a sender, a recipient domain or a phrase, for one rule or all. */
export interface StandingException {
  id: number;
  /** Only this rule's findings; every rule's when absent. */
  rule?: string;
  match: ExceptionMatch;
  /** An address (sender), a domain (recipient-domain) or words (phrase), lower-cased. */
  value: string;
  reason: string;
  actor: string;
  createdAt: string;
  expiresAt: string;
  revokedAt?: string;
  revokedBy?: string;
}

export type NewStandingException = Omit<StandingException, 'id' | 'revokedAt' | 'revokedBy'>;

/** Findings settled by a person, and the standing exceptions they made. */
export interface SettlementRepository {
  /**
   * Record a settlement. When the same (rule, item, kind, message id) is already settled, nothing
   * changes and the earlier one is returned.
   */
  settleFinding(settlement: NewSettlement): Promise<Settlement>;
  /** Settlements, newest first. */
  listSettlements(filter?: SettlementFilter): Promise<Settlement[]>;
  addException(exception: NewStandingException): Promise<StandingException>;
  /** False when there is no such exception or it was revoked already. */
  revokeException(id: number, actor: string, now: string): Promise<boolean>;
  getException(id: number): Promise<StandingException | undefined>;
  /** Every exception (newest first), or only those in force at `activeAt` (not revoked, not expired). */
  listExceptions(filter?: { activeAt?: string }): Promise<StandingException[]>;
}

export const CONSOLE_ROLES = ['clerk', 'viewer'] as const;
/** `clerk`: may act; `viewer`: may read only (a monitoring officer, say). */
export type ConsoleRole = (typeof CONSOLE_ROLES)[number];

export interface ConsoleUser {
  /** The sign-in name: for single sign-on, the e-mail address the council's accounts give (lower-cased). */
  username: string;
  displayName: string;
  role: ConsoleRole;
  /** `scrypt$N$r$p$salt$hash` (base64); absent for an account that signs in only through single sign-on. */
  passwordHash?: string;
  createdAt: string;
}

export interface ConsoleSession {
  /** SHA-256 (hex) of the session id in the cookie: the id itself is never stored. */
  idHash: string;
  username: string;
  /** The token every form of this session carries. */
  csrfToken: string;
  createdAt: string;
  lastSeenAt: string;
  /** The session ends at this instant (idle timeout, moved on by `touchSession`) … */
  expiresAt: string;
  /** … and, however active, at this one. */
  absoluteExpiresAt: string;
}

/** The console's accounts and sessions. */
export interface UserRepository {
  /** Add the user, or replace the one with the same username. */
  putUser(user: ConsoleUser): Promise<void>;
  getUser(username: string): Promise<ConsoleUser | undefined>;
  listUsers(): Promise<ConsoleUser[]>;
  /** Remove the user and end their sessions; false when there was none. */
  removeUser(username: string): Promise<boolean>;
  createSession(session: ConsoleSession): Promise<void>;
  getSession(idHash: string): Promise<ConsoleSession | undefined>;
  touchSession(idHash: string, lastSeenAt: string, expiresAt: string): Promise<void>;
  deleteSession(idHash: string): Promise<void>;
  /** End sessions whose `expiresAt` or `absoluteExpiresAt` is at or before `now`; returns how many. */
  deleteExpiredSessions(now: string): Promise<number>;
}

/** A change a person made (in the console or with the CLI) that is not an effect's transition. */
export interface ConsoleAuditEntry {
  id: number;
  at: string;
  actor: string;
  /** What kind of change: `sign-in`, `sign-in-refused`, `sign-out`, `dismiss`, `authorise`, `exception-added`, `exception-revoked`, `user-added`, `user-removed`, … */
  action: string;
  /** What it was about (a finding's rule and item, a username, an exception's number). */
  subject: string;
  /** In a sentence a clerk can read. */
  detail: string;
}

export interface ConsoleAuditRepository {
  recordConsoleAction(entry: Omit<ConsoleAuditEntry, 'id'>): Promise<void>;
  /** Newest first. */
  listConsoleActions(filter?: { since?: string; actor?: string; limit?: number }): Promise<ConsoleAuditEntry[]>;
}

/** Every repository, as seen from inside a transaction (or outside one, each call on its own). */
export interface Repositories
  extends ItemRepository,
    FindingRepository,
    EffectRepository,
    AuditRepository,
    CursorRepository,
    ItemMemoryRepository,
    DigestRepository,
    HealthRepository,
    SettlementRepository,
    UserRepository,
    ConsoleAuditRepository,
    StoreAdmin {}

export interface Store extends Repositories {
  /**
   * Run `fn` as one transaction: everything it does through `tx` is committed together when its
   * promise resolves, or not at all when it rejects. Other callers of the store wait until it ends
   * (nothing they do lands inside it), so `fn` should only do store work. Called again inside
   * `fn`, it joins the transaction under way.
   */
  transaction<T>(fn: (tx: Repositories) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
