import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphError } from '@microsoft/microsoft-graph-client';
import { CLIENT_ID, EXPIRED_SECRET, MB, certificateCredential, graphClient, secretCredential, startHarness, type Harness } from './harness.js';
import { GRAPH_SCOPE } from './client.js';
import { makeClientCertificate } from './tls.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

let h: Harness;
beforeAll(async () => { h = await startHarness(); });
afterAll(async () => { await h.close(); });

describe('Graph simulator: app-only sign-in through @azure/identity and the Graph client', () => {
  it('signs in with a client secret and serves Graph over https trusted through the test CA', async () => {
    const me = await h.client.api(`/users/${MB.clerk}/mailFolders/inbox/messages`).get() as { value: unknown[] };
    expect(me.value).toEqual([]);
    expect(h.sim.auth.tokenRequests).toContainEqual({ clientId: CLIENT_ID, kind: 'secret', ok: true });
  });

  it('signs in with a certificate-signed client assertion', async () => {
    const cred = certificateCredential(h.sim, CLIENT_ID, h.certPath);
    const token = await cred.getToken(GRAPH_SCOPE);
    expect(token?.token).toBeTruthy();
    expect(h.sim.auth.tokenRequests).toContainEqual({ clientId: CLIENT_ID, kind: 'certificate', ok: true });
    const client = graphClient(h.sim, cred);
    const res = await client.api(`/users/${MB.sue}/messages`).get() as { value: unknown[] };
    expect(res.value).toEqual([]);
  });

  it('refuses a certificate that is not on the app registration with AADSTS700027', async () => {
    const stranger = makeClientCertificate('Someone else');
    const dir = mkdtempSync(join(tmpdir(), 'graph-sim-stranger-'));
    writeFileSync(join(dir, 'x.pem'), stranger.combinedPem);
    await expect(certificateCredential(h.sim, CLIENT_ID, join(dir, 'x.pem')).getToken(GRAPH_SCOPE)).rejects.toThrow(/AADSTS700027/);
  });

  it('answers a wrong secret with AADSTS7000215 and an expired one with AADSTS7000222', async () => {
    await expect(secretCredential(h.sim, CLIENT_ID, 'not-the-secret').getToken(GRAPH_SCOPE)).rejects.toThrow(/AADSTS7000215/);
    await expect(secretCredential(h.sim, CLIENT_ID, EXPIRED_SECRET).getToken(GRAPH_SCOPE)).rejects.toThrow(/AADSTS7000222/);
    await expect(secretCredential(h.sim, 'a0a0a0a0-0000-4000-8000-000000000000', 'x').getToken(GRAPH_SCOPE)).rejects.toThrow(/AADSTS700016/);
  });

  it('injects a 401 while the token is still valid, once', async () => {
    h.sim.inject({ kind: 'unauthorized' }, { path: `/users/${MB.clerk}/messages` });
    const err = await h.client.api(`/users/${MB.clerk}/messages`).get().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GraphError);
    expect((err as GraphError).statusCode).toBe(401);
    expect((err as GraphError).code).toBe('InvalidAuthenticationToken');
    await expect(h.client.api(`/users/${MB.clerk}/messages`).get()).resolves.toMatchObject({ value: [] });
  });

  it('refuses a token after its lifetime on the simulator clock', async () => {
    const cred = secretCredential(h.sim, CLIENT_ID, h.sim.auth.apps.get(CLIENT_ID)?.secrets[0]?.value ?? '');
    const token = (await cred.getToken(GRAPH_SCOPE))?.token ?? '';
    h.clock.advance(3600_000);
    expect(h.sim.auth.check(`Bearer ${token}`)).toMatchObject({ ok: false, message: /expired/ });
    h.clock.advance(-3600_000);
    expect(h.sim.auth.check(`Bearer ${token}`)).toMatchObject({ ok: true });
  });
});
