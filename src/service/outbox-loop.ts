/**
 * Carries out the outbox's due effects for the service: every 15 seconds, and at once when new
 * findings have been recorded. Effects are claimed and carried out one at a time, so that when
 * the service is asked to stop, only the effect under way is finished and nothing is left
 * half-done in `sending`.
 *
 * Effects left in `sending` by a crash are settled once at start (`Outbox.recoverInFlight`), and
 * again on each round while some could not be checked.
 */
import type { EffectExecutor, Outbox, RunReport } from '../outbox/outbox.js';
import { parseEffectKey } from '../outbox/idempotency.js';
import type { ServiceAlarms } from './alarms.js';
import { errorMessage, type ServiceLogger } from './logger.js';
import type { ServiceMetrics } from './metrics.js';

export interface OutboxLoopOptions {
  logger: ServiceLogger;
  metrics?: ServiceMetrics;
  /**
   * Between rounds when nothing wakes the loop (default 15 s). New findings wake it at once; the
   * rounds only pick up retries and effects that waited for quiet hours or the next morning.
   */
  intervalMs?: number;
  /** Told of each effect carried out or failed (a sender refusing every message) and of store failures, for /healthz. */
  alarms?: ServiceAlarms;
  /** Why an effect's last attempt failed (its recorded error). */
  lastError?: (key: string) => Promise<string | undefined>;
  /**
   * The sender's word on whether queued messages may be tried (MailSender.readiness): while it
   * gives a reason (its server refuses its login), no effect is claimed, so none burns an attempt.
   */
  senderReadiness?: () => Promise<string | undefined>;
}

function kindOf(key: string): string {
  return parseEffectKey(key)?.kind ?? 'unknown';
}

export class OutboxLoop {
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> | undefined;
  private again = false;
  private stopping = false;
  private unresolved = false;
  /** Why sending is held (the sender's reason), while it is. */
  private held: string | undefined;
  /** Rounds that ended with an error (the store could not be used, say). */
  errors = 0;

  constructor(
    private readonly outbox: Outbox,
    private readonly execute: EffectExecutor,
    private readonly options: OutboxLoopOptions,
  ) {}

  /** Settle what a crash left in `sending`, then start the rounds. */
  async start(): Promise<void> {
    await this.recover();
    const interval = this.options.intervalMs ?? 15_000;
    this.timer = setInterval(() => this.wake(), interval);
    this.wake();
  }

  /** Run a round now (or right after the one under way). */
  wake(): void {
    if (this.stopping) return;
    if (this.round) {
      this.again = true;
      return;
    }
    this.round = this.rounds().finally(() => {
      this.round = undefined;
    });
  }

  /** Let the effect under way finish, then stop. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.round;
  }

  /** Resolves when no round is under way (for tests and benchmarks). */
  async idle(): Promise<void> {
    while (this.round) await this.round;
  }

  private async recover(): Promise<void> {
    const report = await this.outbox.recoverInFlight();
    this.unresolved = report.unresolved.length > 0;
    const settled = report.recognisedAsSent.length + report.returnedToPending.length + report.unresolved.length + report.inDoubt.length;
    for (const key of report.recognisedAsSent) this.options.metrics?.effects.inc({ kind: kindOf(key), outcome: 'recognised-as-sent' });
    for (const key of report.inDoubt) {
      this.options.metrics?.effects.inc({ kind: kindOf(key), outcome: 'in-doubt' });
      this.options.logger.warn({ effect: key }, 'effect interrupted mid-send and the sender cannot tell whether it went: held for the Clerk (wardwatch outbox release|drop)');
    }
    if (settled > 0) {
      this.options.logger.info(
        {
          recognisedAsSent: report.recognisedAsSent.length,
          returnedToPending: report.returnedToPending.length,
          unresolved: report.unresolved.length,
          inDoubt: report.inDoubt.length,
        },
        'settled the effects interrupted by the last stop',
      );
    }
  }

  private async rounds(): Promise<void> {
    do {
      this.again = false;
      try {
        if (this.unresolved) await this.recover();
        if (await this.senderHeld()) return;
        await this.drain();
      } catch (err) {
        this.errors += 1;
        this.options.alarms?.storeError(err);
        this.options.logger.error({ error: errorMessage(err) }, 'the outbox could not run; it will try again');
      }
    } while (this.again && !this.stopping);
  }

  /** True while the sender says nothing can be sent; logs when that starts and ends. */
  private async senderHeld(): Promise<boolean> {
    const ask = this.options.senderReadiness;
    if (!ask) return false;
    let reason: string | undefined;
    try {
      reason = await ask();
    } catch (err) {
      // A sender that cannot even say is tried as usual: the attempts then tell what is wrong.
      this.options.logger.warn({ error: errorMessage(err) }, 'the mail sender could not say whether it can send');
      reason = undefined;
    }
    if (reason !== undefined && this.held === undefined) this.options.logger.error({ reason }, 'sending is held: nothing is tried until the mail sender works again');
    if (reason === undefined && this.held !== undefined) this.options.logger.info({}, 'the mail sender works again: sending resumes');
    this.held = reason;
    return reason !== undefined;
  }

  private async drain(): Promise<void> {
    while (!this.stopping) {
      const report = await this.outbox.runDue(this.execute, 1);
      await this.note(report);
      if (report.done.length + report.retrying.length + report.failed.length + report.inDoubt.length === 0) return;
      // That attempt may have found the sender refused (its login, a permission): the next waits
      // rather than spending an attempt of its own on the same refusal.
      if (await this.senderHeld()) return;
    }
  }

  private async note(report: RunReport): Promise<void> {
    const { logger, metrics, alarms } = this.options;
    for (const key of [...report.retrying, ...report.failed]) alarms?.effectFailed((await this.options.lastError?.(key)) ?? 'no reason recorded');
    if (report.done.length > 0) alarms?.effectDone();
    for (const key of report.done) {
      metrics?.effects.inc({ kind: kindOf(key), outcome: 'done' });
      logger.info({ effect: key }, 'effect carried out');
    }
    for (const key of report.retrying) {
      metrics?.effects.inc({ kind: kindOf(key), outcome: 'retrying' });
      logger.warn({ effect: key }, 'effect failed; it will be tried again later');
    }
    for (const key of report.inDoubt) {
      metrics?.effects.inc({ kind: kindOf(key), outcome: 'in-doubt' });
      logger.warn({ effect: key }, 'effect cut off mid-send and the mail server cannot say whether it went: held for the Clerk (wardwatch outbox release|drop)');
    }
    for (const key of report.failed) {
      metrics?.effects.inc({ kind: kindOf(key), outcome: 'failed' });
      logger.error({ effect: key }, 'effect given up on; it will be listed in the digest');
    }
  }
}
