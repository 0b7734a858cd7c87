/**
 * Hostile and large calendars (issue 12), as iCalendar text: one event with thousands of
 * attendees, components nested thousands deep, and a busy council's year of events. The bench
 * writes them at full size; the tests read them at small sizes to check the results are right.
 */
import { pick, rng } from './generate.js';

const DOMAIN = 'millbrook-tc.gov.uk';
const members = ['tom.brown', 'alice.green', 'raj.mehta', 'sue.taylor', 'ben.hughes'];
const officers = ['clerk', 'sam.patel', 'priya.shah', 'dan.okafor'];
const places = ['Castle Street', 'Market Square', 'Mill Lane', 'Riverside Park', 'Hazel Avenue', 'Weir Road', 'Town Hall'];

function calendar(body: string[]): string {
  return ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Millbrook Town Council//Wardwatch bench//EN', ...body, 'END:VCALENDAR', ''].join('\r\n');
}

/**
 * One public meeting in Castle ward with `attendees` ATTENDEE lines: the council's members and
 * officers first, then residents (every address distinct, each line folded as Outlook folds a
 * long one).
 */
export function manyAttendeesCalendar(attendees: number): string {
  const lines: string[] = [
    'BEGIN:VEVENT',
    'UID:public-meeting-castle-street-parking@millbrook-tc.gov.uk',
    'DTSTAMP:20270301T090000Z',
    'DTSTART;TZID=Europe/London:20270415T190000',
    'DTEND;TZID=Europe/London:20270415T203000',
    'SUMMARY:Public meeting: parking on Castle Street',
    'LOCATION:Town Hall\\, Market Square\\, Millbrook MB1 2AB',
    `ORGANIZER;CN=Helen Ashworth:mailto:clerk@${DOMAIN}`,
  ];
  // The Clerk, the officers and every councillor but Tom Brown (a Castle ward member left out), then residents.
  const council = [
    ['clerk', 'Helen Ashworth'],
    ['sam.patel', 'Sam Patel'],
    ['priya.shah', 'Priya Shah'],
    ['dan.okafor', 'Dan Okafor'],
    ['alice.green', 'Cllr Alice Green'],
    ['raj.mehta', 'Cllr Raj Mehta'],
    ['sue.taylor', 'Cllr Sue Taylor'],
    ['ben.hughes', 'Cllr Ben Hughes'],
  ];
  for (let i = 0; i < attendees; i++) {
    const known = council[i];
    const address = known ? `${known[0]}@${DOMAIN}` : `resident${i}@example.org`;
    const name = known ? known[1] : `Resident ${i}`;
    lines.push(`ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE;CN=${name}:`, ` mailto:${address}`);
  }
  lines.push('END:VEVENT');
  return calendar(lines);
}

/**
 * One ward surgery whose VEVENT holds components nested `depth` deep (VALARMs inside one another,
 * each with its own lines), as a hostile or broken producer may write.
 */
export function deeplyNestedCalendar(depth: number): string {
  const lines: string[] = [
    'BEGIN:VEVENT',
    'UID:ward-surgery-nested@millbrook-tc.gov.uk',
    'DTSTAMP:20270301T090000Z',
    'DTSTART;TZID=Europe/London:20270420T100000',
    'DTEND;TZID=Europe/London:20270420T120000',
    'SUMMARY:Ward surgery: Riverside',
    'LOCATION:Riverside Community Centre\\, Mill Lane',
    `ORGANIZER;CN=Cllr Raj Mehta:mailto:raj.mehta@${DOMAIN}`,
    `ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED:mailto:raj.mehta@${DOMAIN}`,
  ];
  for (let i = 0; i < depth; i++) lines.push(i % 2 === 0 ? 'BEGIN:VALARM' : 'BEGIN:X-NESTED', 'ACTION:DISPLAY', `DESCRIPTION:Reminder ${i}`, 'TRIGGER:-PT15M');
  for (let i = depth - 1; i >= 0; i--) lines.push(i % 2 === 0 ? 'END:VALARM' : 'END:X-NESTED');
  lines.push('END:VEVENT');
  return calendar(lines);
}

