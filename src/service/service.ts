/**
 * The unattended service (`wardwatch run`): watches every configured source, judges what they
 * bring, carries out the effects through the outbox, sends the daily digest, and answers
 * /healthz and /metrics, and serves the Clerk's console (src/console/server.ts) beside them.
 *
 *   sources ──► SourceRunner (sync, watch, back off on failure) ──► LivePipeline ──► store
 *                                                                          │ new effects
 *   OutboxLoop (every 15 s, and at once) ◄──────────────────────────┘
 *   DigestScheduler (node-cron, council timezone; catch-up at start)
 *
 * `start` checks the state file with SQLite's integrity check, then settles what a crash left
 * half-done before anything else runs. A damaged state file is not used: the service answers
 * /healthz with 503 and the reason, and reads no source and sends nothing (so nothing is marked
 * read that was not stored, and nothing is sent twice from a record that lost its history) until
 * it is restarted on a sound file; the check is repeated daily while it runs, and damage found
 * then, or met by a read, stops the reading and sending the same way. `stop` stops taking in
 * records, lets the effect and digest under way finish, then closes the sender and the store:
 * once started, the service owns them.
 */
import type { Config } from '../config/schema.js';
import { createConsole, type ConsoleDeps, type ConsoleHandler } from '../console/server.js';
import type { Engine } from '../engine/engine.js';
import { Outbox, planningContextFrom, type EffectExecutor, type RetryPolicy } from '../outbox/outbox.js';
import type { ItemMemory } from '../pipeline/item-stream.js';
import type { ScheduledJob, WebhookRoute } from '../sources/connector-module.js';
import type { MailSender, Source } from '../sources/types.js';
import type { Store } from '../store/types.js';
import { DAMAGED_STORE_ADVICE } from '../store/failure.js';
import { ServiceAlarms } from './alarms.js';
import { buildHealth, type HealthProblem, type HealthReport } from './health.js';
import { startHttpServer, type RunningHttpServer } from './http.js';
import { StoredItemMemory } from './item-memory.js';
import { errorMessage, type ServiceLogger } from './logger.js';
import { ServiceMetrics } from './metrics.js';
import { ScheduledJobs } from './jobs.js';
import { OutboxLoop } from './outbox-loop.js';
import { LivePipeline } from './pipeline.js';
import { RetentionJob } from './retention.js';
import { SourceRunner, type BackoffPolicy } from './source-runner.js';

/** The longest a catch-up digest waits for the sources' first sync at start-up. */
/** The integrity check runs once a day (and at start). */
const DAY_MS = 86_400_000;
const FIRST_SYNC_WAIT_MS = 5 * 60_000;

export interface ServiceTuning {
  /** Between outbox rounds when nothing wakes it (default 15 s). */
  outboxIntervalMs?: number;
  /** Retries of failed effects (default: the outbox's, 1 minute doubling to 6 hours, 8 attempts). */
  retry?: Partial<RetryPolicy>;
  /** Pauses after a source fails (default 5 s doubling to 5 minutes). */
  sourceBackoff?: Partial<BackoffPolicy>;
  /** How often a healthy watch refreshes its source's last success (default 60 s). */
  heartbeatMs?: number;
  /** Between syncs of a source that is not watched (default 60 s). */
  resyncIntervalMs?: number;
  /** Between integrity checks of the state file while the service runs (default a day). */
  integrityCheckMs?: number;
  /** How long an effect may wait past its time before the outbox counts as stuck (default 15 minutes). */
  outboxStuckAfterMs?: number;
  /** After a failed prune for retention, the wait before the next try (default an hour). */
  retentionRetryMs?: number;
}

/** The daily digest's schedule (the digest module's DigestScheduler): catch-up at start, then the cron. */
export interface DigestJob {
  /** Resolves after the start-up check, which may send a catch-up digest. */
  start(): Promise<unknown>;
  /** Waits for a digest being sent to finish. */
  stop(): Promise<void>;
  /** Sends whatever digest is due now (one the Clerk released, say); nothing when none is. */
  check?(): Promise<unknown>;
}

