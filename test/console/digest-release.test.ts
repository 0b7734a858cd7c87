/**
 * A digest held in doubt after a crash, released by the Clerk in the running service's console,
 * goes at once (not at the next start), and once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/console/passwords.js';
import { digestDateOf, lastDigestTime } from '../../src/digest/scheduler.js';
import type { AssembledService } from '../../src/service/assemble.js';
import { assembleForTest, makeCouncil, readOutbox, waitFor, type TestCouncil } from '../service/helpers.js';
import { A } from '../support/council.js';
import { Browser, PASSWORD } from './server-harness.js';

let council: TestCouncil | undefined;
let running: AssembledService | undefined;
afterEach(async () => {
  await running?.service.stop();
  running = undefined;
  council?.remove();
  council = undefined;
});

describe('a digest held in doubt', () => {
  it('is sent once, at once, when the Clerk releases it in the console', async () => {
    council = makeCouncil();
    running = await assembleForTest(council);
    const { store, service } = running;
    const cron = '30 7 * * *';
    const due = lastDigestTime(cron, 'Europe/London', new Date());
    if (due === undefined) throw new Error('the test council’s digest never fell due');
    const date = digestDateOf(due, 'Europe/London');
    // Wardwatch ran before that digest fell due, and a crash caught it mid-send.
    await store.recordStart(new Date(due.getTime() - 86_400_000).toISOString());
    await store.recordDigestAttempt({ date, messageId: `<digest-${date}@millbrook-tc.gov.uk>`, until: due.toISOString(), startedAt: due.toISOString() });
    await store.markDigestInDoubt(date, due.toISOString());
    await store.putUser({ username: 'helen', displayName: 'Helen Ashworth', role: 'clerk', passwordHash: await hashPassword(PASSWORD), createdAt: new Date().toISOString() });

    const started = await service.start();
    const browser = new Browser(`http://127.0.0.1:${started.port ?? 0}`);
    expect((await browser.signIn('helen')).status).toBe(303);
    // Held at start: the catch-up check does not send a digest the Clerk has to decide on.
    const today = await waitFor('the Today page listing the digest held in doubt', async () => {
      const text = await (await browser.get('/')).text();
      return text.includes(`/digests/${date}/release`) ? text : undefined;
    });
    expect(today).toContain('Release');
    expect((await readOutbox(council.outboxDir)).filter((m) => m.subject.includes('digest'))).toEqual([]);

    const csrf = /name="csrf" value="([^"]+)"/.exec(today)?.[1] ?? '';
    expect((await browser.post(`/digests/${date}/release`, { csrf })).status).toBe(303);
    const sent = await waitFor('the released digest sent', async () => {
      const digests = (await readOutbox(council?.outboxDir ?? '')).filter((m) => m.to.includes(A.clerk));
      return digests.length > 0 ? digests : undefined;
    }, 20_000);
    expect(sent).toHaveLength(1);
    expect(await store.digestSent(date)).toBe(true);
    expect(await store.listDigestsInDoubt()).toEqual([]);
  }, 40_000);
});
