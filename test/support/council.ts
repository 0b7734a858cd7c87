/**
 * A fictional council for tests: Millbrook Town Council, three wards, a Clerk, three officers,
 * five members. Builders make realistic MailItem / EventItem values; `runRule` evaluates one
 * rule on one item exactly as the engine does (facts computed, options parsed with defaults).
 */
import { ConfigSchema, type Config } from '../../src/config/schema.js';
import { Directory } from '../../src/directory/directory.js';
import { buildElectionCalendar } from '../../src/elections/pre-election.js';
import { computeEventFacts, computeMailFacts } from '../../src/engine/facts.js';
import type { Address, Attendee, EventItem, MailItem } from '../../src/items/types.js';
import { evaluateRule, type Evaluation, type Rule, type RuleContext, type RuleInput } from '../../src/rules/types.js';

export const councilConfigInput = {
  council: {
    name: 'Millbrook Town Council',
    timezone: 'Europe/London',
    domains: ['millbrook-tc.gov.uk'],
    serviceAddress: 'protocol@millbrook-tc.gov.uk',
  },
  people: [
    { name: 'Helen Ashworth', emails: ['clerk@millbrook-tc.gov.uk', 'helen.ashworth@millbrook-tc.gov.uk'], role: 'clerk' },
    { name: 'Sam Patel', emails: ['sam.patel@millbrook-tc.gov.uk'], role: 'officer', manager: 'clerk@millbrook-tc.gov.uk' },
    { name: 'Priya Shah', emails: ['priya.shah@millbrook-tc.gov.uk'], role: 'officer', manager: 'clerk@millbrook-tc.gov.uk' },
    { name: 'Dan Okafor', emails: ['dan.okafor@millbrook-tc.gov.uk'], role: 'officer', manager: 'sam.patel@millbrook-tc.gov.uk' },
    {
      name: 'Cllr Tom Brown',
      emails: ['tom.brown@millbrook-tc.gov.uk', 'tombrown1960@gmail.com'],
      role: 'member',
      wards: ['castle'],
      titles: ['mayor'],
      party: 'Independent',
    },
    { name: 'Cllr Alice Green', emails: ['alice.green@millbrook-tc.gov.uk'], role: 'member', wards: ['castle'], party: 'Green' },
    { name: 'Cllr Raj Mehta', emails: ['raj.mehta@millbrook-tc.gov.uk'], role: 'member', wards: ['riverside'], titles: ['leader'], party: 'Labour' },
    { name: 'Cllr Sue Taylor', emails: ['sue.taylor@millbrook-tc.gov.uk'], role: 'member', wards: ['riverside'], party: 'Conservative' },
    { name: 'Cllr Ben Hughes', emails: ['ben.hughes@millbrook-tc.gov.uk'], role: 'member', wards: ['northfield'], party: 'Liberal Democrat' },
  ],
  wards: [
    { id: 'castle', name: 'Castle', places: ['Castle Street', 'Market Square', 'Millbrook Library'], postcodes: ['MB1 2'] },
    { id: 'riverside', name: 'Riverside', places: ['Mill Lane', 'Riverside Park', 'Weir Road'], postcodes: ['MB2 4'] },
    { id: 'northfield', name: 'Northfield', places: ['Northfield Community Centre', 'Hazel Avenue'], postcodes: ['MB3 7'] },
  ],
  elections: [
    { poll: '2027-01-21', wards: ['northfield'], name: 'Northfield by-election' },
    { poll: '2027-05-06', wards: 'all', name: 'Town council elections' },
  ],
  mediaDomains: ['millbrookgazette.co.uk', 'bbc.co.uk'],
  calendars: [
    { id: 'council-events', role: 'council' },
    { id: 'council-chamber', role: 'room', address: 'chamber@millbrook-tc.gov.uk' },
    { id: 'community-room', role: 'room', address: 'community.room@millbrook-tc.gov.uk' },
  ],
  digest: { to: ['clerk@millbrook-tc.gov.uk'] },
};

export const council: Config = ConfigSchema.parse(councilConfigInput);
export const directory = new Directory(council);
export const elections = buildElectionCalendar(council.elections, council.council.timezone);
export const calendars = new Map(council.calendars.map((c) => [c.id, c]));

/** Short-hands for the fixture's addresses. */
export const A = {
  clerk: 'clerk@millbrook-tc.gov.uk',
  sam: 'sam.patel@millbrook-tc.gov.uk',
  priya: 'priya.shah@millbrook-tc.gov.uk',
  dan: 'dan.okafor@millbrook-tc.gov.uk',
  tom: 'tom.brown@millbrook-tc.gov.uk',
  tomPersonal: 'tombrown1960@gmail.com',
  alice: 'alice.green@millbrook-tc.gov.uk',
  raj: 'raj.mehta@millbrook-tc.gov.uk',
  sue: 'sue.taylor@millbrook-tc.gov.uk',
  ben: 'ben.hughes@millbrook-tc.gov.uk',
  service: 'protocol@millbrook-tc.gov.uk',
  chamber: 'chamber@millbrook-tc.gov.uk',
  communityRoom: 'community.room@millbrook-tc.gov.uk',
  gazette: 'newsdesk@millbrookgazette.co.uk',
  resident: 'j.smith@example.com',
  contractor: 'accounts@greenway-landscapes.co.uk',
} as const;

const addr = (a: string | Address): Address => (typeof a === 'string' ? { address: a.toLowerCase() } : a);

