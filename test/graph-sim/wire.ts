/** The simulator's request and response shapes and Graph's error envelope. */
import { randomUUID } from 'node:crypto';
import type { Mailbox } from './state.js';

export interface SimRequest {
  readonly method: string;
  /** Path below /v1.0, decoded, e.g. /users/clerk@x/mailFolders/inbox/messages/delta. */
  readonly path: string;
  readonly query: URLSearchParams;
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: unknown;
  readonly inBatch: boolean;
  /** The $batch envelope an inner request came in (one object per envelope). */
  readonly batch?: object;
  /** Set by the router once the path names a mailbox. */
  mailbox?: Mailbox;
  /**
   * The path with the mailbox as its address and the folder as its well-known or display name,
   * e.g. /users/clerk@x/mailFolders/inbox/messages/delta whatever ids the client used: what fault
   * rules and the request log match on.
   */
  canonicalPath?: string;
}

export interface SimResponse {
  status: number;
  headers?: Record<string, string>;
  /** JSON value, or a string sent as is (with its own content-type header). */
  body?: unknown;
}

export function graphError(status: number, code: string, message: string, headers?: Record<string, string>): SimResponse {
  const date = new Date().toISOString().replace(/\.\d{3}Z$/, '');
  return {
    status,
    ...(headers ? { headers } : {}),
    body: { error: { code, message, innerError: { date, 'request-id': randomUUID(), 'client-request-id': randomUUID() } } },
  };
}

export const json = (status: number, body: unknown, headers?: Record<string, string>): SimResponse =>
  ({ status, body, ...(headers ? { headers } : {}) });

/** `odata.maxpagesize=N` from a Prefer header, if any. */
export function preferredPageSize(headers: Readonly<Record<string, string>>): number | undefined {
  const prefer = headers['prefer'] ?? '';
  for (const part of prefer.split(',')) {
    const [k, v] = part.trim().split('=');
    if (k?.toLowerCase() === 'odata.maxpagesize' && v !== undefined) {
      const n = Number.parseInt(v, 10);
      if (Number.isFinite(n) && n > 0) return n;
    }
  }
  return undefined;
}

export function prefers(headers: Readonly<Record<string, string>>, directive: string): boolean {
  return (headers['prefer'] ?? '').toLowerCase().replace(/\s+/g, '').includes(directive.toLowerCase().replace(/\s+/g, ''));
}

/** Applies `$select` (comma-separated) to a resource; `id` and annotations always stay. */
export function selectProps<T extends object>(resource: T, select: string | null, alwaysDrop: readonly string[] = []): Record<string, unknown> {
  const entries = Object.entries(resource).filter(([k]) => !alwaysDrop.includes(k));
  if (!select) return Object.fromEntries(entries);
  const wanted = new Set(select.split(',').map((s) => s.trim()).filter((s) => s !== ''));
  return Object.fromEntries(entries.filter(([k]) => k === 'id' || k.startsWith('@') || wanted.has(k)));
}
