import { describe, expect, it } from 'vitest';
import { findForwardedAuthors, forwardedBlocks, hasForwardMarker, isForwardSubject, parseAuthorLine } from '../../src/items/forwarded.js';
import { A } from '../support/council.js';

const text = (...lines: string[]): string => lines.join('\n');

describe('findForwardedAuthors', () => {
  it('reads an Outlook block after -----Original Message-----', () => {
    const body = text(
      'Sue, for your information.',
      '',
      '-----Original Message-----',
      'From: Raj Mehta <raj.mehta@millbrook-tc.gov.uk>',
      'Sent: Friday, March 12, 2027 9:14 AM',
      'To: Priya Shah <priya.shah@millbrook-tc.gov.uk>',
      'Subject: Weir Road',
      '',
      'Can you chase the gullies please?',
    );
    expect(findForwardedAuthors(body, [])).toEqual({
      authors: [{ address: A.raj, name: 'Raj Mehta' }],
      hasForwardedContent: true,
    });
  });

  it('reads an Outlook block after a line of underscores, with the old [mailto:] form and a comma in the name', () => {
    const body = text(
      'See below.',
      '________________________________',
      'From: Brown, Tom [mailto:Tom.Brown@millbrook-tc.gov.uk]',
      'Sent: 04 March 2027 12:00',
      'To: Sam Patel',
    );
    expect(findForwardedAuthors(body, []).authors).toEqual([{ address: A.tom, name: 'Brown, Tom' }]);
  });

  it('reads a From:/Sent: block with no separator line at all, bold markers included', () => {
    const body = text('FYI', '', '*From:* Alice Green <alice.green@millbrook-tc.gov.uk>', '*Sent:* 1 March 2027', '*To:* Sam');
    expect(findForwardedAuthors(body, []).authors).toEqual([{ address: A.alice, name: 'Alice Green' }]);
  });

  it('reads a Gmail forwarded-message block', () => {
    const body = text(
      'Dan - can you look into this?',
      '',
      '---------- Forwarded message ---------',
      'From: Jane Smith <j.smith@example.com>',
      'Date: Mon, 8 Mar 2027 at 18:02',
      'Subject: Hazel Avenue street lights',
      'To: <tombrown1960@gmail.com>',
    );
    expect(findForwardedAuthors(body, [])).toEqual({
      authors: [{ address: A.resident, name: 'Jane Smith' }],
      hasForwardedContent: true,
    });
  });

  it('reads an Apple Mail "Begin forwarded message:" block, where Subject comes before Date', () => {
    const body = text(
      'Forwarding as promised.',
      '',
      'Begin forwarded message:',
      '',
      'From: "Ben Hughes" <ben.hughes@millbrook-tc.gov.uk>',
      'Subject: Northfield lease',
      'Date: 13 January 2027 at 17:45:10 GMT',
      'To: Dan Okafor <dan.okafor@millbrook-tc.gov.uk>',
    );
    expect(findForwardedAuthors(body, []).authors).toEqual([{ address: A.ben, name: 'Ben Hughes' }]);
  });

  it('reads a Thunderbird forward and a bare address', () => {
    const body = text('-------- Forwarded Message --------', 'Subject: Bins', 'Date: Tue, 2 Mar 2027 10:00:00 +0000', 'From: sue.taylor@millbrook-tc.gov.uk');
    expect(findForwardedAuthors(body, []).authors).toEqual([{ address: A.sue }]);
  });

  it('finds several authors in a chain of forwards, each once', () => {
    const body = text(
      '---------- Forwarded message ---------',
      'From: Raj Mehta <raj.mehta@millbrook-tc.gov.uk>',
      'Date: Tue, 2 Mar 2027',
      '',
      '---------- Forwarded message ---------',
      'From: Jane Smith <j.smith@example.com>',
      'Date: Mon, 1 Mar 2027',
      '',
      '________________________________',
      'From: Raj Mehta <RAJ.MEHTA@millbrook-tc.gov.uk>',
      'Sent: 28 February 2027',
    );
    expect(findForwardedAuthors(body, []).authors.map((a) => a.address)).toEqual([A.raj, A.resident]);
  });

  it('does not count a quoted reply’s author ("On … wrote:") as forwarded', () => {
    const body = text(
      'Thanks Raj, I will look into it.',
      '',
      'On Fri, 12 Mar 2027 at 09:14, Raj Mehta <raj.mehta@millbrook-tc.gov.uk> wrote:',
      '> Priya, could you chase the highways authority?',
      '> Raj',
    );
    expect(findForwardedAuthors(body, [])).toEqual({ authors: [], hasForwardedContent: false });
  });

  it('does not count a forward that sits inside a quoted reply', () => {
    const body = text(
      'Agreed, thank you.',
      '',
      'On Tue, 9 Mar 2027 at 10:00, Dan Okafor <dan.okafor@millbrook-tc.gov.uk>',
      'wrote:',
      '> Tom, I have reported the lights.',
      '>',
      '> ---------- Forwarded message ---------',
      '> From: Jane Smith <j.smith@example.com>',
      '> Date: Mon, 8 Mar 2027 at 18:02',
      '',
      'Tom',
    );
    expect(findForwardedAuthors(body, [])).toEqual({ authors: [], hasForwardedContent: false });
  });

  it('does count a forward quoted with ">" when no reply attribution introduces it', () => {
    const body = text('Below.', '> From: Raj Mehta <raj.mehta@millbrook-tc.gov.uk>', '> Sent: 12 March 2027 09:14', '> Subject: Weir Road');
    expect(findForwardedAuthors(body, []).authors).toEqual([{ address: A.raj, name: 'Raj Mehta' }]);
  });

  it('ignores an ordinary sentence that begins with "From:"', () => {
    const body = text('Dear Clerk,', '', 'From: the residents’ point of view, the drains matter most.', '', 'Regards');
    expect(findForwardedAuthors(body, [])).toEqual({ authors: [], hasForwardedContent: false });
  });

  it('copes with a hostile, enormous From: line', () => {
    const body = text('________________________________', `From: ${'a'.repeat(300_000)}`, 'Sent: today');
    expect(findForwardedAuthors(body, [])).toEqual({ authors: [], hasForwardedContent: true });
  });

  it('notes forwarded content even when the block names no address', () => {
    const body = text('________________________________', 'From: Brown, Tom', 'Sent: 04 March 2027 12:00', 'Subject: Bins');
    expect(findForwardedAuthors(body, [])).toEqual({ authors: [], hasForwardedContent: true });
  });

  it('adds the authors of attached messages, without repeating one already found in the text', () => {
    const body = text('---------- Forwarded message ---------', 'From: Ben Hughes <ben.hughes@millbrook-tc.gov.uk>', 'Date: today');
    const result = findForwardedAuthors(body, [{ address: A.ben }, { address: A.sue, name: 'Cllr Sue Taylor' }]);
    expect(result.authors).toEqual([
      { address: A.ben, name: 'Ben Hughes' },
      { address: A.sue, name: 'Cllr Sue Taylor' },
    ]);
    expect(findForwardedAuthors('just a note', [{ address: A.sue }])).toEqual({ authors: [{ address: A.sue }], hasForwardedContent: true });
  });
});

