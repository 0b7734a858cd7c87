/**
 * The service's local HTTP endpoints (node:http, bound to `server.host`, by default 127.0.0.1):
 *   GET /healthz  → 200 JSON { status: 'ok' | 'degraded', problems: [], sources, outbox, lastDigest };
 *                   503 { status: 'unavailable', error, problems, … } when the service cannot do its
 *                   job (the state store damaged, full or unreadable, the outbox stuck, the sender
 *                   refusing every message), with the reason
 *   GET /metrics  → Prometheus text exposition
 *   /hooks/<connector>/<path> → a connector's webhook route (see `mountHooks`): the body read up to
 *                   the route's limit (413 beyond it, unread), the route's secret checked in
 *                   constant time (401, logged, and nothing run when it is missing or wrong)
 *   anything else → the Clerk's console (src/console/server.ts) when it is on
 * Without the console, anything else is 404 (405 for a method other than GET or HEAD). Port 0
 * picks a free port; the port actually bound is returned and logged.
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { WebhookRequest, WebhookRoute } from '../sources/connector-module.js';
import type { HealthReport } from './health.js';
import { errorMessage, type ServiceLogger } from './logger.js';
import { BodyTooLarge, readBody } from '../runtime/http-body.js';

export interface HttpEndpoints {
  host: string;
  port: number;
  /** Throws when the state store is unusable. */
  health: () => Promise<HealthReport>;
  metrics: () => Promise<{ contentType: string; body: string }>;
  logger: ServiceLogger;
  /** Connectors' webhook routes, mounted under /hooks/<connector>/. */
  hooks?: readonly { connector: string; route: WebhookRoute }[];
  /** The console: asked for every other path; true when it answered. */
  console?: (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean>;
}

/** The body limit of a route that sets none, and the most any route may set. */
export const DEFAULT_HOOK_BODY_BYTES = 256 * 1024;
export const MAX_HOOK_BODY_BYTES = 4 * 1024 * 1024;
/** The shortest secret a route may be mounted with. */
export const MIN_HOOK_SECRET_LENGTH = 16;
const HOOK_PATH = /^[A-Za-z0-9_-]+(?:\/[A-Za-z0-9_-]+)*$/;
const CONNECTOR_NAME = /^[a-z0-9-]+$/;

interface MountedHook {
  connector: string;
  route: WebhookRoute;
  maxBodyBytes: number;
  secret: Buffer;
}

/**
 * The routes keyed by `/hooks/<connector>/<path>`. Throws (the service does not start) for a route
 * without a usable secret, with a path outside the pattern, a body limit beyond the most allowed,
 * or mounted twice: no route is ever answered without a secret to check.
 */
export function mountHooks(hooks: readonly { connector: string; route: WebhookRoute }[]): Map<string, MountedHook> {
  const mounted = new Map<string, MountedHook>();
  for (const { connector, route } of hooks) {
    const where = `/hooks/${connector}/${route.path}`;
    if (!CONNECTOR_NAME.test(connector) || !HOOK_PATH.test(route.path)) throw new Error(`The webhook route ${where} has a name Wardwatch does not accept (letters, digits, - and _ only).`);
    if (typeof route.secret?.value !== 'string' || route.secret.value.length < MIN_HOOK_SECRET_LENGTH || typeof route.secret.presented !== 'function') {
      throw new Error(`The webhook route ${where} has no secret of at least ${MIN_HOOK_SECRET_LENGTH} characters to check requests against, so it is not mounted and Wardwatch does not start.`);
    }
    const maxBodyBytes = route.maxBodyBytes ?? DEFAULT_HOOK_BODY_BYTES;
    if (!Number.isInteger(maxBodyBytes) || maxBodyBytes < 0 || maxBodyBytes > MAX_HOOK_BODY_BYTES) {
      throw new Error(`The webhook route ${where} asks for bodies of up to ${maxBodyBytes} bytes; at most ${MAX_HOOK_BODY_BYTES} are allowed.`);
    }
    if (mounted.has(where)) throw new Error(`The webhook route ${where} is mounted twice.`);
    mounted.set(where, { connector, route, maxBodyBytes, secret: Buffer.from(route.secret.value, 'utf8') });
  }
  return mounted;
}

/** True when every value presented equals the secret (and at least one was). Constant time for each. */
function secretMatches(secret: Buffer, presented: readonly string[]): boolean {
  if (presented.length === 0) return false;
  let ok = true;
  for (const value of presented) {
    const given = Buffer.from(typeof value === 'string' ? value : '', 'utf8');
    // Compare against a buffer of the same length so that timing does not give the length away.
    const same = given.length === secret.length && timingSafeEqual(given, secret);
    if (!same) ok = false;
  }
  return ok;
}


function headersOf(req: IncomingMessage): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(req.headers)) out[name] = Array.isArray(value) ? value.join(', ') : value;
  return out;
}

