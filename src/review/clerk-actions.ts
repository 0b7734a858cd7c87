/**
 * What the Clerk can do to the outbox and the findings, from the console or the command line:
 * approve what review holds (one, or all of a rule), put a paragraph of their own into a message
 * before it goes, withdraw a message, retry one that failed on this side, release or drop one
 * held in doubt, dismiss a finding as not a breach, authorise what a finding asked for, and add
 * or revoke standing exceptions.
 *
 * Every change is made in one store transaction and audit-logged with who made it: an effect's
 * transitions in the effect audit (approveEffect, withdrawEffect, …, with the actor), settlements
 * and exceptions in the console audit. Approval goes through the outbox like everything else: the
 * effect becomes `pending` and the outbox sends it once (after quiet hours where they apply). A
 * refusal changes nothing and says, in a sentence for the Clerk, why and what to do instead.
 */
import { actionSpec } from '../actions/kinds/index.js';
import { suggest } from '../config/errors.js';
import { nextDay, zonedParts, zonedToUtc } from '../elections/zoned-time.js';
import { decideInDoubt, type InDoubtDecision } from '../outbox/in-doubt.js';
import { COUNTED_STATES, foldTarget } from '../outbox/enqueue.js';
import { planEffects, plannedDelivery, type PlanningContext } from '../outbox/outbox.js';
import { keepsQuietHours, nextAllowedTime } from '../outbox/schedule.js';
import { isRuleId, RULE_IDS } from '../rules/index.js';
import {
  DAILY_SUMMARY_RULE,
  EXCEPTION_MATCHES,
  type ApprovalPlacement,
  type EffectRow,
  type ExceptionMatch,
  type Repositories,
  type Settlement,
  type SettlementKind,
  type StandingException,
  type Store,
} from '../store/types.js';
import { ruleTitle } from '../templates/guidance.js';
import { formatDay, formatWhen } from '../wording/dates.js';
import { normalisePhrase } from './exceptions.js';
import { AUTOMATIC_ACTOR, oneLine, settles, UNSENT_STATES, withdrawUnsent } from './settle.js';

export type ActionResult = { ok: true; message: string; effect?: EffectRow } | { ok: false; message: string };

/** The most the Clerk's cover text may hold, in characters. */
export const COVER_TEXT_MAX = 2000;
/** How long a phrase of a standing exception may be, in characters. */
export const PHRASE_MIN = 3;
export const PHRASE_MAX = 200;
/** How long a reason (for a dismissal, an exception, a withdrawal) may be, in characters. */
export const REASON_MAX = 1000;

