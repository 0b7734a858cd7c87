/**
 * The action executor: carries out one outbox effect. Used as `outbox.runDue(createExecutor(deps))`.
 *
 * - nudge, warn, notify, notify-clerk, route-to-clerk: one message to the effect's recipient,
 *   rendered from the effect's template (a routed copy attaches the original as message/rfc822);
 *   the per-person `daily-summary` lists the nudges folded into it.
 * - invite: adds the member to the organiser's event where the calendar's source can, and sends
 *   the `invitation` message; otherwise the message carries an iMIP REQUEST (RFC 6047) for the event.
 * - block: declines the room booking where the source can and tells the organiser
 *   (`booking-declined`); otherwise warns the organiser and asks the Clerk, in one message, to
 *   decline it by hand (the finding's own notice to the Clerk when it has one).
 *
 * Every message carries the effect's Message-ID (a second message of the same effect a derived one)
 * and its X-Wardwatch-Key header. The Clerk's cover text of an effect (written while it awaited
 * review) goes after the greeting of the message to the effect's addressee, never into a note to
 * the Clerk. `preview` renders the message an effect would send, exactly as it would be sent,
 * without sending anything or changing anything. A finding the Clerk has settled since its effect
 * was planned (dismissed, authorised, covered by an exception) is not acted on. An error worth retrying is thrown as it is (the outbox backs off);
 * one that retrying cannot cure is a PermanentEffectError. Nothing logged holds a message body.
 */
import { errorMessage } from '../model/error-message.js';
import type { ActionKind, Config } from '../config/schema.js';
import { isRuleId, rulesById } from '../rules/index.js';
import { actionSpec } from './kinds/index.js';
import type { ActionCarrier } from './kinds/types.js';
import type { Engine } from '../engine/engine.js';
import type { Finding } from '../engine/types.js';
import type { Address } from '../items/types.js';
import { effectMessageId, serviceDomainOf, threadingIdOf, threadOf, type MailThread } from '../outbox/idempotency.js';
import { PermanentEffectError, SendInDoubtError, type EffectExecutor } from '../outbox/outbox.js';
import type { CalendarEditor, EventRef, MailSender, OutgoingMessage } from '../sources/types.js';
import { DAILY_SUMMARY_RULE, type EffectRow, type EventSummary, type Store } from '../store/types.js';
import type { FoldedNudge, TemplateData } from '../templates/data.js';
import { isTemplateName } from '../templates/names.js';
import { formatWhen } from '../templates/wording.js';
import { buildInvitationRequest } from '../mime/itip.js';
import { addressOf, calendarName, loadItemDetails, looksAllDay, nameOf, organizerOf, splitEventKey, type ItemDetails } from './item-context.js';
import { CLERK_SUMMARY_TEMPLATE, MessageBuilder, recipientFor, templateNameFor, withCoverText, type FindingContext, type Reader } from './messages.js';
import { settlementOf } from '../review/settle.js';

/** What the executor logs through (pino's logger fits). */
export interface ExecutorLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface ExecutorDeps {
  store: Store;
  engine: Engine;
  config: Config;
  sender: MailSender;
  /** The connected source that holds a calendar, if any (it may be able to add attendees or decline bookings). */
  calendarOwner: (calendarId: string) => CalendarEditor | undefined;
  /** The Clerk's template folder (`templates.dir`, resolved against the config's folder). */
  templatesDir?: string;
  /** The title cited with the council's own clause numbers (its protocol profile's name). */
  protocolTitle?: string;
  now: () => Date;
  logger?: ExecutorLogger;
}

/** Kinds that go to a person (not a room or the digest), so an effect of one without a recipient cannot be carried out. */
function isAddressed(kind: ActionKind): boolean {
  const { addresses } = actionSpec(kind);
  return addresses !== 'room' && addresses !== 'digest-readers';
}
const ORIGINAL_FILENAME = 'original-message.eml';
/** How the audit records a block carried out by warning instead of declining. */
const NOT_DECLINED = 'Not declined:';

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** A message as it would be sent, for the Clerk to read before approving it. */
export interface MessagePreview {
  subject: string;
  text: string;
  to: string[];
}

