/**
 * When the daily digest goes out, and making sure it goes out exactly once per date.
 *
 * The digest for date D is due once its scheduled time on D (the `digest.cron` expression, in the
 * council's timezone) has passed and no digest for D has been recorded. Exactly one per date,
 * across restarts: the store records each date sent, and the digest's deterministic Message-ID
 * lets a digest sent just before a crash be recognised instead of sent again.
 *
 * First start: no digest is sent for a scheduled time before Wardwatch first ran (the store's
 * identity records that moment), so installing it at 10:00 does not produce a digest "for" 07:30 that day.
 *
 * Catch-up after downtime: when the service comes back after missing one or more digests, it
 * sends ONE digest, for the most recent scheduled date, covering everything since the last
 * digest that was sent. The dates in between get no digest of their own (the Clerk would
 * otherwise receive a flood of near-empty messages); nothing they would have listed is lost.
 */
import { errorMessage } from '../model/error-message.js';
import { schedule, type ScheduledTask } from 'node-cron';
import type { Config } from '../config/schema.js';
import { zonedParts } from '../elections/zoned-time.js';
import type { Engine } from '../engine/engine.js';
import type { MailSender } from '../sources/types.js';
import type { Store } from '../store/types.js';
import type { DigestDeps } from './build.js';
import { nextOccurrence, parseCron, previousOccurrence } from './cron.js';
import { deliverDigest, settleDigestAttempt } from './send.js';

/** A pino-like structured logger; a pino logger fits as is. Fields never hold message content. */
export interface DigestLogger {
  debug(fields: Record<string, unknown>, message?: string): void;
  info(fields: Record<string, unknown>, message?: string): void;
  warn(fields: Record<string, unknown>, message?: string): void;
  error(fields: Record<string, unknown>, message?: string): void;
}

const silent: DigestLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/** The next time the schedule fires strictly after `after`. Throws when it never does within 400 days. */
export function nextDigestTime(cron: string, timeZone: string, after: Date): Date {
  const next = nextOccurrence(parseCron(cron), timeZone, after);
  if (next === undefined) throw new Error(`The digest schedule "${cron}" does not fall on any day in the next 400 days; please check digest.cron in the configuration.`);
  return next;
}

/** The latest time the schedule fired at or before `atOrBefore` (within 400 days), if any. */
export function lastDigestTime(cron: string, timeZone: string, atOrBefore: Date): Date | undefined {
  return previousOccurrence(parseCron(cron), timeZone, atOrBefore);
}

/** The council-timezone date (YYYY-MM-DD) of an instant. */
export function digestDateOf(instant: Date, timeZone: string): string {
  return zonedParts(instant, timeZone).day;
}

/**
 * When Wardwatch first started with this state file (the store's identity records it when
 * `wardwatch run` starts): no digest is ever sent for a day (in the council's time zone) before
 * it. Recorded here when nothing has recorded it yet; a store that already holds a sent digest
 * predates the record, so its first start is taken as the earliest time it is known to have been running.
 */
export async function firstStart(store: Pick<Store, 'identity' | 'recordStart' | 'lastDigest'>, now: Date): Promise<string> {
  const known = (await store.identity()).firstStart;
  if (known !== undefined) return known;
  const earlier = (await store.lastDigest('9999-12-31'))?.sentAt;
  const first = earlier !== undefined && earlier < now.toISOString() ? new Date(0).toISOString() : now.toISOString();
  return (await store.recordStart(first)).firstStart ?? first;
}

/** Effects that were due by `at` and have not been tried yet, or are being carried out. */
async function unsettled(store: Pick<Store, 'listEffects'>, at: string): Promise<number> {
  return (await store
    .listEffects({ states: ['pending', 'sending'] }))
    .filter((e) => e.kind !== 'digest' && (e.state === 'sending' || (e.attempts === 0 && e.nextAttemptAt <= at))).length;
}

/**
 * Wait (at most `ms`) for the outbox to carry out the effects already due, so that the digest
 * reports them as they stand when it is sent ("sent", not "about to go" for mail sent a second later).
 */
