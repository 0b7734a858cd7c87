/**
 * The Microsoft 365 connector: the capabilities (mail delta, calendar delta, subscriptions, send,
 * calendar edits) put together over one transport, and the schedule that drives them.
 *
 * Each watched folder and calendar is a target. A round of a target asks Graph for what changed
 * since its delta link; at most one round per target runs at a time (a notification arriving
 * during a round asks for one more round after it, never a second one alongside). Targets fail
 * alone: a mailbox that keeps failing shows in the connector's health (and so in /healthz,
 * /metrics and the digest) while the others go on; only a failed sign-in stops the whole source.
 *
 * Without notifications every target is asked every `pollSeconds`. With them, a notification (or
 * a lifecycle event saying notifications were missed) starts a round at once, and each target is
 * still asked once an hour as a safety net: notifications only say "look", delta is the truth.
 */
import { z } from 'zod';
import type { ConnectorInstance, ConnectorLog, ScheduledJob, WebhookRoute } from '../../src/sources/connector-module.js';
import type { CursorStore, RecordSink, Source, SourceHealth } from '../../src/sources/types.js';
import { CalendarDelta } from './calendar-delta.js';
import { GraphCalendarEditor } from './calendar-edit.js';
import type { GraphSettings } from './config.js';
import type { GraphDeps } from './deps.js';
import { GraphSignInError } from './errors.js';
import { MailDelta } from './mail-delta.js';
import { GraphSender } from './send.js';
import { GraphSubscriptions, watchTargetKey as targetKey, type WatchTarget } from './subscriptions.js';
import { GraphTransport, type TransportOptions } from './transport.js';
import { errorMessage } from '../../src/model/error-message.js';
import { pause } from '../../src/sources/retry-timing.js';

/** With notifications, how often each target is asked anyway. */
export const SAFETY_ROUND_MS = 60 * 60_000;

/** Settings for tests and benchmarks (`ConnectorContext.tuning`, given as `connectorTuning.graph`). */
const TuningSchema = z
  .object({
    /** The first backoff without Retry-After (default 1 s). */
    backoffMs: z.number().int().min(0).optional(),
    /** How often targets with a live subscription are asked anyway (default an hour). */
    safetyRoundMs: z.number().int().min(10).optional(),
  })
  .strict();

export interface GraphConnectorOptions {
  settings: GraphSettings;
  cursors: CursorStore;
  logger: ConnectorLog;
  tuning?: unknown;
  /** The clock and the sleep the transport uses (tests move a simulated clock). */
  transport?: TransportOptions;
  now?: () => Date;
}


function targetName(t: WatchTarget): string {
  return t.kind === 'mail' ? `graph:${t.mailbox}/${t.folder}` : `graph:calendar ${t.calendarId}`;
}

/** The answer to a target's first request, fetched in a $batch. */
interface FirstPage {
  link: string;
  page: unknown;
}

interface TargetState {
  target: WatchTarget;
  running?: Promise<void>;
  /** A change was announced while a round ran: run one more. */
  again: boolean;
  lastRound: number;
  health: SourceHealth;
}

function message(err: unknown): string {
  return errorMessage(err);
}

export class GraphConnector implements Source {
  readonly name = 'graph';
  readonly transport: GraphTransport;
  readonly sender: GraphSender;
  readonly editor: GraphCalendarEditor;
  readonly subscriptions: GraphSubscriptions | undefined;
  private readonly mail: MailDelta;
  private readonly calendar: CalendarDelta;
  private readonly states = new Map<string, TargetState>();
  private readonly now: () => Date;
  private readonly logger: ConnectorLog;
  private readonly safetyRoundMs: number;
  private subscribed = false;
  private sink: RecordSink | undefined;
  private watchSignal: AbortSignal | undefined;

  constructor(private readonly settings: GraphSettings, cursors: CursorStore, logger: ConnectorLog, options: GraphConnectorOptions) {
    const tuning = TuningSchema.parse(options.tuning ?? {});
    this.now = options.now ?? options.transport?.now ?? ((): Date => new Date());
    this.logger = logger;
    this.safetyRoundMs = tuning.safetyRoundMs ?? SAFETY_ROUND_MS;
    this.transport = new GraphTransport(settings, {
      log: logger,
      ...(tuning.backoffMs !== undefined ? { backoffMs: tuning.backoffMs } : {}),
      ...options.transport,
    });
    const deps: GraphDeps = { transport: this.transport, settings, cursors, logger, now: this.now };
    this.mail = new MailDelta(deps);
    this.calendar = new CalendarDelta(deps);
    this.sender = new GraphSender(deps);
    this.editor = new GraphCalendarEditor(deps);
    this.subscriptions = settings.notifications
      ? new GraphSubscriptions({ ...deps, onChange: (target, why) => this.announce(target, why) })
      : undefined;
    for (const m of settings.mailboxes) {
      for (const folder of m.folders) this.addTarget({ kind: 'mail', mailbox: m.address, folder });
    }
    for (const c of settings.calendars) this.addTarget({ kind: 'calendar', calendarId: c.id });
  }

