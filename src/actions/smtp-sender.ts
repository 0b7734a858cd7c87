/**
 * The SMTP sender (`sender.kind: smtp`): hands each message to the council's mail server with
 * nodemailer. The password is read from the environment variable the config names, when the
 * sender is created, and is never logged or put in an error message.
 *
 * A mail server cannot say whether it already accepted a message, so this sender offers no
 * `alreadySent`: after a crash in the middle of a send the outbox tries the message again.
 * A refusal that trying again cannot cure (5xx for a recipient or the message) is permanent;
 * anything else (connection lost, timeouts, 4xx) is transient and the outbox backs off.
 *
 * The password goes only over TLS: implicit TLS (`secure: true`) or STARTTLS, which is then
 * required; only a server on this machine may be spoken to in plain text, and only when the
 * config says so (`plainLocal: true`). A refused login is permanent and is not tried again
 * until Wardwatch restarts: retrying a wrong password is how mail accounts get locked.
 */
import nodemailer from 'nodemailer';
import type { SenderConfig } from '../config/schema.js';
import { resolveSecret, type Environment } from '../config/secrets.js';
import { PermanentEffectError } from '../outbox/outbox.js';
import type { MailSender, OutgoingMessage } from '../sources/types.js';
import { mailOptionsFor } from './file-sender.js';
import { isLoopbackHost } from './loopback.js';

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

/** True when the server refused the login itself (wrong user name or password, or no such mechanism). */
export function isLoginRefused(err: unknown): boolean {
  const code = fieldOf(err, 'code');
  return code === 'EAUTH' || code === 'ENOAUTH';
}

/** True when the server would not start TLS (it does not offer STARTTLS, or refused it). */
export function isTlsRefused(err: unknown): boolean {
  return fieldOf(err, 'code') === 'ETLS' && fieldOf(err, 'command') === 'STARTTLS' && typeof fieldOf(err, 'response') === 'string';
}

/** Why a send fails without trying the server again, once it has refused Wardwatch's login. */
export function loginRefusedAgain(server: string, first: string): string {
  return `Not sent: the mail server ${server} refused Wardwatch's SMTP login earlier (${first}). Wardwatch does not try that login again until it is restarted, so that the account is not locked; correct the user name or password and restart it. This message will be tried again then.`;
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
  private readonly user: string | undefined;
  /** Why the server refused the login, once it has: no further login is attempted. */
  private loginRefused: string | undefined;

  constructor(config: SmtpSenderConfig, options: SmtpSenderOptions = {}) {
    const timeout = options.timeoutMs ?? 60_000;
    this.server = `${config.host}:${config.port}`;
    this.user = config.user;
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
    if (config.plainLocal && !isLoopbackHost(config.host)) {
      throw new Error(
        `sender.plainLocal is only for a mail server on this machine (127.0.0.1, ::1 or localhost), not ${config.host}: the password would cross the network unencrypted. Remove plainLocal and use the server's TLS port (secure: true) or STARTTLS.`,
      );
    }
    this.transport = nodemailer.createTransport({
      host: config.host,
      port: config.port,
      secure: config.secure,
      // With a password to send, STARTTLS is required: nodemailer would otherwise log in in plain
      // text to a server that does not offer it.
      requireTLS: !config.secure && auth !== undefined && !config.plainLocal,
      ...(auth ? { auth } : {}),
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout,
      disableFileAccess: true,
      disableUrlAccess: true,
    });
  }

  async send(message: OutgoingMessage): Promise<void> {
    if (this.loginRefused !== undefined) throw new Error(loginRefusedAgain(this.server, this.loginRefused));
    try {
      await this.transport.sendMail(mailOptionsFor(message));
    } catch (err) {
      const reason = describeRefusal(err);
      if (isLoginRefused(err)) {
        this.loginRefused = reason;
        throw new PermanentEffectError(
          `The mail server ${this.server} refused Wardwatch's SMTP login${this.user ? ` as ${this.user}` : ''} (${reason}). Check sender.user and the password in its environment variable, then restart Wardwatch; it will not try this login again until then, so that the account is not locked.`,
        );
      }
      if (isTlsRefused(err)) {
        throw new Error(
          `The mail server ${this.server} did not start TLS (${reason}), so Wardwatch did not send it the password in plain text. Use the server's TLS port (secure: true, usually 465) or a port that offers STARTTLS (usually 587); only for a server on this machine may sender.plainLocal: true allow a plain login. It will be tried again.`,
        );
      }
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
