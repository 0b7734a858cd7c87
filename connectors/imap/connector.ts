/**
 * The standards connector: IMAP for the watched mailboxes, SMTP for Wardwatch's own mail, and
 * CalDAV for calendars. It is a SourceConnector (sync, watch, invite, block) and a MailSender
 * (the `sender: { kind: connector, connector: imap }` setting).
 *
 *   const connector = createImapConnector(resolveImapSettings(config), store, logger);
 */
import type { Address } from '../../src/items/types.js';
import { PermanentEffectError } from '../../src/outbox/outbox.js';
import type { CursorStore, EventRef, MailSender, OutgoingMessage, RecordSink, SenderProblem, SentAnswer, SourceConnector, SourceHealth } from '../../src/sources/types.js';
import { CaldavSource } from './caldav.js';
import type { FetchFunction } from './caldav-http.js';
import type { ImapSettings } from './config.js';
import { ConnectorError } from './errors.js';
import { addAttendees, declineRoom, type EventTarget } from './ical-edit.js';
import { cancellationMessages, declinedReplyMessage, invitationMessage, type ImipContext } from './imip.js';
import { errorText, silentLogger, type ConnectorLogger } from './logger.js';
import { ImapMailSource } from './mail-source.js';
import { SmtpSender } from './smtp-sender.js';

export { ImapConnectorSchema, ImapConfigError, parseImapSettings, resolveImapSettings, type ImapSettings } from './config.js';
export { ConnectorError } from './errors.js';
export type { ConnectorLogger } from './logger.js';

export interface ImapConnector extends SourceConnector, MailSender {
  readonly name: 'imap';
  /** True when SMTP is configured, so `send` can work. */
  readonly canSend: boolean;
  /** The calendars this connector reads and writes (its CalDAV calendars' ids). */
  readonly calendarIds: readonly string[];
  /**
   * Looks in the service mailbox's Sent folder. Absent without SMTP settings or without IMAP
   * access to the service mailbox: then nothing can tell whether a message went.
   */
  alreadySent?: (messageId: string) => Promise<SentAnswer>;
  /** Wardwatch's messages already in the service mailbox's Sent folder, in a sentence (see MailSender). */
  earlierSending(): Promise<string | undefined>;
  /** The last success and error of every folder and calendar. */
  health(): SourceHealth[];
}

export interface ImapConnectorOptions {
  /** HTTP client for CalDAV (the global fetch by default). */
  fetch?: FetchFunction;
  /** The clock, for the backfill window, DTSTAMPs and Date headers. */
  now?: () => Date;
}

function targetOf(ref: EventRef): EventTarget {
  return ref.recurrenceId ? { uid: ref.uid, recurrenceId: ref.recurrenceId } : { uid: ref.uid };
}

class StandardsConnector implements ImapConnector {
  readonly name = 'imap';
  readonly capabilities: { addAttendees: boolean; declineBooking: boolean };
  readonly canSend: boolean;
  readonly calendarIds: readonly string[];
  alreadySent?: (messageId: string) => Promise<SentAnswer>;
  problem?: () => SenderProblem | undefined;
  readiness?: () => Promise<string | undefined>;
  private readonly mail: ImapMailSource;
  private readonly calendars: CaldavSource | undefined;
  private readonly smtp: SmtpSender | undefined;
  private readonly imip: ImipContext;
  private readonly logger: ConnectorLogger;
  private readonly now: () => Date;
  /** Between polls of the CalDAV calendars. */
  private readonly pollMs: number;

  constructor(settings: ImapSettings, cursors: CursorStore, logger: ConnectorLogger, options: ImapConnectorOptions) {
    this.logger = logger;
    this.now = options.now ?? (() => new Date());
    this.pollMs = settings.caldav?.pollMs ?? settings.recheckMs;
    this.mail = new ImapMailSource({ settings, cursors, logger, now: this.now });
    this.calendars = settings.caldav
      ? new CaldavSource({
          settings: settings.caldav,
          source: settings.source,
          cursors,
          logger,
          now: this.now,
          ...(options.fetch ? { fetch: options.fetch } : {}),
        })
      : undefined;
    this.smtp = settings.smtp
      ? new SmtpSender({
          smtp: settings.smtp,
          ...(settings.service
            ? { sentMailbox: { server: settings.server, credentials: settings.service, address: settings.serviceAddress, ...(settings.sentFolder ? { sentFolder: settings.sentFolder } : {}) } }
            : {}),
          logger,
          now: this.now,
        })
      : undefined;
    this.capabilities = { addAttendees: this.calendars !== undefined, declineBooking: this.calendars !== undefined };
    this.canSend = this.smtp !== undefined;
    const smtp = this.smtp;
    if (smtp?.checksSent) this.alreadySent = (messageId) => smtp.alreadySent(messageId);
    if (smtp) {
      this.problem = () => smtp.problem();
      this.readiness = () => smtp.readiness();
    }
    this.calendarIds = settings.caldav?.calendars.map((c) => c.id) ?? [];
    this.imip = { serviceAddress: settings.serviceAddress, councilName: settings.councilName, timeZone: settings.timeZone };
  }

