/**
 * Connectors' webhook routes, mounted by the service under /hooks/<connector>/: the mounting code,
 * not the route, refuses a body over the route's limit (413) and a request without the route's
 * secret or with a wrong one (401, logged); in neither case does the route's handler run. A route
 * without a secret is never mounted. And the connectors' scheduled jobs run while the service does.
 */
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CONNECTOR_MODULES } from '../../connectors/index.js';
import type { AssembledService } from '../../src/service/assemble.js';
import { mountHooks, startHttpServer, type RunningHttpServer } from '../../src/service/http.js';
import { ScheduledJobs } from '../../src/service/jobs.js';
import { createLogger, silentLogger } from '../../src/service/logger.js';
import type { ConnectorModule, WebhookRequest, WebhookRoute } from '../../src/sources/connector-module.js';
import { assembleForTest, makeCouncil, waitFor, type TestCouncil } from './helpers.js';

const SECRET = 'millbrook-graph-client-state-4f1c9a';

let server: RunningHttpServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A Graph-style notification route: the secret is each notification's clientState. */
function notificationsRoute(handled: WebhookRequest[], maxBodyBytes?: number): WebhookRoute {
  return {
    path: 'notifications',
    method: 'POST',
    ...(maxBodyBytes !== undefined ? { maxBodyBytes } : {}),
    secret: {
      value: SECRET,
      presented: (request) => {
        const body: unknown = JSON.parse(request.body.toString('utf8'));
        const value = typeof body === 'object' && body !== null && 'value' in body && Array.isArray(body.value) ? (body.value as unknown[]) : [];
        return value.map((n) => (typeof n === 'object' && n !== null && 'clientState' in n && typeof n.clientState === 'string' ? n.clientState : ''));
      },
    },
    handle: async (request) => {
      handled.push(request);
      return { status: 202 };
    },
  };
}

/** A Google-style route: the secret travels in a header. */
function headerRoute(handled: WebhookRequest[]): WebhookRoute {
  return {
    path: 'calendar/push',
    method: 'POST',
    secret: { value: SECRET, presented: (request) => (request.headers['x-goog-channel-token'] ? [request.headers['x-goog-channel-token']] : []) },
    handle: async (request) => {
      handled.push(request);
      return { status: 200, body: 'ok' };
    },
  };
}

async function serve(routes: WebhookRoute[]): Promise<{ base: string; logs: Record<string, unknown>[] }> {
  const logs: Record<string, unknown>[] = [];
  const logger = createLogger({
    destination: new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString().split('\n')) if (line.trim() !== '') logs.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    }),
  });
  server = await startHttpServer({
    host: '127.0.0.1',
    port: 0,
    health: () => {
      throw new Error('not used');
    },
    metrics: async () => ({ contentType: 'text/plain', body: '' }),
    logger,
    hooks: routes.map((route) => ({ connector: 'graph', route })),
  });
  return { base: `http://127.0.0.1:${server.port}`, logs };
}

const notification = (clientState: string | undefined): string =>
  JSON.stringify({ value: [{ subscriptionId: 'sub-1', changeType: 'created', resource: 'Users/clerk/Messages/AAMk', ...(clientState !== undefined ? { clientState } : {}) }] });

