/**
 * Test helpers for the IMAP connector: an in-memory cursor store, a sink that records what it
 * is handed, a TCP proxy that can silently swallow a live connection, and small mail utilities.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { ImapFlow } from 'imapflow';
import type { Problem, RawRecord } from '../../../src/items/types.js';
import type { CursorStore, RecordSink, Removal } from '../../../src/sources/types.js';

export class MemoryCursors implements CursorStore {
  readonly values = new Map<string, string>();
  getCursor(source: string, key: string): Promise<string | undefined> {
    return Promise.resolve(this.values.get(`${source}|${key}`));
  }
  setCursor(source: string, key: string, value: string): Promise<void> {
    this.values.set(`${source}|${key}`, value);
    return Promise.resolve();
  }
}

export type MailRecord = Extract<RawRecord, { kind: 'mail' }>;
export type CalendarRecord = Extract<RawRecord, { kind: 'calendar' }>;

export class RecordingSink implements RecordSink {
  readonly records: RawRecord[] = [];
  readonly problems: Problem[] = [];

  async record(record: RawRecord): Promise<void> {
    this.records.push(record);
  }

  readonly removals: Removal[] = [];
  async removed(removal: Removal): Promise<void> {
    this.removals.push(removal);
  }

  problem(problem: Problem): void {
    this.problems.push(problem);
  }

  mail(): MailRecord[] {
    return this.records.filter((r): r is MailRecord => r.kind === 'mail');
  }

  calendar(): CalendarRecord[] {
    return this.records.filter((r): r is CalendarRecord => r.kind === 'calendar');
  }

  /** Message-IDs of the mail records, in order. */
  messageIds(): string[] {
    return this.mail().map((r) => messageIdOf(r.source));
  }

  clear(): void {
    this.records.length = 0;
    this.problems.length = 0;
  }
}

/** Polls `check` until it returns true; fails with `what` after `timeoutMs`. */
export async function eventually(what: string, check: () => boolean, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`Timed out waiting for: ${what}`);
}

/** The Message-ID header of a raw message ('' when it has none). */
export function messageIdOf(source: Buffer | string): string {
  const text = typeof source === 'string' ? source : source.toString('utf8');
  const head = text.slice(0, Math.max(text.search(/\r?\n\r?\n/), 0)).replace(/\r?\n[ \t]+/g, ' ');
  const m = /^message-id:\s*(<[^>]+>)/im.exec(head);
  return m?.[1] ?? '';
}

/** A header's value from a raw message ('' when absent). */
export function headerOf(source: Buffer | string, name: string): string {
  const text = typeof source === 'string' ? source : source.toString('utf8');
  const head = text.slice(0, Math.max(text.search(/\r?\n\r?\n/), 0)).replace(/\r?\n[ \t]+/g, ' ');
  const re = new RegExp(`^${name.replace(/[-]/g, '\\-')}:\\s*(.*)$`, 'im');
  return re.exec(head)?.[1]?.trim() ?? '';
}

/** A small plain message. */
export function rawMessage(opts: { from: string; to: string; subject: string; id: string; body?: string; date?: Date }): string {
  return [
    `From: ${opts.from}`,
    `To: ${opts.to}`,
    `Subject: ${opts.subject}`,
    `Message-ID: ${opts.id}`,
    `Date: ${(opts.date ?? new Date()).toUTCString()}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    opts.body ?? 'Dear colleague, a short note for the test.',
    '',
  ].join('\r\n');
}

/**
 * A TCP proxy in front of a server. `freeze()` makes every connection open at that moment go
 * silent in both directions while staying open, as a connection dropped by a NAT box does;
 * connections made afterwards work normally.
 */
export interface FreezableProxy {
  readonly port: number;
  freeze(): void;
  close(): Promise<void>;
}

export async function startFreezableProxy(targetPort: number): Promise<FreezableProxy> {
  const open = new Set<{ client: Socket; upstream: Socket; frozen: boolean }>();
  const server: Server = createServer((client) => {
    const upstream = connect({ host: '127.0.0.1', port: targetPort });
    const pair = { client, upstream, frozen: false };
    open.add(pair);
    client.on('data', (chunk) => {
      if (!pair.frozen) upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (!pair.frozen) client.write(chunk);
    });
    const end = (): void => {
      open.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('The proxy has no port.');
  return {
    port: address.port,
    freeze() {
      for (const pair of open) pair.frozen = true;
    },
    async close() {
      for (const pair of open) {
        pair.client.destroy();
        pair.upstream.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface StackUserLike {
  address: string;
  password: string;
}

/** Every message in a folder of a user's mailbox, read over IMAP. */
export async function folderSources(imapPort: number, user: StackUserLike, folder: string): Promise<Buffer[]> {
  const client = new ImapFlow({ host: '127.0.0.1', port: imapPort, secure: false, auth: { user: user.address, pass: user.password }, logger: false });
  await client.connect();
  try {
    const box = await client.mailboxOpen(folder, { readOnly: true });
    if (box.exists === 0) return [];
    const out: Buffer[] = [];
    for await (const m of client.fetch('1:*', { source: true })) if (m.source) out.push(m.source);
    return out;
  } finally {
    await client.logout();
  }
}

/** Waits until a message with `match` (a Message-ID, or a test on the source) is in the folder, and returns it. */
export async function waitForMessage(imapPort: number, user: StackUserLike, folder: string, match: string | ((source: string) => boolean), timeoutMs = 10_000): Promise<string> {
  const test = typeof match === 'string' ? (s: string) => messageIdOf(s) === match : match;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const found = (await folderSources(imapPort, user, folder)).map((b) => b.toString('utf8')).find(test);
    if (found !== undefined) return found;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`No matching message arrived in ${user.address}/${folder}.`);
}
