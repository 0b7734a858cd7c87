/**
 * Sends Wardwatch's mail over SMTP submission (AUTH; implicit TLS, or STARTTLS — required whenever
 * a password is sent, unless `plainLocal` allows a plain login to this machine), keeps a copy in the service mailbox's Sent folder over IMAP, and answers
 * `alreadySent` by looking for the Message-ID there.
 */
import nodemailer, { type SMTPSentMessageInfo, type SMTPTransportOptions, type Transporter } from 'nodemailer';
import type { ImapFlow } from 'imapflow';
import { isLoginRefused, isPermanentSmtpError, isTlsRefused, loginRefusedAgain } from '../../src/actions/smtp-sender.js';
import { PermanentEffectError } from '../../src/outbox/outbox.js';
import type { MailSender, OutgoingMessage } from '../../src/sources/types.js';
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
    let rejected: string[] = [];
    try {
      const info = await this.transport.sendMail({ envelope: { from: message.from.address, to: recipients }, raw });
      rejected = info.rejected;
    } catch (err) {
      const reason = `Could not send "${message.subject}": ${describeSmtpError(err, this.serverLabel, this.smtp.auth?.user)}.`;
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
    if (this.smtp.saveToSent && this.sentMailbox) {
      try {
        await this.saveCopy(raw);
      } catch (err) {
        // The message went out; a missing copy only weakens the duplicate check after a crash.
        this.logger.warn({ messageId: message.messageId, error: errorText(err) }, 'The sent message could not be saved in the Sent folder');
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

  private async saveCopy(raw: Buffer): Promise<void> {
    await this.withSentFolder(async (client, path) => {
      await client.append(path, raw, ['\\Seen'], this.now());
    });
  }

  /** True when the service mailbox's Sent folder holds a message with this Message-ID. */
  async alreadySent(messageId: string): Promise<boolean> {
    if (!this.sentMailbox) return false;
    return this.withSentFolder(async (client, path) => {
      await client.mailboxOpen(path, { readOnly: true });
      const found = await client.search({ header: { 'message-id': messageId } }, { uid: true });
      return Array.isArray(found) && found.length > 0;
    });
  }

  async close(): Promise<void> {
    this.transport.close();
  }
}
