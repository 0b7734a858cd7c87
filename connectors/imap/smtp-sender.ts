/**
 * Sends Wardwatch's mail over SMTP submission (AUTH; implicit TLS, or STARTTLS — required whenever
 * a password is sent, unless `plainLocal` allows a plain login to this machine), keeps a copy in the service mailbox's Sent folder over IMAP, and answers
 * `alreadySent` by looking for the Message-ID there.
 *
 * SMTP cannot be asked whether a message went, so the Sent folder keeps the record, in two steps:
 * before the message is handed over, its copy is appended marked `$WardwatchSending`; once the
 * server has taken it, the mark is removed (or, when the server files its own copy —
 * `saveToSent: false` — our marked copy is deleted). After a crash, the Sent folder says:
 *   - an unmarked copy (ours or the server's): it went;
 *   - nothing: the send never started, so it did not go;
 *   - only the marked copy: the send was cut off. If the server files its own copies, its copy is
 *     awaited for `sentCopyWaitSeconds`: it comes if the server took the message, and when it does
 *     not, the message did not go. Otherwise nobody can tell: `'unknown'`, held in doubt.
 */
import nodemailer, { type SMTPSentMessageInfo, type SMTPTransportOptions, type Transporter } from 'nodemailer';
import type { ImapFlow } from 'imapflow';
import { isLoginRefused, isPermanentSmtpError, isTlsRefused, loginRefusedAgain } from '../../src/actions/smtp-sender.js';
import { PermanentEffectError } from '../../src/outbox/outbox.js';
import type { MailSender, OutgoingMessage, SentAnswer } from '../../src/sources/types.js';
import type { Credentials, ImapServerSettings, SmtpSettings } from './config.js';
import { composeMessage, envelopeRecipients } from './compose.js';
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
    return `the mail server ${server} refused the SMTP login${user ? ` for ${user}` : ''}${said}; check connectors.imap.smtp.user and the password in its environment variable, then restart Wardwatch: it will not try this login again until then, so that the account is not locked`;
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

export class SmtpSender implements MailSender {
  readonly name = 'imap-smtp';
  private readonly transport: Transporter<SMTPSentMessageInfo, SMTPTransportOptions>;
  private readonly smtp: SmtpSettings;
  private readonly sentMailbox: SentMailboxAccess | undefined;
  private readonly logger: ConnectorLogger;
  private readonly now: () => Date;
  /** Why the server refused the login, once it has: no further login is attempted. */
  private loginRefused: string | undefined;

  constructor(opts: SmtpSenderOptions) {
    this.smtp = opts.smtp;
    this.sentMailbox = opts.sentMailbox;
    this.logger = opts.logger ?? silentLogger;
    this.now = opts.now ?? (() => new Date());
    this.transport = nodemailer.createTransport({
      host: opts.smtp.host,
      port: opts.smtp.port,
      secure: opts.smtp.secure,
      requireTLS: opts.smtp.requireTLS,
      ...(opts.smtp.auth ? { auth: { user: opts.smtp.auth.user, pass: opts.smtp.auth.password } } : {}),
      tls: { rejectUnauthorized: opts.smtp.tls.rejectUnauthorized, ...(opts.smtp.tls.ca ? { ca: opts.smtp.tls.ca } : {}) },
      connectionTimeout: 30_000,
      greetingTimeout: 30_000,
      socketTimeout: 120_000,
    });
  }

  /** True when `alreadySent` can really look (IMAP access to the service mailbox is configured). */
  get checksSent(): boolean {
    return this.sentMailbox !== undefined;
  }

  private get serverLabel(): string {
    return `${this.smtp.host}:${this.smtp.port}`;
  }

