import { describe, expect, test } from 'vitest';
import { firstLineMarking, labelMarking, markingTerms, subjectMarking, unmarkedMention } from '../../src/signals/confidentiality.js';

const terms = markingTerms();

describe('subjectMarking', () => {
  test.each([
    ['CONFIDENTIAL: Staffing Committee', 'CONFIDENTIAL'],
    ['Re: Fwd: [Confidential] Market Square lease', '[Confidential]'],
    ['Grounds tender evaluation - Commercially Sensitive', 'Commercially Sensitive'],
    ['Budget papers CONFIDENTIAL draft', 'CONFIDENTIAL'],
    ['Not for circulation – draft minutes', 'Not for circulation'],
    ['Agenda item 9 (Part II) – staffing', '(Part II)'],
    ['Private and Confidential – complaint', 'Private and Confidential'],
    ['Restricted', 'Restricted'],
  ])('%s is marked', (subject, marking) => {
    expect(subjectMarking(subject, terms)?.text).toBe(marking);
  });

  test.each([
    'Confidential waste collection on Tuesday',
    'Budget - non-confidential summary',
    'RE: CONFIDENTIAL WASTE COLLECTION',
    'Private hire licence query',
    'Is the budget confidential?',
    '',
  ])('%s is not marked', (subject) => {
    expect(subjectMarking(subject, terms)).toBeUndefined();
  });
});

describe('firstLineMarking', () => {
  test.each([
    ['** PRIVATE AND CONFIDENTIAL **\n\nDear Helen,', 'PRIVATE AND CONFIDENTIAL'],
    ['\n\nConfidential – please do not forward\nDear all,', 'Confidential'],
    ['This email is strictly confidential.\nDear Sam,', 'strictly confidential'],
    ['[RESTRICTED]\nHelen,', 'RESTRICTED'],
  ])('%j is marked', (body, marking) => {
    expect(firstLineMarking(body, terms)?.text).toBe(marking);
  });

  test.each([
    'The confidential waste bins will be collected on Tuesday.',
    'This is not strictly confidential, but please use discretion.',
    'Dear Helen,\n\nCONFIDENTIAL: the figures are below.',
    '',
  ])('%j is not marked', (body) => {
    expect(firstLineMarking(body, terms)).toBeUndefined();
  });
});

describe('labelMarking', () => {
  test('a label or a folder segment naming a marking', () => {
    expect(labelMarking(['HR/Confidential'], terms)?.text).toBe('labelled “HR/Confidential”');
    expect(labelMarking(['Restricted'], terms)).toBeDefined();
    expect(labelMarking(['Inbox', 'Private and Confidential correspondence'], terms)).toBeDefined();
  });

  test('labels that only contain the word', () => {
    expect(labelMarking(['Confidential waste', 'Planning'], terms)).toBeUndefined();
  });
});

describe('council markings and mentions', () => {
  test('an added marking counts where a marking stands', () => {
    const withExtra = markingTerms(['Staff in Confidence']);
    expect(subjectMarking('Staff in Confidence: appraisal', withExtra)?.text).toBe('Staff in Confidence');
    expect(subjectMarking('Staff in Confidence: appraisal', terms)).toBeUndefined();
  });

  test('an unmarked mention is quoted in whole words', () => {
    expect(unmarkedMention('Please note the confidential waste bins will be collected on Tuesday morning from the back office.', terms)).toBe(
      'Please note the confidential waste bins will be collected on…',
    );
    expect(unmarkedMention('Nothing to see here.', terms)).toBeUndefined();
  });
});