/** The executor for `outbox.runDue`, which can also show what an effect would send. */
export type PreviewingExecutor = EffectExecutor & {
  /**
   * The (first) message the effect would send, rendered as `execute` would (cover text included),
   * without sending it or changing anything: undefined when it sends none (a declined booking with
   * no organiser to tell, a digest entry, a finding that no longer holds). Throws, with the reason
   * in words, when the message cannot be written (a broken template, say).
   */
  preview(effect: EffectRow): Promise<MessagePreview | undefined>;
};


class Executor {
  private readonly messages: MessageBuilder;
  private readonly serviceDomain: string;
  private readonly timeZone: string;

  /**
   * With `captured`, nothing is carried out: messages are collected there instead of sent, and
   * calendars, notes and the audit are left alone (a preview).
   */
  constructor(
    private readonly deps: ExecutorDeps,
    private readonly captured?: OutgoingMessage[],
  ) {
    this.messages = new MessageBuilder({
      config: deps.config,
      directory: deps.engine.directory,
      ...(deps.templatesDir !== undefined ? { templatesDir: deps.templatesDir } : {}),
      ...(deps.protocolTitle !== undefined ? { protocolTitle: deps.protocolTitle } : {}),
    });
    this.serviceDomain = serviceDomainOf(deps.config.council.serviceAddress);
    this.timeZone = deps.config.council.timezone;
  }

  private get directory(): Engine['directory'] {
    return this.deps.engine.directory;
  }

  async execute(effect: EffectRow): Promise<void> {
    if (this.deps.config.dryRun && this.captured === undefined) {
      throw new Error('Dry run is on, so nothing is sent; this action waits until dry run is turned off.');
    }
    if (effect.rule === DAILY_SUMMARY_RULE) {
      await this.dailySummary(effect);
      return;
    }
    await actionSpec(effect.kind).execute(effect, this.carrier);
  }

  /** The ways of carrying an effect out that each kind's spec chooses between. */
  private readonly carrier: ActionCarrier = {
    message: (effect) => this.withFinding(effect, (fc) => this.message(effect, fc)),
    routedCopy: (effect) => this.withFinding(effect, (fc) => this.routeToClerk(effect, fc)),
    invitation: (effect) => this.withFinding(effect, (fc) => this.invite(effect, fc)),
    declineBooking: (effect) => this.withFinding(effect, (fc) => this.block(effect, fc)),
    // A preview of what is not carried out on its own shows no message.
    refuse: (_effect, why) => (this.captured !== undefined ? Promise.resolve() : Promise.reject(new PermanentEffectError(why))),
  };

  private get previewing(): boolean {
    return this.captured !== undefined;
  }

  /** Carry an effect out with its finding, unless the finding no longer holds or it has nobody to go to. */
  private async withFinding(effect: EffectRow, carryOut: (fc: FindingContext) => Promise<void>): Promise<void> {
    const finding = await this.findingOf(effect);
    if (!finding) {
      await this.note(effect, `Not carried out: the finding no longer holds (the ${effect.itemKey.startsWith('<') ? 'message' : 'event'} changed since), so the ${effect.kind} was not needed.`);
      return;
    }
    const settled = await this.settlementOf(finding);
    if (settled !== undefined) {
      await this.note(effect, `Not carried out: the finding was settled (${settled}) after the ${effect.kind} was planned.`);
      return;
    }
    if (isAddressed(effect.kind) && effect.recipient === '') {
      throw new PermanentEffectError(`The ${effect.kind} has no recipient, so there is nobody to send it to.`);
    }
    await carryOut({ finding, details: await this.details(finding) });
  }

  /** How the finding was settled, in words, when a person (or a standing exception) has settled it. */
  private async settlementOf(finding: Finding): Promise<string | undefined> {
    const settlement = settlementOf(await this.deps.store.listSettlements({ itemKey: finding.item.key, rule: finding.rule }), finding);
    if (settlement === undefined) return undefined;
    switch (settlement.kind) {
      case 'dismissed':
        return `dismissed by ${settlement.actor} as not a breach`;
      case 'authorised':
        return `authorised by ${settlement.actor}`;
      case 'excepted':
        return `covered by a standing exception`;
    }
  }

  /* ------------------------------------------------------------------------------ lookups */

