/**
 * Storage limitation (UK GDPR Article 5(1)(e)): once a day the service prunes what it holds about
 * people beyond the periods set in `retention`. What is kept, for how long and why is set out in
 * docs/operating.md.
 */
import type { RetentionConfig } from '../config/schema.js';
import type { PruneReport, RetentionCutoffs, Store } from '../store/types.js';
import type { ServiceAlarms } from './alarms.js';
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
  /** After a failed prune, the wait before the next try (default an hour). */
  retryMs?: number;
  /** Told of each prune's outcome: a failure is reported by /healthz and the digest until a prune works. */
  alarms?: Pick<ServiceAlarms, 'retentionFailed' | 'retentionWorks'>;
}

const HOUR_MS = 3_600_000;

/** Prunes the store at start and then every day while the service runs. */
export class RetentionJob {
  private timer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
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
    // The timer is set first: a first prune that fails is then tried again within the hour.
    this.timer = setInterval(() => void this.runOnce(), this.options.intervalMs ?? DAY_MS);
    this.timer.unref();
    await this.runOnce();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  /**
   * Prune now; a failure is logged and raised as an alarm, never thrown. While the job runs, a
   * failed prune is tried again after `retryMs` (an hour), not only the next day.
   */
  async runOnce(): Promise<PruneReport | undefined> {
    const now = this.now();
    try {
      const report = await this.store.prune(retentionCutoffs(this.retention, now), now.toISOString());
      this.options.alarms?.retentionWorks();
      if (prunedCount(report) > 0) this.options.logger.info({ ...report }, 'pruned records older than their retention period');
      return report;
    } catch (err) {
      this.options.alarms?.retentionFailed(err);
      this.options.logger.error({ error: errorMessage(err) }, 'pruning the state store for retention failed; it is tried again in an hour');
      if (this.timer && !this.retryTimer) {
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          void this.runOnce();
        }, this.options.retryMs ?? HOUR_MS);
        this.retryTimer.unref();
      }
      return undefined;
    }
  }
}
