import { describe, expect, test } from 'vitest';
import {
  andList,
  classifyEvent,
  formatDate,
  formatWhen,
  isEventInput,
  kindLabel,
  lastEnd,
  partiesOf,
  respondingToConsultation,
  wardEvidence,
  wardNames,
  whyInactive,
} from '../../src/signals/event-kind.js';
import { A, directory, event, inputFor, mail } from '../support/council.js';

const parties = partiesOf(directory);

function kindsOf(spec: Parameters<typeof event>[0], extra = {}): string[] {
  return classifyEvent(event(spec), parties, extra).kinds;
}

describe('partiesOf', () => {
  test('lists each party of the directory once', () => {
    expect([...parties].sort()).toEqual(['Conservative', 'Green', 'Independent', 'Labour', 'Liberal Democrat']);
  });
});

describe('classifyEvent: explicit categories', () => {
  test.each([
    ['Public Meeting', 'public-meeting'],
    ['Ward Surgery', 'ward-surgery'],
    ['Surgery', 'ward-surgery'],
    ['Party Group', 'party-group'],
    ['Group Meeting', 'party-group'],
    ['Consultation', 'consultation'],
    ['Site Visit', 'visit'],
    ['Visit', 'visit'],
    ['Council Meeting', 'council-meeting'],
    ['Committee', 'council-meeting'],
  ])('category "%s" → %s', (category, kind) => {
    const c = classifyEvent(event({ summary: 'Thursday evening', categories: [category] }), parties);
    expect(c.kinds).toEqual([kind]);
    expect(c.evidence[0]).toEqual({ kind: 'phrase', text: category, field: 'categories' });
  });
});

describe('classifyEvent: phrases in the title', () => {
  test.each([
    ['Public meeting: Castle Street parking', 'public-meeting', 'Public meeting'],
    ["Residents' meeting – Weir Road flooding", 'public-meeting', "Residents' meeting"],
    ['Hazel Avenue open meeting', 'public-meeting', 'open meeting'],
    ['Cllr Green – ward surgery', 'ward-surgery', 'ward surgery'],
    ['Councillor surgery, Riverside', 'ward-surgery', 'Councillor surgery'],
    ['Labour Group meeting', 'party-group', 'Labour Group meeting'],
    ['Liberal Democrat group – budget', 'party-group', 'Liberal Democrat group'],
    ['Consultation event: Market Square improvements', 'consultation', 'Consultation event'],
    ['Exhibition of plans for the Riverside Park pavilion', 'consultation', 'Exhibition of plans'],
    ['Site visit: Weir Road footbridge', 'visit', 'Site visit'],
    ['Visit to Northfield Community Centre', 'visit', 'Visit to'],
    ['Tour of the library', 'visit', 'Tour of'],
    ['Mayor’s walkabout, Market Square', 'visit', 'walkabout'],
    ['Full Council', 'council-meeting', 'Full Council'],
    ['Planning Committee', 'council-meeting', 'Committee'],
  ])('"%s" → %s (evidence "%s")', (summary, kind, words) => {
    const c = classifyEvent(event({ summary }), parties);
    expect(c.kinds).toEqual([kind]);
    expect(c.byKind[kind as 'visit']?.[0]).toEqual({ kind: 'phrase', text: words, field: 'summary' });
  });
});

describe('classifyEvent: party groups by their other names', () => {
  test.each([
    ['Lib Dem Group meeting', ['Liberal Democrat']],
    ['LibDems group', ['Liberal Democrats']],
    ['Tory group – pre-council', ['Conservative']],
    ['SNP Group', ['Scottish National Party']],
    ['Labour Co-op Group', ['Labour']],
  ])('"%s" is a party-group meeting when the directory has %j', (summary, directoryParties) => {
    expect(classifyEvent(event({ summary }), directoryParties).kinds).toEqual(['party-group']);
  });

  test('one-word names that are ordinary words do not stand for Reform UK or Plaid Cymru', () => {
    const directoryParties = ['Reform UK', 'Plaid Cymru'];
    expect(classifyEvent(event({ summary: 'Castle Street Parking Reform Group' }), directoryParties).kinds).not.toContain('party-group');
    expect(classifyEvent(event({ summary: 'Plaid group for the craft fair' }), directoryParties).kinds).not.toContain('party-group');
    expect(classifyEvent(event({ summary: 'Reform UK Group meeting' }), directoryParties).kinds).toEqual(['party-group']);
  });

  test('another party\'s other name does not count: "Tory group" with no Conservative in the directory', () => {
    expect(classifyEvent(event({ summary: 'Tory group' }), ['Labour', 'Green']).kinds).not.toContain('party-group');
  });
});