/** Control characters other than a line break, and the bidirectional overrides that could disguise text. */
const CONTROL = /[\u0000-\u0009\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/;
const ADDRESS = /^[^\s@<>()[\],;:"]+@[^\s@<>()[\],;:"]+\.[^\s@<>()[\],;:"]+$/;
const DOMAIN = /^(?=.{4,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

function refuse(message: string): { ok: false; message: string } {
  return { ok: false, message };
}

function characters(text: string): number {
  return Array.from(text).length;
}

function plural(n: number, one: string, many: string): string {
  return `${n.toLocaleString('en-GB')} ${n === 1 ? one : many}`;
}

/** A reason as the end of a sentence: with its own full stop (or other closing mark), not two. */
function ending(reason: string): string {
  return /[.!?…]$/.test(reason) ? reason : `${reason}.`;
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** "A", "A and B", "A, B and C". */
function listWords(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items.at(-1) ?? ''}`;
}

/** Where an approved effect goes (see ClerkActions.place). */
interface Placed {
  due: Date;
  /** Absent for an effect no daily cap applies to. */
  placement?: ApprovalPlacement;
  /** When folded: whose summary carries it, the day's limit reached, and when the summary goes. */
  summary?: { person: string; day: string; limit: number; at: string };
  /** When it carries the Clerk's own words and goes on its own although its person's limit for the day is reached. */
  overLimit?: { day: string; limit: number };
}

/** How the messages approved together go: now, after quiet hours, or in each person's daily summary (by person). */
interface ApprovalTally {
  now: number;
  later: number;
  folded: Map<string, number>;
  /** Of those going now or later: over the day's limit, but on their own because they carry the Clerk's words. */
  ownWords: number;
}

/** Thrown inside an approval's transaction when the effect changed meanwhile, so that nothing of it is kept. */
class ChangedMeanwhile extends Error {}

/** Checked text from a person: trimmed, line breaks as \n, within `max` characters, no control characters. */
type Checked = { ok: true; value: string } | { ok: false; message: string };

function checkText(raw: string, what: string, limits: { min?: number; max: number; multiline: boolean }): Checked {
  const value = raw.replace(/\r\n?/g, '\n').trim();
  if (CONTROL.test(value) || (!limits.multiline && value.includes('\n'))) {
    return refuse(`The ${what} contains a control character${limits.multiline ? ' (such as a tab)' : ' or a line break'}; please write it as plain text${limits.multiline ? ', with line breaks only' : ' on one line'}.`);
  }
  const length = characters(value);
  if (length > limits.max) {
    return refuse(`The ${what} is ${length.toLocaleString('en-GB')} characters long; it can be at most ${limits.max.toLocaleString('en-GB')}. Please shorten it.`);
  }
  if (limits.min !== undefined && length < limits.min) {
    return refuse(`The ${what} must be at least ${plural(limits.min, 'character', 'characters')} long.`);
  }
  return { ok: true, value };
}

/**
 * The Clerk's cover text as it is kept: trimmed, line breaks as \n; undefined (no cover text) when
 * empty. Refused when longer than 2,000 characters or holding a control character other than a
 * line break.
 */
export function checkCoverText(raw: string | undefined): { ok: true; value: string | undefined } | { ok: false; message: string } {
  if (raw === undefined) return { ok: true, value: undefined };
  const checked = checkText(raw, 'cover text', { max: COVER_TEXT_MAX, multiline: true });
  if (!checked.ok) return checked;
  return { ok: true, value: checked.value === '' ? undefined : checked.value };
}

function unknownRule(rule: string): string {
  const close = suggest(rule, RULE_IDS);
  return `There is no rule called “${rule}”${close !== undefined ? ` — did you mean “${close}”?` : '.'} The rules are listed in docs/rules/ and by wardwatch explain.`;
}

function titleOf(rule: string): string {
  if (rule === DAILY_SUMMARY_RULE) return 'daily summary';
  return isRuleId(rule) ? ruleTitle(rule) : rule;
}

/** What is awaiting review under one rule. */
export interface ReviewGroup {
  rule: string;
  /** The rule's title, for people. */
  title: string;
  effects: EffectRow[];
}

/** Everything awaiting the Clerk's review, grouped by rule (in the order first held), optionally of one rule only. */
export async function awaitingReview(store: Pick<Repositories, 'listEffects'>, filter: { rule?: string } = {}): Promise<ReviewGroup[]> {
  const groups = new Map<string, ReviewGroup>();
  for (const effect of await store.listEffects({ states: ['awaiting-review'], ...(filter.rule !== undefined ? { rule: filter.rule } : {}) })) {
    if (filter.rule !== undefined && effect.rule !== filter.rule) continue;
    let group = groups.get(effect.rule);
    if (group === undefined) {
      group = { rule: effect.rule, title: titleOf(effect.rule), effects: [] };
      groups.set(effect.rule, group);
    }
    group.effects.push(effect);
  }
  return [...groups.values()];
}

export interface ClerkActionsDeps {
  store: Store;
  planning: PlanningContext;
  clock?: () => Date;
}

type FindingInput = { rule: string; itemKey: string; actor: string; messageId?: string };

export class ClerkActions {
  private readonly store: Store;
  private readonly planning: PlanningContext;
  private readonly clock: () => Date;

  constructor(deps: ClerkActionsDeps) {
    this.store = deps.store;
    this.planning = deps.planning;
    this.clock = deps.clock ?? (() => new Date());
  }

  /* ------------------------------------------------------------------------- wording */

  private when(iso: string): string {
    return formatWhen(iso, this.planning.timeZone);
  }

  /** An exception's end: "the end of Tuesday 30 June 2026" when it ends at midnight, council time. */
  private until(iso: string): string {
    const instant = new Date(iso);
    if (zonedParts(instant, this.planning.timeZone).time === '00:00') return `the end of ${formatDay(new Date(instant.getTime() - 1).toISOString(), this.planning.timeZone)}`;
    return this.when(iso);
  }

  private nameOf(address: string): string {
    return this.planning.people.person(address)?.name ?? address;
  }

  /** "the nudge to Sam Patel", "the notice to the Clerk", "the declining of the room booking". */
  private what(effect: EffectRow): string {
    if (effect.rule === DAILY_SUMMARY_RULE) return `the daily summary for ${this.nameOf(effect.recipient)}`;
    const spec = actionSpec(effect.kind);
    if (spec.verb === 'declined') return `the declining of the ${spec.noun[0]}`;
    if (spec.namesItsRecipient || effect.recipient === '') return `the ${spec.noun[0]}`;
    return `the ${spec.noun[0]} to ${this.nameOf(effect.recipient)}`;
  }

  /** "goes out" for a message, "is carried out" for a booking to decline. */
  private goes(effect: EffectRow): string {
    return actionSpec(effect.kind).mailed ? 'goes out' : 'is carried out';
  }

  /** Where the effect stands, in a sentence (for refusals). */
  private stands(effect: EffectRow): string {
    const What = capitalise(this.what(effect));
    switch (effect.state) {
      case 'awaiting-review':
        return `${What} is awaiting review.`;
      case 'pending':
        return `${What} is already approved and queued: it ${this.goes(effect)} ${Date.parse(effect.nextAttemptAt) > this.clock().getTime() ? `on ${this.when(effect.nextAttemptAt)}` : 'at the next round of the outbox'}.`;
      case 'sending':
        return `${What} is being sent right now.`;
      case 'done':
        return actionSpec(effect.kind).mailed ? 'This message was sent already; it is not sent again.' : `${What} was carried out already; it is not done again.`;
      case 'failed':
        return `${What} could not be carried out${effect.lastError !== undefined ? ` (${effect.lastError})` : ''}.`;
      case 'folded':
        return `${What} was folded into a daily summary${effect.foldedInto !== undefined ? ` (${effect.foldedInto})` : ''}, which carries it instead of its going on its own.`;
      case 'skipped-dry-run':
        return `${What} was recorded while Wardwatch was in dry run, and is never sent.`;
      case 'in-doubt':
        return `${What} is held in doubt: a send was interrupted and the mail server cannot say whether it went.`;
      case 'dropped':
        return `${What} was dropped by the Clerk and is not sent.`;
      case 'withdrawn':
        return `${What} was withdrawn${effect.lastError !== undefined ? ` (${effect.lastError})` : ''}, so it is not sent.`;
    }
  }

  /**
   * The item a finding is about, by its headline: "the message “Ward walkabout”"; "a private
   * matter" when a finding about it, or an effect planned about it, is private (officer conduct,
   * say): its subject is never put in a message or the console's audit.
   */
  private async item(itemKey: string): Promise<string> {
    const privateFinding = (await this.store.getFindings(itemKey)).some((f) => f.finding.private === true);
    if (privateFinding || (await this.store.listEffects({ itemKey })).some((e) => e.itemKey === itemKey && e.payload.private === true)) return 'a private matter';
    const event = await this.store.getEvent(itemKey);
    if (event !== undefined) return `the meeting “${event.summary}”`;
    const headline = await this.store.getMailHeadline(itemKey);
    if (headline !== undefined) return `the message “${headline.subject}”`;
    return `the item ${itemKey}`;
  }

  /* ------------------------------------------------------------------------- checks */

  private checkActor(actor: string): string | undefined {
    const name = actor.trim();
    if (name === '' || characters(name) > 200 || CONTROL.test(name) || name.includes('\n')) {
      return 'The change does not say who is making it, so it was not made. Please sign in again (or, on the command line, run it as yourself).';
    }
    if (name.toLowerCase() === AUTOMATIC_ACTOR) {
      return `“${AUTOMATIC_ACTOR}” names the changes Wardwatch makes by itself, so a person cannot act under it; the change was not made. Please sign in with your own account.`;
    }
    return undefined;
  }

  private async effectFor(key: string, actor: string): Promise<EffectRow | { ok: false; message: string }> {
    const who = this.checkActor(actor);
    if (who !== undefined) return refuse(who);
    const effect = await this.store.getEffect(key);
    if (effect === undefined) {
      return refuse(`There is no message or action with the key ${key} in the outbox. Please check the key: the console lists them, as does wardwatch outbox list.`);
    }
    return effect;
  }

  /** When an effect approved or queued again now is due: now, or after quiet hours where they apply. */
  private dueAt(effect: EffectRow, now: Date): Date {
    const ctx = this.planning;
    return keepsQuietHours(effect.kind, effect.recipient, ctx) ? nextAllowedTime(now, ctx.limits.quietHours, ctx.timeZone) : now;
  }

  private dueWords(effect: EffectRow, due: Date, now: Date): string {
    return due.getTime() <= now.getTime() ? `${this.goes(effect)} now` : `${this.goes(effect)} on ${this.when(due.toISOString())}, after quiet hours`;
  }

  /* ------------------------------------------------------------------------- effects */

  /**
   * Where an effect approved now goes, planned afresh as a new effect would be: due now or after
   * quiet hours, and counted against its person's daily cap for the day it goes — or, over that
   * cap, folded into the day's summary (opened if need be), as the outbox folds a new one
   * (foldTarget). An effect carrying the Clerk's cover text is never folded: a summary lists each
   * reminder in a line or two and would drop the Clerk's words unseen, so it goes on its own even
   * over the cap. Called inside the approval's transaction, so what it approves counts at once.
   */
  private async place(tx: Repositories, effect: EffectRow, now: Date, hasCoverText: boolean): Promise<Placed> {
    const plan = plannedDelivery(effect.kind, effect.recipient, now, this.planning);
    if (plan.cap === undefined) return { due: plan.notBefore };
    const { person, day, limit } = plan.cap;
    if (hasCoverText) {
      const over = (await tx.countCapped(person, day, COUNTED_STATES)) >= limit;
      return { due: plan.notBefore, placement: { state: 'pending', person, day }, ...(over ? { overLimit: { day, limit } } : {}) };
    }
    const summaryKey = await foldTarget(tx, plan.cap, now.toISOString());
    if (summaryKey === undefined) return { due: plan.notBefore, placement: { state: 'pending', person, day } };
    const summary = await tx.getEffect(summaryKey);
    return {
      due: plan.notBefore,
      placement: { state: 'folded', person, day, foldedInto: summaryKey },
      summary: { person, day, limit, at: summary?.nextAttemptAt ?? plan.cap.summary.notBefore },
    };
  }

  /** A cap day (YYYY-MM-DD, council time) for people: "Wednesday 14 January 2026". */
  private dayWords(day: string): string {
    return formatDay(zonedToUtc(day, '12:00', this.planning.timeZone).toISOString(), this.planning.timeZone);
  }

  /**
   * "goes out now", "goes out on … after quiet hours", or "travels in their daily summary, …";
   * for one over the limit sent on its own with the Clerk's words, says so (`whose`: "your" to the
   * Clerk, "the Clerk’s" in the audit).
   */
  private placedWords(effect: EffectRow, placed: Placed, now: Date, whose: string): string {
    const summary = placed.summary;
    if (summary === undefined) {
      const due = this.dueWords(effect, placed.due, now);
      const over = placed.overLimit;
      if (over === undefined) return due;
      return `${due}, on its own so that ${whose} own words go with it, although they have had the ${plural(over.limit, 'message', 'messages')} allowed for ${this.dayWords(over.day)} already (a daily summary lists each reminder briefly, without such words)`;
    }
    return `travels in their daily summary, which goes out on ${this.when(summary.at)}: they have had the ${plural(summary.limit, 'message', 'messages')} allowed for ${this.dayWords(summary.day)} already`;
  }

  /** awaiting-review → pending (due now, or after quiet hours) or, over the daily cap, folded into the day's summary; with the cover text when given (empty: none). */
  async approve(key: string, actor: string, options: { coverText?: string } = {}): Promise<ActionResult> {
    const effect = await this.effectFor(key, actor);
    if ('ok' in effect) return effect;
    // "Sent already; not sent again" says all there is to say.
    if (effect.state !== 'awaiting-review') return refuse(`${this.stands(effect)}${effect.state === 'done' ? '' : ' Nothing was changed.'}`);
    const cover = checkCoverText(options.coverText);
    if (!cover.ok) return refuse(`${cover.message} Nothing was approved.`);
    const now = this.clock();
    const what = this.what(effect);
    const approved = await this.store.transaction(async (tx): Promise<{ words: string } | undefined> => {
      // Read again inside the transaction: what is placed under the cap is what is approved.
      const current = await tx.getEffect(key);
      if (current?.state !== 'awaiting-review') return undefined;
      if (options.coverText !== undefined && cover.value === undefined && current.coverText !== undefined) {
        await tx.setCoverText(current.id, now.toISOString(), undefined, { actor, outcome: `Cover text removed by ${actor}.` });
      }
      // The words it goes with: those given now, or (given none) those saved earlier on its page.
      const coverText = options.coverText !== undefined ? cover.value : current.coverText;
      const placed = await this.place(tx, current, now, coverText !== undefined);
      const ok = await tx.approveEffect(current.id, now.toISOString(), placed.due.toISOString(), {
        actor,
        outcome: `Approved by ${actor}: ${what} ${this.placedWords(current, placed, now, 'the Clerk’s')}${coverText !== undefined && placed.overLimit === undefined ? ', with the Clerk’s cover text' : ''}.`,
        ...(cover.value !== undefined ? { coverText: cover.value } : {}),
        ...(placed.placement !== undefined ? { placement: placed.placement } : {}),
      });
      // Undo a summary opened for it: nothing was approved after all.
      if (!ok) throw new ChangedMeanwhile();
      return { words: this.placedWords(current, placed, now, 'your') };
    }).catch((err: unknown) => {
      if (err instanceof ChangedMeanwhile) return undefined;
      throw err;
    });
    if (approved === undefined) return await this.changedMeanwhile(key, 'approved');
    return { ok: true, message: `Approved: ${what} ${approved.words}.`, ...(await this.current(key)) };
  }

  /**
   * Approve everything awaiting review (of one rule, when given), in one transaction. With `upTo`
   * (the highest effect id the Clerk's page showed), only those with an id up to it: effect ids
   * only grow, so anything held after the page was made has a greater id and stays waiting, and
   * the message says so. A message carrying the Clerk's cover text goes on its own, even over its
   * person's daily limit (see place).
   */
  async approveAll(filter: { rule?: string; upTo?: number }, actor: string): Promise<{ approved: string[]; message: string }> {
    const who = this.checkActor(actor);
    if (who !== undefined) return { approved: [], message: who };
    if (filter.rule !== undefined && filter.rule !== DAILY_SUMMARY_RULE && !isRuleId(filter.rule)) {
      return { approved: [], message: `${unknownRule(filter.rule)} Nothing was approved.` };
    }
    const upTo = filter.upTo;
    if (upTo !== undefined && (!Number.isSafeInteger(upTo) || upTo < 1)) {
      return { approved: [], message: 'The page you approved from did not say which messages it showed, so nothing was approved. Please open it again and approve what it shows.' };
    }
    const now = this.clock();
    const under = filter.rule !== undefined ? ` under “${titleOf(filter.rule)}”` : '';
    const together = upTo !== undefined ? `with the other messages${under} the review page showed them` : `with everything else awaiting review${under}`;
    const result = await this.store.transaction(async (tx) => {
      const approved: string[] = [];
      const tally: ApprovalTally = { now: 0, later: 0, folded: new Map(), ownWords: 0 };
      let arrived = 0;
      for (const group of await awaitingReview(tx, filter.rule !== undefined ? { rule: filter.rule } : {})) {
        for (const effect of group.effects) {
          if (upTo !== undefined && effect.id > upTo) {
            arrived += 1;
            continue;
          }
          const placed = await this.place(tx, effect, now, effect.coverText !== undefined);
          const ok = await tx.approveEffect(effect.id, now.toISOString(), placed.due.toISOString(), {
            actor,
            outcome: `Approved by ${actor}, ${together}: ${this.what(effect)} ${this.placedWords(effect, placed, now, 'the Clerk’s')}.`,
            ...(placed.placement !== undefined ? { placement: placed.placement } : {}),
          });
          if (!ok) continue;
          approved.push(effect.key);
          if (placed.summary !== undefined) tally.folded.set(placed.summary.person, (tally.folded.get(placed.summary.person) ?? 0) + 1);
          else if (placed.due.getTime() > now.getTime()) tally.later += 1;
          else tally.now += 1;
          if (placed.overLimit !== undefined) tally.ownWords += 1;
        }
      }
      return { approved, tally, arrived };
    });
    const n = result.approved.length;
    const arrived =
      result.arrived > 0 ? ` ${result.arrived.toLocaleString('en-GB')} more arrived since you opened the page and still ${result.arrived === 1 ? 'waits' : 'wait'} for your review.` : '';
    if (n === 0) {
      const none =
        upTo !== undefined ? `None of the messages you were shown${under} is still awaiting review, so nothing was approved.` : `Nothing is awaiting review${under}, so nothing was approved.`;
      return { approved: [], message: `${none}${arrived}` };
    }
    const k = result.tally.ownWords;
    const ownWords =
      k > 0
        ? ` ${plural(k, 'message carries', 'messages carry')} your own words, so ${k === 1 ? 'it goes on its' : 'they go on their'} own rather than in a daily summary (which lists each reminder briefly, without such words), although the day’s limit of messages is reached.`
        : '';
    return { approved: result.approved, message: `Approved ${plural(n, 'message', 'messages')}${under}: ${this.tallyWords(result.tally, n)}.${ownWords}${arrived}` };
  }

  /** How the approved messages go: "they go out now", "2 go out now; 197 travel in Cllr Tom Baker’s daily summary, …". */
  private tallyWords(tally: ApprovalTally, n: number): string {
    const foldedCount = [...tally.folded.values()].reduce((a, b) => a + b, 0);
    const sending = tally.now + tally.later;
    if (foldedCount === 0) {
      if (tally.later === 0) return `${n === 1 ? 'it goes' : 'they go'} out now`;
      if (tally.later === n) return `${n === 1 ? 'it goes' : 'they go'} out after quiet hours`;
      return `${plural(tally.later, 'waits', 'wait')} for the end of quiet hours, the rest go out now`;
    }
    const parts: string[] = [];
    if (sending > 0) {
      if (tally.later === 0) parts.push(`${plural(sending, 'goes', 'go')} out now`);
      else if (tally.now === 0) parts.push(`${plural(sending, 'goes', 'go')} out after quiet hours`);
      else parts.push(`${plural(tally.now, 'goes', 'go')} out now and ${tally.later.toLocaleString('en-GB')} after quiet hours`);
    }
    const people = [...tally.folded.entries()];
    const whose =
      people.length === 1 && people[0] !== undefined
        ? `${this.nameOf(people[0][0])}’s daily summary`
        : `the daily summaries of ${listWords(people.map(([person, count]) => `${this.nameOf(person)} (${count.toLocaleString('en-GB')})`))}`;
    parts.push(`${plural(foldedCount, 'travels', 'travel')} in ${whose}, as the day’s limit of messages to ${people.length === 1 ? 'them' : 'each'} is reached`);
    return parts.join('; ');
  }

  /** Set the cover text of an effect awaiting review; undefined or empty removes it. */
  async setCoverText(key: string, actor: string, coverText: string | undefined): Promise<ActionResult> {
    const effect = await this.effectFor(key, actor);
    if ('ok' in effect) return effect;
    if (effect.state !== 'awaiting-review') {
      return refuse(`${this.stands(effect)} The cover text can be changed only while a message awaits review, so nothing was changed.`);
    }
    const cover = checkCoverText(coverText);
    if (!cover.ok) return refuse(`${cover.message} The cover text was not changed.`);
    const what = this.what(effect);
    const outcome = cover.value === undefined ? `Cover text removed by ${actor}.` : `Cover text written by ${actor} (${plural(characters(cover.value), 'character', 'characters')}).`;
    const changed = await this.store.setCoverText(effect.id, this.clock().toISOString(), cover.value, { actor, outcome });
    if (!changed) return await this.changedMeanwhile(key, 'changed');
    const message =
      cover.value === undefined
        ? `Removed the cover text from ${what}.`
        : `Saved your cover text for ${what}: it goes after the greeting when the message is approved.`;
    return { ok: true, message, ...(await this.current(key)) };
  }

  /** awaiting-review, pending, or folded into a daily summary still waiting to go → withdrawn: never sent. */
  async withdraw(key: string, actor: string, reason?: string): Promise<ActionResult> {
    const effect = await this.effectFor(key, actor);
    if ('ok' in effect) return effect;
    let why: string | undefined;
    if (reason !== undefined) {
      const checked = checkText(reason, 'reason', { max: REASON_MAX, multiline: false });
      if (!checked.ok) return refuse(`${checked.message} Nothing was withdrawn.`);
      why = checked.value === '' ? undefined : checked.value;
    }
    if (!(UNSENT_STATES as readonly string[]).includes(effect.state)) {
      const hint = effect.state === 'in-doubt' ? ' To make sure it is not sent, drop it instead.' : '';
      return refuse(`${this.stands(effect)} Only a message that has not gone yet (awaiting review, queued, or waiting in a daily summary) can be withdrawn.${hint}`);
    }
    if (effect.rule === DAILY_SUMMARY_RULE) return refuse(await this.summaryStays(effect));
    const gone = await this.summaryGone(effect);
    if (gone !== undefined) return refuse(gone);
    const what = this.what(effect);
    const withdrawn = await this.store.withdrawEffect(effect.id, this.clock().toISOString(), {
      actor,
      outcome: `Withdrawn by ${actor}: ${what} will not be sent${why !== undefined ? ` (${why})` : ''}.`,
      ...(why !== undefined ? { reason: why } : {}),
    });
    if (!withdrawn) {
      // Its summary may have been claimed for sending in the meantime: the store refuses then.
      const now = await this.store.getEffect(key);
      const goneSince = now !== undefined ? await this.summaryGone(now) : undefined;
      return goneSince !== undefined ? refuse(goneSince) : await this.changedMeanwhile(key, 'withdrawn');
    }
    const summary = effect.state === 'folded' ? '; its daily summary leaves it out' : '';
    return { ok: true, message: `Withdrawn: ${what} will not be sent${summary}.`, ...(await this.current(key)) };
  }

  /**
   * Why a reminder folded into a daily summary can no longer be withdrawn: its summary is being
   * sent, has gone, or otherwise no longer waits to go. Undefined for any other effect, and for a
   * reminder whose summary is still pending (the store checks that again as it withdraws it).
   */
  private async summaryGone(effect: EffectRow): Promise<string | undefined> {
    if (effect.state !== 'folded') return undefined;
    const summary = effect.foldedInto !== undefined ? await this.store.getEffect(effect.foldedInto) : undefined;
    if (summary?.state === 'pending') return undefined;
    if (summary === undefined) return 'It was folded into a daily summary that is no longer in the outbox; it cannot be withdrawn now.';
    const whose = `${this.nameOf(summary.recipient)}’s daily summary`;
    switch (summary.state) {
      case 'done':
        return `It went in ${whose} on ${this.when(summary.doneAt ?? summary.lastAttemptAt ?? summary.nextAttemptAt)}; it cannot be withdrawn now.`;
      case 'sending':
        return `It is going out in ${whose} right now; it cannot be withdrawn now.`;
      case 'in-doubt':
        return `It is in ${whose}, which was being sent when Wardwatch stopped and is held in doubt; it cannot be withdrawn now. To keep it from going, drop the summary on its page.`;
      case 'failed':
        return `It is in ${whose}, which could not be sent${summary.lastError !== undefined ? ` (${summary.lastError})` : ''}; it cannot be withdrawn now.`;
      case 'dropped':
      case 'withdrawn':
        return `It was in ${whose}, which was ${summary.state}, so it does not go either; it cannot be withdrawn now.`;
      default:
        return `It is in ${whose}, which no longer waits to go; it cannot be withdrawn now.`;
    }
  }

  /**
   * Why a daily summary is not withdrawn: it carries the reminders folded into it, which would be
   * dropped unseen with it. The Clerk withdraws those reminders themselves, or lets it go.
   */
  private async summaryStays(summary: EffectRow): Promise<string> {
    const carried = (await this.store.listEffects({ foldedInto: summary.key, states: ['folded'] })).filter((e) => e.foldedInto === summary.key).length;
    const What = capitalise(this.what(summary));
    const carries =
      carried > 0
        ? `carries ${plural(carried, 'reminder', 'reminders')} folded into it, which would be dropped unseen with it`
        : 'carries whatever reminders are folded into it (none at present, so it sends nothing)';
    return `${What} is not withdrawn: it ${carries}. To stop a reminder, withdraw that reminder itself (the summary then leaves it out); otherwise let the summary go. Nothing was changed.`;
  }

  /** failed (because of a fault on this side, now put right) → pending. */
  async retry(key: string, actor: string): Promise<ActionResult> {
    const effect = await this.effectFor(key, actor);
    if ('ok' in effect) return effect;
    const What = capitalise(this.what(effect));
    if (effect.state !== 'failed') return refuse(`${this.stands(effect)} Only a message that failed can be retried.`);
    if (effect.localFault !== true) {
      return refuse(
        `${What} failed at the mail system or kept failing there${effect.lastError !== undefined ? ` (${effect.lastError})` : ''}, so it may have been delivered, or would be refused again: Wardwatch does not send it again. Please follow it up by hand.`,
      );
    }
    const now = this.clock();
    const due = this.dueAt(effect, now);
    const words = this.dueWords(effect, due, now);
    const requeued = await this.store.requeueFailed(effect.id, now.toISOString(), due.toISOString(), `Queued again by ${actor} after the fault was put right: ${this.what(effect)} ${words}.`, actor);
    if (!requeued) return await this.changedMeanwhile(key, 'retried');
    return { ok: true, message: `Queued again: ${this.what(effect)} ${words}.`, ...(await this.current(key)) };
  }

  /** in-doubt → pending: sent once, even though an earlier attempt may have gone. */
  async release(key: string, actor: string): Promise<ActionResult> {
    return await this.decide(key, actor, 'release');
  }

  /** in-doubt → dropped: never sent. */
  async drop(key: string, actor: string): Promise<ActionResult> {
    return await this.decide(key, actor, 'drop');
  }

  private async decide(key: string, actor: string, decision: InDoubtDecision): Promise<ActionResult> {
    if (key.startsWith('digest;')) return await this.decideDigest(key, actor, decision);
    const effect = await this.effectFor(key, actor);
    if ('ok' in effect) return effect;
    if (effect.state !== 'in-doubt') return refuse(`${this.stands(effect)} Only a message held in doubt can be ${decision === 'release' ? 'released' : 'dropped'}.`);
    const what = this.what(effect);
    const now = this.clock().toISOString();
    const changed =
      decision === 'release'
        ? await this.store.releaseInDoubt(effect.id, now, `Released by ${actor}: ${what} will be sent once, even though an earlier attempt may have gone out.`, actor)
        : await this.store.dropInDoubt(effect.id, now, `Dropped by ${actor}: ${what} will not be sent.`, actor);
    if (!changed) return await this.changedMeanwhile(key, decision === 'release' ? 'released' : 'dropped');
    const message = decision === 'release' ? `Released: ${what} will be sent once by the running service.` : `Dropped: ${what} will not be sent.`;
    return { ok: true, message, ...(await this.current(key)) };
  }

  /** A digest held in doubt (`digest;YYYY-MM-DD`): decided as `wardwatch outbox release|drop` does, with the console audit naming who. */
  private async decideDigest(key: string, actor: string, decision: InDoubtDecision): Promise<ActionResult> {
    const who = this.checkActor(actor);
    if (who !== undefined) return refuse(who);
    const now = this.clock().toISOString();
    return await this.store.transaction(async (tx) => {
      const outcome = await decideInDoubt(this.store, key, decision, now);
      if (!outcome.changed) return refuse(outcome.message);
      await tx.recordConsoleAction({ at: now, actor, action: decision === 'release' ? 'digest-released' : 'digest-dropped', subject: key, detail: outcome.message });
      return { ok: true, message: outcome.message };
    });
  }

  /** After a store method said no: what the effect is now. */
  private async changedMeanwhile(key: string, verb: string): Promise<ActionResult> {
    const now = await this.store.getEffect(key);
    return refuse(`It was not ${verb}: it changed meanwhile. ${now !== undefined ? this.stands(now) : ''}`.trim());
  }

  private async current(key: string): Promise<{ effect?: EffectRow }> {
    const effect = await this.store.getEffect(key);
    return effect !== undefined ? { effect } : {};
  }

  /* ------------------------------------------------------------------------- findings */

  /** The finding is not a breach: it leaves the digest, plans nothing more; what it planned and has not sent is withdrawn. */
  async dismiss(input: FindingInput & { reason: string }): Promise<ActionResult & { withdrawn?: string[] }> {
    const reason = checkText(input.reason, 'reason', { min: 3, max: REASON_MAX, multiline: true });
    if (!reason.ok) {
      return refuse(input.reason.trim() === '' ? 'Please give a reason: a few words saying why this is not a breach. Nothing was dismissed.' : `${reason.message} Nothing was dismissed.`);
    }
    return await this.settle(input, 'dismissed', reason.value);
  }

  /** The Clerk authorised what the finding asked for (an officer's attendance at a party-group meeting, say). */
  async authorise(input: FindingInput & { note?: string }): Promise<ActionResult & { withdrawn?: string[] }> {
    let note = 'Authorised by the Clerk.';
    if (input.note !== undefined && input.note.trim() !== '') {
      const checked = checkText(input.note, 'note', { max: REASON_MAX, multiline: true });
      if (!checked.ok) return refuse(`${checked.message} Nothing was authorised.`);
      note = checked.value;
    }
    return await this.settle(input, 'authorised', note);
  }

  private async settle(input: FindingInput, kind: Exclude<SettlementKind, 'excepted'>, reason: string): Promise<ActionResult & { withdrawn?: string[] }> {
    const verb = kind === 'dismissed' ? 'dismissed' : 'authorised';
    const who = this.checkActor(input.actor);
    if (who !== undefined) return refuse(who);
    if (!isRuleId(input.rule)) return refuse(`${unknownRule(input.rule)} Nothing was ${verb}.`);
    const title = ruleTitle(input.rule);
    const item = await this.item(input.itemKey);
    const messageId = input.messageId?.trim() === '' ? undefined : input.messageId?.trim();
    const findings = (await this.store.getFindings(input.itemKey, input.rule)).filter((f) => messageId === undefined || f.finding.messageId === messageId);
    if (findings.length === 0) {
      return refuse(`There is no finding of “${title}” about ${item}${messageId !== undefined ? ` of the kind ${messageId}` : ''}, so nothing was ${verb}. Please check the item and the rule.`);
    }
    const now = this.clock().toISOString();
    const actor = input.actor.trim();
    const result = await this.store.transaction(async (tx): Promise<{ earlier: Settlement } | { withdrawn: string[] }> => {
      const settlements = await tx.listSettlements({ itemKey: input.itemKey, rule: input.rule });
      const earlier = settlements.find((s) => findings.every((f) => settles(s, f.finding)));
      if (earlier !== undefined) return { earlier };
      const settlement = await tx.settleFinding({ rule: input.rule, itemKey: input.itemKey, kind, ...(messageId !== undefined ? { messageId } : {}), reason, actor, at: now });
      const withdrawn = await withdrawUnsent(
        tx,
        input.rule,
        input.itemKey,
        now,
        {
          actor,
          outcome:
            kind === 'dismissed'
              ? `Withdrawn by ${actor}: the finding was dismissed as not a breach (${oneLine(reason)}).`
              : `Withdrawn by ${actor}: the Clerk authorised what the finding asked for (${oneLine(reason)}).`,
        },
        messageId !== undefined ? await this.stillNeeded(tx, input.rule, input.itemKey, [...settlements, settlement]) : undefined,
      );
      const followUp = withdrawn.length > 0 ? ` ${plural(withdrawn.length, 'message', 'messages')} not yet sent ${withdrawn.length === 1 ? 'was' : 'were'} withdrawn.` : '';
      const detail =
        kind === 'dismissed'
          ? `Dismissed the finding of “${title}” about ${item} as not a breach: ${ending(oneLine(reason))}${followUp}`
          : `Authorised what the finding of “${title}” about ${item} asked for: ${ending(oneLine(reason))}${followUp}`;
      await tx.recordConsoleAction({
        at: now,
        actor,
        action: kind === 'dismissed' ? 'dismiss' : 'authorise',
        subject: `${input.rule} ${input.itemKey}${messageId !== undefined ? ` ${messageId}` : ''}`,
        detail,
      });
      return { withdrawn: withdrawn.map((e) => e.key) };
    });
    if ('earlier' in result) return refuse(this.alreadySettled(result.earlier, title, item));
    const n = result.withdrawn.length;
    const followUp = n > 0 ? ` ${plural(n, 'message', 'messages')} not yet sent ${n === 1 ? 'was' : 'were'} withdrawn.` : ' Nothing was waiting to be sent.';
    const lead =
      kind === 'dismissed'
        ? `Dismissed: the finding of “${title}” about ${item} is recorded as not a breach; it leaves the digest and is counted under its rule.`
        : `Authorised: the finding of “${title}” about ${item} is recorded as authorised by you.`;
    return { ok: true, message: `${lead}${followUp}`, withdrawn: result.withdrawn };
  }

  private alreadySettled(earlier: Settlement, title: string, item: string): string {
    const how = earlier.kind === 'dismissed' ? 'dismissed as not a breach' : earlier.kind === 'authorised' ? 'authorised' : 'covered by a standing exception';
    return `The finding of “${title}” about ${item} was already ${how} by ${earlier.actor} on ${this.when(earlier.at)} (${oneLine(earlier.reason)}); nothing was changed.`;
  }

  /**
   * The keys of the effects the rule's findings on the item that no settlement covers still plan:
   * settling one of its findings (by message id) leaves what the others need, as the outbox
   * planned it (planEffects), in place.
   */
  private async stillNeeded(tx: Repositories, rule: string, itemKey: string, settlements: readonly Settlement[]): Promise<Set<string>> {
    const keys = new Set<string>();
    const now = this.clock();
    for (const stored of await tx.getFindings(itemKey, rule)) {
      if (settlements.some((s) => settles(s, stored.finding))) continue;
      for (const effect of planEffects(stored.finding, now, this.planning)) keys.add(effect.key);
    }
    return keys;
  }

  /* ------------------------------------------------------------------------- exceptions */

  /**
   * "Findings like this are not breaches until …": a sender address, a recipient domain or a
   * phrase, for one rule or all, applied to items read from now on.
   */
  async addException(input: {
    rule?: string;
    match: ExceptionMatch;
    value: string;
    reason: string;
    expiresAt: string;
    actor: string;
  }): Promise<ActionResult & { exception?: StandingException }> {
    const who = this.checkActor(input.actor);
    if (who !== undefined) return refuse(who);
    const rule = input.rule?.trim() === '' ? undefined : input.rule?.trim();
    if (rule !== undefined && !isRuleId(rule)) return refuse(`${unknownRule(rule)} No exception was added.`);
    if (!EXCEPTION_MATCHES.includes(input.match)) return refuse('An exception matches a sender, a recipient domain or a phrase; please choose one. No exception was added.');
    const value = this.exceptionValue(input.match, input.value);
    if (!value.ok) return refuse(`${value.message} No exception was added.`);
    const reason = checkText(input.reason, 'reason', { min: 3, max: REASON_MAX, multiline: true });
    if (!reason.ok) {
      return refuse(input.reason.trim() === '' ? 'Please give a reason for the exception: a few words saying why such findings are not breaches. No exception was added.' : `${reason.message} No exception was added.`);
    }
    const now = this.clock();
    const expires = this.expiry(input.expiresAt, now);
    if (!expires.ok) return refuse(`${expires.message} No exception was added.`);
    const actor = input.actor.trim();
    const scope = rule !== undefined ? `findings of “${ruleTitle(rule)}”` : 'findings of any rule';
    const covers = this.covers(input.match, value.value);
    const result = await this.store.transaction(async (tx): Promise<{ same: StandingException } | { exception: StandingException }> => {
      const same = (await tx.listExceptions({ activeAt: now.toISOString() })).find((e) => e.match === input.match && e.value === value.value && e.rule === rule);
      if (same !== undefined) return { same };
      const exception = await tx.addException({
        ...(rule !== undefined ? { rule } : {}),
        match: input.match,
        value: value.value,
        reason: reason.value,
        actor,
        createdAt: now.toISOString(),
        expiresAt: expires.value,
      });
      await tx.recordConsoleAction({
        at: now.toISOString(),
        actor,
        action: 'exception-added',
        subject: `exception ${exception.id}`,
        detail: `Added standing exception ${exception.id}: ${scope} ${covers} are not breaches until ${this.until(exception.expiresAt)} (${oneLine(exception.reason)}).`,
      });
      return { exception };
    });
    if ('same' in result) {
      return refuse(`Standing exception ${result.same.id} already covers ${scope} ${covers}, until ${this.until(result.same.expiresAt)}; no second one was added.`);
    }
    return {
      ok: true,
      message: `Added standing exception ${result.exception.id}: ${scope} ${covers} are not treated as breaches until ${this.until(result.exception.expiresAt)}. It applies to messages and meetings read from now on.`,
      exception: result.exception,
    };
  }

  /** The exception's value as it is kept (lower-cased), or why it is refused. */
  private exceptionValue(match: ExceptionMatch, raw: string): Checked {
    const trimmed = raw.trim().toLowerCase();
    switch (match) {
      case 'sender':
        return ADDRESS.test(trimmed) && !CONTROL.test(trimmed)
          ? { ok: true, value: trimmed }
          : refuse(`“${raw.trim()}” does not look like an e-mail address; please give the sender’s address, such as sam.patel@example.gov.uk.`);
      case 'recipient-domain': {
        const domain = trimmed.replace(/^@/, '');
        return DOMAIN.test(domain) ? { ok: true, value: domain } : refuse(`“${raw.trim()}” does not look like a domain; please give the part of the addresses after the @, such as example.gov.uk.`);
      }
      case 'phrase': {
        const checked = checkText(raw, 'phrase', { min: PHRASE_MIN, max: PHRASE_MAX, multiline: false });
        if (!checked.ok) return refuse(`${checked.message} A phrase is between ${PHRASE_MIN} and ${PHRASE_MAX} characters long.`);
        return { ok: true, value: normalisePhrase(checked.value) };
      }
    }
  }

  private covers(match: ExceptionMatch, value: string): string {
    switch (match) {
      case 'sender':
        return `in messages from ${value} (and meetings organised by that address)`;
      case 'recipient-domain':
        return `in messages to anyone at ${value} (and meetings with guests there)`;
      case 'phrase':
        return `in messages and meetings that mention “${value}”`;
    }
  }

  /**
   * The expiry as an instant: a date (YYYY-MM-DD) means the end of that day in the council's time
   * zone. It must be in the future and no more than a year ahead (to the end of that day).
   */
  private expiry(raw: string, now: Date): Checked {
    const text = raw.trim();
    const timeZone = this.planning.timeZone;
    let instant: Date;
    if (DATE_ONLY.test(text)) {
      const parsed = new Date(`${text}T12:00:00Z`);
      if (Number.isNaN(parsed.getTime()) || parsed.toISOString().slice(0, 10) !== text) return refuse(`“${text}” is not a date; please write it as YYYY-MM-DD.`);
      instant = zonedToUtc(nextDay(text), '00:00', timeZone);
    } else {
      instant = new Date(text);
      if (text === '' || Number.isNaN(instant.getTime())) return refuse(`“${text}” is not a date; please give the expiry as a date, YYYY-MM-DD.`);
    }
    if (instant.getTime() <= now.getTime()) return refuse('The expiry must be in the future.');
    const yearAhead = new Date(now.getTime());
    yearAhead.setUTCFullYear(yearAhead.getUTCFullYear() + 1);
    const lastDay = zonedParts(yearAhead, timeZone).day;
    const limit = zonedToUtc(nextDay(lastDay), '00:00', timeZone);
    if (instant.getTime() > limit.getTime()) {
      return refuse(`An exception lasts at most a year; please choose an expiry on or before ${formatDay(yearAhead.toISOString(), timeZone)}.`);
    }
    return { ok: true, value: instant.toISOString() };
  }

  /** Revoke a standing exception: findings it covered are acted on again from now on. */
  async revokeException(id: number, actor: string): Promise<ActionResult> {
    const who = this.checkActor(actor);
    if (who !== undefined) return refuse(who);
    const name = actor.trim();
    const existing = Number.isSafeInteger(id) && id > 0 ? await this.store.getException(id) : undefined;
    if (existing === undefined) return refuse(`There is no standing exception number ${id}. The “not a breach” page lists them.`);
    if (existing.revokedAt !== undefined) {
      return refuse(`Standing exception ${id} was revoked already${existing.revokedBy !== undefined ? ` by ${existing.revokedBy}` : ''} on ${this.when(existing.revokedAt)}; nothing was changed.`);
    }
    const now = this.clock().toISOString();
    const revoked = await this.store.transaction(async (tx) => {
      if (!(await tx.revokeException(id, name, now))) return false;
      await tx.recordConsoleAction({
        at: now,
        actor: name,
        action: 'exception-revoked',
        subject: `exception ${id}`,
        detail: `Revoked standing exception ${id} (${existing.match} ${existing.value}): findings it covered are acted on again from now on.`,
      });
      return true;
    });
    if (!revoked) return refuse(`Standing exception ${id} was revoked meanwhile; nothing was changed.`);
    return { ok: true, message: `Revoked standing exception ${id}: findings it covered are acted on again from now on.` };
  }
}
