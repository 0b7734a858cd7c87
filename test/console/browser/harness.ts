/**
 * Shared by the console's browser tests: the Millbrook test council run as `wardwatch run` builds
 * it (folder source, review mode, the console on 127.0.0.1 at a random port), a Clerk's and a
 * viewer's console accounts, and what a person does in the browser — sign in, open a page, submit
 * a form (also one the page does not offer, as an attacker would).
 */
import { readFileSync } from 'node:fs';
import type { Page, Response } from 'playwright-core';
import { expect } from 'vitest';
import { setupEngine, type Setup } from '../../../src/cli/engine-setup.js';
import { hashPassword } from '../../../src/console/passwords.js';
import type { AssembledService } from '../../../src/service/assemble.js';
import type { ConsoleRole, EffectRow, Store } from '../../../src/store/types.js';
import { assembleForTest, makeCouncil, waitFor, type TestCouncil } from '../../service/helpers.js';

export interface ConsoleAccount {
  username: string;
  password: string;
  displayName: string;
  role: ConsoleRole;
}

export const CLERK: ConsoleAccount = { username: 'helen', password: 'Weir-Road-hedges-2027', displayName: 'Helen Ashworth', role: 'clerk' };
export const VIEWER: ConsoleAccount = { username: 'morgan', password: 'Monitoring-officer-2027', displayName: 'Morgan Lee', role: 'viewer' };

/** Puts the accounts in the store, as `wardwatch users add` does. */
export async function addAccounts(store: Store, accounts: readonly ConsoleAccount[], now: Date): Promise<void> {
  for (const a of accounts) {
    await store.putUser({ username: a.username, displayName: a.displayName, role: a.role, passwordHash: await hashPassword(a.password), createdAt: now.toISOString() });
  }
}

/** A clock the test can move on (the service's `now`). */
export class TestClock {
  offsetMs = 0;
  readonly now = (): Date => new Date(Date.now() + this.offsetMs);
}

export interface ConsoleCouncil {
  council: TestCouncil;
  setup: Setup;
  running: AssembledService;
  store: Store;
  clock: TestClock;
  /** http://127.0.0.1:PORT, no trailing slash. */
  baseUrl: string;
  stop(): Promise<void>;
}

/**
 * The council with `review: true` and the console on (sessions end after 5 idle minutes), started;
 * `prepare` writes what must be there before the service starts (the Clerk's templates folder).
 */
export async function startConsoleCouncil(overrides: Record<string, unknown> = {}, prepare?: (council: TestCouncil) => void): Promise<ConsoleCouncil> {
  const council = makeCouncil({ review: true, console: { idleMinutes: 5 }, ...overrides });
  const clock = new TestClock();
  let running: AssembledService | undefined;
  try {
    prepare?.(council);
    const setup = setupEngine(council.configFile);
    running = await assembleForTest(council, { now: clock.now, tuning: { outboxIntervalMs: 200, heartbeatMs: 500 } });
    const started = await running.service.start();
    await addAccounts(running.store, [CLERK, VIEWER], clock.now());
    const service = running;
    return {
      council,
      setup,
      running: service,
      store: service.store,
      clock,
      baseUrl: `http://127.0.0.1:${started.port ?? 0}`,
      async stop() {
        await service.service.stop();
        council.remove();
      },
    };
  } catch (err) {
    await running?.service.stop().catch(() => undefined);
    council.remove();
    throw err;
  }
}

export const effectPath = (key: string): string => `/effects/${encodeURIComponent(key)}`;
export const itemPath = (key: string): string => `/items/${encodeURIComponent(key)}`;

/** Signs in through the sign-in page; ends on the page it leads to. */
export async function signIn(page: Page, baseUrl: string, account: ConsoleAccount): Promise<void> {
  await page.goto(`${baseUrl}/sign-in`);
  await page.fill('input[name="username"]', account.username);
  await page.fill('input[name="password"]', account.password);
  const [response] = await Promise.all([page.waitForNavigation(), page.click('form[action="/sign-in"] button[type="submit"]')]);
  if (new URL(page.url()).pathname === '/sign-in') {
    const said = ((await page.textContent('main')) ?? '').replace(/\s+/g, ' ').trim();
    throw new Error(`Signing in as ${account.username} did not work (HTTP ${response?.status() ?? 'no answer'}): ${said}`);
  }
}

/** Opens a console page; fails unless it answers `status` (200 by default). */
export async function open(page: Page, baseUrl: string, path: string, status = 200): Promise<Response> {
  const response = await page.goto(`${baseUrl}${path}`);
  if (response === null) throw new Error(`No answer for ${path}.`);
  expect(response.status(), `${path}: ${(await page.textContent('main').catch(() => '')) ?? ''}`.slice(0, 600)).toBe(status);
  return response;
}

/** The CSRF token the current page's forms carry. */
export async function csrfTokenOf(page: Page): Promise<string> {
  const token = await page.locator('input[name="csrf"]').first().getAttribute('value');
  if (token === null || token === '') throw new Error(`The page ${page.url()} has no form with a CSRF token.`);
  return token;
}

/**
 * Submits a form the page itself may not offer: a real browser form POST from the current page
 * (same origin, the session's cookie, as a tampered page or a replayed form would send it).
 * Returns the answer's status and the text of its main content.
 */
export async function submitForm(page: Page, path: string, fields: Record<string, string>): Promise<{ status: number; text: string }> {
  const navigation = page.waitForNavigation();
  await page.evaluate(`(() => {
    const form = document.createElement('form');
    form.method = 'post';
    form.action = ${JSON.stringify(path)};
    for (const [name, value] of Object.entries(${JSON.stringify(fields)})) {
      const input = document.createElement('input');
      input.type = 'hidden';
      input.name = name;
      input.value = value;
      form.appendChild(input);
    }
    document.body.appendChild(form);
    form.submit();
  })()`);
  const response = await navigation;
  if (response === null) throw new Error(`No answer to the POST to ${path}.`);
  // After a redirect the answer is the page it led to; its status is the final one.
  return { status: response.status(), text: (await page.textContent('body')) ?? '' };
}

/** Waits until the effect is in the store in one of `states`; returns it. */
export async function effectIn(store: Store, key: string, states: readonly EffectRow['state'][], timeoutMs = 20_000): Promise<EffectRow> {
  return waitFor(`${key} to be ${states.join(' or ')}`, async () => {
    const e = await store.getEffect(key);
    return e !== undefined && states.includes(e.state) ? e : undefined;
  }, timeoutMs);
}

/** The raw .eml text of an outbox message file. */
export function rawMessage(file: string): string {
  return readFileSync(file, 'utf8');
}

