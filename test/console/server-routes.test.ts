/** The server in front of the real pages: none is seen without signing in, none changes anything for a viewer. */
import { afterEach, describe, expect, it } from 'vitest';
import { consolePages } from '../../src/console/pages/index.js';
import { Browser, startHarness, type Harness } from './server-harness.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

/** The route's path with each named part filled in. */
const example = (path: string): string => path.replace(/:[a-zA-Z]+/g, 'x1');

describe('the console’s pages behind the server', () => {
  it('every change is a POST for clerks only', () => {
    expect(consolePages.length).toBeGreaterThan(10);
    for (const route of consolePages.filter((r) => r.method === 'POST')) expect(route.role, route.path).toBe('clerk');
  });

  it('no page is shown and no change is taken without signing in', async () => {
    harness = await startHarness({ routes: () => consolePages });
    const browser = new Browser(harness.base);
    for (const route of consolePages) {
      const res = route.method === 'GET' ? await browser.get(example(route.path)) : await browser.post(example(route.path), { csrf: 'x', rule: 'x', reason: 'x' });
      expect(res.status, `${route.method} ${route.path}`).toBe(303);
      expect(res.headers.get('location'), `${route.method} ${route.path}`).toMatch(/^\/sign-in/);
    }
    expect(await harness.store.listConsoleActions()).toEqual([]);
    expect(await harness.store.listAudit()).toEqual([]);
  });

  it('a viewer is refused every clerk route, GET or POST, with the right form token', async () => {
    harness = await startHarness({ routes: () => consolePages });
    await harness.addUser('monitoring.officer', 'viewer');
    const browser = new Browser(harness.base);
    expect((await browser.signIn('monitoring.officer')).status).toBe(303);
    const csrf = await browser.csrf();
    const clerkRoutes = consolePages.filter((r) => r.role === 'clerk');
    expect(clerkRoutes.length).toBeGreaterThan(5);
    for (const route of clerkRoutes) {
      const at = example(route.path);
      const res = route.method === 'GET' ? await browser.get(at) : await browser.post(at, { csrf, rule: 'x', reason: 'x', match: 'sender', value: 'a@b.c', expires: '2027-12-31' });
      expect(res.status, `${route.method} ${route.path}`).toBe(403);
      expect(await res.text()).toContain('Your account can look but not change anything.');
    }
    // Only the sign-in was recorded: nothing was changed.
    expect((await harness.store.listConsoleActions()).map((a) => a.action)).toEqual(['sign-in']);
    expect(await harness.store.listSettlements()).toEqual([]);
    expect(await harness.store.listExceptions()).toEqual([]);
  });
});
