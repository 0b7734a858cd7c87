import { describe, expect, it } from 'vitest';
import { council, event, mail } from '../support/council.js';
import { councilData, describeAddress, findingData, itemData, templateDataSchema } from '../../src/templates/data.js';
import { sampleData } from '../../src/templates/samples.js';
import { ruleGuidance } from '../../src/templates/guidance.js';
import { TEMPLATE_NAMES } from '../../src/templates/names.js';
import { describeClauses, formatDay, formatWhen, joinList } from '../../src/templates/wording.js';
import { RULE_IDS } from '../../src/config/schema.js';

describe('clause wording', () => {
  it('names one clause of the council’s own protocol', () => {
    expect(describeClauses(['12.1'])).toBe('paragraph 12.1 of the Member/Officer Protocol');
  });

  it('names several clauses together, and uses the protocol title given', () => {
    expect(describeClauses(['12.2', '12.3', '12.4'], 'the Protocol on Member/Officer Relations')).toBe(
      'paragraphs 12.2, 12.3 and 12.4 of the Protocol on Member/Officer Relations',
    );
  });

  it('names the protocol of each catalogue clause', () => {
    expect(describeClauses(['002 9.1', '004 12.1'])).toBe(
      "paragraph 9.1 of Havant Borough Council’s Councillor/Officer Relations Protocol and paragraph 12.1 of Knutsford Town Council’s Member/Officer Protocol",
    );
    expect(describeClauses(['003 1.4', '003 4.2', '004 4.6'])).toBe(
      "paragraphs 1.4 and 4.2 of Halstead Town Council’s Protocol on Member/Officer Relations and paragraph 4.6 of Knutsford Town Council’s Member/Officer Protocol",
    );
  });

  it('ignores blanks and repeats', () => {
    expect(describeClauses(['9.4c', ' ', '9.4c'])).toBe('paragraph 9.4c of the Member/Officer Protocol');
    expect(describeClauses([])).toBe('the Member/Officer Protocol');
  });

  it('joins lists in plain English', () => {
    expect(joinList([])).toBe('');
    expect(joinList(['Castle'])).toBe('Castle');
    expect(joinList(['Castle', 'Riverside'])).toBe('Castle and Riverside');
    expect(joinList(['a', 'b', 'c'], 'or')).toBe('a, b or c');
  });
});

describe('dates', () => {
  it('reads in the council’s time zone, in British summer time and in winter', () => {
    expect(formatWhen('2027-04-13T09:30:00Z', 'Europe/London')).toBe('Tuesday 13 April 2027 at 10:30');
    expect(formatWhen('2027-01-05T23:30:00Z', 'Europe/London')).toBe('Tuesday 5 January 2027 at 23:30');
    expect(formatWhen('2027-04-13T23:30:00Z', 'Europe/London')).toBe('Wednesday 14 April 2027 at 00:30');
    expect(formatDay('2027-05-06T12:00:00Z', 'Europe/London')).toBe('Thursday 6 May 2027');
  });

  it('gives back what it cannot read', () => {
    expect(formatWhen('not a date', 'Europe/London')).toBe('not a date');
  });
});