async function handleHook(req: IncomingMessage, res: ServerResponse, url: URL, hooks: Map<string, MountedHook>, logger: ServiceLogger): Promise<void> {
  const hook = hooks.get(url.pathname);
  if (hook === undefined) {
    sendJson(res, 404, { error: 'Not found.' }, false);
    return;
  }
  const { route, connector } = hook;
  const where = url.pathname;
  if (req.method !== route.method) {
    res.setHeader('allow', route.method);
    sendJson(res, 405, { error: `${where} answers ${route.method} only.` }, false);
    return;
  }
  let body: Buffer;
  try {
    body = await readBody(req, hook.maxBodyBytes);
  } catch (err) {
    if (!(err instanceof BodyTooLarge)) throw err;
    logger.warn({ connector, path: where, limit: hook.maxBodyBytes }, 'a webhook request was refused: its body is larger than the route accepts');
    res.setHeader('connection', 'close');
    sendJson(res, 413, { error: `The body is larger than the ${hook.maxBodyBytes} bytes ${where} accepts.` }, false);
    req.resume();
    return;
  }
  const request: WebhookRequest = {
    method: req.method ?? 'GET',
    path: route.path,
    query: url.searchParams,
    headers: headersOf(req),
    body,
  };
  let presented: readonly string[];
  try {
    presented = route.secret.presented(request);
  } catch {
    presented = [];
  }
  if (!secretMatches(hook.secret, presented)) {
    const none = presented.every((value) => typeof value !== 'string' || value === '');
    logger.warn(
      { connector, path: where, presented: presented.length },
      none ? 'a webhook request was refused: it carried no secret' : 'a webhook request was refused: its secret is wrong',
    );
    sendJson(res, 401, { error: 'The request could not be verified.' }, false);
    return;
  }
  const answer = await route.handle(request);
  const text = answer.body ?? '';
  res.writeHead(answer.status, { 'content-type': answer.contentType ?? 'text/plain; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export interface RunningHttpServer {
  host: string;
  port: number;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, contentType: string, body: string, head: boolean): void {
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
  res.end(head ? undefined : body);
}

function sendJson(res: ServerResponse, status: number, value: unknown, head: boolean): void {
  send(res, status, 'application/json; charset=utf-8', `${JSON.stringify(value)}\n`, head);
}

async function handle(req: IncomingMessage, res: ServerResponse, endpoints: HttpEndpoints, hooks: Map<string, MountedHook>): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const path = url.pathname;
  if (path.startsWith('/hooks/')) {
    await handleHook(req, res, url, hooks, endpoints.logger);
    return;
  }
  const head = req.method === 'HEAD';
  if (path !== '/healthz' && path !== '/metrics') {
    if (endpoints.console && (await endpoints.console(req, res, url))) return;
    sendJson(res, 404, { error: 'Not found. Wardwatch answers GET /healthz and GET /metrics.' }, head);
    return;
  }
  if (req.method !== 'GET' && !head) {
    res.setHeader('allow', 'GET, HEAD');
    sendJson(res, 405, { error: `${path} answers GET only.` }, false);
    return;
  }
  if (path === '/healthz') {
    let report: HealthReport;
    try {
      report = await endpoints.health();
    } catch (err) {
      endpoints.logger.error({ error: errorMessage(err) }, 'health check: the state store cannot be read');
      sendJson(res, 503, { status: 'unavailable', error: `The state store cannot be read: ${errorMessage(err)}` }, head);
      return;
    }
    if (report.status === 'unavailable') {
      sendJson(res, 503, { ...report, error: report.problems.map((p) => p.reason).join(' ') }, head);
      return;
    }
    sendJson(res, 200, report, head);
    return;
  }
  try {
    const { contentType, body } = await endpoints.metrics();
    send(res, 200, contentType, body, head);
  } catch (err) {
    endpoints.logger.error({ error: errorMessage(err) }, 'metrics could not be collected');
    send(res, 503, 'text/plain; charset=utf-8', `Metrics are unavailable: ${errorMessage(err)}\n`, head);
  }
}

export async function startHttpServer(endpoints: HttpEndpoints): Promise<RunningHttpServer> {
  const hooks = mountHooks(endpoints.hooks ?? []);
  const server: Server = createServer((req, res) => {
    handle(req, res, endpoints, hooks).catch((err: unknown) => {
      endpoints.logger.error({ error: errorMessage(err) }, 'an HTTP request failed');
      if (!res.headersSent) sendJson(res, 500, { error: 'Internal error.' }, false);
      else res.end();
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => {
      const what = endpoints.console ? '/healthz, /metrics and the console' : '/healthz and /metrics';
      reject(new Error(`Cannot listen on ${endpoints.host}:${endpoints.port} for ${what}: ${err.message}. Please choose another server.port in the config.`));
    };
    server.once('error', onError);
    server.listen(endpoints.port, endpoints.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const address = server.address();
  return {
    host: endpoints.host,
    port: typeof address === 'object' && address !== null ? address.port : endpoints.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