  async send(message: OutgoingMessage): Promise<void> {
    const raw = await composeMessage(message, this.now());
    const recipients = envelopeRecipients(message);
    if (recipients.length === 0) throw new ConnectorError(`The message ${message.messageId} has no recipients.`);
    if (this.loginRefused !== undefined) throw new ConnectorError(loginRefusedAgain(this.serverLabel, this.loginRefused));
    // The marked copy is the record that a send began: without it, a crash could not be told apart from "never sent".
    if (this.sentMailbox) await this.saveMarkedCopy(message.messageId, raw);
    let rejected: string[] = [];
    try {
      const info = await this.transport.sendMail({ envelope: { from: message.from.address, to: recipients }, raw });
      rejected = info.rejected;
    } catch (err) {
      const reason = `Could not send "${message.subject}": ${describeSmtpError(err, this.serverLabel, this.smtp.auth?.user)}.`;
      // The send failed and said so: it did not go, and the marked copy must not suggest otherwise.
      if (this.sentMailbox) {
        await this.removeMarkedCopies(message.messageId).catch((cleanup: unknown) =>
          this.logger.warn({ messageId: message.messageId, error: errorText(cleanup) }, 'The marked Sent copy of a failed message could not be removed'),
        );
      }
      if (isLoginRefused(err)) {
        this.loginRefused = describeSmtpError(err, this.serverLabel, this.smtp.auth?.user);
        this.logger.error({ server: this.serverLabel }, 'The mail server refused the SMTP login; no further login is attempted until Wardwatch restarts');
        throw new PermanentEffectError(reason);
      }
      // A 5xx refusal of a recipient or of the message will not change: the outbox should not retry it.
      if (isPermanentSmtpError(err)) throw new PermanentEffectError(reason);
      throw new ConnectorError(reason, { cause: err });
    }
    if (rejected.length > 0) {
      this.logger.warn({ messageId: message.messageId, rejected }, 'The mail server refused some recipients');
    }
    this.logger.info({ messageId: message.messageId, to: recipients.length }, 'Message sent');
    if (this.sentMailbox) {
      try {
        await this.settleMarkedCopy(message.messageId);
      } catch (err) {
        // The message went out; a copy still marked only makes a crash now look like one in doubt.
        this.logger.warn({ messageId: message.messageId, error: errorText(err) }, 'The Sent copy could not be marked as sent');
      }
    }
  }

  private async withSentFolder<T>(work: (client: ImapFlow, path: string) => Promise<T>): Promise<T> {
    const access = this.sentMailbox;
    if (!access) throw new ConnectorError('No service mailbox is configured for the Sent folder.');
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
  private async saveMarkedCopy(messageId: string, raw: Buffer): Promise<void> {
    await this.withSentFolder(async (client, path) => {
      await client.mailboxOpen(path);
      const { marked } = await this.copies(client, messageId);
      if (marked.length > 0) await client.messageDelete(marked.join(','), { uid: true });
      await client.append(path, raw, ['\\Seen', SENDING_KEYWORD], this.now());
    });
  }

  /** After the server took the message: unmark our copy, or delete it when the server files its own. */
  private async settleMarkedCopy(messageId: string): Promise<void> {
    await this.withSentFolder(async (client, path) => {
      await client.mailboxOpen(path);
      const { marked } = await this.copies(client, messageId);
      if (marked.length === 0) return;
      if (this.smtp.saveToSent) await client.messageFlagsRemove(marked.join(','), [SENDING_KEYWORD], { uid: true });
      else await client.messageDelete(marked.join(','), { uid: true });
    });
  }

  private async removeMarkedCopies(messageId: string): Promise<void> {
    await this.withSentFolder(async (client, path) => {
      await client.mailboxOpen(path);
      const { marked } = await this.copies(client, messageId);
      if (marked.length > 0) await client.messageDelete(marked.join(','), { uid: true });
    });
  }

  /**
   * Whether a message with this Message-ID went out, from the Sent folder (see the top of this
   * file). Without IMAP access to the service mailbox nothing can tell: always `'unknown'`.
   */
  async alreadySent(messageId: string): Promise<SentAnswer> {
    if (!this.sentMailbox) return 'unknown';
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
    const access = this.sentMailbox;
    if (!access) return undefined;
    const count = await this.withSentFolder(async (client, path) => {
      await client.mailboxOpen(path, { readOnly: true });
      const found = await client.search({ header: { 'x-wardwatch-key': '' } }, { uid: true });
      return Array.isArray(found) ? found.length : 0;
    });
    return count > 0 ? `the Sent folder of ${access.address} holds ${count} message${count === 1 ? '' : 's'} Wardwatch has already sent` : undefined;
  }

  async close(): Promise<void> {
    this.transport.close();
  }
}
