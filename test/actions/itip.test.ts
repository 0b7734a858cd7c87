import ICAL from 'ical.js';
import { describe, expect, it } from 'vitest';
import { buildInvitationRequest, type InvitationRequestInput } from '../../src/mime/itip.js';

const base: InvitationRequestInput = {
  event: {
    uid: 'castle-meeting-2026@millbrook-tc.gov.uk',
    sequence: 2,
    start: '2026-12-03T18:30:00.000Z',
    end: '2026-12-03T20:30:00.000Z',
    allDay: false,
    summary: 'Public meeting: Castle Street parking',
    location: 'Millbrook Library, Castle Street',
    organizer: { address: 'sam.patel@millbrook-tc.gov.uk', name: 'Sam Patel' },
    status: 'CONFIRMED',
  },
  attendee: { address: 'alice.green@millbrook-tc.gov.uk', name: 'Cllr Alice Green' },
  fallbackOrganizer: { address: 'protocol@millbrook-tc.gov.uk', name: 'Millbrook Town Council protocol' },
  timeZone: 'Europe/London',
  now: new Date('2026-11-20T09:00:00.000Z'),
};

function vevent(text: string): ICAL.Component {
  const calendar = new ICAL.Component(ICAL.parse(text));
  const event = calendar.getFirstSubcomponent('vevent');
  if (!event) throw new Error('no VEVENT');
  return event;
}

describe('buildInvitationRequest', () => {
  it('is a METHOD:REQUEST carrying the event UID, sequence, times, summary, location and organiser', () => {
    const text = buildInvitationRequest(base);
    const calendar = new ICAL.Component(ICAL.parse(text));
    expect(calendar.getFirstPropertyValue('method')).toBe('REQUEST');
    expect(calendar.getFirstPropertyValue('version')).toBe('2.0');
    const event = vevent(text);
    expect(event.getFirstPropertyValue('uid')).toBe(base.event.uid);
    expect(event.getFirstPropertyValue('sequence')).toBe(2);
    expect(text).toContain('DTSTART:20261203T183000Z');
    expect(text).toContain('DTEND:20261203T203000Z');
    expect(text).toContain('DTSTAMP:20261120T090000Z');
    expect(event.getFirstPropertyValue('summary')).toBe('Public meeting: Castle Street parking');
    expect(event.getFirstPropertyValue('location')).toBe('Millbrook Library, Castle Street');
    const organizer = event.getFirstProperty('organizer');
    expect(organizer?.getFirstValue()).toBe('mailto:sam.patel@millbrook-tc.gov.uk');
    expect(organizer?.getParameter('cn')).toBe('Sam Patel');
    expect(text.includes('\r\n')).toBe(true);
  });

  it('names only the invited person as ATTENDEE, asking for a reply', () => {
    const event = vevent(buildInvitationRequest(base));
    const attendees = event.getAllProperties('attendee');
    expect(attendees).toHaveLength(1);
    const [attendee] = attendees;
    expect(attendee?.getFirstValue()).toBe('mailto:alice.green@millbrook-tc.gov.uk');
    expect(attendee?.getParameter('rsvp')).toBe('TRUE');
    expect(attendee?.getParameter('partstat')).toBe('NEEDS-ACTION');
    expect(attendee?.getParameter('role')).toBe('REQ-PARTICIPANT');
    expect(attendee?.getParameter('cn')).toBe('Cllr Alice Green');
  });

  it('escapes hostile text instead of letting it add properties', () => {
    const text = buildInvitationRequest({
      ...base,
      event: { ...base.event, summary: 'Meeting\r\nATTENDEE:mailto:evil@example.com;x,y', location: 'Hall\nORGANIZER:mailto:evil@example.com' },
    });
    const event = vevent(text);
    expect(event.getAllProperties('attendee')).toHaveLength(1);
    expect(event.getAllProperties('organizer')).toHaveLength(1);
    expect(String(event.getFirstPropertyValue('summary'))).toContain('ATTENDEE:mailto:evil@example.com;x,y');
    expect(text).not.toMatch(/^ATTENDEE:mailto:evil/m);
  });

  it('uses the council service address as ORGANIZER when the event names none', () => {
    const { organizer: _dropped, ...withoutOrganizer } = base.event;
    const event = vevent(buildInvitationRequest({ ...base, event: withoutOrganizer }));
    expect(event.getFirstProperty('organizer')?.getFirstValue()).toBe('mailto:protocol@millbrook-tc.gov.uk');
  });

  it('writes an all-day event as dates in the council timezone, and a single occurrence with RECURRENCE-ID', () => {
    const text = buildInvitationRequest({
      ...base,
      event: {
        ...base.event,
        allDay: true,
        // Midnight British Summer Time is 23:00 UTC the day before.
        start: '2026-06-30T23:00:00.000Z',
        end: '2026-07-01T23:00:00.000Z',
        recurrenceId: '2026-06-30T23:00:00.000Z',
      },
    });
    expect(text).toContain('DTSTART;VALUE=DATE:20260701');
    expect(text).toContain('DTEND;VALUE=DATE:20260702');
    expect(text).toContain('RECURRENCE-ID;VALUE=DATE:20260701');
  });

  it('lists the known occurrences of a series as RDATEs', () => {
    const text = buildInvitationRequest({
      ...base,
      event: { ...base.event, occurrenceStarts: ['2026-12-03T18:30:00.000Z', '2026-12-10T18:30:00.000Z'] },
    });
    const rdates = vevent(text).getAllProperties('rdate');
    expect(rdates).toHaveLength(1);
    expect(text).toContain('RDATE:20261210T183000Z');
  });

  it('refuses an event without a UID or with an unreadable time', () => {
    expect(() => buildInvitationRequest({ ...base, event: { ...base.event, uid: ' ' } })).toThrow(/no UID/);
    expect(() => buildInvitationRequest({ ...base, event: { ...base.event, start: 'soon' } })).toThrow(/start .* is not a date and time/);
  });
});
