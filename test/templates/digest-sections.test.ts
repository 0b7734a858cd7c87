/**
 * The digest's sections for the Clerk's console (issue 17): actions awaiting review, findings
 * marked not a breach, standing exceptions and party-group authorisations. Each is shown only
 * when it has something in it, in the text and the HTML part alike.
 */
import { describe, expect, it } from 'vitest';
import { templateDataSchema, type DigestData } from '../../src/templates/data.js';
import { renderTemplate } from '../../src/templates/render.js';
import { sampleData } from '../../src/templates/samples.js';

function digestSample(): DigestData {
  const data = sampleData('digest');
  if (!('digest' in data)) throw new Error('expected digest data');
  return data;
}

/** The sample with the new sections emptied, as a council without review or settlements gets it. */
function withoutNewSections(): DigestData {
  const data = digestSample();
  return {
    ...data,
    digest: { ...data.digest, totals: { ...data.digest.totals, awaitingReview: 0 }, awaitingReview: null, notABreach: [], exceptions: [], authorisations: [] },
  };
}

const TEXT_HEADINGS = ['AWAITING YOUR REVIEW', 'MARKED NOT A BREACH', 'STANDING EXCEPTIONS IN FORCE', 'PARTY-GROUP ATTENDANCES AUTHORISED'];
const HTML_HEADINGS = ['>Awaiting your review</h2>', '>Marked not a breach (', '>Standing exceptions in force</h2>', '>Party-group attendances authorised ('];

