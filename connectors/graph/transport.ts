/**
 * The Microsoft Graph transport: everything about talking to Graph that is not one capability.
 * It owns sign-in (app-only, through @azure/identity), the base address, the middleware chain of
 * @microsoft/microsoft-graph-client, paging, throttling and errors; the capability files (mail,
 * calendar, subscriptions, send, calendar edits) ask it for requests and know none of this.
 *
 * Throttling, as Microsoft documents it for Outlook resources:
 * - at most four requests in flight per mailbox (a fifth gets 429 ApplicationThrottled);
 * - a 429, 503 or 504 carries Retry-After (seconds or an HTTP date): no request for that mailbox
 *   goes before it has elapsed (coming back early prolongs the penalty); without one, back off
 *   exponentially with jitter;
 * - a 401 while the token should still be valid means: sign in afresh, once.
 * The SDK's own RetryHandler is deliberately left out of the chain: it re-sends a POST after a
 * 503/504, and a send that already took effect must never be repeated blindly. Requests marked
 * `unsafe` (sends) are therefore never repeated once they may have taken effect: the caller gets a
 * GraphOutcomeUnknownError and finds out for itself (it looks in Sent Items).
 *
 * Links Graph returns (`@odata.nextLink`, `@odata.deltaLink`) are opaque: they are sent exactly as
 * given, through the SDK's middleware chain, and never rebuilt from their parts.
 */
import { ClientCertificateCredential, ClientSecretCredential, type ClientSecretCredentialOptions, type TokenCredential } from '@azure/identity';
import { AuthenticationHandler, type Context, type Middleware } from '@microsoft/microsoft-graph-client';
import { z } from 'zod';
import type { SourceHealth } from '../../src/sources/types.js';
import { list, record } from '../../src/sources/untrusted-json.js';
import type { GraphSettings } from './config.js';
import { describeFailure, explainSignIn, failureOf, GraphApiError, GraphOutcomeUnknownError, GraphSignInError } from './errors.js';
import { AnswerTooLargeError, HttpsHandler, NetworkError } from './https-handler.js';
import { errorMessage } from '../../src/model/error-message.js';
import { abortableSleep, jitteredBackoff, retryAfterMs } from '../../src/sources/retry-timing.js';

export const GRAPH_SCOPE_SUFFIX = '/.default';
const NATIONAL_CLOUDS = new Set(['https://graph.microsoft.com', 'https://graph.microsoft.us', 'https://dod-graph.microsoft.us', 'https://microsoftgraph.chinacloudapi.cn']);
/** Graph allows four concurrent requests per app and mailbox. */
export const MAILBOX_CONCURRENCY = 4;
/** Graph's limit on requests in one $batch. */
export const MAX_BATCH = 20;

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export interface GraphRequest {
  /** The mailbox the request is for: its share of the concurrency, its throttling and its health. */
  mailbox: string;
  method: HttpMethod;
  /** A path below the base address (`/users/…/messages`), or an opaque link Graph gave (sent as given). */
  url: string;
  /** Query parameters for a path (never for a link). */
  query?: Record<string, string>;
  headers?: Record<string, string>;
  /** A JSON body. */
  json?: unknown;
  /** A text body with its content type (a base64 MIME message is `text/plain`). */
  text?: { contentType: string; body: string };
  /**
   * `safe` (the default): repeating it is harmless, so throttling, 5xx and dropped connections are
   * retried. `unsafe`: it must not happen twice (a send): retried only when Graph certainly did not
   * act on it (429, 401); otherwise the caller gets GraphOutcomeUnknownError.
   */
  retry?: 'safe' | 'unsafe';
  /** How many of the mailbox's four slots it takes (a $batch: Graph runs up to four of its steps at once). */
  slots?: number;
  /** For messages: what the request was for ("reading the inbox"). */
  what?: string;
  signal?: AbortSignal;
}

