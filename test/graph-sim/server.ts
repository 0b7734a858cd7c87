/**
 * The Graph simulator: one HTTPS server on 127.0.0.1 that is both the identity platform
 * (/{tenant}/v2.0/.well-known/openid-configuration, /{tenant}/oauth2/v2.0/token) and Microsoft
 * Graph (/v1.0/…), with its state, faults and logs reachable in-process for tests.
 *
 *   const sim = await startGraphSimulator();
 *   sim.registerApp({ clientId, secrets: [{ value: 's3cret' }], certificates: [cert.certificatePem] });
 *   sim.addMailbox('clerk@millbrook-tc.gov.uk');
 *   await sim.deliver('clerk@millbrook-tc.gov.uk', 'inbox', rawEml);
 *   … drive the connector with sim.graphBaseUrl, sim.authorityHost, sim.tenantId, sim.caPem …
 *   expect(sim.sentCount('x-wardwatch-effect', key)).toBe(1);
 *   await sim.close();
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Auth, type AppRegistration } from './auth.js';
import { runBatch } from './batch.js';
import { CalendarApi } from './calendar.js';
import { Faults, type Fault } from './faults.js';
import { MailApi } from './mail.js';
import { SimState, type Clock, type RequestRecord } from './state.js';
import { SubscriptionsApi } from './subscriptions.js';
import { makeTestPki } from './tls.js';
import { graphError, type SimRequest, type SimResponse } from './wire.js';

export interface GraphSimulatorOptions {
  tenantId?: string;
  /** Time as the simulator sees it (token expiry, Retry-After windows, subscription expiry). */
  clock?: Clock;
}

/** A clock tests move by hand, so nothing depends on real waiting. */
export class ManualClock implements Clock {
  constructor(private ms = Date.now()) {}
  now(): number { return this.ms; }
  advance(ms: number): void { this.ms += ms; }
}

const DROP = 0;

export class GraphSimulator {
  readonly host = '127.0.0.1';
  readonly tenantId: string;
  readonly state: SimState;
  readonly auth: Auth;
  readonly faults: Faults;
  readonly mail: MailApi;
  readonly calendar: CalendarApi;
  readonly subscriptions: SubscriptionsApi;
  private port = 0;
  private readonly sockets = new Set<Socket>();

  constructor(readonly caPem: string, private readonly server: Server, opts: GraphSimulatorOptions) {
    this.tenantId = opts.tenantId ?? randomUUID();
    const clock = opts.clock ?? { now: () => Date.now() };
    const origin = (): string => this.origin;
    this.state = new SimState(clock);
    this.auth = new Auth(this.tenantId, origin, clock);
    this.faults = new Faults(clock);
    this.mail = new MailApi(this.state, origin);
    this.calendar = new CalendarApi(this.state, origin);
    this.subscriptions = new SubscriptionsApi(this.state, this.tenantId, () => [...this.auth.apps.keys()][0] ?? '');
    server.on('connection', (s: Socket) => { this.sockets.add(s); s.on('close', () => this.sockets.delete(s)); });
    server.on('secureConnection', (s: Socket) => { this.sockets.add(s); s.on('close', () => this.sockets.delete(s)); });
    server.on('request', (req: IncomingMessage, res: ServerResponse) => { void this.serve(req, res); });
  }

  /** https://127.0.0.1:<port> */
  get origin(): string { return `https://${this.host}:${this.port}`; }
  /** For the Graph client's `baseUrl` (it appends the version). */
  get graphBaseUrl(): string { return `${this.origin}/`; }
  /** For @azure/identity's `authorityHost`. */
  get authorityHost(): string { return this.origin; }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, this.host, resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  registerApp(app: AppRegistration): void { this.auth.registerApp(app); }
  addMailbox(address: string, displayName?: string): string { return this.state.addMailbox(address, displayName).id; }
  deliver(mailbox: string, folder: string, raw: string | Buffer): Promise<string> { return this.state.deliverMime(mailbox, folder, raw); }
  sentCount(header: string, value: string): number { return this.state.sentCount(header, value); }
  inject(fault: Fault, match: { path: string | RegExp; method?: string; times?: number }): void { this.faults.add({ ...match, fault }); }
  requests(filter?: (r: RequestRecord) => boolean): RequestRecord[] { return filter ? this.state.requests.filter(filter) : [...this.state.requests]; }