  async sync(sink: RecordSink): Promise<void> {
    const failures: string[] = [];
    try {
      await this.mail.sync(sink);
    } catch (err) {
      if (!(err instanceof ConnectorError)) throw err;
      failures.push(err.message);
    }
    if (this.calendars) {
      try {
        await this.calendars.sync(sink);
      } catch (err) {
        if (!(err instanceof ConnectorError)) throw err;
        failures.push(err.message);
      }
    }
    if (failures.length > 0) throw new ConnectorError(failures.join(' '));
  }

  async watch(sink: RecordSink, signal: AbortSignal): Promise<void> {
    const loops = [this.mail.watch(sink, signal)];
    if (this.calendars) loops.push(this.calendars.watch(sink, signal, this.pollMs));
    await Promise.all(loops);
  }

  health(): SourceHealth[] {
    return [...this.mail.health(), ...(this.calendars?.health() ?? [])];
  }

  private requireCalendars(what: string): CaldavSource {
    if (!this.calendars) throw new ConnectorError(`${what} needs the CalDAV settings (connectors.imap.caldav).`);
    return this.calendars;
  }

  /**
   * Sends an iMIP message unless it demonstrably went out before (`checkFirst`). A failure is
   * logged and thrown, so the outbox tries the action again: the calendar change is then found
   * made already and only the mail goes out.
   */
  private async notify(message: OutgoingMessage, checkFirst: boolean): Promise<void> {
    if (!this.smtp) {
      this.logger.warn({ to: message.to.map((a) => a.address), subject: message.subject }, 'No SMTP settings: the calendar notice was not mailed');
      return;
    }
    try {
      if (checkFirst && (await this.smtp.alreadySent(message.messageId)) === true) return;
      await this.smtp.send(message);
    } catch (err) {
      this.logger.error({ to: message.to.map((a) => a.address), error: errorText(err) }, 'The calendar notice could not be sent');
      throw err;
    }
  }

  /** Runs a calendar action; a failure that trying again cannot cure is marked so for the outbox. */
  private async action(work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (err) {
      if (err instanceof ConnectorError && err.permanent) throw new PermanentEffectError(err.message);
      throw err;
    }
  }

  addAttendees(ref: EventRef, attendees: Address[]): Promise<void> {
    return this.action(() => this.inviteAttendees(ref, attendees));
  }

  declineBooking(ref: EventRef, roomAddress: string | undefined, reason: string): Promise<void> {
    return this.action(() => this.declineRoomBooking(ref, roomAddress, reason));
  }

  private async inviteAttendees(ref: EventRef, attendees: Address[]): Promise<void> {
    const calendars = this.requireCalendars('Adding attendees to an event');
    const target = targetOf(ref);
    const write = await calendars.modify(ref, (ics) => {
      const edit = addAttendees(ics, target, attendees, this.now());
      return { ics: edit.added.length > 0 ? edit.ics : undefined, result: edit };
    });
    const onEvent = new Set(write.result.event.attendees.map((a) => a.address));
    const added = new Set(write.result.added.map((a) => a.address));
    for (const attendee of attendees) {
      const address = attendee.address.toLowerCase();
      if (!onEvent.has(address)) continue;
      // Someone added before (an earlier attempt whose mail failed, or the organiser): send only if it never went out.
      if (!added.has(address) && !this.smtp?.checksSent) continue;
      await this.notify(invitationMessage(this.imip, write.ics, target, { ...attendee, address }, write.result.event), !added.has(address));
    }
  }

  private async declineRoomBooking(ref: EventRef, roomAddress: string | undefined, reason: string): Promise<void> {
    const calendars = this.requireCalendars('Declining a room booking');
    const target = targetOf(ref);
    const write = await calendars.modify(ref, (ics) => {
      const decline = declineRoom(ics, target, roomAddress, reason, this.now());
      return { ics: decline.changed ? decline.ics : undefined, result: decline };
    });
    const { event, outcome, changed } = write.result;
    if (outcome === 'declined' && roomAddress) {
      const reply = declinedReplyMessage(this.imip, write.ics, target, roomAddress, event, reason);
      if (reply) await this.notify(reply, !changed);
    } else {
      for (const notice of cancellationMessages(this.imip, write.ics, target, roomAddress, event, reason)) await this.notify(notice, !changed);
    }
  }

  async send(message: OutgoingMessage): Promise<void> {
    if (!this.smtp) throw new ConnectorError('Sending mail through the IMAP connector needs SMTP settings (connectors.imap.smtp).');
    await this.smtp.send(message);
  }

  async earlierSending(): Promise<string | undefined> {
    return this.smtp?.earlierSending();
  }

  async close(): Promise<void> {
    await this.smtp?.close();
  }
}

/** Builds the connector from resolved settings (see `resolveImapSettings`). */
export function createImapConnector(settings: ImapSettings, cursors: CursorStore, logger: ConnectorLogger = silentLogger, options: ImapConnectorOptions = {}): ImapConnector {
  return new StandardsConnector(settings, cursors, logger, options);
}