describe('classifyEvent: precedence and near-misses', () => {
  test('a party-group meeting is never a public meeting', () => {
    expect(kindsOf({ summary: 'Labour Group open meeting' })).toEqual(['party-group']);
    expect(kindsOf({ summary: 'Riverside Labour Party open meeting' })).toEqual(['party-group']);
  });

  test('a party group name takes the longest form as evidence', () => {
    const c = classifyEvent(event({ summary: 'Green Party group – spring newsletter' }), parties);
    expect(c.evidence.map((e) => e.text)).toEqual(['Green Party group']);
  });

  test('a party name alone is not a party-group meeting', () => {
    expect(kindsOf({ summary: 'Castle Green planting day' })).toEqual([]);
  });

  test('a committee is a formal meeting, not a public meeting, unless it says "public meeting"', () => {
    expect(kindsOf({ summary: 'Planning Committee – open meeting on the Local Plan' })).toEqual(['council-meeting']);
    expect(kindsOf({ summary: 'Planning Committee – public meeting on the Local Plan' })).toEqual(['public-meeting', 'council-meeting']);
    expect(kindsOf({ summary: 'Planning Committee', categories: ['Public Meeting'] })).toEqual(['public-meeting', 'council-meeting']);
  });

  test('the description is read only when the title and categories say nothing', () => {
    expect(kindsOf({ summary: 'Full Council', description: 'This is a public meeting: residents may speak.' })).toEqual(['council-meeting']);
    const c = classifyEvent(event({ summary: 'Thursday evening, Market Square', description: 'A public meeting about the market.' }), parties);
    expect(c.kinds).toEqual(['public-meeting']);
    expect(c.evidence[0]?.field).toBe('description');
  });

  test('a drop-in is a public meeting only when nothing else describes it', () => {
    expect(kindsOf({ summary: 'Drop-in: Mill Lane resurfacing' })).toEqual(['public-meeting']);
    expect(kindsOf({ summary: 'Ward surgery – drop-in' })).toEqual(['ward-surgery']);
    expect(kindsOf({ summary: 'Consultation drop-in: Market Square' })).toEqual(['consultation']);
  });

  test("a doctor's, dentist's or GP surgery is not a ward surgery", () => {
    expect(kindsOf({ summary: 'GP surgery car park – meeting with the practice manager' })).toEqual([]);
    expect(kindsOf({ summary: "Parking outside the doctors' surgery" })).toEqual([]);
    expect(kindsOf({ summary: 'New dental surgery on Hazel Avenue' })).toEqual([]);
    expect(kindsOf({ summary: "Mayor's surgery" })).toEqual(['ward-surgery']);
  });

  test("answering another body's consultation is not running one", () => {
    expect(kindsOf({ summary: 'Deadline: respond to the County highways consultation' })).toEqual([]);
    expect(kindsOf({ summary: 'Consultation response – Local Plan' })).toEqual([]);
    expect(kindsOf({ summary: 'Budget setting in consultation with the chairman' })).toEqual([]);
  });

  test('a description inviting residents to respond is still the council consultation', () => {
    expect(kindsOf({ summary: 'Riverside Park masterplan', description: 'Come and see the plans and respond to the consultation online.' })).toEqual(['consultation']);
  });

  test("council-added phrases are plain words, not patterns", () => {
    expect(kindsOf({ summary: 'Town forum (Weir Road)' }, { 'public-meeting': ['town forum (weir'] })).toEqual(['public-meeting']);
    expect(kindsOf({ summary: 'Town forum' }, { 'public-meeting': ['  '] })).toEqual([]);
  });

  test('an event can be more than one kind', () => {
    expect(kindsOf({ summary: 'Site visit and public meeting: Riverside Park' })).toEqual(['public-meeting', 'visit']);
  });

  test('an unmarked event has no kind and no evidence', () => {
    const c = classifyEvent(event({ summary: 'Catch-up with Sam', description: 'Diary time.' }), parties);
    expect(c).toEqual({ kinds: [], evidence: [], byKind: {} });
  });
});

