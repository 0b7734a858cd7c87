/**
 * Generates a realistic folder source for benchmarks: council mail of the shapes Wardwatch sees
 * (officer replies, member requests, circulars with Bcc, forwards, press mail, long threads) and
 * calendar events (public meetings, surgeries, party groups, recurring series).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const DOMAIN = 'millbrook-tc.gov.uk';
const officers = ['clerk', 'sam.patel', 'priya.shah', 'dan.okafor'];
const members = ['tom.brown', 'alice.green', 'raj.mehta', 'sue.taylor', 'ben.hughes'];
const places = ['Castle Street', 'Market Square', 'Mill Lane', 'Riverside Park', 'Hazel Avenue', 'Weir Road', 'Town Hall'];
const bodies = [
  'Could you please arrange for the benches in {place} to be repainted before the weekend?',
  'Could you tell me when the bins are collected on {place}?',
  'Thank you for reporting the potholes on {place}. I have logged them with the highways team and will let you know when I hear back.',
  'Please find attached the agenda for the next meeting of the Planning Committee.',
  'I am writing as your ward councillor about the parking survey on {place}.',
  'On behalf of the Council, we accept your quotation for the works at {place}. Please proceed.',
];

/** A small deterministic PRNG so every run generates the same corpus. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export function pick<T>(r: () => number, list: readonly T[]): T {
  return list[Math.floor(r() * list.length)] as T;
}

function mailSource(i: number, r: () => number): { mailbox: string; folder: string; text: string } {
  const fromOfficer = r() < 0.5;
  const from = fromOfficer ? pick(r, officers) : pick(r, members);
  const to = fromOfficer ? pick(r, members) : pick(r, officers);
  const place = pick(r, places);
  const bcc = r() < 0.1 ? `Bcc: ${pick(r, members)}@${DOMAIN}\r\n` : '';
  const external = r() < 0.15 ? `, resident${i}@example.org` : '';
  const paragraphs = 1 + Math.floor(r() * 4);
  const body: string[] = ['Dear colleague,', ''];
  for (let p = 0; p < paragraphs; p++) body.push(pick(r, bodies).replace('{place}', place), '');
  if (r() < 0.3) body.push('> On Monday, someone wrote:', '> an earlier message quoted in the reply', '> with a few more lines of text');
  body.push('', 'Kind regards,', from);
  const day = 1 + (i % 28);
  const text =
    `From: ${from}@${DOMAIN}\r\nTo: ${to}@${DOMAIN}${external}\r\n${bcc}Subject: ${place} (${i})\r\n` +
    `Date: Mon, ${day} Mar 2027 10:${String(i % 60).padStart(2, '0')}:00 +0000\r\nMessage-ID: <bench-${i}@${DOMAIN}>\r\n` +
    `MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${body.join('\r\n')}\r\n`;
  return { mailbox: `${from}@${DOMAIN}`, folder: 'sent', text };
}

function eventSource(i: number, r: () => number): { calendar: string; text: string } {
  const kind = pick(r, ['Public meeting', 'Ward surgery', 'Labour Group meeting', 'Planning Committee', 'Site visit']);
  const place = pick(r, places);
  const organizer = kind === 'Public meeting' || kind === 'Planning Committee' ? 'clerk' : pick(r, members);
  const attendees = [pick(r, members), pick(r, officers)].map((a) => `ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION:mailto:${a}@${DOMAIN}`);
  const day = String(1 + (i % 28)).padStart(2, '0');
  const rrule = r() < 0.1 ? 'RRULE:FREQ=WEEKLY;COUNT=10\r\n' : '';
  const text =
    `BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\nBEGIN:VEVENT\r\nUID:bench-${i}@${DOMAIN}\r\nDTSTAMP:20270301T090000Z\r\n` +
    `DTSTART;TZID=Europe/London:202704${day}T190000\r\nDTEND;TZID=Europe/London:202704${day}T203000\r\n${rrule}` +
    `SUMMARY:${kind}: ${place}\r\nLOCATION:${place}\r\nORGANIZER:mailto:${organizer}@${DOMAIN}\r\n${attendees.join('\r\n')}\r\n` +
    `END:VEVENT\r\nEND:VCALENDAR\r\n`;
  return { calendar: kind === 'Ward surgery' ? 'community-room' : 'council-events', text };
}

/** Writes `messages` .eml and `events` .ics files under `root`; returns the root. */
export function generateCorpus(root: string, messages: number, events: number, seed = 42): string {
  const r = rng(seed);
  const made = new Set<string>();
  for (let i = 0; i < messages; i++) {
    const m = mailSource(i, r);
    const dir = path.join(root, 'mail', m.mailbox, m.folder);
    if (!made.has(dir)) {
      mkdirSync(dir, { recursive: true });
      made.add(dir);
    }
    writeFileSync(path.join(dir, `${String(i).padStart(6, '0')}.eml`), m.text);
  }
  for (let i = 0; i < events; i++) {
    const e = eventSource(i, r);
    const dir = path.join(root, 'calendars', e.calendar);
    if (!made.has(dir)) {
      mkdirSync(dir, { recursive: true });
      made.add(dir);
    }
    writeFileSync(path.join(dir, `${String(i).padStart(6, '0')}.ics`), e.text);
  }
  return root;
}
