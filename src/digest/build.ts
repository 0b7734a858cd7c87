/**
 * What the Clerk's daily digest says, collected from the store, the engine and the config for a
 * period [since, until): findings per rule with the actions taken and their state, what needs a
 * person, what awaits the Clerk's review, findings marked not a breach (left out of the lists and
 * counted per rule instead) and the standing exceptions in force, officers awaiting party-group
 * authorisation and the authorisations recorded, upcoming public meetings and who was invited,
 * the current or next pre-election period, and each source's health.
 *
 * Privacy: no message body is ever read here. Each finding is listed with its item's subject line
 * (from the body-less summary the service keeps) or its event's title and date, its one-sentence
 * summary and the state of its actions; a finding marked `private` is described only as "a private
 * matter — details withheld", with no subject and no recipients' names.
 */
import { actionSpec } from '../actions/kinds/index.js';
import { ACTION_KINDS, isRuleId, RULE_IDS, type ActionKind, type Config, type RuleId } from '../config/schema.js';
import { allRules } from '../rules/index.js';
import type { Engine } from '../engine/engine.js';
import type { PreElectionPeriod } from '../elections/types.js';
import { settles } from '../review/settle.js';
import { StoredItemMemory } from '../service/item-memory.js';
import { zonedParts, zonedToUtc } from '../elections/zoned-time.js';
import type { SourceHealth } from '../sources/types.js';
import {
  DAILY_SUMMARY_RULE,
  type EffectFilter,
  type EffectRow,
  type EventSummary,
  type FindingPosition,
  type Settlement,
  type StandingException,
  type Store,
  type StoredFinding,
} from '../store/types.js';
import type { DigestSections } from '../templates/data.js';
import { ruleTitle } from '../templates/guidance.js';
import { curlyQuotes } from '../templates/salutation.js';
import { describeClauses, formatDay, formatWhen, joinList } from '../templates/wording.js';
import { CANCELLED_KIND } from './event-summary.js';
import { looksAllDay } from '../actions/item-context.js';

/** The day a digest is for, and the period its content covers. */
export interface DigestPeriod {
  /** YYYY-MM-DD in the council's timezone. */
  date: string;
  /** Start of the period (inclusive); absent for the first digest, which covers everything so far. */
  since?: string;
  /** End of the period (exclusive), normally the moment the digest is built. */
  until: string;
}

/** Something stopping the running service from doing its job (the state store, the outbox, the sender), as /healthz reports it. */
export interface ServiceProblem {
  what: 'store' | 'outbox' | 'sender';
  reason: string;
  since?: string;
}

export interface DigestDeps {
  store: Store;
  engine: Pick<Engine, 'directory' | 'elections'>;
  /** `console` and `server` say where the Clerk reviews held actions (their defaults when absent). */
  config: Pick<Config, 'council' | 'calendars' | 'digest'> & Partial<Pick<Config, 'console' | 'server'>>;
  /** What the running service reports as stopping it (listed with the sources' health). */
  serviceProblems?: () => Promise<readonly ServiceProblem[]>;
}

const PROBLEM_NAMES: Record<ServiceProblem['what'], string> = { store: 'the state file', outbox: 'the outbox', sender: 'the mail sender' };

/** Where an action stands, in the words the digest uses. */
export type ActionState =
  | 'done'
  | 'awaiting-review'
  | 'waiting'
  | 'queued'
  | 'retrying'
  | 'sending'
  | 'failed'
  | 'folded'
  | 'dry-run'
  | 'in-doubt'
  | 'dropped'
  | 'withdrawn';

export interface DigestAction {
  kind: ActionKind;
  /** '' for an action without a recipient (a declined booking). */
  recipient: string;
  state: ActionState;
  /** For a waiting or retrying action: when it will next be tried (ISO instant). */
  at?: string;
  /** For a failed or retrying action: the attempts made so far. */
  attempts?: number;
  /** For a failed or retrying action: why the last attempt failed, when known; for a withdrawn one, why it was withdrawn. */
  error?: string;
}

export interface DigestItem {
  kind: 'mail' | 'event';
  itemKey: string;
  /** The subject line or event title with its date, or "a private matter — details withheld". */
  reference: string;
  /** The finding's one sentence, or "a private matter — details withheld". */
  summary: string;
  private: boolean;
  actions: DigestAction[];
  /** The item's actions and their state in one line, e.g. "nudge sent to Sam Patel". */
  actionSummary: string;
}

export interface RuleReport {
  rule: RuleId;
  findings: number;
  /** The first `DIGEST_ITEMS_PER_RULE` items found; the rest are counted, and listed in the CSV. */
  items: DigestItem[];
  /** The actions taken, counted by kind and state, in one line. */
  actions: string;
}

export interface BuiltDigest {
  period: DigestPeriod;
  /** Who the digest goes to. */
  recipients: string[];
  rules: RuleReport[];
  /** The pending `digest` effects this digest lists: marked digested once it has been sent. */
  digestEffectIds: number[];
  /** The content in the shape the `digest` template receives. */
  sections: DigestSections;
  /** Every finding as CSV (header and one row each), attached when a rule lists only its first items. */
  csv?: string;
}

export const PRIVATE_SUMMARY = 'a private matter — details withheld';
/** At most this many items are listed per rule; the rest are counted and attached as a CSV. */
export const DIGEST_ITEMS_PER_RULE = 50;
/** The name of the attachment that lists every finding when the digest lists only the first. */
export const FINDINGS_CSV = 'findings.csv';
const CSV_HEADER = ['rule', 'rule title', 'clauses', 'item', 'summary', 'actions', 'first seen'];

/** One CSV field, quoted when it holds a comma, quote or line break (RFC 4180). */
function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

function csvRow(fields: readonly string[]): string {
  return `${fields.map(csvField).join(',')}\r\n`;
}

/** How far ahead the digest looks for public meetings. */
export const UPCOMING_MEETING_DAYS = 14;