  /** The finding an effect is about: the first of its rule's findings for the item that planned it. */
  private async findingOf(effect: EffectRow): Promise<Finding | undefined> {
    const stored = await this.deps.store.getFindings(effect.itemKey, effect.rule);
    const planned = stored.find((s) =>
      s.finding.actions.some((a) => a.kind === effect.kind && (effect.recipient === '' || a.to.some((t) => t.toLowerCase() === effect.recipient))),
    );
    return planned?.finding;
  }

  private details(finding: Finding): Promise<ItemDetails> {
    return loadItemDetails(
      finding.item,
      { store: this.deps.store, directory: this.directory, calendars: this.deps.engine.calendars, timeZone: this.timeZone },
      finding.targets.occurrence,
    );
  }

  private nowIso(): string {
    return this.deps.now().toISOString();
  }

  private async note(effect: EffectRow, outcome: string): Promise<void> {
    if (this.previewing) return;
    await this.deps.store.noteEffect(effect.id, this.nowIso(), outcome);
    this.deps.logger?.info({ effect: effect.key, kind: effect.kind, rule: effect.rule }, outcome);
  }

  /* ------------------------------------------------------------------------------ sending */

  /** A further message of the same effect gets its own stable Message-ID. */
  private partMessageId(effect: EffectRow, part: string): string {
    return effectMessageId(`${effect.key}|${part}`, this.serviceDomain);
  }

  /** Send unless the sender knows the Message-ID already went out (a retry after a partial success). */
  private async send(effect: EffectRow, message: OutgoingMessage): Promise<void> {
    if (this.captured !== undefined) {
      this.captured.push(message);
      return;
    }
    const { sender } = this.deps;
    const answer = sender.alreadySent !== undefined ? await sender.alreadySent(message.messageId) : false;
    if (answer === true) {
      this.deps.logger?.info({ effect: effect.key, messageId: message.messageId }, 'message already sent earlier; not sent again');
      return;
    }
    // An earlier attempt was cut off mid-send: sending again could make it twice.
    if (answer === 'unknown' && effect.released !== true && (this.deps.config.delivery ?? 'at-most-once') === 'at-most-once') {
      throw new SendInDoubtError(`An earlier attempt at this message (Message-ID ${message.messageId}) was cut off mid-send and the mail server cannot say whether it took it.`);
    }
    await sender.send(message);
    this.deps.logger?.info(
      { effect: effect.key, kind: effect.kind, rule: effect.rule, to: message.to.map((a) => a.address), messageId: message.messageId, sender: sender.name },
      'message sent',
    );
  }

  /**
   * The message, rendered and addressed. The effect's cover text goes into it unless it is a note
   * to the Clerk written alongside (`forClerk`), which the cover text was not written for.
   */
  private async compose(
    name: string,
    data: TemplateData,
    to: Address,
    messageId: string,
    effect: EffectRow,
    extras: Parameters<MessageBuilder['outgoing']>[3] = {},
    options: { forClerk?: boolean } = {},
  ): Promise<OutgoingMessage> {
    const thread = await this.threadOf(effect);
    const rendered = this.messages.render(name, data);
    const worded = options.forClerk === true ? rendered : withCoverText(rendered, effect.coverText);
    return this.messages.outgoing(worded, to, { messageId, key: effect.key, ...(thread ? { thread } : {}) }, extras);
  }

  /** The message an effect is about, to thread under (none for an event, a matter or a day). */
  private async threadOf(effect: EffectRow): Promise<MailThread | undefined> {
    if (threadingIdOf(effect.itemKey) === undefined) return undefined;
    let references: readonly string[] = [];
    try {
      references = (await this.deps.store.getMailHeadline(effect.itemKey))?.references ?? [];
    } catch {
      // An unreadable headline: the message still threads under the Message-ID itself.
    }
    return threadOf(effect.itemKey, references);
  }

  /** The data the named template needs for a message about a finding. */
  private dataFor(name: string, fc: FindingContext, recipient: Reader): TemplateData {
    if (!isTemplateName(name)) return this.messages.base(fc, recipient);
    switch (name) {
      case 'clerk-notice':
        return this.messages.clerkNotice(fc, recipient, []);
      case 'authorisation-request':
        return this.messages.authorisationRequest(fc, recipient, this.deps.engine.settings.get(fc.finding.rule)?.options);
      case 'invitation':
        return this.messages.invitation(fc, recipient);
      default:
        return name.endsWith('.notify') ? this.messages.notice(name, fc, recipient) : this.messages.base(fc, recipient);
    }
  }

