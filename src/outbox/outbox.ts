/**
 * The outbox: every effect of a finding is recorded (with its idempotency key) before it is
 * attempted, then carried out at most once.
 *
 *   enqueue ──► pending ──claimDue──► sending ──► done
 *                  ▲                     │
 *                  └──── retry (backoff) ┤──► failed (after maxAttempts; listed in the digest)
 *
 *                                       │
 *                                       └──► in-doubt ──release──► pending (sent once)
 *                                                      └──drop───► dropped
 *
 * A crash can leave an effect in `sending`. On restart, `recoverInFlight` asks the mail sender
 * whether a message with the effect's deterministic Message-ID already went out: if so it is
 * marked done; if it certainly did not, it goes back to pending. When the sender cannot tell (plain
 * SMTP, or a copy caught between "sending" and "sent"), the council's `delivery` setting decides:
 * `at-most-once` (the default) holds it `in-doubt` for the Clerk, `at-least-once` sends it again.
 */
import { errorMessage } from '../model/error-message.js';
import { actionSpec } from '../actions/kinds/index.js';
import type { ActionKind, Config } from '../config/schema.js';
import type { Finding, PlannedAction } from '../engine/types.js';
import type { MailSender, SentAnswer } from '../sources/types.js';
import { recordEvaluation } from './enqueue.js';
import { DAILY_SUMMARY_RULE, type CapGroup, type EffectPayload, type EffectRow, type EvaluationOutcome, type NewEffect, type Repositories, type Store } from '../store/types.js';
import { heldForReview, reviewSettingsFrom, type ReviewSettings } from '../review/policy.js';
import { effectKey, effectMessageId, serviceDomainOf } from './idempotency.js';
import { keepsQuietHours, nextAllowedTime, planDelivery, type DeliveryContext, type People } from './schedule.js';

/** Kinds that need a recipient (a person, not a room or the digest); with none there is nothing to carry out. */
function isAddressed(kind: ActionKind): boolean {
  const { addresses } = actionSpec(kind);
  return addresses !== 'room' && addresses !== 'digest-readers';
}

export interface RetryPolicy {
  /** Wait after the first failed attempt, in milliseconds; doubles each time. */
  baseDelayMs: number;
  /** The longest wait between attempts. */
  maxDelayMs: number;
  /** Attempts before giving up (the effect is then `failed` and listed in the digest). */
  maxAttempts: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  baseDelayMs: 60_000,
  maxDelayMs: 6 * 60 * 60_000,
  maxAttempts: 8,
};

/** Wait after `attempts` failed attempts: base × 2^(attempts−1), at most maxDelayMs. */
export function retryDelayMs(attempts: number, policy: RetryPolicy): number {
  const exponent = Math.max(0, attempts - 1);
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(exponent, 40));
}

/** Thrown by an executor when trying again cannot help (an address that does not exist, say). */
export class PermanentEffectError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentEffectError';
  }
}

/**
 * Thrown when an effect cannot be carried out because of a fault on this side that a person can
 * put right — a template that cannot be rendered, say. Nothing was sent, so the effect is given
 * up at once (trying again unchanged cannot help) but marked as such: once the fault is fixed,
 * `wardwatch outbox retry` puts it back in the queue.
 */
export class LocalEffectError extends PermanentEffectError {
  constructor(message: string) {
    super(message);
    this.name = 'LocalEffectError';
  }
}

/** Added to the reason a local fault was given up for: the digest shows it to the Clerk. */
export const LOCAL_FAULT_ADVICE = 'Nothing was sent; once this is put right, "wardwatch outbox retry --failed" sends it.';

/**
 * Thrown when a send ended without knowing whether the server took the message (the connection
 * dropped after the message was handed over, before the server's answer). Under `at-most-once`
 * the effect is then held in doubt instead of being tried again.
 */
export class SendInDoubtError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SendInDoubtError';
  }
}

/** What to do with a message that may or may not have gone (the config's `delivery`). */
export type DeliveryPolicy = 'at-most-once' | 'at-least-once';

export type EffectExecutor = (effect: EffectRow) => Promise<void>;

export interface PlanningContext extends DeliveryContext {
  /** The right-hand side of every Message-ID: the service address's domain. */
  serviceDomain: string;
  /** Which rules' effects wait for the Clerk's approval (src/review/policy.ts); none when absent. */
  review?: ReviewSettings;
}

/** The planning context of a configuration; its `review` and `rules` (when given) say what is held for review. */
export function planningContextFrom(config: Pick<Config, 'council' | 'limits'> & Partial<Pick<Config, 'review' | 'rules'>>, people: People): PlanningContext {
  return {
    serviceDomain: serviceDomainOf(config.council.serviceAddress),
    timeZone: config.council.timezone,
    limits: config.limits,
    people,
    review: reviewSettingsFrom(config),
  };
}

