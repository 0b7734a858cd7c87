/**
 * The live pipeline: the RecordSink every source hands its raw records to.
 *
 * For each record: parse it once (ItemStream, which merges it with earlier copies of the same
 * message or event), skip items whose content has not changed since they were last judged,
 * evaluate the rest with the engine, and record the evaluation — item seen, findings, effects —
 * in one transaction through the outbox (in dry-run mode the effects are recorded as skipped).
 * Alongside: the raw original of a message is kept when a finding leads to a message (the
 * executor quotes its subject and date, and attaches it to a copy routed to the Clerk), events are
 * summarised for the digest, needs-a-human notices are recorded, and what cannot be read is
 * quarantined as a problem. One bad record never stops the next.
 *
 * A finding the Clerk has settled (dismissed as not a breach, or authorised) plans no further
 * effects, and neither does one a standing exception in force covers (a sender, a recipient
 * domain, a phrase): that one is recorded as settled `excepted`, in the same transaction. The
 * findings themselves are stored as found, so the item's page shows them with their settlement.
 *
 * A source also says what it no longer holds (`removed`: an event deleted or cancelled, a message
 * deleted from every mailbox it was seen in): the effects planned for it that have not been
 * carried out are withdrawn (never one being sent or sent), and the digest lists them as such. An
 * event read as cancelled (STATUS:CANCELLED) withdraws its effects the same way.
 *
 * A failing state store (a damaged page, a full disk) is not a problem with the record: the error
 * goes back to the source, which does not mark the record read and tries it again later, so no
 * item is lost to a store that could not keep it.
 */
import { createHash } from 'node:crypto';
import { eventSummaryOf as summariseEvent } from '../digest/event-summary.js';
import type { Engine, ItemEvaluation } from '../engine/engine.js';
import type { EventItem, Item, Problem, RawRecord } from '../items/types.js';
import { normalisedEventError, normalisedEventsToICalendar } from '../items/normalised-event.js';
import { headlineOf } from '../items/headline.js';
import { parseEffectKey } from '../outbox/idempotency.js';
import type { Outbox } from '../outbox/outbox.js';
import { horizonFor } from '../pipeline/check.js';
import { ItemStream, type ItemMemory } from '../pipeline/item-stream.js';
import type { RecordSink, Removal, SourceRecord } from '../sources/types.js';
import { storeFailureOf } from '../store/failure.js';
import type { EffectRow, EnqueueOutcome, EventSummary, Store, WithdrawTarget } from '../store/types.js';
import { settlingFor, type SettlingReport } from '../review/settle.js';
import type { ServiceAlarms } from './alarms.js';
import { errorMessage, type ServiceLogger } from './logger.js';
import type { ServiceMetrics } from './metrics.js';

export interface PipelineDeps {
  store: Store;
  engine: Engine;
  outbox: Outbox;
  logger: ServiceLogger;
  metrics?: ServiceMetrics;
  /** Where earlier copies are remembered (default: in memory only). */
  memory?: ItemMemory;
  /** Record effects as skipped instead of queueing them (default: the config's `dryRun`). */
  dryRun?: boolean;
  /** Told when the state store fails (and when a write works again), for /healthz. */
  alarms?: ServiceAlarms;
  /** Called when new effects were queued, so the outbox can run at once. */
  onEffects?: () => void;
  now?: () => Date;
}

/** What one record led to (for tests and logs). */
export interface RecordOutcome {
  items: { key: string; kind: Item['kind']; status: 'evaluated' | 'unchanged' | 'before-fresh-start' | 'error'; findings: number; enqueued: number }[];
  problems: number;
}

/**
 * A hash of everything the rules see of the item (the merged copies included), so that a new
 * copy of a message already judged, or an edited event, is judged again, and an unchanged
 * re-read is not.
 */
export function evaluationHash(item: Item): string {
  return createHash('sha256').update(JSON.stringify(item), 'utf8').digest('hex');
}

/** What the store keeps of an event for the digest and the executor (the digest's summary of it). */
export function eventSummaryOf(item: EventItem, engine: Engine, now: Date): EventSummary {
  return summariseEvent(item, engine.directory, engine.calendars, now.toISOString());
}

