/**
 * The service's health, as GET /healthz reports it: each source's last success and last error,
 * the outbox (effects waiting, effects given up on) and the last digest sent.
 *
 * `ok`: every source is working. `degraded`: a source is failing (its last error is more recent
 * than its last success), though the service itself runs. Reading the state store throws when
 * it is unusable, and the endpoint then answers 503.
 */
import type { SourceHealth } from '../sources/types.js';
import type { DigestRow, Store } from '../store/types.js';

export type SourceState = 'ok' | 'failing' | 'starting';

export interface SourceHealthReport extends SourceHealth {
  state: SourceState;
}

export interface HealthReport {
  status: 'ok' | 'degraded';
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

export function buildHealth(
  store: Pick<Store, 'listSourceHealth' | 'listEffects' | 'lastDigest' | 'listDigestsInDoubt'>,
  sourceNames: readonly string[],
): HealthReport {
  const known = new Map(store.listSourceHealth().map((h) => [h.source, h]));
  const sources: SourceHealthReport[] = sourceNames.map((name) => {
    const h = known.get(name);
    return { ...(h ?? { source: name }), state: sourceState(h) };
  });
  const pending = store.listEffects({ states: ['pending', 'sending'] }).filter((e) => e.kind !== 'digest').length;
  const failed = store.listEffects({ states: ['failed'] }).length;
  const inDoubt = store.listEffects({ states: ['in-doubt'] }).length + store.listDigestsInDoubt().length;
  return {
    status: sources.some((s) => s.state === 'failing') ? 'degraded' : 'ok',
    sources,
    outbox: { pending, failed, inDoubt },
    lastDigest: store.lastDigest() ?? null,
  };
}
