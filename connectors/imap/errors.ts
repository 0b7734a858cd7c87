import { errorMessage } from '../../src/model/error-message.js';
/**
 * Plain-language descriptions of what went wrong talking to a mail or calendar server, for the
 * Clerk reading the log or the digest: which server, which mailbox, and what to check.
 */

/**
 * A failure of the connector, already described for people. `cause` keeps the original;
 * `permanent` says that trying again cannot help (the event is gone, the booking has no room).
 */
export class ConnectorError extends Error {
  override readonly name = 'ConnectorError';
  readonly permanent: boolean;
  constructor(message: string, options?: { cause?: unknown; permanent?: boolean }) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.permanent = options?.permanent ?? false;
  }
}

function field(err: unknown, name: string): unknown {
  if (typeof err !== 'object' || err === null) return undefined;
  return (err as Record<string, unknown>)[name];
}

function text(err: unknown, name: string): string | undefined {
  const v = field(err, name);
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

const NETWORK_REASONS: Record<string, string> = {
  ECONNREFUSED: 'the connection was refused (is the server running?)',
  ENOTFOUND: 'the server name could not be found; check the host name',
  EAI_AGAIN: 'the server name could not be looked up just now',
  ETIMEDOUT: 'the server did not answer in time',
  ETIMEOUT: 'the server did not answer in time',
  ECONNRESET: 'the server closed the connection unexpectedly',
  EHOSTUNREACH: 'the server cannot be reached from here',
  ENETUNREACH: 'the network is unreachable',
  EPIPE: 'the connection broke while sending',
};

/**
 * The operating system's network error code behind `err` (ECONNREFUSED, ENOTFOUND, …), looked
 * for in its code, its causes and its message; libraries wrap these in codes of their own.
 */
export function networkCode(err: unknown): string | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 5 && current !== undefined && current !== null; depth++) {
    const code = text(current, 'code');
    if (code && code in NETWORK_REASONS) return code;
    const message = text(current, 'message');
    const named = message ? /\b(E[A-Z_]{4,})\b/.exec(message)?.[1] : undefined;
    if (named && named in NETWORK_REASONS) return named;
    current = field(current, 'cause') ?? field(current, '_err');
  }
  return undefined;
}

/** Why a network operation failed, in words, when the cause is a known network error. */
export function networkReason(err: unknown): string | undefined {
  const code = networkCode(err);
  return code ? NETWORK_REASONS[code] : undefined;
}

/** The OpenSSL text behind a failed TLS handshake, without its code location. */
function tlsText(err: unknown): string {
  const message = errorMessage(err);
  const reason = /:SSL routines:[^:]*:([^:]+):/.exec(message)?.[1];
  return (reason ?? message).trim();
}

/**
 * Why a TLS handshake failed, for someone setting up the connection: TLS spoken to a plain
 * port, or a certificate that cannot be verified. Undefined when `err` is neither.
 */
export function describeTlsError(err: unknown, server: string, settings: string): string | undefined {
  const message = errorMessage(err);
  const code = text(err, 'code') ?? '';
  if (/wrong version number|packet length too long|unknown protocol/i.test(message)) {
    return `the mail server ${server} did not answer with TLS on that port; if it offers STARTTLS there (usually port 143 or 587), set ${settings}.secure: false (Wardwatch then upgrades with STARTTLS), or use the server's TLS port (usually 993 or 465) with secure: true`;
  }
  if (/certificate|self[- ]signed|unable to (get|verify)|altnames|CERT_/i.test(`${message} ${code}`)) {
    return `the certificate of the mail server ${server} could not be verified (${tlsText(err)}); check the host name, or if the council uses its own certificate authority, give its certificate in ${settings}.tls.caFile`;
  }
  return undefined;
}

/** Why an IMAP operation failed, in one sentence ending without a full stop. */
export function describeImapError(err: unknown, server: string, mailbox: string): string {
  if (field(err, 'authenticationFailed') === true) {
    return `the mail server ${server} refused the login for ${mailbox}; check the user name and the password in its environment variable`;
  }
  const tls = describeTlsError(err, server, 'connectors.imap');
  if (tls) return tls;
  if (field(err, 'tlsFailed') === true) {
    return `a secure connection to the mail server ${server} could not be made (${tlsText(err)})`;
  }
  const code = text(err, 'code');
  if (code === 'CONNECT_TIMEOUT' || code === 'GREETING_TIMEOUT' || code === 'UPGRADE_TIMEOUT') {
    return `the mail server ${server} did not answer in time`;
  }
  if (code === 'NoConnection' || code === 'EConnectionClosed') {
    return `the connection to the mail server ${server} was closed`;
  }
  const net = networkReason(err);
  if (net) return `could not talk to the mail server ${server}: ${net}`;
  const response = text(err, 'responseText');
  if (response) return `the mail server ${server} said: ${response}`;
  return `${errorMessage(err)} (mail server ${server})`;
}

/** Why a CalDAV request failed, in one sentence ending without a full stop. */
export function describeHttpError(err: unknown, url: string): string {
  const net = networkReason(err);
  if (net) return `could not reach the calendar server at ${url}: ${net}`;
  // fetch says only "fetch failed"; the reason is in its cause.
  const cause = text(field(err, 'cause'), 'message');
  const message = errorMessage(err);
  return `could not reach the calendar server at ${url}: ${cause ? `${message} (${cause})` : message}`;
}