/** How far back the digest counts the findings marked not a breach, per rule. */
export const NOT_A_BREACH_DAYS = 90;

/** The command that lists the actions awaiting the Clerk's review. */
export const REVIEW_COMMAND = 'wardwatch outbox list --state awaiting-review --config FILE';

const DAY_MS = 24 * 3600_000;

/* ---------------------------------------------------------------------------------------- */
/* Wording                                                                                   */
/* ---------------------------------------------------------------------------------------- */

function nouns(kind: ActionKind): readonly [string, string] {
  return actionSpec(kind).noun;
}

const STATE_ORDER: readonly ActionState[] = ['done', 'sending', 'awaiting-review', 'queued', 'waiting', 'retrying', 'folded', 'failed', 'dry-run', 'in-doubt', 'dropped', 'withdrawn'];

function stateWords(kind: ActionKind, state: ActionState): string {
  const block = actionSpec(kind).verb === 'declined';
  switch (state) {
    case 'done':
      return block ? 'declined' : 'sent';
    case 'sending':
      return block ? 'being declined' : 'being sent';
    case 'awaiting-review':
      return 'awaiting your review';
    case 'queued':
      return block ? 'about to be declined' : 'about to go';
    case 'waiting':
      return 'waiting for the end of quiet hours';
    case 'retrying':
      return 'to be tried again after a failure';
    case 'folded':
      return 'folded into a daily summary';
    case 'failed':
      return block ? 'could not be declined' : 'could not be sent';
    case 'dry-run':
      return block ? 'not declined (dry run)' : 'not sent (dry run)';
    case 'in-doubt':
      return 'held: it may or may not have gone out';
    case 'dropped':
      return 'not sent (dropped by the Clerk)';
    case 'withdrawn':
      return 'withdrawn before it was due';
  }
}

function attemptsText(n: number): string {
  return `${n} attempt${n === 1 ? '' : 's'}`;
}

/**
 * One action in words: "nudge sent to Sam Patel", "warning to Cllr Tom Brown waiting for quiet
 * hours to end (Thursday 19 November 2026 at 08:00)", "invitation to Cllr Alice Green could not be
 * sent after 8 attempts: mailbox full". `name` turns a recipient's address into their name, or
 * null for a private finding, whose recipients are not named.
 */
export function describeAction(a: DigestAction, name: ((address: string) => string) | null, when: (iso: string) => string): string {
  const spec = actionSpec(a.kind);
  const noun = spec.noun[0];
  const who = a.recipient !== '' && name !== null && !spec.namesItsRecipient ? name(a.recipient) : undefined;
  const to = who !== undefined ? ` to ${who}` : '';
  const block = spec.verb === 'declined';
  const at = a.at !== undefined ? ` (${when(a.at)})` : '';
  const because = a.error !== undefined ? `: ${a.error}` : '';
  switch (a.state) {
    case 'done':
      return block ? `${noun} declined` : `${noun} sent${to}`;
    case 'sending':
      return `${noun}${to} ${block ? 'being declined' : 'being sent'}`;
    case 'awaiting-review':
      return `${noun}${to} awaiting your review`;
    case 'queued':
      return `${noun}${to} ${block ? 'about to be declined' : 'about to go'}`;
    case 'waiting':
      return `${noun}${to} waiting for quiet hours to end${at}`;
    case 'retrying': {
      const next = a.at !== undefined ? `; trying again ${when(a.at)}` : '; to be tried again';
      return `${noun}${to} not ${block ? 'declined' : 'sent'} yet after ${attemptsText(a.attempts ?? 1)}${because}${next}`;
    }
    case 'folded':
      return `${noun}${to} folded into the daily summary of reminders`;
    case 'failed':
      return `${noun}${to} could not be ${block ? 'declined' : 'sent'} after ${attemptsText(a.attempts ?? 1)}${because}`;
    case 'dry-run':
      return `${noun}${to} not ${block ? 'declined' : 'sent'} (dry run)`;
    case 'in-doubt':
      return `${noun}${to} held: it may or may not have gone out before a restart`;
    case 'dropped':
      return `${noun}${to} not sent (dropped by the Clerk)`;
    case 'withdrawn':
      return `${noun}${to} withdrawn ${a.error ?? 'before it was due'}`;
  }
}

function count(n: number, kind: ActionKind): string {
  const [one, many] = nouns(kind);
  return `${n} ${n === 1 ? one : many}`;
}

/** Count actions by kind and state, into `counts` (keyed "kind state"), for `describeActionCounts`. */
export function countActions(actions: readonly DigestAction[], counts: Map<string, number> = new Map()): Map<string, number> {
  for (const a of actions) counts.set(`${a.kind} ${a.state}`, (counts.get(`${a.kind} ${a.state}`) ?? 0) + 1);
  return counts;
}

/** "2 nudges sent, 1 warning waiting for the end of quiet hours", or "listed here only". */
export function describeActions(actions: readonly DigestAction[], anyPrivate: boolean): string {
  return describeActionCounts(countActions(actions), anyPrivate);
}

/** `describeActions` from actions already counted by kind and state (`countActions`). */
export function describeActionCounts(counts: ReadonlyMap<string, number>, anyPrivate: boolean): string {
  const phrases: string[] = [];
  for (const kind of ACTION_KINDS) {
    for (const state of STATE_ORDER) {
      const n = counts.get(`${kind} ${state}`);
      if (n !== undefined) phrases.push(`${count(n, kind)} ${stateWords(kind, state)}`);
    }
  }
  const text = phrases.length > 0 ? phrases.join(', ') : 'listed here only';
  return anyPrivate ? `${text} (private: no content shown)` : text;
}

