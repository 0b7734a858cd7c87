/**
 * An event removed at its source withdraws what was planned for it and not yet carried out, end
 * to end through the service on the folder source: the public meeting's file is deleted while the
 * invitation to its missing ward member waits for a retry and the notice to the Clerk waits for
 * the working day; neither ever goes, and the digest says why.
 */
import { rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { setupEngine } from '../../src/cli/engine-setup.js';
import { buildDigest } from '../../src/digest/build.js';
import { composeDigest } from '../../src/digest/send.js';
import { nextDay, zonedParts, zonedToUtc } from '../../src/elections/zoned-time.js';
import { effectKey } from '../../src/outbox/idempotency.js';
import type { AssembledService } from '../../src/service/assemble.js';
import { A } from '../support/council.js';
import { assembleForTest, dropEvent, makeCouncil, publicMeetingIcs, readOutbox, waitFor, type TestCouncil } from './helpers.js';

let council: TestCouncil | undefined;
let running: AssembledService | undefined;
afterEach(async () => {
  await running?.service.stop();
  running = undefined;
  council?.remove();
  council = undefined;
});

/** The coming Saturday at noon, London time: a rest day, so the Clerk's notices wait for Monday. */
function comingSaturdayNoon(): Date {
  let day = zonedParts(new Date(), 'Europe/London').day;
  for (let i = 0; i < 7; i++) {
    if (new Date(`${day}T12:00:00Z`).getUTCDay() === 6) break;
    day = nextDay(day);
  }
  return zonedToUtc(day, '12:00', 'Europe/London');
}

describe('a meeting deleted from its calendar', () => {
  it('withdraws the invitation and the notice not yet sent, and the digest lists them as withdrawn', async () => {
    const uid = 'castle-meeting-deleted@millbrook-tc.gov.uk';
    council = makeCouncil({
      // The Clerk keeps quiet hours at weekends; ward members' invitations go at once.
      limits: { nudgesPerPersonPerDay: 1000, quietHours: { start: '18:00', end: '08:00', weekends: true, roles: ['clerk'] } },
    });
    // The outbox folder is a file for now: the first attempt at the invitation fails and waits for a retry.
    writeFileSync(council.outboxDir, 'not a folder');
    let offsetMs = comingSaturdayNoon().getTime() - Date.now();
    const now = (): Date => new Date(Date.now() + offsetMs);
    running = await assembleForTest(council, { now });
    await running.service.start();
    const store = running.store;
    const invite = effectKey({ rule: 'invite-ward-members', itemKey: uid, recipient: A.alice, kind: 'invite' });
    const notice = effectKey({ rule: 'invite-ward-members', itemKey: uid, recipient: A.clerk, kind: 'notify' });

    const file = dropEvent(council, 'council-events', 'meeting.ics', publicMeetingIcs(uid));
    await waitFor('the invitation to have failed once', async () => (await store.getEffect(invite))?.state === 'pending' && (await store.getEffect(invite))?.lastError !== undefined);
    expect((await store.getEffect(invite))?.attempts).toBe(1);
    expect(await store.getEffect(notice)).toMatchObject({ state: 'pending', attempts: 0 });

    unlinkSync(file);
    await waitFor('the invitation to be withdrawn', async () => (await store.getEffect(invite))?.state === 'withdrawn');
    expect((await store.getEffect(notice))?.state).toBe('withdrawn');
    expect((await store.getEffect(invite))?.lastError).toBe('because the meeting was deleted from its calendar');
    expect((await store.listAudit({ effectKey: invite })).at(-1)).toMatchObject({ fromState: 'pending', toState: 'withdrawn', outcome: 'Withdrawn because the meeting was deleted from its calendar.' });

    // Monday morning, the outbox folder usable again: nothing about the meeting goes out.
    rmSync(council.outboxDir, { force: true });
    offsetMs = comingSaturdayNoon().getTime() + 2 * 86_400_000 - 3 * 3_600_000 - Date.now();
    await running.service.flushOutbox();
    const sent = await readOutbox(council.outboxDir).catch(() => []);
    expect(sent.filter((m) => m.key === invite || m.key === notice)).toEqual([]);
    expect((await store.getEffect(invite))?.state).toBe('withdrawn');

    const { loaded, engine } = setupEngine(council.configFile);
    const built = await buildDigest({ store, engine, config: loaded.config }, { date: zonedParts(now(), 'Europe/London').day, until: now().toISOString() });
    const text = composeDigest(built, { engine, config: loaded.config }).text;
    expect(text).toContain('withdrawn because the meeting was deleted from its calendar');
  });

  it('leaves alone what was already sent', async () => {
    const uid = 'castle-meeting-sent@millbrook-tc.gov.uk';
    council = makeCouncil();
    running = await assembleForTest(council);
    await running.service.start();
    const store = running.store;
    const invite = effectKey({ rule: 'invite-ward-members', itemKey: uid, recipient: A.alice, kind: 'invite' });
    const file = dropEvent(council, 'council-events', 'meeting.ics', publicMeetingIcs(uid));
    await waitFor('the invitation to be sent', async () => (await store.getEffect(invite))?.state === 'done');
    unlinkSync(file);
    await waitFor('the file to be forgotten', async () => await store.getCursor('folder', file) === '');
    expect((await store.getEffect(invite))?.state).toBe('done');
  });
});