/**
 * Called inside the transaction that records an item's evaluation, before any effect is planned:
 * returns the findings that are settled (dismissed, authorised, or covered by a standing
 * exception), which plan no effects. It may record settlements through `tx`.
 */
export type SettleFindings = (tx: Repositories, findings: readonly Finding[], now: string) => Promise<ReadonlySet<Finding>>;

function recipientsOf(action: PlannedAction): string[] {
  const seen = new Set<string>();
  for (const to of action.to) {
    const address = to.trim().toLowerCase();
    if (address !== '') seen.add(address);
  }
  return [...seen];
}

function summaryEffect(person: string, day: string, notBefore: Date, ctx: PlanningContext): NewEffect {
  const key = effectKey({ rule: DAILY_SUMMARY_RULE, itemKey: day, recipient: person, kind: 'nudge' });
  return {
    key,
    kind: 'nudge',
    rule: DAILY_SUMMARY_RULE,
    itemKey: day,
    recipient: person,
    payload: {
      summary: `A summary of the further protocol reminders for ${day}, sent together instead of one by one.`,
      clauses: [],
      template: DAILY_SUMMARY_RULE,
      day,
    },
    messageId: effectMessageId(key, ctx.serviceDomain),
    notBefore: notBefore.toISOString(),
  };
}

/**
 * When an effect of this kind to this recipient may go, planned at `now` (after quiet hours where
 * they apply), and the daily cap group it counts against, with that day's summary. For a new
 * effect (planEffects) and for one the Clerk approves now (src/review/clerk-actions.ts).
 */
export function plannedDelivery(kind: ActionKind, recipient: string, now: Date, ctx: PlanningContext): { notBefore: Date; cap?: CapGroup } {
  const plan = planDelivery(kind, recipient, now, ctx);
  if (!plan.cap) return { notBefore: plan.notBefore };
  return {
    notBefore: plan.notBefore,
    cap: {
      person: plan.cap.person,
      day: plan.cap.day,
      limit: plan.cap.limit,
      summary: summaryEffect(plan.cap.person, plan.cap.day, plan.cap.summaryAt, ctx),
    },
  };
}

/** The effects of one finding: one per action and recipient, each with its key, time and cap. */
export function planEffects(finding: Finding, now: Date, ctx: PlanningContext): NewEffect[] {
  const effects: NewEffect[] = [];
  for (const action of finding.actions) {
    const recipients = recipientsOf(action);
    if (recipients.length === 0) {
      if (isAddressed(action.kind)) continue;
      recipients.push('');
    }
    for (const recipient of recipients) {
      // A finding about a matter several items share is acted on once per matter: its key names the matter.
      const identity = finding.topic !== undefined ? `topic:${finding.topic}` : finding.item.key;
      const key = effectKey({ rule: finding.rule, itemKey: identity, recipient, kind: action.kind });
      const plan = plannedDelivery(action.kind, recipient, now, ctx);
      const payload: EffectPayload = { summary: finding.summary, severity: finding.severity, clauses: finding.clauses };
      if (action.template !== undefined) payload.template = action.template;
      if (action.calendarId !== undefined) payload.calendarId = action.calendarId;
      if (action.to.length > 0) payload.to = recipientsOf(action);
      if (finding.private === true) payload.private = true;
      const effect: NewEffect = {
        key,
        kind: action.kind,
        rule: finding.rule,
        itemKey: finding.item.key,
        recipient,
        payload,
        messageId: effectMessageId(key, ctx.serviceDomain),
        notBefore: plan.notBefore.toISOString(),
      };
      if (ctx.review !== undefined && heldForReview(action.kind, finding.rule, ctx.review)) {
        // Held for the Clerk: capped (or folded) when approved, against the day it then goes.
        effect.review = true;
      } else if (plan.cap) {
        effect.cap = plan.cap;
      }
      effects.push(effect);
    }
  }
  return effects;
}

export interface RunReport {
  /** Keys carried out. */
  done: string[];
  /** Keys that failed this time and will be tried again. */
  retrying: string[];
  /** Keys given up on (listed in the digest). */
  failed: string[];
  /** Keys whose send ended without knowing whether it went: held for the Clerk. */
  inDoubt: string[];
}

export interface RecoveryReport {
  /** Found to have gone out before the restart: marked done, not sent again. */
  recognisedAsSent: string[];
  /** Not carried out before the restart: back in the queue. */
  returnedToPending: string[];
  /** Could not be checked (the sender did not answer): left on hold until the next recovery. */
  unresolved: string[];
  /** The sender cannot tell whether it went, and delivery is at-most-once: held for the Clerk. */
  inDoubt: string[];
}