function actionState(effect: EffectRow, until: string): ActionState {
  switch (effect.state) {
    case 'awaiting-review':
      return 'awaiting-review';
    case 'done':
      return 'done';
    case 'sending':
      return 'sending';
    case 'failed':
      return 'failed';
    case 'folded':
      return 'folded';
    case 'skipped-dry-run':
      return 'dry-run';
    case 'in-doubt':
      return 'in-doubt';
    case 'dropped':
      return 'dropped';
    case 'withdrawn':
      return 'withdrawn';
    case 'pending':
      if (effect.attempts > 0) return 'retrying';
      return effect.nextAttemptAt > until ? 'waiting' : 'queued';
  }
}

/** An effect as the digest reports it: its state, and when, how often and why where that matters. */
function digestAction(effect: EffectRow, until: string): DigestAction {
  const state = actionState(effect, until);
  const action: DigestAction = { kind: effect.kind, recipient: effect.recipient, state };
  if (state === 'waiting' || state === 'retrying') action.at = effect.nextAttemptAt;
  if (state === 'failed' || state === 'retrying') {
    action.attempts = effect.attempts;
    if (effect.lastError !== undefined) action.error = effect.lastError;
  }
  if (state === 'withdrawn' && effect.lastError !== undefined) action.error = effect.lastError;
  return action;
}

function titleOf(rule: string): string {
  if (isRuleId(rule)) return ruleTitle(rule);
  return rule === DAILY_SUMMARY_RULE ? 'Daily summary of reminders' : rule;
}

/* ---------------------------------------------------------------------------------------- */
/* Collecting                                                                                */
/* ---------------------------------------------------------------------------------------- */

/** Findings and effects are read from the store this many at a time, so that a storm's digest is built in bounded memory. */
export const DIGEST_PAGE_SIZE = 500;

function positionOf(f: StoredFinding): FindingPosition {
  return { firstSeen: f.firstSeen, itemKey: f.itemKey, seq: f.seq, rule: f.rule };
}

/** Findings first seen in [since, until), in first-seen order, a page at a time. */
async function* findingsFirstSeen(store: Store, since: string | undefined, until: string): AsyncGenerator<StoredFinding> {
  let after: FindingPosition | undefined;
  for (;;) {
    const page = await store.listFindingsByFirstSeen({ ...(since !== undefined ? { since } : {}), before: until, ...(after !== undefined ? { after } : {}) }, DIGEST_PAGE_SIZE);
    yield* page;
    const last = page[page.length - 1];
    if (last === undefined || page.length < DIGEST_PAGE_SIZE) return;
    after = positionOf(last);
  }
}

/** Effects matching `filter`, in id order, a page at a time. */
async function* effectsPaged(store: Store, filter: Omit<EffectFilter, 'afterId' | 'limit'>): AsyncGenerator<EffectRow> {
  let afterId: number | undefined;
  for (;;) {
    const page = await store.listEffects({ ...filter, ...(afterId !== undefined ? { afterId } : {}), limit: DIGEST_PAGE_SIZE });
    yield* page;
    const last = page[page.length - 1];
    if (last === undefined || page.length < DIGEST_PAGE_SIZE) return;
    afterId = last.id;
  }
}

interface FindingWithEffects {
  stored: StoredFinding;
  /** Every effect planned about the finding's item (any rule). */
  effects: readonly EffectRow[];
  /** A person (or a standing exception) settled it before the end of the period. */
  settled: boolean;
}

/** The order the digest lists findings in: first seen, then item, then position. */
function byFirstSeen(a: FindingPosition, b: FindingPosition): number {
  return a.firstSeen.localeCompare(b.firstSeen) || a.itemKey.localeCompare(b.itemKey) || a.seq - b.seq;
}

class Collector {
  /** Actions carried out, over every finding (listed or only counted). */
  doneActions = 0;
  private readonly tz: string;
  private readonly effectsByItem = new Map<string, EffectRow[]>();
  /** The body-less summaries of messages the service keeps: subject lines and dates. */
  private readonly mail: StoredItemMemory;
  /** False once the store is known to hold no settlement at all: then no finding needs looking up. */
  private anySettlements: boolean | undefined;

  constructor(
    private readonly deps: DigestDeps,
    private readonly period: DigestPeriod,
  ) {
    this.tz = deps.config.council.timezone;
    this.mail = new StoredItemMemory(deps.store, { cacheSize: 256 });
  }

  /**
   * The settlements made before the end of the period on each of these items (a later one does
   * not change what this period's digest says).
   */
  async settlementsOf(itemKeys: readonly string[]): Promise<Map<string, Settlement[]>> {
    const { store } = this.deps;
    const byItem = new Map<string, Settlement[]>();
    this.anySettlements ??= (await store.listSettlements({ limit: 1 })).length > 0;
    if (!this.anySettlements) return byItem;
    for (const itemKey of new Set(itemKeys)) {
      const settled = (await store.listSettlements({ itemKey })).filter((s) => s.at < this.period.until);
      if (settled.length > 0) byItem.set(itemKey, settled);
    }
    return byItem;
  }

  inPeriod(instant: string): boolean {
    return (this.period.since === undefined || instant >= this.period.since) && instant < this.period.until;
  }

  nameOf(address: string): string {
    return this.deps.engine.directory.person(address)?.name ?? address;
  }

  when(iso: string): string {
    return formatWhen(iso, this.tz);
  }

  async effectsOf(itemKey: string): Promise<EffectRow[]> {
    let effects = this.effectsByItem.get(itemKey);
    if (effects === undefined) {
      effects = await this.deps.store.listEffects({ itemKey });
      this.effectsByItem.set(itemKey, effects);
    }
    return effects;
  }

  /** A reference to an item a clerk can recognise: the event's calendar and title, or the Message-ID. */
  async itemReference(itemKey: string): Promise<string> {
    const event = await this.deps.store.getEvent(itemKey);
    return event !== undefined ? `${event.calendarId}: “${event.summary}” (${this.when(event.start)})` : itemKey;
  }