/** The wall-clock time `ms` stands for (read as UTC), as an iCalendar local DATE-TIME. */
function stamp(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace(/[-:]/g, '');
}

/**
 * A council's calendar of `events` VEVENTs in one file, with its Europe/London VTIMEZONE: public
 * meetings, surgeries, party groups, committees and site visits over a year, one in ten a weekly
 * or monthly series, some series with a moved occurrence.
 */
export function councilYearCalendar(events: number, seed = 12): string {
  const r = rng(seed);
  const lines: string[] = [
    'BEGIN:VTIMEZONE',
    'TZID:Europe/London',
    'BEGIN:DAYLIGHT',
    'TZOFFSETFROM:+0000',
    'TZOFFSETTO:+0100',
    'TZNAME:BST',
    'DTSTART:19700329T010000',
    'RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU',
    'END:DAYLIGHT',
    'BEGIN:STANDARD',
    'TZOFFSETFROM:+0100',
    'TZOFFSETTO:+0000',
    'TZNAME:GMT',
    'DTSTART:19701025T020000',
    'RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU',
    'END:STANDARD',
    'END:VTIMEZONE',
  ];
  const yearStart = Date.UTC(2027, 0, 4, 0, 0, 0);
  let written = 0;
  for (let i = 0; written < events; i++) {
    const kind = pick(r, ['Public meeting', 'Ward surgery', 'Labour Group meeting', 'Planning Committee', 'Site visit']);
    const place = pick(r, places);
    const organiser = kind === 'Public meeting' || kind === 'Planning Committee' ? 'clerk' : pick(r, members);
    const startMs = yearStart + Math.floor(r() * 360) * 86_400_000 + (9 + Math.floor(r() * 11)) * 3_600_000;
    const uid = `year-${i}@${DOMAIN}`;
    const attendees = [pick(r, members), pick(r, members), pick(r, officers)];
    const event = [
      'BEGIN:VEVENT',
      `UID:${uid}`,
      'DTSTAMP:20270101T090000Z',
      `DTSTART;TZID=Europe/London:${stamp(startMs)}`,
      `DTEND;TZID=Europe/London:${stamp(startMs + 90 * 60_000)}`,
      `SUMMARY:${kind}: ${place}`,
      `LOCATION:${place}\\, Millbrook`,
      `DESCRIPTION:${kind} about ${place}. Residents are welcome; the agenda is on the council's website.`,
      `ORGANIZER:mailto:${organiser}@${DOMAIN}`,
      ...[...new Set(attendees)].map((a) => `ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION:mailto:${a}@${DOMAIN}`),
    ];
    const recurring = r() < 0.1;
    if (recurring) event.push(r() < 0.5 ? 'RRULE:FREQ=WEEKLY;COUNT=20' : 'RRULE:FREQ=MONTHLY;BYDAY=2TU;UNTIL=20271231T235959Z');
    event.push('END:VEVENT');
    lines.push(...event);
    written += 1;
    if (recurring && written < events && r() < 0.3) {
      // The series' next week moved an hour later.
      const movedMs = startMs + 7 * 86_400_000;
      lines.push(
        'BEGIN:VEVENT',
        `UID:${uid}`,
        `RECURRENCE-ID;TZID=Europe/London:${stamp(movedMs)}`,
        'DTSTAMP:20270101T090000Z',
        `DTSTART;TZID=Europe/London:${stamp(movedMs + 3_600_000)}`,
        `DTEND;TZID=Europe/London:${stamp(movedMs + 3_600_000 + 90 * 60_000)}`,
        `SUMMARY:${kind}: ${place} (moved)`,
        `ORGANIZER:mailto:${organiser}@${DOMAIN}`,
        'END:VEVENT',
      );
      written += 1;
    }
  }
  return calendar(lines);
}
