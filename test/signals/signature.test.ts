import { describe, expect, test } from 'vitest';
import { withoutQuotedReplies } from '../../src/signals/capacity.js';
import { ownText } from '../../src/signals/match.js';
import { authorText, isClosing, withoutCouncilAddress } from '../../src/signals/signature.js';

const BODY = 'Hi Sam,\n\nCould you book the community room for Tuesday?';
const ADDRESS = 'Millbrook Town Council, Town Hall, 1 Market Street, Millbrook MB1 2AB';

function tidy(text: string): string {
  return text.replace(/\n{2,}/g, '\n\n').trim();
}

describe('sign-off blocks: a closing followed only by signature lines', () => {
  const blocks = [
    `Kind regards,\nCllr Tom Brown\nMayor of Millbrook\n${ADDRESS}\nTel: 01632 960123\nwww.millbrook-tc.gov.uk`,
    'Best wishes\nTom',
    'Many thanks, Tom',
    'Thanks Tom',
    'Yours sincerely,\n\nTom Brown\nCllr, Castle Ward (he/him)',
    'With kind regards,\nHelen Ashworth\nClerk to the Council\nhelen.ashworth@millbrook-tc.gov.uk | 01632 960100',
    'Cheers,\nT.',
    'Sent from my iPhone',
    'Regards\n\nSam Patel\nAssistant Clerk\nM: +44 7700 900123',
  ];
  test.each(blocks)('%s', (block) => {
    const text = `${BODY}\n\n${block}`;
    expect(tidy(ownText(text))).toBe(BODY);
    // The signed view keeps it: a signature is where a member may say in what capacity they write.
    expect(withoutQuotedReplies(text)).toBe(text);
  });

  test('the RFC 3676 delimiter ends the own words, wherever the signature is written', () => {
    const text = `${BODY}\n\n-- \nTom Brown\nWrites on behalf of the Castle Residents' Association`;
    expect(tidy(ownText(text))).toBe(BODY);
    expect(withoutQuotedReplies(text)).toBe(text);
  });

  test('a sign-off above the quoted history of a top-posted reply', () => {
    const text = `${BODY}\n\nKind regards,\nTom\n${ADDRESS}\n\nOn Mon, 16 Nov 2026 at 09:12, Sam Patel wrote:\n> Which room?`;
    expect(tidy(ownText(text))).toBe(BODY);
  });
});

describe('real content after a closing is never eaten', () => {
  const texts = [
    'Hi Sam,\n\nKind regards,\nTom\n\nP.S. Could you also book the hall?',
    'Hi Sam,\n\nThanks\nPlease print the agenda for Tuesday\nTom',
    'Thanks for the report on Riverside Park.\n\nCould you put it on the agenda?\n\nTom',
    'Best Value Review\nCastle Street Parking\nMarket Square Stalls',
    'Hi Sam,\n\nMany thanks,\nTom\n\nThe bins on Mill Lane were missed again and residents are cross.',
  ];
  test.each(texts)('%s', (text) => {
    expect(ownText(text)).toBe(text);
  });

  test('closings are whole lines: a closing word opening a sentence is not one', () => {
    expect(isClosing('Thanks for looking into this.')).toBe(false);
    expect(isClosing('Regarding the benches:')).toBe(false);
    expect(isClosing('Best Value Review')).toBe(false);
    expect(isClosing('Kind regards,')).toBe(true);
    expect(isClosing('Many thanks Sue')).toBe(true);
    expect(isClosing('Best, Sam Patel')).toBe(true);
  });
});