  /**
   * How the digest names an item a rule found: the message's subject line and date, or the
   * event's title and date. Never the body; the Message-ID or UID when nothing else is held.
   */
  async itemTitle(kind: 'mail' | 'event', itemKey: string, occurrence?: { start: string }): Promise<string> {
    if (kind === 'event') {
      const event = await this.deps.store.getEvent(itemKey);
      if (event === undefined) return `an event Wardwatch no longer holds (${itemKey})`;
      // A finding on a recurring series names the occurrence concerned, as its messages do.
      const start = occurrence?.start ?? event.start;
      const allDay = event.allDay ?? looksAllDay(event.start, event.end, this.tz);
      const when = allDay ? formatDay(start, this.tz) : this.when(start);
      return `${event.summary.trim() !== '' ? `event “${event.summary.trim()}”` : 'an event with no title'}, ${when}`;
    }
    const mail = await this.mail.getMail(itemKey);
    if (mail === undefined) return `a message whose subject Wardwatch no longer holds (${itemKey})`;
    const subject = mail.subject.trim() !== '' ? `message “${mail.subject.trim()}”` : 'a message with no subject';
    return mail.date !== undefined ? `${subject}, sent ${this.when(mail.date)}` : subject;
  }

  /**
   * The findings the digest reports, in the order it lists them: those first seen before the
   * period whose digest entry is still waiting (from a digest dropped or held, say), then those
   * first seen in the period. Read page by page as they are used; `digestEffectIds` receives the
   * pending digest entries listed, to mark once the digest has gone.
   */
  async findings(digestEffectIds: number[]): Promise<AsyncIterable<StoredFinding>> {
    const { store } = this.deps;
    const { since, until } = this.period;
    const earlier = new Map<string, FindingPosition>();
    for await (const e of effectsPaged(store, { kinds: ['digest'], states: ['pending'] })) {
      if (e.createdAt >= until) continue;
      digestEffectIds.push(e.id);
      // With no earlier digest, every finding first seen before `until` is listed anyway.
      if (since === undefined) continue;
      for (const f of await store.getFindings(e.itemKey, e.rule)) {
        if (f.firstSeen < since) earlier.set(`${f.rule}\u0000${f.itemKey}\u0000${f.seq}`, positionOf(f));
      }
    }
    // Actions withdrawn in the period (their meeting cancelled, say) are listed with their finding, however old.
    if (since !== undefined) {
      for await (const e of effectsPaged(store, { states: ['withdrawn'] })) {
        if (e.doneAt === undefined || !this.inPeriod(e.doneAt)) continue;
        for (const f of await store.getFindings(e.itemKey, e.rule)) {
          if (f.firstSeen < since) earlier.set(`${f.rule}\u0000${f.itemKey}\u0000${f.seq}`, positionOf(f));
        }
      }
    }
    const waiting = [...earlier.values()].sort(byFirstSeen);
    return (async function* (): AsyncGenerator<StoredFinding> {
      for (const p of waiting) {
        const f = (await store.getFindings(p.itemKey, p.rule)).find((g) => g.seq === p.seq);
        if (f !== undefined) yield f;
      }
      yield* findingsFirstSeen(store, since, until);
    })();
  }

  /** Each finding with its item's effects, read for a page of findings at once. */
  private async *withEffects(findings: AsyncIterable<StoredFinding>): AsyncGenerator<FindingWithEffects> {
    let page: StoredFinding[] = [];
    for await (const stored of findings) {
      page.push(stored);
      if (page.length < DIGEST_PAGE_SIZE) continue;
      yield* this.pageWithEffects(page);
      page = [];
    }
    yield* this.pageWithEffects(page);
  }

  private async *pageWithEffects(page: readonly StoredFinding[]): AsyncGenerator<FindingWithEffects> {
    if (page.length === 0) return;
    const itemKeys = [...new Set(page.map((f) => f.itemKey))];
    const byItem = new Map<string, EffectRow[]>();
    for (const e of await this.deps.store.listEffects({ itemKeys })) {
      const list = byItem.get(e.itemKey);
      if (list === undefined) byItem.set(e.itemKey, [e]);
      else list.push(e);
    }
    const settlements = await this.settlementsOf(itemKeys);
    for (const stored of page) {
      const settled = (settlements.get(stored.itemKey) ?? []).some((s) => settles(s, stored.finding));
      yield { stored, effects: byItem.get(stored.itemKey) ?? [], settled };
    }
  }

