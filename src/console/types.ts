/**
 * The console's routes and what a page handler gets and gives back. The server
 * (src/console/server.ts) owns sign-in, sessions, CSRF, roles, the page layout and the HTTP
 * details; a page (src/console/pages/<page>.ts) is a list of routes that read the store and call
 * the Clerk's actions (src/review/clerk-actions.ts), and never touches a request or a cookie.
 */
import type { Config } from '../config/schema.js';
import type { Engine } from '../engine/engine.js';
import type { ClerkActions } from '../review/clerk-actions.js';
import type { HealthReport } from '../service/health.js';
import type { ConsoleRole, ConsoleUser, EffectRow, Store } from '../store/types.js';
import type { Html } from './html.js';

export interface ConsoleRequest {
  method: 'GET' | 'POST';
  /** The path, without the query. */
  path: string;
  /** The route's named parts (`/items/:key` → { key }), decoded. */
  params: Record<string, string>;
  query: URLSearchParams;
  /** A POST's form fields (application/x-www-form-urlencoded), already checked for the CSRF token. */
  form: URLSearchParams;
  user: ConsoleUser;
  /** The token every form must carry (the layout's `csrfField()` writes it). */
  csrfToken: string;
}

/** The page's navigation entry it belongs under (the header marks it as current). */
export type NavSection = 'today' | 'review' | 'history' | 'failed' | 'not-a-breach' | 'rules' | 'authorisations' | 'elections' | 'sources' | 'digests' | 'audit';

export type ConsoleResponse =
  /** A page: the server wraps `body` in the GOV.UK layout (header, navigation, notification banner). */
  | { kind: 'page'; title: string; body: Html; nav?: NavSection; status?: number }
  /** After a change (POST/redirect/GET): `flash` is shown once, as a success banner, on the page it leads to. */
  | {
      kind: 'redirect';
      to: string;
      flash?: string;
      /** A digest held in doubt was released: the service checks at once for a digest due, instead of at its next digest time. */
      digestReleased?: boolean;
    }
  /** A file to save (a CSV export). */
  | { kind: 'download'; filename: string; contentType: string; body: string }
  /** The change could not be made: the page it came from, shown again with the error summary. */
  | { kind: 'error'; title: string; body: Html; nav?: NavSection; status: 400 | 404 | 409 };

/** A message as it would be sent, for review. */
export interface MessagePreview {
  subject: string;
  text: string;
  to: string[];
}

/** What every page handler can use. */
export interface ConsoleContext {
  store: Store;
  config: Config;
  engine: Engine;
  actions: ClerkActions;
  now(): Date;
  /** An instant in the council's time zone, in British English ("Monday 12 April 2027 at 09:00"). */
  formatWhen(iso: string): string;
  /** The message an effect would send (undefined for one that is not a message, such as a declined booking). */
  preview(effect: EffectRow): Promise<MessagePreview | undefined>;
  /** The running service's health (sources, outbox, problems). */
  health(): Promise<HealthReport>;
}

export interface ConsoleRoute {
  method: 'GET' | 'POST';
  /** `/items/:key`: `:name` matches one path segment (percent-decoded). */
  path: string;
  /** The least role that may use it: every POST that changes anything is `clerk`. */
  role: ConsoleRole;
  handle(req: ConsoleRequest, ctx: ConsoleContext): Promise<ConsoleResponse>;
}