export interface MailSpec {
  key?: string;
  from: string;
  to?: string[];
  cc?: string[];
  bcc?: string[];
  subject?: string;
  text?: string;
  date?: string;
  sensitivity?: MailItem['sensitivity'];
  importance?: MailItem['importance'];
  labels?: string[];
  forwardedAuthors?: string[];
  hasForwardedContent?: boolean;
  authFailed?: boolean;
  /** A trusted receiving server passed it for its From domain (what attributes mail seen only in inboxes). */
  trustedPass?: boolean;
  /** Where copies were found: `mailbox:folder`, e.g. `sam.patel@…:sent`. Default: the sender's sent copy. */
  copies?: string[];
  inReplyTo?: string;
}

let counter = 0;
export function mail(spec: MailSpec): MailItem {
  counter += 1;
  const copies = (spec.copies ?? [`${spec.from}:sent`]).map((c) => {
    const i = c.lastIndexOf(':');
    return { mailbox: c.slice(0, i).toLowerCase(), folder: c.slice(i + 1), origin: `test:${c}` };
  });
  return {
    kind: 'mail',
    key: spec.key ?? `<test-${counter}@millbrook-tc.gov.uk>`,
    syntheticKey: false,
    from: [addr(spec.from)],
    replyTo: [],
    to: (spec.to ?? []).map(addr),
    cc: (spec.cc ?? []).map(addr),
    bcc: (spec.bcc ?? []).map(addr),
    date: spec.date ?? '2026-11-18T10:15:00.000Z',
    subject: spec.subject ?? '',
    ...(spec.inReplyTo ? { inReplyTo: spec.inReplyTo } : {}),
    references: [],
    sensitivity: spec.sensitivity ?? 'normal',
    importance: spec.importance ?? 'normal',
    authentication: spec.authFailed
      ? { failed: true, dmarc: 'fail', spf: 'fail', detail: 'dmarc=fail for the From domain' }
      : spec.trustedPass
        ? { failed: false, dmarc: 'pass', detail: 'DMARC passed for the From domain (header.from)', trustedPass: true }
        : { failed: false, detail: 'no authentication results' },
    text: spec.text ?? '',
    forwardedAuthors: (spec.forwardedAuthors ?? []).map(addr),
    hasForwardedContent: spec.hasForwardedContent ?? (spec.forwardedAuthors?.length ?? 0) > 0,
    labels: spec.labels ?? [],
    attachments: [],
    copies,
    contentHash: `hash-${counter}`,
  };
}

export interface EventSpec {
  uid?: string;
  calendarId?: string;
  summary?: string;
  description?: string;
  location?: string;
  categories?: string[];
  start?: string;
  end?: string;
  organizer?: string;
  /** Attendee addresses; `room:addr` makes a ROOM attendee, `opt:addr` an optional one, `declined:addr` a decliner. */
  attendees?: string[];
  status?: EventItem['status'];
  method?: string;
  occurrences?: EventItem['occurrences'];
}

export function event(spec: EventSpec): EventItem {
  counter += 1;
  const uid = spec.uid ?? `test-event-${counter}@millbrook-tc.gov.uk`;
  const attendees: Attendee[] = (spec.attendees ?? []).map((a) => {
    const m = /^(room|opt|declined):(.+)$/.exec(a);
    const tag = m?.[1] ?? '';
    const rest = m?.[2] ?? a;
    return {
      address: String(rest).toLowerCase(),
      role: tag === 'opt' ? 'OPT-PARTICIPANT' : tag === 'room' ? 'NON-PARTICIPANT' : 'REQ-PARTICIPANT',
      partstat: tag === 'declined' ? 'DECLINED' : 'NEEDS-ACTION',
      cutype: tag === 'room' ? 'ROOM' : 'INDIVIDUAL',
    };
  });
  const start = spec.start ?? '2026-12-03T18:30:00.000Z';
  return {
    kind: 'event',
    key: uid,
    uid,
    calendarId: spec.calendarId ?? 'council-events',
    ...(spec.method ? { method: spec.method } : {}),
    summary: spec.summary ?? '',
    description: spec.description ?? '',
    location: spec.location ?? '',
    categories: spec.categories ?? [],
    start,
    end: spec.end ?? new Date(Date.parse(start) + 2 * 3600_000).toISOString(),
    allDay: false,
    timeZone: 'Europe/London',
    status: spec.status ?? 'CONFIRMED',
    classification: 'PUBLIC',
    ...(spec.organizer ? { organizer: { address: spec.organizer.toLowerCase() } } : {}),
    attendees,
    sequence: 0,
    recurring: (spec.occurrences?.length ?? 0) > 0,
    occurrences: spec.occurrences ?? [],
    origin: `test:${uid}`,
    contentHash: `hash-${counter}`,
  };
}

export function contextFor<O>(rule: Rule<O>, opts: { now?: string; options?: unknown } = {}): RuleContext<O> {
  return {
    directory,
    elections,
    council: council.council,
    calendars,
    now: opts.now ?? '2026-11-20T09:00:00.000Z',
    options: rule.meta.options.parse(opts.options ?? {}),
  };
}

export function inputFor(item: MailItem | EventItem): RuleInput {
  return item.kind === 'mail'
    ? { item, facts: computeMailFacts(item, directory) }
    : { item, facts: computeEventFacts(item, directory, calendars) };
}

/** Evaluate one rule on one item as the engine would. */
export function runRule<O>(rule: Rule<O>, item: MailItem | EventItem, opts: { now?: string; options?: unknown } = {}): Evaluation {
  return evaluateRule(rule, inputFor(item), contextFor(rule, opts));
}