  /**
   * Per rule: its first items, every finding counted, and every action counted. Each finding is
   * also written as a CSV row, so that the list left out of the message is attached. Findings and
   * their effects are read as they come and not kept: beyond the listed items, only counts and CSV rows are.
   * A settled finding (marked not a breach, or authorised) is left out: `notABreach` and
   * `authorisations` count it instead; what was already carried out for it still counts as taken.
   */
  async rules(findings: AsyncIterable<StoredFinding>, csv: string[]): Promise<{ rules: RuleReport[]; clauses: Map<RuleId, string[]>; total: number }> {
    const byRule = new Map<RuleId, { items: DigestItem[]; count: number; actions: Map<string, number>; keys: Set<string>; anyPrivate: boolean }>();
    const clauses = new Map<RuleId, string[]>();
    // The (rule, item) pairs whose actions carried out are counted already: they are shared by the rule's findings on the item.
    const doneCounted = new Set<string>();
    let total = 0;
    csv.push(csvRow(CSV_HEADER));
    for await (const { stored, effects, settled } of this.withEffects(findings)) {
      const f = stored.finding;
      const actions = effects
        .filter((e) => e.rule === f.rule && e.kind !== 'digest')
        .map((e) => digestAction(e, this.period.until));
      const pair = `${f.rule}\u0000${stored.itemKey}`;
      if (!doneCounted.has(pair)) {
        doneCounted.add(pair);
        this.doneActions += actions.filter((a) => a.state === 'done').length;
      }
      if (settled) continue;
      total += 1;
      if (!clauses.has(f.rule)) clauses.set(f.rule, f.clauses);
      const isPrivate = f.private === true;
      const group = byRule.get(f.rule) ?? { items: [], count: 0, actions: new Map<string, number>(), keys: new Set<string>(), anyPrivate: false };
      byRule.set(f.rule, group);
      // A rule's several findings on one item share its effects: list them with the first only.
      const shared = group.keys.has(stored.itemKey);
      group.keys.add(stored.itemKey);
      const own = shared ? [] : actions;
      group.count += 1;
      countActions(own, group.actions);
      if (isPrivate) group.anyPrivate = true;
      const name = isPrivate ? null : (address: string) => this.nameOf(address);
      const reference = isPrivate ? PRIVATE_SUMMARY : await this.itemTitle(f.item.kind, stored.itemKey, f.targets.occurrence);
      const summary = isPrivate ? PRIVATE_SUMMARY : curlyQuotes(f.summary);
      const actionSummary =
        own.length > 0
          ? own.map((a) => describeAction(a, name, (iso) => this.when(iso))).join('; ')
          : shared
            ? 'the actions are listed with the entry above for the same item'
            : 'listed here only';
      csv.push(csvRow([f.rule, ruleTitle(f.rule), f.clauses.join(' '), reference, summary, actionSummary, stored.firstSeen]));
      if (group.items.length >= DIGEST_ITEMS_PER_RULE) continue;
      const items = group.items;
      items.push({
        kind: f.item.kind,
        itemKey: stored.itemKey,
        reference,
        summary,
        private: isPrivate,
        actions: own,
        actionSummary,
      });
    }
    const rules = RULE_IDS.flatMap((rule) => {
      const group = byRule.get(rule);
      if (group === undefined) return [];
      return [{ rule, findings: group.count, items: group.items, actions: describeActionCounts(group.actions, group.anyPrivate) }];
    });
    return { rules, clauses, total };
  }

  async needsHuman(): Promise<DigestSections['needsHuman']> {
    const { store } = this.deps;
    const { since } = this.period;
    const entries: DigestSections['needsHuman'] = [];
    // First: messages a crash left in doubt. Every one is listed, however old, until the Clerk decides.
    for (const d of await store.listDigestsInDoubt()) {
      entries.push({
        what: `The digest for ${d.date} may or may not have gone out before a restart, so it has not been sent again. If it did not arrive, run: wardwatch outbox release 'digest;${d.date}' --config FILE (or drop it)`,
        reference: `held since ${this.when(d.since)}`,
      });
    }
    for (const e of await store.listEffects({ states: ['in-doubt'] })) {
      const to = e.recipient !== '' ? ` to ${e.recipient}` : '';
      const subject = e.rule === DAILY_SUMMARY_RULE ? `The daily summary of reminders for ${e.payload.day ?? e.itemKey}` : `A ${nouns(e.kind)[0]}`;
      const about = e.payload.private === true ? PRIVATE_SUMMARY : e.rule === DAILY_SUMMARY_RULE ? e.payload.day ?? e.itemKey : await this.itemReference(e.itemKey);
      entries.push({
        what: `${subject}${to} may or may not have gone out before a restart, so it is held rather than sent twice. Ask the recipient, then run: wardwatch outbox release '${e.key}' --config FILE (to send it once) or wardwatch outbox drop '${e.key}' --config FILE`,
        reference: `${titleOf(e.rule)}: ${about}`,
      });
    }
    for (const n of await store.listNeedsHuman(since)) {
      if (!this.inPeriod(n.lastSeen)) continue;
      const rule = n.rule !== undefined ? ` — ${titleOf(n.rule)}` : '';
      entries.push({ what: curlyQuotes(n.message), reference: `${await this.itemReference(n.itemKey)}${rule}` });
    }
    for (const e of await store.listEffects({ states: ['failed'] })) {
      if (!this.inPeriod(e.lastAttemptAt ?? e.createdAt)) continue;
      const to = e.recipient !== '' ? ` to ${e.recipient}` : '';
      const attempts = `${e.attempts} attempt${e.attempts === 1 ? '' : 's'}`;
      const why = e.lastError !== undefined ? ` (${e.lastError})` : '';
      const verb = actionSpec(e.kind).verb;
      const subject = e.rule === DAILY_SUMMARY_RULE ? `The daily summary of reminders for ${e.payload.day ?? e.itemKey}` : `A ${nouns(e.kind)[0]}`;
      const about = e.payload.private === true ? PRIVATE_SUMMARY : e.rule === DAILY_SUMMARY_RULE ? e.payload.day ?? e.itemKey : await this.itemReference(e.itemKey);
      entries.push({ what: `${subject}${to} could not be ${verb} after ${attempts}${why}`, reference: `${titleOf(e.rule)}: ${about}` });
    }
    for (const p of await store.listProblems()) {
      if (!this.inPeriod(p.lastSeen)) continue;
      const what = p.kind === 'mail' ? 'A message' : p.kind === 'calendar' ? 'A calendar entry' : p.kind === 'source' ? 'A source' : 'The configuration';
      const times = p.count > 1 ? ` (${p.count} times since ${this.when(p.firstSeen)})` : '';
      const outcome = p.severity === 'warning' ? 'was read with a warning' : 'could not be read';
      entries.push({ what: `${what} ${outcome}: ${p.reason}${times}`, reference: p.origin });
    }
    return entries;
  }

  async awaitingAuthorisation(): Promise<DigestSections['awaitingAuthorisation']> {
    const rows: DigestSections['awaitingAuthorisation'] = [];
    for (const rule of allRules) {
      if (rule.meta.awaitsAuthorisation !== undefined) rows.push(...(await this.awaitingRule(rule.meta.id, rule.meta.awaitsAuthorisation)));
    }
    return rows;
  }