describe('respondingToConsultation', () => {
  test('finds the words of a response in a title', () => {
    expect(respondingToConsultation('Millbrook Town Council response to the County highways consultation', 'subject')?.text).toBe(
      'Council response to the County highways consultation',
    );
    expect(respondingToConsultation('Have your say on the Riverside Park play area', 'subject')).toBeUndefined();
  });
});

describe('event liveness', () => {
  const now = '2026-12-10T12:00:00.000Z';

  test('a cancelled event is inactive', () => {
    expect(whyInactive(event({ summary: 'Ward surgery', status: 'CANCELLED' }), now, 'Europe/London')).toBe('"Ward surgery" is cancelled');
  });

  test('an event that ended is inactive; one still ahead is live', () => {
    expect(whyInactive(event({ summary: 'Ward surgery', start: '2026-12-03T18:30:00.000Z' }), now, 'Europe/London')).toBe(
      '"Ward surgery" is over: it ended Thursday 3 December 2026 at 20:30',
    );
    expect(whyInactive(event({ summary: 'Ward surgery', start: '2026-12-17T18:30:00.000Z' }), now, 'Europe/London')).toBeUndefined();
  });

  test('a series is live while its last listed occurrence is ahead', () => {
    const series = event({
      summary: 'Monthly surgery',
      start: '2026-11-05T18:00:00.000Z',
      occurrences: [
        { start: '2026-11-05T18:00:00.000Z', end: '2026-11-05T19:00:00.000Z', recurrenceId: '2026-11-05T18:00:00.000Z' },
        { start: '2027-01-07T18:00:00.000Z', end: '2027-01-07T19:00:00.000Z', recurrenceId: '2027-01-07T18:00:00.000Z' },
      ],
    });
    expect(lastEnd(series)).toBe('2027-01-07T19:00:00.000Z');
    expect(whyInactive(series, now, 'Europe/London')).toBeUndefined();
    expect(whyInactive(series, '2027-02-01T00:00:00.000Z', 'Europe/London')).toContain('its last listed occurrence ended Thursday 7 January 2027');
  });

  test('an all-day event names its last day', () => {
    const allDay = { ...event({ summary: 'Consultation exhibition', start: '2026-12-04T00:00:00.000Z', end: '2026-12-05T00:00:00.000Z' }), allDay: true };
    expect(whyInactive(allDay, now, 'Europe/London')).toBe('"Consultation exhibition" is over: it ended on Friday 4 December 2026');
  });
});

describe('wording helpers', () => {
  test('dates read the way a clerk writes them, in the council timezone', () => {
    expect(formatWhen('2027-04-15T17:30:00.000Z', 'Europe/London')).toBe('Thursday 15 April 2027 at 18:30');
    expect(formatWhen('2027-04-15T17:30:00.000Z', 'Europe/London', true)).toBe('Thursday 15 April 2027');
    expect(formatDate('2027-05-06')).toBe('Thursday 6 May 2027');
  });

  test('lists and ward names', () => {
    expect(andList([])).toBe('');
    expect(andList(['Cllr Tom Brown'])).toBe('Cllr Tom Brown');
    expect(andList(['A', 'B', 'C'])).toBe('A, B and C');
    expect(wardNames(directory, ['castle'])).toBe('Castle ward');
    expect(wardNames(directory, ['castle', 'riverside'])).toBe('Castle and Riverside wards');
    expect(kindLabel('ward-surgery')).toBe('a ward surgery');
  });

  test('ward evidence says what matched and where', () => {
    const resolution = directory.wardsOf({ location: 'Millbrook Library' });
    expect(wardEvidence(directory, resolution)).toEqual([{ kind: 'fact', text: 'Castle ward: "Millbrook Library" in the location' }]);
    const fromBody = directory.wardsOf({ subject: 'the Hazel Avenue allotments' });
    expect(wardEvidence(directory, fromBody, { subject: 'the body' })[0]?.text).toBe('Northfield ward: "Hazel Avenue" in the body');
  });

  test('isEventInput tells events from mail', () => {
    expect(isEventInput(inputFor(event({ summary: 'x' })))).toBe(true);
    expect(isEventInput(inputFor(mail({ from: A.sam })))).toBe(false);
  });
});
