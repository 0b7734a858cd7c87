/**
 * The Google simulator: one plain-HTTP server on 127.0.0.1 that is Google's OAuth token endpoint
 * (POST /token, the JWT bearer grant of a service account with domain-wide delegation), the
 * Gmail API v1 (/gmail/v1/users/{userId}/…) and the Calendar API v3
 * (/calendar/v3/calendars/{calendarId}/events…), with its state, faults and logs reachable
 * in-process for tests.
 *
 *   const sim = await startGoogleSimulator({ clock });
 *   sim.addServiceAccount({ clientEmail, publicKeyPem, grants: { scopes } });
 *   sim.addUser('clerk@millbrook-tc.gov.uk', 'Helen Ashworth');
 *   await sim.deliver('clerk@millbrook-tc.gov.uk', rawEml);
 *   … new gmail_v1.Gmail({ auth, rootUrl: sim.rootUrl }) with a JWT whose transporter sends
 *     https://oauth2.googleapis.com/token to sim.tokenUrl (see client.ts) …
 *   expect(sim.sentCount('x-wardwatch-effect', key)).toBe(1);
 *   await sim.close();
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import { Auth, SCOPES_FOR, type IssuedToken, type ServiceAccount } from './auth.js';
import { CalendarApi } from './calendar.js';
import { DROP, Faults, unauthorized, type Fault } from './faults.js';
import { GMAIL_QUOTA_UNITS, GmailApi } from './gmail.js';
import { GoogleState, type Api, type Clock, type RequestRecord } from './state.js';
import { googleError, type SimRequest, type SimResponse } from './wire.js';

export interface GoogleSimulatorOptions {
  /** Time as the simulator sees it (token expiry, internalDate, event timestamps). */
  clock?: Clock;
}

/** A clock tests move by hand, so nothing depends on real waiting. */
export class ManualClock implements Clock {
  constructor(private ms = Date.now()) {}
  now(): number { return this.ms; }
  advance(ms: number): void { this.ms += ms; }
  set(ms: number): void { this.ms = ms; }
}

type GmailMethod = keyof typeof GMAIL_QUOTA_UNITS;

export class GoogleSimulator {
  readonly host = '127.0.0.1';
  readonly state: GoogleState;
  readonly auth: Auth;
  readonly faults: Faults;
  readonly gmail: GmailApi;
  readonly calendar: CalendarApi;
  private port = 0;
  private readonly sockets = new Set<Socket>();

  constructor(private readonly server: Server, opts: GoogleSimulatorOptions) {
    const clock = opts.clock ?? { now: () => Date.now() };
    this.state = new GoogleState(clock);
    this.auth = new Auth(this.state, clock);
    this.faults = new Faults();
    this.gmail = new GmailApi(this.state);
    this.calendar = new CalendarApi(this.state);
    server.on('connection', (s: Socket) => { this.sockets.add(s); s.on('close', () => this.sockets.delete(s)); });
    server.on('request', (req: IncomingMessage, res: ServerResponse) => { void this.serve(req, res); });
  }

  /** http://127.0.0.1:<port> */
  get origin(): string { return `http://${this.host}:${this.port}`; }
  /** `rootUrl` for both gmail_v1.Gmail and calendar_v3.Calendar. */
  get rootUrl(): string { return `${this.origin}/`; }
  /** What https://oauth2.googleapis.com/token is rewritten to. */
  get tokenUrl(): string { return `${this.origin}/token`; }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, this.host, resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  addServiceAccount(account: ServiceAccount): void { this.auth.addServiceAccount(account); }
  addUser(address: string, name?: string): string { return this.state.addUser(address, name).address; }
  addCalendar(calendarId: string, opts: { owner?: string; delegates?: string[]; summary?: string; timeZone?: string } = {}): string {
    return this.state.addCalendar(calendarId, opts).id;
  }
  deliver(user: string, raw: string | Buffer, labelIds: string[] = ['INBOX']): Promise<string> { return this.state.deliver(user, raw, labelIds); }
  sentCount(header: string, value: string): number { return this.state.sentCount(header, value); }
  inject(fault: Fault, match: { path: string | RegExp; method?: string; times?: number }): void { this.faults.add({ ...match, fault }); }
  requests(filter?: (r: RequestRecord) => boolean): RequestRecord[] { return filter ? this.state.requests.filter(filter) : [...this.state.requests]; }
  /** Gmail quota units spent, by everyone or by one user (the token's subject). */
  quotaUnits(user?: string): number {
    const u = user?.toLowerCase();
    return this.state.requests.filter((r) => u === undefined || r.user === u).reduce((n, r) => n + r.quotaUnits, 0);
  }

