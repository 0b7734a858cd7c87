/**
 * Change notifications: POST /subscriptions runs the validation handshake against the client's
 * notificationUrl (and lifecycleNotificationUrl) before answering, the server picks the expiry,
 * PATCH renews, DELETE removes, and every change to a watched folder or calendar is POSTed with
 * the subscription's clientState. Lifecycle events are sent on demand by tests.
 */
import { randomUUID } from 'node:crypto';
import type { Subscription } from '@microsoft/microsoft-graph-types';
import type { Gate } from './faults.js';
import { isoSeconds, type ChangeListener, type SimState } from './state.js';
import { graphError, json, type SimRequest, type SimResponse } from './wire.js';

export type LifecycleEvent = 'reauthorizationRequired' | 'subscriptionRemoved' | 'missed';

type StoredSubscription = Subscription & { id: string; resource: string; notificationUrl: string; expirationDateTime: string; changeType: string };

export interface Delivery {
  readonly subscriptionId: string;
  readonly kind: 'validation' | 'change' | 'lifecycle';
  readonly url: string;
  readonly status: number | 'error';
  readonly body: unknown;
}

/** Graph's limit for Outlook messages and events. */
export const MAX_SUBSCRIPTION_MINUTES = 10_080;

interface Watch { mailboxId: string; kind: 'messages' | 'events'; folderId?: string }

export class SubscriptionsApi {
  readonly subscriptions = new Map<string, StoredSubscription>();
  readonly deliveries: Delivery[] = [];
  private readonly pending = new Set<Promise<void>>();
  /** The server caps every subscription at this many minutes (lower it to test renewals). */
  lifetimeCapMinutes = MAX_SUBSCRIPTION_MINUTES;
  /** How long the client has to echo validationToken (Graph: 10 s). */
  validationTimeoutMs = 10_000;
  /** When set, the validation request waits at this gate first: a slow handshake. */
  validationGate: Gate | undefined;

  constructor(private readonly state: SimState, private readonly tenantId: string, private readonly appId: () => string) {
    state.onChange((c) => this.onChange(c));
  }

  private watchOf(resource: string): Watch | undefined {
    const parts = resource.replace(/^\/+/, '').replace(/\('([^']*)'\)/g, '/$1').split('/').filter((p) => p !== '');
    if (parts[0]?.toLowerCase() !== 'users' || !parts[1]) return undefined;
    const mb = this.state.findMailbox(parts[1]);
    if (!mb) return undefined;
    const rest = parts.slice(2).map((p) => p.toLowerCase());
    if (rest.join('/') === 'messages') return { mailboxId: mb.id, kind: 'messages' };
    if (rest.length === 3 && rest[0] === 'mailfolders' && rest[2] === 'messages' && parts[3]) {
      const f = this.state.findFolder(mb, parts[3]);
      return f ? { mailboxId: mb.id, kind: 'messages', folderId: f.id } : undefined;
    }
    if (rest.join('/') === 'events' || rest.join('/') === 'calendar/events') return { mailboxId: mb.id, kind: 'events' };
    return undefined;
  }

  private expiry(requested: string | undefined): string {
    const now = this.state.clock.now();
    const cap = now + this.lifetimeCapMinutes * 60_000;
    const asked = Date.parse(requested ?? '');
    return isoSeconds(Number.isFinite(asked) ? Math.min(asked, cap) : cap);
  }