  private async awaitingRule(rule: RuleId, messageId: string): Promise<DigestSections['awaitingAuthorisation']> {
    const { store } = this.deps;
    const rows: DigestSections['awaitingAuthorisation'] = [];
    for (const stored of await store.listFindings({ rule })) {
      const f = stored.finding;
      if (f.rule !== rule || f.messageId !== messageId) continue;
      // Authorised (or marked not a breach): nothing is awaited any more.
      if ((await this.settlementsOf([stored.itemKey])).get(stored.itemKey)?.some((s) => settles(s, f)) === true) continue;
      const event = await store.getEvent(stored.itemKey);
      // A recurring series is awaiting authorisation for its occurrence concerned, not its first date.
      const start = f.targets.occurrence?.start ?? event?.start;
      if (event !== undefined && ((start ?? event.start) < this.period.until || event.kinds.includes(CANCELLED_KIND))) continue;
      if (event === undefined && !this.inPeriod(stored.firstSeen)) continue;
      const officers = f.targets.notify ?? [];
      const organiserAddress = event?.organizer ?? f.people.find((p) => !officers.includes(p));
      for (const officer of officers) {
        rows.push({
          officer: this.nameOf(officer),
          meeting: event?.summary ?? stored.itemKey,
          date: event !== undefined ? this.when(start ?? event.start) : 'a date not recorded',
          organiser: organiserAddress !== undefined ? this.nameOf(organiserAddress) : 'an organiser not recorded',
        });
      }
    }
    return rows;
  }

  /** The officers concerned by a rule's authorisation request and the meeting, as `awaitingAuthorisation` names them. */
  private async authorised(s: Settlement): Promise<DigestSections['authorisations'][number]> {
    const { store } = this.deps;
    const findings = (await store.getFindings(s.itemKey, s.rule)).filter((f) => settles(s, f.finding));
    const officers = [...new Set(findings.flatMap((f) => f.finding.targets.notify ?? []))];
    const occurrence = findings.find((f) => f.finding.targets.occurrence !== undefined)?.finding.targets.occurrence;
    const event = await store.getEvent(s.itemKey);
    const start = occurrence?.start ?? event?.start;
    return {
      officer: officers.length > 0 ? joinList(officers.map((o) => this.nameOf(o))) : 'the officers invited',
      meeting: event?.summary ?? s.itemKey,
      date: start !== undefined ? this.when(start) : 'a date not recorded',
      by: s.actor,
      at: this.when(s.at),
      // The wording the Clerk's actions give an authorisation without a note says nothing more.
      note: /^authori[sz]ed( by the clerk)?\.?$/i.test(s.reason.trim()) ? '' : curlyQuotes(s.reason.trim()),
    };
  }

  /** The party-group attendances (and other authorisation requests) the Clerk authorised in the period, in the order they were made. */
  async authorisations(): Promise<DigestSections['authorisations']> {
    const awaiting = new Set<string>(allRules.flatMap((r) => (r.meta.awaitsAuthorisation !== undefined ? [r.meta.id] : [])));
    const { since } = this.period;
    const made = await this.deps.store.listSettlements({ kind: 'authorised', ...(since !== undefined ? { since } : {}) });
    const rows: DigestSections['authorisations'] = [];
    for (const s of [...made].reverse()) {
      if (s.kind !== 'authorised' || !awaiting.has(s.rule) || !this.inPeriod(s.at)) continue;
      rows.push(await this.authorised(s));
    }
    return rows;
  }

  /** How a settled finding's item is named among the dismissals: never a private matter's subject. */
  private async settledReference(s: Settlement): Promise<{ reference: string; private: boolean }> {
    const { store } = this.deps;
    const finding = (await store.getFindings(s.itemKey, s.rule)).find((f) => settles(s, f.finding))?.finding;
    if (finding?.private === true) return { reference: PRIVATE_SUMMARY, private: true };
    const kind = finding?.item.kind ?? ((await store.getEvent(s.itemKey)) !== undefined ? 'event' : 'mail');
    return { reference: await this.itemTitle(kind, s.itemKey, finding?.targets.occurrence), private: false };
  }

  /**
   * Per rule (catalogue order), the findings dismissed or covered by a standing exception in the
   * period, with the total for the last `NOT_A_BREACH_DAYS` days and the reasons for those dismissed.
   */
  async notABreach(): Promise<DigestSections['notABreach']> {
    const { since, until } = this.period;
    const recentFrom = new Date(Date.parse(until) - NOT_A_BREACH_DAYS * DAY_MS).toISOString();
    const from = since !== undefined && since < recentFrom ? since : recentFrom;
    // The first digest covers everything so far: its period has no start.
    const settlements = await this.deps.store.listSettlements(since !== undefined ? { since: from } : {});
    const byRule = new Map<string, { dismissed: Settlement[]; excepted: number; recent: number }>();
    for (const s of settlements) {
      if ((s.kind !== 'dismissed' && s.kind !== 'excepted') || s.at >= until) continue;
      const group = byRule.get(s.rule) ?? { dismissed: [], excepted: 0, recent: 0 };
      byRule.set(s.rule, group);
      if (s.at >= recentFrom) group.recent += 1;
      if (!this.inPeriod(s.at)) continue;
      if (s.kind === 'dismissed') group.dismissed.push(s);
      else group.excepted += 1;
    }
    const rows: DigestSections['notABreach'] = [];
    for (const rule of RULE_IDS) {
      const group = byRule.get(rule);
      if (group === undefined || group.dismissed.length + group.excepted === 0) continue;
      const parts: string[] = [];
      if (group.dismissed.length > 0) parts.push(`${group.dismissed.length.toLocaleString('en-GB')} dismissed`);
      if (group.excepted > 0) parts.push(`${group.excepted.toLocaleString('en-GB')} covered by a standing exception`);
      // Settlements come newest first; the dismissals are listed in the order they were made.
      const listed = group.dismissed.slice(-DIGEST_ITEMS_PER_RULE).reverse();
      const dismissals: DigestSections['notABreach'][number]['dismissals'] = [];
      for (const s of listed) {
        dismissals.push({ ...(await this.settledReference(s)), reason: curlyQuotes(s.reason.trim() !== '' ? s.reason.trim() : 'no reason given'), by: s.actor, at: this.when(s.at) });
      }
      const rest = group.dismissed.length - listed.length;
      rows.push({
        rule,
        ruleTitle: ruleTitle(rule),
        dismissed: group.dismissed.length,
        excepted: group.excepted,
        recent: group.recent,
        counted: `${joinList(parts)}; ${group.recent.toLocaleString('en-GB')} in the last ${NOT_A_BREACH_DAYS} days`,
        dismissals,
        more: rest > 0 ? `and ${rest.toLocaleString('en-GB')} more (the console lists them all under “Not a breach”)` : '',
      });
    }
    return rows;
  }

