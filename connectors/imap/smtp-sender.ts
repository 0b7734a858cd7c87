/**
 * The IMAP/SMTP connector's sender: the one SMTP sender (src/actions/smtp-sender.ts) with the
 * service mailbox's Sent folder, over IMAP, as its record of what went.
 *
 * SMTP cannot be asked whether a message went, so the Sent folder keeps the record, in two steps:
 * before the message is handed over, its copy is appended marked `$WardwatchSending`; once the
 * server has taken it, the mark is removed (or, when the server files its own copy —
 * `saveToSent: false` — our marked copy is deleted). After a crash, or a connection that ended
 * after the message was handed over and before the server's answer, the Sent folder says:
 *   - an unmarked copy (ours or the server's): it went;
 *   - nothing: the send never started, so it did not go;
 *   - only the marked copy: the send was cut off. If the server files its own copies, its copy is
 *     awaited for `sentCopyWaitSeconds`: it comes if the server took the message, and when it does
 *     not, the message did not go. Otherwise nobody can tell: `'unknown'`, held in doubt.
 */
import type { ImapFlow } from 'imapflow';
import { isTlsRefused, SmtpSender as SharedSmtpSender, type SentRecord } from '../../src/actions/smtp-sender.js';
import type { SentAnswer } from '../../src/sources/types.js';
import type { Credentials, ImapServerSettings, SmtpSettings } from './config.js';
import { ConnectorError, describeImapError, describeTlsError, networkReason } from './errors.js';
import { closeImap, connectImap, resolveFolder, serverLabel } from './imap-session.js';
import { errorText, silentLogger, type ConnectorLogger } from './logger.js';

export interface SentMailboxAccess {
  server: ImapServerSettings;
  credentials: Credentials;
  /** The service mailbox's address (for messages). */
  address: string;
  /** The Sent folder's name when the server does not mark it with SPECIAL-USE. */
  sentFolder?: string;
}

export interface SmtpSenderOptions {
  smtp: SmtpSettings;
  /** IMAP access to the service mailbox, for Sent copies and `alreadySent`. */
  sentMailbox?: SentMailboxAccess;
  logger?: ConnectorLogger;
  now?: () => Date;
  /** Between tries of a refused SMTP login (default 15 minutes). */
  reprobeMs?: number;
}

/** The IMAP keyword on a Sent copy whose message was being handed to the SMTP server. */
export const SENDING_KEYWORD = '$WardwatchSending';

const POLL_MS = 500;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function field(err: unknown, name: string): unknown {
  return typeof err === 'object' && err !== null ? (err as Record<string, unknown>)[name] : undefined;
}

/** Why SMTP sending failed, for the Clerk. */
export function describeSmtpError(err: unknown, server: string, user: string | undefined): string {
  const code = field(err, 'code');
  const response = field(err, 'response');
  const said = typeof response === 'string' && response.length > 0 ? ` (the server said: ${response})` : '';
  const message = errorText(err);
  if (code === 'EAUTH' || code === 'ENOAUTH') {
    return `the mail server ${server} refused the SMTP login${user ? ` for ${user}` : ''}${said}; check connectors.imap.smtp.user and the password in its environment variable`;
  }
  if (isTlsRefused(err)) {
    return `the mail server ${server} did not start TLS${said}, so Wardwatch did not send it the password in plain text; use its TLS port (secure: true, usually 465) or a port that offers STARTTLS (usually 587); only for a server on this machine may connectors.imap.smtp.plainLocal: true allow a plain login`;
  }
  const tls = describeTlsError(err, server, 'connectors.imap.smtp');
  if (tls) return tls;
  if (code === 'ETLS' || /certificate|self[- ]signed|ssl routines|tls/i.test(message)) {
    return `a secure connection (STARTTLS) to the mail server ${server} could not be made: ${message}`;
  }
  if (code === 'EENVELOPE') return `the mail server ${server} refused the sender or every recipient${said}`;
  if (code === 'EMESSAGE') return `the mail server ${server} refused the message${said}`;
  const net = networkReason(err);
  if (net) return `could not talk to the mail server ${server}: ${net}`;
  return `could not talk to the mail server ${server}: ${message}`;
}

/** The service mailbox's Sent folder as the record of what went (see the top of this file). */
export class ImapSentRecord implements SentRecord {
  constructor(
    private readonly access: SentMailboxAccess,
    private readonly smtp: Pick<SmtpSettings, 'saveToSent' | 'sentCopyWaitMs'>,
    private readonly logger: ConnectorLogger,
    private readonly now: () => Date,
  ) {}

  private async withSentFolder<T>(work: (client: ImapFlow, path: string) => Promise<T>): Promise<T> {
    const access = this.access;
    const client = await connectImap(access.server, access.credentials, access.address, this.logger);
    try {
      const folder = await resolveFolder(client, 'sent', access.address, access.sentFolder);
      return await work(client, folder.path);
    } catch (err) {
      if (err instanceof ConnectorError) throw err;
      throw new ConnectorError(`Could not use the Sent folder of ${access.address}: ${describeImapError(err, serverLabel(access.server), access.address)}.`, { cause: err });
    } finally {
      await closeImap(client);
    }
  }

