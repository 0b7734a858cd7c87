/**
 * The Millbrook test council on real servers, for the end-to-end tests of the standards
 * connector through the service: a Dovecot + Postfix + Radicale stack with a mailbox for the
 * Clerk, the officers, the members, the service address and the Council Chamber; the council
 * calendars on Radicale (behind a recording proxy, so tests can see Wardwatch's If-Match); a
 * council config whose `connectors.imap` points at the stack; and the mail-client side of a
 * test: submitting over SMTP as a person, appending a Sent copy, reading a mailbox.
 */
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ImapFlow } from 'imapflow';
import { simpleParser, type ParsedMail } from 'mailparser';
import nodemailer from 'nodemailer';
import { DAVClient } from 'tsdav';
import { stringify } from 'yaml';
import { A, councilConfigInput } from '../support/council.js';
import { startMailStack, type MailStack } from '../support/servers.js';

export const DOMAIN = 'millbrook-tc.gov.uk';

/** Everyone with a mailbox on the stack: short name → address. */
export const PEOPLE = {
  clerk: A.clerk,
  sam: A.sam,
  dan: A.dan,
  tom: A.tom,
  alice: A.alice,
  raj: A.raj,
  sue: A.sue,
  ben: A.ben,
  service: A.service,
  chamber: A.chamber,
} as const;
export type PersonName = keyof typeof PEOPLE;

/** The mailboxes Wardwatch watches, with their folders. */
export const WATCHED: { name: PersonName; folders: string[] }[] = [
  { name: 'sam', folders: ['inbox', 'sent'] },
  { name: 'dan', folders: ['inbox'] },
  { name: 'tom', folders: ['inbox', 'sent'] },
  { name: 'alice', folders: ['inbox', 'sent'] },
  { name: 'raj', folders: ['inbox', 'sent'] },
  { name: 'clerk', folders: ['inbox', 'sent'] },
];

export const CALENDARS = ['council-events', 'council-chamber'] as const;

function passwordOf(name: PersonName): string {
  return `${name}-Test-Pa55`;
}

function envName(name: PersonName): string {
  return `WW_IT_${name.toUpperCase()}_PASSWORD`;
}

export interface Account {
  address: string;
  password: string;
}

export function account(name: PersonName): Account {
  return { address: PEOPLE[name], password: passwordOf(name) };
}

/* -------------------------------------------------------------------- CalDAV recording proxy */

export interface ProxiedRequest {
  method: string;
  /** The path asked for. */
  path: string;
  ifMatch?: string;
  status: number;
  /** The ETag the server answered with. */
  etag?: string;
}

export interface RecordingProxy {
  readonly url: string;
  readonly requests: ProxiedRequest[];
  close(): Promise<void>;
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return typeof v === 'string' ? v : undefined;
}

/**
 * An HTTP proxy in front of Radicale that records each request's method, path, If-Match and
 * answer. When Radicale is down it answers 502, as a hosting provider's front end would.
 */
