/**
 * Change notifications from Microsoft Graph (optional: only when `connectors.graph.notifications`
 * is set). Each watched folder and calendar (a WatchTarget) gets one subscription; Graph then POSTs
 * to /hooks/graph/notifications when something in it changes, and the connector runs a delta round
 * for that target at once instead of waiting for the next poll.
 *
 * - The resource: `/users/{m}/mailFolders('inbox')/messages` (`sentitems` for `sent`, the folder's
 *   id for a named folder, looked up by display name once), `/users/{m}/events` for a calendar.
 * - The cursor `subscription:<target key>` keeps {id, resource, expirationDateTime as Graph chose it
 *   (it may grant less than was asked), when it was set, a fingerprint of the URLs and clientState}.
 *   Subscriptions outlive a restart: `ensure` asks Graph whether a stored one is still alive (GET;
 *   404 → a new one), renews it if it is due, and replaces it when the URLs or clientState have
 *   changed since (the old one would carry the old clientState and be refused).
 * - Renewal (the job `graph-subscriptions`, every 5 minutes): a subscription is renewed (PATCH) once
 *   less than a third of its lifetime remains, or less than an hour (at most half of it, for
 *   lifetimes Graph capped short). A 404 on renewal, a lifecycle `subscriptionRemoved`, or an expiry
 *   missed while Wardwatch was down: a new subscription, and onChange(target, 'resubscribed') so a
 *   delta round catches up what went unannounced. The job also retries targets whose subscription
 *   could not be made (every half hour), which are polled meanwhile.
 * - The routes answer Graph's validation handshake (echo the token), check every notification's
 *   clientState (through the mounting code's constant-time comparison), validate the body with
 *   zod (400 otherwise), answer 202 at once and hand the work on without awaiting it.
 * Log lines name targets, subscription ids and counts: never the clientState, the validation token
 * or anything of a message.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { ChangeNotification, Subscription } from '@microsoft/microsoft-graph-types';
import { z } from 'zod';
import type { ScheduledJob, WebhookRequest, WebhookResponse, WebhookRoute } from '../../src/sources/connector-module.js';
import type { GraphDeps } from './deps.js';
import { GraphApiError, GraphOutcomeUnknownError, GraphSignInError } from './errors.js';
import { errorMessage } from '../../src/model/error-message.js';

export type WatchTarget = { kind: 'mail'; mailbox: string; folder: string } | { kind: 'calendar'; calendarId: string };

export type ChangeReason = 'notification' | 'missed' | 'resubscribed';

export interface GraphSubscriptionsDeps extends GraphDeps {
  /** A target changed (or may have): run a delta round for it. Called from queued work, never awaited. */
  onChange(target: WatchTarget, why: ChangeReason): void;
}

/** The target's key, as in the delta cursors: `mail:<mailbox>:<folder>`, `calendar:<id>`. */
export function watchTargetKey(t: WatchTarget): string {
  return t.kind === 'mail' ? `mail:${t.mailbox}:${t.folder}` : `calendar:${t.calendarId}`;
}

function targetLabel(t: WatchTarget): string {
  return t.kind === 'mail' ? `${t.mailbox}/${t.folder}` : `calendar ${t.calendarId}`;
}

/** How often the renewal job runs: well inside the shortest lifetime that makes sense (45 minutes). */
export const RENEWAL_JOB_MS = 5 * 60_000;
/** A target whose subscription could not be made is tried again after this long (it is polled meanwhile). */
export const RETRY_CREATE_MS = 30 * 60_000;
const HOUR_MS = 60 * 60_000;
/** Graph's validation tokens are about a hundred characters; anything far longer is not Graph's. */
export const MAX_VALIDATION_TOKEN = 1024;
/** Graph sends notifications in batches; without resource data each is well under 1 kB. */
const NOTIFICATIONS_MAX_BODY = 1024 * 1024;
const LIFECYCLE_MAX_BODY = 256 * 1024;
/** Subscriptions set up (or checked) at once at start: each creation waits for Graph's handshake. */
const ENSURE_CONCURRENCY = 4;

const WELL_KNOWN_FOLDERS: Readonly<Record<string, string>> = { inbox: 'inbox', sent: 'sentitems' };

