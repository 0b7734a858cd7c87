/** The console as `wardwatch run` serves it: mounted by assembleService beside /healthz, with the real pages and the Clerk's actions. */
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { setupEngine } from '../../src/cli/engine-setup.js';
import { hashPassword } from '../../src/console/passwords.js';
import { effectKey } from '../../src/outbox/idempotency.js';
import { AssembleError, assembleService, type AssembledService } from '../../src/service/assemble.js';
import { createLogger } from '../../src/service/logger.js';
import { A } from '../support/council.js';
import { assembleForTest, dropMail, makeCouncil, readOutbox, requestMail, waitFor, type TestCouncil } from '../service/helpers.js';
import { Browser, PASSWORD } from './server-harness.js';

let council: TestCouncil | undefined;
let running: AssembledService | undefined;
afterEach(async () => {
  await running?.service.stop();
  running = undefined;
  council?.remove();
  council = undefined;
});

function capture(): { destination: Writable; lines: () => string[] } {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  return { destination, lines: () => chunks.join('').split('\n').filter((l) => l !== '') };
}

describe('the console in the running service', () => {
  it('is served beside /healthz, says where, and an approval there goes out at once, exactly once', async () => {
    council = makeCouncil({ review: true });
    const log = capture();
    // A long outbox round: the message goes because the approval wakes the outbox, not because a round came.
    running = await assembleForTest(council, { logger: createLogger({ destination: log.destination }), tuning: { outboxIntervalMs: 10 * 60_000 } });
    await running.store.putUser({ username: 'helen', displayName: 'Helen Ashworth', role: 'clerk', passwordHash: await hashPassword(PASSWORD), createdAt: new Date().toISOString() });
    const started = await running.service.start();
    const base = `http://127.0.0.1:${started.port ?? 0}`;
    expect(log.lines().some((l) => l.includes(`"msg":"the Clerk's console is at ${base}/"`))).toBe(true);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);

    const request = requestMail(1);
    dropMail(council, A.raj, 'sent', 'request.eml', request.content);
    const nudgeKey = effectKey({ rule: 'requests-via-clerk', itemKey: request.messageId, recipient: A.raj, kind: 'nudge' });
    await waitFor('the nudge held for review', async () => (await running?.store.getEffect(nudgeKey))?.state === 'awaiting-review');

    const browser = new Browser(base);
    expect((await browser.signIn('helen')).status).toBe(303);
    expect(log.lines().some((l) => l.includes('"msg":"console sign-in"') && l.includes('"username":"helen"') && !l.includes(PASSWORD))).toBe(true);
    const page = await browser.get(`/effects/${encodeURIComponent(nudgeKey)}`);
    expect(page.status).toBe(200);
    const csrf = /name="csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? '';
    const approved = await browser.post(`/effects/${encodeURIComponent(nudgeKey)}/approve`, { csrf });
    expect(approved.status).toBe(303);

    const sent = await waitFor('the nudge sent', async () => {
      const messages = await readOutbox(council?.outboxDir ?? '');
      return messages.some((m) => m.key === nudgeKey) ? messages : undefined;
    }, 10_000);
    expect(sent.filter((m) => m.key === nudgeKey)).toHaveLength(1);
    expect((await running.store.getEffect(nudgeKey))?.state).toBe('done');
    // Approving it again sends nothing more.
    await browser.post(`/effects/${encodeURIComponent(nudgeKey)}/approve`, { csrf });
    await running.service.flushOutbox();
    expect((await readOutbox(council.outboxDir)).filter((m) => m.key === nudgeKey)).toHaveLength(1);
  });

  it('logs refused sign-ins without what was typed as a username, unless it is an account’s, and the limit’s refusals at warn', async () => {
    council = makeCouncil();
    const log = capture();
    running = await assembleForTest(council, { logger: createLogger({ destination: log.destination }) });
    await running.store.putUser({ username: 'helen', displayName: 'Helen Ashworth', role: 'clerk', passwordHash: await hashPassword(PASSWORD), createdAt: new Date().toISOString() });
    const started = await running.service.start();
    const browser = new Browser(`http://127.0.0.1:${started.port ?? 0}`);
    // A password typed into the username box, five times; then helen's account, named as it is.
    const typed = 'Winter Garden Gate 1987';
    for (let i = 0; i < 5; i++) expect((await browser.signIn(typed, 'x')).status).toBe(400);
    expect((await browser.signIn(typed, 'x')).status).toBe(429);
    expect((await browser.signIn('Helen', 'not it')).status).toBe(400);
    expect((await browser.signIn('y'.repeat(101), 'x')).status).toBe(400);

    const lines = log.lines().filter((l) => l.includes('console sign-in'));
    const all = lines.join('\n');
    expect(all).not.toContain(typed);
    expect(all).not.toContain('yyyyyyyyyy');
    expect(all).not.toContain('"username":"Helen"');
    const named = (line: string): string => /"username":"([^"]*)"/.exec(line)?.[1] ?? '';
    const failed = lines.filter((l) => l.includes('"msg":"console sign-in failed: wrong username or password"'));
    expect(failed.map(named)).toEqual([...Array(5).fill('an unknown username (SHA-256 56cc96…)'), 'helen', expect.stringMatching(/^an unknown username \(SHA-256 [0-9a-f]{6}…\)$/)]);
    const limited = lines.filter((l) => l.includes('"msg":"console sign-in refused: too many attempts"'));
    expect(limited).toHaveLength(1);
    expect(limited[0]).toContain('"level":"warn"');
    expect(named(limited[0] ?? '')).toBe('an unknown username (SHA-256 56cc96…)');
  });

  it('is not served when console.enabled is false', async () => {
    council = makeCouncil({ console: { enabled: false } });
    running = await assembleForTest(council);
    const started = await running.service.start();
    const res = await fetch(`http://127.0.0.1:${started.port ?? 0}/sign-in`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toContain('application/json');
  });

  it('does not start when single sign-on’s secret is missing from the environment', async () => {
    council = makeCouncil();
    const setup = setupEngine(council.configFile);
    const oidc = { issuer: 'https://login.example.org', clientId: 'wardwatch', clientSecret: '${WARDWATCH_TEST_OIDC_SECRET_UNSET}', buttonText: 'Sign in' };
    const config = { ...setup.loaded.config, console: { ...setup.loaded.config.console, oidc } };
    const attempt = assembleService({ ...setup, loaded: { ...setup.loaded, config } }, {
      sourceDir: council.sourceDir,
      logger: createLogger({ level: 'silent' }),
      console: { env: {} },
    });
    await expect(attempt).rejects.toBeInstanceOf(AssembleError);
    await expect(attempt).rejects.toThrow(/WARDWATCH_TEST_OIDC_SECRET_UNSET is not set; console.oidc.clientSecret needs it/);
  });
});