export interface GraphResponse {
  status: number;
  headers: Headers;
  /** The body as text (empty for 202/204). */
  text: string;
  /** The body as bytes (a MIME message need not be UTF-8). */
  bytes: Buffer;
}

export interface BatchStep {
  id: string;
  method: HttpMethod;
  /** Below the base address, starting with `/`. */
  url: string;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface BatchAnswer {
  id: string;
  status: number;
  headers: Record<string, string>;
  /** JSON bodies parsed; other bodies decoded from base64 into bytes (a Buffer). */
  body: unknown;
}

export interface TransportOptions {
  /** Sleeps (for Retry-After and backoff); tests pass one that moves a simulated clock. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => Date;
  /** Log lines about retries and failures (never a token or a message body). */
  log?: { debug(fields: Record<string, unknown>, msg?: string): void; warn(fields: Record<string, unknown>, msg?: string): void };
  /** How many tries a safe request gets in all (default 6). */
  maxAttempts?: number;
  /** The first backoff without Retry-After, in ms (default 1,000; doubles up to 60 s). */
  backoffMs?: number;
  /** A request that gets no answer for this long is given up (default 100 s, as Graph's own gateway). */
  timeoutMs?: number;
}

type PipelinePolicy = NonNullable<ClientSecretCredentialOptions['additionalPolicies']>[number]['policy'];

/** Sign-in requests trust the extra certificate authority too (MSAL's metadata and token calls go through this pipeline). */
function trustPolicy(ca: string): PipelinePolicy {
  return {
    name: 'wardwatch-trust-ca',
    sendRequest: (request, next) => {
      request.tlsSettings = { ...(request.tlsSettings ?? {}), ca };
      return next(request);
    },
  };
}

interface Waiter {
  resolve: () => void;
}

/** Four slots per mailbox, and the instant before which nothing may be sent to it (Retry-After). */
class MailboxLane {
  inFlight = 0;
  notBefore = 0;
  readonly queue: Waiter[] = [];
}

interface GraphErrorBody {
  code: string;
  message: string;
}

function errorBodyOf(text: string): GraphErrorBody {
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && 'error' in parsed) {
      const e = (parsed as { error: unknown }).error;
      if (typeof e === 'object' && e !== null) {
        const code = 'code' in e && typeof e.code === 'string' ? e.code : '';
        const message = 'message' in e && typeof e.message === 'string' ? e.message : '';
        return { code, message };
      }
    }
  } catch {
    // Not JSON: a gateway's HTML page, say.
  }
  return { code: '', message: '' };
}

export class GraphTransport {
  private credential: TokenCredential;
  private readonly chain: Middleware;
  private readonly host: string;
  private readonly lanes = new Map<string, MailboxLane>();
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly now: () => Date;
  private readonly maxAttempts: number;
  private readonly backoffMs: number;
  /** Counted for the benchmarks and /metrics: outer HTTP requests sent to Graph. */
  requestCount = 0;
  private signInFailure: GraphSignInError | undefined;

  constructor(
    private readonly settings: GraphSettings,
    private readonly options: TransportOptions = {},
  ) {
    this.sleep = options.sleep ?? abortableSleep;
    this.now = options.now ?? ((): Date => new Date());
    this.maxAttempts = options.maxAttempts ?? 6;
    this.backoffMs = options.backoffMs ?? 1000;
    this.credential = this.makeCredential();
    this.host = new URL(settings.graphBaseUrl).host;
    const auth = new AuthenticationHandler({ getAccessToken: () => this.token() });
    auth.setNext(new HttpsHandler(settings.ca, options.timeoutMs ?? 100_000));
    this.chain = auth;
  }

