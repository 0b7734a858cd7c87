/**
 * Storage limitation (UK GDPR Article 5(1)(e)): once a day the service prunes what it holds about
 * people beyond the periods set in `retention`. What is kept, for how long and why is set out in
 * docs/operating.md.
 */
import type { RetentionConfig } from '../config/schema.js';
import type { PruneReport, RetentionCutoffs, Store } from '../store/types.js';
import { errorMessage, type ServiceLogger } from './logger.js';

const DAY_MS = 86_400_000;

/** The instants before which each kind of record is pruned, `now` less each period. */
export function retentionCutoffs(retention: RetentionConfig, now: Date): RetentionCutoffs {
  const before = (days: number): string => new Date(now.getTime() - days * DAY_MS).toISOString();
  return {
    originals: before(retention.originals),
    items: before(retention.items),
    findings: before(retention.findings),
    effects: before(retention.effects),
    audit: before(retention.audit),
    digests: before(retention.digests),
  };
}

/** How many records a report counts in all. */
export function prunedCount(report: PruneReport): number {
  return Object.values(report).reduce((sum, n) => sum + n, 0);
}

export interface RetentionJobOptions {
  logger: ServiceLogger;
  now?: () => Date;
  /** Between prunes (default a day). */
  intervalMs?: number;
}

/** Prunes the store at start and then every day while the service runs. */
export class RetentionJob {
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => Date;

  constructor(
    private readonly store: Store,
    private readonly retention: RetentionConfig,
    private readonly options: RetentionJobOptions,
  ) {
    this.now = options.now ?? (() => new Date());
  }

  async start(): Promise<void> {
    if (this.timer) return;
    await this.runOnce();
    this.timer = setInterval(() => void this.runOnce(), this.options.intervalMs ?? DAY_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Prune now; a failure is logged, never thrown (the next day tries again). */
  async runOnce(): Promise<PruneReport | undefined> {
    const now = this.now();
    try {
      const report = await this.store.prune(retentionCutoffs(this.retention, now), now.toISOString());
      if (prunedCount(report) > 0) this.options.logger.info({ ...report }, 'pruned records older than their retention period');
      return report;
    } catch (err) {
      this.options.logger.error({ error: errorMessage(err) }, 'pruning the state store for retention failed; it is tried again tomorrow');
      return undefined;
    }
  }
}