  async close(): Promise<void> {
    await this.subscriptions.flush();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', this.origin);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
    const path = decodeURIComponent(url.pathname);
    let out: SimResponse;
    if (path.startsWith('/v1.0/')) {
      let body: unknown = undefined;
      // A text/plain body (MIME, base64-encoded) reaches the handler as the text it is, even
      // when that text happens to parse as JSON; anything else is read as JSON when it parses.
      if (raw !== '') {
        if (/^\s*text\/plain\b/i.test(headers['content-type'] ?? '')) body = raw;
        else try { body = JSON.parse(raw); } catch { body = raw; }
      }
      out = await this.handle({ method: req.method ?? 'GET', path: path.slice('/v1.0'.length), query: url.searchParams, headers, body, inBatch: false });
    } else {
      out = this.identity(req.method ?? 'GET', path, raw);
    }
    if (out.status === DROP) {
      req.socket.destroy();
      return;
    }
    const h: Record<string, string> = { ...(out.headers ?? {}) };
    let payload = '';
    if (out.body !== undefined) {
      if (typeof out.body === 'string') payload = out.body;
      else {
        payload = JSON.stringify(out.body);
        h['content-type'] = 'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';
      }
    }
    h['request-id'] = randomUUID();
    res.writeHead(out.status, h);
    res.end(payload);
  }

  private identity(method: string, path: string, raw: string): SimResponse {
    const parts = path.split('/').filter((p) => p !== '');
    if (method === 'GET' && parts.length === 4 && parts[1] === 'v2.0' && parts[2] === '.well-known' && parts[3] === 'openid-configuration') {
      return this.auth.openIdConfiguration(parts[0] ?? '');
    }
    if (method === 'POST' && parts.length === 4 && parts[1] === 'oauth2' && parts[2] === 'v2.0' && parts[3] === 'token') {
      return this.auth.token(parts[0] ?? '', new URLSearchParams(raw));
    }
    return { status: 404, body: { error: 'not_found', error_description: `The simulator does not serve ${method} ${path}.` } };
  }

  /** One Graph request, from the wire or from inside a $batch. */
  async handle(req: SimRequest): Promise<SimResponse> {
    const res = await this.handleUnlogged(req);
    const kept: Record<string, string> = {};
    for (const k of ['prefer', 'if-match', 'content-type', 'client-request-id']) { const v = req.headers[k]; if (v !== undefined) kept[k] = v; }
    this.state.requests.push({
      method: req.method, path: req.path, canonicalPath: req.canonicalPath ?? req.path, query: req.query.toString(), status: res.status, headers: kept,
      inBatch: req.inBatch, at: this.state.clock.now(), ...(req.mailbox ? { mailbox: req.mailbox.address } : {}),
      // JSON bodies are kept for schema checks of what a client sends ($batch envelopes aside: their steps are logged one by one).
      ...(req.body !== undefined && typeof req.body === 'object' && req.path !== '/$batch' ? { body: req.body } : {}),
    });
    return res;
  }

  private async handleUnlogged(req: SimRequest): Promise<SimResponse> {
    const who = this.auth.check(req.headers['authorization']);
    if (!who.ok) {
      return graphError(401, 'InvalidAuthenticationToken', who.message, { 'www-authenticate': `Bearer realm="", authorization_uri="${this.origin}/${this.tenantId}/oauth2/v2.0/authorize"` });
    }
    const segs = req.path.replace(/\('([^']*)'\)/g, '/$1').split('/').filter((s) => s !== '');
    if (segs[0] === 'users' && segs[1] !== undefined) {
      const mb = this.state.findMailbox(segs[1]);
      if (!mb) return graphError(404, 'ErrorInvalidUser', `The requested user '${segs[1]}' is invalid.`);
      req.mailbox = mb;
      const canon = ['', 'users', mb.address, ...segs.slice(2)];
      if (segs[2] === 'mailFolders' && segs[3] !== undefined) {
        const f = this.state.findFolder(mb, segs[3]);
        if (f) canon[4] = f.wellKnownName ?? f.displayName;
      }
      req.canonicalPath = canon.join('/');
    }
    if (req.path === '/$batch' && req.method === 'POST' && !req.inBatch) return runBatch(req, (inner) => this.handle(inner));
    const early = this.faults.checkEarly(req);
    if (early) return early;
    const busy = this.faults.enter(req);
    if (busy) return busy;
    try {
      let fault = this.faults.take(req);
      while (fault?.kind === 'hold') {
        await fault.gate.pass();
        fault = this.faults.take(req);
      }
      if (fault && (fault.kind === 'unauthorized')) {
        return graphError(401, 'InvalidAuthenticationToken', 'Access token validation failure.', { 'www-authenticate': 'Bearer realm=""' });
      }
      if (fault?.kind === 'syncStateNotFound') {
        return graphError(410, this.state.syncStateErrorCode, 'The sync state generation is not found. Start a full synchronization without a delta token.');
      }
      const after = fault && (fault.kind === 'status' || fault.kind === 'drop') && fault.when === 'after';
      if (fault && !after) return this.faultResponse(req, fault);
      const res = await this.route(req, segs);
      return fault && after ? this.faultResponse(req, fault) : res;
    } finally {
      this.faults.leave(req);
    }
  }

  private faultResponse(req: SimRequest, fault: Fault): SimResponse {
    if (fault.kind === 'status') return this.faults.statusResponse(req, fault);
    if (fault.kind === 'drop') return req.inBatch ? graphError(504, 'GatewayTimeout', 'The connection was dropped.') : { status: DROP };
    return graphError(500, 'InternalServerError', `Unexpected fault ${fault.kind}.`);
  }

