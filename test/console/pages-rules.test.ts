/**
 * The console's Rules page: every rule of the catalogue once, on or off, whether its messages wait
 * for review as the configuration says, its clauses, how many of its findings of the last 90 days
 * were not breaches, and the standing exceptions in force for it — read only.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { html } from '../../src/console/html.js';
import { itemPath } from '../../src/console/pages/common.js';
import { allRules } from '../../src/rules/index.js';
import { ruleTitle } from '../../src/templates/guidance.js';
import { A } from '../support/council.js';
import { benchPool, type PagesBench } from './pages-harness.js';

const pool = benchPool();
afterEach(pool.dispose);

/** The rules table's body rows (the first table on the page), by the rule id each names in its hint. */
function ruleRows(page: string): Map<string, string> {
  const table = page.slice(0, page.indexOf('</table>'));
  const body = table.slice(table.indexOf('<tbody'));
  const rows = body.split('<tr class="govuk-table__row">').slice(1);
  const out = new Map<string, string>();
  for (const row of rows) {
    const id = /<div class="govuk-hint govuk-!-margin-bottom-0">([a-z-]+)<\/div>/.exec(row)?.[1];
    expect(id, row).toBeDefined();
    expect(out.has(id ?? ''), `${id ?? ''} listed twice`).toBe(false);
    out.set(id ?? '', row);
  }
  return out;
}

function rowOf(page: string, id: string): string {
  const row = ruleRows(page).get(id);
  if (row === undefined) throw new Error(`no row for ${id}`);
  return row;
}

/** A message from Cllr Alice Green copying Cllr Raj Mehta blind: one no-blind-copies finding. */
async function blindCopy(bench: PagesBench, n: number): Promise<string> {
  const key = `<bins-${n}@millbrook-tc.gov.uk>`;
  expect(await bench.blindCopy(`Castle Street bins, week ${n}`, key)).toEqual(['no-blind-copies']);
  return key;
}