/** What the console needs beyond what the service has itself (see src/console/server.ts). */
export type ServiceConsole = Omit<ConsoleDeps, 'config' | 'store' | 'engine' | 'health' | 'logger' | 'now' | 'listening' | 'onChange'>;

export interface ServiceDeps {
  config: Config;
  engine: Engine;
  store: Store;
  /** How mail leaves; also asked, after a crash, whether a half-sent message went out. */
  sender: MailSender;
  sources: readonly Source[];
  /** Connectors' webhook routes, served under /hooks/<connector>/ (needs the HTTP server). */
  routes?: readonly { connector: string; route: WebhookRoute }[];
  /** Connectors' scheduled jobs, run while the service runs. */
  jobs?: readonly { connector: string; job: ScheduledJob }[];
  /** Carries out one effect (the actions executor). */
  executor: EffectExecutor;
  /** Sends the digest when one is due; without it no digest is sent. */
  digest?: DigestJob;
  logger: ServiceLogger;
  /** Whether to watch a source for changes (default: all); one not watched is synced every `resyncIntervalMs`. */
  watchSources?: (source: Source) => boolean;
  /** The Clerk's console, served beside /healthz when `console.enabled` (and the HTTP server runs). */
  console?: ServiceConsole;
  /** Where /healthz and /metrics listen (default: the config's `server`); `false` for none. */
  http?: { host: string; port: number } | false;
  /** Where earlier copies of items are remembered (default: the state store, with a bounded cache). */
  memory?: ItemMemory;
  tuning?: ServiceTuning;
  now?: () => Date;
}

export interface StartedService {
  /** The port /healthz and /metrics listen on, when they do. */
  port?: number;
  sources: string[];
}

export class Service {
  readonly metrics: ServiceMetrics;
  /** What stops the service doing its job, as /healthz reports it. */
  readonly alarms: ServiceAlarms;
  readonly outbox: Outbox;
  readonly pipeline: LivePipeline;
  private readonly loop: OutboxLoop;
  private readonly runners: SourceRunner[];
  private readonly digest: DigestJob | undefined;
  private readonly now: () => Date;
  private http: RunningHttpServer | undefined;
  private readonly console: ConsoleHandler | undefined;
  private readonly retention: RetentionJob;
  private readonly jobs: ScheduledJobs;
  private integrityTimer: NodeJS.Timeout | undefined;
  private halted: Promise<void> | undefined;
  private started = false;
  private digestStart: Promise<void> | undefined;
  /** The digest schedule has made its start-up check (before that, a check could send a catch-up digest too early). */
  private digestRunning = false;
  private stopping: Promise<void> | undefined;