export interface OutboxOptions {
  planning: PlanningContext;
  /** Used after a restart to recognise a half-sent message by its Message-ID. */
  sender?: Pick<MailSender, 'alreadySent'>;
  /** What to do when the sender cannot tell whether a message went (default at-most-once). */
  delivery?: DeliveryPolicy;
  retry?: Partial<RetryPolicy>;
  clock?: () => Date;
}


function describe(effect: EffectRow): string {
  return effect.recipient === '' ? effect.kind : `${effect.kind} to ${effect.recipient}`;
}

export class Outbox {
  readonly retry: RetryPolicy;
  private readonly clock: () => Date;
  /** Effects this process is carrying out right now: recovery leaves them alone. */
  private readonly inFlight = new Set<number>();

  constructor(
    private readonly store: Store,
    private readonly options: OutboxOptions,
  ) {
    this.retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    if (this.retry.maxAttempts < 1) throw new Error('The outbox needs at least one attempt per effect (retry.maxAttempts ≥ 1).');
    this.clock = options.clock ?? (() => new Date());
  }

  private get delivery(): DeliveryPolicy {
    return this.options.delivery ?? 'at-most-once';
  }

  /**
   * Record an item's evaluation in one transaction: the item is marked seen, its findings stored
   * (settled ones too), and the effects of the findings not settled enqueued (idempotently;
   * over-cap nudges folded; held for review where review applies; in dry-run mode recorded as
   * skipped). `settle` says, inside that transaction, which findings are settled.
   */
  async record(
    item: { key: string; contentHash: string },
    findings: readonly Finding[],
    options: { dryRun?: boolean; settle?: SettleFindings } = {},
  ): Promise<EvaluationOutcome> {
    const now = this.clock();
    const nowIso = now.toISOString();
    const settle = options.settle;
    return await this.store.transaction(async (tx) => {
      const settled = settle !== undefined ? await settle(tx, findings, nowIso) : new Set<Finding>();
      const effects = findings.filter((f) => !settled.has(f)).flatMap((f) => planEffects(f, now, this.options.planning));
      // recordEvaluation's own transaction joins this one.
      return await recordEvaluation(this.store, {
        item,
        findings: [...findings],
        effects,
        now: nowIso,
        dryRun: options.dryRun === true,
      });
    });
  }

  /** The earliest time at or after `instant` the effect may be (re)attempted: quiet hours still apply. */
  private allowedFrom(effect: EffectRow, instant: Date): Date {
    const ctx = this.options.planning;
    return keepsQuietHours(effect.kind, effect.recipient, ctx) ? nextAllowedTime(instant, ctx.limits.quietHours, ctx.timeZone) : instant;
  }

  /**
   * Carry out the effects that are due, one after another. Each is claimed (pending → sending) in a
   * transaction before `execute` runs, and marked done or failed after.
   */
  async runDue(execute: EffectExecutor, limit = 50): Promise<RunReport> {
    const report: RunReport = { done: [], retrying: [], failed: [], inDoubt: [] };
    const claimed = await this.store.claimDue(this.clock().toISOString(), limit);
    for (const effect of claimed) {
      this.inFlight.add(effect.id);
      try {
        await execute(effect);
      } catch (err) {
        const message = errorMessage(err);
        const now = this.clock();
        if (err instanceof SendInDoubtError && this.delivery === 'at-most-once') {
          await this.store.markInDoubt(effect.id, now.toISOString(), `${message} It is held, not sent again, until the Clerk releases or drops it.`);
          report.inDoubt.push(effect.key);
          continue;
        }
        const permanent = err instanceof PermanentEffectError;
        const local = err instanceof LocalEffectError;
        if (permanent || effect.attempts >= this.retry.maxAttempts) {
          const reason = local ? `${message} ${LOCAL_FAULT_ADVICE}` : permanent ? message : `${message}; attempt ${effect.attempts} of ${this.retry.maxAttempts}`;
          await this.store.markAttemptFailed(effect.id, now.toISOString(), { error: reason, ...(local ? { local: true } : {}) });
          report.failed.push(effect.key);
        } else {
          const retryAt = this.allowedFrom(effect, new Date(now.getTime() + retryDelayMs(effect.attempts, this.retry))).toISOString();
          await this.store.markAttemptFailed(effect.id, now.toISOString(), { error: message, retryAt });
          report.retrying.push(effect.key);
        }
        continue;
      } finally {
        this.inFlight.delete(effect.id);
      }
      await this.store.markDone(effect.id, this.clock().toISOString(), `Done: ${describe(effect)} (attempt ${effect.attempts}).`);
      report.done.push(effect.key);
    }
    return report;
  }

