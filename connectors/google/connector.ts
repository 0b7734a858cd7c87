/**
 * The Google Workspace connector: the capabilities (Gmail sync, Calendar sync, send, calendar
 * edits) put together over one transport, and the schedule that drives them.
 *
 * Each watched mailbox (its whole history, every configured label) and each calendar is a target.
 * Every `pollSeconds` (default 30) each target is asked what changed since its stored position
 * (Gmail's historyId, Calendar's sync token): two quota units for an idle Gmail mailbox. At most
 * one round per target runs at a time. Targets fail alone: a mailbox whose delegation is refused
 * shows in the connector's health (and so in /healthz, /metrics and the digest) while the others
 * go on; only when every target fails does the source as a whole fail.
 */
import type { ConnectorInstance, ConnectorLog } from '../../src/sources/connector-module.js';
import type { CursorStore, RecordSink, Source, SourceHealth } from '../../src/sources/types.js';
import { errorMessage } from '../../src/model/error-message.js';
import { CalendarSync } from './calendar-sync.js';
import { GoogleCalendarEditor } from './calendar-edit.js';
import type { GoogleSettings, GoogleTuning } from './config.js';
import type { GoogleDeps } from './deps.js';
import { GmailSync } from './gmail-sync.js';
import { GoogleSender } from './send.js';
import { GoogleTransport, type GoogleTransportOptions } from './transport.js';
import { pause } from '../../src/sources/retry-timing.js';

export interface GoogleConnectorOptions {
  settings: GoogleSettings;
  cursors: CursorStore;
  logger: ConnectorLog;
  tuning?: GoogleTuning;
  /** The clock and the sleep the transport uses (tests move a simulated clock). */
  transport?: GoogleTransportOptions;
  now?: () => Date;
}

type Target = { kind: 'mail'; mailbox: string } | { kind: 'calendar'; calendarId: string };

interface TargetState {
  target: Target;
  name: string;
  running?: Promise<void>;
  health: SourceHealth;
}

export class GoogleConnector implements Source {
  readonly name = 'google';
  readonly transport: GoogleTransport;
  readonly sender: GoogleSender;
  readonly editor: GoogleCalendarEditor;
  private readonly gmail: GmailSync;
  private readonly calendar: CalendarSync;
  private readonly states: TargetState[] = [];
  private readonly now: () => Date;

  constructor(
    private readonly settings: GoogleSettings,
    cursors: CursorStore,
    private readonly logger: ConnectorLog,
    options: Omit<GoogleConnectorOptions, 'settings' | 'cursors' | 'logger'> = {},
  ) {
    const tuning = options.tuning ?? {};
    this.now = options.now ?? options.transport?.now ?? ((): Date => new Date());
    this.transport = new GoogleTransport(settings, {
      log: logger,
      ...(tuning.rootUrl !== undefined ? { rootUrl: tuning.rootUrl } : {}),
      ...(tuning.tokenUrl !== undefined ? { tokenUrl: tuning.tokenUrl } : {}),
      ...(tuning.backoffMs !== undefined ? { backoffMs: tuning.backoffMs } : {}),
      ...(tuning.concurrency !== undefined ? { concurrency: tuning.concurrency } : {}),
      ...options.transport,
    });
    const deps: GoogleDeps = { transport: this.transport, settings, cursors, logger, now: this.now };
    this.gmail = new GmailSync(deps);
    this.calendar = new CalendarSync(deps);
    this.sender = new GoogleSender(deps);
    this.editor = new GoogleCalendarEditor(deps);
    for (const m of settings.mailboxes) this.states.push({ target: { kind: 'mail', mailbox: m.address }, name: `google:${m.address}`, health: { source: `google:${m.address}` } });
    for (const c of settings.calendars) this.states.push({ target: { kind: 'calendar', calendarId: c.id }, name: `google:calendar ${c.id}`, health: { source: `google:calendar ${c.id}` } });
  }

  /** One round of one target; a round already under way is waited for, not doubled. */
  private runTarget(state: TargetState, sink: RecordSink, signal?: AbortSignal): Promise<void> {
    if (state.running) return state.running;
    const run = async (): Promise<void> => {
      try {
        const t = state.target;
        if (t.kind === 'mail') {
          const mailbox = this.settings.mailboxes.find((m) => m.address === t.mailbox);
          if (mailbox) await this.gmail.round(mailbox, sink, signal);
        } else {
          const calendar = this.settings.calendars.find((c) => c.id === t.calendarId);
          if (calendar) await this.calendar.round(calendar, sink, signal);
        }
        state.health.lastSuccess = this.now().toISOString();
      } catch (err) {
        if (signal?.aborted) return;
        state.health.lastError = { at: this.now().toISOString(), message: errorMessage(err) };
        throw err;
      }
    };
    state.running = run().finally(() => {
      state.running = undefined;
    });
    return state.running;
  }

  /** Every target side by side (the transport keeps each user to a few requests at a time); the failures. */
  private async rounds(sink: RecordSink, signal?: AbortSignal): Promise<{ state: TargetState; error: unknown }[]> {
    const settled = await Promise.allSettled(this.states.map((s) => this.runTarget(s, sink, signal)));
    const failed = settled.flatMap((r, i) => (r.status === 'rejected' && this.states[i] ? [{ state: this.states[i], error: r.reason as unknown }] : []));
    for (const f of failed) {
      this.logger.warn({ target: f.state.name, error: errorMessage(f.error) }, 'reading from Google Workspace failed; the others go on and this one is tried again at the next round');
    }
    return failed;
  }

  async sync(sink: RecordSink): Promise<void> {
    const failed = await this.rounds(sink);
    if (failed.length > 0 && failed.length === this.states.length) {
      throw new Error(failed.map((f) => errorMessage(f.error)).filter((m, i, all) => all.indexOf(m) === i).join(' '));
    }
  }

  async watch(sink: RecordSink, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await pause(this.settings.pollMs, signal);
      if (signal.aborted) break;
      await this.rounds(sink, signal);
    }
  }

  /**
   * Each target's last success and error; and, while no target has an error of its own (before the
   * first rounds, say), the latest lasting sign-in failure of a user the targets act as (a watched
   * mailbox, a calendar's actAs), stamped with when it happened. Sign-ins for anyone else (an
   * organiser looked up to invite guests, the service mailbox, whose sender reports for itself) are
   * not the source's health.
   */
  health(): SourceHealth[] {
    const parts = this.states.map((s) => ({ ...s.health }));
    const own = [...this.settings.mailboxes.map((m) => m.address), ...this.settings.calendars.map((c) => c.actAs)];
    const signIn = this.transport.latestSignInFailure(own);
    return signIn !== undefined && parts.every((p) => p.lastError === undefined) ? [{ source: 'google', lastError: { at: signIn.at, message: signIn.message } }, ...parts] : parts;
  }

  async close(): Promise<void> {
    await this.sender.close();
  }
}

/** The connector as the service sees it: a source, a sender, the editor of its calendars. */
export function createGoogleConnector(options: GoogleConnectorOptions): ConnectorInstance {
  const connector = new GoogleConnector(options.settings, options.cursors, options.logger, {
    ...(options.tuning ? { tuning: options.tuning } : {}),
    ...(options.transport ? { transport: options.transport } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
  return {
    name: connector.name,
    source: connector,
    calendars: { editor: connector.editor, ids: options.settings.calendars.map((c) => c.id) },
    sender: connector.sender,
    health: () => connector.health(),
    close: () => connector.close(),
  };
}