async function outboxSettled(store: Pick<Store, 'listEffects'>, at: string, ms: number, pollMs: number, stopping: () => boolean): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until && !stopping() && await unsettled(store, at) > 0) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(pollMs, Math.max(0, until - Date.now()))));
  }
}

export interface DigestSchedulerDeps {
  /**
   * How long the digest waits for effects already due to be carried out before it is built
   * (default 0: not at all; the service's scheduler waits up to 30 seconds).
   */
  outboxSettleMs?: number;
  /** How often it looks while waiting (default 250 ms). */
  outboxPollMs?: number;
  /** True once the service is stopping: the digest then stops waiting for the outbox and goes as things stand. */
  stopping?: () => boolean;
  store: Store;
  engine: Pick<Engine, 'directory' | 'elections'>;
  config: Pick<Config, 'council' | 'people' | 'calendars' | 'digest' | 'dryRun'> & Partial<Pick<Config, 'delivery' | 'console' | 'server'>>;
  sender: MailSender;
  /** What the running service reports as stopping it, listed in the digest. */
  serviceProblems?: DigestDeps['serviceProblems'];
  /** The Clerk's own templates (`templates.dir`, resolved against the config's folder). */
  templatesDir?: string;
  logger?: DigestLogger;
}

export interface DigestDueReport {
  /** Dates whose digest was sent now. */
  sent: string[];
  /** Dates whose digest had gone out before a restart and was recorded now, without sending again. */
  recognised: string[];
  /** Dates whose digest could not be sent; it is tried again on the next call. */
  failed: { date: string; error: string }[];
  /** Dates whose digest was due but not sent because dryRun is on. */
  dryRun: string[];
  /** Dates whose digest may or may not have gone before a restart: held for the Clerk. */
  inDoubt?: string[];
}

/**
 * Send the digest if one is due at `now`: at most one per call, and at most one per date ever.
 * See the top of this file for the catch-up rule after downtime. With `dryRun: true` nothing is
 * sent or recorded (the Clerk can read it with `wardwatch digest --preview`).
 */
export async function sendDigestIfDue(deps: DigestSchedulerDeps, now: Date): Promise<DigestDueReport> {
  const report: DigestDueReport = { sent: [], recognised: [], failed: [], dryRun: [] };
  const log = deps.logger ?? silent;
  const tz = deps.config.council.timezone;
  const scheduled = lastDigestTime(deps.config.digest.cron, tz, now);
  if (scheduled === undefined) return report;
  const date = digestDateOf(scheduled, tz);
  if (await deps.store.digestSent(date)) return report;
  // Never a digest for a day before Wardwatch was installed. The day it was installed does get
  // its digest, even when installed after that morning's time: it reports what the first pass found.
  if (date < digestDateOf(new Date(await firstStart(deps.store, now)), tz)) return report;
  // After a fresh start (a lost state file), no digest is sent for a time before it: it would be back-dated.
  const freshStart = (await deps.store.identity()).freshStart;
  if (freshStart !== undefined && scheduled.getTime() < Date.parse(freshStart)) return report;

  try {
    const settled = await settleDigestAttempt(deps, date, now, deps.config.delivery ?? 'at-most-once');
    if (settled === 'recognised') {
      log.info({ date }, 'The digest for this date went out before a restart; it has been recorded and not sent again.');
      report.recognised.push(date);
      return report;
    }
    if (settled === 'held') {
      log.warn({ date }, 'The digest for this date may or may not have gone out before a restart; it is held until the Clerk releases or drops it (wardwatch outbox).');
      report.inDoubt = [date];
      return report;
    }
  } catch (err) {
    log.warn({ date, error: errorMessage(err) }, 'Could not check whether the digest went out before a restart; it will be checked again.');
    report.failed.push({ date, error: errorMessage(err) });
    return report;
  }

  if (deps.config.dryRun) {
    log.debug({ date }, 'The digest is due but dryRun is on, so it is not sent.');
    report.dryRun.push(date);
    return report;
  }

  const since = (await deps.store.lastDigest(date))?.sentAt;
  try {
    if ((deps.outboxSettleMs ?? 0) > 0) await outboxSettled(deps.store, now.toISOString(), deps.outboxSettleMs ?? 0, deps.outboxPollMs ?? 250, deps.stopping ?? (() => false));
    const period = { date, ...(since !== undefined ? { since } : {}), until: now.toISOString() };
    const built = await deliverDigest(deps, period, now);
    log.info(
      { date, since: since ?? null, findings: built.sections.totals.findings, needsHuman: built.sections.totals.needsHuman, recipients: built.recipients.length },
      'Daily digest sent.',
    );
    report.sent.push(date);
  } catch (err) {
    log.error({ date, error: errorMessage(err) }, 'The daily digest could not be sent; it will be tried again.');
    report.failed.push({ date, error: errorMessage(err) });
  }
  return report;
}

