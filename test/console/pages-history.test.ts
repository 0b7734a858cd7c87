/**
 * The console's history (search, paging, CSV export) and its reading pages: elections, sources,
 * digests and the audit, each with its data and its empty state.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { effectPath } from '../../src/console/pages/common.js';
import { AUDIT_PAGE_SIZE } from '../../src/console/pages/audit.js';
import { csvField, HISTORY_PAGE_SIZE } from '../../src/console/pages/history.js';
import type { NewEffect } from '../../src/store/types.js';
import { A } from '../support/council.js';
import { benchPool, bodyOf, type PagesBench } from './pages-harness.js';

let bench: PagesBench;
const pool = benchPool();
afterEach(pool.dispose);

/** An effect recorded straight into the store (dry run: the outbox never carries it out). */
async function effect(n: number, spec: { rule?: string; recipient?: string; at: string; itemKey?: string }): Promise<void> {
  const recipient = spec.recipient ?? A.alice;
  const e: NewEffect = {
    key: `ww1;${spec.rule ?? 'no-blind-copies'};item-${n};${recipient};nudge`,
    kind: 'nudge',
    rule: spec.rule ?? 'no-blind-copies',
    itemKey: spec.itemKey ?? `<item-${n}@millbrook-tc.gov.uk>`,
    recipient,
    payload: { summary: `Finding ${n}.`, clauses: ['12.1'] },
    messageId: `<effect-${n}@millbrook-tc.gov.uk>`,
    notBefore: spec.at,
  };
  await bench.store.insertEffect(e, spec.at, { state: 'skipped-dry-run', outcome: 'Recorded in a dry run.' });
}

function download(response: Awaited<ReturnType<PagesBench['request']>>): { filename: string; body: string } {
  if (response.kind !== 'download') throw new Error(`expected a download, got ${response.kind}`);
  expect(response.contentType).toMatch(/^text\/csv/);
  return { filename: response.filename, body: response.body };
}

describe('History', () => {
  beforeEach(() => {
    bench = pool.make();
  });

  it('has an empty state, and says so when a search finds nothing', async () => {
    expect(await bench.get('/history')).toContain('Wardwatch has not planned anything yet.');
    await effect(1, { at: '2026-11-10T10:00:00.000Z' });
    expect(await bench.get('/history?person=nobody-at-all')).toContain('Nothing matches your search.');
  });

  it('lists every effect newest first with when, rule, action, to, state and a link; digest entries left out', async () => {
    await bench.blindCopy();
    const page = await bench.get('/history');
    const nudge = await bench.effect('nudge', A.alice);
    expect(page).toContain('Effects, newest first');
    expect(page).toContain('<th scope="col" class="govuk-table__header">When</th>');
    expect(page).toContain('Blind copies in member–officer correspondence');
    expect(page).toContain('Cllr Alice Green');
    expect(page).toContain('Awaiting review');
    expect(page).toContain(`href="${effectPath(nudge.key)}"`);
    expect(page).not.toContain('Digest entry');
  });

  it('searches by person (a name or part of an address), rule and council days', async () => {
    await effect(1, { at: '2026-11-09T23:30:00.000Z', recipient: A.alice });
    await effect(2, { at: '2026-11-10T00:30:00.000Z', recipient: A.sue, rule: 'requests-via-clerk' });
    await effect(3, { at: '2026-11-12T12:00:00.000Z', recipient: A.tom });
    const rows = (page: string): number => (page.match(/<tr class="govuk-table__row"><td/g) ?? []).length;

    expect(rows(await bench.get('/history'))).toBe(3);
    let page = await bench.get('/history?person=Sue+Taylor');
    expect(rows(page)).toBe(1);
    expect(page).toContain('Cllr Sue Taylor');
    expect(page).toContain('value="Sue Taylor"');
    expect(rows(await bench.get('/history?person=tom.brown'))).toBe(1);
    page = await bench.get('/history?rule=requests-via-clerk');
    expect(rows(page)).toBe(1);
    expect(page).toContain('<option value="requests-via-clerk" selected>');
    // 10 November in Millbrook is 00:00–24:00 GMT: the effect at 23:30 on the 9th is not in it.
    page = await bench.get('/history?from=2026-11-10&to=10/11/2026');
    expect(rows(page)).toBe(1);
    expect(page).toContain('Cllr Sue Taylor');
    expect(rows(await bench.get('/history?from=2026-11-11'))).toBe(1);
  });

  it('refuses a date that is not one, with the field marked', async () => {
    const response = await bench.request('GET', '/history?from=31/02/2027&to=yesterday');
    expect(response).toMatchObject({ kind: 'page', status: 400 });
    const body = bodyOf(response);
    expect(body).toContain('govuk-error-summary');
    expect(body).toContain('href="#from"');
    expect(body).toContain('href="#to"');
    expect((await bench.request('GET', '/history?from=2027-02-01&to=2027-01-01')).kind).toBe('page');
    expect(bodyOf(await bench.request('GET', '/history?from=2027-02-01&to=2027-01-01'))).toContain('The last day must be the same as or after the first day');
  });

  it('pages through more than 50, older and back to newer', async () => {
    for (let n = 1; n <= 120; n++) await effect(n, { at: new Date(Date.parse('2026-11-01T09:00:00.000Z') + n * 60_000).toISOString() });
    const links = (page: string): { older?: string; newer?: string } => {
      const older = /href="([^"]+)" rel="next"/.exec(page)?.[1]?.replace(/&amp;/g, '&');
      const newer = /href="([^"]+)" rel="prev"/.exec(page)?.[1]?.replace(/&amp;/g, '&');
      return { ...(older !== undefined ? { older } : {}), ...(newer !== undefined ? { newer } : {}) };
    };
    const items = (page: string): number[] => [...page.matchAll(/item-(\d+)%3B/g)].map((m) => Number(m[1]));

    const first = await bench.get('/history');
    expect(items(first)).toHaveLength(HISTORY_PAGE_SIZE);
    expect(items(first)[0]).toBe(120);
    expect(links(first).newer).toBeUndefined();
    const second = await bench.get(links(first).older ?? '');
    expect(items(second)[0]).toBe(70);
    const third = await bench.get(links(second).older ?? '');
    expect(items(third)).toEqual(Array.from({ length: 20 }, (_, i) => 20 - i));
    expect(links(third).older).toBeUndefined();
    const back = await bench.get(links(third).newer ?? '');
    expect(items(back)).toEqual(items(second));
    const top = await bench.get(links(back).newer ?? '');
    expect(items(top)).toEqual(items(first));
    expect(links(top).newer).toBeUndefined();
  });
});

