/**
 * The one SMTP sender, for `sender.kind: smtp` and for the IMAP/SMTP connector: hands each
 * message, composed once by the shared MIME composer, to the council's mail server with
 * nodemailer. Passwords are read from the environment when the sender is made and are never
 * logged or put in an error message.
 *
 * A mail server cannot be asked whether it already took a message. Where a record can answer
 * (the connector's IMAP Sent folder, a `SentRecord`), the send is written there before and after;
 * where nothing can, `alreadySent` is absent and the outbox holds a message caught mid-send in
 * doubt. A send is caught mid-send both after a crash and when, in a running process, the
 * connection drops or times out once the whole message has been handed over and before the
 * server has answered: the server may have taken it, so it is never simply tried again
 * (`SendInDoubtError`, or recognised in the Sent record).
 *
 * A refusal that trying again cannot cure (5xx for a recipient or the message) is permanent;
 * anything else (connection lost before the message was handed over, timeouts, 4xx) is
 * transient and the outbox backs off.
 *
 * The password goes only over TLS: implicit TLS (`secure: true`) or STARTTLS, which is then
 * required; only a server on this machine may be spoken to in plain text, and only when the
 * config says so (`plainLocal: true`). A refused login (535) makes the sender unhealthy: it
 * reports why (`problem`, for /healthz, /metrics and the digest), the service holds the outbox
 * (`readiness`) so no queued message is tried, and the login is tried again once at start and
 * then once every 15 minutes until it works — not once per message, which is how mail accounts
 * get locked.
 */
import { errorMessage } from '../model/error-message.js';
import { PassThrough } from 'node:stream';
import nodemailer, { type SMTPSentMessageInfo, type SMTPTransportOptions, type Transporter } from 'nodemailer';
import type { SenderConfig } from '../config/schema.js';
import { resolveSecret, type Environment } from '../config/secrets.js';
import { composeMessage, envelopeRecipients } from '../mime/compose.js';
import { PermanentEffectError, SendInDoubtError } from '../outbox/outbox.js';
import type { MailSender, OutgoingMessage, SenderProblem, SentAnswer } from '../sources/types.js';
import { isLoopbackHost } from './loopback.js';

export type SmtpSenderConfig = Extract<SenderConfig, { kind: 'smtp' }>;

/** Where and how to reach the mail server (already checked and with secrets resolved). */
export interface SmtpServerSettings {
  host: string;
  port: number;
  secure: boolean;
  requireTLS: boolean;
  auth?: { user: string; password: string };
  tls?: { rejectUnauthorized: boolean; ca?: string | Buffer | (string | Buffer)[] };
  /** Socket timeouts in milliseconds. */
  timeouts: { connectionMs: number; greetingMs: number; socketMs: number };
  /** Where these settings are in the config file ("sender", "connectors.imap.smtp"), to name them in messages. */
  configPath: string;
}

/**
 * A record of sends that can later say whether a message went (the service mailbox's Sent folder):
 * written before the message is handed over and after the server's answer.
 */
export interface SentRecord {
  /** Before the message is handed over: the send begins. */
  beginning(messageId: string, raw: Buffer): Promise<void>;
  /** The server took it. */
  taken(messageId: string): Promise<void>;
  /** The server said no (or was never reached): it did not go. */
  notTaken(messageId: string): Promise<void>;
  alreadySent(messageId: string): Promise<SentAnswer>;
  earlierSending(): Promise<string | undefined>;
}

type LogFields = Record<string, unknown>;

export interface SenderLogger {
  info(fields: LogFields, message?: string): void;
  warn(fields: LogFields, message?: string): void;
  error(fields: LogFields, message?: string): void;
}

export interface SmtpSenderOptions {
  /** The sender's name in logs and /healthz (default "smtp"). */
  name?: string;
  record?: SentRecord;
  logger?: SenderLogger;
  now?: () => Date;
  /** Why a send failed, in words for the Clerk (default: the server's first line of reply, or the error). */
  describe?: (err: unknown) => string;
  /** Between tries of a refused login (default 15 minutes). */
  reprobeMs?: number;
}

/** Between tries of a login the server refused: few enough that no lock-out policy counts them up. */
export const LOGIN_REPROBE_MS = 15 * 60_000;

function fieldOf(err: unknown, field: string): unknown {
  if (typeof err === 'object' && err !== null && field in err) return (err as Record<string, unknown>)[field];
  return undefined;
}