describe('the digest’s review, not-a-breach, exception and authorisation sections', () => {
  it('the sample shows every new section, so that `templates preview digest` and the startup check exercise them', () => {
    const message = renderTemplate('digest', digestSample());
    for (const heading of TEXT_HEADINGS) expect(message.text).toContain(heading);
    for (const heading of HTML_HEADINGS) expect(message.html).toContain(heading);
    expect(message.subject).toContain('; awaiting your review: 3)');
    expect(message.text).toContain('Findings: 6. Actions taken: 7. Needing a person: 2. Awaiting your review: 3.');
  });

  it('leaves out each new section, and the count in the subject, when it is empty', () => {
    const message = renderTemplate('digest', withoutNewSections());
    for (const heading of TEXT_HEADINGS) expect(message.text).not.toContain(heading);
    for (const heading of HTML_HEADINGS) expect(message.html).not.toContain(heading);
    expect(message.subject).toMatch(/\(findings: 6; needing you: 2\)$/);
    expect(message.text).toContain('Findings: 6. Actions taken: 7. Needing a person: 2.\n');
    // The sections that were there before stay, with their "nothing" lines.
    expect(message.text).toContain('NEEDS A PERSON TO LOOK AT');
    expect(message.text).toContain('OFFICERS AWAITING YOUR AUTHORISATION');
  });

  it('shows each section on its own when only it has something', () => {
    const empty = withoutNewSections();
    const sample = digestSample();
    const only = (part: Partial<DigestData['digest']>): string => renderTemplate('digest', { ...empty, digest: { ...empty.digest, ...part } }).text;
    const cases: [Partial<DigestData['digest']>, string][] = [
      [{ awaitingReview: sample.digest.awaitingReview }, 'AWAITING YOUR REVIEW'],
      [{ notABreach: sample.digest.notABreach }, 'MARKED NOT A BREACH'],
      [{ exceptions: sample.digest.exceptions }, 'STANDING EXCEPTIONS IN FORCE'],
      [{ authorisations: sample.digest.authorisations }, 'PARTY-GROUP ATTENDANCES AUTHORISED'],
    ];
    for (const [part, heading] of cases) {
      const text = only(part);
      expect(text).toContain(heading);
      for (const other of TEXT_HEADINGS.filter((h) => h !== heading)) expect(text).not.toContain(other);
    }
  });

  it('points to the console at its public address, or on the Wardwatch server, or to the command alone', () => {
    const sample = digestSample();
    const review = sample.digest.awaitingReview;
    if (review === null) throw new Error('expected the sample to hold actions awaiting review');
    const render = (console: typeof review.console) => renderTemplate('digest', { ...sample, digest: { ...sample.digest, awaitingReview: { ...review, console } } });

    const behindProxy = render({ url: 'https://wardwatch.millbrook-tc.gov.uk/', onServer: false });
    expect(behindProxy.text).toContain(
      'Please review them in the console at https://wardwatch.millbrook-tc.gov.uk/, or list them with: wardwatch outbox list --state awaiting-review --config FILE',
    );
    expect(behindProxy.html).toContain('<a href="https://wardwatch.millbrook-tc.gov.uk/">https://wardwatch.millbrook-tc.gov.uk/</a>');

    const onServer = render({ url: 'http://127.0.0.1:9464/', onServer: true });
    expect(onServer.text).toContain('Please review them in the console, on the Wardwatch server at http://127.0.0.1:9464/, or list them with:');

    const noConsole = render(null);
    expect(noConsole.text).toContain('Please review them with the command line; list them with: wardwatch outbox list --state awaiting-review --config FILE');
    expect(noConsole.text).not.toContain('in the console');
  });

  it('names no subject for a private dismissal, only its reason', () => {
    const message = renderTemplate('digest', digestSample());
    expect(message.text).toContain('    * a private matter — details withheld: “A thank-you, not a complaint.” (dismissed by helen.ashworth on Tuesday 13 April 2027 at 17:02)');
    expect(message.html).toContain('<li><em>a private matter — details withheld</em>: “A thank-you, not a complaint.” (dismissed by helen.ashworth on Tuesday 13 April 2027 at 17:02)</li>');
    expect(message.text).toContain('- Requests for officers’ work go through the Town Clerk: 1 dismissed and 2 covered by a standing exception; 9 in the last 90 days');
  });

  it('escapes what people typed (reasons, notes, exception values) in the HTML part', () => {
    const sample = digestSample();
    const [row] = sample.digest.notABreach;
    const [exception] = sample.digest.exceptions;
    const [authorisation] = sample.digest.authorisations;
    if (row === undefined || exception === undefined || authorisation === undefined) throw new Error('expected the sample to fill every section');
    const [dismissal] = row.dismissals;
    if (dismissal === undefined) throw new Error('expected a dismissal');
    const hostile = '<script>alert(1)</script>';
    const message = renderTemplate('digest', {
      ...sample,
      digest: {
        ...sample.digest,
        notABreach: [{ ...row, dismissals: [{ ...dismissal, reason: hostile }] }],
        exceptions: [{ ...exception, what: `items containing the words “${hostile}”` }],
        authorisations: [{ ...authorisation, note: hostile }],
      },
    });
    expect(message.html).not.toContain('<script>');
    expect(message.html.split('&lt;script&gt;alert(1)&lt;/script&gt;')).toHaveLength(4);
  });

  it('checks the new fields: the schema refuses a missing section or a count below its least', () => {
    const schema = templateDataSchema('digest');
    const sample = digestSample();
    expect(schema.safeParse(sample).success).toBe(true);
    expect(schema.safeParse(withoutNewSections()).success).toBe(true);
    const { notABreach: _dropped, ...rest } = sample.digest;
    expect(schema.safeParse({ ...sample, digest: rest }).success).toBe(false);
    const review = sample.digest.awaitingReview;
    if (review === null) throw new Error('expected review data');
    expect(schema.safeParse({ ...sample, digest: { ...sample.digest, awaitingReview: { ...review, total: 0 } } }).success).toBe(false);
    expect(schema.safeParse({ ...sample, digest: { ...sample.digest, awaitingReview: { ...review, rules: [] } } }).success).toBe(false);
    expect(schema.safeParse({ ...sample, digest: { ...sample.digest, exceptions: [{ what: 'x', rule: 'Every rule', reason: 'y', by: 'z', made: 'm' }] } }).success).toBe(false);
  });
});
