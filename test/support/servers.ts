/**
 * Real mail and calendar servers for integration tests (see scripts/test-servers): start one
 * stack in `beforeAll`, stop it in `afterAll`.
 *
 *   const stack = await startMailStack({ users: [{ address: A.clerk, password: 's3cret' }] });
 *   await stack.deliver(rawMessage);                 // straight into Dovecot over LMTP
 *   await stack.restartDovecot();                    // an outage while clients are idling
 *   await stack.stop();
 */
import nodemailer from 'nodemailer';
import addressparser from 'nodemailer/lib/addressparser';
import { startStack, type StackPorts, type StackUser, type TestStack } from '../../scripts/test-servers/stack.js';

export type { StackPorts, StackUser };

export interface MailStackOptions {
  /** Default: the test council's domain, millbrook-tc.gov.uk. */
  domain?: string;
  users: StackUser[];
  /** Postfix offers STARTTLS with a self-signed certificate (`certificatePem`). */
  startTls?: boolean;
  /** Where the stack's temporary directory is made (default: the OS temp directory). */
  parentDir?: string;
  /** Mailboxes whose submitted mail Postfix files a copy of in their Sent folder (as Microsoft 365 and Gmail do). */
  sentCopies?: string[];
}

export interface MailStack {
  readonly host: '127.0.0.1';
  readonly domain: string;
  readonly users: readonly StackUser[];
  readonly ports: StackPorts;
  /** Radicale's base URL, with a trailing slash. */
  readonly caldavUrl: string;
  readonly certificatePem?: string;
  /** The password of a stack user. */
  password(address: string): string;
  /**
   * Delivers a raw message into Dovecot over LMTP, as Postfix would. Recipients default to the
   * addresses in the To, Cc and Bcc headers.
   */
  deliver(raw: string | Buffer, recipients?: string[]): Promise<void>;
  restartDovecot(): Promise<void>;
  stopDovecot(): Promise<void>;
  startDovecot(): Promise<void>;
  stopRadicale(): Promise<void>;
  startRadicale(): Promise<void>;
  logs(): { dovecot: string; postfix: string; radicale: string };
  stop(): Promise<void>;
}

/** The header block of a raw message, with folded lines joined. */
function headerBlock(raw: string): string {
  const end = raw.search(/\r?\n\r?\n/);
  return (end >= 0 ? raw.slice(0, end) : raw).replace(/\r?\n[ \t]+/g, ' ');
}

export function headerRecipients(raw: string | Buffer): string[] {
  const text = typeof raw === 'string' ? raw : raw.toString('utf8');
  const found: string[] = [];
  for (const line of headerBlock(text).split(/\r?\n/)) {
    const m = /^(to|cc|bcc):(.*)$/i.exec(line);
    if (!m || m[2] === undefined) continue;
    for (const a of addressparser(m[2], { flatten: true })) {
      if (a.address) found.push(a.address.toLowerCase());
    }
  }
  return [...new Set(found)];
}

function senderOf(raw: string | Buffer): string {
  const text = typeof raw === 'string' ? raw : raw.toString('utf8');
  for (const line of headerBlock(text).split(/\r?\n/)) {
    const m = /^from:(.*)$/i.exec(line);
    if (!m || m[1] === undefined) continue;
    const first = addressparser(m[1], { flatten: true })[0];
    if (first?.address) return first.address;
  }
  return 'postmaster@example.invalid';
}

export async function startMailStack(opts: MailStackOptions): Promise<MailStack> {
  const stack: TestStack = await startStack({
    domain: opts.domain ?? 'millbrook-tc.gov.uk',
    users: opts.users,
    ...(opts.startTls ? { startTls: true } : {}),
    ...(opts.parentDir ? { parentDir: opts.parentDir } : {}),
    ...(opts.sentCopies ? { sentCopies: opts.sentCopies } : {}),
  });
  const lmtp = nodemailer.createTransport({ lmtp: true, host: stack.host, port: stack.ports.lmtp, secure: false, ignoreTLS: true });
  return {
    host: stack.host,
    domain: stack.domain,
    users: stack.users,
    ports: stack.ports,
    caldavUrl: stack.caldavUrl,
    ...(stack.certificatePem ? { certificatePem: stack.certificatePem } : {}),
    password(address: string): string {
      const user = stack.users.find((u) => u.address === address.toLowerCase());
      if (!user) throw new Error(`${address} is not a user of this test stack.`);
      return user.password;
    },
    async deliver(raw, recipients) {
      const to = recipients ?? headerRecipients(raw);
      if (to.length === 0) throw new Error('The message names no recipient to deliver to.');
      await lmtp.sendMail({ envelope: { from: senderOf(raw), to }, raw });
    },
    async restartDovecot() {
      await stack.stopDovecot();
      await stack.startDovecot();
    },
    stopDovecot: () => stack.stopDovecot(),
    startDovecot: () => stack.startDovecot(),
    stopRadicale: () => stack.stopRadicale(),
    startRadicale: () => stack.startRadicale(),
    logs: () => stack.logs(),
    async stop() {
      lmtp.close();
      await stack.stop();
    },
  };
}