describe('parseAuthorLine', () => {
  it.each([
    ['Tom Brown <tom.brown@millbrook-tc.gov.uk>', { address: A.tom, name: 'Tom Brown' }],
    ['"Brown, Tom" <tom.brown@millbrook-tc.gov.uk>', { address: A.tom, name: 'Brown, Tom' }],
    ['Tom Brown [mailto:tom.brown@millbrook-tc.gov.uk]', { address: A.tom, name: 'Tom Brown' }],
    ['Tom Brown <mailto:tom.brown@millbrook-tc.gov.uk>', { address: A.tom, name: 'Tom Brown' }],
    ['<tom.brown@millbrook-tc.gov.uk>', { address: A.tom }],
    ['tom.brown@millbrook-tc.gov.uk', { address: A.tom }],
    ['Sam Patel on behalf of <tom.brown@millbrook-tc.gov.uk>', { address: A.tom, name: 'Sam Patel' }],
  ])('%s', (line, expected) => {
    expect(parseAuthorLine(line)).toEqual(expected);
  });

  it('returns nothing for a name without an address or an invalid address', () => {
    expect(parseAuthorLine('Brown, Tom')).toBeUndefined();
    expect(parseAuthorLine('Tom <not an address>')).toBeUndefined();
  });
});

describe('isForwardSubject', () => {
  it.each(['Fw: bins', 'FW: bins', 'Fwd: bins', 'fwd:bins', ' Fwd: Fwd: bins'])('%s is a forward', (subject) => {
    expect(isForwardSubject(subject)).toBe(true);
  });
  it.each(['Re: bins', 'RE: FW: bins', 'Forward planning', 'Fwd bins', ''])('%s is not', (subject) => {
    expect(isForwardSubject(subject)).toBe(false);
  });
});

