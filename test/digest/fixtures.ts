/**
 * A Millbrook store filled the way the service fills it: items evaluated by the real Engine,
 * recorded through the real Outbox, events remembered for the digest, needs-human notices noted.
 */
import { Engine } from '../../src/engine/engine.js';
import { eventSummaryOf } from '../../src/digest/event-summary.js';
import type { EventItem, MailItem } from '../../src/items/types.js';
import { Outbox, PermanentEffectError } from '../../src/outbox/outbox.js';
import type { MailSender, OutgoingMessage } from '../../src/sources/types.js';
import type { SqliteStore } from '../../src/store/sqlite-store.js';
import type { EffectRow } from '../../src/store/types.js';
import { A, council, event, mail } from '../support/council.js';
import { FakeClock, planning } from '../outbox/fixtures.js';

/** A sentence that appears only in message bodies: it must never reach a digest. */
export const BODY_MARKER = 'The heron by the weir ate seventeen marigolds at dawn';

export const engine = new Engine(council);

export class Pipeline {
  readonly outbox: Outbox;

  constructor(
    readonly store: SqliteStore,
    readonly clock: FakeClock,
    readonly options: { dryRun?: boolean } = {},
  ) {
    this.outbox = new Outbox(store, { planning, clock: clock.now });
  }

  /** Evaluate an item and record it as the service does. Returns the rules that fired. */
  async evaluate(item: MailItem | EventItem): Promise<string[]> {
    const now = this.clock.now().toISOString();
    const result = engine.evaluate(item, now);
    await this.outbox.record(item, result.findings, this.options);
    if (item.kind === 'event') await this.store.upsertEvent(eventSummaryOf(item, engine.directory, engine.calendars, now), now);
    for (const n of result.notices) if (n.kind === 'needs-human') await this.store.recordNeedsHuman(n.item.key, n.rule, n.message, now);
    return result.findings.map((f) => f.rule);
  }

  /** Carry out what is due; copies for the Clerk fail for good (to have something failed to list). */
  async runDue(): Promise<void> {
    await this.outbox.runDue(async (e: EffectRow) => {
      if (e.kind === 'route-to-clerk') throw new PermanentEffectError('the mail server refused it: mailbox full');
    });
  }
}

export const items = {
  blindCopy: (): MailItem =>
    mail({
      from: A.alice,
      to: [A.sam],
      bcc: [A.raj],
      subject: 'Castle Street bins',
      text: `Hi Sam,\n\nResidents of Castle Street tell me the bins were missed again on Monday. ${BODY_MARKER}. What can be done?\n\nThanks,\nAlice`,
    }),
  request: (): MailItem =>
    mail({
      from: A.sue,
      to: [A.priya],
      subject: 'Riverside benches',
      text: `Hi Priya,\n\nCould you arrange for the benches in Riverside Park to be repainted before the spring? ${BODY_MARKER}.\n\nThanks,\nSue`,
    }),
  conduct: (): MailItem =>
    mail({
      from: A.sam,
      to: [A.tom],
      subject: 'Allotment invoices',
      text: `Tom,\n\nBetween ourselves, Dan is not up to the job. He keeps making mistakes with the allotment invoices. ${BODY_MARKER}.\n\nSam`,
    }),
  publicMeeting: (): EventItem =>
    event({
      uid: 'parking-meeting@millbrook-tc.gov.uk',
      calendarId: 'council-events',
      organizer: A.sam,
      summary: 'Public meeting: parking and deliveries in Market Square',
      location: 'Millbrook Library, Castle Street, MB1 2AB',
      description: `Residents and traders are invited to discuss the proposed loading bays. ${BODY_MARKER}.`,
      start: '2026-11-26T19:00:00.000Z',
      attendees: [A.tom, A.resident],
    }),
  partyGroup: (): EventItem =>
    event({
      uid: 'labour-group@millbrook-tc.gov.uk',
      calendarId: 'raj-mehta',
      organizer: A.raj,
      summary: 'Labour Group meeting – budget 2027/28',
      location: 'Committee Room 2, Town Hall',
      description: `Pre-budget discussion. ${BODY_MARKER}.`,
      start: '2026-12-08T18:00:00.000Z',
      attendees: [A.raj, A.sam],
    }),
  unknownWard: (): EventItem =>
    event({
      uid: 'tree-planting@millbrook-tc.gov.uk',
      calendarId: 'council-events',
      organizer: A.clerk,
      summary: 'Public meeting: tree planting',
      location: 'The old orchard',
      description: `Bring a spade. ${BODY_MARKER}.`,
      start: '2026-11-24T10:00:00.000Z',
    }),
};

/** A sender that keeps what it sends; `failWith` makes `send` throw, `crashAfterSend` throws after keeping the message. */
export class RecordingSender implements MailSender {
  readonly name = 'recording';
  readonly sent: OutgoingMessage[] = [];
  failWith: string | undefined;
  crashAfterSend = false;

  constructor(private readonly delivered: Set<string> = new Set()) {}

  async send(message: OutgoingMessage): Promise<void> {
    if (this.failWith !== undefined) throw new Error(this.failWith);
    this.sent.push(message);
    this.delivered.add(message.messageId);
    if (this.crashAfterSend) throw new Error('the process was killed');
  }

  async alreadySent(messageId: string): Promise<boolean> {
    return this.delivered.has(messageId);
  }

  async close(): Promise<void> {}
}
