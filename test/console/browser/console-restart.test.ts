/**
 * A restart in the middle of an approval loses nothing and sends nothing twice. The service runs
 * as it really runs (`node dist/src/cli.js run`, built by `npm test`) and is killed with SIGKILL:
 *
 * - after the approval's answer: the Clerk approves a nudge in headless Chromium and the process
 *   is killed at once, or a moment later — before the outbox took the nudge, between taking it
 *   and writing it, or after — then started again;
 * - in the middle of the approval: the approval's POST is sent and the process is killed without
 *   waiting for the answer, at once or after a random 0–50 ms, round after round. Each nudge is
 *   then either still awaiting review (the approval did not land: nothing is lost, the Clerk
 *   approves it again) or approved, and sent exactly once.
 *
 * Each approved nudge is in the outbox folder exactly once in the end, approved once and sent
 * once by the audit trail, and the Clerk's session survives the restarts (it is kept in the store).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { effectKey } from '../../../src/outbox/idempotency.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import type { EffectState } from '../../../src/store/types.js';
import { A } from '../../support/council.js';
import { launchChromium } from '../../support/chromium.js';
import { capacityMailFrom, CLI, dropMail, makeCouncil, readOutbox, waitFor, type TestCouncil } from '../../service/helpers.js';
import { addAccounts, CLERK, csrfTokenOf, effectPath, open, signIn } from './harness.js';

interface Run {
  child: ChildProcess;
  exited: Promise<NodeJS.Signals | number | null>;
  output: () => string;
  /** The console's address, once the service listens. */
  base: () => Promise<string>;
}

const children: ChildProcess[] = [];
const councils: TestCouncil[] = [];
let browser: Browser;

function startCli(configFile: string): Run {
  const child = spawn(process.execPath, [CLI, 'run', '--config', configFile], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, WARDWATCH_LOG_LEVEL: 'info' } });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
  const base = async (): Promise<string> => {
    const line = await waitFor('the service to listen', () => output.split('\n').find((l) => l.includes('listening for /healthz')), 30_000);
    const port = /"port":(\d+)/.exec(line)?.[1];
    if (port === undefined) throw new Error(`No port in the service's log line: ${line}`);
    return `http://127.0.0.1:${port}`;
  };
  return { child, exited, output: () => output, base };
}

async function withStore<T>(file: string, read: (store: SqliteStore) => Promise<T>): Promise<T> {
  const store = new SqliteStore(file);
  try {
    return await read(store);
  } finally {
    await store.close();
  }
}

async function statesOf(council: TestCouncil, keys: readonly string[]): Promise<(EffectState | undefined)[]> {
  return withStore(council.storePath, async (store) => Promise.all(keys.map(async (key) => (await store.getEffect(key))?.state)));
}

/** The test council in review mode, with the Clerk's account made before the first start, as `wardwatch users add` would. */
async function newCouncil(): Promise<TestCouncil> {
  const council = makeCouncil({ review: true });
  councils.push(council);
  await withStore(council.storePath, (store) => addAccounts(store, [CLERK], new Date()));
  return council;
}

/** A page of its own (its own cookies: every council's console is on 127.0.0.1). */
async function newPage(): Promise<Page> {
  return (await browser.newContext({ locale: 'en-GB' })).newPage();
}

/** One capacity message from each member, dropped before the service starts: a nudge to each, held for review. */
function nudges(council: TestCouncil, members: readonly string[]): string[] {
  return members.map((member, i) => {
    const m = capacityMailFrom(20 + i, member);
    dropMail(council, member, 'sent', `capacity-${i}.eml`, m.content);
    return effectKey({ rule: 'state-capacity', itemKey: m.messageId, recipient: member, kind: 'nudge' });
  });
}

/**
 * The approval's POST as the effect page's form sends it (the session's cookie and form token,
 * from the Clerk's browser), made with node:http so the test knows when it is on its way:
 * `sent` settles once the whole request has been handed to the operating system.
 */