  private templateOf(effect: EffectRow, fallback: string): string {
    return templateNameFor(effect.payload.template, effect.rule) ?? fallback;
  }

  /* ------------------------------------------------------------------------------ kinds */

  /** nudge, warn, notify, notify-clerk: one message to the effect's recipient. */
  private async message(effect: EffectRow, fc: FindingContext): Promise<void> {
    const recipient = recipientFor(this.directory, effect.recipient);
    const name = this.templateOf(effect, effect.kind === 'notify-clerk' ? 'clerk-notice' : fc.finding.rule);
    let data: TemplateData;
    if (name === 'clerk-notice') {
      const report = await this.clerkReport(effect, fc);
      data = this.messages.clerkNotice(fc, recipient, report.done, report.toDo);
    } else {
      data = this.dataFor(name, fc, recipient);
    }
    await this.send(effect, await this.compose(name, data, recipient, effect.messageId, effect));
  }

  /** route-to-clerk: the cover note with the original attached, or saying why it could not be. */
  private async routeToClerk(effect: EffectRow, fc: FindingContext): Promise<void> {
    const recipient = recipientFor(this.directory, effect.recipient);
    const name = this.templateOf(effect, 'routed-copy');
    const original = fc.details.original;
    const report = await this.clerkReport(effect, fc);
    const actions = [...report.done, ...report.toDo];
    let attachment = ORIGINAL_FILENAME;
    if (!original) {
      const why = fc.details.missing ?? 'Wardwatch no longer holds a copy of the message';
      attachment = `not attached: ${why}`;
      actions.unshift(`The original message could not be attached, because ${why}; it is still in the sender’s mailbox.`);
    }
    const data = name === 'routed-copy' ? this.messages.routedCopy(fc, recipient, attachment, actions) : this.dataFor(name, fc, recipient);
    const extras = original ? { attachments: [{ filename: ORIGINAL_FILENAME, contentType: 'message/rfc822', content: original }] } : {};
    await this.send(effect, await this.compose(name, data, recipient, effect.messageId, effect, extras));
  }

  /** invite: add the member to the organiser's event where possible, else an iMIP REQUEST by mail. */
  private async invite(effect: EffectRow, fc: FindingContext): Promise<void> {
    const recipient = recipientFor(this.directory, effect.recipient);
    const member = addressOf(this.directory, recipient.address);
    const event = fc.details.event;
    const calendarId = effect.payload.calendarId ?? event?.calendarId;
    const owner = calendarId !== undefined ? this.deps.calendarOwner(calendarId) : undefined;
    const name = this.templateOf(effect, 'invitation');
    const data = this.dataFor(name, fc, recipient);
    // The invitation would carry the event's ORGANIZER: replies from a council member would go to
    // someone outside the Council, under its name. (The rule asks the Clerk instead; this holds
    // for an invitation planned before that, too.)
    if (event?.organizer !== undefined && this.directory.isExternal(event.organizer)) {
      throw new PermanentEffectError(
        `${recipient.name} was not invited: the event is organised by ${event.organizer}, who is outside the Council, and replies to the invitation would go to them. Please check the event and invite the member yourself if it is the Council's meeting.`,
      );
    }

    if (owner?.capabilities.addAttendees === true && calendarId !== undefined) {
      if (!this.previewing) await owner.addAttendees(this.eventRef(calendarId, fc.finding.item.key, event), [member]);
      await this.note(effect, `${recipient.name} was added to the event on the ${owner.name} calendar ${calendarId}.`);
      await this.send(effect, await this.compose(name, data, recipient, effect.messageId, effect));
      return;
    }
    if (!event) {
      throw new PermanentEffectError(
        `${recipient.name} could not be invited: ${fc.details.missing ?? 'the event is not known'}, so no calendar invitation can be made. Please invite them by hand.`,
      );
    }
    const { uid, recurrenceId } = splitEventKey(event.key);
    const ics = buildInvitationRequest({
      event: {
        uid,
        ...(recurrenceId !== undefined ? { recurrenceId } : {}),
        sequence: event.sequence ?? 0,
        start: event.start,
        end: event.end,
        allDay: event.allDay ?? looksAllDay(event.start, event.end, this.timeZone),
        summary: event.summary,
        location: event.location,
        ...(event.organizer !== undefined ? { organizer: organizerOf(this.directory, event) } : {}),
      },
      attendee: member,
      fallbackOrganizer: this.messages.from,
      timeZone: this.timeZone,
      now: this.deps.now(),
      description: `${this.deps.config.council.name} invites the members for the wards concerned to its public meetings.`,
    });
    await this.send(effect, await this.compose(name, data, recipient, effect.messageId, effect, { calendar: { method: 'REQUEST', content: ics } }));
  }