  private makeCredential(): TokenCredential {
    const s = this.settings;
    const ca = s.ca;
    const common = {
      authorityHost: s.authorityHost,
      // Outside Microsoft's worldwide cloud (and in tests) there is no instance discovery to ask.
      ...(s.authorityHost !== 'https://login.microsoftonline.com' ? { disableInstanceDiscovery: true } : {}),
      ...(ca !== undefined ? { additionalPolicies: [{ position: 'perCall' as const, policy: trustPolicy(ca) }] } : {}),
    };
    return s.signIn.kind === 'certificate'
      ? new ClientCertificateCredential(s.tenantId, s.clientId, s.signIn.certificatePath, common)
      : new ClientSecretCredential(s.tenantId, s.clientId, s.signIn.secret, common);
  }

  /** The national clouds have their own Graph resource; anything else (a test's simulator) speaks for the worldwide one. */
  private scope(): string {
    const origin = new URL(this.settings.graphBaseUrl).origin;
    return `${NATIONAL_CLOUDS.has(origin) ? origin : 'https://graph.microsoft.com'}${GRAPH_SCOPE_SUFFIX}`;
  }

  /** A sign-in under way: requests that start meanwhile wait for it rather than each signing in. */
  private pendingToken: Promise<string> | undefined;

  private token(): Promise<string> {
    this.pendingToken ??= this.signIn().finally(() => {
      this.pendingToken = undefined;
    });
    return this.pendingToken;
  }

  /** A token for Graph; a failure is explained (which setting is wrong) and remembered for health. */
  private async signIn(): Promise<string> {
    try {
      const t = await this.credential.getToken(this.scope());
      if (t === null) throw new Error('the identity service returned no token');
      this.signInFailure = undefined;
      return t.token;
    } catch (err) {
      const explained = err instanceof GraphSignInError ? err : explainSignIn(err, this.settings.signIn.kind === 'secret' ? `\${${this.settings.signIn.variable}}` : undefined);
      this.signInFailure = explained;
      throw explained;
    }
  }

  /** Signs in now, for `validate` and start-up: undefined when it works, else what to change. */
  async checkSignIn(): Promise<string | undefined> {
    try {
      await this.token();
      return undefined;
    } catch (err) {
      return errorMessage(err);
    }
  }

  /** The last sign-in failure, while it lasts. */
  signInProblem(): string | undefined {
    return this.signInFailure?.message;
  }

  private lane(mailbox: string): MailboxLane {
    let lane = this.lanes.get(mailbox);
    if (!lane) {
      lane = new MailboxLane();
      this.lanes.set(mailbox, lane);
    }
    return lane;
  }

  private async acquire(lane: MailboxLane, signal: AbortSignal | undefined, slots: number): Promise<void> {
    while (lane.inFlight + slots > MAILBOX_CONCURRENCY) {
      await new Promise<void>((resolve) => lane.queue.push({ resolve }));
      if (signal?.aborted) {
        // Pass the wake-up on: this request is not going to take the slot it was given.
        lane.queue.shift()?.resolve();
        signal.throwIfAborted();
      }
    }
    lane.inFlight += slots;
    // Throttled: nothing goes to this mailbox before Retry-After has elapsed. Another request may
    // learn of a longer wait while this one sleeps, so look again after each sleep.
    for (let wait = lane.notBefore - this.now().getTime(); wait > 0; wait = lane.notBefore - this.now().getTime()) {
      try {
        await this.sleep(wait, signal);
      } catch (err) {
        this.release(lane, slots);
        throw err;
      }
    }
  }

  private release(lane: MailboxLane, slots: number): void {
    lane.inFlight -= slots;
    // Everyone waiting looks again: a batch may need several slots, a request one.
    for (const waiter of lane.queue.splice(0)) waiter.resolve();
  }

  /** Retry-After as milliseconds: seconds or an HTTP date; undefined when absent or unreadable. */
  retryAfterMs(value: string | null | undefined): number | undefined {
    return retryAfterMs(value, this.now().getTime());
  }

  private backoff(attempt: number): number {
    return jitteredBackoff(attempt, this.backoffMs);
  }

