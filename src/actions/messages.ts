/**
 * The messages an effect sends: the template data for each kind of message (from the finding,
 * what the store still knows about the item, and the directory), rendered from templates/, and
 * wrapped as an OutgoingMessage from the council's service address carrying the effect's
 * Message-ID and X-Wardwatch-Key header.
 */
import { z } from 'zod';
import type { Config, RuleId } from '../config/schema.js';
import type { Directory } from '../directory/directory.js';
import type { ElectionCalendar, PreElectionPeriod } from '../elections/types.js';
import type { Finding } from '../engine/types.js';
import type { Address } from '../items/types.js';
import { effectHeaders, type MailThread } from '../outbox/idempotency.js';
import { LocalEffectError, PermanentEffectError } from '../outbox/outbox.js';
import type { OutgoingAttachment, OutgoingMessage } from '../sources/types.js';
import { DAILY_SUMMARY_RULE } from '../store/types.js';
import {
  councilData,
  findingData,
  type AuthorisationRequestData,
  type BookingDeclinedData,
  type ClerkNoticeData,
  type CouncilData,
  type FoldedNudge,
  type InvitationData,
  type NudgeData,
  type NudgeSummaryData,
  type PeriodData,
  type RecipientData,
  type RoutedCopyData,
  type TemplateData,
} from '../templates/data.js';
import { ruleAdvice, ruleTitle } from '../templates/guidance.js';
import { isTemplateName, type TemplateName } from '../templates/names.js';
import { addressedTo, curlyQuotes, Salutations } from '../templates/salutation.js';
import { renderTemplate, TemplateError, type RenderedMessage } from '../templates/render.js';
import { boundedList, DEFAULT_PROTOCOL_TITLE, describeClauses, formatDay, joinList } from '../templates/wording.js';
import { nameOf, type ItemDetails } from './item-context.js';

/** The template of the per-person summary of folded nudges (the outbox calls the effect `daily-summary`). */
export const SUMMARY_TEMPLATE: TemplateName = 'nudge-summary';

/** The template of the Clerk's summary of folded routed copies and notices. */
export const CLERK_SUMMARY_TEMPLATE: TemplateName = 'clerk-summary';