  /** block: decline the room booking where the source can; otherwise warn the organiser and tell the Clerk. */
  private async block(effect: EffectRow, fc: FindingContext): Promise<void> {
    const { finding } = fc;
    const calendarId = effect.payload.calendarId ?? finding.targets.room?.calendarId;
    if (calendarId === undefined) throw new PermanentEffectError('The booking cannot be declined: the finding names no room calendar.');
    const room = calendarName(this.deps.engine.calendars, calendarId);
    const roomAddress = finding.targets.room?.address ?? this.deps.engine.calendars.get(calendarId)?.address;
    const owner = this.deps.calendarOwner(calendarId);
    const organiser = finding.targets.offender !== undefined ? recipientFor(this.directory, finding.targets.offender) : undefined;

    if (owner?.capabilities.declineBooking === true) {
      // For a recurring series, only the occurrence concerned is declined.
      const ref = this.eventRef(calendarId, finding.item.key, fc.details.event);
      const occurrence = finding.targets.occurrence;
      const target = ref.recurrenceId === undefined && occurrence !== undefined ? { ...ref, recurrenceId: occurrence.recurrenceId } : ref;
      if (!this.previewing) await owner.declineBooking(target, roomAddress, this.declineReason(finding));
      await this.note(effect, `The booking of ${room} was declined on the ${owner.name} calendar.`);
      if (!organiser) {
        await this.note(effect, 'The organiser is not known, so nobody was told that the booking was declined.');
        return;
      }
      const period = this.messages.period(this.deps.engine.elections, fc, this.timeZone, this.nowIso());
      const name = this.templateOf(effect, 'booking-declined');
      const data = name === 'booking-declined' ? this.messages.bookingDeclined(fc, organiser, room, period) : this.dataFor(name, fc, organiser);
      await this.send(effect, await this.compose(name, data, organiser, effect.messageId, effect));
      return;
    }

    const why = this.cannotDeclineBecause(calendarId);
    if (organiser) {
      const warning = await this.compose(finding.rule, this.messages.base(fc, organiser), organiser, effect.messageId, effect);
      await this.send(effect, warning);
    }
    // One message to the Clerk per booking: the finding's own notice to the Clerk, when it has one,
    // says that the booking must be declined by hand (see clerkReport); otherwise this one does.
    const clerkNotices = (await this.deps.store
      .listEffects({ itemKey: effect.itemKey }))
      .filter((e) => e.rule === effect.rule && e.kind === 'notify-clerk' && e.state !== 'failed');
    let toldBy = 'the notice to the Clerk about this finding';
    if (clerkNotices.length === 0) {
      const report = await this.clerkReport(effect, fc);
      const clerks = this.directory.clerks().map((p) => p.id);
      const notify = clerks.length > 0 ? clerks : this.deps.config.digest.to;
      for (const clerk of notify) {
        const recipient = recipientFor(this.directory, clerk);
        const data = this.messages.clerkNotice(fc, recipient, report.done, report.toDo);
        await this.send(effect, await this.compose('clerk-notice', data, recipient, this.partMessageId(effect, `clerk:${recipient.address}`), effect, {}, { forClerk: true }));
      }
      toldBy = 'a note from this action';
    }
    await this.note(
      effect,
      `${NOT_DECLINED} the booking of ${room} could not be declined automatically (${why}); ${organiser ? `${organiser.name} was warned, and ` : ''}the Clerk is asked to decline it by hand in ${toldBy}.`,
    );
  }