describe('builders', () => {
  it('takes the council’s details and first Clerk from the configuration', () => {
    expect(councilData(council)).toEqual({
      name: 'Millbrook Town Council',
      clerkName: 'Helen Ashworth',
      clerkAddress: 'clerk@millbrook-tc.gov.uk',
      serviceAddress: 'protocol@millbrook-tc.gov.uk',
    });
    const noClerk = { ...council, people: council.people.filter((p) => p.role !== 'clerk') };
    expect(councilData(noClerk)).toMatchObject({ clerkName: 'the Town Clerk', clerkAddress: 'protocol@millbrook-tc.gov.uk' });
  });

  it('describes a message by its subject and date, never its body', () => {
    const item = mail({
      from: 'tom.brown@millbrook-tc.gov.uk',
      to: ['sam.patel@millbrook-tc.gov.uk'],
      subject: 'Street lighting',
      text: 'A private body that must never reach a template',
      date: '2027-04-13T09:30:00.000Z',
    });
    const data = itemData(item, 'Europe/London');
    expect(data).toEqual({
      kind: 'mail',
      isEvent: false,
      subject: 'Street lighting',
      date: 'Tuesday 13 April 2027 at 10:30',
      start: null,
      location: null,
      calendar: null,
      from: 'tom.brown@millbrook-tc.gov.uk',
    });
    expect(JSON.stringify(data)).not.toContain('private body');
  });

  it('describes an event by its title, start, place, calendar and organiser', () => {
    const item = event({
      summary: 'Castle ward surgery',
      location: 'Millbrook Library',
      start: '2027-04-20T17:00:00.000Z',
      organizer: 'alice.green@millbrook-tc.gov.uk',
      calendarId: 'council-chamber',
    });
    expect(itemData(item, 'Europe/London', 'Council Chamber')).toEqual({
      kind: 'event',
      isEvent: true,
      subject: 'Castle ward surgery',
      date: 'Tuesday 20 April 2027 at 18:00',
      start: 'Tuesday 20 April 2027 at 18:00',
      location: 'Millbrook Library',
      calendar: 'Council Chamber',
      from: 'alice.green@millbrook-tc.gov.uk',
    });
    expect(itemData({ ...item, location: '  ', allDay: true }, 'Europe/London')).toMatchObject({
      location: null,
      calendar: 'council-chamber',
      date: 'Tuesday 20 April 2027',
    });
    expect(describeAddress({ name: 'Cllr Alice Green', address: 'alice.green@millbrook-tc.gov.uk' })).toBe('Cllr Alice Green <alice.green@millbrook-tc.gov.uk>');
  });

  it('turns a finding into what a template needs', () => {
    const data = findingData(
      {
        rule: 'no-blind-copies',
        severity: 'warning',
        clauses: ['12.1'],
        summary: 'Cllr Tom Brown blind-copied Cllr Alice Green into correspondence with Sam Patel.',
        why: [
          { kind: 'fact', text: 'Cllr Alice Green received it as a blind copy' },
          { kind: 'phrase', text: 'between ourselves', field: 'body' },
          { kind: 'phrase', text: 'fyi' },
        ],
      },
      "Knutsford Town Council's Member/Officer Protocol",
    );
    expect(data).toEqual({
      rule: 'no-blind-copies',
      ruleTitle: 'Blind copies in member–officer correspondence',
      summary: 'Cllr Tom Brown blind-copied Cllr Alice Green into correspondence with Sam Patel.',
      clauses: ['12.1'],
      clauseText: "paragraph 12.1 of Knutsford Town Council’s Member/Officer Protocol",
      severity: 'warning',
      warning: true,
      why: ['Cllr Alice Green received it as a blind copy', 'the words “between ourselves” (in the body)', 'the words “fyi”'],
    });
    expect(findingData({ rule: 'state-capacity', severity: 'info', clauses: ['12.5'], summary: 'x', why: [] }).warning).toBe(false);
  });
});

describe('sample data', () => {
  it.each(TEMPLATE_NAMES)('the sample for %s satisfies its schema', (name) => {
    expect(templateDataSchema(name).safeParse(sampleData(name)).success).toBe(true);
  });

  it('takes the council’s own details when given', () => {
    const own = { name: 'Knutsford Town Council', clerkName: 'Jane Clerk', clerkAddress: 'clerk@knutsford-tc.gov.uk', serviceAddress: 'protocol@knutsford-tc.gov.uk' };
    for (const name of TEMPLATE_NAMES) expect(sampleData(name, own).council).toEqual(own);
  });

  it('has a title and advice for every rule', () => {
    for (const rule of RULE_IDS) {
      expect(ruleGuidance(rule).title.length).toBeGreaterThan(5);
      expect(ruleGuidance(rule).advice).toMatch(/\.$/);
    }
  });

  it('rejects missing fields, because templates are rendered in strict mode', () => {
    const sample = sampleData('no-blind-copies');
    if (!('item' in sample)) throw new Error('expected item data');
    const { location: _location, ...item } = sample.item;
    expect(templateDataSchema('no-blind-copies').safeParse({ ...sample, item }).success).toBe(false);
  });

  it('gives every digest rule its items, each with a reference, a summary and the actions; a private one withheld', () => {
    const sample = sampleData('digest');
    if (!('digest' in sample)) throw new Error('expected digest data');
    for (const rule of sample.digest.rules) expect(rule.items).toHaveLength(rule.findings);
    const items = sample.digest.rules.flatMap((r) => r.items);
    expect(items.filter((i) => i.private)).toEqual([
      { reference: 'a private matter — details withheld', summary: 'a private matter — details withheld', private: true, actions: expect.stringMatching(/^warning waiting/) },
    ]);
    const schema = templateDataSchema('digest');
    const [first, ...rest] = sample.digest.rules;
    if (first === undefined) throw new Error('expected a rule in the sample');
    const withItems = (entries: unknown[]) => ({ ...sample, digest: { ...sample.digest, rules: [{ ...first, items: entries }, ...rest] } });
    expect(schema.safeParse(withItems(first.items)).success).toBe(true);
    expect(schema.safeParse(withItems([])).success).toBe(false);
    expect(schema.safeParse(withItems([{ ...first.items[0], reference: '' }])).success).toBe(false);
    expect(schema.safeParse(withItems([{ ...first.items[0], body: 'the text of the message' }])).success).toBe(false);
  });
});