describe('The Rules page', () => {
  it('lists every rule of the catalogue once, with its title, id, clauses and whether it is on', async () => {
    const bench = pool.make({ config: { rules: { 'press-via-clerk': 'off', 'state-capacity': { clauses: ['7.3'] } } } });
    const page = await bench.get('/rules');
    expect(page).toContain('<caption class="govuk-table__caption govuk-table__caption--m">Rules and their settings</caption>');
    const rows = ruleRows(page);
    expect([...rows.keys()]).toEqual(allRules.map((r) => r.meta.id));
    for (const rule of allRules) expect(rows.get(rule.meta.id)).toContain(html`${ruleTitle(rule.meta.id)}`.value);
    expect(rowOf(page, 'press-via-clerk')).toContain('<strong class="govuk-tag govuk-tag--grey">Off</strong>');
    expect(rowOf(page, 'no-blind-copies')).toContain('<strong class="govuk-tag govuk-tag--green">On</strong>');
    expect(rowOf(page, 'no-blind-copies')).toContain(
      'Paragraph 9.1 of Havant Borough Council’s Councillor/Officer Relations Protocol and paragraph 12.1 of Knutsford Town Council’s Member/Officer Protocol',
    );
    expect(rowOf(page, 'no-blind-copies')).toContain('As Wardwatch’s catalogue cites them');
    expect(rowOf(page, 'state-capacity')).toContain('Paragraph 7.3 of the Member/Officer Protocol');
    expect(rowOf(page, 'state-capacity')).toContain('As set in your configuration');
    // Nothing here changes anything.
    expect(page).not.toContain('<form');
  });

  it('shows which rules wait for review and which go automatically, as the configuration says', async () => {
    const bench = pool.make({ config: { review: true, rules: { 'state-capacity': { review: false } } } });
    const page = await bench.get('/rules');
    const automatic = rowOf(page, 'state-capacity');
    expect(automatic).toContain('<strong class="govuk-tag govuk-tag--blue">Sent automatically</strong>');
    expect(automatic).toContain('Set for this rule');
    expect(automatic).not.toContain('Waits for your review');
    const held = rowOf(page, 'no-blind-copies');
    expect(held).toContain('<strong class="govuk-tag govuk-tag--yellow">Waits for your review</strong>');
    expect(held).toContain('The council’s setting');
    const waiting = [...ruleRows(page).values()].filter((r) => r.includes('Waits for your review'));
    // Every rule but the one set to automatic, and the one that writes only to the Clerk: that one says its messages never wait.
    expect(waiting).toHaveLength(allRules.length - 2);
    const toTheClerk = rowOf(page, 'clerk-informed-of-member-meetings');
    expect(toTheClerk).toContain('It writes only to you, which never waits');
    expect(toTheClerk).toContain('Sent automatically');
    expect(toTheClerk).not.toContain('Waits for your review');

    // How to switch one to automatic, with a rule that waits now as the example, and when it takes effect.
    expect(page).toContain('Switching a rule to automatic');
    expect(page).toMatch(/<pre class="govuk-body app-pre-wrap govuk-!-margin-bottom-0">rules:\n {2}no-blind-copies:\n {4}review: false<\/pre>/);
    expect(page).toContain('The change takes effect when Wardwatch is restarted.');
  });

  it('shows every rule going automatically when the council does not review, except a rule set to wait', async () => {
    const bench = pool.make({ config: { review: false, rules: { 'officer-conduct-raised-properly': { review: true } } } });
    const page = await bench.get('/rules');
    const rows = ruleRows(page);
    for (const [id, row] of rows) {
      if (id === 'officer-conduct-raised-properly') {
        expect(row).toContain('Waits for your review');
        expect(row).toContain('Set for this rule');
      } else expect(row, id).toContain('Sent automatically');
    }
    expect(page).toContain('officer-conduct-raised-properly:\n    review: false</pre>');
  });

  it('counts the findings of the last 90 days and the share that were not breaches, so a misfiring rule stands out', async () => {
    const bench = pool.make();
    // One finding from four months ago: outside the window, and not counted however it was settled.
    bench.setNow('2026-07-20T10:00:00.000Z');
    const old = await blindCopy(bench, 0);
    await bench.post(itemPath(old, 'dismiss'), { rule: 'no-blind-copies', reason: 'An old one.' });
    bench.setNow('2026-11-20T10:00:00.000Z');

    const keys: string[] = [];
    for (let n = 1; n <= 4; n++) keys.push(await blindCopy(bench, n));
    let page = await bench.get('/rules');
    let row = rowOf(page, 'no-blind-copies');
    expect(row).toContain('4 found<br>0 not a breach (0%)');
    expect(row).not.toContain('Often not a breach');
    expect(rowOf(page, 'state-capacity')).toContain('None');

    expect(await bench.post(itemPath(keys[0] ?? '', 'dismiss'), { rule: 'no-blind-copies', reason: 'Cllr Mehta chairs the working group.' })).toMatchObject({ kind: 'redirect' });
    page = await bench.get('/rules');
    row = rowOf(page, 'no-blind-copies');
    expect(row).toContain('4 found<br>1 not a breach (25%)');
    expect(row).not.toContain('Often not a breach');

    // A finding a standing exception covered counts as not a breach too.
    const exception = await bench.store.addException({ match: 'sender', value: A.alice, reason: 'Agreed.', actor: 'helen', createdAt: bench.now().toISOString(), expiresAt: '2027-01-01T00:00:00.000Z' });
    await bench.store.settleFinding({ rule: 'no-blind-copies', itemKey: keys[1] ?? '', kind: 'excepted', reason: 'Agreed.', actor: 'wardwatch', at: bench.now().toISOString(), exceptionId: exception.id });
    page = await bench.get('/rules');
    row = rowOf(page, 'no-blind-copies');
    expect(row).toContain('4 found<br>2 not a breach (50%)');
    expect(row).toContain('<strong class="govuk-tag govuk-tag--orange">Often not a breach</strong>');

    // An authorisation is not a "not a breach".
    await bench.store.settleFinding({ rule: 'no-blind-copies', itemKey: keys[2] ?? '', kind: 'authorised', reason: 'Authorised.', actor: 'helen', at: bench.now().toISOString() });
    expect(rowOf(await bench.get('/rules'), 'no-blind-copies')).toContain('4 found<br>2 not a breach (50%)');
  });

  it('shows the standing exceptions in force, for the rule and for every rule, with their expiry; not revoked or expired ones', async () => {
    const bench = pool.make();
    const at = bench.now().toISOString();
    const base = { actor: 'helen', createdAt: at };
    // The end of 31 March 2027 in Millbrook (BST from 28 March), as the console's form sets it.
    await bench.store.addException({ ...base, rule: 'no-blind-copies', match: 'recipient-domain', value: 'partner-charity.org.uk', reason: 'Copied by agreement.', expiresAt: '2027-03-31T23:00:00.000Z' });
    await bench.store.addException({ ...base, match: 'sender', value: 'newsletter@example.org', reason: 'The newsletter is not correspondence.', expiresAt: '2026-12-24T15:30:00.000Z' });
    const revoked = await bench.store.addException({ ...base, rule: 'no-blind-copies', match: 'phrase', value: 'revoked phrase', reason: 'Revoked since.', expiresAt: '2027-06-01T00:00:00.000Z' });
    expect(await bench.store.revokeException(revoked.id, 'helen', at)).toBe(true);
    await bench.store.addException({ ...base, rule: 'no-blind-copies', match: 'phrase', value: 'expired phrase', reason: 'Expired.', expiresAt: '2026-11-19T00:00:00.000Z' });

    const page = await bench.get('/rules');
    const row = rowOf(page, 'no-blind-copies');
    expect(row).toContain('To anyone at partner-charity.org.uk, until the end of Wednesday 31 March 2027');
    expect(row).toContain('Copied by agreement.');
    expect(row).toContain('And the one for every rule, listed below the table.');
    const other = rowOf(page, 'state-capacity');
    expect(other).not.toContain('partner-charity.org.uk');
    expect(other).toContain('And the one for every rule, listed below the table.');

    expect(page).toContain('<caption class="govuk-table__caption govuk-table__caption--m">Standing exceptions for every rule</caption>');
    expect(page).toContain('From newsletter@example.org');
    expect(page).toContain('Thursday 24 December 2026 at 15:30');
    expect(page).toContain('The newsletter is not correspondence.');

    expect(page).not.toContain('revoked phrase');
    expect(page).not.toContain('expired phrase');
  });

  it('says "None" where a rule has no exception and there is none for every rule', async () => {
    const bench = pool.make();
    const page = await bench.get('/rules');
    expect(page).not.toContain('Standing exceptions for every rule');
    const cells = rowOf(page, 'no-blind-copies').split('<td class="govuk-table__cell">');
    expect(cells.at(-1)).toBe('None</td></tr>');
  });

  it('can be read by a viewer, who sees the same and no forms', async () => {
    const bench = pool.make();
    const route = await bench.request('GET', '/rules', {}, 'viewer');
    expect(route).toMatchObject({ kind: 'page', title: 'Rules', nav: 'rules' });
    const page = await bench.get('/rules', 'viewer');
    expect(ruleRows(page).size).toBe(allRules.length);
    expect(page).not.toContain('<form');
  });

  it('escapes what a person typed into an exception', async () => {
    const bench = pool.make();
    await bench.store.addException({
      rule: 'no-blind-copies',
      match: 'phrase',
      value: '<script>alert("x")</script>',
      reason: 'Because <b>bold</b> & "quoted"',
      actor: 'helen',
      createdAt: bench.now().toISOString(),
      expiresAt: '2027-01-01T00:00:00.000Z',
    });
    const page = await bench.get('/rules');
    expect(page).not.toContain('<script>');
    expect(page).not.toContain('<b>bold');
    expect(page).toContain('Mentions “&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;”');
    expect(page).toContain('Because &lt;b&gt;bold&lt;/b&gt; &amp; &quot;quoted&quot;');
  });
});