  private async route(req: SimRequest, segs: string[]): Promise<SimResponse> {
    const m = req.method;
    const [s0, s1, s2, s3, s4, s5, s6] = segs;
    if (s0 === 'subscriptions') {
      if (s1 === undefined) return m === 'POST' ? this.subscriptions.create(req) : m === 'GET' ? this.subscriptions.list() : notAllowed(req);
      if (s2 === 'reauthorize' && m === 'POST') return this.subscriptions.reauthorize(s1);
      if (s2 !== undefined) return notFound(req);
      return m === 'GET' ? this.subscriptions.get(s1) : m === 'PATCH' ? this.subscriptions.renew(req, s1) : m === 'DELETE' ? this.subscriptions.remove(s1) : notAllowed(req);
    }
    const mb = req.mailbox;
    if (s0 !== 'users' || !mb) return notFound(req);
    // users/{id}/mailFolders/{f}/messages[/delta|/{id}[/$value]]
    if (s2 === 'mailFolders' && s3 === undefined && m === 'GET') return this.mail.folders(req, mb, undefined);
    if (s2 === 'mailFolders' && s3 !== undefined && s4 === undefined && m === 'GET') {
      const f = this.state.findFolder(mb, s3);
      return f ? this.mail.folder(req, mb, f) : graphError(404, 'ErrorInvalidIdMalformed', `Id is malformed or the folder ${s3} does not exist.`);
    }
    if (s2 === 'mailFolders' && s3 !== undefined && s4 === 'childFolders' && s5 === undefined && m === 'GET') {
      const f = this.state.findFolder(mb, s3);
      return f ? this.mail.folders(req, mb, f) : graphError(404, 'ErrorInvalidIdMalformed', `The folder ${s3} does not exist.`);
    }
    if (s2 === 'mailFolders' && s3 !== undefined && s4 === 'messages') {
      const folder = this.state.findFolder(mb, s3);
      if (!folder) return graphError(404, 'ErrorInvalidIdMalformed', `Id is malformed or the folder ${s3} does not exist.`);
      if (s5 === 'delta' && s6 === undefined && m === 'GET') return this.mail.delta(req, mb, folder);
      if (s5 === undefined && m === 'GET') return this.mail.list(req, mb, folder);
      if (s5 !== undefined && m === 'GET' && segs.length <= 7) return this.mail.getMessage(req, mb, s5, s6 === '$value');
      return notFound(req);
    }
    if (s2 === 'messages') {
      if (s3 === undefined) return m === 'GET' ? this.mail.list(req, mb, undefined) : m === 'POST' ? this.mail.createDraft(req, mb) : notAllowed(req);
      if (s4 === undefined && m === 'GET') return this.mail.getMessage(req, mb, s3, false);
      if (s4 === undefined && m === 'DELETE') {
        // As Graph does for a draft: gone (an item elsewhere would move to Deleted Items; Wardwatch deletes only drafts).
        if (!mb.messages.has(s3)) return graphError(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
        this.state.deleteMessage(mb.address, s3);
        return { status: 204 };
      }
      if (s4 === '$value' && m === 'GET') return this.mail.getMessage(req, mb, s3, true);
      if (s4 === 'send' && m === 'POST') return this.mail.send(mb, s3);
      if (s4 === 'forward' && m === 'POST') return this.mail.forward(req, mb, s3);
      return notFound(req);
    }
    if (s2 === 'sendMail' && s3 === undefined) return m === 'POST' ? this.mail.sendMail(req, mb) : notAllowed(req);
    const cal = s2 === 'calendar' ? segs.slice(3) : segs.slice(2);
    if (cal[0] === 'calendarView' && cal[1] === 'delta' && cal.length === 2 && m === 'GET') return this.calendar.delta(req, mb);
    if (cal[0] === 'events') {
      const [, id, action] = cal;
      if (id === undefined) return m === 'GET' ? this.calendar.list(req, mb) : notAllowed(req);
      if (action === undefined) return m === 'GET' ? this.calendar.get(mb, id) : m === 'PATCH' ? this.calendar.patch(req, mb, id) : notAllowed(req);
      if (action === 'decline' && m === 'POST') return this.calendar.decline(req, mb, id);
    }
    return notFound(req);
  }
}

const notFound = (req: SimRequest): SimResponse =>
  graphError(400, 'BadRequest', `Resource not found for the segment in ${req.method} ${req.path} (not served by the simulator).`);
const notAllowed = (req: SimRequest): SimResponse =>
  graphError(405, 'Request_BadRequest', `The method ${req.method} is not allowed on ${req.path}.`);

export async function startGraphSimulator(opts: GraphSimulatorOptions = {}): Promise<GraphSimulator> {
  const pki = makeTestPki();
  const server = createServer({ cert: pki.serverCertPem, key: pki.serverKeyPem });
  const sim = new GraphSimulator(pki.caPem, server, opts);
  await sim.listen();
  return sim;
}