describe('webhook routes under /hooks/<connector>/', () => {
  it('run the route when the request carries the secret', async () => {
    const handled: WebhookRequest[] = [];
    const { base } = await serve([notificationsRoute(handled), headerRoute(handled)]);
    const res = await fetch(`${base}/hooks/graph/notifications?k=1`, { method: 'POST', body: notification(SECRET) });
    expect(res.status).toBe(202);
    expect(handled).toHaveLength(1);
    expect(handled[0]?.path).toBe('notifications');
    expect(handled[0]?.query.get('k')).toBe('1');
    const pushed = await fetch(`${base}/hooks/graph/calendar/push`, { method: 'POST', headers: { 'x-goog-channel-token': SECRET }, body: '' });
    expect(pushed.status).toBe(200);
    expect(await pushed.text()).toBe('ok');
    expect(handled).toHaveLength(2);
  });

  it('refuse a missing or wrong secret, log it, and run nothing', async () => {
    const handled: WebhookRequest[] = [];
    const { base, logs } = await serve([notificationsRoute(handled), headerRoute(handled)]);
    const missing = await fetch(`${base}/hooks/graph/notifications`, { method: 'POST', body: notification(undefined) });
    expect(missing.status).toBe(401);
    const wrong = await fetch(`${base}/hooks/graph/notifications`, { method: 'POST', body: notification('millbrook-graph-client-state-4f1c9b') });
    expect(wrong.status).toBe(401);
    // One notification of two with the right secret is not enough.
    const mixed = await fetch(`${base}/hooks/graph/notifications`, {
      method: 'POST',
      body: JSON.stringify({ value: [{ clientState: SECRET }, { clientState: 'guess' }] }),
    });
    expect(mixed.status).toBe(401);
    const noHeader = await fetch(`${base}/hooks/graph/calendar/push`, { method: 'POST', body: '' });
    expect(noHeader.status).toBe(401);
    const notJson = await fetch(`${base}/hooks/graph/notifications`, { method: 'POST', body: 'not json' });
    expect(notJson.status).toBe(401);
    expect(handled).toEqual([]);
    const refusals = logs.filter((l) => typeof l['msg'] === 'string' && l['msg'].startsWith('a webhook request was refused'));
    expect(refusals.map((l) => l['msg'])).toEqual([
      'a webhook request was refused: it carried no secret',
      'a webhook request was refused: its secret is wrong',
      'a webhook request was refused: its secret is wrong',
      'a webhook request was refused: it carried no secret',
      'a webhook request was refused: it carried no secret',
    ]);
    expect(refusals.every((l) => l['level'] === 'warn' && l['connector'] === 'graph')).toBe(true);
    expect(JSON.stringify(logs)).not.toContain(SECRET);
  });

  it('refuse a body over the route’s limit with 413, unread, and run nothing', async () => {
    const handled: WebhookRequest[] = [];
    const { base, logs } = await serve([notificationsRoute(handled, 1024)]);
    const big = JSON.stringify({ value: [{ clientState: SECRET, resource: 'x'.repeat(4096) }] });
    const declared = await fetch(`${base}/hooks/graph/notifications`, { method: 'POST', body: big });
    expect(declared.status).toBe(413);
    // Sent in chunks without a length: counted as it arrives.
    const chunked = await fetch(`${base}/hooks/graph/notifications`, {
      method: 'POST',
      body: new ReadableStream({
        start(controller) {
          for (let i = 0; i < 8; i++) controller.enqueue(new TextEncoder().encode(big.slice(i * 600, (i + 1) * 600)));
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
    expect(handled).toEqual([]);
    expect(logs.filter((l) => l['msg'] === 'a webhook request was refused: its body is larger than the route accepts')).toHaveLength(2);
  });

  it('answer only their own method and path', async () => {
    const handled: WebhookRequest[] = [];
    const { base } = await serve([notificationsRoute(handled)]);
    expect((await fetch(`${base}/hooks/graph/notifications`)).status).toBe(405);
    expect((await fetch(`${base}/hooks/graph/elsewhere`, { method: 'POST', body: notification(SECRET) })).status).toBe(404);
    expect((await fetch(`${base}/hooks/google/notifications`, { method: 'POST', body: notification(SECRET) })).status).toBe(404);
    expect(handled).toEqual([]);
  });

  it('are never mounted without a secret of 16 characters or more, nor with too large a limit', () => {
    const route = notificationsRoute([]);
    expect(() => mountHooks([{ connector: 'graph', route: { ...route, secret: { ...route.secret, value: '' } } }])).toThrow(/has no secret of at least 16 characters/);
    expect(() => mountHooks([{ connector: 'graph', route: { ...route, secret: { ...route.secret, value: 'short' } } }])).toThrow(/has no secret/);
    expect(() => mountHooks([{ connector: 'graph', route: { ...route, maxBodyBytes: 64 * 1024 * 1024 } }])).toThrow(/at most 4194304 are allowed/);
    expect(() => mountHooks([{ connector: 'graph', route: { ...route, path: '../healthz' } }])).toThrow(/name Wardwatch does not accept/);
    expect(() => mountHooks([{ connector: 'graph', route }, { connector: 'graph', route }])).toThrow(/mounted twice/);
    expect([...mountHooks([{ connector: 'graph', route }]).keys()]).toEqual(['/hooks/graph/notifications']);
  });
});

describe('scheduled jobs', () => {
  it('run at their interval (at start when asked), go on after a failure, and stop with the service', async () => {
    const runs: string[] = [];
    const sleeps: number[] = [];
    let fail = true;
    const jobs = new ScheduledJobs(
      [
        {
          connector: 'graph',
          job: {
            name: 'renew subscriptions',
            intervalMs: 60_000,
            runAtStart: true,
            run: async () => {
              runs.push('renew');
              if (fail) {
                fail = false;
                throw new Error('the server is busy');
              }
            },
          },
        },
      ],
      silentLogger(),
      async (ms, signal) => {
        sleeps.push(ms);
        if (sleeps.length >= 3) await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      },
    );
    jobs.start();
    await new Promise((r) => setTimeout(r, 20));
    expect(runs).toEqual(['renew', 'renew', 'renew']);
    expect(sleeps).toEqual([60_000, 60_000, 60_000]);
    await jobs.stop();
    expect(runs).toHaveLength(3);
  });
});

describe('a connector module with webhook routes and jobs, run by the service', () => {
  let council: TestCouncil | undefined;
  let running: AssembledService | undefined;
  afterEach(async () => {
    await running?.service.stop();
    running = undefined;
    council?.remove();
    council = undefined;
  });

  it('has its routes mounted under /hooks/<name>/ and its jobs run, and both stop with the service', async () => {
    const handled: WebhookRequest[] = [];
    const renewals: string[] = [];
    let created: unknown;
    // A stand-in for the Microsoft 365 module, configured as the real one is (its schema checks the section).
    const section = { tenantId: '8c1f6a2e-4b7d-4e0a-9f3c-2d5e6b7a8c91', clientId: '6f1c4a52-9b8e-4d3a-a1f0-3c2d7e9b5a10', clientSecret: '${WARDWATCH_GRAPH_CLIENT_SECRET}' };
    const notifying: ConnectorModule<unknown> = {
      name: 'graph',
      title: 'Microsoft 365',
      configSchema: z.unknown(),
      async create(context) {
        created = context.settings;
        return {
          name: 'graph',
          routes: [{ ...notificationsRoute(handled), secret: { ...notificationsRoute(handled).secret, value: SECRET } }],
          jobs: [{ name: 'renew subscriptions', intervalMs: 3_600_000, runAtStart: true, run: async () => void renewals.push('renewed') }],
          close: async () => undefined,
        };
      },
    };
    council = makeCouncil({ connectors: { folder: { dir: './source' }, graph: section } });
    running = await assembleForTest(council, { modules: [notifying, ...CONNECTOR_MODULES.filter((m) => m.name !== 'graph')], http: { host: '127.0.0.1', port: 0 } });
    expect(created).toMatchObject(section);
    const started = await running.service.start();
    const base = `http://127.0.0.1:${started.port ?? 0}`;
    expect((await fetch(`${base}/hooks/graph/notifications`, { method: 'POST', body: notification('wrong-client-state-0000000') })).status).toBe(401);
    expect(handled).toEqual([]);
    expect((await fetch(`${base}/hooks/graph/notifications`, { method: 'POST', body: notification(SECRET) })).status).toBe(202);
    expect(handled).toHaveLength(1);
    await waitFor('the renewal job to run at start', () => renewals.length === 1);
    await running.service.stop();
    running = undefined;
    expect(renewals).toEqual(['renewed']);
  });
});