  private track(p: Promise<void>): void {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  /** Waits for every notification sent so far to be answered. */
  async flush(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  private async validate(subscriptionId: string, url: string): Promise<boolean> {
    if (this.validationGate) await this.validationGate.pass();
    const token = `Validation: Testing client application reachability for subscription Request-Id: ${randomUUID()}`;
    const target = `${url}${url.includes('?') ? '&' : '?'}validationToken=${encodeURIComponent(token)}`;
    try {
      const res = await fetch(target, { method: 'POST', headers: { 'content-type': 'text/plain; charset=utf-8' }, body: '', signal: AbortSignal.timeout(this.validationTimeoutMs) });
      const text = await res.text();
      this.deliveries.push({ subscriptionId, kind: 'validation', url, status: res.status, body: text });
      return res.status === 200 && text === token && (res.headers.get('content-type') ?? '').startsWith('text/plain');
    } catch {
      this.deliveries.push({ subscriptionId, kind: 'validation', url, status: 'error', body: null });
      return false;
    }
  }

  async create(req: SimRequest): Promise<SimResponse> {
    const given = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as Subscription;
    const resource = given.resource ?? '';
    if (!this.watchOf(resource)) return graphError(400, 'ExtensionError', `Operation: Create; Exception: [Status Code: BadRequest; Reason: The resource '${resource}' is not supported or its mailbox does not exist.]`);
    const url = given.notificationUrl ?? '';
    if (!/^https?:\/\//.test(url)) return graphError(400, 'ValidationError', 'Subscription notificationUrl must use https.');
    if (given.clientState && given.clientState.length > 128) return graphError(400, 'ValidationError', 'clientState must be at most 128 characters.');
    const asked = Date.parse(given.expirationDateTime ?? '');
    if (!Number.isFinite(asked) || asked <= this.state.clock.now()) {
      return graphError(400, 'ValidationError', 'Subscription expiration can only be in the future and must be given as expirationDateTime.');
    }
    const id = randomUUID();
    for (const u of [url, given.lifecycleNotificationUrl].filter((x): x is string => typeof x === 'string' && x !== '')) {
      if (!(await this.validate(id, u))) {
        return graphError(400, 'ValidationError', `Subscription validation request failed. Notification endpoint ${u} must respond with 200 OK and the validationToken as text/plain within ${this.validationTimeoutMs / 1000} seconds.`);
      }
    }
    const sub: StoredSubscription = {
      id, resource, changeType: given.changeType ?? 'created,updated,deleted', notificationUrl: url,
      lifecycleNotificationUrl: given.lifecycleNotificationUrl ?? null, clientState: given.clientState ?? null,
      expirationDateTime: this.expiry(given.expirationDateTime ?? undefined), applicationId: this.appId(),
      creatorId: randomUUID(), latestSupportedTlsVersion: 'v1_2', includeResourceData: false,
      encryptionCertificate: null, encryptionCertificateId: null, notificationUrlAppId: null,
    };
    this.subscriptions.set(id, sub);
    return json(201, { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#subscriptions/$entity', ...sub });
  }

  private live(id: string): StoredSubscription | undefined {
    const sub = this.subscriptions.get(id);
    if (sub && Date.parse(sub.expirationDateTime) <= this.state.clock.now()) {
      this.subscriptions.delete(id);
      return undefined;
    }
    return sub;
  }

  get(id: string): SimResponse {
    const sub = this.live(id);
    return sub ? json(200, sub) : graphError(404, 'ResourceNotFound', 'The object was not found.');
  }

  list(): SimResponse {
    return json(200, { value: [...this.subscriptions.keys()].map((id) => this.live(id)).filter((s) => s !== undefined) });
  }

  renew(req: SimRequest, id: string): SimResponse {
    const sub = this.live(id);
    if (!sub) return graphError(404, 'ResourceNotFound', 'The object was not found.');
    const body = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as Subscription;
    sub.expirationDateTime = this.expiry(body.expirationDateTime ?? undefined);
    return json(200, sub);
  }

  reauthorize(id: string): SimResponse {
    return this.live(id) ? { status: 204 } : graphError(404, 'ResourceNotFound', 'The object was not found.');
  }

  remove(id: string): SimResponse {
    return this.subscriptions.delete(id) ? { status: 204 } : graphError(404, 'ResourceNotFound', 'The object was not found.');
  }

  private post(sub: StoredSubscription, kind: 'change' | 'lifecycle', url: string, body: unknown): void {
    this.track((async () => {
      try {
        const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify(body) });
        await res.arrayBuffer();
        this.deliveries.push({ subscriptionId: sub.id, kind, url, status: res.status, body });
      } catch {
        this.deliveries.push({ subscriptionId: sub.id, kind, url, status: 'error', body });
      }
    })());
  }

  private onChange(c: Parameters<ChangeListener>[0]): void {
    for (const sub of this.subscriptions.values()) {
      if (!this.live(sub.id)) continue;
      const w = this.watchOf(sub.resource);
      if (!w || w.mailboxId !== c.mailbox.id) continue;
      if (c.kind === 'message' && (w.kind !== 'messages' || (w.folderId !== undefined && w.folderId !== c.folderId))) continue;
      if (c.kind === 'event' && w.kind !== 'events') continue;
      if (!sub.changeType.split(',').map((s) => s.trim()).includes(c.changeType)) continue;
      const id = c.kind === 'message' ? c.messageId : c.eventId;
      const entity = c.kind === 'message' ? 'Messages' : 'Events';
      this.post(sub, 'change', sub.notificationUrl, {
        value: [{
          subscriptionId: sub.id, subscriptionExpirationDateTime: sub.expirationDateTime, changeType: c.changeType,
          resource: `Users/${c.mailbox.id}/${entity}/${id}`, clientState: sub.clientState, tenantId: this.tenantId,
          resourceData: { '@odata.type': `#Microsoft.Graph.${c.kind === 'message' ? 'Message' : 'Event'}`, '@odata.id': `Users/${c.mailbox.id}/${entity}/${id}`, id },
        }],
      });
    }
  }

  /** Sends a lifecycle notification; `subscriptionRemoved` also deletes the subscription. */
  lifecycle(subscriptionId: string, event: LifecycleEvent): void {
    const sub = this.subscriptions.get(subscriptionId);
    if (!sub) throw new Error(`No subscription ${subscriptionId}.`);
    const url = sub.lifecycleNotificationUrl ?? sub.notificationUrl;
    if (event === 'subscriptionRemoved') this.subscriptions.delete(subscriptionId);
    this.post(sub, 'lifecycle', url, {
      value: [{
        subscriptionId, subscriptionExpirationDateTime: sub.expirationDateTime, tenantId: this.tenantId,
        clientState: sub.clientState, lifecycleEvent: event,
      }],
    });
  }

  /** A notification with a clientState of the test's choosing: what a forger would send. */
  forge(subscriptionId: string, clientState: string): void {
    const sub = this.subscriptions.get(subscriptionId);
    if (!sub) throw new Error(`No subscription ${subscriptionId}.`);
    this.post(sub, 'change', sub.notificationUrl, {
      value: [{ subscriptionId, subscriptionExpirationDateTime: sub.expirationDateTime, changeType: 'created', resource: sub.resource, clientState, tenantId: this.tenantId }],
    });
  }
}
