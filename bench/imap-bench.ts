/**
 * Issue 4's figures for the standards connector, against a real Dovecot + Postfix on loopback
 * (scripts/test-servers; needs root and the Debian packages it names):
 *   - latency: 200 violating messages (an officer's mail with a member in Bcc), submitted one at
 *     a time over SMTP; for each, the time from SMTP acceptance to Wardwatch's nudge appearing in
 *     the officer's INBOX, seen by a separate IMAP client in IDLE. Wardwatch runs as `wardwatch
 *     run` in its own process. Target: p95 < 2 s.
 *   - backfill: a mailbox of 10,000 small messages (written straight into Dovecot's Maildir,
 *     then `doveadm force-resync`); the time for the connector's first pass over it (every
 *     message fetched and parsed with parseMail, as the pipeline does) against a bare imapflow
 *     fetch of the same messages in batches of the same size. Target: ≥ 0.7 of the bare rate.
 * WARDWATCH_BENCH_IMAP_MESSAGES and WARDWATCH_BENCH_IMAP_BACKFILL change the two counts.
 */
import { execFileSync } from 'node:child_process';
import { chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';
import { stringify } from 'yaml';
import { parseImapSettings } from '../connectors/imap/config.js';
import { FETCH_BATCH_COUNT, ImapMailSource } from '../connectors/imap/mail-source.js';
import { uidSet } from '../connectors/imap/uid-set.js';
import { parseMail } from '../src/items/mail-parse.js';
import { effectKey } from '../src/outbox/idempotency.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import type { CursorStore, RecordSink } from '../src/sources/types.js';
import { MAIL_UID } from '../scripts/test-servers/dovecot.js';
import { startStack, type TestStack } from '../scripts/test-servers/stack.js';
import { benchCouncil } from './council.js';
import { runningChildren, startWardwatch, stopWardwatch } from './wardwatch-process.js';

const DOMAIN = 'millbrook-tc.gov.uk';
const LATENCY_TARGET_P95_MS = 2000;
const BACKFILL_TARGET_RATIO = 0.7;

const USERS = {
  sam: `sam.patel@${DOMAIN}`,
  raj: `raj.mehta@${DOMAIN}`,
  alice: `alice.green@${DOMAIN}`,
  clerk: `clerk@${DOMAIN}`,
  service: `protocol@${DOMAIN}`,
  archive: `archive@${DOMAIN}`,
} as const;
type User = keyof typeof USERS;

function passwordOf(user: User): string {
  return `bench-${user}-Pa55`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

function countFrom(name: string, fallback: number): number {
  const raw = process.env[name];
  const n = raw === undefined ? fallback : Number(raw);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

/* ------------------------------------------------------------------------------ latency */

function writeCouncil(dir: string, stack: TestStack): string {
  const env = (user: User): string => `\${WW_BENCH_${user.toUpperCase()}}`;
  const watched: { user: User; folders: string[] }[] = [
    { user: 'sam', folders: ['sent'] },
    { user: 'raj', folders: ['inbox'] },
    { user: 'alice', folders: ['inbox'] },
  ];
  const config = {
    ...benchCouncil,
    mailboxes: watched.map((w) => ({ address: USERS[w.user], folders: w.folders })),
    connectors: {
      imap: {
        host: stack.host,
        port: stack.ports.imap,
        secure: false,
        password: env('service'),
        mailboxes: Object.fromEntries(watched.map((w) => [USERS[w.user], { password: env(w.user) }])),
        smtp: { host: stack.host, port: stack.ports.smtp, password: env('service') },
      },
    },
    sender: { kind: 'connector', connector: 'imap' },
    store: { path: './state/wardwatch.sqlite' },
    server: { host: '127.0.0.1', port: 0 },
    limits: { nudgesPerPersonPerDay: 100_000, quietHours: { roles: [], weekends: false } },
    digest: { to: [USERS.clerk], cron: '30 7 * * *' },
  };
  mkdirSync(path.join(dir, 'state'), { recursive: true });
  const file = path.join(dir, 'council.yaml');
  writeFileSync(file, stringify(config));
  return file;
}


async function waitHealthy(port: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      const body: unknown = await res.json();
      if (typeof body === 'object' && body !== null && 'status' in body && body.status === 'ok') return;
    } catch {
      // not answering yet
    }
    if (Date.now() > deadline) throw new Error('wardwatch run did not report healthy sources within a minute');
    await sleep(100);
  }
}

function imapClient(stack: TestStack, user: User): ImapFlow {
  const client = new ImapFlow({
    host: stack.host,
    port: stack.ports.imap,
    secure: false,
    auth: { user: USERS[user], pass: passwordOf(user) },
    logger: false,
    autoIdleDelay: 0,
  });
  client.on('error', () => undefined);
  return client;
}

/** Watches a mailbox's INBOX in IDLE and notes when each X-Wardwatch-Key first appears. */
class ArrivalWatcher {
  private readonly arrivals = new Map<string, number>();
  private readonly waiting = new Map<string, (at: number) => void>();
  private lastUid = 0;
  private draining: Promise<void> | undefined;
  private again = false;

  constructor(private readonly client: ImapFlow) {}

  async start(): Promise<void> {
    await this.client.connect();
    const box = await this.client.mailboxOpen('INBOX', { readOnly: true });
    this.lastUid = Math.max(0, box.uidNext - 1);
    // autoIdleDelay 0: the client goes into IDLE as soon as it has nothing else to do.
    this.client.on('exists', () => this.drain());
  }

  private drain(): void {
    if (this.draining) {
      this.again = true;
      return;
    }
    this.draining = (async () => {
      do {
        this.again = false;
        const rows = await this.client.fetchAll(`${this.lastUid + 1}:*`, { uid: true, headers: ['x-wardwatch-key'] }, { uid: true });
        const at = performance.now();
        for (const row of rows) {
          if (row.uid <= this.lastUid) continue;
          this.lastUid = Math.max(this.lastUid, row.uid);
          const key = /x-wardwatch-key:\s*(.*)/i.exec(row.headers?.toString('utf8').replace(/\r?\n[ \t]+/g, ' ') ?? '')?.[1]?.trim();
          if (key === undefined || this.arrivals.has(key)) continue;
          this.arrivals.set(key, at);
          this.waiting.get(key)?.(at);
        }
      } while (this.again);
    })().finally(() => {
      this.draining = undefined;
    });
  }

  /** Resolves with the moment (performance.now) the key was seen. */
  arrival(key: string, timeoutMs: number): Promise<number> {
    const seen = this.arrivals.get(key);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(key);
        reject(new Error(`no message with X-Wardwatch-Key ${key} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(key, (at) => {
        clearTimeout(timer);
        this.waiting.delete(key);
        resolve(at);
      });
    });
  }

  async close(): Promise<void> {
    await this.client.logout().catch(() => this.client.close());
  }
}

function blindCopy(n: number): { messageId: string; raw: string } {
  const messageId = `<latency-${n}-${Date.now()}@${DOMAIN}>`;
  const raw = [
    `From: Sam Patel <${USERS.sam}>`,
    `To: Cllr Raj Mehta <${USERS.raj}>`,
    `Subject: Mill Lane bins (${n})`,
    `Date: ${new Date().toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: ${messageId}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    `Dear Cllr Mehta,\r\n\r\nThe new bins for Mill Lane (${n}) will be installed on Thursday morning.\r\n\r\nKind regards,\r\nSam Patel`,
    '',
  ].join('\r\n');
  return { messageId, raw };
}

interface LatencyFigures {
  count: number;
  p50: number;
  p95: number;
  max: number;
  /** Median from SMTP acceptance until Wardwatch had judged the message and queued the nudge. */
  judgedP50: number;
}

async function latency(stack: TestStack, dir: string, count: number): Promise<LatencyFigures> {
  const configFile = writeCouncil(dir, stack);
  const env: NodeJS.ProcessEnv = {};
  for (const user of Object.keys(USERS) as User[]) env[`WW_BENCH_${user.toUpperCase()}`] = passwordOf(user);
  const running = startWardwatch(configFile, env);
  const watcher = new ArrivalWatcher(imapClient(stack, 'sam'));
  const smtp = nodemailer.createTransport({
    host: stack.host,
    port: stack.ports.smtp,
    secure: false,
    ignoreTLS: true,
    pool: true,
    maxConnections: 1,
    auth: { user: USERS.sam, pass: passwordOf('sam') },
  });
  try {
    await waitHealthy(await running.port);
    await watcher.start();
    // One message through the whole path first, so that start-up costs are not counted.
    const warm = blindCopy(0);
    await smtp.sendMail({ envelope: { from: USERS.sam, to: [USERS.raj, USERS.alice] }, raw: warm.raw });
    await watcher.arrival(effectKey({ rule: 'no-blind-copies', itemKey: warm.messageId, recipient: USERS.sam, kind: 'nudge' }), 30_000);

    const samples: number[] = [];
    const acceptedAt = new Map<string, number>();
    for (let n = 1; n <= count; n++) {
      // Sam writes to Raj with Alice in Bcc: Alice's copy lands in her watched INBOX although she is in neither To nor Cc.
      const mail = blindCopy(n);
      const key = effectKey({ rule: 'no-blind-copies', itemKey: mail.messageId, recipient: USERS.sam, kind: 'nudge' });
      await smtp.sendMail({ envelope: { from: USERS.sam, to: [USERS.raj, USERS.alice] }, raw: mail.raw });
      const accepted = performance.now();
      acceptedAt.set(key, Date.now());
      const arrived = await watcher.arrival(key, 30_000);
      samples.push(arrived - accepted);
    }
    // When each nudge was queued, from the service's own state file (its clock is this machine's).
    const store = new SqliteStore(path.join(dir, 'state', 'wardwatch.sqlite'));
    const judged: number[] = [];
    try {
      for (const [key, at] of acceptedAt) {
        const created = (await store.getEffect(key))?.createdAt;
        if (created !== undefined) judged.push(Date.parse(created) - at);
      }
    } finally {
      await store.close();
    }
    const sorted = [...samples].sort((a, b) => a - b);
    return {
      count,
      p50: percentile(sorted, 50),
      p95: percentile(sorted, 95),
      max: sorted[sorted.length - 1] ?? Number.NaN,
      judgedP50: percentile([...judged].sort((a, b) => a - b), 50),
    };
  } finally {
    smtp.close();
    await watcher.close();
    await stopWardwatch(running.child);
  }
}

/* ------------------------------------------------------------------------------ backfill */

function smallMessage(n: number, at: Date): string {
  return [
    `Return-Path: <j.smith${n % 97}@example.com>`,
    `From: Resident ${n % 97} <j.smith${n % 97}@example.com>`,
    `To: Archive <${USERS.archive}>`,
    `Subject: Report ${n}: potholes on Hazel Avenue`,
    `Date: ${at.toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <backfill-${n}@example.com>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    `Dear Council,\r\n\r\nThere are potholes outside number ${n} on Hazel Avenue. Could someone take a look?\r\n\r\nThank you,\r\nResident ${n % 97}`,
    '',
  ].join('\r\n');
}

/** Fills the archive mailbox's INBOX with `count` messages, straight into its Maildir. */
async function fillMailbox(stack: TestStack, count: number): Promise<void> {
  // Logging in once makes Dovecot create the Maildir.
  const client = imapClient(stack, 'archive');
  await client.connect();
  await client.mailboxOpen('INBOX');
  await client.logout();
  const maildir = path.join(stack.root, 'mail', USERS.archive, 'Maildir');
  const cur = path.join(maildir, 'cur');
  mkdirSync(cur, { recursive: true });
  const now = Date.now();
  const stamp = Math.floor(now / 1000);
  for (let n = 1; n <= count; n++) {
    const message = Buffer.from(smallMessage(n, new Date(now - (count - n) * 1000)), 'utf8');
    // Maildir names carry the size (S=): Dovecot trusts it, so it must be right.
    const file = path.join(cur, `${stamp}.M${n}P${process.pid}.wardwatch-bench,S=${message.length}:2,S`);
    writeFileSync(file, message);
    chownSync(file, MAIL_UID, MAIL_UID);
  }
  chownSync(cur, MAIL_UID, MAIL_UID);
  execFileSync('doveadm', ['-c', path.join(stack.root, 'dovecot', 'dovecot.conf'), 'force-resync', '-u', USERS.archive, 'INBOX'], { stdio: 'pipe' });
}

/**
 * The bare rate: imapflow connecting, logging in and fetching every message's source, in batches
 * of the connector's size. The clock starts before connecting, as it does for the connector, whose
 * pass also connects, logs in and finds the folder.
 */
async function bareFetch(stack: TestStack): Promise<{ messages: number; seconds: number }> {
  const started = performance.now();
  const client = imapClient(stack, 'archive');
  await client.connect();
  try {
    await client.mailboxOpen('INBOX', { readOnly: true });
    const uids = (await client.search({ all: true }, { uid: true })) || [];
    let messages = 0;
    for (let i = 0; i < uids.length; i += FETCH_BATCH_COUNT) {
      const rows = await client.fetchAll(uidSet(uids.slice(i, i + FETCH_BATCH_COUNT)), { uid: true, source: true }, { uid: true });
      for (const row of rows) if (row.source) messages++;
    }
    return { messages, seconds: (performance.now() - started) / 1000 };
  } finally {
    await client.logout().catch(() => client.close());
  }
}

class MemoryCursors implements CursorStore {
  private readonly values = new Map<string, string>();
  getCursor(source: string, key: string): Promise<string | undefined> {
    return Promise.resolve(this.values.get(`${source}|${key}`));
  }
  setCursor(source: string, key: string, value: string): Promise<void> {
    this.values.set(`${source}|${key}`, value);
    return Promise.resolve();
  }
}

/**
 * Wardwatch's rate: the connector's first pass over the folder, each record handed to a sink
 * that parses it with parseMail as the pipeline does (`parse`), or that only counts it (the
 * connector's own cost, for comparison).
 */
async function connectorBackfill(stack: TestStack, parse: boolean): Promise<{ messages: number; seconds: number; problems: number }> {
  const settings = parseImapSettings(
    { host: stack.host, port: stack.ports.imap, secure: false, mailboxes: { [USERS.archive]: { password: '${WW_BENCH_ARCHIVE}' } }, backfillDays: 365 },
    { councilName: benchCouncil.council.name, serviceAddress: benchCouncil.council.serviceAddress, mailboxes: [{ address: USERS.archive, folders: ['inbox'] }], calendarIds: [] },
    { WW_BENCH_ARCHIVE: passwordOf('archive') },
  );
  const source = new ImapMailSource({ settings, cursors: new MemoryCursors() });
  let messages = 0;
  let problems = 0;
  const sink: RecordSink = {
    async record(record) {
      if (record.kind !== 'mail') return;
      if (parse) await parseMail(record.source, { mailbox: record.mailbox, folder: record.folder, origin: record.origin });
      messages++;
    },
    async removed() {},
    problem() {
      problems++;
    },
  };
  const started = performance.now();
  await source.sync(sink);
  return { messages, seconds: (performance.now() - started) / 1000, problems };
}

interface BackfillFigures {
  messages: number;
  bare: number;
  /** Fetched and parsed, as the pipeline reads a mailbox. */
  wardwatch: number;
  /** Fetched and handed over only. */
  connector: number;
  ratio: number;
  detail: string;
}

async function backfill(stack: TestStack, count: number): Promise<BackfillFigures> {
  await fillMailbox(stack, count);
  // A first, untimed pass lets Dovecot build its index and cache for the folder.
  await bareFetch(stack);
  // The bare fetch and the connector in turn, three times each, the best of each taken: loopback
  // rates swing by half from one pass to the next on a shared machine.
  const bareRuns: { messages: number; seconds: number }[] = [];
  const handedRuns: { messages: number; seconds: number; problems: number }[] = [];
  for (let i = 0; i < 3; i++) {
    bareRuns.push(await bareFetch(stack));
    handedRuns.push(await connectorBackfill(stack, false));
  }
  const parsed = await connectorBackfill(stack, true);
  const handed = handedRuns.reduce((a, b) => (b.seconds < a.seconds ? b : a));
  for (const run of [...handedRuns, parsed]) {
    if (run.messages !== count) throw new Error(`the connector handed over ${run.messages} of ${count} messages (${run.problems} problems)`);
  }
  for (const run of bareRuns) if (run.messages !== count) throw new Error(`the bare fetch read ${run.messages} of ${count} messages`);
  const bareSeconds = Math.min(...bareRuns.map((r) => r.seconds));
  const bare = count / bareSeconds;
  const wardwatch = count / parsed.seconds;
  return {
    messages: count,
    bare,
    wardwatch,
    connector: count / handed.seconds,
    ratio: wardwatch / bare,
    detail: `bare fetch ${bareRuns.map((r) => r.seconds.toFixed(2)).join(', ')} s; connector handing over ${handedRuns.map((r) => r.seconds.toFixed(2)).join(', ')} s (taken in turn, the best of each used); ${parsed.seconds.toFixed(2)} s with parsing; batches of ${FETCH_BATCH_COUNT}; ${os.cpus().length} CPUs`,
  };
}

/* ------------------------------------------------------------------------------ the section */

export async function imapBench(): Promise<{ ok: boolean; lines: string[] }> {
  const messages = countFrom('WARDWATCH_BENCH_IMAP_MESSAGES', 200);
  const backfillCount = countFrom('WARDWATCH_BENCH_IMAP_BACKFILL', 10_000);
  const lines: string[] = ['IMAP/SMTP connector (wardwatch run against Dovecot + Postfix on loopback)'];
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wardwatch-imap-bench-'));
  const stack = await startStack({ domain: DOMAIN, users: (Object.keys(USERS) as User[]).map((u) => ({ address: USERS[u], password: passwordOf(u) })) });
  // Interrupted (Ctrl-C, a time limit): the servers and the service are stopped, not left behind.
  const interrupted = (): void => {
    for (const child of runningChildren) child.kill('SIGTERM');
    void stack.stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    const l = await latency(stack, dir, messages);
    const latencyOk = l.p95 < LATENCY_TARGET_P95_MS;
    lines.push(
      `  latency           SMTP acceptance → nudge in the officer's INBOX over ${l.count} messages: p50 ${l.p50.toFixed(0)} ms, p95 ${l.p95.toFixed(0)} ms, max ${l.max.toFixed(0)} ms (target p95 < ${LATENCY_TARGET_P95_MS} ms) ${latencyOk ? 'met' : 'MISSED'}`,
    );
    lines.push(
      `                    of which until judged and queued: p50 ${l.judgedP50.toFixed(0)} ms; the rest is sending, delivery and the watching client's IDLE (Dovecot announces new mail in IDLE after about 0.5 s, once on each side)`,
    );
    const b = await backfill(stack, backfillCount);
    const backfillOk = b.ratio >= BACKFILL_TARGET_RATIO;
    lines.push(
      `  backfill          ${b.messages.toLocaleString('en-GB')} messages: Wardwatch ${b.wardwatch.toFixed(0)} msg/s (fetched and parsed) vs bare imapflow fetch ${b.bare.toFixed(0)} msg/s = ${b.ratio.toFixed(2)} (target ≥ ${BACKFILL_TARGET_RATIO}) ${backfillOk ? 'met' : 'MISSED'}`,
    );
    lines.push(
      `                    the connector alone (records only counted): ${b.connector.toFixed(0)} msg/s = ${(b.connector / b.bare).toFixed(2)} of the bare fetch; parsing costs ${((1000 / b.wardwatch) - (1000 / b.connector)).toFixed(2)} ms a message`,
    );
    lines.push(`                    ${b.detail}`);
    const ok = latencyOk && backfillOk;
    lines.push(`  ${ok ? 'targets met' : 'TARGETS MISSED'}`);
    return { ok, lines };
  } finally {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
