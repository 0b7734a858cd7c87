import { describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../src/config/schema.js';
import { addressedTo, curlyQuotes, salutationOf, Salutations } from '../../src/templates/salutation.js';
import { councilConfigInput } from '../support/council.js';

describe('salutations', () => {
  it.each([
    [{ name: 'Cllr Raj Mehta', role: 'member' as const }, 'Councillor Mehta'],
    [{ name: 'Councillor Mrs Jane Smith-Jones MBE', role: 'member' as const }, 'Councillor Smith-Jones'],
    [{ name: 'Dr Tom Brown', role: 'member' as const }, 'Councillor Brown'],
    [{ name: 'Dan Okafor', role: 'officer' as const }, 'Dan'],
    [{ name: 'Mrs Helen Ashworth', role: 'clerk' as const }, 'Helen'],
    [{ name: 'Cllr Raj Mehta', role: 'member' as const, salutation: 'Mr Mayor' }, 'Mr Mayor'],
    [{ name: 'Dan Okafor', role: 'officer' as const, salutation: 'Mr Okafor' }, 'Mr Okafor'],
  ])('%o is greeted "Dear %s"', (person, expected) => {
    expect(salutationOf(person)).toBe(expected);
  });

  it('reads the per-person salutation from the configuration, and greets several readers each by name', () => {
    const config = ConfigSchema.parse({
      ...councilConfigInput,
      people: councilConfigInput.people.map((p) => (p.emails[0] === 'dan.okafor@millbrook-tc.gov.uk' ? { ...p, salutation: 'Mr Okafor' } : p)),
    });
    const s = new Salutations(config.people);
    expect(s.of('DAN.OKAFOR@millbrook-tc.gov.uk')).toBe('Mr Okafor');
    expect(s.of('raj.mehta@millbrook-tc.gov.uk')).toBe('Councillor Mehta');
    expect(s.of('stranger@example.org')).toBe('Sir or Madam');
    expect(s.ofAll(['clerk@millbrook-tc.gov.uk', 'raj.mehta@millbrook-tc.gov.uk'])).toBe('Helen and Councillor Mehta');
  });

  it('rejects an empty salutation in the configuration', () => {
    const people = councilConfigInput.people.map((p, i) => (i === 0 ? { ...p, salutation: '  ' } : p));
    expect(ConfigSchema.safeParse({ ...councilConfigInput, people }).success).toBe(false);
  });
});

describe('second person', () => {
  it('speaks to the reader named in a finding', () => {
    expect(addressedTo('Cllr Raj Mehta asked Dan Okafor for work without going through the Clerk.', 'Cllr Raj Mehta')).toBe(
      'You asked Dan Okafor for work without going through the Clerk.',
    );
    expect(addressedTo('Cllr Raj Mehta has arranged a public meeting.', 'Cllr Raj Mehta')).toBe('You have arranged a public meeting.');
    expect(addressedTo('Sam Patel forwarded Cllr Sue Taylor’s message without Cllr Sue Taylor.', 'Cllr Sue Taylor')).toBe(
      'Sam Patel forwarded your message without you.',
    );
    // A longer name that merely contains the reader's is someone else.
    expect(addressedTo('Cllr Tom Browning wrote to the press.', 'Cllr Tom Brown')).toBe('Cllr Tom Browning wrote to the press.');
  });

  it('makes quotation marks curly', () => {
    expect(curlyQuotes('the meeting "Castle ward surgery" on Tuesday, the Clerk\'s authorisation')).toBe(
      'the meeting “Castle ward surgery” on Tuesday, the Clerk’s authorisation',
    );
  });
});
