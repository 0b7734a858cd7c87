/**
 * What went wrong talking to Microsoft 365, in words a Clerk (and the IT contractor they ring) can
 * act on: which setting, which mailbox, what to change. Sign-in failures carry an AADSTS code from
 * the Microsoft identity platform; each code we have met is explained here in plain English.
 */
import { errorMessage } from '../../src/model/error-message.js';

/** Sign-in (token) failures, by AADSTS code: what it means and which setting to change. */
const AADSTS: Record<string, (s: { variable?: string }) => string> = {
  '90002': () =>
    'the tenant named in connectors.graph.tenantId does not exist. Copy the Directory (tenant) ID from the app\'s Overview page in the Microsoft Entra admin centre.',
  '900023': () => 'connectors.graph.tenantId is not a valid tenant id or domain. Copy the Directory (tenant) ID from the app\'s Overview page.',
  '700016': () =>
    'no app with the id in connectors.graph.clientId is registered in this tenant. Check the Application (client) ID on the app\'s Overview page, and that the app was registered in the council\'s own tenant.',
  '7000215': (s) =>
    `the client secret was refused: it is not the app's secret. Copy the secret's Value (not its Secret ID) from Certificates & secrets into ${s.variable ?? 'the variable connectors.graph.clientSecret names'}.`,
  '7000222': (s) =>
    `the client secret has expired. Make a new one under the app's Certificates & secrets, put it in ${s.variable ?? 'the variable connectors.graph.clientSecret names'} and restart Wardwatch (better still, switch to a certificate).`,
  '700027': () =>
    'the certificate was refused: the app does not know it, or the file does not match it. Upload the certificate (the public .cer or .pem part of connectors.graph.certificatePath) under the app\'s Certificates & secrets, or point certificatePath at the right file.',
  '700024': () => 'the sign-in assertion was out of date: this machine\'s clock is wrong. Set its time (NTP) and Wardwatch will sign in again.',
  '7000112': () => 'the app is disabled in the tenant. Enable it under Enterprise applications › Properties ("Enabled for users to sign in").',
  '65001': () => 'the app\'s permissions have not been granted. In the app\'s API permissions, choose "Grant admin consent for" the council.',
  '500011': () => 'Microsoft Graph is not available to the app in this tenant. Check connectors.graph.endpoints (leave it out for the worldwide service).',
  '50034': () => 'the tenant does not know this account. Check connectors.graph.tenantId.',
  '90014': () => 'the sign-in request lacked a field Microsoft requires. This is a fault in Wardwatch: please report it with the log line.',
};

/** The AADSTS code in a sign-in error's text, if any. */
export function aadstsCode(text: string): string | undefined {
  return /AADSTS(\d{5,7})/.exec(text)?.[1];
}

