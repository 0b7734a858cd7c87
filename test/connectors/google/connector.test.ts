/**
 * The Google Workspace connector as a whole, through the simulator: every mailbox and calendar read
 * in one sync, a mailbox whose delegation is refused shows in health while the others are read,
 * and a grant missing for every target stops the source with the reason, in plain English.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GoogleConnector } from '../../../connectors/google/connector.js';
import { SCOPES } from '../../../connectors/google/config.js';
import type { Problem } from '../../../src/items/types.js';
import type { CursorStore, RecordSink, SourceRecord } from '../../../src/sources/types.js';
import { createPublicKey } from 'node:crypto';
import { CLIENT_EMAIL, startWorkspace, USER, type Workspace } from './sim-setup.js';

const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

class MemoryCursors implements CursorStore {
  readonly values = new Map<string, string>();
  async getCursor(source: string, key: string): Promise<string | undefined> {
    return this.values.get(`${source}|${key}`);
  }
  async setCursor(source: string, key: string, value: string): Promise<void> {
    this.values.set(`${source}|${key}`, value);
  }
}

class CountingSink implements RecordSink {
  readonly records: SourceRecord[] = [];
  readonly problems: Problem[] = [];
  async record(r: SourceRecord): Promise<void> {
    this.records.push(r);
  }
  async removed(): Promise<void> {}
  problem(p: Problem): void {
    this.problems.push(p);
  }
  mail(): string[] {
    return this.records.flatMap((r) => (r.kind === 'mail' ? [`${r.mailbox}/${r.folder}`] : []));
  }
}

const eml = (from: string, to: string, id: string): string =>
  `From: ${from}\r\nTo: ${to}\r\nSubject: Allotments\r\nDate: Mon, 12 Apr 2027 09:00:00 +0100\r\nMessage-ID: <${id}@millbrook-tc.gov.uk>\r\n\r\nA note.\r\n`;

let w: Workspace;
afterEach(async () => {
  await w.close();
});

function connector(): GoogleConnector {
  return new GoogleConnector(w.settings(), new MemoryCursors(), silent, { transport: w.transportOptions() });
}

describe('the Google Workspace connector', () => {
  beforeEach(async () => {
    w = await startWorkspace();
  });

  it('reads every mailbox and calendar, then only what changed', async () => {
    await w.sim.deliver(USER.sue, eml(USER.sam, USER.sue, 'first'), ['INBOX']);
    const c = connector();
    const sink = new CountingSink();
    await c.sync(sink);
    expect(sink.mail()).toEqual([`${USER.sue}/inbox`]);
    await w.sim.deliver(USER.sam, eml(USER.sam, USER.sue, 'second'), ['SENT']);
    await c.sync(sink);
    expect(sink.mail()).toEqual([`${USER.sue}/inbox`, `${USER.sam}/sent`]);
    expect(c.health().every((h) => h.lastSuccess !== undefined && h.lastError === undefined)).toBe(true);
    expect(c.health().map((h) => h.source).sort()).toEqual(['google:calendar council-chamber', 'google:calendar council-events', `google:${USER.clerk}`, `google:${USER.sam}`, `google:${USER.sue}`]);
  });

  it('health shows sign-in failures of its own targets only, stamped with when they happened; not an organiser looked up to invite guests', async () => {
    const c = connector();
    // A meeting on the Clerk's calendar organised by someone the Workspace does not know: inviting signs in as them, and fails.
    const ghost = 'former.clerk@millbrook-tc.gov.uk';
    const ev = w.sim.state.addEvent(USER.clerk, { summary: 'Allotments', start: { dateTime: new Date(w.clock.now() + 86_400_000).toISOString() }, end: { dateTime: new Date(w.clock.now() + 90_000_000).toISOString() }, organizer: { email: ghost } });
    await expect(c.editor.addAttendees({ calendarId: 'council-events', uid: ev.iCalUID ?? '', origin: ev.id ?? '' }, [{ address: USER.sue }])).rejects.toThrow(ghost);
    expect(c.transport.signInProblems().has(ghost)).toBe(true);
    w.clock.advance(3_600_000);
    expect(c.health().find((h) => h.source === 'google')).toBeUndefined();

    // A watched mailbox's sign-in refused: shown, with the time it failed, not the time asked.
    const publicKeyPem = createPublicKey(w.keyJson.private_key).export({ type: 'spki', format: 'pem' }).toString();
    w.sim.addServiceAccount({ clientEmail: CLIENT_EMAIL, publicKeyPem, grants: { scopes: [SCOPES.calendar] } });
    const failedAt = new Date(w.clock.now()).toISOString();
    expect(await c.transport.checkSignIn(c.transport.gmail(USER.sue))).toBeDefined();
    w.clock.advance(600_000);
    const google = c.health().find((h) => h.source === 'google');
    expect(google?.lastError?.at).toBe(failedAt);
    expect(google?.lastError?.message).toContain(USER.sue);
  });

  it('a mailbox that keeps failing shows in health while the others are read', async () => {
    const c = connector();
    const sink = new CountingSink();
    await c.sync(sink);
    w.sim.inject({ kind: 'status', status: 403 }, { path: `/users/${USER.sue}/`, times: 1000 });
    await w.sim.deliver(USER.sam, eml(USER.sue, USER.sam, 'while-sue-fails'), ['INBOX']);
    await c.sync(sink);
    expect(sink.mail()).toEqual([`${USER.sam}/inbox`]);
    const sue = c.health().find((h) => h.source === `google:${USER.sue}`);
    expect(sue?.lastError?.message).toContain(USER.sue);
    expect(c.health().find((h) => h.source === `google:${USER.sam}`)?.lastError).toBeUndefined();
  });
});

describe('a grant missing for everything', () => {
  beforeEach(async () => {
    w = await startWorkspace({ scopes: [SCOPES.gmailSend] });
  });

  it('stops the source, naming the Admin console page and the scopes', async () => {
    const c = connector();
    await expect(c.sync(new CountingSink())).rejects.toThrow(/Domain.?[Ww]ide [Dd]elegation[\s\S]*gmail\.readonly/);
    expect(c.health().some((h) => /gmail\.readonly/.test(h.lastError?.message ?? ''))).toBe(true);
  });
});