export class LivePipeline implements RecordSink {
  private readonly stream: ItemStream;
  private readonly now: () => Date;
  private readonly dryRun: boolean;

  constructor(private readonly deps: PipelineDeps) {
    const engine = deps.engine;
    this.now = deps.now ?? (() => new Date());
    this.dryRun = deps.dryRun ?? engine.config.dryRun;
    this.stream = new ItemStream({
      timeZone: engine.config.council.timezone,
      horizon: () => horizonFor(this.now().toISOString(), engine.config.horizonDays),
      isRoomCalendar: (id) => engine.isRoomCalendar(id),
      trustedAuthservIds: engine.config.authentication.trustedServers,
      ...(deps.memory ? { memory: deps.memory } : {}),
    });
  }

  /**
   * Records are taken one at a time, in the order they came. Sources hand them over side by side
   * (a cloud connector reads several mailboxes at once), and two copies of one message (the
   * recipient's and the sender's Sent copy, with its Bcc) must be merged one after the other: taken
   * together, each would be judged without the other.
   */
  private turn: Promise<unknown> = Promise.resolve();

  private inTurn<T>(work: () => Promise<T>): Promise<T> {
    const run = this.turn.then(work);
    this.turn = run.catch(() => undefined);
    return run;
  }

  async record(record: SourceRecord): Promise<void> {
    await this.take(record);
  }

  /** Like `record`, saying what happened. */
  take(given: SourceRecord): Promise<RecordOutcome> {
    return this.inTurn(() => this.takeNow(given));
  }

  private async takeNow(given: SourceRecord): Promise<RecordOutcome> {
    const record = this.rawOf(given);
    if ('reason' in record) {
      await this.quarantine(record);
      return { items: [], problems: 1 };
    }
    let items: Item[];
    try {
      items = await this.stream.take(record);
    } catch (err) {
      this.stream.takeProblems();
      this.rethrowStoreFailure(err);
      // Something the parsers did not expect: the record is quarantined, the source goes on.
      // (When the state store itself is failing, recording the problem throws and the source retries.)
      await this.quarantine({ origin: record.origin, kind: record.kind, reason: `could not be read: ${errorMessage(err)}` });
      return { items: [], problems: 1 };
    }
    const problems = this.stream.takeProblems();
    for (const p of problems) await this.quarantine(p);
    if (problems.length === 0) await this.deps.store.clearProblem(record.origin);

    const outcome: RecordOutcome = { items: [], problems: problems.length };
    for (const item of items) {
      try {
        const done = await this.process(item, record);
        if (done.status === 'evaluated') this.deps.alarms?.storeWorks();
        outcome.items.push(done);
      } catch (err) {
        this.rethrowStoreFailure(err);
        // Recording the problem itself throws when the store is unusable: the source then retries.
        this.deps.logger.error({ item: item.key, kind: item.kind, origin: record.origin, error: errorMessage(err) }, 'could not process an item');
        await this.quarantine({ origin: record.origin, kind: item.kind === 'mail' ? 'mail' : 'calendar', reason: `could not be processed: ${errorMessage(err)}` });
        outcome.items.push({ key: item.key, kind: item.kind, status: 'error', findings: 0, enqueued: 0 });
      }
    }
    return outcome;
  }

  /**
   * Normalised events (a cloud API's JSON) as the one iCalendar object the shared mapper writes for
   * them, so that they are parsed, keyed and merged exactly as the same events given as .ics.
   */
  private rawOf(record: SourceRecord): RawRecord | Problem {
    if (record.kind !== 'events') return record;
    try {
      const source = normalisedEventsToICalendar(record.events);
      return { kind: 'calendar', source, calendarId: record.calendarId, origin: record.origin, ...(record.etag !== undefined ? { etag: record.etag } : {}) };
    } catch (err) {
      return { origin: record.origin, kind: 'calendar', reason: `the event given by the source could not be read (${normalisedEventError(err)})` };
    }
  }

  /** Withdraws what was planned for an item the source no longer holds. */
  async removed(removal: Removal): Promise<void> {
    await this.inTurn(() => this.withdraw(removal));
  }