export async function startRecordingProxy(targetPort: number): Promise<RecordingProxy> {
  const requests: ProxiedRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const upstream = request(
        { host: '127.0.0.1', port: targetPort, method: req.method, path: req.url, headers: { ...req.headers, host: `127.0.0.1:${targetPort}` } },
        (answer) => {
          const entry: ProxiedRequest = { method: req.method ?? '', path: req.url ?? '', status: answer.statusCode ?? 0 };
          const ifMatch = headerValue(req.headers, 'if-match');
          if (ifMatch !== undefined) entry.ifMatch = ifMatch;
          const etag = headerValue(answer.headers, 'etag');
          if (etag !== undefined) entry.etag = etag;
          requests.push(entry);
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => {
        requests.push({ method: req.method ?? '', path: req.url ?? '', status: 502 });
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
        res.end('The calendar server is not answering.');
      });
      upstream.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('The proxy has no port.');
  return {
    url: `http://127.0.0.1:${address.port}/`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/* -------------------------------------------------------------------- the council */

export interface ImapCouncil {
  stack: MailStack;
  proxy: RecordingProxy;
  dir: string;
  configFile: string;
  /** Radicale's own URL of a calendar collection (not through the proxy). */
  calendarUrl(id: (typeof CALENDARS)[number]): string;
  /** The same collection's path, as Wardwatch asks for it through the proxy. */
  calendarPath(id: (typeof CALENDARS)[number]): string;
  stop(): Promise<void>;
}

/**
 * Starts the stack, makes the council calendars and writes the council's config (passwords in
 * environment variables of this process, as `${…}` references in the file).
 */
export async function startImapCouncil(overrides: Record<string, unknown> = {}): Promise<ImapCouncil> {
  const names = Object.keys(PEOPLE) as PersonName[];
  const stack = await startMailStack({ users: names.map((n) => account(n)) });
  let proxy: RecordingProxy | undefined;
  const dir = mkdtempSync(path.join(tmpdir(), 'wardwatch-imap-it-'));
  try {
    for (const n of names) process.env[envName(n)] = passwordOf(n);
    const dav = new DAVClient({
      serverUrl: stack.caldavUrl,
      credentials: { username: PEOPLE.service, password: passwordOf('service') },
      authMethod: 'Basic',
      defaultAccountType: 'caldav',
    });
    await dav.login();
    const home = dav.account?.homeUrl;
    if (home === undefined) throw new Error('Radicale gave the service account no calendar home.');
    for (const id of CALENDARS) await dav.makeCalendar({ url: `${home}${id}/`, props: { displayname: id } });
    proxy = await startRecordingProxy(stack.ports.caldav);
    const homePath = new URL(home).pathname;

    const config = {
      ...councilConfigInput,
      mailboxes: WATCHED.map((w) => ({ address: PEOPLE[w.name], folders: w.folders })),
      connectors: {
        imap: {
          host: stack.host,
          port: stack.ports.imap,
          secure: false,
          user: PEOPLE.service,
          password: `\${${envName('service')}}`,
          mailboxes: Object.fromEntries(WATCHED.map((w) => [PEOPLE[w.name], { password: `\${${envName(w.name)}}` }])),
          // Mail arrives by IDLE: the periodic re-check is left at a minute, so a test that sees
          // mail within seconds has seen it through IDLE.
          recheckSeconds: 60,
          backoff: { initialSeconds: 0.2, maxSeconds: 1 },
          smtp: { host: stack.host, port: stack.ports.smtp, password: `\${${envName('service')}}`, plainLocal: true },
          caldav: {
            url: proxy.url,
            user: PEOPLE.service,
            password: `\${${envName('service')}}`,
            calendars: Object.fromEntries(CALENDARS.map((id) => [id, `${homePath}${id}/`])),
            pollSeconds: 0.5,
          },
        },
      },
      sender: { kind: 'connector', connector: 'imap' },
      store: { path: './state/wardwatch.sqlite' },
      server: { host: '127.0.0.1', port: 0 },
      limits: { nudgesPerPersonPerDay: 1000, quietHours: { roles: [], weekends: false } },
      digest: { to: [A.clerk], cron: '30 7 * * *' },
      ...overrides,
    };
    const configFile = path.join(dir, 'council.yaml');
    mkdirSync(path.join(dir, 'state'), { recursive: true });
    writeFileSync(configFile, stringify(config));
    const started = proxy;
    return {
      stack,
      proxy: started,
      dir,
      configFile,
      calendarUrl: (id) => `${home}${id}/`,
      calendarPath: (id) => `${homePath}${id}/`,
      async stop() {
        await started.close();
        await stack.stop();
        if (process.env.WARDWATCH_KEEP_TEST_DIR === undefined) rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await proxy?.close();
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/* -------------------------------------------------------------------- a mail client's side */

export function basicAuth(name: PersonName): string {
  return 'Basic ' + Buffer.from(`${PEOPLE[name]}:${passwordOf(name)}`).toString('base64');
}

/** RFC 5322 date of an instant. */
export function mailDate(at: Date): string {
  return at.toUTCString().replace('GMT', '+0000');
}

/** Someone on the stack, or an outside address. */
export type Recipient = PersonName | { address: string; name?: string };

export interface RawMailSpec {
  messageId: string;
  from: PersonName;
  to: Recipient[];
  cc?: Recipient[];
  /** Written only into the sender's Sent copy, as mail clients do. */
  bcc?: Recipient[];
  subject: string;
  body: string;
  date: Date;
}

const NAMES: Record<PersonName, string> = {
  clerk: 'Helen Ashworth',
  sam: 'Sam Patel',
  dan: 'Dan Okafor',
  tom: 'Cllr Tom Brown',
  alice: 'Cllr Alice Green',
  raj: 'Cllr Raj Mehta',
  sue: 'Cllr Sue Taylor',
  ben: 'Cllr Ben Hughes',
  service: 'Millbrook Town Council protocol',
  chamber: 'Council Chamber',
};

function mailbox(who: Recipient): string {
  if (typeof who === 'string') return `${NAMES[who]} <${PEOPLE[who]}>`;
  return who.name !== undefined ? `${who.name} <${who.address}>` : who.address;
}

function addressOf(who: Recipient): string {
  return typeof who === 'string' ? PEOPLE[who] : who.address;
}

/** The message as submitted (no Bcc header) and as kept in the sender's Sent folder (with it). */
export function composeMail(spec: RawMailSpec): { submitted: string; sentCopy: string; envelope: { from: string; to: string[] } } {
  const head = [
    `From: ${mailbox(spec.from)}`,
    `To: ${spec.to.map(mailbox).join(', ')}`,
    ...(spec.cc && spec.cc.length > 0 ? [`Cc: ${spec.cc.map(mailbox).join(', ')}`] : []),
  ];
  const tail = [
    `Subject: ${spec.subject}`,
    `Date: ${mailDate(spec.date)}`,
    `Message-ID: ${spec.messageId}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    spec.body,
    '',
  ];
  const bcc = spec.bcc && spec.bcc.length > 0 ? [`Bcc: ${spec.bcc.map(mailbox).join(', ')}`] : [];
  return {
    submitted: [...head, ...tail].join('\r\n'),
    sentCopy: [...head, ...bcc, ...tail].join('\r\n'),
    envelope: { from: PEOPLE[spec.from], to: [...spec.to, ...(spec.cc ?? []), ...(spec.bcc ?? [])].map(addressOf) },
  };
}

/** Submits a message through Postfix as `who` would (SMTP AUTH on the submission port), or without AUTH from the local network. */
export async function submit(stack: MailStack, who: PersonName | undefined, raw: string, envelope: { from: string; to: string[] }): Promise<void> {
  const transport = nodemailer.createTransport({
    host: stack.host,
    port: stack.ports.smtp,
    secure: false,
    ignoreTLS: true,
    ...(who !== undefined ? { auth: { user: PEOPLE[who], pass: passwordOf(who) } } : {}),
  });
  try {
    await transport.sendMail({ envelope, raw });
  } finally {
    transport.close();
  }
}

async function withImap<T>(stack: MailStack, who: PersonName, work: (client: ImapFlow) => Promise<T>): Promise<T> {
  const client = new ImapFlow({ host: stack.host, port: stack.ports.imap, secure: false, auth: { user: PEOPLE[who], pass: passwordOf(who) }, logger: false });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.logout().catch(() => client.close());
  }
}

/** Appends a message to a folder of `who`'s mailbox, as a mail client keeps its Sent copy. */
export async function appendTo(stack: MailStack, who: PersonName, folder: string, raw: string | Buffer, date?: Date): Promise<void> {
  await withImap(stack, who, async (client) => {
    await client.append(folder, raw, ['\\Seen'], date);
  });
}

/** Every message in a folder of `who`'s mailbox, raw. */
export async function folderMessages(stack: MailStack, who: PersonName, folder = 'INBOX'): Promise<Buffer[]> {
  return withImap(stack, who, async (client) => {
    const box = await client.mailboxOpen(folder, { readOnly: true });
    if (box.exists === 0) return [];
    const out: Buffer[] = [];
    for await (const m of client.fetch('1:*', { source: true })) if (m.source) out.push(m.source);
    return out;
  });
}

/** Deletes a folder and makes it again with the same messages: the folder gets a new UIDVALIDITY. */
export async function recreateFolder(stack: MailStack, who: PersonName, folder: string): Promise<{ before: bigint; after: bigint; messages: number }> {
  return withImap(stack, who, async (client) => {
    const kept: { source: Buffer; internalDate?: Date }[] = [];
    const box = await client.mailboxOpen(folder, { readOnly: true });
    const before = box.uidValidity;
    if (box.exists > 0) {
      for await (const m of client.fetch('1:*', { source: true, internalDate: true })) {
        if (!m.source) continue;
        const internalDate = m.internalDate instanceof Date ? m.internalDate : undefined;
        kept.push(internalDate ? { source: m.source, internalDate } : { source: m.source });
      }
    }
    await client.mailboxClose();
    await client.mailboxDelete(folder);
    try {
      await client.mailboxCreate(folder);
    } catch (err) {
      // Dovecot makes a special-use folder again by itself as soon as someone lists the mailbox.
      if (!(await client.list()).some((f) => f.path === folder)) throw err;
    }
    for (const m of kept) await client.append(folder, m.source, ['\\Seen'], m.internalDate);
    const reopened = await client.mailboxOpen(folder, { readOnly: true });
    return { before, after: reopened.uidValidity, messages: kept.length };
  });
}

export interface KeyedMessage {
  key: string;
  mail: ParsedMail;
  raw: string;
}

/** The X-Wardwatch-Key header of a raw message ('' when it has none). */
export function wardwatchKey(raw: Buffer | string): string {
  const text = typeof raw === 'string' ? raw : raw.toString('utf8');
  const end = text.search(/\r?\n\r?\n/);
  const head = (end >= 0 ? text.slice(0, end) : text).replace(/\r?\n[ \t]+/g, ' ');
  return /^x-wardwatch-key:\s*(.*)$/im.exec(head)?.[1]?.trim() ?? '';
}

/** The messages in `who`'s INBOX that carry this X-Wardwatch-Key. */
export async function keyedMessages(stack: MailStack, who: PersonName, key: string): Promise<KeyedMessage[]> {
  const out: KeyedMessage[] = [];
  for (const raw of await folderMessages(stack, who)) {
    if (wardwatchKey(raw) !== key) continue;
    out.push({ key, mail: await simpleParser(raw), raw: raw.toString('utf8') });
  }
  return out;
}

/** Waits until a message with the key is in `who`'s INBOX; returns it. */
export async function waitForKeyed(stack: MailStack, who: PersonName, key: string, timeoutMs = 20_000): Promise<KeyedMessage> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [found] = await keyedMessages(stack, who, key);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`No message with X-Wardwatch-Key ${key} arrived in the INBOX of ${PEOPLE[who]} within ${timeoutMs} ms.`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/* -------------------------------------------------------------------- calendars */

/** One VEVENT in a VCALENDAR, CRLF line endings. */
export function calendarObject(lines: string[]): string {
  return ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Millbrook Town Council//Integration tests//EN', 'BEGIN:VEVENT', ...lines, 'END:VEVENT', 'END:VCALENDAR', ''].join('\r\n');
}

export function icsTime(at: Date): string {
  return at.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/** PUT as the service account, straight to Radicale (not through the proxy). Returns the object's URL. */
export async function putEvent(council: ImapCouncil, calendarId: (typeof CALENDARS)[number], name: string, ics: string): Promise<string> {
  const url = `${council.calendarUrl(calendarId)}${name}`;
  const res = await fetch(url, { method: 'PUT', body: ics, headers: { authorization: basicAuth('service'), 'content-type': 'text/calendar; charset=utf-8' } });
  if (res.status >= 300) throw new Error(`PUT ${url} failed: HTTP ${res.status}`);
  return url;
}

export async function getEvent(url: string): Promise<string> {
  const res = await fetch(url, { headers: { authorization: basicAuth('service') } });
  if (res.status !== 200) throw new Error(`GET ${url} failed: HTTP ${res.status}`);
  return res.text();
}

export { attendeeParameters, contentLines } from '../support/ics-lines.js';

/** Polls until `check` gives a value (not undefined/false), or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 20_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}.`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