  constructor(private readonly deps: ServiceDeps) {
    const { config, engine, store, sender, logger } = deps;
    const tuning = deps.tuning ?? {};
    this.now = deps.now ?? (() => new Date());
    this.alarms = new ServiceAlarms(this.now);
    this.metrics = new ServiceMetrics(store, { sender });
    this.outbox = new Outbox(store, {
      planning: planningContextFrom(config, engine.directory),
      sender,
      delivery: config.delivery,
      ...(tuning.retry ? { retry: tuning.retry } : {}),
      clock: this.now,
    });
    this.loop = new OutboxLoop(this.outbox, deps.executor, {
      logger,
      metrics: this.metrics,
      alarms: this.alarms,
      lastError: async (key) => (await store.getEffect(key))?.lastError,
      ...(sender.readiness ? { senderReadiness: () => sender.readiness?.() ?? Promise.resolve(undefined) } : {}),
      ...(tuning.outboxIntervalMs !== undefined ? { intervalMs: tuning.outboxIntervalMs } : {}),
    });
    this.pipeline = new LivePipeline({
      store,
      engine,
      outbox: this.outbox,
      logger,
      metrics: this.metrics,
      alarms: this.alarms,
      memory: deps.memory ?? new StoredItemMemory(store),
      dryRun: config.dryRun,
      onEffects: () => this.loop.wake(),
      now: this.now,
    });
    this.runners = deps.sources.map(
      (source) =>
        new SourceRunner(source, this.pipeline, {
          store,
          logger,
          metrics: this.metrics,
          alarms: this.alarms,
          watch: deps.watchSources ? deps.watchSources(source) : true,
          now: this.now,
          ...(tuning.sourceBackoff ? { backoff: tuning.sourceBackoff } : {}),
          ...(tuning.heartbeatMs !== undefined ? { heartbeatMs: tuning.heartbeatMs } : {}),
          ...(tuning.resyncIntervalMs !== undefined ? { resyncIntervalMs: tuning.resyncIntervalMs } : {}),
        }),
    );
    this.digest = deps.digest;
    this.retention = new RetentionJob(store, config.retention, {
      logger,
      now: this.now,
      alarms: this.alarms,
      ...(tuning.retentionRetryMs !== undefined ? { retryMs: tuning.retentionRetryMs } : {}),
    });
    this.jobs = new ScheduledJobs(deps.jobs ?? [], logger);
    // Built here rather than at start: a single sign-on secret missing from the environment stops
    // the service being made, before anything has been done.
    this.console =
      deps.console && config.console.enabled
        ? createConsole({
            ...deps.console,
            config,
            store,
            engine,
            logger,
            now: this.now,
            health: () => this.health(),
            listening: () => this.http,
            // An approval makes an effect due now: the outbox need not wait for its next round.
            onChange: (change) => {
              this.loop.wake();
              // A digest the Clerk released from doubt goes now, not at the next start or digest time.
              if (change.digestReleased && this.digestRunning && !this.stopping) void this.digest?.check?.();
            },
          })
        : undefined;
  }

  /** Listen, settle what a crash left half-done, then act, schedule and watch. */
  async start(): Promise<StartedService> {
    if (this.started) throw new Error('The service has already been started.');
    this.started = true;
    const { config, logger } = this.deps;
    logger.info(
      { council: config.council.name, sources: this.runners.map((r) => r.name), dryRun: config.dryRun, sender: this.deps.sender.name },
      'Wardwatch is starting',
    );
    if (config.dryRun) logger.warn({}, 'dry run: effects are recorded as what would be done, and nothing is sent');

    // Listen first: a port already taken stops the start before anything has been done.
    const http = this.deps.http ?? config.server;
    if (http !== false) {
      this.http = await startHttpServer({
        host: http.host,
        port: http.port,
        health: () => this.health(),
        metrics: () => this.metrics.render(),
        logger,
        ...(this.deps.routes ? { hooks: this.deps.routes } : {}),
        ...(this.console ? { console: this.console } : {}),
      });
      logger.info({ host: this.http.host, port: this.http.port }, 'listening for /healthz and /metrics');
      if (this.console) {
        const address = config.console.publicUrl ?? `http://${this.http.host.includes(':') ? `[${this.http.host}]` : this.http.host}:${this.http.port}/`;
        logger.info({ url: address }, `the Clerk's console is at ${address}`);
      }
    }
    if (!await this.checkIntegrity()) {
      // Reading sources into a damaged file could mark records read whose items were never kept,
      // and sending from it could repeat what its lost pages recorded as sent: do neither.
      logger.error(
        { advice: DAMAGED_STORE_ADVICE },
        'the state file is damaged: Wardwatch reads no source and sends nothing; /healthz answers 503 until it is restarted on a sound file',
      );
      const started: StartedService = { sources: [] };
      if (this.http) started.port = this.http.port;
      return started;
    }
    // From now on, damage found by the daily check or met by a read stops reading and sending.
    this.alarms.onStoreDamaged = () => void this.halt();
    this.integrityTimer = setInterval(() => void this.checkIntegrity(), this.deps.tuning?.integrityCheckMs ?? DAY_MS);
    this.integrityTimer.unref();
    await this.loop.start();
    await this.retention.start();
    for (const runner of this.runners) runner.start();
    this.jobs.start();
    // A catch-up digest waits for each source's first sync (or a few minutes at most), so that it
    // reports what is in the sources and how each is doing; the sources never wait for it.
    const firstSyncs = Promise.race([
      Promise.all(this.runners.map((r) => r.firstAttempt)),
      new Promise<void>((resolve) => setTimeout(resolve, FIRST_SYNC_WAIT_MS).unref()),
    ]);
    this.digestStart = firstSyncs
      .then(() => (this.stopping ? undefined : this.digest?.start()))
      .then(
        () => {
          this.digestRunning = !this.stopping && this.digest !== undefined;
        },
        (err: unknown) => logger.error({ error: errorMessage(err) }, 'the digest schedule could not start'),
      );
    const started: StartedService = { sources: this.runners.map((r) => r.name) };
    if (this.http) started.port = this.http.port;
    return started;
  }

