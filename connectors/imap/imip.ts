/**
 * iMIP mail (RFC 6047) that a plain CalDAV server does not send itself: the invitation to an
 * attendee Wardwatch added, the room's "declined" reply to the organiser, and the notice that
 * a booking the room organised is cancelled. Each has a Message-ID fixed by what it is about,
 * so a retry can see that it already went out.
 */
import { createHash } from 'node:crypto';
import type { Address } from '../../src/items/types.js';
import { effectHeaders } from '../../src/outbox/idempotency.js';
import type { OutgoingMessage } from '../../src/sources/types.js';
import { itipMessage, type EventSummary, type EventTarget } from './ical-edit.js';

export interface ImipContext {
  serviceAddress: string;
  councilName: string;
  /** IANA zone for dates in the text (the council's). */
  timeZone: string;
}

function fixedMessageId(ctx: ImipContext, parts: string[]): string {
  const domain = ctx.serviceAddress.split('@')[1] ?? 'wardwatch.invalid';
  const hash = createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 40);
  return `<imip.${hash}@${domain}>`;
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** " on Tuesday 1 June 2027 at 18:00" in the council's zone (the same on every Node version). */
function when(ctx: ImipContext, event: EventSummary): string {
  if (!event.start) return '';
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone: ctx.timeZone,
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(new Date(event.start));
  const part = (type: Intl.DateTimeFormatPartTypes): string => parts.find((p) => p.type === type)?.value ?? '';
  return ` on ${part('weekday')} ${part('day')} ${part('month')} ${part('year')} at ${part('hour')}:${part('minute')}`;
}

function title(event: EventSummary): string {
  return event.summary.trim() || 'an event without a title';
}

function greeting(person: Address | undefined): string {
  return `Dear ${person?.name?.trim() || person?.address || 'colleague'},`;
}

function itemKey(target: EventTarget): string {
  return target.recurrenceId ? `${target.uid}#${target.recurrenceId}` : target.uid;
}

function message(ctx: ImipContext, to: Address, subject: string, paragraphs: string[], key: string, idParts: string[], calendar: OutgoingMessage['calendar']): OutgoingMessage {
  const signature = `Wardwatch, for ${ctx.councilName}`;
  const out: OutgoingMessage = {
    from: { address: ctx.serviceAddress, name: ctx.councilName },
    to: [to],
    subject,
    text: `${paragraphs.join('\n\n')}\n\n${signature}\n`,
    html: `${paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('\n')}\n<p>${escapeHtml(signature)}</p>\n`,
    messageId: fixedMessageId(ctx, idParts),
    headers: effectHeaders(key),
  };
  if (calendar) out.calendar = calendar;
  return out;
}

/** The invitation (METHOD:REQUEST) for one attendee added to the organiser's event. */
export function invitationMessage(ctx: ImipContext, ics: string, target: EventTarget, attendee: Address, event: EventSummary): OutgoingMessage {
  const place = event.location.trim() ? ` at ${event.location.trim()}` : '';
  const organiser = event.organizer ? ` by ${event.organizer.name ?? event.organizer.address}` : '';
  const paragraphs = [
    greeting(attendee),
    `You are invited to "${title(event)}"${place}${when(ctx, event)}. The meeting was arranged${organiser}; the invitation is attached, so you can accept or decline it in your calendar.`,
    `You were added to the invitation by ${ctx.councilName}'s protocol service (${ctx.serviceAddress}). If you have a question about the meeting, please reply to the organiser.`,
  ];
  return message(
    ctx,
    attendee,
    `Invitation: ${title(event)}`,
    paragraphs,
    `imip:REQUEST:${itemKey(target)}:${attendee.address.toLowerCase()}`,
    ['REQUEST', target.uid, target.recurrenceId ?? '', attendee.address.toLowerCase()],
    { method: 'REQUEST', content: itipMessage(ics, target, 'REQUEST') },
  );
}

/** The room's reply (METHOD:REPLY, PARTSTAT=DECLINED) to the organiser of a declined booking. */
export function declinedReplyMessage(ctx: ImipContext, ics: string, target: EventTarget, room: string, event: EventSummary, reason: string): OutgoingMessage | undefined {
  if (!event.organizer) return undefined;
  const paragraphs = [
    greeting(event.organizer),
    `The booking of ${room} for "${title(event)}"${when(ctx, event)} has been declined.`,
    `Reason: ${reason}`,
    'If you think this is a mistake, or would like to discuss another arrangement, please contact the Clerk.',
  ];
  return message(
    ctx,
    event.organizer,
    `Declined: ${title(event)}`,
    paragraphs,
    `imip:REPLY:${itemKey(target)}:${room.toLowerCase()}`,
    ['REPLY', target.uid, target.recurrenceId ?? '', room.toLowerCase()],
    { method: 'REPLY', content: itipMessage(ics, target, 'REPLY', room) },
  );
}

/** The cancellation (METHOD:CANCEL) of a booking the room itself organised, one per attendee. */
export function cancellationMessages(ctx: ImipContext, ics: string, target: EventTarget, room: string | undefined, event: EventSummary, reason: string): OutgoingMessage[] {
  const content = itipMessage(ics, target, 'CANCEL');
  const where = room ? ` in ${room}` : '';
  return event.attendees
    .filter((a) => a.address !== room?.toLowerCase())
    .map((attendee) =>
      message(
        ctx,
        attendee,
        `Cancelled: ${title(event)}`,
        [greeting(attendee), `"${title(event)}"${when(ctx, event)}${where} has been cancelled.`, `Reason: ${reason}`, 'If you have a question, please contact the Clerk.'],
        `imip:CANCEL:${itemKey(target)}:${attendee.address}`,
        ['CANCEL', target.uid, target.recurrenceId ?? '', attendee.address, String(event.sequence)],
        { method: 'CANCEL', content },
      ),
    );
}