export interface DigestSchedulerOptions {
  /** Wait before trying a failed digest again, doubling each time (default 5 minutes). */
  retryBaseMs?: number;
  /** The longest wait between tries (default 1 hour). */
  retryMaxMs?: number;
  clock?: () => Date;
}

/**
 * Runs `sendDigestIfDue` on the digest's cron schedule (node-cron, council timezone), once at
 * start (to catch up after downtime), and again with backoff while a due digest fails to send.
 */
export class DigestScheduler {
  private task: ScheduledTask | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private running: Promise<DigestDueReport> | undefined;
  private failures = 0;
  private stopped = false;
  private readonly clock: () => Date;

  private readonly deps: DigestSchedulerDeps;

  constructor(
    deps: DigestSchedulerDeps,
    private readonly options: DigestSchedulerOptions = {},
  ) {
    // The service's outbox carries out due effects within one round (15 s): wait for it, up to twice that.
    this.deps = { ...deps, outboxSettleMs: deps.outboxSettleMs ?? 30_000, stopping: () => this.stopped };
    this.clock = options.clock ?? (() => new Date());
    // Fail early, with a clear message, on a schedule the digest cannot follow.
    parseCron(deps.config.digest.cron);
  }

  /** Start the schedule; resolves after the start-up check (which may send a catch-up digest). */
  async start(): Promise<DigestDueReport> {
    this.stopped = false;
    // Wardwatch starts now, not when its sources have first been read (the first digest check).
    // Not when the scheduler is made: `wardwatch run` checks the state file is not a lost one first.
    try {
      await firstStart(this.deps.store, this.clock());
    } catch (err) {
      (this.deps.logger ?? silent).warn({ error: errorMessage(err) }, 'Could not record when Wardwatch first started; the first digest check will.');
    }
    this.task = schedule(
      this.deps.config.digest.cron,
      async () => {
        await this.check();
      },
      { timezone: this.deps.config.council.timezone, name: 'wardwatch-digest', noOverlap: true },
    );
    return this.check();
  }

  /** Check now (one run at a time); schedules a retry when a due digest failed. */
  check(): Promise<DigestDueReport> {
    if (this.running !== undefined) return this.running;
    const run = sendDigestIfDue(this.deps, this.clock())
      .catch((err: unknown): DigestDueReport => {
        // The state file could not be read, say: report it and try again later, never crash the service.
        (this.deps.logger ?? silent).error({ error: errorMessage(err) }, 'The digest check failed; it will be tried again.');
        return { sent: [], recognised: [], failed: [{ date: '', error: errorMessage(err) }], dryRun: [] };
      })
      .then((report) => {
        this.afterRun(report);
        return report;
      });
    this.running = run.finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private afterRun(report: DigestDueReport): void {
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    if (report.failed.length === 0) {
      this.failures = 0;
      return;
    }
    if (this.stopped) return;
    this.failures += 1;
    const base = this.options.retryBaseMs ?? 5 * 60_000;
    const delay = Math.min(this.options.retryMaxMs ?? 60 * 60_000, base * 2 ** Math.min(this.failures - 1, 20));
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.check();
    }, delay);
    this.retryTimer.unref();
  }

  /** When the schedule fires next. */
  nextRun(): Date {
    return nextDigestTime(this.deps.config.digest.cron, this.deps.config.council.timezone, this.clock());
  }

  /** Stop scheduling; waits for a digest being sent right now to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    if (this.task !== undefined) await this.task.destroy();
    this.task = undefined;
    if (this.running !== undefined) await this.running;
  }
}