describe('forwardedBlocks', () => {
  it('reads the header lines and first line of a Gmail forward', () => {
    const [block, ...rest] = forwardedBlocks(
      'FYI\n\n---------- Forwarded message ---------\nFrom: Helen Ashworth <clerk@millbrook-tc.gov.uk>\nDate: Mon, 8 Mar 2027 at 09:12\nSubject: CONFIDENTIAL: restructure\nTo: Tom <tom@x.org>\n\nDear Tom,\n\nBelow.',
    );
    expect(rest).toEqual([]);
    expect(block?.headers.get('subject')).toBe('CONFIDENTIAL: restructure');
    expect(block?.headers.get('from')).toBe('Helen Ashworth <clerk@millbrook-tc.gov.uk>');
    expect(block?.firstLine).toBe('Dear Tom,');
  });

  it('reads past a To line carried on to the next line (Outlook)', () => {
    const [block] = forwardedBlocks(
      'See below.\n\n________________________________\nFrom: Helen Ashworth\nSent: 08 March 2027 09:12\nTo: Cllr Sue Taylor <sue@x.org>;\n Cllr Raj Mehta <raj@x.org>\nSubject: Weir Road land\n\nPRIVATE AND CONFIDENTIAL\n',
    );
    expect(block?.headers.get('subject')).toBe('Weir Road land');
    expect(block?.firstLine).toBe('PRIVATE AND CONFIDENTIAL');
  });

  it('reads an Apple Mail forward quoted with ">" and a From/Sent block with no separator', () => {
    const apple = forwardedBlocks('Begin forwarded message:\n\n> From: A <a@x.org>\n> Subject: Part II: land\n>\n> Text here');
    expect(apple[0]?.headers.get('subject')).toBe('Part II: land');
    expect(apple[0]?.firstLine).toBe('Text here');
    const outlook = forwardedBlocks('Hi\n\nFrom: A <a@x.org>\nSent: Monday\nSubject: Budget\n\nBody line');
    expect(outlook[0]?.headers.get('sent')).toBe('Monday');
    expect(outlook[0]?.firstLine).toBe('Body line');
  });

  it('finds nothing in a message with no forwarded block, or a "From:" that is just a sentence', () => {
    expect(forwardedBlocks('Dear Sam,\n\nThanks for the update.\n\nTom')).toEqual([]);
    expect(forwardedBlocks('From: the look of it, the hedge needs cutting.\nThanks')).toEqual([]);
  });

  it('tells a forward marker from a reply block', () => {
    expect(hasForwardMarker('x\n---------- Forwarded message ---------\nFrom: a@b')).toBe(true);
    expect(hasForwardMarker('x\n-----Original Message-----\nFrom: a@b\nSent: y')).toBe(false);
  });
});
