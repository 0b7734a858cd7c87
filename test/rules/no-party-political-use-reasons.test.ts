import { describe, expect, test } from 'vitest';
import rule from '../../src/rules/no-party-political-use.js';
import { A, mail, runRule } from '../support/council.js';

/** The reasons `wardwatch explain` shows when the rule does not fire, with and without council staff addressed. */
describe('no-party-political-use: reasons for not firing', () => {
  const text = 'Dear neighbours,\n\nThank you all for joining the Keep Millbrook Tidy campaign litter pick on Saturday.\n\nTom';

  test('a member writing to residents only: nobody was asked, and the civic campaign is named', () => {
    const ev = runRule(rule, mail({ from: A.tom, to: ['mary.finch@btinternet.com'], subject: 'Litter pick', text }));
    expect(ev.hits).toEqual([]);
    expect(ev.reason).toBe(
      'Cllr Tom Brown asked no officer or Clerk for anything (none in To or Cc); the campaign mentioned is a council or community one (“Keep Millbrook Tidy campaign”); no party or campaign business in the message',
    );
  });

  test('the same message to an officer names the same civic campaign', () => {
    const ev = runRule(rule, mail({ from: A.tom, to: [A.sam], subject: 'Litter pick', text }));
    expect(ev.hits).toEqual([]);
    expect(ev.reason).toContain('the campaign mentioned is a council or community one (“Keep Millbrook Tidy campaign”)');
    expect(ev.reason).toContain('made no request for work of Sam Patel');
  });
});
