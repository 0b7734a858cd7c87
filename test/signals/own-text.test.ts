import { describe, expect, test } from 'vitest';
import { withoutQuotedReplies } from '../../src/signals/capacity.js';
import { ownText } from '../../src/signals/match.js';

const DISCLAIMERS = [
  'This email and any attachments are confidential and intended solely for the addressee.',
  'This e-mail is intended only for the person to whom it is addressed.',
  'The information in this email is confidential and may be legally privileged.',
  'If you are not the intended recipient, please contact the sender and delete it.',
  'If you have received this email in error please notify the sender.',
  'DISCLAIMER: Millbrook Town Council accepts no responsibility for any loss.',
  '*** Confidentiality notice ***',
];

describe('own text and signed text stop at an e-mail disclaimer', () => {
  test.each(DISCLAIMERS)('%s', (disclaimer) => {
    const text = `Hi Priya,\n\nHow many plots are vacant?\n\nRaj\nCllr Raj Mehta, Riverside Ward\n\n${disclaimer}\nPlease contact the sender immediately.`;
    expect(ownText(text)).not.toContain('Please contact');
    expect(ownText(text)).toContain('How many plots are vacant?');
    expect(withoutQuotedReplies(text)).toContain('Cllr Raj Mehta, Riverside Ward');
    expect(withoutQuotedReplies(text)).not.toContain('Please contact');
  });

  test('a first line is the message itself, never a disclaimer (it may be a marking)', () => {
    const text = 'This email is confidential: the Part II staffing report.\n\nPlease do not share it.';
    expect(ownText(text)).toBe(text);
  });

  test('ordinary sentences about e-mail are kept', () => {
    const text = 'Hi Sam,\n\nThis email is about the bins.\nIf you are free on Tuesday, could you call?\n\nSue';
    expect(ownText(text)).toBe(text);
  });
});
