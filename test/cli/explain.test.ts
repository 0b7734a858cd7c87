/** `wardwatch explain`'s readable report: council-local times and correct plurals. */
import { describe, expect, it } from 'vitest';
import type { ItemEvaluation } from '../../src/engine/engine.js';
import { formatExplain } from '../../src/output/report.js';
import { A, event } from '../support/council.js';

const none: ItemEvaluation = { findings: [], verdicts: [], notices: [] };

describe('explain report', () => {
  it('shows an event’s times in the council’s time zone, not as UTC instants', () => {
    // 18:00 UTC in July is 19:00 in London.
    const item = event({ summary: 'Riverside ward surgery', start: '2027-07-06T18:00:00.000Z', attendees: [A.alice] });
    const text = formatExplain(item, none, 'Europe/London');
    expect(text).toContain('When: Tuesday 6 July 2027 at 19:00 to 21:00');
    expect(text).not.toContain('2027-07-06T18:00:00.000Z');
  });

  it('counts attendees and occurrences in the singular and the plural', () => {
    const one = formatExplain(event({ summary: 'Chat', attendees: [A.alice] }), none, 'Europe/London');
    expect(one).toMatch(/^ {2}1 attendee: alice\.green@millbrook-tc\.gov\.uk \(needs-action\)$/m);
    const two = formatExplain(event({ summary: 'Chat', attendees: [A.alice, A.sam] }), none, 'Europe/London');
    expect(two).toMatch(/^ {2}2 attendees: /m);
    const base = event({ summary: 'Weekly surgery', start: '2027-01-05T18:00:00.000Z' });
    const series = { ...base, recurring: true, occurrences: [{ start: base.start, end: base.end, recurrenceId: base.start }] };
    const text = formatExplain(series, none, 'Europe/London');
    expect(text).toContain('(recurring: 1 occurrence in the horizon)');
    expect(text).toContain('Occurrences: Tuesday 5 January 2027 at 18:00');
  });

  it('gives a message’s date in council time', () => {
    const mail = {
      kind: 'mail' as const,
      key: '<x@millbrook-tc.gov.uk>',
      subject: 'Benches',
      date: '2027-07-06T08:15:00.000Z',
      from: [{ address: A.alice }],
      to: [],
      cc: [],
      bcc: [],
      copies: [{ mailbox: A.alice, folder: 'sent' }],
    } as unknown as Parameters<typeof formatExplain>[0];
    expect(formatExplain(mail, none, 'Europe/London')).toContain('Sent: Tuesday 6 July 2027 at 09:15');
  });
});