describe('History as CSV', () => {
  beforeEach(() => {
    bench = pool.make();
  });

  it('quotes as RFC 4180 says and makes formulas plain text', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a, b')).toBe('"a, b"');
    expect(csvField('say "hello"')).toBe('"say ""hello"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('=HYPERLINK("http://x")')).toBe(`"'=HYPERLINK(""http://x"")"`);
    expect(csvField('+1')).toBe("'+1");
    expect(csvField('-2')).toBe("'-2");
    expect(csvField('@SUM(A1)')).toBe("'@SUM(A1)");
  });

  it('exports the search, every row, with a dated filename', async () => {
    await effect(9001, { at: '2026-11-02T09:00:00.000Z', recipient: '@evil.example', rule: 'requests-via-clerk' });
    await bench.blindCopy('=cmd|" /C calc"!A0, "quoted"');
    const { filename, body } = download(await bench.request('GET', '/history.csv'));
    expect(filename).toBe('wardwatch-history-2026-11-20.csv');
    // A UTF-8 byte-order mark first, or Excel on Windows reads “…” and – in the local code page.
    expect([...Buffer.from(body, 'utf8').subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(body.indexOf('\uFEFF', 1)).toBe(-1);
    const lines = body.slice(1).split('\r\n');
    expect(lines[0]).toBe('created,rule,rule title,action,to,address,state,about,finished,attempts,last error,effect key,item key');
    expect(lines).toHaveLength(4);
    expect(lines[1]).toContain('2026-11-20 10:00,no-blind-copies,Blind copies in member–officer correspondence,Nudge,Cllr Alice Green,alice.green@millbrook-tc.gov.uk,Awaiting review,');
    expect(lines[1]).toContain('"“=cmd|"" /C calc""!A0, ""quoted""”, sent Friday 20 November 2026 at 09:30"');
    expect(lines[2]).toContain(",'@evil.example,'@evil.example,");

    const filtered = download(await bench.request('GET', '/history.csv?rule=requests-via-clerk')).body.split('\r\n');
    expect(filtered).toHaveLength(3);
    expect(filtered[1]).toContain('requests-via-clerk');
  });

  it('reads page after page from the store: every one of 1,100 rows', async () => {
    for (let n = 1; n <= 1100; n++) await effect(n, { at: new Date(Date.parse('2026-11-01T09:00:00.000Z') + n * 1000).toISOString() });
    const lines = download(await bench.request('GET', '/history.csv')).body.split('\r\n').filter((l) => l !== '');
    expect(lines).toHaveLength(1101);
    const keys = new Set(lines.slice(1).map((l) => /item-(\d+);/.exec(l)?.[1]));
    expect(keys.size).toBe(1100);
  });
});

describe('Elections', () => {
  it('lists each ward’s period and every election, with the one in force now', async () => {
    bench = pool.make({ now: '2027-01-10T12:00:00.000Z' });
    const page = await bench.get('/elections');
    expect(page).toContain('Northfield by-election');
    expect(page).toContain('Thursday 21 January 2027');
    expect(page).toContain('Town council elections');
    expect(page).toContain('Thursday 6 May 2027');
    expect(page).toMatch(/Northfield<\/td><td class="govuk-table__cell">Northfield by-election<\/td>.*?In force now/);
    expect(page).toMatch(/Castle<\/td><td class="govuk-table__cell">Town council elections<\/td>.*?Coming/);
  });

  it('has an empty state', async () => {
    bench = pool.make({ config: { elections: [] } });
    expect(await bench.get('/elections')).toContain('No election is in the configuration.');
  });
});

describe('Sources', () => {
  it('shows each source’s state, last read and last error, the outbox and what is held aside', async () => {
    bench = pool.make();
    expect(await bench.get('/sources')).toContain('Not read yet');
    await bench.store.recordSourceSuccess('folder', '2026-11-20T08:00:00.000Z');
    await bench.store.recordSourceError('folder', '2026-11-20T09:00:00.000Z', 'permission <denied>');
    await bench.store.recordProblem({ origin: 'mail/x.eml', kind: 'mail', reason: 'it has no headers' }, '2026-11-20T09:00:00.000Z');
    const page = await bench.get('/sources');
    expect(page).toContain('<strong class="govuk-tag govuk-tag--red">Failing</strong>');
    expect(page).toContain('Friday 20 November 2026 at 08:00');
    expect(page).toContain('permission &lt;denied&gt;');
    expect(page).toContain('mail/x.eml');
    expect(page).toContain('Could not be read');
  });
});

describe('Digests', () => {
  it('has an empty state, lists digests newest first and shows one as sent, as text', async () => {
    bench = pool.make();
    expect(await bench.get('/digests')).toContain('No digest has been sent yet.');
    expect(await bench.request('GET', '/digests/2026-11-19')).toMatchObject({ kind: 'page', status: 404 });
    await bench.store.recordDigest('2026-11-18', '<d1@x>', '2026-11-18T17:00:00.000Z', {
      subject: 'Protocol digest for Wednesday 18 November 2026',
      text: 'Good evening,\n\n<b>2 findings</b> & nothing else.',
      html: '<p><b>2 findings</b></p>',
      recipients: [A.clerk],
    });
    await bench.store.recordDigest('2026-11-19', '<d2@x>', '2026-11-19T17:00:00.000Z');
    const list = await bench.get('/digests');
    expect(list.indexOf('Thursday 19 November 2026')).toBeLessThan(list.indexOf('Wednesday 18 November 2026'));
    expect(list).toContain('href="/digests/2026-11-18"');
    expect(list).toContain('Protocol digest for Wednesday 18 November 2026');
    const page = await bench.get('/digests/2026-11-18');
    expect(page).toContain('<pre class="govuk-body app-pre-wrap">Good evening,\n\n&lt;b&gt;2 findings&lt;/b&gt; &amp; nothing else.</pre>');
    expect(page).not.toContain('<b>');
    expect(page).toContain('Helen Ashworth');
    expect(page).toContain('Wednesday 18 November 2026 at 17:00');
    expect(await bench.get('/digests/2026-11-19')).toContain('were not kept');
  });
});

describe('Audit', () => {
  it('has empty states, then lists what people did and what happened to effects, with who', async () => {
    bench = pool.make();
    const empty = await bench.get('/audit');
    expect(empty).toContain('Nobody did anything in this period.');
    expect(empty).toContain('Nothing happened to any effect in this period.');
    await bench.blindCopy();
    const nudge = await bench.effect('nudge', A.alice);
    await bench.post(effectPath(nudge.key, 'withdraw'), { reason: 'Spoken to.' });
    await bench.store.recordConsoleAction({ at: bench.now().toISOString(), actor: 'helen', action: 'sign-in', subject: 'helen', detail: 'Signed in with a password.' });
    const page = await bench.get('/audit');
    expect(page).toContain('Signed in with a password.');
    expect(page).toMatch(/Nudge to Cllr Alice Green<\/a><\/td><td class="govuk-table__cell">[^<]*<\/td><td class="govuk-table__cell">helen</);
    expect(page).toContain('Wardwatch');
  });

  it('pages the effects’ log newest first, 50 at a time, with a link to older entries', async () => {
    bench = pool.make();
    const at = new Date(bench.now().getTime() - 3600_000).toISOString();
    for (let n = 1; n <= AUDIT_PAGE_SIZE + 10; n++) await effect(n, { at });
    const keyOf = (n: number): string => `ww1;no-blind-copies;item-${n};${A.alice};nudge`;
    const shown = (page: string): number[] =>
      Array.from({ length: AUDIT_PAGE_SIZE + 10 }, (_, i) => i + 1).filter((n) => page.includes(`href="${effectPath(keyOf(n))}"`));

    const first = await bench.get('/audit?days=7');
    expect(shown(first)).toEqual(Array.from({ length: AUDIT_PAGE_SIZE }, (_, i) => i + 11));
    // Newest first: the 60th entry comes before the 59th.
    expect(first.indexOf(effectPath(keyOf(60)))).toBeLessThan(first.indexOf(effectPath(keyOf(59))));
    const older = /<a class="govuk-link" href="(\/audit\?days=7&amp;beforeId=\d+)">Older entries/.exec(first)?.[1];
    expect(older).toBeDefined();
    expect(first).not.toContain('Newest entries');

    const second = await bench.get((older ?? '').replace(/&amp;/g, '&'));
    expect(shown(second)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    expect(second).not.toContain('Older entries');
    expect(second).toContain('href="/audit?days=7">Newest entries');
    // A page number that is not one reads as the newest page.
    expect(shown(await bench.get('/audit?days=7&beforeId=x1'))).toEqual(shown(first));
  });
});