/** Control characters (a line break aside) and the bidirectional overrides that could disguise text. */
const COVER_CONTROLS = /[\u0000-\u0009\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/g;

/** The Clerk's cover text as it goes into a message: line breaks as \n, no other control character, no blank ends. */
export function cleanCoverText(coverText: string): string {
  return coverText.replace(/\r\n?/g, '\n').replace(COVER_CONTROLS, '').trim();
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** The cover text as HTML paragraphs: a blank line starts a new one, a single line break stays one. */
function coverHtml(cover: string): string {
  return cover
    .split(/\n[ \t]*\n+/)
    .map((p) => p.trim())
    .filter((p) => p !== '')
    .map((p) => `<p>${p.split('\n').map((line) => escapeHtml(line.trim())).join('<br>\n')}</p>`)
    .join('\n');
}

/**
 * The rendered message with the Clerk's own paragraph put after its greeting: in the text part
 * after the first paragraph (the first blank line), in the HTML part after the first `</p>`,
 * escaped. The template's wording stays as it is. Without cover text the message is unchanged.
 */
export function withCoverText(rendered: RenderedMessage, coverText: string | undefined): RenderedMessage {
  const cover = coverText === undefined ? '' : cleanCoverText(coverText);
  if (cover === '') return rendered;
  const paragraphs = cover.replace(/\n[ \t]*\n+/g, '\n\n');
  const blank = rendered.text.indexOf('\n\n');
  const text =
    blank >= 0
      ? `${rendered.text.slice(0, blank)}\n\n${paragraphs}\n\n${rendered.text.slice(blank + 2)}`
      : `${paragraphs}\n\n${rendered.text}`;
  const html = coverHtml(cover);
  const closing = rendered.html.indexOf('</p>');
  let withCover: string;
  if (closing >= 0) {
    const at = closing + '</p>'.length;
    withCover = `${rendered.html.slice(0, at)}\n${html}${rendered.html.slice(at)}`;
  } else {
    const body = /<body[^>]*>/i.exec(rendered.html);
    const at = body !== null ? body.index + body[0].length : 0;
    withCover = `${rendered.html.slice(0, at)}\n${html}\n${rendered.html.slice(at)}`;
  }
  return { subject: rendered.subject, text, html: withCover };
}

const ADDRESS = /^[^\s@<>()[\],;:"]+@[^\s@<>()[\],;:"]+\.[^\s@<>()[\],;:"]+$/;

export interface MessageDeps {
  config: Pick<Config, 'council' | 'people'>;
  directory: Directory;
  /** The Clerk's template folder (`templates.dir`, resolved). */
  templatesDir?: string;
  /** The title used with the council's own clause numbers (its protocol profile's name). */
  protocolTitle?: string;
}

/** A finding and what is known of its item: what every message about it starts from. */
export interface FindingContext {
  finding: Finding;
  details: ItemDetails;
}

/** The council's service address, with "<Council name> protocol" as the display name. */
export function serviceSender(config: Pick<Config, 'council'>): Address {
  return { address: config.council.serviceAddress, name: `${config.council.name} protocol` };
}

/** The template an effect renders: its payload's, or the outbox's summary name mapped to the template's. */
export function templateNameFor(template: string | undefined, rule: string): string | undefined {
  if (rule === DAILY_SUMMARY_RULE || template === DAILY_SUMMARY_RULE) return SUMMARY_TEMPLATE;
  return template;
}

/** Who a message is for: their name (as the directory knows it) and address. */
export interface Reader {
  name: string;
  address: string;
}

/** A recipient as both reader and mail address; a permanent error for an address mail cannot go to. */
export function recipientFor(directory: Directory, address: string): Reader & Address {
  const lower = address.trim().toLowerCase();
  if (lower === '') throw new PermanentEffectError('The action has no recipient address, so there is nobody to send it to.');
  if (!ADDRESS.test(lower)) throw new PermanentEffectError(`"${address}" is not a valid e-mail address, so the message cannot be sent.`);
  return { name: nameOf(directory, lower), address: lower };
}

function wardNames(directory: Directory, ids: readonly string[]): string {
  return joinList([...new Set(ids)].map((id) => directory.ward(id)?.name ?? id));
}

const PartyGroupOptionsSchema = z.object({ authorisedCategories: z.array(z.string()) });

export class MessageBuilder {
  readonly council: CouncilData;
  readonly from: Address;
  private readonly protocolTitle: string;
  private readonly salutations: Salutations;

  constructor(private readonly deps: MessageDeps) {
    this.council = councilData(deps.config);
    this.salutations = new Salutations(deps.config.people);
    this.from = serviceSender(deps.config);
    this.protocolTitle = deps.protocolTitle ?? DEFAULT_PROTOCOL_TITLE;
  }

  private get directory(): Directory {
    return this.deps.directory;
  }

  /** The recipient's part of the data: name, address and how to greet them. */
  recipient(reader: Reader): RecipientData {
    return { name: reader.name, address: reader.address, salutation: this.salutations.of(reader.address) };
  }

  clauseText(clauses: readonly string[]): string {
    return curlyQuotes(describeClauses(clauses, this.protocolTitle));
  }

  /** The data every message about a finding has: council, recipient, finding and item. */
  base(fc: FindingContext, recipient: Reader): NudgeData {
    return {
      council: this.council,
      recipient: this.recipient(recipient),
      finding: findingData(fc.finding, this.protocolTitle, recipient.name),
      item: fc.details.data,
    };
  }

  /** The wards an item concerns, in words: the event's, else those of the people given, else a phrase. */
  wards(fc: FindingContext, people: readonly string[] = []): string {
    const fromEvent = fc.details.event?.wards ?? [];
    if (fromEvent.length > 0) return wardNames(this.directory, fromEvent);
    const fromPeople = people.flatMap((a) => this.directory.person(a)?.wards ?? []);
    return fromPeople.length > 0 ? wardNames(this.directory, fromPeople) : 'the ward concerned';
  }

  /** Who organises the event (or wrote the message), by name. */
  organiser(fc: FindingContext): string {
    const address = fc.details.event?.organizer ?? fc.details.mail?.from[0]?.address ?? fc.finding.targets.offender;
    return address !== undefined ? nameOf(this.directory, address) : 'the organiser';
  }

  private names(addresses: readonly string[]): string[] {
    return [...new Set(addresses)].map((a) => nameOf(this.directory, a));
  }

  /** `<rule>.notify`: the notice, with what each rule's notice needs. */
  notice(name: TemplateName, fc: FindingContext, recipient: Reader): TemplateData {
    const base = this.base(fc, recipient);
    const { targets, people } = fc.finding;
    const told = new Set(targets.notify ?? []);
    switch (name) {
      case 'invite-ward-members.notify': {
        const invited = this.names(targets.invite ?? []);
        return { ...base, wards: this.wards(fc, targets.invite), invited: invited.length > 0 ? invited : ['the ward members'] };
      }
      case 'notify-ward-members-of-consultations.notify': {
        const starter = people.find((p) => !told.has(p));
        return { ...base, wards: this.wards(fc, [recipient.address]), startedBy: starter !== undefined ? nameOf(this.directory, starter) : this.organiser(fc) };
      }
      case 'notify-ward-members-of-visits.notify': {
        const visitors = this.names(people.filter((p) => !told.has(p)));
        return { ...base, wards: this.wards(fc, [recipient.address]), visitors: visitors.length > 0 ? joinList(visitors) : this.organiser(fc) };
      }
      case 'no-officers-at-surgeries.notify':
      case 'party-group-attendance-authorised.notify':
        return { ...base, organiser: this.organiser(fc) };
      default:
        return base;
    }
  }

  /** `clerk-notice`: what happened and what Wardwatch did about it. */
  clerkNotice(fc: FindingContext, recipient: Reader, actionsTaken: readonly string[], toDo: readonly string[] = []): ClerkNoticeData {
    return { ...this.base(fc, recipient), actionsTaken: [...actionsTaken], toDo: [...toDo] };
  }

  /** `authorisation-request`: asks the Clerk to authorise officers' attendance at a party-group meeting. */
  authorisationRequest(fc: FindingContext, recipient: Reader, partyGroupOptions: unknown): AuthorisationRequestData {
    const notified = fc.finding.targets.notify ?? [];
    const officers = notified.filter((a) => this.directory.person(a)?.role === 'officer');
    const officerNames = this.names(officers.length > 0 ? officers : notified);
    const event = fc.details.event;
    const present = event ? [...event.attendees, ...(event.organizer !== undefined ? [event.organizer] : [])] : [];
    const outsiders = [...new Set(present.map((a) => a.toLowerCase()).filter((a) => this.directory.isExternal(a)))];
    const options = PartyGroupOptionsSchema.safeParse(partyGroupOptions);
    return {
      ...this.base(fc, recipient),
      organiser: this.organiser(fc),
      officers: officerNames.length > 0 ? officerNames : ['the officers invited'],
      outsiders,
      // The very category the rule reads as authorisation, so that doing what the message says works.
      authoriseCategory: options.success ? (options.data.authorisedCategories.map((c) => c.trim()).find((c) => c !== '') ?? null) : null,
    };
  }

  /** `routed-copy`: the cover note; `attachment` names the attached file or says why there is none. */
  routedCopy(fc: FindingContext, recipient: Reader, attachment: string, actionsTaken: readonly string[]): RoutedCopyData {
    const mail = fc.details.mail;
    const describe = (list: readonly Address[]): string =>
      list.length > 0 ? boundedList(list.map((a) => (a.name ? `${a.name} <${a.address}>` : this.nameAndAddress(a.address)))) : 'not known';
    return {
      ...this.base(fc, recipient),
      original: {
        from: mail ? describe(mail.from) : fc.finding.targets.offender !== undefined ? this.nameAndAddress(fc.finding.targets.offender) : 'not known',
        to: mail ? describe([...mail.to, ...mail.cc]) : 'not known',
        attachment,
      },
      actionsTaken: [...actionsTaken],
    };
  }

  private nameAndAddress(address: string): string {
    const person = this.directory.person(address);
    return person ? `${person.name} <${address}>` : address;
  }

  /** `invitation`: to a ward member, for a Council public meeting. */
  invitation(fc: FindingContext, recipient: Reader): InvitationData {
    return { ...this.base(fc, recipient), wards: this.wards(fc, [recipient.address]), organiser: this.organiser(fc) };
  }

  /** `booking-declined`: to the organiser whose room booking was declined. */
  bookingDeclined(fc: FindingContext, recipient: Reader, room: string, period: PeriodData): BookingDeclinedData {
    return { ...this.base(fc, recipient), room, period };
  }

  /** The pre-election period a booking fell in, ready to read. */
  period(elections: ElectionCalendar, fc: FindingContext, timeZone: string, now: string): PeriodData {
    const event = fc.details.event;
    const offender = fc.finding.targets.offender;
    const wards = event && event.wards.length > 0 ? event.wards : (this.directory.person(offender)?.wards ?? []);
    const found: PreElectionPeriod | undefined =
      (event ? elections.periodCovering(event.start, wards) : undefined) ?? elections.periodCovering(now, wards) ?? elections.currentOrNext(now);
    if (!found) {
      return { name: 'forthcoming elections', start: 'the start of the pre-election period', poll: 'polling day', wards: wards.length > 0 ? wardNames(this.directory, wards) : 'the wards concerned' };
    }
    const poll = formatDay(`${found.poll}T12:00:00.000Z`, timeZone);
    return {
      name: found.name ?? `election on ${poll}`,
      start: formatDay(found.start, timeZone),
      poll,
      wards: found.wards === 'all' ? 'all wards' : wardNames(this.directory, found.wards),
    };
  }

  /** `nudge-summary`: one person's folded nudges for a day. */
  summary(recipient: Reader, day: string, timeZone: string, nudges: readonly FoldedNudge[]): NudgeSummaryData {
    return {
      council: this.council,
      recipient: this.recipient(recipient),
      date: formatDay(`${day}T12:00:00.000Z`, timeZone),
      count: nudges.length,
      nudges: [...nudges],
    };
  }

  /** One folded nudge, as the summary lists it. */
  folded(rule: RuleId, summary: string, clauses: readonly string[], details: ItemDetails, reader?: Reader): FoldedNudge {
    const curly = curlyQuotes(summary);
    return {
      ruleTitle: ruleTitle(rule),
      subject: details.data.subject,
      date: details.data.date,
      summary: reader !== undefined ? addressedTo(curly, reader.name) : curly,
      clauseText: this.clauseText(clauses),
      advice: ruleAdvice(rule),
    };
  }

  /** Render a template; a missing or broken template is a permanent error naming the file. */
  render(name: string, data: TemplateData): RenderedMessage {
    if (!isTemplateName(name)) {
      throw new LocalEffectError(`There is no message template named "${name}", so this message cannot be written. Please check the rule's actions in the configuration.`);
    }
    try {
      return renderTemplate(name, data, this.deps.templatesDir !== undefined ? { overrideDir: this.deps.templatesDir } : {});
    } catch (err) {
      if (err instanceof TemplateError) throw new LocalEffectError(`The message template could not be used: ${err.message}`);
      throw err;
    }
  }

  /** The message to send: rendered parts, one recipient, the effect's Message-ID and key header. */
  outgoing(
    rendered: RenderedMessage,
    to: Address,
    ids: { messageId: string; key: string; thread?: MailThread },
    extras: { attachments?: OutgoingAttachment[]; calendar?: OutgoingMessage['calendar'] } = {},
  ): OutgoingMessage {
    const message: OutgoingMessage = {
      from: this.from,
      to: [to.name !== undefined ? { address: to.address, name: to.name } : { address: to.address }],
      subject: rendered.subject,
      text: rendered.text,
      html: rendered.html,
      messageId: ids.messageId,
      headers: effectHeaders(ids.key, ids.thread),
    };
    if (extras.attachments !== undefined && extras.attachments.length > 0) message.attachments = extras.attachments;
    if (extras.calendar !== undefined) message.calendar = extras.calendar;
    return message;
  }
}
