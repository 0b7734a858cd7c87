/**
 * Shared by the service tests: a temporary council (the Millbrook fixture written as a config
 * file, with a folder source, a file outbox and a state file), builders for violating mail and
 * events, a reader for the outbox's .eml files, and a poll-until helper.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { stringify } from 'yaml';
import { setupEngine } from '../../src/cli/engine-setup.js';
import { assembleService, type AssembledService, type AssembleOptions } from '../../src/service/assemble.js';
import { silentLogger } from '../../src/service/logger.js';
import { A, councilConfigInput } from '../support/council.js';

export const REPO_ROOT = path.resolve(import.meta.dirname, '../..');
export const CLI = path.join(REPO_ROOT, 'dist/src/cli.js');

export interface TestCouncil {
  dir: string;
  configFile: string;
  sourceDir: string;
  outboxDir: string;
  storePath: string;
  remove(): void;
}

/** A council config in a temp folder; `overrides` replace top-level sections. */
export function makeCouncil(overrides: Record<string, unknown> = {}): TestCouncil {
  const dir = mkdtempSync(path.join(tmpdir(), 'wardwatch-service-'));
  const sourceDir = path.join(dir, 'source');
  mkdirSync(path.join(sourceDir, 'mail'), { recursive: true });
  mkdirSync(path.join(sourceDir, 'calendars'), { recursive: true });
  const config = {
    ...councilConfigInput,
    connectors: { folder: { dir: './source' } },
    sender: { kind: 'file', dir: './outbox' },
    store: { path: './state/wardwatch.sqlite' },
    server: { host: '127.0.0.1', port: 0 },
    // Tests run at any hour: nothing waits for the working day unless a test asks for it.
    limits: { nudgesPerPersonPerDay: 1000, quietHours: { roles: [], weekends: false } },
    digest: { to: [A.clerk], cron: '30 7 * * *' },
    ...overrides,
  };
  const configFile = path.join(dir, 'council.yaml');
  writeFileSync(configFile, stringify(config));
  return {
    dir,
    configFile,
    sourceDir,
    outboxDir: path.join(dir, 'outbox'),
    storePath: path.join(dir, 'state/wardwatch.sqlite'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Write a file whole: under a hidden temporary name first, then renamed into place. */
export function writeAtomically(file: string, content: string | Buffer): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.tmp`);
  writeFileSync(temp, content);
  renameSync(temp, file);
}

export function dropMail(council: TestCouncil, mailbox: string, folder: string, name: string, content: string): string {
  const file = path.join(council.sourceDir, 'mail', mailbox, folder, name);
  writeAtomically(file, content);
  return file;
}

export function dropEvent(council: TestCouncil, calendarId: string, name: string, content: string): string {
  const file = path.join(council.sourceDir, 'calendars', calendarId, name);
  writeAtomically(file, content);
  return file;
}

function rfc2822(date: Date): string {
  return date.toUTCString().replace('GMT', '+0000');
}

function mail(spec: { messageId: string; from: string; to: string; subject: string; body: string; extra?: string[]; date?: Date }): string {
  return [
    `From: ${spec.from}`,
    `To: ${spec.to}`,
    `Subject: ${spec.subject}`,
    `Date: ${rfc2822(spec.date ?? new Date())}`,
    `Message-ID: ${spec.messageId}`,
    ...(spec.extra ?? []),
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    spec.body,
    '',
  ].join('\r\n');
}

const MEMBERS = [
  { name: 'Cllr Sue Taylor', address: A.sue },
  { name: 'Cllr Alice Green', address: A.alice },
  { name: 'Cllr Raj Mehta', address: A.raj },
  { name: 'Cllr Ben Hughes', address: A.ben },
  { name: 'Cllr Tom Brown', address: A.tom },
] as const;

/**
 * A member writes to a resident without saying in what capacity: exactly one finding
 * (state-capacity) with exactly one effect, a nudge to the member.
 */
export function capacityMail(n: number, member: (typeof MEMBERS)[number] = MEMBERS[n % MEMBERS.length] ?? MEMBERS[0]): { content: string; messageId: string; member: string } {
  const messageId = `<capacity-${n}@millbrook-tc.gov.uk>`;
  const content = mail({
    messageId,
    from: `${member.name} <${member.address}>`,
    to: `resident${n}@example.org`,
    subject: `Re: Hedge on Weir Road (${n})`,
    body: `Dear resident,\n\nThank you for your email about the hedge outside number ${n}. I have read the photographs and I share some of your concerns about the footway. You can report it on the county council's website.\n\nBest wishes,\n${member.name.replace('Cllr ', '')}`,
  });
  return { content, messageId, member: member.address };
}

export function capacityMailFrom(n: number, memberAddress: string): { content: string; messageId: string; member: string } {
  const member = MEMBERS.find((m) => m.address === memberAddress);
  if (!member) throw new Error(`${memberAddress} is not one of the fixture's members`);
  return capacityMail(n, member);
}

