/**
 * The README's first-run path: `npm run demo:run` makes the demo account and opens the demo
 * council's console, where what Wardwatch would send waits for review. This runs the script's own
 * account step (taken from package.json) on a copy of config/demo, then the service on that copy,
 * and signs in with the name and password the script prints.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { setupEngine } from '../src/cli/engine-setup.js';
import { assembleService, type AssembledService } from '../src/service/assemble.js';
import { silentLogger } from '../src/service/logger.js';
import { Browser } from './console/server-harness.js';

const root = path.resolve(import.meta.dirname, '..');
const demoRun = z.object({ scripts: z.object({ 'demo:run': z.string() }) }).parse(JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'))).scripts['demo:run'];

const work = mkdtempSync(path.join(tmpdir(), 'wardwatch-demo-console-'));
let running: AssembledService | undefined;
afterAll(async () => {
  await running?.service.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('npm run demo:run', () => {
  it('says where the console is and how to sign in, and that account signs in to the demo council’s review page', async () => {
    expect(demoRun).toContain('http://127.0.0.1:9464/');
    const password = /printf '([^'\\]+)\\n'/.exec(demoRun)?.[1];
    expect(password, 'the demo password the script pipes to users add').toBeDefined();
    expect(demoRun).toContain(`sign in as demo with the password ${password ?? ''}`);

    // The script's own account step, on a copy of the demo (the real one must stay untouched).
    const copy = path.join(work, 'demo');
    cpSync(path.join(root, 'config/demo'), copy, { recursive: true, filter: (f) => !/wardwatch\.sqlite|[/\\]outbox$/.test(f) });
    const config = path.join(copy, 'council.yaml');
    const accountStep = /&& (printf .*? --replace) >\/dev\/null &&/.exec(demoRun)?.[1];
    expect(accountStep, 'the users add step in demo:run').toBeDefined();
    // Twice: starting the demo again must work too.
    for (let run = 0; run < 2; run++) execFileSync('sh', ['-c', (accountStep ?? '').replaceAll('config/demo/council.yaml', config)], { cwd: root, stdio: 'pipe' });

    const setup = setupEngine(config);
    expect(setup.loaded.config.review).toBe(true);
    running = await assembleService(setup, {
      sourceDir: path.join(copy, 'source'),
      logger: silentLogger(),
      http: { host: '127.0.0.1', port: 0 },
      connectorTuning: { folder: { watchMode: 'poll', pollIntervalMs: 50, debounceMs: 20 } },
    });
    const started = await running.service.start();
    const browser = new Browser(`http://127.0.0.1:${started.port ?? 0}`);
    expect((await browser.signIn('demo', password)).status).toBe(303);

    const store = running.store;
    const deadline = Date.now() + 20_000;
    while ((await store.listEffects({ states: ['awaiting-review'] })).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const held = await store.listEffects({ states: ['awaiting-review'] });
    expect(held.length).toBeGreaterThan(0);
    const review = await browser.get('/review');
    expect(review.status).toBe(200);
    const page = await review.text();
    expect(page).toContain('Awaiting review');
    for (const e of held.slice(0, 3)) expect(page).toContain(`/effects/${encodeURIComponent(e.key)}`);
    // Nothing went while it waited for the Clerk.
    expect(await store.listEffects({ states: ['done'], kinds: ['nudge', 'warn', 'notify', 'invite', 'block'] })).toEqual([]);
  }, 60_000);
});