  /** Like `removed`, returning the effects withdrawn. */
  async withdraw(removal: Removal): Promise<EffectRow[]> {
    let target: WithdrawTarget;
    let reason: string;
    if (removal.kind === 'event') {
      target =
        removal.uid === undefined ? { origin: removal.origin } : removal.recurrenceId === undefined ? { uid: removal.uid } : { itemKey: `${removal.uid}#${removal.recurrenceId}` };
      reason = removal.reason === 'cancelled' ? 'because the meeting was cancelled' : 'because the meeting was deleted from its calendar';
    } else {
      if (await this.otherCopiesRemain(removal)) return [];
      target = { itemKey: removal.messageId };
      reason = 'because the message was deleted';
    }
    const withdrawn = await this.withdrawFor(target, reason);
    this.deps.logger.info({ removal: removal.kind, origin: removal.origin, withdrawn: withdrawn.map((e) => e.key) }, 'removed at its source');
    return withdrawn;
  }

  private async withdrawFor(target: WithdrawTarget, reason: string): Promise<EffectRow[]> {
    let withdrawn: EffectRow[];
    try {
      withdrawn = await this.deps.store.withdrawEffects(target, this.now().toISOString(), reason);
    } catch (err) {
      this.rethrowStoreFailure(err);
      throw err;
    }
    for (const e of withdrawn) this.deps.metrics?.effects.inc({ kind: e.kind, outcome: 'withdrawn' });
    if (withdrawn.length > 0) {
      this.deps.logger.info({ effects: withdrawn.map((e) => e.key), reason }, 'planned actions withdrawn before they were carried out');
    }
    return withdrawn;
  }

  /**
   * A message deleted from one mailbox may still be in another (a Sent copy, the recipient's
   * Inbox): that copy is forgotten, and the message's effects are withdrawn only when none is left.
   */
  private async otherCopiesRemain(removal: Extract<Removal, { kind: 'mail' }>): Promise<boolean> {
    const memory = this.deps.memory;
    const known = await memory?.getMail(removal.messageId);
    if (memory === undefined || known === undefined) return false;
    const rest = known.copies.filter((c) => !(c.origin === removal.origin || (c.mailbox === removal.mailbox && c.folder === removal.folder)));
    if (rest.length === 0) return false;
    if (rest.length < known.copies.length) await memory.setMail({ ...known, copies: rest });
    return true;
  }

  /** A store failure is the source's to retry, never a problem with the record. */
  private rethrowStoreFailure(err: unknown): void {
    if (storeFailureOf(err) === undefined) return;
    this.deps.alarms?.storeError(err);
    this.deps.logger.error({ error: errorMessage(err) }, 'the state store failed: the record is not marked read and will be read again');
    throw err;
  }

  /**
   * A connector reports a record it could not read, without waiting: the note is written to the
   * store, and if the store fails, that is raised and logged here rather than left unhandled.
   */
  problem(problem: Problem): void {
    this.quarantine(problem).catch((err: unknown) => {
      this.deps.alarms?.storeError(err);
      this.deps.logger.error({ origin: problem.origin, error: errorMessage(err) }, 'the state store failed: a record that could not be read was not noted');
    });
  }

  private async quarantine(problem: Problem): Promise<void> {
    await this.deps.store.recordProblem(problem, this.now().toISOString());
    this.deps.metrics?.problems.inc();
    this.deps.logger.warn({ origin: problem.origin, problemKind: problem.kind, reason: problem.reason }, 'could not read a record; it is listed in the digest');
  }

