/**
 * Millbrook Town Council on Google Workspace, in the Google simulator: every person's mailbox and
 * primary calendar, the council's events on the Clerk's calendar, the Council Chamber as a
 * resource calendar the Clerk may make changes to, and a council.yaml whose `connectors.google`
 * names the service account's key file. The simulator's addresses reach the connector through the
 * service's connector tuning (`connectorTuning.google`), never through the council's config. Helpers
 * deliver mail as Gmail does (each recipient's copy without Bcc, the sender's SENT copy with it).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tmpdir } from 'node:os';
import type { calendar_v3 } from 'googleapis/build/src/apis/calendar/v3.js';
import { simpleParser, type ParsedMail } from 'mailparser';
import { stringify } from 'yaml';
import { A, councilConfigInput } from '../support/council.js';
import { SCOPES } from '../../connectors/google/config.js';
import { startGoogleSimulator, type GoogleSimulator, type SentRecord } from '../google-sim/index.js';
import { CLIENT_EMAIL, makeServiceAccountKey } from '../connectors/google/sim-setup.js';
import { freePort, type MailSpec } from './graph-council.js';

/** The Council Chamber's resource calendar. */
export const ROOM = 'c_1888chamber0millbrook@resource.calendar.google.com';

export const WATCHED = [
  { address: A.sam, folders: ['inbox', 'sent'] },
  { address: A.dan, folders: ['inbox'] },
  { address: A.tom, folders: ['inbox', 'sent'] },
  { address: A.alice, folders: ['inbox', 'sent'] },
  { address: A.raj, folders: ['inbox', 'sent'] },
  { address: A.clerk, folders: ['inbox', 'sent'] },
];

export interface GoogleCouncil {
  sim: GoogleSimulator;
  dir: string;
  configFile: string;
  port: number;
  /** The service's `connectorTuning`: the simulator's addresses. */
  tuning: { google: { rootUrl: string; tokenUrl: string; backoffMs: number } };
  stop(): Promise<void>;
}

export async function startGoogleCouncil(options: { google?: Record<string, unknown>; overrides?: Record<string, unknown> } = {}): Promise<GoogleCouncil> {
  const sim = await startGoogleSimulator();
  const dir = mkdtempSync(path.join(tmpdir(), 'wardwatch-google-it-'));
  const key = makeServiceAccountKey();
  writeFileSync(path.join(dir, 'google-key.json'), JSON.stringify(key.json, null, 2), { mode: 0o600 });
  sim.addServiceAccount({ clientEmail: CLIENT_EMAIL, publicKeyPem: key.publicKeyPem, grants: { scopes: [SCOPES.gmailRead, SCOPES.gmailSend, SCOPES.calendar] } });
  for (const address of new Set([...Object.values(A), A.service])) {
    if (address.endsWith('@millbrook-tc.gov.uk')) sim.addUser(address);
  }
  sim.addCalendar(ROOM, { delegates: [A.clerk], summary: 'Council Chamber' });
  const port = await freePort();
  const config = {
    ...councilConfigInput,
    // The chamber as Google names it among a meeting's attendees: its resource calendar's id.
    calendars: councilConfigInput.calendars.map((c) => (c.id === 'council-chamber' ? { ...c, address: ROOM } : c)),
    mailboxes: WATCHED,
    connectors: {
      google: {
        keyFile: './google-key.json',
        calendars: { 'council-events': A.clerk, 'council-chamber': { id: ROOM, actAs: A.clerk } },
        pollSeconds: 0.5,
        pageSize: 20,
        ...options.google,
      },
    },
    sender: { kind: 'connector', connector: 'google' },
    store: { path: './state/wardwatch.sqlite' },
    server: { host: '127.0.0.1', port },
    limits: { nudgesPerPersonPerDay: 1000, quietHours: { roles: [], weekends: false } },
    digest: { to: [A.clerk], cron: '30 7 * * *' },
    ...options.overrides,
  };
  const configFile = path.join(dir, 'council.yaml');
  mkdirSync(path.join(dir, 'state'), { recursive: true });
  writeFileSync(configFile, stringify(config));
  return {
    sim,
    dir,
    configFile,
    port,
    tuning: { google: { rootUrl: sim.rootUrl, tokenUrl: sim.tokenUrl, backoffMs: 50 } },
    async stop() {
      await sim.close();
      if (process.env['WARDWATCH_KEEP_TEST_DIR'] !== '1') rmSync(dir, { recursive: true, force: true });
    },
  };
}

function mime(spec: MailSpec, withBcc: boolean): string {
  return [
    `From: ${spec.from}`,
    `To: ${spec.to.join(', ')}`,
    ...(spec.cc?.length ? [`Cc: ${spec.cc.join(', ')}`] : []),
    ...(withBcc && spec.bcc?.length ? [`Bcc: ${spec.bcc.join(', ')}`] : []),
    `Subject: ${spec.subject}`,
    `Date: ${spec.date.toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: ${spec.messageId}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    spec.body.replace(/\n/g, '\r\n'),
    '',
  ].join('\r\n');
}

/** Mail as Gmail delivers it: every council recipient's INBOX without Bcc, the sender's SENT with it. */
export async function deliverMail(sim: GoogleSimulator, spec: MailSpec): Promise<void> {
  for (const rcpt of new Set([...spec.to, ...(spec.cc ?? []), ...(spec.bcc ?? [])])) {
    if (rcpt.endsWith('@millbrook-tc.gov.uk')) await sim.deliver(rcpt, mime(spec, false), ['INBOX']);
  }
  if (spec.from.endsWith('@millbrook-tc.gov.uk')) await sim.deliver(spec.from, mime(spec, true), ['SENT']);
}

/** What Wardwatch sent with this X-Wardwatch-Key (its effect key). */
export function sentWithKey(sim: GoogleSimulator, key: string): SentRecord[] {
  return sim.state.sent.filter((s) => s.headers['x-wardwatch-key'] === key);
}

/** The messages in a user's INBOX whose MIME carries this key (headers unfolded). */
export function inboxWithKey(sim: GoogleSimulator, user: string, key: string): string[] {
  return sim.state
    .messages(user, 'INBOX')
    .map((m) => m.raw.replace(/\r?\n[ \t]+/g, ' '))
    .filter((m) => m.includes(`X-Wardwatch-Key: ${key}`));
}

export async function parsedWithKey(sim: GoogleSimulator, user: string, key: string): Promise<ParsedMail[]> {
  return await Promise.all(inboxWithKey(sim, user, key).map((m) => simpleParser(m)));
}

/** A meeting as Google Calendar saves it. */
export function meeting(spec: {
  subject: string;
  start: string;
  end: string;
  location: string;
  organiser: { address: string; name: string };
  attendees: { address: string; name: string; resource?: boolean; response?: 'accepted' | 'needsAction' }[];
  description?: string;
}): calendar_v3.Schema$Event {
  return {
    summary: spec.subject,
    start: { dateTime: spec.start, timeZone: 'Europe/London' },
    end: { dateTime: spec.end, timeZone: 'Europe/London' },
    location: spec.location,
    status: 'confirmed',
    ...(spec.description !== undefined ? { description: spec.description } : {}),
    organizer: { email: spec.organiser.address, displayName: spec.organiser.name },
    attendees: spec.attendees.map((a) => ({
      email: a.address,
      displayName: a.name,
      responseStatus: a.response ?? 'needsAction',
      ...(a.resource ? { resource: true } : {}),
    })),
  };
}