  /** The health report /healthz serves. Throws when the state store cannot be read. */
  async health(): Promise<HealthReport> {
    const stuckAfterMs = this.deps.tuning?.outboxStuckAfterMs;
    return await buildHealth(
      this.deps.store,
      this.runners.map((r) => r.name),
      { problems: [...this.alarms.problems(), ...this.senderProblems()], now: this.now(), ...(stuckAfterMs !== undefined ? { stuckAfterMs } : {}) },
    );
  }

  /** The sender's own word that it cannot send (its server refuses its login). */
  private senderProblems(): HealthProblem[] {
    const problem = this.deps.sender.problem?.();
    return problem ? [{ what: 'sender', reason: problem.reason, since: problem.since }] : [];
  }

  /** SQLite's integrity check of the state file; false (and reported) when it is damaged. */
  async checkIntegrity(): Promise<boolean> {
    const { store, logger } = this.deps;
    let found: string[];
    try {
      found = await store.checkIntegrity();
    } catch (err) {
      if (!this.alarms.storeError(err)) this.alarms.storeDamaged(`the state file could not be checked (${errorMessage(err)}). ${DAMAGED_STORE_ADVICE}`);
      return this.alarms.storeDamagedSince === undefined;
    }
    if (found.length === 0) return true;
    const shown = found.slice(0, 3).join('; ');
    this.alarms.storeDamaged(`the state file is damaged: SQLite's integrity check found ${found.length === 1 ? 'a fault' : `${found.length} faults`} (${shown}). ${DAMAGED_STORE_ADVICE}`);
    logger.error({ faults: found }, 'the integrity check of the state file failed');
    return false;
  }

  /** The state file went bad while running: stop reading sources and sending, keep answering /healthz. */
  private halt(): Promise<void> {
    this.halted ??= (async () => {
      this.deps.logger.error({ advice: DAMAGED_STORE_ADVICE }, 'the state file is damaged: Wardwatch has stopped reading sources and sending; /healthz answers 503');
      await Promise.all(this.runners.map((r) => r.stop()));
      await this.jobs.stop();
      await this.loop.stop();
    })();
    return this.halted;
  }

  /** Run the outbox now and resolve once it has nothing under way (tests, benchmarks). */
  async flushOutbox(): Promise<void> {
    this.loop.wake();
    await this.loop.idle();
  }

  /** Stop taking in records, finish the effect under way, then close everything. Safe to call twice. */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    const { logger, store, sender } = this.deps;
    logger.info({}, 'Wardwatch is stopping: finishing the work under way');
    this.retention.stop();
    if (this.integrityTimer) clearInterval(this.integrityTimer);
    await this.halted;
    await Promise.all(this.runners.map((r) => r.stop()));
    await this.jobs.stop();
    // Stopping the digest first ends its wait for the outbox: a catch-up digest under way goes as
    // things stand instead of holding the stop for up to half a minute.
    const digestStopped = this.digest?.stop();
    await this.digestStart;
    await Promise.all([digestStopped, this.loop.stop()]);
    await this.http?.close();
    try {
      await sender.close();
    } catch (err) {
      logger.warn({ error: errorMessage(err) }, 'the mail sender did not close cleanly');
    }
    await store.close();
    logger.info({}, 'Wardwatch has stopped');
  }
}
