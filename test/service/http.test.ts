import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { buildHealth, sourceState } from '../../src/service/health.js';
import { startHttpServer, type RunningHttpServer } from '../../src/service/http.js';
import { createLogger, silentLogger } from '../../src/service/logger.js';
import { ServiceMetrics } from '../../src/service/metrics.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';

let dir: string | undefined;
let server: RunningHttpServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function openStore(): SqliteStore {
  dir = mkdtempSync(path.join(tmpdir(), 'wardwatch-http-'));
  return new SqliteStore(path.join(dir, 'state.sqlite'));
}

async function serve(store: SqliteStore, sources: string[]): Promise<string> {
  const metrics = new ServiceMetrics(store);
  server = await startHttpServer({
    host: '127.0.0.1',
    port: 0,
    health: async () => await buildHealth(store, sources),
    metrics: () => metrics.render(),
    logger: silentLogger(),
  });
  expect(server.port).toBeGreaterThan(0);
  return `http://127.0.0.1:${server.port}`;
}

describe('source health', () => {
  it('is starting, ok or failing by its last success and last error', () => {
    expect(sourceState(undefined)).toBe('starting');
    expect(sourceState({ source: 'folder', lastSuccess: '2026-11-20T10:00:00.000Z' })).toBe('ok');
    expect(sourceState({ source: 'folder', lastError: { at: '2026-11-20T10:00:00.000Z', message: 'down' } })).toBe('failing');
    expect(sourceState({ source: 'imap', lastSuccess: '2026-11-20T10:05:00.000Z', lastError: { at: '2026-11-20T10:00:00.000Z', message: 'down' } })).toBe('ok');
    expect(sourceState({ source: 'imap', lastSuccess: '2026-11-20T10:00:00.000Z', lastError: { at: '2026-11-20T10:05:00.000Z', message: 'down' } })).toBe('failing');
  });
});

describe('GET /healthz and /metrics', () => {
  it('report the sources, the outbox and the last digest; degraded while a source fails', async () => {
    const store = openStore();
    await store.recordSourceSuccess('folder', '2026-11-20T10:00:00.000Z');
    await store.recordSourceError('imap', '2026-11-20T10:01:00.000Z', 'IMAP server imap.example.org refused the connection');
    await store.recordDigest('2026-11-19', '<ww-digest@millbrook-tc.gov.uk>', '2026-11-19T07:30:05.000Z');
    const base = await serve(store, ['folder', 'imap']);

    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      status: 'degraded',
      problems: [],
      sources: [
        { source: 'folder', lastSuccess: '2026-11-20T10:00:00.000Z', state: 'ok' },
        { source: 'imap', lastError: { at: '2026-11-20T10:01:00.000Z', message: 'IMAP server imap.example.org refused the connection' }, state: 'failing' },
      ],
      outbox: { pending: 0, failed: 0, inDoubt: 0 },
      lastDigest: { date: '2026-11-19', messageId: '<ww-digest@millbrook-tc.gov.uk>', sentAt: '2026-11-19T07:30:05.000Z' },
    });

    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain('source_last_success_timestamp_seconds{source="folder"} 1795168800');
    expect(metrics).toContain('outbox_pending 0');
    expect(metrics).toMatch(/# TYPE items_processed_total counter/);
    expect(metrics).toMatch(/# TYPE problems_total counter/);
    expect(metrics).toMatch(/process_cpu_seconds_total/);

    // A digest caught mid-send that the sender cannot vouch for is counted as held in doubt.
    await store.recordDigestAttempt({ date: '2026-11-20', messageId: '<ww-d2@millbrook-tc.gov.uk>', until: '2026-11-20T07:30:00.000Z', startedAt: '2026-11-20T07:30:00.000Z' });
    await store.markDigestInDoubt('2026-11-20', '2026-11-20T08:00:00.000Z');
    expect(((await (await fetch(`${base}/healthz`)).json()) as { outbox: unknown }).outbox).toEqual({ pending: 0, failed: 0, inDoubt: 1 });
    expect(await (await fetch(`${base}/metrics`)).text()).toContain('outbox_in_doubt 1');

    expect((await fetch(`${base}/healthz`, { method: 'POST' })).status).toBe(405);
    expect((await fetch(`${base}/`)).status).toBe(404);
    await store.close();
  });

  it('answer 503 when the state store cannot be read', async () => {
    const store = openStore();
    const base = await serve(store, ['folder']);
    await store.close();
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ status: 'unavailable', error: expect.stringMatching(/The state store cannot be read/) });
    expect((await fetch(`${base}/metrics`)).status).toBe(503);
  });
});

describe('the service logger', () => {
  it('writes one JSON object per line and never writes secrets or message content', () => {
    const chunks: string[] = [];
    const logger = createLogger({
      destination: new Writable({
        write(chunk: Buffer, _enc, done) {
          chunks.push(chunk.toString());
          done();
        },
      }),
    });
    logger.info(
      {
        source: 'imap',
        password: 'hunter2',
        settings: { token: 'abc123', nested: { clientSecret: 's3cret' } },
        headers: { authorization: 'Bearer xyz' },
        mail: { text: 'Dear Cllr Brown, the confidential report…', html: '<p>secret</p>' },
      },
      'connected',
    );
    const line = chunks.join('');
    const entry = JSON.parse(line.trim()) as Record<string, unknown>;
    expect(entry['msg']).toBe('connected');
    expect(entry['level']).toBe('info');
    expect(entry['source']).toBe('imap');
    for (const secret of ['hunter2', 'abc123', 's3cret', 'Bearer xyz', 'confidential report', '<p>secret</p>']) expect(line).not.toContain(secret);
    expect(line).toContain('[redacted]');
  });
});