function startApproval(base: string, key: string, cookie: string, csrf: string): { sent: Promise<void>; answer: Promise<number | 'no answer'> } {
  const body = new URLSearchParams({ csrf }).toString();
  let sent: () => void = () => undefined;
  const onSent = new Promise<void>((resolve) => (sent = resolve));
  const answer = new Promise<number | 'no answer'>((resolve) => {
    const req = request(
      `${base}${effectPath(key)}/approve`,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': String(Buffer.byteLength(body)),
          cookie,
          origin: base,
          'sec-fetch-site': 'same-origin',
        },
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', () => resolve('no answer'));
    req.on('finish', sent);
    req.end(body);
  });
  return { sent: Promise.race([onSent, answer.then(() => undefined)]), answer };
}

/** Messages in the outbox folder for each key. */
async function outboxCounts(council: TestCouncil, keys: readonly string[]): Promise<number[]> {
  const outbox = await readOutbox(council.outboxDir);
  return keys.map((key) => outbox.filter((m) => m.key === key).length);
}

beforeAll(async () => {
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await browser?.close();
  for (const council of councils) council.remove();
});

describe('a restart in the middle of an approval', () => {
  test('each nudge approved just before a SIGKILL is sent exactly once after the restart, and none is lost', async () => {
    const council = await newCouncil();
    const page = await newPage();
    const keys = nudges(council, [A.sue, A.alice, A.ben]);
    const stateOf = async (key: string): Promise<EffectState | undefined> => (await statesOf(council, [key]))[0];
    // Killed at once, a moment later, and a little later again.
    const killAfterMs = [0, 40, 250];
    const atKill: (EffectState | undefined)[] = [];
    let signedIn = false;
    for (const [i, key] of keys.entries()) {
      const run = startCli(council.configFile);
      const base = await run.base();
      await waitFor(`${key} to await review`, async () => (await stateOf(key)) === 'awaiting-review', 20_000, 100);
      if (!signedIn) {
        await signIn(page, base, CLERK);
        signedIn = true;
      }
      // A session kept in the store outlives the process: no new sign-in after a restart.
      await open(page, base, effectPath(key));
      // The kill is timed from the server's answer to the approval (its redirect), not the page after it.
      const answered = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/approve'));
      await page.locator(`form[action="${effectPath(key)}/approve"] button`).click();
      const answer = await answered;
      await new Promise((r) => setTimeout(r, killAfterMs[i] ?? 0));
      run.child.kill('SIGKILL');
      expect(answer.status(), 'the approval was taken').toBe(303);
      expect(await run.exited, run.output().slice(-2000)).toBe('SIGKILL');
      atKill.push(await stateOf(key));
    }
    process.stdout.write(`states of the approved nudges at the kills: ${atKill.join(', ')}\n`);
    // Every approval reached the store before the kill: none is still awaiting review.
    expect(atKill.filter((s) => s === 'awaiting-review' || s === undefined), `states at the kills: ${atKill.join(', ')}`).toEqual([]);

    const last = startCli(council.configFile);
    await last.base();
    await waitFor('every approved nudge carried out', async () => (await statesOf(council, keys)).every((s) => s === 'done'), 30_000, 200);
    last.child.kill('SIGTERM');
    expect(await last.exited, last.output().slice(-2000)).toBe(0);

    const outbox = await readOutbox(council.outboxDir);
    for (const key of keys) expect(outbox.filter((m) => m.key === key), `${key} (states at the kills: ${atKill.join(', ')})`).toHaveLength(1);
    await withStore(council.storePath, async (store) => {
      for (const key of keys) {
        const audit = await store.listAudit({ effectKey: key });
        expect(audit.filter((a) => a.toState === 'done'), key).toHaveLength(1);
        expect(audit.filter((a) => a.toState === 'pending' && a.actor === CLERK.username), key).toHaveLength(1);
      }
    });
  }, 120_000);

  test('killed while the approval is under way, without waiting for its answer: each nudge still awaits review or is sent exactly once', async () => {
    const council = await newCouncil();
    const page = await newPage();
    const keys = nudges(council, [A.sue, A.alice, A.raj, A.ben, A.tom]);
    /** States a nudge may be in after a kill: the approval did not land, or it did and the outbox has it. */
    const possible: readonly (EffectState | undefined)[] = ['awaiting-review', 'pending', 'sending', 'done'];
    const rounds: string[] = [];
    let cookie = '';
    let csrf = '';

    // Round after round: at once (as soon as the POST is on its way), then after a random 0–50 ms.
    for (let round = 0; round < 8; round++) {
      const run = startCli(council.configFile);
      const base = await run.base();
      if (round === 0) {
        await waitFor('every nudge to await review', async () => (await statesOf(council, keys)).every((s) => s === 'awaiting-review'), 20_000, 100);
        await signIn(page, base, CLERK);
        await open(page, base, '/review');
        csrf = await csrfTokenOf(page);
        cookie = (await page.context().cookies(base)).map((c) => `${c.name}=${c.value}`).join('; ');
      }
      const before = await statesOf(council, keys);
      // Each round approves the next nudge that still awaits review; one whose approval was lost is approved again in its turn.
      const target = [...keys.keys()].map((k) => (k + round) % keys.length).find((k) => before[k] === 'awaiting-review');
      const key = target !== undefined ? keys[target] : undefined;
      if (key === undefined) {
        run.child.kill('SIGKILL');
        await run.exited;
        break;
      }
      // The effect's page, as the Clerk opens it before approving: the session survived the restart,
      // and the service has done what it does on starting, so the approval is not left waiting behind it.
      const shown = await fetch(`${base}${effectPath(key)}`, { headers: { cookie }, redirect: 'manual' });
      expect(shown.status, `the effect page after restart ${round}`).toBe(200);
      expect(await shown.text()).toContain(`action="${effectPath(key)}/approve"`);
      const delayMs = round % 2 === 0 ? 0 : Math.floor(Math.random() * 51);
      const approval = startApproval(base, key, cookie, csrf);
      await approval.sent;
      if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
      run.child.kill('SIGKILL');
      expect(await run.exited, run.output().slice(-2000)).toBe('SIGKILL');
      const answer = await approval.answer;

      const after = await statesOf(council, keys);
      const counts = await outboxCounts(council, keys);
      rounds.push(`round ${round}: ${delayMs} ms, ${String(answer)}, ${after[keys.indexOf(key)]}`);
      const told = `${rounds.join('; ')} — states ${after.join(', ')}; outbox ${counts.join(', ')}`;
      for (const [k, state] of after.entries()) expect(possible, `${keys[k]}: ${told}`).toContain(state);
      // The Clerk was told it was approved: it is, whatever the kill interrupted.
      if (answer === 303) expect(after[keys.indexOf(key)], told).not.toBe('awaiting-review');
      // Only nudges approved (in this round or an earlier one) are anywhere near the outbox, and none twice.
      for (const [k, count] of counts.entries()) {
        expect(count, `${keys[k]}: ${told}`).toBeLessThanOrEqual(after[k] === 'awaiting-review' ? 0 : 1);
        if (after[k] === 'done') expect(count, `${keys[k]}: ${told}`).toBe(1);
      }
    }
    process.stdout.write(`approvals interrupted by SIGKILL: ${rounds.join('; ')}\n`);

    // Started once more: what was approved is sent; what is still awaiting review is approved again, in the browser.
    const last = startCli(council.configFile);
    const base = await last.base();
    for (const [k, state] of (await statesOf(council, keys)).entries()) {
      const key = keys[k];
      if (key === undefined || state !== 'awaiting-review') continue;
      await open(page, base, effectPath(key));
      const answered = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/approve'));
      await page.locator(`form[action="${effectPath(key)}/approve"] button`).click();
      expect((await answered).status(), `approving ${key} again`).toBe(303);
    }
    await waitFor('every nudge approved and carried out', async () => (await statesOf(council, keys)).every((s) => s === 'done'), 30_000, 200);
    last.child.kill('SIGTERM');
    expect(await last.exited, last.output().slice(-2000)).toBe(0);

    expect(await outboxCounts(council, keys), rounds.join('; ')).toEqual(keys.map(() => 1));
    await withStore(council.storePath, async (store) => {
      for (const key of keys) {
        const audit = await store.listAudit({ effectKey: key });
        expect(audit.filter((a) => a.toState === 'done'), `${key}: ${rounds.join('; ')}`).toHaveLength(1);
        // Approved once: an approval the kill interrupted left no trace, and none landed twice.
        expect(audit.filter((a) => a.toState === 'pending' && a.actor === CLERK.username), `${key}: ${rounds.join('; ')}`).toHaveLength(1);
      }
    });
  }, 60_000);
});