/** The server's first line of reply, or the error's message. */
export function describeRefusal(err: unknown): string {
  const response = fieldOf(err, 'response');
  const message = errorMessage(err);
  return typeof response === 'string' && response !== '' ? (response.split(/\r?\n/)[0] ?? message) : message;
}

/** True when the server refused the login itself (wrong user name or password, or no such mechanism). */
export function isLoginRefused(err: unknown): boolean {
  const code = fieldOf(err, 'code');
  return code === 'EAUTH' || code === 'ENOAUTH';
}

/** True when the server would not start TLS (it does not offer STARTTLS, or refused it). */
export function isTlsRefused(err: unknown): boolean {
  return fieldOf(err, 'code') === 'ETLS' && fieldOf(err, 'command') === 'STARTTLS' && typeof fieldOf(err, 'response') === 'string';
}

/** Permanent when the server refused for good (5xx) what this message asks: a recipient, the sender or the content. */
export function isPermanentSmtpError(err: unknown): boolean {
  const code = fieldOf(err, 'code');
  const responseCode = fieldOf(err, 'responseCode');
  if (code === 'EAUTH' || code === 'ENOAUTH' || code === 'ECONNECTION' || code === 'ETIMEDOUT' || code === 'ESOCKET' || code === 'EDNS' || code === 'ETLS') return false;
  if (typeof responseCode === 'number') return responseCode >= 500 && responseCode < 600 && (code === 'EENVELOPE' || code === 'EMESSAGE');
  return code === 'EENVELOPE';
}

/** The server answered (a reply code): whatever it said, it said it, so the outcome is known. */
function serverAnswered(err: unknown): boolean {
  return typeof fieldOf(err, 'responseCode') === 'number';
}

interface RefusedLogin {
  reason: string;
  since: string;
  nextTryAt: number;
}

export class SmtpSender implements MailSender {
  readonly name: string;
  /** Present only with a Sent record: without one nothing can tell whether a message went. */
  readonly alreadySent?: (messageId: string) => Promise<SentAnswer>;
  protected readonly record: SentRecord | undefined;
  private readonly transport: Transporter<SMTPSentMessageInfo, SMTPTransportOptions>;
  private readonly server: string;
  private readonly logger: SenderLogger | undefined;
  private readonly now: () => Date;
  private readonly describe: (err: unknown) => string;
  /** The describer gives a whole explanation (the connector's), not just the server's words. */
  private readonly explains: boolean;
  private readonly reprobeMs: number;
  private refused: RefusedLogin | undefined;
  private probed = false;

  constructor(
    private readonly settings: SmtpServerSettings,
    options: SmtpSenderOptions = {},
  ) {
    this.name = options.name ?? 'smtp';
    this.record = options.record;
    this.logger = options.logger;
    this.now = options.now ?? (() => new Date());
    this.describe = options.describe ?? describeRefusal;
    this.explains = options.describe !== undefined;
    this.reprobeMs = options.reprobeMs ?? LOGIN_REPROBE_MS;
    this.server = `${settings.host}:${settings.port}`;
    const record = this.record;
    if (record) this.alreadySent = (messageId) => record.alreadySent(messageId);
    this.transport = nodemailer.createTransport({
      host: settings.host,
      port: settings.port,
      secure: settings.secure,
      requireTLS: settings.requireTLS,
      ...(settings.auth ? { auth: { user: settings.auth.user, pass: settings.auth.password } } : {}),
      ...(settings.tls ? { tls: { rejectUnauthorized: settings.tls.rejectUnauthorized, ...(settings.tls.ca ? { ca: settings.tls.ca } : {}) } } : {}),
      connectionTimeout: settings.timeouts.connectionMs,
      greetingTimeout: settings.timeouts.greetingMs,
      socketTimeout: settings.timeouts.socketMs,
      disableFileAccess: true,
      disableUrlAccess: true,
    });
  }

  /** True when `alreadySent` can really look (a Sent record is kept). */
  get checksSent(): boolean {
    return this.record !== undefined;
  }

  /** Why the sender cannot send (the server refused its login), for /healthz, /metrics and the digest. */
  problem(): SenderProblem | undefined {
    return this.refused ? { reason: this.refused.reason, since: this.refused.since } : undefined;
  }