/** A failed sign-in, explained. `code` is the AADSTS code when Microsoft gave one. */
export class GraphSignInError extends Error {
  override readonly name = 'GraphSignInError';
  readonly code: string | undefined;
  constructor(message: string, code: string | undefined, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export function explainSignIn(err: unknown, variable: string | undefined): GraphSignInError {
  const text = errorMessage(err);
  const code = aadstsCode(text);
  const explain = code !== undefined ? AADSTS[code] : undefined;
  if (explain !== undefined) {
    return new GraphSignInError(`Wardwatch could not sign in to Microsoft 365 (AADSTS${code}): ${explain(variable !== undefined ? { variable } : {})}`, code, { cause: err });
  }
  if (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET|socket hang up|certificate/i.test(text)) {
    return new GraphSignInError(
      `Wardwatch could not reach Microsoft's sign-in service (${firstLine(text)}). Check this machine's network and firewall (login.microsoftonline.com must be reachable on port 443); Wardwatch will try again.`,
      undefined,
      { cause: err },
    );
  }
  return new GraphSignInError(
    `Wardwatch could not sign in to Microsoft 365${code !== undefined ? ` (AADSTS${code})` : ''}: ${firstLine(text)}. Check connectors.graph.tenantId, clientId and the certificate or secret.`,
    code,
    { cause: err },
  );
}

function firstLine(text: string): string {
  const line = text.split(/\r?\n/)[0] ?? '';
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

export type GraphFailure = 'throttled' | 'unavailable' | 'unauthorised' | 'forbidden' | 'not-found' | 'gone' | 'conflict' | 'bad-request' | 'network' | 'other';

/**
 * A Graph request that failed for good (after the transport's retries). `permanent` says trying
 * again later cannot help (a refused permission, a missing item, a bad request).
 */
export class GraphApiError extends Error {
  override readonly name = 'GraphApiError';
  readonly status: number;
  /** Graph's error code, e.g. `ErrorAccessDenied`, `syncStateNotFound`. */
  readonly code: string;
  readonly failure: GraphFailure;
  readonly permanent: boolean;
  readonly mailbox: string;
  constructor(message: string, fields: { status: number; code: string; failure: GraphFailure; mailbox: string; permanent?: boolean }, options?: { cause?: unknown }) {
    super(message, options);
    this.status = fields.status;
    this.code = fields.code;
    this.failure = fields.failure;
    this.mailbox = fields.mailbox;
    this.permanent = fields.permanent ?? ['forbidden', 'not-found', 'bad-request'].includes(fields.failure);
  }
}

/**
 * A request that may have taken effect though no success came back (a 503/504, or the connection
 * dropped after it was sent). The transport never repeats such a request: its caller finds out.
 */
export class GraphOutcomeUnknownError extends Error {
  override readonly name = 'GraphOutcomeUnknownError';
  readonly mailbox: string;
  constructor(message: string, mailbox: string, options?: { cause?: unknown }) {
    super(message, options);
    this.mailbox = mailbox;
  }
}

export function failureOf(status: number, code: string): GraphFailure {
  if (status === 429) return 'throttled';
  if (status === 503 || status === 504 || status === 502 || status === 500) return 'unavailable';
  if (status === 401) return 'unauthorised';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not-found';
  if (status === 410 || code.toLowerCase() === 'syncstatenotfound' || code.toLowerCase() === 'resyncrequired') return 'gone';
  if (status === 409 || status === 412) return 'conflict';
  if (status === 400 || status === 422) return 'bad-request';
  return 'other';
}

/** A sentence for a failed request: what was refused, for which mailbox, and what to check. */
export function describeFailure(status: number, code: string, graphMessage: string, mailbox: string, what: string): string {
  const failure = failureOf(status, code);
  const said = graphMessage !== '' ? ` Microsoft 365 said: "${firstLine(graphMessage)}"` : '';
  switch (failure) {
    case 'forbidden':
      return (
        `Microsoft 365 refused ${what} for ${mailbox} (${status} ${code}). The app needs the application permissions Mail.ReadWrite, Mail.Send and Calendars.ReadWrite with admin consent, ` +
        `and the mailbox must be inside the app's RBAC management scope (see docs/connecting-microsoft-365.md).${said}`
      );
    case 'not-found':
      return `Microsoft 365 has no such item for ${what} in ${mailbox} (${status} ${code}): check that the mailbox address is right and the mailbox exists.${said}`;
    case 'unauthorised':
      return `Microsoft 365 did not accept Wardwatch's sign-in for ${what} in ${mailbox} (${status} ${code}), even after signing in afresh.${said}`;
    case 'throttled':
      return `Microsoft 365 is throttling requests for ${mailbox} (${status} ${code}) and kept doing so after waiting as asked; Wardwatch will try again at the next round.`;
    case 'unavailable':
      return `Microsoft 365 was unavailable for ${what} in ${mailbox} (${status} ${code}) after several tries; Wardwatch will try again at the next round.${said}`;
    default:
      return `Microsoft 365 refused ${what} for ${mailbox} (${status} ${code}).${said}`;
  }
}
