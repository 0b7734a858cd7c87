import { describe, expect, it } from 'vitest';
import { formatDay as ruleDay, formatWhen as ruleWhen } from '../../src/signals/event-kind.js';
import { formatDay as templateDay, formatWhen as templateWhen } from '../../src/templates/wording.js';
import { formatDate, formatDay, formatShortDate, formatShortDay, formatWhen } from '../../src/wording/dates.js';
import { errorMessage } from '../../src/model/error-message.js';
import { errorMessage as logged } from '../../src/service/logger.js';

describe('one date and time wording', () => {
  it('words dates in the council’s time zone, across the clock change', () => {
    expect(formatWhen('2027-04-13T09:30:00Z', 'Europe/London')).toBe('Tuesday 13 April 2027 at 10:30');
    expect(formatWhen('2027-01-13T09:30:00Z', 'Europe/London')).toBe('Wednesday 13 January 2027 at 09:30');
    expect(formatWhen('2027-04-13T09:30:00Z', 'Europe/London', true)).toBe('Tuesday 13 April 2027');
    expect(formatDay('2027-04-12T23:30:00Z', 'Europe/London')).toBe('Tuesday 13 April 2027');
    expect(formatDate('2027-05-06')).toBe('Thursday 6 May 2027');
    expect(formatShortDate('2027-01-21')).toBe('21 January 2027');
    expect(formatShortDay('2027-01-12T23:30:00Z', 'Europe/London')).toBe('12 January 2027');
  });

  it('gives what is not a date back as it was, rather than "Invalid Date"', () => {
    expect(formatWhen('soon', 'Europe/London')).toBe('soon');
    expect(formatDay('', 'Europe/London')).toBe('');
  });

  it('is the same wording for the rules, the messages and the digest', () => {
    expect(ruleWhen).toBe(formatWhen);
    expect(templateWhen).toBe(formatWhen);
    expect(ruleDay).toBe(formatDay);
    expect(templateDay).toBe(formatDay);
  });
});

describe('one error message helper', () => {
  it('takes the message of an Error and the text of anything else thrown', () => {
    expect(errorMessage(new Error('mailbox full'))).toBe('mailbox full');
    expect(errorMessage('no route')).toBe('no route');
    expect(errorMessage(42)).toBe('42');
    expect(logged).toBe(errorMessage);
  });
});
