import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphError } from '@microsoft/microsoft-graph-client';
import type { Subscription } from '@microsoft/microsoft-graph-types';
import { Gate } from './faults.js';
import { MB, eml, startHarness, type Harness } from './harness.js';

let h: Harness;
let hook: Server;
let hookUrl = '';
/** What the stand-in service's webhook received. */
const received: Array<{ path: string; validationToken: string | null; body: string }> = [];
let answerValidation = true;

beforeAll(async () => {
  h = await startHarness();
  hook = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const token = url.searchParams.get('validationToken');
      received.push({ path: url.pathname, validationToken: token, body: Buffer.concat(chunks).toString('utf8') });
      if (token !== null) {
        if (!answerValidation) return; // never answers: the handshake times out
        res.writeHead(200, { 'content-type': 'text/plain' }).end(token);
        return;
      }
      res.writeHead(202).end();
    });
  });
  await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
  hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await h.close();
  hook.closeAllConnections();
  await new Promise<void>((resolve) => hook.close(() => resolve()));
});

const subscribe = (extra: Partial<Subscription> = {}) => h.client.api('/subscriptions').post({
  changeType: 'created,updated,deleted',
  notificationUrl: `${hookUrl}/hooks/graph`,
  lifecycleNotificationUrl: `${hookUrl}/hooks/graph/lifecycle`,
  resource: `/users/${MB.clerk}/mailFolders('inbox')/messages`,
  expirationDateTime: new Date(h.clock.now() + 30 * 86_400_000).toISOString(),
  clientState: 'millbrook-7f3a',
  ...extra,
}) as Promise<Subscription & { id: string }>;

describe('Graph simulator: change notifications', () => {
  it('validates both URLs, picks the expiry itself, and notifies changes with the clientState', async () => {
    const sub = await subscribe();
    expect(received.filter((r) => r.validationToken !== null).map((r) => r.path)).toEqual(['/hooks/graph', '/hooks/graph/lifecycle']);
    expect(Date.parse(sub.expirationDateTime ?? '')).toBeLessThanOrEqual(h.clock.now() + 10_080 * 60_000);

    const id = await h.sim.deliver(MB.clerk, 'inbox', eml({ from: MB.raj, to: [MB.clerk], subject: 'Weir Road' }));
    await h.sim.deliver(MB.clerk, 'sentitems', eml({ from: MB.clerk, to: [MB.raj], subject: 'Not watched' }));
    await h.sim.subscriptions.flush();
    const notes = received.filter((r) => r.path === '/hooks/graph' && r.validationToken === null).map((r) => JSON.parse(r.body) as { value: Array<Record<string, unknown>> });
    expect(notes).toHaveLength(1);
    expect(notes[0]?.value[0]).toMatchObject({ subscriptionId: sub.id, changeType: 'created', clientState: 'millbrook-7f3a', resourceData: { id } });

    h.sim.subscriptions.lifetimeCapMinutes = 60;
    const renewed = await h.client.api(`/subscriptions/${sub.id}`).patch({ expirationDateTime: new Date(h.clock.now() + 86_400_000).toISOString() }) as Subscription;
    expect(Date.parse(renewed.expirationDateTime ?? '')).toBe(Math.floor((h.clock.now() + 3_600_000) / 1000) * 1000);
    h.sim.subscriptions.lifetimeCapMinutes = 10_080;

    h.sim.subscriptions.lifecycle(sub.id, 'reauthorizationRequired');
    h.sim.subscriptions.forge(sub.id, 'not-our-state');
    h.sim.subscriptions.lifecycle(sub.id, 'subscriptionRemoved');
    await h.sim.subscriptions.flush();
    const lifecycle = received.filter((r) => r.path === '/hooks/graph/lifecycle' && r.validationToken === null).map((r) => JSON.parse(r.body) as { value: Array<{ lifecycleEvent: string }> });
    expect(lifecycle.map((l) => l.value[0]?.lifecycleEvent)).toEqual(['reauthorizationRequired', 'subscriptionRemoved']);
    expect(received.some((r) => r.body.includes('not-our-state'))).toBe(true);
    const gone = await h.client.api(`/subscriptions/${sub.id}`).get().catch((e: unknown) => e);
    expect((gone as GraphError).statusCode).toBe(404);
  });

  it('holds the subscription request while the validation handshake is slow', async () => {
    const gate = new Gate();
    h.sim.subscriptions.validationGate = gate;
    let settled = false;
    const pending = subscribe({ resource: `/users/${MB.sue}/events`, lifecycleNotificationUrl: null }).then((s) => { settled = true; return s; });
    await gate.waiting(1);
    expect(settled).toBe(false);
    gate.open();
    const sub = await pending;
    h.sim.subscriptions.validationGate = undefined;
    expect(sub.resource).toBe(`/users/${MB.sue}/events`);
  });

  it('refuses the subscription when the endpoint does not echo the token in time', async () => {
    answerValidation = false;
    h.sim.subscriptions.validationTimeoutMs = 200;
    const err = await subscribe({ resource: `/users/${MB.sam}/events` }).catch((e: unknown) => e);
    answerValidation = true;
    h.sim.subscriptions.validationTimeoutMs = 10_000;
    expect((err as GraphError).statusCode).toBe(400);
    expect((err as GraphError).code).toBe('ValidationError');
    expect(h.sim.subscriptions.deliveries.some((d) => d.kind === 'validation' && d.status === 'error')).toBe(true);
  });
});