describe('boilerplate is nobody\'s words, in either view', () => {
  const footers: [string, string][] = [
    ['a newsletter footer', 'To unsubscribe please send an email to news@millbrook-tc.gov.uk and we will arrange it.'],
    ['a mailing-list footer', 'You received this message because you are subscribed to the Google Groups "Castle Ward" group.\nTo unsubscribe from this group, send an email to castle+unsubscribe@googlegroups.com.'],
    ['a preferences footer', 'Unsubscribe | Update your preferences\nMillbrook Town Council, Town Hall, 1 Market Street'],
    ['an opt-out footer', 'If you no longer wish to receive these updates, please reply and we will remove you.'],
    ['a disclaimer', 'This message may contain confidential information. If you have received it in error, please contact the sender.'],
    ['a views disclaimer', 'Any views or opinions expressed are solely those of the author. Please arrange for it to be deleted.'],
    ['a monitoring notice', 'E-mails to and from the Council may be monitored. Please organise your files accordingly.'],
  ];
  test.each(footers)('%s', (_name, footer) => {
    const text = `${BODY}\n\nTom\n\n${footer}`;
    expect(tidy(ownText(text))).toBe(`${BODY}\n\nTom`);
    expect(tidy(withoutQuotedReplies(text))).toBe(`${BODY}\n\nTom`);
  });

  const bounces = [
    "This is the mail system at host mail.millbrook-tc.gov.uk.\n\nI'm sorry to have to inform you that your message could not\nbe delivered to one or more recipients.",
    'Delivery has failed to these recipients or groups:\n\nsam.patel@millbrook-tc.gov.uk',
    'Your message couldn\'t be delivered to sam.patel@millbrook-tc.gov.uk because the mailbox is full.',
    'This message was created automatically by mail delivery software.\n\nA message that you sent could not be delivered to one or more of its recipients.',
  ];
  test.each(bounces)('a delivery failure and the message returned under it: %s', (bounce) => {
    const text = `${bounce}\n\n------ This is a copy of the message, including all the headers. ------\n\n> quoted\n\nCould you print 500 leaflets for the campaign?`;
    expect(ownText(text).trim()).toBe('');
    expect(withoutQuotedReplies(text).trim()).toBe('');
  });

  test('an external-sender banner over the message is left out, the message is not', () => {
    const text = `CAUTION: This email originated from outside of the organisation.\nDo not click links unless you recognise the sender.\n\n${BODY}`;
    expect(tidy(ownText(text))).toBe(BODY);
  });

  test('a "view in your browser" line is left out on its own', () => {
    expect(tidy(ownText(`View this email in your browser\n\n${BODY}`))).toBe(BODY);
  });

  test('a first line reading as a disclaimer throughout is one; a marking on the first line is kept', () => {
    expect(ownText('This e-mail and any attachments may contain confidential information and are intended solely for the addressee.')).toBe('');
    const marking = 'This email is strictly confidential: the Part II staffing report.\n\nPlease do not forward it.';
    expect(ownText(marking)).toBe(marking);
  });

  test('a disclaimer on a gateway\'s line under the quoted history of a top-posted reply', () => {
    const text = `${BODY}\n\nTom\n\nOn Mon, 16 Nov 2026 at 09:12, Sam Patel wrote:\n> Which room?\n\nThis email and any attachments are confidential. If you are not the intended recipient, please arrange for it to be deleted.`;
    expect(tidy(ownText(text))).toBe(`${BODY}\n\nTom`);
  });
});

describe("the council's own address block, for placing a message in a ward", () => {
  const marks = ['Millbrook Town Council', 'millbrook-tc.gov.uk'];

  test('trailing signature paragraphs naming the council are left out', () => {
    const text = `The survey covers the Hazel Avenue allotments.\n\nPriya Shah\nProjects Officer | Millbrook Town Council\nTown Hall, 1 Market Street, Millbrook MB1 2AB\n\nT: 01632 960123 | www.millbrook-tc.gov.uk`;
    expect(withoutCouncilAddress(text, marks)).toBe('The survey covers the Hazel Avenue allotments.');
  });

  test('a closing paragraph of content is kept, even with places in it', () => {
    const text = 'The drop-in is at:\n\nRiverside Park Pavilion\nMill Lane\nMillbrook MB2 4AA';
    expect(withoutCouncilAddress(text, marks)).toBe(text);
  });

  test('a paragraph naming the council in a sentence is kept', () => {
    const text = 'Dear residents,\n\nMillbrook Town Council is consulting on the Market Square stalls until 9 January.';
    expect(withoutCouncilAddress(text, marks)).toBe(text);
  });
});

describe('linear in its input', () => {
  // No timing here (figures belong in bench/): a path that backtracks or rescans would run far past
  // the test's time-out on these inputs, which is what this guards.
  test('long runs of closings, signature lines and disclaimer openings are read whole', () => {
    const texts = [
      'Kind regards,\n'.repeat(50_000),
      `${'Millbrook Town Council\n'.repeat(50_000)}`,
      'This email is confidential\n'.repeat(20_000),
      `${'1 '.repeat(100_000)}\n`.repeat(3),
    ];
    for (const text of texts) {
      expect(typeof authorText(text, false)).toBe('string');
      expect(typeof authorText(text, true)).toBe('string');
      expect(typeof withoutCouncilAddress(text, ['Millbrook Town Council'])).toBe('string');
    }
  });
});
