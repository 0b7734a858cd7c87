/**
 * The shape of a connector: a module under `connectors/<name>/` that the service finds through
 * the registry (connectors/index.ts) and knows by nothing else.
 *
 *   export const imapModule: ConnectorModule<ImapSection> = { name: 'imap', title: …, configSchema, create };
 *
 * `configSchema` validates the connector's own section of the config (`connectors.<name>`);
 * `create` gets that section already validated and returns an instance offering what the
 * connector can do: a source of mail and calendars, a mail sender, edits to its calendars,
 * health, webhook routes (mounted by the service under `/hooks/<name>/…`, behind a secret the
 * mounting code checks) and scheduled jobs (subscription renewal, say). A module keeps its heavy
 * libraries behind `import()` inside `create`, so a command that never starts it never loads them.
 */
import type { z } from 'zod';
import type { Config } from '../config/schema.js';
import type { Environment } from '../config/secrets.js';
import type { CalendarEditor, CursorStore, MailSender, Source, SourceHealth } from './types.js';

/** What a connector writes to the service's log. */
export interface ConnectorLog {
  debug(fields: Record<string, unknown>, message?: string): void;
  info(fields: Record<string, unknown>, message?: string): void;
  warn(fields: Record<string, unknown>, message?: string): void;
  error(fields: Record<string, unknown>, message?: string): void;
}

export interface ConnectorContext<Settings> {
  /** The whole configuration, and the file it was read from (relative paths in it are read from its folder). */
  config: Config;
  configFile: string;
  /** `connectors.<name>`, validated by the module's `configSchema`; undefined when only `sourceDir` asked for it. */
  settings: Settings | undefined;
  /** The folder given with `--source DIR` (or the configured one), resolved; only for a module with `readsSourceDir`. */
  sourceDir?: string;
  /** Settings for tests and benchmarks (watch intervals, say), checked by the module itself. */
  tuning?: unknown;
  env: Environment;
  logger: ConnectorLog;
  /** Where the connector keeps its positions (UIDs, sync tokens, delta links). */
  cursors: CursorStore;
  now: () => Date;
}

/** A request as a webhook route sees it: the body read in full (within the route's limit). */
export interface WebhookRequest {
  method: string;
  /** The path below `/hooks/<connector>/`, e.g. `notifications`. */
  path: string;
  query: URLSearchParams;
  /** Header names in lower case. */
  headers: Readonly<Record<string, string | undefined>>;
  body: Buffer;
}

export interface WebhookResponse {
  status: number;
  contentType?: string;
  body?: string;
}

/**
 * One route under `/hooks/<connector>/`. The service answers it only when the request carries the
 * route's secret: `secret.presented` says where the request carries it (a header, a query
 * parameter, a field of the body; every value given must match), and the service compares each
 * with `secret.value` in constant time before `handle` runs. A route with a secret shorter than
 * 16 characters is not mounted at all.
 */
export interface WebhookRoute {
  /** Below `/hooks/<connector>/`: letters, digits, `-`, `_` and `/`, e.g. `notifications`. */
  path: string;
  method: 'GET' | 'POST';
  /** The largest body accepted, in bytes (default 256 KiB); larger ones are refused with 413 unread. */
  maxBodyBytes?: number;
  secret: {
    value: string;
    /** The values the request presents as its secret; none (an empty list) is refused. */
    presented(request: WebhookRequest): readonly string[];
  };
  /** Answer quickly: queue the work (Graph wants an answer within 3 s). */
  handle(request: WebhookRequest): Promise<WebhookResponse>;
}

/** Work a connector needs done every so often while the service runs (renewing a subscription). */
export interface ScheduledJob {
  name: string;
  intervalMs: number;
  /** Run once as soon as the service starts, then every `intervalMs` (default: first after `intervalMs`). */
  runAtStart?: boolean;
  /** A rejection is logged and the job runs again at its next time. */
  run(signal: AbortSignal): Promise<void>;
}

export interface ConnectorInstance {
  readonly name: string;
  /** The mail and calendars it reads. */
  source?: Source;
  /** False to sync the source every minute instead of watching it (default true). */
  watchSource?: boolean;
  /**
   * The calendars whose events it can change: their ids, or `'any'` for a connector that reads
   * whichever calendars it finds (the folder source); a listed id wins over `'any'`.
   */
  calendars?: { editor: CalendarEditor; ids: readonly string[] | 'any' };
  /** How it sends mail, when it can (`sender: { kind: connector, connector: <name> }`). */
  sender?: MailSender;
  /** Why it cannot send, in a sentence naming the setting to add (when `sender` is absent). */
  cannotSend?: string;
  /** The last success and error of each of its parts (folders, calendars, mailboxes). */
  health?(): SourceHealth[];
  routes?: readonly WebhookRoute[];
  jobs?: readonly ScheduledJob[];
  close(): Promise<void>;
}

export interface ConnectorModule<Settings = unknown> {
  /** Its key under `connectors:` and its folder under `connectors/`. */
  readonly name: string;
  /** What it connects to, for messages ("IMAP/SMTP/CalDAV", "Microsoft 365"). */
  readonly title: string;
  readonly configSchema: z.ZodType<Settings>;
  /** It also runs without a section when the command is given a folder (`--source DIR`). */
  readonly readsSourceDir?: boolean;
  /** Checks beyond the schema that `validate` runs (secrets set, files readable, calendars known): one problem per line. `configDir` is the config file's folder. */
  verify?(settings: Settings, config: Config, env: Environment, configDir: string): string[];
  /** Why, with these settings, it could not send mail (for `validate`); undefined when it can. */
  cannotSend?(settings: Settings): string | undefined;
  /**
   * The watched mailboxes (of the config's `mailboxes`) it names as its own, when its settings list
   * them: the other connectors then leave those out (a council with some mailboxes on Microsoft 365
   * and some on IMAP). Undefined: it names none, and reads whichever it is given.
   */
  claimedMailboxes?(settings: Settings): readonly string[] | undefined;
  /** The folder it reads, from its settings (relative to the config file's folder), for `check` and `run`. */
  sourceDirOf?(settings: Settings): string | undefined;
  create(context: ConnectorContext<Settings>): Promise<ConnectorInstance>;
}
