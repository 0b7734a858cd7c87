/** The simulator's request and response shapes and Google's JSON error envelope. */

export interface SimRequest {
  readonly method: string;
  /** The path as sent, decoded, e.g. /gmail/v1/users/me/messages. */
  readonly path: string;
  readonly query: URLSearchParams;
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: unknown;
  /**
   * The path with `me` replaced by the token's user and `primary` by that user's calendar id,
   * e.g. /gmail/v1/users/clerk@x/messages/send: what fault rules and the request log match on.
   */
  canonicalPath?: string;
  /** The token's subject (the impersonated user), once the bearer token was checked. */
  user?: string;
}

export interface SimResponse {
  status: number;
  headers?: Record<string, string>;
  /** JSON value, or a string sent as is (with its own content-type header). */
  body?: unknown;
}

/** The canonical status names Google's JSON errors carry, by HTTP status. */
const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 403: 'PERMISSION_DENIED', 404: 'NOT_FOUND',
  409: 'ABORTED', 410: 'FAILED_PRECONDITION', 412: 'FAILED_PRECONDITION', 429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL', 502: 'UNAVAILABLE', 503: 'UNAVAILABLE', 504: 'DEADLINE_EXCEEDED',
};

export interface ErrorDetail {
  domain?: string;
  reason: string;
  /** Defaults to the top-level message. */
  message?: string;
  location?: string;
  locationType?: string;
}

/** `{ error: { code, message, errors: [{ domain, reason, message }], status } }` as Google's JSON APIs answer. */
export function googleError(status: number, message: string, detail: ErrorDetail, headers?: Record<string, string>): SimResponse {
  const d = { message: detail.message ?? message, domain: detail.domain ?? 'global', reason: detail.reason,
    ...(detail.location ? { location: detail.location } : {}), ...(detail.locationType ? { locationType: detail.locationType } : {}) };
  return {
    status,
    ...(headers ? { headers } : {}),
    body: { error: { code: status, message, errors: [d], status: STATUS_NAMES[status] ?? 'UNKNOWN' } },
  };
}

export const json = (status: number, body: unknown, headers?: Record<string, string>): SimResponse =>
  ({ status, body, ...(headers ? { headers } : {}) });

export const notFound = (message = 'Requested entity was not found.'): SimResponse =>
  googleError(404, message, { reason: 'notFound' });

export const badRequest = (message: string, reason = 'invalidArgument', location?: string): SimResponse =>
  googleError(400, message, { reason, ...(location ? { location, locationType: 'parameter' } : {}) });

/** Opaque page and sync tokens: base64url JSON. */
export function encodeToken(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export function decodeToken<T>(token: string): T | undefined {
  try {
    const v: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    return typeof v === 'object' && v !== null ? (v as T) : undefined;
  } catch {
    return undefined;
  }
}
