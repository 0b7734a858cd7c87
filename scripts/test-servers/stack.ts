/**
 * A complete mail and calendar stack for one council domain, for integration tests:
 * Dovecot (IMAP + LMTP), Postfix (SMTP with AUTH, delivering to Dovecot) and Radicale
 * (CalDAV), all on free high ports of 127.0.0.1 under a fresh temporary directory. No
 * systemd, no system configuration touched; several stacks can run side by side.
 *
 * Needs root (Dovecot and Postfix change users) and the Debian packages
 * `dovecot-imapd dovecot-lmtpd postfix radicale` (`.ci/run` installs them when missing).
 */
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DOVECOT_BINARY, DovecotServer, writeDovecotConfig } from './dovecot.js';
import { POSTFIX_BINARY, PostfixServer, writePostfixConfig } from './postfix.js';
import { RADICALE_BINARY, RadicaleServer, writeRadicaleConfig } from './radicale.js';
import { freePorts } from './ports.js';
import { makeSelfSignedCertificate } from './tls.js';
import { tail } from './daemon.js';

export interface StackUser {
  address: string;
  password: string;
}

export interface StackOptions {
  /** The council's mail domain, delivered locally by Postfix. */
  domain: string;
  users: StackUser[];
  /** Let Postfix offer STARTTLS with a self-signed certificate (see `certificatePem`). */
  startTls?: boolean;
  /** Parent of the stack's temporary directory (default: the OS temp directory). */
  parentDir?: string;
  /** Mailboxes whose submitted mail Postfix files a copy of in their Sent folder (as Microsoft 365 and Gmail do). */
  sentCopies?: string[];
}

export interface StackPorts {
  imap: number;
  lmtp: number;
  smtp: number;
  caldav: number;
}

export interface TestStack {
  readonly host: '127.0.0.1';
  readonly domain: string;
  readonly users: readonly StackUser[];
  readonly root: string;
  readonly ports: StackPorts;
  /** Radicale's base URL, with a trailing slash. */
  readonly caldavUrl: string;
  /** The certificate Postfix presents for STARTTLS, when `startTls` was asked for. */
  readonly certificatePem?: string;
  startDovecot(): Promise<void>;
  stopDovecot(): Promise<void>;
  startRadicale(): Promise<void>;
  stopRadicale(): Promise<void>;
  /** The servers' own logs, for a failing test's message. */
  logs(): { dovecot: string; postfix: string; radicale: string };
  /** Stops every server and removes the directory. Safe to call twice. */
  stop(): Promise<void>;
}

const INSTALL_HINT = 'Install the test servers with: apt-get install -y dovecot-imapd dovecot-lmtpd postfix radicale';

function checkPrerequisites(): void {
  for (const [name, path] of [
    ['Dovecot', DOVECOT_BINARY],
    ['Postfix', POSTFIX_BINARY],
    ['Radicale', RADICALE_BINARY],
  ] as const) {
    if (!existsSync(path)) throw new Error(`${name} is not installed (expected ${path}). ${INSTALL_HINT}`);
  }
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new Error('The test mail stack must run as root: Dovecot and Postfix switch to their own users.');
  }
}

function isPortClash(err: unknown): boolean {
  const text = err instanceof Error ? err.message : String(err);
  return /address already in use|EADDRINUSE|bind\(/i.test(text);
}

async function startOnce(opts: StackOptions): Promise<TestStack> {
  const root = mkdtempSync(join(opts.parentDir ?? tmpdir(), 'wardwatch-stack-'));
  try {
    return await startIn(root, opts);
  } catch (err) {
    rmSync(root, { recursive: true, force: true });
    throw err;
  }
}

async function startIn(root: string, opts: StackOptions): Promise<TestStack> {
  // Dovecot's auth process and Postfix's daemons run as their own users and must reach in.
  chmodSync(root, 0o755);
  const [imap, lmtp, smtp, caldav] = await freePorts(4);
  if (imap === undefined || lmtp === undefined || smtp === undefined || caldav === undefined) {
    throw new Error('Could not find four free ports on 127.0.0.1.');
  }
  const ports: StackPorts = { imap, lmtp, smtp, caldav };
  const users = opts.users.map((u) => ({ address: u.address.toLowerCase(), password: u.password }));
  const certificate = opts.startTls ? makeSelfSignedCertificate(root) : undefined;

  const sentCopies = opts.sentCopies ?? [];
  const dovecotPaths = writeDovecotConfig({ root, users, imapPort: imap, lmtpPort: lmtp, ...(sentCopies.length > 0 ? { detailFolders: true } : {}) });
  const postfixPaths = writePostfixConfig({
    root,
    domain: opts.domain.toLowerCase(),
    smtpPort: smtp,
    lmtpPort: lmtp,
    authSocket: dovecotPaths.authSocket,
    ...(certificate ? { certificate } : {}),
    ...(sentCopies.length > 0 ? { sentCopies } : {}),
  });
  const radicalePaths = writeRadicaleConfig({ root, port: caldav, users });

  const dovecot = new DovecotServer(dovecotPaths, imap, lmtp);
  const postfix = new PostfixServer(postfixPaths, smtp);
  const radicale = new RadicaleServer(radicalePaths, caldav);

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await Promise.all([postfix.stop(), radicale.stop()]);
    await dovecot.stop();
    rmSync(root, { recursive: true, force: true });
  };

  try {
    await dovecot.start();
    await Promise.all([postfix.start(), radicale.start()]);
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    host: '127.0.0.1',
    domain: opts.domain.toLowerCase(),
    users,
    root,
    ports,
    caldavUrl: radicale.url,
    ...(certificate ? { certificatePem: certificate.pem } : {}),
    startDovecot: () => dovecot.start(),
    stopDovecot: () => dovecot.stop(),
    startRadicale: () => radicale.start(),
    stopRadicale: () => radicale.stop(),
    logs: () => ({
      dovecot: tail(dovecotPaths.log, 200),
      postfix: tail(postfixPaths.log, 200),
      radicale: tail(radicalePaths.output, 200),
    }),
    stop,
  };
}

/**
 * Starts the three servers and waits until each answers. A port taken by someone else
 * between choosing and binding it is retried with fresh ports.
 */
export async function startStack(opts: StackOptions): Promise<TestStack> {
  checkPrerequisites();
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(opts);
    } catch (err) {
      lastError = err;
      if (!isPortClash(err)) throw err;
    }
  }
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}