const isoDate = z.string().max(64).refine((s) => Number.isFinite(Date.parse(s)), { message: 'expected a date and time' });

/** What is kept in the cursor. */
const StoredSchema = z.object({
  id: z.string().min(1),
  resource: z.string().min(1),
  expirationDateTime: isoDate,
  /** When Wardwatch last created or renewed it: with the expiry, the lifetime Graph granted. */
  setAt: isoDate,
  fingerprint: z.string(),
});
type Stored = z.infer<typeof StoredSchema>;

/** Graph's answer to POST, GET and PATCH /subscriptions. */
const SubscriptionSchema = z.object({
  id: z.string().min(1).max(256),
  expirationDateTime: isoDate,
  notificationUrl: z.string().optional(),
  lifecycleNotificationUrl: z.string().nullish(),
});
// The fields read must keep the shape @microsoft/microsoft-graph-types gives them.
const subscriptionShape = (s: z.infer<typeof SubscriptionSchema>): Pick<Subscription, 'id' | 'expirationDateTime' | 'notificationUrl' | 'lifecycleNotificationUrl'> => s;
void subscriptionShape;

const FolderListSchema = z.object({ value: z.array(z.object({ id: z.string().min(1), displayName: z.string().nullish() })) });

/** One change or lifecycle notification; unknown fields are dropped, known ones checked. */
const NotificationSchema = z.object({
  subscriptionId: z.string().min(1).max(256),
  clientState: z.string().max(256).nullish(),
  changeType: z.string().max(64).optional(),
  resource: z.string().max(4096).optional(),
  tenantId: z.string().max(256).optional(),
  subscriptionExpirationDateTime: z.string().max(64).optional(),
  // Graph may add events (`unknownFutureValue`): kept as text and ignored with a log line.
  lifecycleEvent: z.string().max(64).nullish(),
  resourceData: z.object({ id: z.string().max(1024).optional() }).nullish(),
});
const notificationShape = (n: z.infer<typeof NotificationSchema>): Pick<ChangeNotification, 'subscriptionId' | 'clientState' | 'resource' | 'tenantId' | 'subscriptionExpirationDateTime'> => n;
void notificationShape;
type Notification = z.infer<typeof NotificationSchema>;

const NotificationBatchSchema = z.object({ value: z.array(NotificationSchema).min(1).max(5000) });

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Printable text only: the echo never carries a control character (no header or log injection). */
const TOKEN_TEXT = /^[^\p{Cc}]+$/u;