  /** Why the booking on a calendar cannot be declined automatically; undefined when it can. */
  private cannotDeclineBecause(calendarId: string): string {
    const room = calendarName(this.deps.engine.calendars, calendarId);
    const owner = this.deps.calendarOwner(calendarId);
    return owner
      ? `the ${owner.name} source that holds the ${room} calendar cannot decline bookings`
      : `Wardwatch is not connected to the ${room} calendar (${calendarId}) in a way that lets it decline bookings`;
  }

  /** The daily summary: one message listing the nudges folded into it. */
  private async dailySummary(effect: EffectRow): Promise<void> {
    const recipient = recipientFor(this.directory, effect.recipient);
    const folded = await this.deps.store.listEffects({ foldedInto: effect.key, states: ['folded'] });
    const nudges: FoldedNudge[] = [];
    for (const f of folded) {
      if (!isRuleId(f.rule)) continue;
      const finding = await this.findingOf(f);
      if (!finding) continue;
      // Settled since it folded (dismissed, authorised, excepted): no longer a reminder to send.
      if ((await this.settlementOf(finding)) !== undefined) continue;
      const details = await this.details(finding);
      nudges.push(this.messages.folded(f.rule, finding.summary, finding.clauses, details, recipient));
    }
    if (nudges.length === 0) {
      await this.note(effect, `Nothing to send: none of the reminders folded into ${recipient.name}'s summary still applies.`);
      return;
    }
    const day = effect.payload.day ?? effect.itemKey;
    // The Clerk's summary gathers routed copies and notices, not reminders to do better.
    const name = this.directory.person(recipient.address)?.role === 'clerk' ? CLERK_SUMMARY_TEMPLATE : this.templateOf(effect, 'nudge-summary');
    const data = this.messages.summary(recipient, day, this.timeZone, nudges);
    await this.send(effect, await this.compose(name, data, recipient, effect.messageId, effect));
  }

  /* ------------------------------------------------------------------------------ helpers */

  /**
   * The event as its source knows it: the calendar, UID and occurrence, and — when the stored
   * summary is of an event on that very calendar — where the source keeps it (the CalDAV href)
   * and the ETag that was judged. Otherwise (a booking on a room calendar of an event read from
   * another calendar, or a summary stored before Wardwatch kept the href) `origin` is empty and
   * the connector finds the event by its UID.
   */
  private eventRef(calendarId: string, itemKey: string, event: EventSummary | undefined): EventRef {
    const { uid, recurrenceId } = splitEventKey(itemKey);
    const here = event !== undefined && event.calendarId === calendarId ? event : undefined;
    return {
      calendarId,
      uid,
      ...(recurrenceId !== undefined ? { recurrenceId } : {}),
      origin: here?.origin ?? '',
      ...(here?.etag !== undefined ? { etag: here.etag } : {}),
    };
  }

  private declineReason(finding: Finding): string {
    const what = rulesById.get(finding.rule)?.meta.declineReason ?? finding.summary.replace(/\.$/, '');
    return `Declined by ${this.deps.config.council.name}: ${what} (${this.messages.clauseText(finding.clauses)}).`;
  }

  /**
   * What was (or is being) done about the same finding, and what the Clerk must do by hand, in
   * sentences for the Clerk. A room booking is described as it really stands: declined, being
   * declined, or — where Wardwatch cannot or could not decline it — a job for the Clerk, so that a
   * notice never says both "please decline it by hand" and "there is nothing you need to do".
   */
  private async clerkReport(effect: EffectRow, fc: FindingContext): Promise<{ done: string[]; toDo: string[] }> {
    const now = this.deps.now().getTime();
    const done: string[] = [];
    const toDo: string[] = [];
    let digest = false;
    const related = (await this.deps.store.listEffects({ itemKey: effect.itemKey })).filter((e) => e.rule === effect.rule);
    for (const e of related) {
      if (e.kind === 'block') {
        const block = await this.describeBlock(e, fc);
        done.push(block.done);
        if (block.toDo !== undefined) toDo.push(block.toDo);
        continue;
      }
      if (e.key === effect.key) continue;
      if (e.kind === 'notify-clerk' || e.kind === 'route-to-clerk') continue;
      if (e.kind === 'digest') {
        digest = true;
        continue;
      }
      const line = this.describe(e, now);
      if (line !== undefined) done.push(line);
    }
    if (digest) done.push('It will be listed in the next daily digest.');
    return { done, toDo };
  }