  /**
   * Whether queued messages may be tried now: undefined when they may, otherwise why not. Logs in
   * once at the first call and, while the login is refused, once every `reprobeMs`.
   */
  async readiness(): Promise<string | undefined> {
    const due = !this.probed || (this.refused !== undefined && this.now().getTime() >= this.refused.nextTryAt);
    if (due) {
      this.probed = true;
      await this.probe();
    }
    return this.refused?.reason;
  }

  private async probe(): Promise<void> {
    try {
      await this.transport.verify();
      if (this.refused) this.logger?.info({ server: this.server }, 'The mail server accepts the SMTP login again; sending resumes');
      this.refused = undefined;
    } catch (err) {
      // Only a refused login stops sending: a server out of reach says nothing about the password.
      if (isLoginRefused(err)) this.loginRefused(err);
      else this.logger?.warn({ server: this.server, error: this.describe(err) }, 'The mail server could not be reached to check the SMTP login');
    }
  }

  private loginRefused(err: unknown): void {
    const user = this.settings.auth?.user;
    const path = this.settings.configPath;
    const now = this.now();
    const minutes = Math.round(this.reprobeMs / 60_000);
    const reason =
      `the mail server ${this.server} refused Wardwatch's SMTP login${user ? ` as ${user}` : ''} (${describeRefusal(err)}), so no mail is being sent. ` +
      `Please check ${path}.user and the password in the environment variable that ${path}.password names, and that the account is not locked and allows SMTP logins; after changing the password, restart Wardwatch. ` +
      `Meanwhile it tries the login once every ${minutes} minutes (not once per message, so that the account is not locked) and keeps every waiting message, to send once the login works.`;
    if (!this.refused) this.logger?.error({ server: this.server }, 'The mail server refused the SMTP login; sending is held until it accepts it');
    this.refused = { reason, since: this.refused?.since ?? now.toISOString(), nextTryAt: now.getTime() + this.reprobeMs };
  }

  async send(message: OutgoingMessage): Promise<void> {
    const raw = await composeMessage(message, { date: this.now() });
    const recipients = envelopeRecipients(message);
    if (this.refused !== undefined) throw new Error(`Not sent: ${this.refused.reason}`);
    // The record that a send began: without it, a cut-off send could not be told from "never sent".
    await this.record?.beginning(message.messageId, raw);
    // Once the whole message has been read into the connection, only the server's answer can say whether it went.
    let handedOver = false;
    const body = new PassThrough();
    body.on('end', () => {
      handedOver = true;
    });
    body.end(raw);
    let rejected: string[] = [];
    try {
      const info = await this.transport.sendMail({ envelope: { from: message.from.address, to: recipients }, raw: body });
      rejected = info.rejected.map(String);
    } catch (err) {
      if (handedOver && !serverAnswered(err)) {
        await this.cutOff(message, err);
        return;
      }
      // The server answered no, or was never given the message: it did not go.
      await this.record?.notTaken(message.messageId).catch((cleanup: unknown) =>
        this.logger?.warn({ messageId: message.messageId, error: errorMessage(cleanup) }, 'The Sent record of a message that did not go could not be cleared'),
      );
      throw this.failure(err, message);
    }
    if (rejected.length > 0) this.logger?.warn({ messageId: message.messageId, rejected }, 'The mail server refused some recipients');
    this.logger?.info({ messageId: message.messageId, to: recipients.length }, 'Message sent');
    try {
      await this.record?.taken(message.messageId);
    } catch (err) {
      // The message went out; a record still saying "being sent" only makes a crash now look like one in doubt.
      this.logger?.warn({ messageId: message.messageId, error: errorMessage(err) }, 'The Sent record could not be marked as sent');
    }
  }