  /** What a standing exception matches, in words. */
  private exceptionMatch(e: StandingException): string {
    switch (e.match) {
      case 'sender': {
        const name = this.nameOf(e.value);
        return name !== e.value ? `messages from ${name} <${e.value}>` : `messages from ${e.value}`;
      }
      case 'recipient-domain':
        return `messages to addresses at ${e.value}`;
      case 'phrase':
        return `items containing the words “${e.value}”`;
    }
  }

  /**
   * When an exception ends: an exception made "until 31 December" ends as 1 January begins, and
   * is worded "the end of Thursday 31 December 2026"; any other instant with its time.
   */
  private expiry(iso: string): string {
    const at = new Date(iso);
    if (Number.isNaN(at.getTime()) || zonedParts(at, this.tz).time !== '00:00') return this.when(iso);
    return `the end of ${formatDay(new Date(at.getTime() - 60_000).toISOString(), this.tz)}`;
  }

  /** The standing exceptions in force at the end of the period, as the store lists them. */
  async exceptions(): Promise<DigestSections['exceptions']> {
    const inForce = (await this.deps.store.listExceptions({ activeAt: this.period.until })).filter((e) => e.createdAt < this.period.until);
    return inForce.map((e) => ({
      what: this.exceptionMatch(e),
      rule: e.rule !== undefined ? titleOf(e.rule) : 'Every rule',
      reason: curlyQuotes(e.reason.trim() !== '' ? e.reason.trim() : 'no reason given'),
      by: e.actor,
      made: this.when(e.createdAt),
      until: this.expiry(e.expiresAt),
    }));
  }

  /** The actions held for the Clerk's approval, counted per rule (catalogue order) and kind, and where to review them. */
  async awaitingReview(): Promise<DigestSections['awaitingReview']> {
    const byRule = new Map<string, Map<string, number>>();
    let total = 0;
    for await (const e of effectsPaged(this.deps.store, { states: ['awaiting-review'] })) {
      total += 1;
      const counts = byRule.get(e.rule) ?? new Map<string, number>();
      byRule.set(e.rule, counts);
      counts.set(e.kind, (counts.get(e.kind) ?? 0) + 1);
    }
    if (total === 0) return null;
    const order = [...RULE_IDS, ...[...byRule.keys()].filter((r) => !isRuleId(r)).sort()];
    const rules = order.flatMap((rule) => {
      const counts = byRule.get(rule);
      if (counts === undefined) return [];
      const phrases = ACTION_KINDS.flatMap((kind) => {
        const n = counts.get(kind);
        return n !== undefined ? [count(n, kind)] : [];
      });
      const n = [...counts.values()].reduce((a, b) => a + b, 0);
      return [{ ruleTitle: titleOf(rule), count: n, actions: joinList(phrases) }];
    });
    return {
      total,
      headline: `Wardwatch is holding ${total.toLocaleString('en-GB')} ${total === 1 ? 'action' : 'actions'} for your review: ${total === 1 ? 'it does not go out' : 'none of them goes out'} until you approve ${total === 1 ? 'it' : 'them'}.`,
      rules,
      console: consolePlace(this.deps.config),
      command: REVIEW_COMMAND,
    };
  }

  private async invited(event: EventSummary): Promise<string> {
    const rooms = new Set(this.deps.config.calendars.flatMap((c) => (c.address !== undefined ? [c.address] : [])));
    const attendees = event.attendees.filter((a) => !rooms.has(a.toLowerCase()));
    const names = attendees.map((a) => this.nameOf(a));
    const attending = new Set(attendees.map((a) => this.deps.engine.directory.person(a)?.id ?? a.toLowerCase()));
    for (const e of await this.effectsOf(event.key)) {
      if (e.kind !== 'invite' || e.recipient === '' || attending.has(e.recipient)) continue;
      const state = actionState(e, this.period.until);
      // Withdrawn or dropped by the Clerk: nobody was invited.
      if (state === 'withdrawn' || state === 'dropped') continue;
      const note =
        state === 'done'
          ? 'invited by Wardwatch'
          : state === 'failed'
            ? 'invitation could not be sent'
            : state === 'dry-run'
              ? 'not invited: dry run'
              : state === 'awaiting-review'
                ? 'invitation awaiting your review'
                : 'invitation about to go';
      names.push(`${this.nameOf(e.recipient)} (${note})`);
      attending.add(e.recipient);
    }
    return names.length > 0 ? joinList(names) : 'nobody yet';
  }

  async upcomingMeetings(): Promise<DigestSections['upcomingMeetings']> {
    const from = this.period.until;
    const to = new Date(Date.parse(from) + UPCOMING_MEETING_DAYS * DAY_MS).toISOString();
    const meetings: DigestSections['upcomingMeetings'] = [];
    for (const e of await this.deps.store.listUpcomingEvents(from, to)) {
      if (!e.kinds.includes('public-meeting') || e.kinds.includes(CANCELLED_KIND)) continue;
      meetings.push({
        title: e.summary,
        date: this.when(e.start),
        location: e.location,
        wards: e.wards.length > 0 ? joinList(e.wards.map((w) => this.deps.engine.directory.ward(w)?.name ?? w)) : 'no ward recorded',
        invited: await this.invited(e),
      });
    }
    return meetings;
  }