  /** Copies of the Message-ID in the Sent folder (the folder must be open): UIDs, marked or not. */
  private async copies(client: ImapFlow, messageId: string): Promise<{ marked: number[]; unmarked: number[] }> {
    const found = await client.search({ header: { 'message-id': messageId } }, { uid: true });
    const result = { marked: [] as number[], unmarked: [] as number[] };
    if (!Array.isArray(found) || found.length === 0) return result;
    for (const m of await client.fetchAll(found.join(','), { uid: true, flags: true, envelope: true }, { uid: true })) {
      // IMAP SEARCH HEADER matches substrings: only the exact Message-ID counts.
      if (m.envelope?.messageId !== undefined && m.envelope.messageId !== messageId) continue;
      (m.flags?.has(SENDING_KEYWORD) ? result.marked : result.unmarked).push(m.uid);
    }
    return result;
  }

  /** Append the copy marked "being sent", after removing marked copies an earlier, cut-off attempt left. */
  async beginning(messageId: string, raw: Buffer): Promise<void> {
    await this.withSentFolder(async (client, path) => {
      await client.mailboxOpen(path);
      const { marked } = await this.copies(client, messageId);
      if (marked.length > 0) await client.messageDelete(marked.join(','), { uid: true });
      await client.append(path, raw, ['\\Seen', SENDING_KEYWORD], this.now());
    });
  }

  /** After the server took the message: unmark our copy, or delete it when the server files its own. */
  async taken(messageId: string): Promise<void> {
    await this.withSentFolder(async (client, path) => {
      await client.mailboxOpen(path);
      const { marked } = await this.copies(client, messageId);
      if (marked.length === 0) return;
      if (this.smtp.saveToSent) await client.messageFlagsRemove(marked.join(','), [SENDING_KEYWORD], { uid: true });
      else await client.messageDelete(marked.join(','), { uid: true });
    });
  }

  async notTaken(messageId: string): Promise<void> {
    await this.withSentFolder(async (client, path) => {
      await client.mailboxOpen(path);
      const { marked } = await this.copies(client, messageId);
      if (marked.length > 0) await client.messageDelete(marked.join(','), { uid: true });
    });
  }

  /**
   * Whether a message with this Message-ID went out, from the Sent folder (see the top of this file).
   */
  async alreadySent(messageId: string): Promise<SentAnswer> {
    const deadline = Date.now() + (this.smtp.saveToSent ? 0 : this.smtp.sentCopyWaitMs);
    for (;;) {
      const { marked, unmarked } = await this.withSentFolder(async (client, path) => {
        await client.mailboxOpen(path, { readOnly: true });
        return this.copies(client, messageId);
      });
      if (unmarked.length > 0) return true;
      if (marked.length === 0) return false;
      if (this.smtp.saveToSent) return 'unknown';
      // The server files its own copy of what it takes: wait for it a while.
      if (Date.now() >= deadline) return false;
      await sleep(POLL_MS);
    }
  }

  /** Whether the Sent folder holds messages Wardwatch sent (they carry an X-Wardwatch-Key header). */
  async earlierSending(): Promise<string | undefined> {
    const access = this.access;
    const count = await this.withSentFolder(async (client, path) => {
      await client.mailboxOpen(path, { readOnly: true });
      const found = await client.search({ header: { 'x-wardwatch-key': '' } }, { uid: true });
      return Array.isArray(found) ? found.length : 0;
    });
    return count > 0 ? `the Sent folder of ${access.address} holds ${count} message${count === 1 ? '' : 's'} Wardwatch has already sent` : undefined;
  }
}

/** The connector's SMTP sender: the shared one, with the Sent folder as its record when the service mailbox is reachable. */
export class SmtpSender extends SharedSmtpSender {
  override readonly alreadySent: (messageId: string) => Promise<SentAnswer>;

  constructor(opts: SmtpSenderOptions) {
    const logger = opts.logger ?? silentLogger;
    const now = opts.now ?? ((): Date => new Date());
    const server = `${opts.smtp.host}:${opts.smtp.port}`;
    const record = opts.sentMailbox ? new ImapSentRecord(opts.sentMailbox, opts.smtp, logger, now) : undefined;
    super(
      {
        host: opts.smtp.host,
        port: opts.smtp.port,
        secure: opts.smtp.secure,
        requireTLS: opts.smtp.requireTLS,
        ...(opts.smtp.auth ? { auth: { user: opts.smtp.auth.user, password: opts.smtp.auth.password } } : {}),
        tls: { rejectUnauthorized: opts.smtp.tls.rejectUnauthorized, ...(opts.smtp.tls.ca ? { ca: opts.smtp.tls.ca } : {}) },
        timeouts: { connectionMs: 30_000, greetingMs: 30_000, socketMs: 120_000 },
        configPath: 'connectors.imap.smtp',
      },
      {
        name: 'imap-smtp',
        logger,
        now,
        describe: (err) => describeSmtpError(err, server, opts.smtp.auth?.user),
        ...(opts.reprobeMs !== undefined ? { reprobeMs: opts.reprobeMs } : {}),
        ...(record ? { record } : {}),
      },
    );
    // Without the Sent folder nothing can tell whether a message went.
    this.alreadySent = record ? (messageId) => record.alreadySent(messageId) : async () => 'unknown';
  }
}