  private addTarget(target: WatchTarget): void {
    this.states.set(targetKey(target), { target, again: false, lastRound: 0, health: { source: targetName(target) } });
  }

  get targets(): WatchTarget[] {
    return [...this.states.values()].map((s) => s.target);
  }

  /** One round of one target; a round already under way is followed by one more instead. */
  private runTarget(state: TargetState, sink: RecordSink, signal?: AbortSignal, reason: 'poll' | 'change' = 'poll', firstPage?: FirstPage): Promise<void> {
    if (state.running) {
      // A poll finds the round under way enough; a change may have come after the round read its page.
      if (reason === 'change') state.again = true;
      return state.running;
    }
    const run = async (): Promise<void> => {
      let first = firstPage;
      do {
        state.again = false;
        state.lastRound = this.now().getTime();
        try {
          const t = state.target;
          if (t.kind === 'mail') {
            const mailbox = this.settings.mailboxes.find((m) => m.address === t.mailbox);
            if (mailbox) await this.mail.round(mailbox, t.folder, sink, signal, first);
          } else {
            const calendar = this.settings.calendars.find((c) => c.id === t.calendarId);
            if (calendar) await this.calendar.round(calendar, sink, signal, first);
          }
          first = undefined;
          state.health.lastSuccess = this.now().toISOString();
        } catch (err) {
          if (signal?.aborted) return;
          state.health.lastError = { at: this.now().toISOString(), message: message(err) };
          // Asked again at the next poll, even where notifications would otherwise leave it for an
          // hour: a change announced during this round must not wait that long.
          state.lastRound = 0;
          throw err;
        }
      } while (state.again && !signal?.aborted);
    };
    state.running = run().finally(() => {
      state.running = undefined;
    });
    return state.running;
  }

  /** A notification or lifecycle event: a round for that target now, if the service is watching. */
  private announce(target: WatchTarget, why: 'notification' | 'missed' | 'resubscribed'): void {
    const state = this.states.get(targetKey(target));
    if (!state || !this.sink || this.watchSignal?.aborted) return;
    this.logger.debug({ target: targetName(target), why }, 'Microsoft 365 announced a change');
    this.runTarget(state, this.sink, this.watchSignal, 'change').catch((err: unknown) => {
      this.logger.warn({ target: targetName(target), error: message(err) }, 'a round after a Microsoft 365 notification failed; the next round will try again');
    });
  }

  /** The mailbox a target's requests go to. */
  private mailboxOf(target: WatchTarget): string {
    return target.kind === 'mail' ? target.mailbox : (this.settings.calendars.find((c) => c.id === target.calendarId)?.mailbox ?? '');
  }

  /** A target's stored link, relative to Graph's base address (as a $batch step names it). */
  private async firstRequest(target: WatchTarget): Promise<{ link: string; prefer: string; step: string } | undefined> {
    let first: { link: string; prefer: string } | undefined;
    if (target.kind === 'mail') {
      const mailbox = this.settings.mailboxes.find((m) => m.address === target.mailbox);
      first = mailbox ? await this.mail.firstRequest(mailbox, target.folder) : undefined;
    } else {
      const calendar = this.settings.calendars.find((c) => c.id === target.calendarId);
      first = calendar ? await this.calendar.firstRequest(calendar) : undefined;
    }
    const base = `${this.settings.graphBaseUrl}/`;
    // The link is taken as Graph wrote it; only the base address in front of it is left out.
    return first !== undefined && first.link.startsWith(base) ? { ...first, step: first.link.slice(base.length - 1) } : undefined;
  }

  /**
   * Asks every due target of one mailbox for its changes. When several have stored links, their
   * first requests go in one $batch: an idle mailbox then costs one request a poll however many
   * folders and calendars it has. Each target's round starts from its answer (a step that failed
   * is left to the round, which asks again and deals with the failure: a 410 reads afresh).
   */
  private async pollMailbox(mailbox: string, group: TargetState[], sink: RecordSink, signal?: AbortSignal): Promise<{ state: TargetState; error: unknown }[]> {
    const answers = new Map<TargetState, FirstPage>();
    const idle = group.filter((s) => s.running === undefined);
    if (idle.length >= 2) {
      const firsts = await Promise.all(idle.map((s) => this.firstRequest(s.target)));
      const steps = idle.flatMap((_, i) => {
        const f = firsts[i];
        return f ? [{ id: String(i), method: 'GET' as const, url: f.step, headers: { Prefer: f.prefer } }] : [];
      });
      if (steps.length >= 2) {
        try {
          const got = await this.transport.batch(mailbox, steps, `asking ${mailbox} for changes`, signal);
          for (const step of steps) {
            const i = Number(step.id);
            const answer = got.get(step.id);
            const state = idle[i];
            const f = firsts[i];
            if (answer?.status === 200 && state && f) answers.set(state, { link: f.link, page: answer.body });
          }
        } catch (err) {
          if (err instanceof GraphSignInError) throw err;
          // Each round asks for itself below.
        }
      }
    }
    const results = await Promise.allSettled(group.map((s) => this.runTarget(s, sink, signal, 'poll', answers.get(s))));
    return results.flatMap((r, i) => (r.status === 'rejected' && group[i] ? [{ state: group[i], error: r.reason as unknown }] : []));
  }