  election(): DigestSections['election'] {
    const period = this.deps.engine.elections.currentOrNext(this.period.until);
    if (period === undefined) return null;
    return { ...describePeriod(period, this.tz, (w) => this.deps.engine.directory.ward(w)?.name ?? w), current: period.start <= this.period.until };
  }

  async sources(): Promise<DigestSections['sources']> {
    const sources = (await this.deps.store.listSourceHealth()).map((h) => describeSource(h, (iso) => this.when(iso)));
    const problems = ((await this.deps.serviceProblems?.()) ?? []).map((p) => ({
      name: PROBLEM_NAMES[p.what],
      healthy: false,
      status: p.since !== undefined ? `failing since ${this.when(p.since)}: ${p.reason}` : `failing: ${p.reason}`,
    }));
    return [...problems, ...sources];
  }
}

/** The pre-election period in the words of the digest and the declined-booking notice. */
export function describePeriod(period: PreElectionPeriod, timeZone: string, wardName: (id: string) => string): { name: string; start: string; poll: string; wards: string } {
  const poll = formatDay(zonedToUtc(period.poll, '12:00', timeZone).toISOString(), timeZone);
  return {
    name: period.name ?? `election on ${poll}`,
    start: formatDay(period.start, timeZone),
    poll,
    wards: period.wards === 'all' ? 'all wards' : joinList(period.wards.map(wardName)),
  };
}

/** A source's health in a line: when it was last read, or since when it cannot be. */
export function describeSource(h: SourceHealth, when: (iso: string) => string): DigestSections['sources'][number] {
  const failing = h.lastError !== undefined && (h.lastSuccess === undefined || h.lastError.at > h.lastSuccess);
  if (failing && h.lastError !== undefined) {
    const before = h.lastSuccess !== undefined ? `; it was last read successfully on ${when(h.lastSuccess)}` : '';
    return {
      name: h.source,
      healthy: false,
      status: `could not be read since ${when(h.lastError.at)} (${h.lastError.message})${before}; Wardwatch will keep trying`,
    };
  }
  if (h.lastSuccess !== undefined) return { name: h.source, healthy: true, status: `last read successfully on ${when(h.lastSuccess)}` };
  return { name: h.source, healthy: false, status: 'not read yet' };
}

/**
 * Where the Clerk finds the console: `console.publicUrl` (behind a reverse proxy), else the
 * Wardwatch server's own address; null when the console is switched off.
 */
export function consolePlace(config: Partial<Pick<Config, 'console' | 'server'>>): { url: string; onServer: boolean } | null {
  if (config.console?.enabled === false) return null;
  const publicUrl = config.console?.publicUrl;
  if (publicUrl !== undefined && /^https?:\/\//i.test(publicUrl)) return { url: publicUrl, onServer: false };
  const host = config.server?.host ?? '127.0.0.1';
  const port = config.server?.port ?? 9464;
  return { url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/`, onServer: true };
}

/** Who receives the digest: `digest.to`, or else the Clerks. */
export function digestRecipients(deps: Pick<DigestDeps, 'engine' | 'config'>): string[] {
  const to = deps.config.digest.to;
  return to.length > 0 ? [...to] : deps.engine.directory.clerks().map((p) => p.id);
}

/** Collect the digest for `period`. Reads the store only: nothing is changed. */
export async function buildDigest(deps: DigestDeps, period: DigestPeriod): Promise<BuiltDigest> {
  const c = new Collector(deps, period);
  const tz = deps.config.council.timezone;
  const digestEffectIds: number[] = [];
  const csv: string[] = [];
  const { rules, clauses: clausesOf, total } = await c.rules(await c.findings(digestEffectIds), csv);
  const truncated = rules.some((r) => r.findings > r.items.length);
  const needsHuman = await c.needsHuman();
  const awaitingReview = await c.awaitingReview();
  // "Actions taken": carried out, not waiting, failed or skipped.
  const actionCount = c.doneActions;
  const sections: DigestSections = {
    date: formatDay(zonedToUtc(period.date, '12:00', tz).toISOString(), tz),
    covering: period.since !== undefined ? `since ${formatWhen(period.since, tz)}` : 'covering everything Wardwatch has seen so far',
    totals: { findings: total, actions: actionCount, needsHuman: needsHuman.length, awaitingReview: awaitingReview?.total ?? 0 },
    rules: rules.map((r) => {
      const clauses = clausesOf.get(r.rule) ?? [];
      return {
        rule: r.rule,
        ruleTitle: ruleTitle(r.rule),
        clauseText: describeClauses(clauses),
        findings: r.findings,
        actions: r.actions,
        items: r.items.map((i) => ({ reference: i.reference, summary: i.summary, private: i.private, actions: i.actionSummary })),
        more: r.findings > r.items.length ? `and ${(r.findings - r.items.length).toLocaleString('en-GB')} more — the full list is attached as ${FINDINGS_CSV}` : '',
      };
    }),
    needsHuman,
    awaitingAuthorisation: await c.awaitingAuthorisation(),
    awaitingReview,
    notABreach: await c.notABreach(),
    notABreachDays: NOT_A_BREACH_DAYS,
    exceptions: await c.exceptions(),
    authorisations: await c.authorisations(),
    upcomingMeetings: await c.upcomingMeetings(),
    upcomingDays: UPCOMING_MEETING_DAYS,
    election: c.election(),
    sources: await c.sources(),
  };
  const built: BuiltDigest = { period, recipients: digestRecipients(deps), rules, digestEffectIds, sections };
  if (truncated) built.csv = csv.join('');
  return built;
}
