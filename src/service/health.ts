/**
 * The service's health, as GET /healthz reports it: each source's last success and last error,
 * the outbox (effects waiting, effects given up on) and the last digest sent.
 *
 * `ok`: every source is working. `degraded`: a source is failing (its last error is more recent
 * than its last success), though the service itself runs. `unavailable` (the endpoint answers
 * 503): the service cannot do its job — the state store is damaged, full or cannot be written or
 * read, the outbox is stuck, or the mail sender refuses every message — and `problems` says why.
 *
 * Every figure is read through an index: the cost of a call does not grow with the digest backlog.
 */
import type { SourceHealth } from '../sources/types.js';
import type { DigestRow, Store } from '../store/types.js';

export type SourceState = 'ok' | 'failing' | 'starting';

export interface SourceHealthReport extends SourceHealth {
  state: SourceState;
}

/** Something that stops the service doing its job (the endpoint then answers 503). */
export interface HealthProblem {
  /** What is failing. */
  what: 'store' | 'outbox' | 'sender';
  /** What has happened and what to do, in plain words. */
  reason: string;
  /** Since when (ISO 8601), when known. */
  since?: string;
}

export interface HealthReport {
  status: 'ok' | 'degraded' | 'unavailable';
  /** Why the service is unavailable (empty otherwise). */
  problems: HealthProblem[];
  sources: SourceHealthReport[];
  outbox: { pending: number; failed: number; inDoubt: number };
  lastDigest: DigestRow | null;
}

export function sourceState(health: SourceHealth | undefined): SourceState {
  if (!health || (health.lastSuccess === undefined && health.lastError === undefined)) return 'starting';
  if (health.lastError === undefined) return 'ok';
  if (health.lastSuccess === undefined) return 'failing';
  return health.lastError.at > health.lastSuccess ? 'failing' : 'ok';
}

/** An effect due this long ago and still not carried out (or under way this long) means the outbox is stuck. */
export const OUTBOX_STUCK_AFTER_MS = 15 * 60_000;

export interface HealthContext {
  /** Problems the service knows of (the store, the sender). */
  problems?: readonly HealthProblem[];
  now?: Date;
  stuckAfterMs?: number;
}

/** The outbox is stuck when an effect waits long past its time, or one has been under way far too long. */
export async function outboxStuck(
  store: Pick<Store, 'oldestOutboxEffectDue'>,
  now: Date,
  stuckAfterMs: number = OUTBOX_STUCK_AFTER_MS,
): Promise<HealthProblem | undefined> {
  const dueBy = new Date(now.getTime() - stuckAfterMs).toISOString();
  const minutes = Math.round(stuckAfterMs / 60_000);
  const due = await store.oldestOutboxEffectDue('pending', dueBy);
  if (due !== undefined) {
    return {
      what: 'outbox',
      since: due,
      reason: `the outbox is stuck: an effect due since ${due} has not been carried out after more than ${minutes} minutes. Please check the log for outbox errors and restart Wardwatch.`,
    };
  }
  const claimed = await store.oldestOutboxEffectDue('sending', dueBy);
  if (claimed !== undefined) {
    return {
      what: 'outbox',
      since: claimed,
      reason: `the outbox is stuck: an effect has been under way since ${claimed} (more than ${minutes} minutes). Please check the mail sender and the log, and restart Wardwatch.`,
    };
  }
  return undefined;
}

export async function buildHealth(
  store: Pick<Store, 'listSourceHealth' | 'countOutboxEffects' | 'oldestOutboxEffectDue' | 'lastDigest' | 'listDigestsInDoubt'>,
  sourceNames: readonly string[],
  context: HealthContext = {},
): Promise<HealthReport> {
  const known = new Map((await store.listSourceHealth()).map((h) => [h.source, h]));
  const sources: SourceHealthReport[] = sourceNames.map((name) => {
    const h = known.get(name);
    return { ...(h ?? { source: name }), state: sourceState(h) };
  });
  const pending = await store.countOutboxEffects(['pending', 'sending']);
  const failed = await store.countOutboxEffects(['failed']);
  const problems = [...(context.problems ?? [])];
  const stuck = await outboxStuck(store, context.now ?? new Date(), context.stuckAfterMs);
  if (stuck) problems.push(stuck);
  const inDoubt = await store.countOutboxEffects(['in-doubt']) + (await store.listDigestsInDoubt()).length;
  return {
    status: problems.length > 0 ? 'unavailable' : sources.some((s) => s.state === 'failing') ? 'degraded' : 'ok',
    problems,
    sources,
    outbox: { pending, failed, inDoubt },
    lastDigest: await store.lastDigest() ?? null,
  };
}
