/**
 * Runs one source for the service: an initial sync, then watching for changes, for as long as the
 * service runs. When the source fails (the server is down, the folder vanished), the error is
 * recorded in the source's health and it is tried again after a pause that doubles each time
 * (5 s, 10 s, 20 s … at most 5 minutes by default), while the other sources carry on. A
 * successful sync resets the pause and is recorded as the source's last success; while the
 * source is being watched, its health is refreshed every minute: from the connector's own report
 * of its parts where it gives one (the IMAP connector retries its folders by itself while
 * watching), otherwise as a success for as long as the watch runs without error.
 */
import type { RecordSink, Source, SourceHealth } from '../sources/types.js';
import type { Store } from '../store/types.js';
import type { ServiceAlarms } from './alarms.js';
import { pause } from '../sources/retry-timing.js';
import { sourceState } from './health.js';
import { errorMessage, type ServiceLogger } from './logger.js';
import type { ServiceMetrics } from './metrics.js';

export interface BackoffPolicy {
  /** Pause after the first failure, in milliseconds. */
  initialMs: number;
  /** The longest pause. */
  maxMs: number;
}

export const DEFAULT_SOURCE_BACKOFF: BackoffPolicy = { initialMs: 5000, maxMs: 5 * 60_000 };

/** The pause after `failures` failures in a row: initial × 2^(failures−1), at most max. */
export function sourceBackoffMs(failures: number, policy: BackoffPolicy): number {
  const exponent = Math.min(Math.max(0, failures - 1), 30);
  return Math.min(policy.maxMs, policy.initialMs * 2 ** exponent);
}

export interface SourceRunnerOptions {
  store: Pick<Store, 'recordSourceSuccess' | 'recordSourceError'>;
  logger: ServiceLogger;
  metrics?: ServiceMetrics;
  /** Told when a sync failed because the state store did (for /healthz). */
  alarms?: ServiceAlarms;
  backoff?: Partial<BackoffPolicy>;
  /** Watch for changes after each sync (default true); when false, sync every `resyncIntervalMs`. */
  watch?: boolean;
  /** Between syncs when not watching (default 60 s). */
  resyncIntervalMs?: number;
  /** How often a healthy watch refreshes the source's last success (default 60 s). */
  heartbeatMs?: number;
  now?: () => Date;
  /** How the runner waits between attempts (default: a timer that an abort cuts short). */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** A connector that reports the health of its parts (folders, calendars) while it watches. */
interface ReportsHealth {
  health(): SourceHealth[];
}

function reportsHealth(connector: Source): connector is Source & ReportsHealth {
  return typeof (connector as Partial<ReportsHealth>).health === 'function';
}


export class SourceRunner {
  private readonly controller = new AbortController();
  private readonly backoff: BackoffPolicy;
  private readonly now: () => Date;
  private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  private loop: Promise<void> | undefined;
  private settleFirst: () => void = () => undefined;
  /** Resolves once the first sync has been attempted (whether it worked or not), or on stop. */
  readonly firstAttempt: Promise<void> = new Promise((resolve) => {
    this.settleFirst = resolve;
  });
  /** Failures in a row (0 when the last attempt worked). */
  failures = 0;

  constructor(
    readonly connector: Source,
    private readonly sink: RecordSink,
    private readonly options: SourceRunnerOptions,
  ) {
    this.backoff = { ...DEFAULT_SOURCE_BACKOFF, ...options.backoff };
    this.now = options.now ?? (() => new Date());
    this.sleep = options.sleep ?? pause;
  }

  get name(): string {
    return this.connector.name;
  }

  start(): void {
    if (this.loop) return;
    this.loop = this.run();
  }

  /** Stop watching; resolves once the sync or watch under way has ended. */
  async stop(): Promise<void> {
    this.controller.abort();
    this.settleFirst();
    await this.connector.close();
    await this.loop;
  }

  private async run(): Promise<void> {
    const signal = this.controller.signal;
    const { store, logger, metrics } = this.options;
    while (!signal.aborted) {
      try {
        await this.connector.sync(this.sink);
        if (signal.aborted) break;
        await store.recordSourceSuccess(this.name, this.now().toISOString());
        this.options.alarms?.storeWorks();
        this.settleFirst();
        if (this.failures > 0) logger.info({ source: this.name, after: this.failures }, 'the source is working again');
        else logger.info({ source: this.name }, 'source synced');
        this.failures = 0;
        if (this.options.watch === false) {
          await this.sleep(this.options.resyncIntervalMs ?? 60_000, signal);
          continue;
        }
        await this.watch(signal);
        // The watch ended on its own: look again after a short pause (never a busy loop).
        if (!signal.aborted) await this.sleep(this.backoff.initialMs, signal);
      } catch (err) {
        if (signal.aborted) break;
        this.failures += 1;
        this.options.alarms?.storeError(err);
        const message = errorMessage(err);
        const delay = sourceBackoffMs(this.failures, this.backoff);
        try {
          await store.recordSourceError(this.name, this.now().toISOString(), message);
        } catch (storeErr) {
          logger.error({ source: this.name, error: errorMessage(storeErr) }, 'could not record the source error in the state store');
        }
        metrics?.sourceErrors.inc({ source: this.name });
        this.settleFirst();
        logger.warn({ source: this.name, error: message, failures: this.failures, retryInMs: delay }, 'the source failed; it will be tried again');
        await this.sleep(delay, signal);
      }
    }
  }

  /** Record how the watched source is doing. */
  private async heartbeat(): Promise<void> {
    const now = this.now().toISOString();
    const failing = reportsHealth(this.connector) ? this.connector.health().filter((h) => sourceState(h) === 'failing') : [];
    try {
      if (failing.length === 0) {
        await this.options.store.recordSourceSuccess(this.name, now);
        this.options.alarms?.storeWorks();
        return;
      }
      const message = failing.map((h) => `${h.source}: ${h.lastError?.message ?? 'failing'}`).join('; ');
      await this.options.store.recordSourceError(this.name, now, message);
      this.options.metrics?.sourceErrors.inc({ source: this.name });
      this.options.logger.warn({ source: this.name, error: message }, 'part of the source is failing; it is being retried');
    } catch (err) {
      this.options.alarms?.storeError(err);
      this.options.logger.error({ source: this.name, error: errorMessage(err) }, 'could not record the source health');
    }
  }

  /** Watch until the signal aborts; refresh the source's health meanwhile. */
  private async watch(signal: AbortSignal): Promise<void> {
    const heartbeat = setInterval(() => void this.heartbeat(), this.options.heartbeatMs ?? 60_000);
    heartbeat.unref();
    try {
      await this.connector.watch(this.sink, signal);
    } finally {
      clearInterval(heartbeat);
    }
  }
}