  /**
   * After a restart: settle the effects left in `sending`. A mail effect whose Message-ID the
   * sender recognises is marked done; one it knows did not go out goes back to pending. One the
   * sender cannot tell about is held `in-doubt` (at-most-once) or sent again (at-least-once).
   * When the sender cannot be asked right now, the effect stays on hold until the next call.
   */
  async recoverInFlight(): Promise<RecoveryReport> {
    const report: RecoveryReport = { recognisedAsSent: [], returnedToPending: [], unresolved: [], inDoubt: [] };
    const alreadySent = this.options.sender?.alreadySent?.bind(this.options.sender);
    for (const effect of await this.store.listEffects({ states: ['sending'] })) {
      if (this.inFlight.has(effect.id)) continue;
      const mailed = effect.recipient !== '' && actionSpec(effect.kind).mailed;
      if (!mailed) {
        await this.requeue(effect, this.clock(), 'Interrupted by a restart; it will be tried again', ' (doing it twice has no further effect)');
        report.returnedToPending.push(effect.key);
        continue;
      }
      let sent: SentAnswer = 'unknown';
      if (alreadySent) {
        try {
          sent = await alreadySent(effect.messageId);
        } catch (err) {
          await this.store.noteEffect(
            effect.id,
            this.clock().toISOString(),
            `Could not check whether the ${describe(effect)} went out before the restart (${errorMessage(err)}); it is held and will be checked again.`,
          );
          report.unresolved.push(effect.key);
          continue;
        }
      }
      const now = this.clock();
      if (sent === true) {
        await this.store.markDone(effect.id, now.toISOString(), `Recognised as already sent after restart (Message-ID ${effect.messageId}); not sent again.`);
        report.recognisedAsSent.push(effect.key);
      } else if (sent === false) {
        await this.requeue(effect, now, `Not sent before the restart; the ${describe(effect)} will be sent`);
        report.returnedToPending.push(effect.key);
      } else if (this.delivery === 'at-least-once') {
        await this.requeue(effect, now, 'Interrupted by a restart; the sender cannot tell whether it went out, and delivery is at-least-once, so it will be sent again');
        report.returnedToPending.push(effect.key);
      } else {
        await this.store.markInDoubt(
          effect.id,
          now.toISOString(),
          `Interrupted by a restart while the ${describe(effect)} was being sent, and the sender cannot tell whether it went out (Message-ID ${effect.messageId}). It is held, not sent again, until the Clerk releases or drops it.`,
        );
        report.inDoubt.push(effect.key);
      }
    }
    return report;
  }

  /** Effects held in doubt, for the digest and the Clerk. */
  async inDoubt(): Promise<EffectRow[]> {
    return await this.store.listEffects({ states: ['in-doubt'] });
  }

  private async requeue(effect: EffectRow, now: Date, lead: string, tail = ''): Promise<void> {
    const due = this.allowedFrom(effect, now);
    const when = due.getTime() === now.getTime() ? 'now' : `at ${due.toISOString()}, after quiet hours`;
    await this.store.returnToPending(effect.id, now.toISOString(), due.toISOString(), `${lead} ${when}${tail}.`);
  }

  /**
   * Put an effect given up because of a fault on this side back in the queue, once a person has
   * fixed it (\`wardwatch outbox retry\`); quiet hours still apply. Only such an effect: one the
   * mail system refused, or that kept failing there, may have been delivered or will be refused
   * again, so it is left for a person to follow up. False when the effect is not one to retry.
   */
  async retryLocalFault(effect: EffectRow, outcome: string, actor?: string): Promise<boolean> {
    if (effect.state !== 'failed' || effect.localFault !== true) return false;
    const now = this.clock();
    return await this.store.requeueFailed(effect.id, now.toISOString(), this.allowedFrom(effect, now).toISOString(), outcome, actor);
  }

  /** Effects given up on, for the digest. */
  async failed(): Promise<EffectRow[]> {
    return await this.store.listEffects({ states: ['failed'] });
  }

  /** The effects a daily summary carries. */
  async foldedInto(summary: EffectRow): Promise<EffectRow[]> {
    return await this.store.listEffects({ foldedInto: summary.key, states: ['folded'] });
  }

  /** `digest` effects waiting for the next digest. */
  async awaitingDigest(): Promise<EffectRow[]> {
    return await this.store.listEffects({ kinds: ['digest'], states: ['pending'] });
  }
}