/** Compared in constant time, as the mounting code compares: the log decision must not time the secret out either. */
function sameSecret(given: string, secret: string): boolean {
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(secret, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

function errorText(err: unknown): string {
  return errorMessage(err);
}

function isNotFound(err: unknown): boolean {
  return err instanceof GraphApiError && (err.status === 404 || err.failure === 'not-found');
}

/** Graph's refusal when its handshake with the notification URL failed (unreachable, slow, wrong answer). */
function isValidationFailure(err: unknown): boolean {
  return err instanceof GraphApiError && err.status === 400 && /validation request|notification endpoint|reachab/i.test(err.message);
}

/** The validation token of a handshake request: POST with `validationToken` and an empty body. */
function validationTokenOf(request: WebhookRequest): string | undefined {
  if (request.method !== 'POST' || request.body.length !== 0) return undefined;
  const token = request.query.get('validationToken');
  if (token === null || token.length === 0 || token.length > MAX_VALIDATION_TOKEN || !TOKEN_TEXT.test(token)) return undefined;
  return token;
}

interface Watch {
  target: WatchTarget;
  key: string;
  /** The mailbox the requests count against (its throttling lane). */
  mailbox: string;
  resource?: string;
  stored?: Stored;
  /** A subscription Graph has confirmed (created, renewed or found alive). */
  covered: boolean;
  /** Not before this instant (ms) is a failed creation tried again. */
  retryAt: number;
}

export class GraphSubscriptions {
  private readonly watches = new Map<string, Watch>();
  /** Subscription id → target key, for routing notifications. */
  private readonly bySubscription = new Map<string, string>();
  /** One operation per target at a time (renewal, lifecycle, ensure). */
  private readonly locks = new Map<string, Promise<void>>();
  /** Work queued by the routes, so close() can wait for it. */
  private readonly queued = new Set<Promise<void>>();
  private readonly stop = new AbortController();
  /** Cached body parses: the mounting code calls `presented` and then `handle` with the same request. */
  private readonly parsed = new WeakMap<WebhookRequest, unknown>();
  private readonly folderIds = new Map<string, string>();
  private started = false;

  constructor(private readonly deps: GraphSubscriptionsDeps) {}

  private get notifications(): NonNullable<GraphDeps['settings']['notifications']> {
    const n = this.deps.settings.notifications;
    if (n === undefined) throw new Error('connectors.graph.notifications is not set');
    return n;
  }

  /** A one-way digest of what a subscription was made with: a change means a new one is needed. */
  private fingerprint(): string {
    const n = this.notifications;
    return createHash('sha256').update(`wardwatch-graph-subscription\n${n.url}\n${n.lifecycleUrl}\n${n.clientState}`).digest('hex').slice(0, 16);
  }

  // ---------------------------------------------------------------- ensure, renew, create

  /**
   * Makes sure each target has a live subscription: a stored one still alive is kept (and renewed
   * if due), others are created. Resolves to the targets covered; the rest are polled (and retried
   * by the job). A sign-in failure rejects (nothing can work); any other failure affects only its target.
   */
  async ensure(targets: readonly WatchTarget[], signal?: AbortSignal): Promise<WatchTarget[]> {
    if (this.deps.settings.notifications === undefined) return [];
    const wanted = new Map(targets.map((t) => [watchTargetKey(t), t]));
    for (const [key, w] of this.watches) {
      if (!wanted.has(key)) {
        this.watches.delete(key);
        if (w.stored) this.bySubscription.delete(w.stored.id);
      }
    }
    for (const [key, target] of wanted) {
      if (this.watches.has(key)) continue;
      const mailbox = this.mailboxOf(target);
      if (mailbox === undefined) {
        this.deps.logger.error({ target: targetLabel(target) }, 'no mailbox holds this calendar in connectors.graph.calendars: it gets no subscription');
        continue;
      }
      this.watches.set(key, { target, key, mailbox, covered: false, retryAt: 0 });
    }
    const list = [...this.watches.values()];
    let signInFailure: GraphSignInError | undefined;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < list.length) {
        const w = list[next++];
        if (w === undefined) break;
        try {
          await this.exclusive(w.key, () => this.ensureOne(w, false, signal));
        } catch (err) {
          if (err instanceof GraphSignInError) signInFailure = err;
          else if (!signal?.aborted) this.deps.logger.warn({ target: targetLabel(w.target), error: errorText(err) }, 'the Microsoft 365 subscription could not be checked; Wardwatch polls this target meanwhile');
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(ENSURE_CONCURRENCY, list.length) }, worker));
    this.started = true;
    if (signInFailure) throw signInFailure;
    const covered = list.filter((w) => w.covered).map((w) => w.target);
    this.deps.logger.info({ covered: covered.length, targets: list.length }, 'Microsoft 365 change notifications set up');
    return covered;
  }

  /** Whether the target has a live subscription now (it may lose or regain one later). */
  isCovered(target: WatchTarget): boolean {
    return this.watches.get(watchTargetKey(target))?.covered ?? false;
  }

  /** The targets with a live subscription now. */
  covered(): WatchTarget[] {
    return [...this.watches.values()].filter((w) => w.covered).map((w) => w.target);
  }

  private mailboxOf(target: WatchTarget): string | undefined {
    if (target.kind === 'mail') return target.mailbox;
    return this.deps.settings.calendars.find((c) => c.id === target.calendarId)?.mailbox;
  }

  /** Runs `fn` after any other operation on the same target has finished. */
  private exclusive<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const before = this.locks.get(key) ?? Promise.resolve();
    const run = before.then(fn);
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.locks.set(key, settled);
    void settled.then(() => {
      if (this.locks.get(key) === settled) this.locks.delete(key);
    });
    return run;
  }

  private async resourceOf(w: Watch, signal?: AbortSignal): Promise<string> {
    if (w.resource !== undefined) return w.resource;
    const t = w.target;
    const user = `/users/${w.mailbox}`;
    let resource: string;
    if (t.kind === 'calendar') resource = `${user}/events`;
    else {
      const id = await this.folderId(t.mailbox, t.folder, signal);
      resource = `${user}/mailFolders('${id.replace(/'/g, "''")}')/messages`;
    }
    w.resource = resource;
    return resource;
  }

  /** A well-known name, or a named folder's id looked up by display name (top level, then under the Inbox). */
  private async folderId(mailbox: string, configured: string, signal?: AbortSignal): Promise<string> {
    const label = configured.toLowerCase();
    const known = WELL_KNOWN_FOLDERS[label];
    if (known !== undefined) return known;
    const cacheKey = `${mailbox}\n${label}`;
    const cached = this.folderIds.get(cacheKey);
    if (cached !== undefined) return cached;
    const literal = `'${configured.replace(/'/g, "''")}'`;
    for (const url of [`/users/${encodeURIComponent(mailbox)}/mailFolders`, `/users/${encodeURIComponent(mailbox)}/mailFolders/inbox/childFolders`]) {
      const list = await this.deps.transport.json(
        { mailbox, method: 'GET', url, query: { $filter: `displayName eq ${literal}`, $select: 'id,displayName' }, what: `looking up the folder "${configured}"`, ...(signal ? { signal } : {}) },
        (v) => FolderListSchema.parse(v),
      );
      const hit = list.value.find((f) => (f.displayName ?? '').toLowerCase() === label) ?? list.value[0];
      if (hit !== undefined) {
        this.folderIds.set(cacheKey, hit.id);
        return hit.id;
      }
    }
    throw new GraphApiError(`The folder "${configured}" does not exist in the mailbox ${mailbox}; check the folder names under mailboxes.`, { status: 404, code: 'FolderNotFound', failure: 'not-found', mailbox });
  }

  private async readStored(w: Watch): Promise<Stored | undefined> {
    const text = await this.deps.cursors.getCursor(this.deps.settings.source, `subscription:${w.key}`);
    if (text === undefined || text === '') return undefined;
    try {
      const parsed = StoredSchema.safeParse(JSON.parse(text));
      if (parsed.success) return parsed.data;
    } catch {
      // Not JSON: written by something else; a new subscription replaces it.
    }
    this.deps.logger.warn({ target: targetLabel(w.target) }, 'the stored Microsoft 365 subscription could not be read; a new one is made');
    return undefined;
  }

  private async store(w: Watch, stored: Stored | undefined): Promise<void> {
    if (w.stored && w.stored.id !== stored?.id) this.bySubscription.delete(w.stored.id);
    if (stored) {
      w.stored = stored;
      this.bySubscription.set(stored.id, w.key);
    } else delete w.stored;
    await this.deps.cursors.setCursor(this.deps.settings.source, `subscription:${w.key}`, stored ? JSON.stringify(stored) : '');
  }

  private lifetimeMs(s: Stored): number {
    const granted = Date.parse(s.expirationDateTime) - Date.parse(s.setAt);
    return granted > 0 ? granted : this.notifications.lifetimeMinutes * 60_000;
  }

  /** Due for renewal: less than a third of its lifetime left, or less than an hour (but never before half of it). */
  private renewalDue(s: Stored): boolean {
    const lifetime = this.lifetimeMs(s);
    const remaining = Date.parse(s.expirationDateTime) - this.deps.now().getTime();
    return remaining <= Math.max(lifetime / 3, Math.min(HOUR_MS, lifetime / 2));
  }

  private expired(s: Stored): boolean {
    return Date.parse(s.expirationDateTime) <= this.deps.now().getTime();
  }

  /**
   * Keeps a live stored subscription or makes a new one. `announce`: a new subscription after the
   * start is announced as 'resubscribed' (at the start the connector runs a round of everything anyway).
   */
  private async ensureOne(w: Watch, announce: boolean, signal?: AbortSignal): Promise<'kept' | 'created' | 'uncovered'> {
    const resource = await this.resourceOf(w, signal);
    const stored = w.stored ?? (await this.readStored(w));
    if (stored !== undefined) {
      // Until Graph says otherwise, notifications of the stored subscription are taken.
      w.stored = stored;
      this.bySubscription.set(stored.id, w.key);
    }
    if (stored !== undefined && stored.resource === resource && stored.fingerprint === this.fingerprint() && !this.expired(stored)) {
      let alive: z.infer<typeof SubscriptionSchema> | undefined;
      try {
        alive = await this.deps.transport.json(
          { mailbox: w.mailbox, method: 'GET', url: `/subscriptions/${encodeURIComponent(stored.id)}`, what: 'checking the change-notification subscription', ...(signal ? { signal } : {}) },
          (v) => SubscriptionSchema.parse(v),
        );
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      if (alive !== undefined && (alive.notificationUrl ?? this.notifications.url) === this.notifications.url) {
        if (alive.expirationDateTime !== stored.expirationDateTime) await this.store(w, { ...stored, expirationDateTime: alive.expirationDateTime });
        w.covered = true;
        if (this.renewalDue(w.stored ?? stored)) await this.renew(w, signal);
        return 'kept';
      }
      if (alive === undefined) this.deps.logger.info({ target: targetLabel(w.target), subscriptionId: stored.id }, 'the stored Microsoft 365 subscription has gone; a new one is made');
    } else if (stored !== undefined && !this.expired(stored)) {
      // Made with another URL or clientState (or for another folder): Graph would go on posting to
      // the old address with the old clientState, refused each time, until it expired.
      this.deps.logger.info({ target: targetLabel(w.target), subscriptionId: stored.id }, 'the notification settings changed since the stored Microsoft 365 subscription was made: it is replaced');
      await this.remove(w, stored, signal);
    }
    return (await this.create(w, announce, signal)) ? 'created' : 'uncovered';
  }

  private async remove(w: Watch, stored: Stored, signal?: AbortSignal): Promise<void> {
    try {
      await this.deps.transport.request({ mailbox: w.mailbox, method: 'DELETE', url: `/subscriptions/${encodeURIComponent(stored.id)}`, what: 'removing an outdated change-notification subscription', ...(signal ? { signal } : {}) });
    } catch (err) {
      if (err instanceof GraphSignInError) throw err;
      // It expires by itself; its notifications are ignored meanwhile.
      if (!isNotFound(err)) this.deps.logger.debug({ target: targetLabel(w.target), subscriptionId: stored.id, error: errorText(err) }, 'an outdated Microsoft 365 subscription could not be removed; it will expire by itself');
    }
    this.bySubscription.delete(stored.id);
  }

  /** POST /subscriptions. Never throws but for sign-in: a failure leaves the target polled, retried later. */
  private async create(w: Watch, announce: boolean, signal?: AbortSignal): Promise<boolean> {
    const n = this.notifications;
    const resource = await this.resourceOf(w, signal);
    const now = this.deps.now();
    let sub: z.infer<typeof SubscriptionSchema>;
    try {
      sub = await this.deps.transport.json(
        {
          mailbox: w.mailbox,
          method: 'POST',
          url: '/subscriptions',
          json: {
            changeType: 'created,updated,deleted',
            notificationUrl: n.url,
            lifecycleNotificationUrl: n.lifecycleUrl,
            resource,
            expirationDateTime: new Date(now.getTime() + n.lifetimeMinutes * 60_000).toISOString(),
            clientState: n.clientState,
          } satisfies Subscription,
          // Sent once: a repeat after a lost answer would leave a second subscription whose
          // notifications nobody routes. The job tries again later instead.
          retry: 'unsafe',
          what: 'subscribing to change notifications',
          ...(signal ? { signal } : {}),
        },
        (v) => SubscriptionSchema.parse(v),
      );
    } catch (err) {
      if (err instanceof GraphSignInError) throw err;
      w.covered = false;
      w.retryAt = this.deps.now().getTime() + RETRY_CREATE_MS;
      if (w.stored) await this.store(w, undefined);
      const target = targetLabel(w.target);
      if (isValidationFailure(err)) {
        this.deps.logger.warn(
          { target, url: n.url, lifecycleUrl: n.lifecycleUrl, error: errorText(err) },
          `Microsoft 365 could not confirm the notification address for ${target}: it must reach Wardwatch's /hooks/graph/notifications and /hooks/graph/lifecycle and answer within 10 seconds (check the reverse proxy, its TLS certificate and the firewall). Wardwatch polls this target meanwhile and tries again in ${RETRY_CREATE_MS / 60_000} minutes.`,
        );
      } else {
        const unknown = err instanceof GraphOutcomeUnknownError;
        this.deps.logger.warn(
          { target, error: errorText(err) },
          `Microsoft 365 did not ${unknown ? 'confirm' : 'accept'} the change-notification subscription for ${target}; Wardwatch polls this target meanwhile and tries again in ${RETRY_CREATE_MS / 60_000} minutes.`,
        );
      }
      return false;
    }
    await this.store(w, { id: sub.id, resource, expirationDateTime: sub.expirationDateTime, setAt: now.toISOString(), fingerprint: this.fingerprint() });
    w.covered = true;
    this.deps.logger.info({ target: targetLabel(w.target), subscriptionId: sub.id, expires: sub.expirationDateTime }, 'subscribed to Microsoft 365 change notifications');
    if (announce) this.announce(w.target, 'resubscribed');
    return true;
  }

  /** PATCH the expiry; a subscription Graph no longer has is made anew. */
  private async renew(w: Watch, signal?: AbortSignal): Promise<void> {
    const stored = w.stored;
    if (stored === undefined) return;
    const now = this.deps.now();
    let sub: z.infer<typeof SubscriptionSchema>;
    try {
      sub = await this.deps.transport.json(
        {
          mailbox: w.mailbox,
          method: 'PATCH',
          url: `/subscriptions/${encodeURIComponent(stored.id)}`,
          json: { expirationDateTime: new Date(now.getTime() + this.notifications.lifetimeMinutes * 60_000).toISOString() } satisfies Subscription,
          what: 'renewing the change-notification subscription',
          ...(signal ? { signal } : {}),
        },
        (v) => SubscriptionSchema.parse(v),
      );
    } catch (err) {
      if (isNotFound(err)) {
        this.deps.logger.info({ target: targetLabel(w.target), subscriptionId: stored.id }, 'Microsoft 365 no longer has the subscription; a new one is made');
        await this.create(w, true, signal);
        return;
      }
      if (err instanceof GraphSignInError) throw err;
      // The subscription lives on until its expiry; the next run of the job tries again.
      this.deps.logger.warn({ target: targetLabel(w.target), subscriptionId: stored.id, expires: stored.expirationDateTime, error: errorText(err) }, 'the Microsoft 365 subscription could not be renewed; Wardwatch tries again shortly');
      return;
    }
    await this.store(w, { ...stored, expirationDateTime: sub.expirationDateTime, setAt: now.toISOString() });
    w.covered = true;
    this.deps.logger.debug({ target: targetLabel(w.target), subscriptionId: stored.id, expires: sub.expirationDateTime }, 'renewed the Microsoft 365 subscription');
  }

  /** One pass of the renewal job over every target. */
  private async renewAll(signal: AbortSignal): Promise<void> {
    if (!this.started) return;
    let firstError: unknown;
    for (const w of [...this.watches.values()]) {
      if (signal.aborted || this.stop.signal.aborted) return;
      try {
        await this.exclusive(w.key, async () => {
          const now = this.deps.now().getTime();
          if (w.stored === undefined || !w.covered) {
            if (now < w.retryAt) return;
            // A new subscription is announced by create(); one found alive again (Graph was
            // unreachable when it was checked) is announced here: a round catches up either way.
            if ((await this.ensureOne(w, true, signal)) === 'kept') this.announce(w.target, 'resubscribed');
          } else if (this.expired(w.stored)) {
            this.deps.logger.info({ target: targetLabel(w.target), subscriptionId: w.stored.id }, 'the Microsoft 365 subscription expired before it was renewed; a new one is made');
            await this.create(w, true, signal);
          } else if (this.renewalDue(w.stored)) {
            await this.renew(w, signal);
          }
        });
      } catch (err) {
        firstError ??= err;
        w.retryAt = this.deps.now().getTime() + RETRY_CREATE_MS;
      }
    }
    if (firstError !== undefined) throw firstError;
  }

  jobs(): ScheduledJob[] {
    if (this.deps.settings.notifications === undefined) return [];
    return [{ name: 'graph-subscriptions', intervalMs: RENEWAL_JOB_MS, run: (signal) => this.renewAll(signal) }];
  }

  // ---------------------------------------------------------------- routes

  routes(): WebhookRoute[] {
    const n = this.deps.settings.notifications;
    if (n === undefined) return [];
    return [this.route('notifications', NOTIFICATIONS_MAX_BODY, n.clientState), this.route('lifecycle', LIFECYCLE_MAX_BODY, n.clientState)];
  }

  private bodyOf(request: WebhookRequest): unknown {
    if (this.parsed.has(request)) return this.parsed.get(request);
    let value: unknown;
    try {
      value = JSON.parse(request.body.toString('utf8'));
    } catch {
      value = undefined;
    }
    this.parsed.set(request, value);
    return value;
  }

  private route(path: 'notifications' | 'lifecycle', maxBodyBytes: number, clientState: string): WebhookRoute {
    return {
      path,
      method: 'POST',
      maxBodyBytes,
      secret: {
        value: clientState,
        presented: (request) => {
          // Graph's validation handshake carries no clientState: it is a POST with a token in the
          // query and an empty body, made before the subscription exists. It is let through as if
          // it had presented the secret, because all `handle` does with such a request (the same
          // test, validationTokenOf, decides) is echo the token back as text/plain: no state is
          // read or changed, nothing is queued, the token is capped at 1,024 printable characters,
          // and text/plain is never rendered as a page. Anything with a body must present the
          // clientState of every notification in it.
          if (validationTokenOf(request) !== undefined) return [clientState];
          return this.clientStatesOf(request, path);
        },
      },
      handle: (request) => Promise.resolve(this.handle(request, path)),
    };
  }

  /** Every notification's clientState ('' where there is none), for the mounting code to compare. */
  private clientStatesOf(request: WebhookRequest, path: string): string[] {
    const body = this.bodyOf(request);
    const value = typeof body === 'object' && body !== null && 'value' in body && Array.isArray(body.value) ? (body.value as unknown[]) : [];
    const states = value.map((item) => (typeof item === 'object' && item !== null && 'clientState' in item && typeof item.clientState === 'string' ? item.clientState : ''));
    // The mounting code refuses the request and logs that the secret is wrong; which subscriptions
    // it claimed to be from is said here (a known id with a wrong clientState: someone forging one).
    const secret = this.notifications.clientState;
    const wrong = states.map((s) => sameSecret(s, secret)).includes(false);
    if (wrong && value.length > 0) {
      const ids = value
        .slice(0, 5)
        .map((item) => (typeof item === 'object' && item !== null && 'subscriptionId' in item && typeof item.subscriptionId === 'string' ? item.subscriptionId.slice(0, 64) : '?'));
      this.deps.logger.warn(
        { route: path, notifications: value.length, subscriptionIds: ids, known: ids.some((id) => this.bySubscription.has(id)) },
        'a Microsoft 365 notification was refused: its clientState does not match connectors.graph.notifications.clientState',
      );
    }
    return states;
  }

  private handle(request: WebhookRequest, path: 'notifications' | 'lifecycle'): WebhookResponse {
    const token = validationTokenOf(request);
    if (token !== undefined) {
      // URLSearchParams has already decoded it: Graph wants it back exactly as it was before encoding.
      return { status: 200, contentType: 'text/plain; charset=utf-8', body: token };
    }
    const parsed = NotificationBatchSchema.safeParse(this.bodyOf(request));
    if (!parsed.success) {
      this.deps.logger.warn(
        { route: path, problems: parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.')}: ${i.message}`) },
        'a Microsoft 365 notification could not be read; nothing was done',
      );
      return { status: 400, contentType: 'application/json; charset=utf-8', body: '{"error":"The notification could not be read."}\n' };
    }
    if (this.stop.signal.aborted) return { status: 503, body: 'Wardwatch is stopping.\n' };
    const items = parsed.data.value;
    // Answered at once (Graph wants an answer within 3 seconds); the work runs after the answer.
    const work = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.dispatch(items, path));
    this.queued.add(work);
    void work.finally(() => this.queued.delete(work));
    return { status: 202 };
  }

  private announce(target: WatchTarget, why: ChangeReason): void {
    if (this.stop.signal.aborted) return;
    try {
      this.deps.onChange(target, why);
    } catch (err) {
      this.deps.logger.warn({ target: targetLabel(target), why, error: errorText(err) }, 'handling a Microsoft 365 change failed');
    }
  }

  private async dispatch(items: readonly Notification[], path: string): Promise<void> {
    if (this.stop.signal.aborted) return;
    const tenant = GUID.test(this.deps.settings.tenantId) ? this.deps.settings.tenantId.toLowerCase() : undefined;
    const changed = new Map<string, Watch>();
    const lifecycle: { w: Watch; item: Notification }[] = [];
    for (const item of items) {
      if (tenant !== undefined && item.tenantId !== undefined && item.tenantId.toLowerCase() !== tenant) {
        this.deps.logger.warn({ route: path, subscriptionId: item.subscriptionId }, 'a Microsoft 365 notification for another tenant was ignored');
        continue;
      }
      const key = this.bySubscription.get(item.subscriptionId);
      const w = key !== undefined ? this.watches.get(key) : undefined;
      if (w === undefined) {
        this.deps.logger.info({ route: path, subscriptionId: item.subscriptionId, lifecycleEvent: item.lifecycleEvent ?? undefined }, 'a Microsoft 365 notification for a subscription Wardwatch does not hold was ignored');
        continue;
      }
      if (item.lifecycleEvent) lifecycle.push({ w, item });
      // Several changes of one target in one post: one round is enough.
      else changed.set(w.key, w);
    }
    for (const w of changed.values()) this.announce(w.target, 'notification');
    await Promise.all(lifecycle.map(({ w, item }) => this.lifecycleEvent(w, item.subscriptionId, item.lifecycleEvent ?? '')));
  }

  private async lifecycleEvent(w: Watch, subscriptionId: string, event: string): Promise<void> {
    const target = targetLabel(w.target);
    const signal = this.stop.signal;
    try {
      await this.exclusive(w.key, async () => {
        if (signal.aborted) return;
        // Only for the subscription the target holds now: an older one's events are stale.
        if (w.stored?.id !== subscriptionId) {
          this.deps.logger.debug({ target, subscriptionId, event }, 'a lifecycle event for a replaced Microsoft 365 subscription was ignored');
          return;
        }
        switch (event) {
          case 'missed':
            this.deps.logger.info({ target, subscriptionId }, 'Microsoft 365 missed some notifications; a round catches up');
            this.announce(w.target, 'missed');
            return;
          case 'subscriptionRemoved':
            this.deps.logger.info({ target, subscriptionId }, 'Microsoft 365 removed the subscription; a new one is made');
            w.covered = false;
            await this.create(w, true, signal);
            return;
          case 'reauthorizationRequired':
            try {
              await this.deps.transport.request({ mailbox: w.mailbox, method: 'POST', url: `/subscriptions/${encodeURIComponent(subscriptionId)}/reauthorize`, what: 'reauthorising the change-notification subscription', signal });
              this.deps.logger.debug({ target, subscriptionId }, 'reauthorised the Microsoft 365 subscription');
            } catch (err) {
              if (!isNotFound(err)) throw err;
              w.covered = false;
              await this.create(w, true, signal);
            }
            return;
          default:
            this.deps.logger.info({ target, subscriptionId, event: event.slice(0, 64) }, 'an unknown Microsoft 365 lifecycle event was ignored');
        }
      });
    } catch (err) {
      if (signal.aborted) return;
      this.deps.logger.warn({ target, subscriptionId, event, error: errorText(err) }, 'a Microsoft 365 lifecycle event could not be handled; the renewal job checks the subscription again');
      w.retryAt = 0;
    }
  }

  /** Subscriptions are kept (stored, they outlive a restart); queued work is stopped and waited for. */
  async close(): Promise<void> {
    this.stop.abort(new Error('the Microsoft 365 connector is closing'));
    await Promise.allSettled([...this.queued]);
  }
}
