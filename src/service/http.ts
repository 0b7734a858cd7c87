/**
 * The service's local HTTP endpoints (node:http, bound to `server.host`, by default 127.0.0.1):
 *   GET /healthz  → 200 JSON { status: 'ok' | 'degraded', problems: [], sources, outbox, lastDigest };
 *                   503 { status: 'unavailable', error, problems, … } when the service cannot do its
 *                   job (the state store damaged, full or unreadable, the outbox stuck, the sender
 *                   refusing every message), with the reason
 *   GET /metrics  → Prometheus text exposition
 * Anything else is 404 (405 for a method other than GET or HEAD). Port 0 picks a free port; the
 * port actually bound is returned and logged.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { HealthReport } from './health.js';
import { errorMessage, type ServiceLogger } from './logger.js';

export interface HttpEndpoints {
  host: string;
  port: number;
  /** Throws when the state store is unusable. */
  health: () => Promise<HealthReport>;
  metrics: () => Promise<{ contentType: string; body: string }>;
  logger: ServiceLogger;
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

async function handle(req: IncomingMessage, res: ServerResponse, endpoints: HttpEndpoints): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  const head = req.method === 'HEAD';
  if (path !== '/healthz' && path !== '/metrics') {
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
  const server: Server = createServer((req, res) => {
    handle(req, res, endpoints).catch((err: unknown) => {
      endpoints.logger.error({ error: errorMessage(err) }, 'an HTTP request failed');
      if (!res.headersSent) sendJson(res, 500, { error: 'Internal error.' }, false);
      else res.end();
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => {
      reject(new Error(`Cannot listen on ${endpoints.host}:${endpoints.port} for /healthz and /metrics: ${err.message}. Please choose another server.port in the config.`));
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