  private urlOf(req: Pick<GraphRequest, 'url' | 'query'>): string {
    if (/^https:\/\//i.test(req.url)) return req.url;
    const q = req.query && Object.keys(req.query).length > 0 ? `?${new URLSearchParams(req.query).toString().replace(/\+/g, '%20')}` : '';
    return `${this.settings.graphBaseUrl}${req.url.startsWith('/') ? '' : '/'}${req.url}${q}`;
  }

  private checkLink(url: string, mailbox: string): void {
    // A link is sent with the app's token: only ever to the Graph host it came from.
    if (new URL(url).host !== this.host) {
      throw new GraphApiError(`Microsoft 365 gave a link to another host (${new URL(url).host}); Wardwatch did not follow it.`, { status: 0, code: 'UnexpectedHost', failure: 'bad-request', mailbox });
    }
  }

  private async once(req: GraphRequest, url: string): Promise<GraphResponse> {
    const headers: Record<string, string> = { ...(req.headers ?? {}) };
    let body: string | undefined;
    if (req.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(req.json);
    } else if (req.text !== undefined) {
      headers['content-type'] = req.text.contentType;
      body = req.text.body;
    }
    const context: Context = {
      request: url,
      options: { method: req.method, headers, ...(body !== undefined ? { body } : {}) },
      customHosts: new Set([new URL(url).hostname]),
    };
    this.requestCount++;
    await this.chain.execute(context);
    const res = context.response;
    if (res === undefined) throw new NetworkError('no answer', undefined, undefined);
    const bytes = Buffer.from(await res.arrayBuffer());
    let text: string | undefined;
    // Read as text only when asked: a message's MIME is wanted as bytes, and one copy is enough.
    return {
      status: res.status,
      headers: res.headers,
      bytes,
      get text(): string {
        text ??= bytes.toString('utf8');
        return text;
      },
    };
  }

  /** The sign-in failure, while it lasts (the connector reports its folders and calendars itself). */
  health(): SourceHealth[] {
    return this.signInFailure ? [{ source: 'graph', lastError: { at: this.now().toISOString(), message: this.signInFailure.message } }] : [];
  }

  /**
   * Sends one request, retrying as its `retry` allows. Resolves with any 2xx/3xx answer; a 4xx/5xx
   * that retrying did not cure is a GraphApiError (its message says what to check).
   */
  async request(req: GraphRequest): Promise<GraphResponse> {
    const url = this.urlOf(req);
    this.checkLink(url, req.mailbox);
    const lane = this.lane(req.mailbox);
    const unsafe = req.retry === 'unsafe';
    const slots = Math.min(MAILBOX_CONCURRENCY, Math.max(1, req.slots ?? 1));
    const what = req.what ?? `${req.method} ${req.url.startsWith('https://') ? new URL(req.url).pathname : req.url}`;
    let signedInAfresh = false;
    for (let attempt = 1; ; attempt++) {
      req.signal?.throwIfAborted();
      await this.acquire(lane, req.signal, slots);
      let res: GraphResponse;
      try {
        res = await this.once(req, url);
      } catch (err) {
        this.release(lane, slots);
        if (err instanceof GraphSignInError) throw err;
        if (err instanceof AnswerTooLargeError) {
          throw new GraphApiError(`Microsoft 365's answer to ${what} for ${req.mailbox} was too large to read (${err.message}).`, { status: 0, code: 'AnswerTooLarge', failure: 'other', mailbox: req.mailbox, permanent: true }, { cause: err });
        }
        if (unsafe) throw new GraphOutcomeUnknownError(`The connection to Microsoft 365 broke during ${what} for ${req.mailbox} (${errorMessage(err)}): it may or may not have taken effect.`, req.mailbox, { cause: err });
        if (attempt >= this.maxAttempts) {
          const message = `Microsoft 365 could not be reached for ${what} in ${req.mailbox} (${errorMessage(err)}); Wardwatch will try again at the next round.`;
          throw new GraphApiError(message, { status: 0, code: err instanceof NetworkError ? (err.code ?? 'network') : 'network', failure: 'network', mailbox: req.mailbox }, { cause: err });
        }
        const wait = this.backoff(attempt);
        this.options.log?.debug({ mailbox: req.mailbox, what, attempt, waitMs: wait, error: errorMessage(err) }, 'Graph request failed on the network; trying again');
        await this.sleep(wait, req.signal);
        continue;
      }
      this.release(lane, slots);
      if (res.status < 400) {
        return res;
      }
      const { code, message } = errorBodyOf(res.text);
      const retryAfter = this.retryAfterMs(res.headers.get('retry-after'));
      if (res.status === 429 || res.status === 503 || res.status === 504) {
        // Whatever the request, the mailbox is told to wait: so is every other request for it.
        const wait = retryAfter ?? this.backoff(attempt);
        lane.notBefore = Math.max(lane.notBefore, this.now().getTime() + wait);
      }
      if (res.status === 401 && !signedInAfresh) {
        // The token was refused although it should be valid (revoked, or keys rolled): sign in again, once.
        signedInAfresh = true;
        this.credential = this.makeCredential();
        this.options.log?.debug({ mailbox: req.mailbox, what }, 'Graph refused the token; signing in afresh');
        continue;
      }
      const throttled = res.status === 429;
      const unavailable = res.status === 503 || res.status === 504 || res.status === 502 || res.status === 500;
      if (unsafe && unavailable) {
        throw new GraphOutcomeUnknownError(`Microsoft 365 answered ${res.status} ${code} to ${what} for ${req.mailbox}: it may or may not have taken effect.`, req.mailbox);
      }
      if ((throttled || unavailable) && attempt < this.maxAttempts) {
        this.options.log?.debug({ mailbox: req.mailbox, what, status: res.status, attempt, retryAfterMs: retryAfter }, 'Graph asked Wardwatch to wait; trying again');
        continue;
      }
      throw new GraphApiError(describeFailure(res.status, code, message, req.mailbox, what), { status: res.status, code, failure: failureOf(res.status, code), mailbox: req.mailbox });
    }
  }

  /** A request whose answer is JSON. */
  async json<T>(req: GraphRequest, parse: (value: unknown) => T): Promise<T> {
    const res = await this.request(req);
    let value: unknown;
    try {
      value = JSON.parse(res.text);
    } catch {
      throw new GraphApiError(`Microsoft 365 answered ${req.what ?? req.url} for ${req.mailbox} with something that is not JSON.`, { status: res.status, code: 'InvalidJson', failure: 'other', mailbox: req.mailbox });
    }
    return parse(value);
  }

  /**
   * Runs up to 20 requests for one mailbox in one `$batch`. The envelope is 200 whatever happened
   * inside, so each step's status is read: a step that was throttled or met a 5xx is sent again
   * (in a later batch, after its Retry-After); the others' answers are returned as they came.
   * Only for safe (repeatable) requests.
   */
  async batch(mailbox: string, steps: readonly BatchStep[], what = 'a batch of requests', signal?: AbortSignal): Promise<Map<string, BatchAnswer>> {
    if (steps.length > MAX_BATCH) throw new Error(`a $batch holds at most ${MAX_BATCH} requests`);
    const answers = new Map<string, BatchAnswer>();
    let pending = [...steps];
    let signedInAfresh = false;
    for (let attempt = 1; pending.length > 0; attempt++) {
      const res = await this.json(
        { mailbox, method: 'POST', url: '/$batch', slots: pending.length, json: { requests: pending.map((s) => ({ id: s.id, method: s.method, url: s.url, ...(s.headers ? { headers: s.headers } : {}), ...(s.body !== undefined ? { body: s.body, headers: { 'content-type': 'application/json', ...(s.headers ?? {}) } } : {}) })) }, what, ...(signal ? { signal } : {}) },
        parseBatchEnvelope,
      );
      const retry: BatchStep[] = [];
      let wait = 0;
      // A step refused its token (revoked while the envelope's was accepted): sign in afresh once, and send those again.
      const refused = pending.some((step) => res.get(step.id)?.status === 401) && !signedInAfresh;
      if (refused) {
        signedInAfresh = true;
        this.credential = this.makeCredential();
      }
      for (const step of pending) {
        const a = res.get(step.id);
        if (refused && a?.status === 401) {
          retry.push(step);
          continue;
        }
        if (a === undefined || a.status === 429 || a.status === 503 || a.status === 504) {
          if (attempt < this.maxAttempts) {
            retry.push(step);
            wait = Math.max(wait, this.retryAfterMs(a?.headers['retry-after']) ?? this.backoff(attempt));
            continue;
          }
        }
        answers.set(step.id, a ?? { id: step.id, status: 504, headers: {}, body: undefined });
      }
      if (retry.length > 0) {
        const lane = this.lane(mailbox);
        lane.notBefore = Math.max(lane.notBefore, this.now().getTime() + wait);
        this.options.log?.debug({ mailbox, what, retrying: retry.length, waitMs: wait }, 'some requests in a Graph batch were throttled; sending them again');
      }
      pending = retry;
    }
    return answers;
  }

  /** Raises the GraphApiError a batch step's failure stands for. */
  stepError(mailbox: string, answer: BatchAnswer, what: string): GraphApiError {
    const b = answer.body;
    const err = typeof b === 'object' && b !== null && 'error' in b ? (b as { error: { code?: unknown; message?: unknown } }).error : undefined;
    const code = typeof err?.code === 'string' ? err.code : '';
    const message = typeof err?.message === 'string' ? err.message : '';
    return new GraphApiError(describeFailure(answer.status, code, message, mailbox, what), { status: answer.status, code, failure: failureOf(answer.status, code), mailbox });
  }

  async close(): Promise<void> {
    // Nothing is held open: each request has its own connection.
  }
}

/** A `$batch` answer, and each step of it: a step without an id and a status is left out. */
const BatchEnvelopeSchema = z.object({ responses: z.array(z.unknown()).catch([]) });
const BatchStepSchema = z.object({
  id: z.string(),
  status: z.number(),
  headers: z.record(z.string(), z.unknown()).optional().catch(undefined),
  body: z.unknown(),
});

function parseBatchEnvelope(value: unknown): Map<string, BatchAnswer> {
  const out = new Map<string, BatchAnswer>();
  const envelope = BatchEnvelopeSchema.safeParse(value);
  if (!envelope.success) return out;
  for (const r of envelope.data.responses) {
    const step = BatchStepSchema.safeParse(r);
    if (!step.success) continue;
    const { id, status } = step.data;
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(step.data.headers ?? {})) if (typeof v === 'string') headers[k.toLowerCase()] = v;
    let body: unknown = step.data.body;
    const type = headers['content-type'] ?? '';
    // Graph base64-encodes a step's body that is not JSON (the MIME of `$value`).
    if (typeof body === 'string' && !/json/i.test(type)) body = Buffer.from(body, 'base64');
    out.set(id, { id, status, headers, body });
  }
  return out;
}

/** One page of a collection or delta answer. */
export interface Page<T> {
  value: T[];
  nextLink?: string;
  deltaLink?: string;
}

/** Reads a page's links and items; the items are validated by the capability that asked. */
export function pageOf(value: unknown): Page<unknown> {
  const o = record(value) ?? {};
  const items = [...list(o['value'])];
  const next = o['@odata.nextLink'];
  const delta = o['@odata.deltaLink'];
  return { value: items, ...(typeof next === 'string' ? { nextLink: next } : {}), ...(typeof delta === 'string' ? { deltaLink: delta } : {}) };
}
