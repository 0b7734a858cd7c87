/**
 * The SMTP sender (`sender.kind: smtp`): hands each message to the council's mail server with
 * nodemailer. The password is read from the environment variable the config names, when the
 * sender is created, and is never logged or put in an error message.
 *
 * A mail server cannot say whether it already accepted a message, so this sender offers no
 * `alreadySent`: after a crash in the middle of a send the outbox tries the message again.
 * A refusal that trying again cannot cure (5xx for a recipient or the message) is permanent;
 * anything else (connection lost, timeouts, 4xx) is transient and the outbox backs off.
 */
import nodemailer from 'nodemailer';
import type { SenderConfig } from '../config/schema.js';
import { resolveSecret, type Environment } from '../config/secrets.js';
import { PermanentEffectError } from '../outbox/outbox.js';
import type { MailSender, OutgoingMessage } from '../sources/types.js';
import { mailOptionsFor } from './file-sender.js';

export type SmtpSenderConfig = Extract<SenderConfig, { kind: 'smtp' }>;

export interface SmtpSenderOptions {
  /** Where `${VAR}` secrets are read from (default: process.env). */
  env?: Environment;
  /** Socket timeouts in milliseconds (default 60 s). */
  timeoutMs?: number;
}

function fieldOf(err: unknown, field: string): unknown {
  if (typeof err === 'object' && err !== null && field in err) return (err as Record<string, unknown>)[field];
  return undefined;
}

function describeRefusal(err: unknown): string {
  const response = fieldOf(err, 'response');
  const message = err instanceof Error ? err.message : String(err);
  return typeof response === 'string' && response !== '' ? response.split(/\r?\n/)[0] ?? message : message;
}

/** Permanent when the server refused for good (5xx) what this message asks: a recipient, the sender or the content. */
export function isPermanentSmtpError(err: unknown): boolean {
  const code = fieldOf(err, 'code');
  const responseCode = fieldOf(err, 'responseCode');
  if (code === 'EAUTH' || code === 'ENOAUTH' || code === 'ECONNECTION' || code === 'ETIMEDOUT' || code === 'ESOCKET' || code === 'EDNS' || code === 'ETLS') return false;
  if (typeof responseCode === 'number') return responseCode >= 500 && responseCode < 600 && (code === 'EENVELOPE' || code === 'EMESSAGE');
  return code === 'EENVELOPE';
}

export class SmtpSender implements MailSender {
  readonly name = 'smtp';
  private readonly transport: ReturnType<typeof nodemailer.createTransport>;
  private readonly server: string;

  constructor(config: SmtpSenderConfig, options: SmtpSenderOptions = {}) {
    const timeout = options.timeoutMs ?? 60_000;
    this.server = `${config.host}:${config.port}`;
    if (config.password !== undefined && config.user === undefined) {
      throw new Error('sender.password is set but sender.user is not: please give the SMTP user name as sender.user.');
    }
    if (config.user !== undefined && config.password === undefined) {
      throw new Error('sender.user is set but sender.password is not: please name the environment variable holding the SMTP password, e.g. password: ${WARDWATCH_SMTP_PASSWORD}.');
    }
    const auth =
      config.user !== undefined && config.password !== undefined
        ? { user: config.user, pass: resolveSecret(config.password, options.env, 'sender.password') }
        : undefined;
    this.transport = nodemailer.createTransport({
      host: config.host,
      port: config.port,
      secure: config.secure,
      ...(auth ? { auth } : {}),
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout,
      disableFileAccess: true,
      disableUrlAccess: true,
    });
  }

  async send(message: OutgoingMessage): Promise<void> {
    try {
      await this.transport.sendMail(mailOptionsFor(message));
    } catch (err) {
      const reason = describeRefusal(err);
      if (isPermanentSmtpError(err)) {
        throw new PermanentEffectError(`The mail server ${this.server} refused the message for good: ${reason}`);
      }
      throw new Error(`The mail server ${this.server} could not take the message just now (${reason}); it will be tried again.`);
    }
  }

  async close(): Promise<void> {
    this.transport.close();
  }
}
