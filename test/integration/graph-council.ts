/**
 * Millbrook Town Council on Microsoft 365, in the Graph simulator: every person's mailbox, the
 * council's calendar in the Clerk's mailbox, the Council Chamber as a room mailbox, and a
 * council.yaml whose `connectors.graph` points at the simulator (as a national cloud would, through
 * `endpoints`, with its certificate authority in `tls.caFile`). Helpers deliver mail as Exchange
 * does (each recipient's copy without Bcc, the sender's Sent Items copy with it) and read what
 * Wardwatch sent, by its X-Wardwatch-Key header.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Event } from '@microsoft/microsoft-graph-types';
import { simpleParser, type ParsedMail } from 'mailparser';
import { stringify } from 'yaml';
import { A, councilConfigInput } from '../support/council.js';
import { makeClientCertificate, startGraphSimulator, type GraphSimulator, type SentRecord } from '../graph-sim/index.js';

export const CLIENT_ID = '6f1c4a52-9b8e-4d3a-a1f0-3c2d7e9b5a10';
export const CLIENT_STATE = 'millbrook-graph-client-state-0123456789';

/** The watched mailboxes and their folders. */
export const WATCHED = [
  { address: A.sam, folders: ['inbox', 'sent'] },
  { address: A.dan, folders: ['inbox'] },
  { address: A.tom, folders: ['inbox', 'sent'] },
  { address: A.alice, folders: ['inbox', 'sent'] },
  { address: A.raj, folders: ['inbox', 'sent'] },
  { address: A.clerk, folders: ['inbox', 'sent'] },
];

export interface GraphCouncil {
  sim: GraphSimulator;
  dir: string;
  configFile: string;
  /** The service's port, chosen before it starts (notifications need the address in the config). */
  port: number;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function startGraphCouncil(options: { notifications: boolean; graph?: Record<string, unknown>; overrides?: Record<string, unknown> }): Promise<GraphCouncil> {
  const sim = await startGraphSimulator();
  const dir = mkdtempSync(path.join(tmpdir(), 'wardwatch-graph-it-'));
  const cert = makeClientCertificate();
  writeFileSync(path.join(dir, 'graph-app.pem'), cert.combinedPem, { mode: 0o600 });
  writeFileSync(path.join(dir, 'graph-ca.pem'), sim.caPem);
  sim.registerApp({ clientId: CLIENT_ID, secrets: [], certificates: [cert.certificatePem] });
  for (const address of new Set([...Object.values(A), A.service])) {
    if (address.endsWith('@millbrook-tc.gov.uk')) sim.addMailbox(address);
  }
  const port = await freePort();
  process.env['WARDWATCH_GRAPH_CLIENT_STATE'] = CLIENT_STATE;
  const config = {
    ...councilConfigInput,
    mailboxes: WATCHED,
    connectors: {
      graph: {
        tenantId: sim.tenantId,
        clientId: CLIENT_ID,
        certificatePath: './graph-app.pem',
        calendars: { 'council-events': A.clerk, 'council-chamber': A.chamber },
        pollSeconds: options.notifications ? 60 : 0.5,
        pageSize: 20,
        endpoints: { authority: sim.authorityHost, graph: `${sim.origin}/v1.0` },
        tls: { caFile: './graph-ca.pem' },
        ...(options.notifications
          ? { notifications: { url: `http://127.0.0.1:${port}/hooks/graph/notifications`, clientState: '${WARDWATCH_GRAPH_CLIENT_STATE}' } }
          : {}),
        ...options.graph,
      },
    },
    sender: { kind: 'connector', connector: 'graph' },
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
    async stop() {
      await sim.close();
      if (process.env['WARDWATCH_KEEP_TEST_DIR'] !== '1') rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface MailSpec {
  messageId: string;
  from: string;
  to: string[];
  cc?: string[];
  bcc?: string[];
  subject: string;
  body: string;
  date: Date;
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

/** Mail as Exchange delivers it: every council recipient's Inbox without Bcc, the sender's Sent Items with it. */
export async function deliverMail(sim: GraphSimulator, spec: MailSpec): Promise<void> {
  for (const rcpt of new Set([...spec.to, ...(spec.cc ?? []), ...(spec.bcc ?? [])])) {
    if (sim.state.findMailbox(rcpt)) await sim.deliver(rcpt, 'inbox', mime(spec, false));
  }
  if (sim.state.findMailbox(spec.from)) await sim.deliver(spec.from, 'sentitems', mime(spec, true));
}

/** What Wardwatch sent with this X-Wardwatch-Key (its effect key). */
export function sentWithKey(sim: GraphSimulator, key: string): SentRecord[] {
  return sim.state.sent.filter((s) => s.headers.some((h) => h.name?.toLowerCase() === 'x-wardwatch-key' && h.value === key));
}

/** The messages in a mailbox's Inbox whose MIME carries this key, parsed. */
export async function parsedWithKey(sim: GraphSimulator, mailbox: string, key: string): Promise<ParsedMail[]> {
  return await Promise.all(inboxWithKey(sim, mailbox, key).map((m) => simpleParser(m)));
}

/** The raw messages in a mailbox's Inbox whose MIME carries this key (headers unfolded). */
export function inboxWithKey(sim: GraphSimulator, mailbox: string, key: string): string[] {
  // Long header lines are folded: unfold before looking.
  return sim.state.messagesIn(mailbox, 'inbox').map((m) => m.mime.replace(/\r?\n[ \t]+/g, ' ')).filter((m) => m.includes(`X-Wardwatch-Key: ${key}`));
}

/** A meeting on a mailbox's calendar, as Outlook would save it. */
export function meeting(spec: { subject: string; start: string; end: string; location: string; categories?: string[]; organiser: { address: string; name: string }; attendees: { address: string; name: string; type?: 'required' | 'optional' | 'resource'; response?: 'accepted' | 'none' }[] }): Event {
  return {
    subject: spec.subject,
    start: { dateTime: spec.start, timeZone: 'UTC' },
    end: { dateTime: spec.end, timeZone: 'UTC' },
    location: { displayName: spec.location },
    categories: spec.categories ?? [],
    isAllDay: false,
    isCancelled: false,
    showAs: 'busy',
    sensitivity: 'normal',
    type: 'singleInstance',
    organizer: { emailAddress: spec.organiser },
    attendees: spec.attendees.map((a) => ({
      type: a.type ?? 'required',
      emailAddress: { address: a.address, name: a.name },
      status: { response: a.response ?? 'none', time: '0001-01-01T00:00:00Z' },
    })),
  };
}
