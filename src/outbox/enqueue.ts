/**
 * The outbox policy for new effects: what state each one starts in. An effect already known (by
 * key, or by the fingerprint left when it was pruned) is a duplicate and changes nothing; in a dry
 * run it is recorded as `skipped-dry-run`; one held for the Clerk's review (src/review/policy.ts) is
 * recorded as `awaiting-review`, neither capped nor folded until the Clerk approves it (then
 * `foldTarget` places it as it would a new one); over its person's daily cap an effect folds
 * into that day's summary (opened with the first one to fold). Quiet hours are already in `notBefore`
 * (src/outbox/schedule.ts). The store only keeps the rows; every decision is made here, inside one
 * store transaction, so any store adapter gets the same behaviour.
 */
import {
  type CapGroup,
  type EffectState,
  type EnqueueResult,
  type EvaluationOutcome,
  type EvaluationRecord,
  type NewEffect,
  type Repositories,
  type Store,
} from '../store/types.js';
import { actionSpec } from '../actions/kinds/index.js';
import type { Finding } from '../model/finding.js';

/** States in which an effect counts against its person's daily cap. */
export const COUNTED_STATES: readonly EffectState[] = ['pending', 'sending', 'done', 'failed'];

function describeRecipient(recipient: string): string {
  return recipient === '' ? '' : ` to ${recipient}`;
}

/**
 * When an effect in this cap group is over its person's cap for the day: the key of the summary to
 * fold it into (the summary is created if need be). Undefined when it is within the cap, or when
 * the day's summary has already gone out, in which case the effect is sent on its own rather than
 * lost. Used for a new effect and for one the Clerk approves (src/review/clerk-actions.ts), so a
 * reviewed effect is capped as it would have been without review.
 */
export async function foldTarget(tx: Repositories, cap: CapGroup, now: string): Promise<string | undefined> {
  if ((await tx.countCapped(cap.person, cap.day, COUNTED_STATES)) < cap.limit) return undefined;

  const summary = await tx.getEffect(cap.summary.key);
  if (!summary) {
    // The summary belongs to the same person and day but is not itself capped.
    const row = await tx.insertEffect({ ...cap.summary, cap: undefined }, now, {
      state: 'pending',
      outcome: `Opened the daily summary for ${cap.person} for ${cap.day}; it goes out at ${cap.summary.notBefore}.`,
      person: cap.person,
      day: cap.day,
    });
    return row.key;
  }
  return summary.state === 'pending' ? summary.key : undefined;
}

async function enqueueOne(tx: Repositories, e: NewEffect, now: string, dryRun: boolean): Promise<EnqueueResult> {
  if (await tx.effectKnown(e.key)) return { key: e.key, outcome: 'duplicate' };

  if (dryRun) {
    await tx.insertEffect(e, now, {
      state: 'skipped-dry-run',
      outcome: `Recorded in dry-run mode: the ${e.kind}${describeRecipient(e.recipient)} was not carried out.`,
    });
    return { key: e.key, outcome: 'skipped-dry-run' };
  }

  if (e.review === true) {
    await tx.insertEffect({ ...e, cap: undefined }, now, {
      state: 'awaiting-review',
      outcome: `Held for the Clerk's review: ${e.kind}${describeRecipient(e.recipient)}; it goes only when approved in the console or with wardwatch outbox approve.`,
    });
    return { key: e.key, outcome: 'enqueued' };
  }

  const summaryKey = e.cap ? await foldTarget(tx, e.cap, now) : undefined;
  if (summaryKey !== undefined && e.cap) {
    await tx.insertEffect(e, now, {
      state: 'folded',
      outcome: `${e.cap.person} has already had ${e.cap.limit} message${e.cap.limit === 1 ? '' : 's'} for ${e.cap.day}; this ${e.kind} will be included in the daily summary instead.`,
      foldedInto: summaryKey,
    });
    return { key: e.key, outcome: 'folded', summaryKey };
  }

  await tx.insertEffect(e, now, { state: 'pending', outcome: `Queued: ${e.kind}${describeRecipient(e.recipient)}, not before ${e.notBefore}.` });
  return { key: e.key, outcome: 'enqueued' };
}

/** Record effects (an effect whose key is known already is a duplicate: nothing changes), in one transaction. */
export async function enqueue(store: Store, effects: readonly NewEffect[], now: string, options: { dryRun?: boolean } = {}): Promise<EnqueueResult[]> {
  return await store.transaction(async (tx) => {
    const results: EnqueueResult[] = [];
    for (const e of effects) results.push(await enqueueOne(tx, e, now, options.dryRun === true));
    return results;
  });
}

/** In one transaction: mark the item seen, replace its findings, enqueue its effects. */
/** Where a remedy of Wardwatch's stands once it has been tried: it may have changed the item. */
const REMEDY_TRIED: readonly EffectState[] = ['sending', 'done', 'in-doubt'];

/**
 * The item's earlier findings that no longer hold because Wardwatch put them right itself (it
 * added the missing members, it declined the booking): they are kept, so that the notices about
 * what it did go out and the digest lists them. A breach put right by someone else is gone.
 */
async function curedByWardwatch(tx: Repositories, record: EvaluationRecord): Promise<Finding[]> {
  const holding = new Set<string>(record.findings.map((f) => f.rule));
  const earlier = (await tx.getFindings(record.item.key)).filter((s) => !holding.has(s.rule));
  if (earlier.length === 0) return [];
  const remedied = new Set<string>(
    (await tx.listEffects({ itemKey: record.item.key, states: REMEDY_TRIED }))
      .filter((e) => actionSpec(e.kind).remedies)
      .map((e) => e.rule),
  );
  return earlier.filter((s) => remedied.has(s.rule)).map((s) => s.finding);
}

export async function recordEvaluation(store: Store, record: EvaluationRecord): Promise<EvaluationOutcome> {
  for (const f of record.findings) {
    if (f.item.key !== record.item.key) {
      return Promise.reject(new Error(`A finding of ${f.rule} is about ${f.item.key}, not about the item being recorded (${record.item.key}).`));
    }
  }
  return await store.transaction(async (tx) => {
    const seen = await tx.markSeen(record.item.key, record.item.contentHash, record.now);
    await tx.replaceFindings(record.item.key, [...record.findings, ...(await curedByWardwatch(tx, record))], record.now);
    const effects: EnqueueResult[] = [];
    for (const e of record.effects) effects.push(await enqueueOne(tx, e, record.now, record.dryRun === true));
    return { seen, effects };
  });
}
