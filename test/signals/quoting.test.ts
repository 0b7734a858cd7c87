import { describe, expect, test } from 'vitest';
import { ownText } from '../../src/signals/match.js';
import { splitQuoted } from '../../src/signals/quoting.js';

const REQUEST = 'Could you repaint the railings outside the library?';

/** The own words of a text, blank lines and surrounding space tidied, for comparing. */
function own(text: string): string {
  return ownText(text).replace(/\n{2,}/g, '\n\n').trim();
}

describe('top-posting: the own words are above the history', () => {
  const attributions = [
    'On Mon, 16 Nov 2026 at 09:12, Sam Patel <sam.patel@millbrook-tc.gov.uk> wrote:',
    'On 16 Nov 2026, at 09:12, Sam Patel <sam.patel@millbrook-tc.gov.uk> wrote:',
    'On 16/11/2026 09:12, Sam Patel wrote:',
    'Sam Patel <sam.patel@millbrook-tc.gov.uk> wrote:',
    'Le lun. 16 nov. 2026 à 09:12, Sam Patel <sam.patel@millbrook-tc.gov.uk> a écrit :',
    'Am 16.11.2026 um 09:12 schrieb Sam Patel <sam.patel@millbrook-tc.gov.uk>:',
    'El lun, 16 nov 2026 a las 09:12, Sam Patel (<sam.patel@millbrook-tc.gov.uk>) escribió:',
    'Op ma 16 nov. 2026 om 09:12 schreef Sam Patel <sam.patel@millbrook-tc.gov.uk>:',
    'Ar Llun, 16 Tach 2026 am 09:12, Sam Patel <sam.patel@millbrook-tc.gov.uk> ysgrifennodd:',
  ];
  test.each(attributions)('%s', (attribution) => {
    const text = `${REQUEST}\n\nTom\n\n${attribution}\n> Please print 500 leaflets.\n> Sam`;
    expect(own(text)).toBe(`${REQUEST}\n\nTom`);
  });

  test('an attribution a mail client wrapped over two lines', () => {
    const text = `${REQUEST}\n\nOn Mon, 16 Nov 2026 at 09:12, Sam Patel <\nsam.patel@millbrook-tc.gov.uk> wrote:\n> Please print 500 leaflets.`;
    expect(own(text)).toBe(REQUEST);
  });

  const histories: [string, string][] = [
    ['an Outlook header block', 'From: Sam Patel <sam.patel@millbrook-tc.gov.uk>\nSent: 16 November 2026 09:12\nTo: Tom Brown\nSubject: Leaflets'],
    ['an Outlook header block in bold', '*From:* Sam Patel <sam.patel@millbrook-tc.gov.uk>\n*Sent:* 16 November 2026 09:12\n*To:* Tom Brown'],
    ['a German Outlook header block', 'Von: Sam Patel <sam.patel@millbrook-tc.gov.uk>\nGesendet: Montag, 16. November 2026 09:12\nAn: Tom Brown\nBetreff: Flugblätter'],
    ['a French Outlook header block', 'De : Sam Patel <sam.patel@millbrook-tc.gov.uk>\nEnvoyé : lundi 16 novembre 2026 09:12\nÀ : Tom Brown\nObjet : Tracts'],
    ['an Original Message line', '-----Original Message-----\nFrom: Sam Patel\nSent: 16 November 2026 09:12'],
    ['a Thunderbird original-message line', '-------- Original Message --------\nSubject: Leaflets\nDate: Mon, 16 Nov 2026 09:12:00 +0000'],
    ['a German original-message line', '-----Ursprüngliche Nachricht-----\nVon: Sam Patel'],
    ['a line of underscores', '________________________________\nFrom: Sam Patel'],
    ['a Gmail forward', '---------- Forwarded message ---------\nFrom: Sam Patel <sam.patel@millbrook-tc.gov.uk>\nDate: Mon, 16 Nov 2026 at 09:12'],
    ['an Apple Mail forward', 'Begin forwarded message:\n\nFrom: Sam Patel <sam.patel@millbrook-tc.gov.uk>'],
    ['a Zoho attribution', '---- On Mon, 16 Nov 2026 09:12:00 +0000 Sam Patel <sam.patel@millbrook-tc.gov.uk> wrote ----'],
    ['an attribution over unquoted history', 'On 16 Nov 2026, at 09:12, Sam Patel wrote:\n'],
  ];
  test.each(histories)('%s: everything below is history, with or without quote markers', (_name, head) => {
    const text = `${REQUEST}\n\n${head}\n\nPlease print 500 leaflets for the campaign.\n\nSam`;
    expect(own(text)).toBe(REQUEST);
    expect(splitQuoted(text).hadHistory).toBe(true);
  });
});

describe('bottom-posting and interleaved answers: unquoted lines below or between quotes are own words', () => {
  test('an answer below the quoted message', () => {
    const text = `On Mon, 16 Nov 2026 at 09:12, Sam Patel <sam.patel@millbrook-tc.gov.uk> wrote:\n> The benches are in.\n> Sam\n\n${REQUEST}\n\nTom`;
    expect(own(text)).toBe(`${REQUEST}\n\nTom`);
  });

  test('answers between quoted lines, each a paragraph of its own', () => {
    const text = '> Which drain?\nThe one on Mill Lane\n> Is it urgent?\nYes, it floods.\n>> An older quote\n> More\nCould you clear it this week?';
    expect(own(text)).toBe('The one on Mill Lane\n\nYes, it floods.\n\nCould you clear it this week?');
  });

  test('a quote without an attribution, answered below', () => {
    expect(own(`> Can you help?\n\n${REQUEST}`)).toBe(REQUEST);
  });

  test('nothing but a quote has no own words', () => {
    expect(own('On Mon, 16 Nov 2026 at 09:12, Sam Patel wrote:\n> Please print 500 leaflets.\n')).toBe('');
  });
});

describe('own lines that look a little like history are kept', () => {
  test('"… wrote:" introducing the author\'s own text, with no quote and no date or address', () => {
    const text = 'Here is what the resident wrote:\n\nThe bins on Mill Lane were missed again.';
    expect(own(text)).toBe(text);
  });

  test('a "From:" line giving a time, not heading a message', () => {
    const text = 'The hall is booked.\n\nFrom: 10:00\nDate: Tuesday 17 November\n\nCould you set out the chairs?';
    expect(own(text)).toBe(text);
  });

  test('a "From:" line with no Sent, Date or Subject line under it', () => {
    const text = 'Minutes of the meeting.\n\nFrom: the Clerk\n\nCould you circulate them?';
    expect(own(text)).toBe(text);
  });
});

describe('linear in its input', () => {
  // No timing here (figures belong in bench/): a path that backtracks or rescans would run far past
  // the test's time-out on these inputs, which is what this guards.
  test('long texts of lines that start attributions or headers, or are quoted, are read whole', () => {
    const n = 40_000;
    const texts = [
      'On Mon, 16 Nov 2026 at 09:12, Sam Patel <\n'.repeat(n),
      'From: Sam Patel\n\n\n'.repeat(n),
      '> quoted\nanswer\n'.repeat(n),
      `On ${'x'.repeat(600)} wrote:\n`.repeat(2_000),
      `${'a '.repeat(200_000)}wrote:`,
    ];
    for (const text of texts) expect(Array.isArray(splitQuoted(text).runs)).toBe(true);
  });
});