  /**
   * The connection ended after the message was handed over and before the server answered: it
   * may have gone. The Sent record is asked, as after a crash; where it cannot tell, the send is
   * in doubt and must not simply be tried again.
   */
  private async cutOff(message: OutgoingMessage, err: unknown): Promise<void> {
    const why = this.describe(err);
    this.logger?.warn({ messageId: message.messageId, error: why }, 'The connection to the mail server ended after the message was handed over, before its answer');
    let answer: SentAnswer = 'unknown';
    if (this.record) {
      try {
        answer = await this.record.alreadySent(message.messageId);
      } catch (lookup) {
        this.logger?.warn({ messageId: message.messageId, error: errorMessage(lookup) }, 'The Sent record could not be read after a cut-off send');
      }
    }
    if (answer === true) {
      this.logger?.info({ messageId: message.messageId }, 'The cut-off message is in the Sent folder: it went');
      await this.record?.taken(message.messageId).catch((settle: unknown) =>
        this.logger?.warn({ messageId: message.messageId, error: errorMessage(settle) }, 'The Sent record could not be marked as sent'),
      );
      return;
    }
    if (answer === false) {
      throw new Error(`The connection to the mail server ${this.server} ended before it took "${message.subject}" (${why}); the Sent folder shows it did not go, so it will be tried again.`);
    }
    throw new SendInDoubtError(
      `The connection to the mail server ${this.server} ended after "${message.subject}" (Message-ID ${message.messageId}) was handed over and before the server answered (${why}), so it may or may not have gone.`,
    );
  }

  private failure(err: unknown, message: OutgoingMessage): Error {
    const reason = this.describe(err);
    if (isLoginRefused(err)) {
      this.probed = true;
      this.loginRefused(err);
      // Not the message's fault: it waits, with the others, until the login works.
      return new Error(`Not sent: ${this.refused?.reason ?? reason}`);
    }
    if (this.explains) {
      const said = `Could not send "${message.subject}": ${reason}.`;
      return isPermanentSmtpError(err) ? new PermanentEffectError(said) : new Error(said, { cause: err });
    }
    if (isTlsRefused(err)) {
      return new Error(
        `The mail server ${this.server} did not start TLS (${reason}), so Wardwatch did not send it the password in plain text. Use the server's TLS port (secure: true, usually 465) or a port that offers STARTTLS (usually 587); only for a server on this machine may ${this.settings.configPath}.plainLocal: true allow a plain login. It will be tried again.`,
      );
    }
    if (isPermanentSmtpError(err)) return new PermanentEffectError(`The mail server ${this.server} refused the message for good: ${reason}`);
    return new Error(`The mail server ${this.server} could not take the message just now (${reason}); it will be tried again.`);
  }

  async earlierSending(): Promise<string | undefined> {
    return this.record?.earlierSending();
  }

  async close(): Promise<void> {
    this.transport.close();
  }
}

export interface SmtpConfigOptions {
  /** Where `${VAR}` secrets are read from (default: process.env). */
  env?: Environment;
  /** Socket timeouts in milliseconds (default 60 s). */
  timeoutMs?: number;
  logger?: SenderLogger;
  now?: () => Date;
}

/** The SMTP sender for `sender.kind: smtp`, after checking that the password can only go over TLS. */
export function smtpSenderFromConfig(config: SmtpSenderConfig, options: SmtpConfigOptions = {}): SmtpSender {
  const timeout = options.timeoutMs ?? 60_000;
  if (config.password !== undefined && config.user === undefined) {
    throw new Error('sender.password is set but sender.user is not: please give the SMTP user name as sender.user.');
  }
  if (config.user !== undefined && config.password === undefined) {
    throw new Error('sender.user is set but sender.password is not: please name the environment variable holding the SMTP password, e.g. password: ${WARDWATCH_SMTP_PASSWORD}.');
  }
  const auth =
    config.user !== undefined && config.password !== undefined
      ? { user: config.user, password: resolveSecret(config.password, options.env, 'sender.password') }
      : undefined;
  if (config.plainLocal && !isLoopbackHost(config.host)) {
    throw new Error(
      `sender.plainLocal is only for a mail server on this machine (127.0.0.1, ::1 or localhost), not ${config.host}: the password would cross the network unencrypted. Remove plainLocal and use the server's TLS port (secure: true) or STARTTLS.`,
    );
  }
  return new SmtpSender(
    {
      host: config.host,
      port: config.port,
      secure: config.secure,
      // With a password to send, STARTTLS is required: nodemailer would otherwise log in in plain
      // text to a server that does not offer it.
      requireTLS: !config.secure && auth !== undefined && !config.plainLocal,
      ...(auth ? { auth } : {}),
      timeouts: { connectionMs: timeout, greetingMs: timeout, socketMs: timeout },
      configPath: 'sender',
    },
    { name: 'smtp', ...(options.logger ? { logger: options.logger } : {}), ...(options.now ? { now: options.now } : {}) },
  );
}