  async close(): Promise<void> {
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
    let path: string;
    try { path = decodeURIComponent(url.pathname); } catch { path = url.pathname; }
    let body: unknown = undefined;
    if (raw !== '') {
      if (/json/i.test(headers['content-type'] ?? '')) { try { body = JSON.parse(raw); } catch { body = raw; } } else body = raw;
    }
    const sreq: SimRequest = { method: req.method ?? 'GET', path, query: url.searchParams, headers, body };
    const log = { api: 'oauth' as Api, units: 0 };
    let out: SimResponse;
    try {
      out = await this.handle(sreq, log);
    } catch (e) {
      out = googleError(500, `Simulator error: ${e instanceof Error ? e.message : String(e)}`, { reason: 'backendError' });
    }
    const kept: Record<string, string> = {};
    for (const k of ['if-match', 'if-none-match', 'content-type', 'x-goog-api-client']) { const v = headers[k]; if (v !== undefined) kept[k] = v; }
    this.state.requests.push({
      method: sreq.method, path: sreq.path, canonicalPath: sreq.canonicalPath ?? sreq.path, query: sreq.query.toString(), status: out.status,
      ...(sreq.user ? { user: sreq.user } : {}), api: log.api, quotaUnits: log.units, headers: kept, at: this.state.clock.now(),
    });
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
        h['content-type'] = 'application/json; charset=UTF-8';
      }
    }
    h['x-guploader-uploadid'] = randomUUID();
    res.writeHead(out.status, h);
    res.end(payload);
  }

  private async handle(req: SimRequest, log: { api: Api; units: number }): Promise<SimResponse> {
    if (req.path === '/token') {
      log.api = 'oauth';
      req.canonicalPath = '/token';
      const fault = this.faults.take(req.method, ['/token']);
      const after = fault && fault.kind !== 'unauthorized' && fault.when === 'after';
      if (fault && !after) return this.faults.response(fault);
      if (req.method !== 'POST') return { status: 405, body: { error: 'invalid_request', error_description: 'Method not allowed' } };
      const form = new URLSearchParams(typeof req.body === 'string' ? req.body : '');
      const res = this.auth.token(form);
      if (res.sub) req.user = res.sub;
      const { sub: _sub, ...plain } = res;
      return fault && after ? this.faults.response(fault) : plain;
    }
    const segs = req.path.split('/').filter((s) => s !== '');
    if (segs[0] === 'gmail' && segs[1] === 'v1') log.api = 'gmail';
    else if (segs[0] === 'calendar' && segs[1] === 'v3') log.api = 'calendar';
    else return googleError(404, `The simulator does not serve ${req.method} ${req.path}.`, { reason: 'notFound' });

    const token = this.auth.check(req.headers['authorization']);
    if (!token) return unauthorized();
    req.user = token.sub;
    // Canonical path: me → the token's user, primary → the user's calendar.
    const canon = [...segs];
    if (log.api === 'gmail' && segs[2] === 'users' && segs[3] !== undefined) canon[3] = segs[3] === 'me' ? token.sub : segs[3].toLowerCase();
    if (log.api === 'calendar' && segs[2] === 'calendars' && segs[3] !== undefined) canon[3] = segs[3] === 'primary' ? token.sub : segs[3].toLowerCase();
    req.canonicalPath = '/' + canon.join('/');
    if (log.api === 'gmail') {
      const method = gmailMethod(req.method, segs);
      if (method) log.units = GMAIL_QUOTA_UNITS[method];
    }

    const fault = this.faults.take(req.method, [req.canonicalPath, req.path]);
    const after = fault && fault.kind !== 'unauthorized' && fault.when === 'after';
    if (fault && !after) return this.faults.response(fault);
    const res = log.api === 'gmail' ? await this.routeGmail(req, segs, token) : this.calendar.route(req, segs, token);
    return fault && after ? this.faults.response(fault) : res;
  }

  private async routeGmail(req: SimRequest, segs: string[], token: IssuedToken): Promise<SimResponse> {
    const [, , users, userId, s4, s5, s6] = segs;
    if (users !== 'users' || userId === undefined) return googleError(404, 'Not Found', { reason: 'notFound' });
    const address = userId === 'me' ? token.sub : userId.toLowerCase();
    if (address !== token.sub) return googleError(403, `Delegation denied for ${token.sub}`, { reason: 'forbidden' });
    const mb = this.state.mailbox(address);
    if (!mb) return googleError(400, 'Mail service not enabled', { reason: 'failedPrecondition' });
    const method = gmailMethod(req.method, segs);
    const need = method === 'messages.send' ? SCOPES_FOR.gmailSend : method === 'getProfile' ? SCOPES_FOR.gmailProfile : SCOPES_FOR.gmailRead;
    if (!need.some((s) => token.scopes.includes(s))) return insufficientScopes();
    switch (method) {
      case 'getProfile': return this.gmail.profile(mb);
      case 'messages.list': return this.gmail.list(req, mb, token.scopes);
      case 'messages.get': return this.gmail.get(req, mb, s6 === undefined ? s5 ?? '' : '', token.scopes);
      case 'history.list': return this.gmail.history(req, mb);
      case 'labels.list': return this.gmail.labels(mb);
      case 'messages.send': return this.gmail.send(req, mb);
      default: return googleError(404, `The simulator does not serve ${req.method} ${s4 ?? ''}.`, { reason: 'notFound' });
    }
  }
}

export function insufficientScopes(): SimResponse {
  return googleError(403, 'Request had insufficient authentication scopes.', { reason: 'insufficientPermissions', message: 'Insufficient Permission' },
    { 'www-authenticate': 'Bearer realm="https://accounts.google.com/", error="insufficient_scope"' });
}

function gmailMethod(method: string, segs: string[]): GmailMethod | undefined {
  const [, , , , s4, s5, s6] = segs;
  if (s4 === 'profile' && s5 === undefined && method === 'GET') return 'getProfile';
  if (s4 === 'history' && s5 === undefined && method === 'GET') return 'history.list';
  if (s4 === 'labels' && s5 === undefined && method === 'GET') return 'labels.list';
  if (s4 === 'messages') {
    if (s5 === undefined && method === 'GET') return 'messages.list';
    if (s5 === 'send' && s6 === undefined && method === 'POST') return 'messages.send';
    if (s5 !== undefined && s6 === undefined && method === 'GET') return 'messages.get';
  }
  return undefined;
}

export async function startGoogleSimulator(opts: GoogleSimulatorOptions = {}): Promise<GoogleSimulator> {
  const sim = new GoogleSimulator(createServer(), opts);
  await sim.listen();
  return sim;
}