  /** A room booking's state for the Clerk, and what they must do when Wardwatch cannot decline it. */
  private async describeBlock(e: EffectRow, fc: FindingContext): Promise<{ done: string; toDo?: string }> {
    const calendarId = e.payload.calendarId ?? fc.finding.targets.room?.calendarId;
    const room = calendarId !== undefined ? calendarName(this.deps.engine.calendars, calendarId) : 'the room';
    const organiser = fc.finding.targets.offender !== undefined ? nameOf(this.directory, fc.finding.targets.offender) : undefined;
    const byHand = `Please decline the booking of ${room} by hand, in the room’s calendar, if it should not go ahead${organiser !== undefined ? `, and let ${organiser} know` : ''}.`;
    const canDecline = calendarId !== undefined && this.deps.calendarOwner(calendarId)?.capabilities.declineBooking === true;
    const cannot = calendarId !== undefined ? this.cannotDeclineBecause(calendarId) : 'the finding names no room calendar';
    switch (e.state) {
      case 'done': {
        const fellBack = (await this.deps.store.listAudit({ effectKey: e.key })).some((a) => a.outcome.startsWith(NOT_DECLINED));
        if (fellBack) {
          return { done: `The booking of ${room} could not be declined automatically, because ${cannot}${organiser !== undefined ? `; ${organiser} was sent a warning instead` : ''}.`, toDo: byHand };
        }
        return { done: `The booking of ${room} was declined${organiser !== undefined ? `, and ${organiser} was told why` : ''}.` };
      }
      case 'failed':
        return { done: `Wardwatch tried to decline the booking of ${room} but could not${e.lastError !== undefined ? ` (${e.lastError})` : ''}.`, toDo: byHand };
      case 'skipped-dry-run':
        return { done: `The booking of ${room} would have been declined, but Wardwatch is in dry run, so nothing was changed.`, toDo: byHand };
      default:
        if (canDecline) return { done: `The booking of ${room} is being declined${organiser !== undefined ? `, and ${organiser} will be told why` : ''}.` };
        return { done: `The booking of ${room} cannot be declined automatically, because ${cannot}${organiser !== undefined ? `; ${organiser} is being sent a warning instead` : ''}.`, toDo: byHand };
    }
  }

  private describe(e: EffectRow, now: number): string | undefined {
    const noun = actionSpec(e.kind).reportedAs;
    if (noun === undefined) return undefined;
    const who = nameOf(this.directory, e.recipient);
    switch (e.state) {
      case 'done':
        return `${capitalise(noun)} was sent to ${who}.`;
      case 'failed':
        return `${capitalise(noun)} to ${who} could not be sent; it is listed in the daily digest.`;
      case 'folded':
        return `${capitalise(noun)} to ${who} will go in their daily summary.`;
      case 'skipped-dry-run':
        return `${capitalise(noun)} to ${who} would have been sent (dry run).`;
      case 'awaiting-review':
        return `${capitalise(noun)} to ${who} is waiting for your approval before it is sent.`;
      case 'pending':
      case 'sending': {
        const due = Date.parse(e.nextAttemptAt);
        return due > now ? `${capitalise(noun)} to ${who} will be sent on ${formatWhen(e.nextAttemptAt, this.timeZone)}.` : `${capitalise(noun)} is being sent to ${who}.`;
      }
    }
  }
}

/** The executor for `outbox.runDue`, with `preview` for the Clerk's review. */
export function createExecutor(deps: ExecutorDeps): PreviewingExecutor {
  const executor = new Executor(deps);
  const execute: EffectExecutor = async (effect) => {
    try {
      await executor.execute(effect);
    } catch (err) {
      deps.logger?.warn({ effect: effect.key, kind: effect.kind, rule: effect.rule, attempt: effect.attempts, error: errorMessage(err) }, 'action not carried out');
      throw err;
    }
  };
  const preview = async (effect: EffectRow): Promise<MessagePreview | undefined> => {
    const captured: OutgoingMessage[] = [];
    // A fresh executor per preview: its messages are its own, whatever else runs meanwhile.
    await new Executor(deps, captured).execute(effect);
    const first = captured[0];
    if (first === undefined) return undefined;
    return { subject: first.subject, text: first.text, to: first.to.map((a) => a.address) };
  };
  return Object.assign(execute, { preview });
}