  private async process(item: Item, record: RawRecord): Promise<RecordOutcome['items'][number]> {
    const { store, engine, outbox, metrics, logger } = this.deps;
    const now = this.now();
    const hash = evaluationHash(item);
    if (await store.checkSeen(item.key, hash) === 'unchanged') {
      metrics?.itemsProcessed.inc({ kind: 'unchanged' });
      logger.debug({ item: item.key, kind: item.kind }, 'unchanged since it was last judged');
      return { key: item.key, kind: item.kind, status: 'unchanged', findings: 0, enqueued: 0 };
    }

    const nowIso = now.toISOString();
    if (await this.beforeFreshStart(item)) {
      // Started afresh over a lost state file: what was already there may have been acted on. Seen, not acted on.
      if (item.kind === 'event') await store.upsertEvent(eventSummaryOf(item, engine, now), nowIso);
      await store.markSeen(item.key, hash, nowIso);
      metrics?.itemsProcessed.inc({ kind: 'before-fresh-start' });
      logger.info({ item: item.key, kind: item.kind }, 'dated before the fresh start: recorded as seen, not acted on');
      return { key: item.key, kind: item.kind, status: 'before-fresh-start', findings: 0, enqueued: 0 };
    }

    // A cancelled meeting: what was planned for it and not yet carried out is withdrawn.
    if (item.kind === 'event' && item.status === 'CANCELLED') await this.withdrawFor({ itemKey: item.key }, 'because the meeting was cancelled');
    const evaluation = engine.evaluate(item, now.toISOString());
    // The executor names the message by its headline (subject, date, sender) and attaches the
    // original to a copy routed to the Clerk: keep both while there is something to send. Pruned
    // after a month.
    const acting = evaluation.findings.some((f) => f.actions.some((a) => a.kind !== 'digest'));
    if (acting && !this.dryRun && record.kind === 'mail' && item.kind === 'mail') await store.saveOriginal(item.key, record.source, nowIso, headlineOf(item));
    if (item.kind === 'event') await store.upsertEvent(eventSummaryOf(item, engine, now), nowIso);

    const settling: SettlingReport = { settled: 0, excepted: [], withdrawn: [] };
    const recorded = await outbox.record({ key: item.key, contentHash: hash }, evaluation.findings, { dryRun: this.dryRun, settle: settlingFor(item, settling) });
    for (const e of settling.withdrawn) metrics?.effects.inc({ kind: kindOfKey(e), outcome: 'withdrawn' });
    await this.recordNotices(item, evaluation, recorded.seen === 'changed', nowIso);

    metrics?.itemsProcessed.inc({ kind: item.kind });
    for (const f of evaluation.findings) metrics?.findings.inc({ rule: f.rule });
    const counts: Partial<Record<EnqueueOutcome, number>> = {};
    for (const e of recorded.effects) {
      counts[e.outcome] = (counts[e.outcome] ?? 0) + 1;
      if (e.outcome !== 'duplicate') metrics?.effects.inc({ kind: kindOfKey(e.key), outcome: e.outcome });
    }
    const enqueued = counts.enqueued ?? 0;
    logger.info(
      {
        item: item.key,
        kind: item.kind,
        seen: recorded.seen,
        rules: evaluation.findings.map((f) => f.rule),
        effects: counts,
        notices: evaluation.notices.length,
        ...(settling.settled > 0 ? { settled: settling.settled } : {}),
        ...(settling.excepted.length > 0 ? { excepted: settling.excepted } : {}),
      },
      evaluation.findings.length > 0 ? 'item judged: findings recorded' : 'item judged: nothing to do',
    );
    if (enqueued > 0 || (counts.folded ?? 0) > 0) this.deps.onEffects?.();
    return { key: item.key, kind: item.kind, status: 'evaluated', findings: evaluation.findings.length, enqueued };
  }

  /**
   * True for an item older than the state file's fresh start (`run --fresh-start`): mail dated
   * before it, and events that began before it.
   */
  private async beforeFreshStart(item: Item): Promise<boolean> {
    const fresh = (await this.deps.store.identity()).freshStart;
    if (fresh === undefined) return false;
    const dated = item.kind === 'mail' ? item.date : item.start;
    // A Date header counts whole seconds: mail written in the second of the fresh start is newer.
    return dated !== undefined && Date.parse(dated) < Math.floor(Date.parse(fresh) / 1000) * 1000;
  }

  private async recordNotices(item: Item, evaluation: ItemEvaluation, reevaluated: boolean, now: string): Promise<void> {
    const { store } = this.deps;
    const asked = new Set<string>();
    for (const n of evaluation.notices) {
      await store.recordNeedsHuman(item.key, n.rule, n.message, now);
      asked.add(n.rule ?? '');
    }
    if (!reevaluated) return;
    // Settled by the new version of the item: no longer needs a person.
    for (const v of evaluation.verdicts) {
      if (v.enabled && !asked.has(v.rule)) await store.clearNeedsHuman(item.key, v.rule);
    }
    if (!asked.has('')) await store.clearNeedsHuman(item.key, '');
  }
}

function kindOfKey(key: string): string {
  return parseEffectKey(key)?.kind ?? 'unknown';
}
