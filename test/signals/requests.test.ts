import { describe, expect, test } from 'vitest';
import { analyseRequests, plainPhrasePatterns } from '../../src/signals/requests.js';

const requests = (text: string): string[] => analyseRequests(text).requests.map((e) => e.text);
const factual = (text: string): string[] => analyseRequests(text).factual.map((e) => e.text);

describe('analyseRequests', () => {
  test.each([
    ['Could you please arrange a skip for Saturday?', 'Could you please arrange'],
    ['Can you sort out the leaking gutter?', 'Can you sort out'],
    ['Please chase the contractor.', 'Please chase'],
    ['I’d like you to draft a reply for me.', 'I’d like you to'],
    ['I would be grateful if you could prepare the figures.', 'I would be grateful if you could prepare'],
    ['Please action this.', 'action this'],
    ['Please could you add it to the agenda?', 'Please could you add'],
  ])('"%s" asks for work', (text, phrase) => {
    expect(requests(text)).toContain(phrase);
  });

  test.each([
    'Thanks for sorting this out so quickly.',
    'Please send my thanks to the grounds team.',
    'Could you update me on the planning application?',
    'Please contact me if you need anything.',
    'Please could you let me know the time of the meeting?',
    'Please could you possibly tell me who won the tender?',
    'Please could you check whether the hall is free on the 14th?',
    'Would you mind telling me who the contractor is?',
    'Will the agenda be ready by Friday?',
    'Can you get back to me when you know?',
  ])('"%s" asks for no work', (text) => {
    expect(requests(text)).toEqual([]);
  });

  test('factual phrases are reported as the words written', () => {
    expect(factual('Could you tell me how many hirers there are? Is there parking?')).toEqual(['Could you tell me', 'how many', 'Is there']);
  });

  test('a request inside a council factual phrase is not a request', () => {
    const extra = { factual: plainPhrasePatterns('factual', ['look up the hire charges']) };
    expect(analyseRequests('Could you look up the hire charges?', extra).requests).toEqual([]);
    expect(analyseRequests('Could you look up the hire charges?').requests.map((e) => e.text)).toEqual(['Could you look']);
    expect(analyseRequests('Could you look up the bin rota?', extra).requests.map((e) => e.text)).toEqual(['Could you look']);
  });

  test('a deadline is supporting evidence next to a request', () => {
    const a = analyseRequests('Could you book the hall by the end of the week?');
    expect(a.requests.map((e) => e.text)).toEqual(['Could you book']);
    expect(a.deadlines.map((e) => e.text)).toEqual(['by the end of the week']);
  });

  test('council phrases match whole words, any spacing, regex characters taken literally', () => {
    const [p] = plainPhrasePatterns('x', ['leave it  with you (asap)']);
    expect(p?.re.test('Can I Leave it with\nyou (ASAP)?')).toBe(true);
    expect(p?.re.test('leave it with yous (asap)')).toBe(false);
    expect(plainPhrasePatterns('x', ['  '])).toEqual([]);
  });

  test.each([
    'To unsubscribe please send an email to news@riverside-residents.org.uk with “unsubscribe” in the subject line.',
    'If you have received this email in error please notify the sender and delete it.',
    'If you are not the intended recipient please contact the sender immediately.',
    'Delivery has failed to these recipients or groups. Please check the address and try again.',
    'Please consider the environment before printing this email.',
  ])('boilerplate in a whole text is nobody’s request: "%s"', (footer) => {
    expect(requests(`Thanks for the minutes.\n\n${footer}`)).toEqual([]);
    // A real request beside the footer still counts.
    expect(requests(`Could you book the hall for Friday?\n\n${footer}`)).toEqual(['Could you book']);
  });

  test.each([
    ['Is there any chance the grounds staff might cut the grass?', 'Is there any chance the grounds staff might cut'],
    ['I’d appreciate it if the office could send out the reminders.', 'I’d appreciate it if the office could send out'],
    ['Can someone in your department sort out the flooding?', 'Can someone in your department sort out'],
    ['Could the hedge be cut back?', 'Could the hedge be cut'],
    ['Would it be possible to get the railings fixed?', 'Would it be possible to get'],
    ['Do you think someone could repair the gate?', 'Do you think someone could repair'],
    ['Could I ask you to put together a short report?', 'Could I ask you to'],
  ])('"%s" asks for work in the words people use', (text, phrase) => {
    expect(requests(text)).toContain(phrase);
  });

  test.each([
    'Could you send me the agenda and the minutes?',
    'Can you confirm the date of the inspection?',
    'Would it be possible to have a copy of the draft minutes?',
    'I’d be grateful if you could let me know the outcome.',
    'Would you be able to send me the link for tonight’s meeting?',
    'Will you be at the Finance Committee on Thursday?',
  ])('"%s" only asks for facts or a document', (text) => {
    expect(requests(text)).toEqual([]);
    expect(factual(text).length).toBeGreaterThan(0);
  });

  // No timing here (figures belong in bench/): a pattern that backtracks over these runs would
  // go far past the test's time-out, which is what this guards.
  test('reading stays linear: long runs of spaces and repeated phrases are read whole', () => {
    expect(analyseRequests(`${' '.repeat(200_000)}if you could fix it`).requests.length).toBeGreaterThan(0);
    for (const text of ['could you '.repeat(20_000), 'I wonder if '.repeat(20_000), `${'the '.repeat(50_000)}be`]) {
      expect(Array.isArray(analyseRequests(text).requests)).toBe(true);
    }
  });
});