/** Cllr Raj Mehta asks an officer for work without the Clerk: a nudge and a routed copy for the Clerk. */
export function requestMail(n: number): { content: string; messageId: string } {
  const messageId = `<request-${n}@millbrook-tc.gov.uk>`;
  return {
    messageId,
    content: mail({
      messageId,
      from: 'Cllr Raj Mehta <raj.mehta@millbrook-tc.gov.uk>',
      to: 'Dan Okafor <dan.okafor@millbrook-tc.gov.uk>',
      subject: `Benches in Riverside Park (${n})`,
      body: 'Hi Dan,\n\nCould you please arrange for the benches by the bandstand in Riverside Park to be repainted? Several residents have mentioned how shabby they look.\n\nThanks,\nRaj',
    }),
  };
}

/** Cllr Tom Brown sends a confidential message to his personal address: a warning and a notice to the Clerk. */
export function confidentialMail(n: number, subject = 'CONFIDENTIAL: kiosk lease'): { content: string; messageId: string } {
  const messageId = `<confidential-${n}@millbrook-tc.gov.uk>`;
  return {
    messageId,
    content: mail({
      messageId,
      from: 'Cllr Tom Brown <tom.brown@millbrook-tc.gov.uk>',
      to: 'tombrown1960@gmail.com',
      subject,
      extra: ['Sensitivity: Company-Confidential'],
      body: 'Forwarding the draft lease terms for the kiosk so I can read them at home this weekend.\n\nTom',
    }),
  };
}

function icsTime(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/**
 * A public meeting on the council calendar about Castle Street (Castle ward) that invites Cllr
 * Tom Brown but not Cllr Alice Green: an invitation for Alice and a notice for the organiser.
 */
export function publicMeetingIcs(uid: string, options: { daysAhead?: number; location?: string; sequence?: number } = {}): string {
  const start = new Date(Date.now() + (options.daysAhead ?? 30) * 86_400_000);
  start.setUTCHours(18, 0, 0, 0);
  const end = new Date(start.getTime() + 90 * 60_000);
  return [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//Millbrook Town Council//Tests//EN',
    'BEGIN:VEVENT',
    `UID:${uid}`,
    `DTSTAMP:${icsTime(new Date())}`,
    `DTSTART:${icsTime(start)}`,
    `DTEND:${icsTime(end)}`,
    `SUMMARY:${options.location === undefined ? 'Public meeting: traffic calming on Castle Street' : 'Public meeting: parking charges'}`,
    'ORGANIZER;CN="Helen Ashworth":mailto:clerk@millbrook-tc.gov.uk',
    `LOCATION:${options.location ?? 'Millbrook Library, Castle Street, MB1 2QT'}`,
    'DESCRIPTION:An open public meeting for residents.',
    'CATEGORIES:Public Meeting',
    'ATTENDEE;CN="Cllr Tom Brown";ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION:mailto:tom.brown@millbrook-tc.gov.uk',
    'STATUS:CONFIRMED',
    `SEQUENCE:${options.sequence ?? 0}`,
    'END:VEVENT',
    'END:VCALENDAR',
    '',
  ].join('\r\n');
}

export interface OutboxMessage {
  file: string;
  key: string;
  to: string[];
  subject: string;
  messageId: string;
  text: string;
  /** Content types of the parts beyond the text and HTML bodies (attachments, text/calendar). */
  attachments: string[];
}

function headerText(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** Every .eml in the outbox, parsed. */
export async function readOutbox(dir: string): Promise<OutboxMessage[]> {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.eml') && !n.startsWith('.'));
  } catch {
    return [];
  }
  const out: OutboxMessage[] = [];
  for (const name of names.sort()) {
    const file = path.join(dir, name);
    const parsed = await simpleParser(readFileSync(file));
    const to = Array.isArray(parsed.to) ? parsed.to.flatMap((t) => t.value) : (parsed.to?.value ?? []);
    out.push({
      file,
      key: headerText(parsed.headers.get('x-wardwatch-key')),
      to: to.map((a) => (a.address ?? '').toLowerCase()),
      subject: parsed.subject ?? '',
      messageId: parsed.messageId ?? '',
      text: parsed.text ?? '',
      attachments: parsed.attachments.map((a) => a.contentType),
    });
  }
  return out;
}

/** Poll until `check` returns a value other than undefined/false, or fail after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 20_000, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** The service built as `wardwatch run` builds it, quietly, for in-process tests. */
export async function assembleForTest(council: TestCouncil, options: Partial<AssembleOptions> = {}): Promise<AssembledService> {
  const setup = setupEngine(council.configFile);
  return assembleService(setup, {
    sourceDir: council.sourceDir,
    logger: silentLogger(),
    connectorTuning: { folder: { watchMode: 'poll', pollIntervalMs: 50, debounceMs: 20 } },
    ...options,
  });
}