  /** Runs the given targets, mailbox by mailbox side by side (the transport keeps each mailbox to four requests); collects failures. */
  private async rounds(states: TargetState[], sink: RecordSink, signal?: AbortSignal): Promise<{ failed: { state: TargetState; error: unknown }[] }> {
    const byMailbox = new Map<string, TargetState[]>();
    for (const s of states) {
      const mailbox = this.mailboxOf(s.target);
      byMailbox.set(mailbox, [...(byMailbox.get(mailbox) ?? []), s]);
    }
    const settled = await Promise.allSettled([...byMailbox].map(([mailbox, group]) => this.pollMailbox(mailbox, group, sink, signal)));
    const failed: { state: TargetState; error: unknown }[] = [];
    settled.forEach((r, i) => {
      if (r.status === 'fulfilled') failed.push(...r.value);
      else for (const state of [...byMailbox.values()][i] ?? []) failed.push({ state, error: r.reason });
    });
    for (const f of failed) {
      this.logger.warn({ target: targetName(f.state.target), error: message(f.error) }, 'reading from Microsoft 365 failed; the other mailboxes go on and this one is tried again at the next round');
    }
    return { failed };
  }

  private async subscribe(signal?: AbortSignal): Promise<void> {
    if (!this.subscriptions || this.subscribed) return;
    try {
      await this.subscriptions.ensure(this.targets, signal);
      this.subscribed = true;
    } catch (err) {
      if (err instanceof GraphSignInError) throw err;
      this.logger.warn({ error: message(err) }, 'Microsoft 365 change notifications could not be set up; Wardwatch polls instead');
    }
  }

  async sync(sink: RecordSink): Promise<void> {
    // Subscribe first: a change made while the first rounds read is then announced, not left for the hourly safety round.
    await this.subscribe();
    const states = [...this.states.values()];
    const { failed } = await this.rounds(states, sink);
    const signIn = failed.find((f) => f.error instanceof GraphSignInError);
    if (signIn) throw signIn.error;
    if (failed.length > 0 && failed.length === states.length) {
      throw new Error(failed.map((f) => message(f.error)).filter((m, i, all) => all.indexOf(m) === i).join(' '));
    }
  }

  async watch(sink: RecordSink, signal: AbortSignal): Promise<void> {
    this.sink = sink;
    this.watchSignal = signal;
    const tick = Math.min(this.settings.pollMs, this.safetyRoundMs);
    while (!signal.aborted) {
      await pause(tick, signal);
      if (signal.aborted) break;
      await this.subscribe(signal);
      const now = this.now().getTime();
      const dueMailboxes = new Set(
        [...this.states.values()]
          .filter((s) => {
            // A target with a live subscription is told of changes: it is asked anyway, but seldom.
            const interval = this.subscriptions?.isCovered(s.target) ? this.safetyRoundMs : this.settings.pollMs;
            return now - s.lastRound >= interval - 50;
          })
          .map((s) => this.mailboxOf(s.target)),
      );
      // A mailbox with anything due is asked for all of it: in one $batch, that costs no more.
      const due = [...this.states.values()].filter((s) => dueMailboxes.has(this.mailboxOf(s.target)));
      const { failed } = await this.rounds(due, sink, signal);
      const signIn = failed.find((f) => f.error instanceof GraphSignInError);
      if (signIn) throw signIn.error;
    }
    this.sink = undefined;
  }

  health(): SourceHealth[] {
    const signIn = this.transport.signInProblem();
    const parts = [...this.states.values()].map((s) => ({ ...s.health }));
    return signIn ? [{ source: 'graph', lastError: { at: this.now().toISOString(), message: signIn } }, ...parts] : parts;
  }

  routes(): readonly WebhookRoute[] {
    return this.subscriptions?.routes() ?? [];
  }

  jobs(): readonly ScheduledJob[] {
    return this.subscriptions?.jobs() ?? [];
  }

  async close(): Promise<void> {
    await this.subscriptions?.close();
    await this.transport.close();
  }
}

/** The connector as the service sees it: a source, a sender, the editor of its calendars, routes and jobs. */
export function createGraphConnector(options: GraphConnectorOptions): ConnectorInstance {
  const connector = new GraphConnector(options.settings, options.cursors, options.logger, options);
  return {
    name: connector.name,
    source: connector,
    calendars: { editor: connector.editor, ids: options.settings.calendars.map((c) => c.id) },
    sender: connector.sender,
    health: () => connector.health(),
    routes: connector.routes(),
    jobs: connector.jobs(),
    close: () => connector.close(),
  };
}

