/**
 * GET /rules: the council's configuration as it concerns each rule of the catalogue — whether it
 * is on, whether its messages wait for the Clerk's review or go automatically, the protocol
 * clauses it cites, how often its findings of the last 90 days turned out not to be breaches, and
 * the standing exceptions in force for it — so that the Clerk can see which rules misfire and
 * which can be trusted to send without review. It only shows: the configuration is changed in the
 * configuration file, and Wardwatch reads that file when it starts.
 */
import { actionSpec } from '../../actions/kinds/index.js';
import type { ActionKind } from '../../config/schema.js';
import { catalogueClauses, type RuleSettings } from '../../engine/rule-settings.js';
import { reachesOthers, reviewApplies, reviewSettingsFrom } from '../../review/policy.js';
import { exceptionInForce } from '../../review/exceptions.js';
import { settles } from '../../review/settle.js';
import { allRules, type AnyRule } from '../../rules/index.js';
import type { Settlement, StandingException, StoredFinding } from '../../store/types.js';
import { describeClauses } from '../../templates/wording.js';
import { ruleTitle } from '../../templates/guidance.js';
import { html, type Html } from '../html.js';
import type { ConsoleContext, ConsoleRoute } from '../types.js';
import { capitalise, describeException, exceptionExpiry, heading, page, paragraph, table, tag } from './common.js';

/** How far back the page counts findings. */
export const WINDOW_DAYS = 90;

/**
 * A rule stands out as misfiring when at least this many of its findings in the window were
 * counted, and at least this share of them turned out not to be breaches.
 */
export const MISFIRE_MIN_FINDINGS = 3;
export const MISFIRE_SHARE = 0.5;

const DAY_MS = 24 * 60 * 60 * 1000;

/** "The end of Wednesday 31 March 2027" for an expiry at a council midnight (as the console's form sets it), otherwise the instant. */
function exceptionList(ctx: ConsoleContext, exceptions: readonly StandingException[]): Html {
  return html`<ul class="govuk-list">${exceptions.map(
    (e) => html`<li>${describeException(e)}, until ${exceptionExpiry(ctx, e.expiresAt)}<div class="govuk-hint govuk-!-margin-bottom-0">${e.reason}</div></li>`,
  )}</ul>`;
}

function whereClausesComeFrom(source: string): string {
  if (source === 'council config') return 'As set in your configuration';
  if (source === 'catalogue') return 'As Wardwatch’s catalogue cites them';
  if (source.startsWith('profile')) return `From the protocol profile ${source.slice('profile'.length).trim()}`;
  return source;
}

/** What the rule plans: the council's own `actions` for it, else the rule's defaults. */
function plannedKinds(rule: AnyRule, settings: RuleSettings | undefined): readonly ActionKind[] {
  return settings?.configuredActions ?? rule.meta.defaults.actions;
}

interface Tally {
  found: number;
  notABreach: number;
}

function tallyCell(t: Tally): Html {
  if (t.found === 0) return html`None`;
  const share = Math.round((t.notABreach / t.found) * 100);
  const misfiring = t.found >= MISFIRE_MIN_FINDINGS && t.notABreach / t.found >= MISFIRE_SHARE;
  return html`${t.found.toLocaleString('en-GB')} found<br>${t.notABreach.toLocaleString('en-GB')} not a breach (${share}%)${
    misfiring ? html`<br>${tag('Often not a breach', 'orange')}` : ''
  }`;
}

/** How many of each rule's findings first seen since `since` were marked not a breach or covered by an exception. */
function tallies(findings: readonly StoredFinding[], settlements: readonly Settlement[], since: string): Map<string, Tally> {
  const byItem = new Map<string, Settlement[]>();
  for (const s of settlements) {
    const list = byItem.get(s.itemKey) ?? [];
    list.push(s);
    byItem.set(s.itemKey, list);
  }
  const out = new Map<string, Tally>();
  for (const f of findings) {
    if (f.firstSeen < since) continue;
    const t = out.get(f.rule) ?? { found: 0, notABreach: 0 };
    t.found += 1;
    if ((byItem.get(f.itemKey) ?? []).some((s) => settles(s, f.finding))) t.notABreach += 1;
    out.set(f.rule, t);
  }
  return out;
}

async function renderRules(ctx: ConsoleContext): Promise<Html> {
  const now = ctx.now();
  const nowIso = now.toISOString();
  const since = new Date(now.getTime() - WINDOW_DAYS * DAY_MS).toISOString();
  const review = reviewSettingsFrom(ctx.config);

  // Findings updated in the window include every one first seen in it. A settlement may be older
  // than the finding it covers (one made for a whole item covers findings its later copies add),
  // so every dismissal and exception is read, not only the window's.
  const findings = await ctx.store.listFindings({ since });
  const settlements = [...(await ctx.store.listSettlements({ kind: 'dismissed' })), ...(await ctx.store.listSettlements({ kind: 'excepted' }))];
  const counts = tallies(findings, settlements, since);
  const exceptions = (await ctx.store.listExceptions({ activeAt: nowIso })).filter((e) => exceptionInForce(e, nowIso));
  const forEveryRule = exceptions.filter((e) => e.rule === undefined);

  const rows = allRules.map((rule) => {
    const id = rule.meta.id;
    const settings = ctx.engine.settings.get(id);
    const enabled = settings?.enabled ?? false;
    const waits = reviewApplies(id, review);
    const ownSetting = review.rules.has(id);
    const onlyToTheClerk = !plannedKinds(rule, settings).some(reachesOthers);
    // What goes only to the Clerk never waits, whatever the setting says.
    const messages = html`${waits && !onlyToTheClerk ? tag('Waits for your review', 'yellow') : tag('Sent automatically', 'blue')}<div class="govuk-hint govuk-!-margin-bottom-0">${
      ownSetting ? 'Set for this rule' : 'The council’s setting'
    }${
      onlyToTheClerk
        ? `. It writes only to you${plannedKinds(rule, settings).some((k) => actionSpec(k).addresses === 'digest-readers') ? ' and the digest' : ''}, which never waits`
        : ''
    }</div>`;
    const clauses = settings?.clauses ?? catalogueClauses(rule);
    const own = exceptions.filter((e) => e.rule === id);
    const exceptionCell = html`${own.length > 0 ? exceptionList(ctx, own) : ''}${own.length === 0 && forEveryRule.length === 0 ? 'None' : ''}${
      forEveryRule.length > 0
        ? paragraph(`And ${forEveryRule.length === 1 ? 'the one' : `the ${forEveryRule.length}`} for every rule, listed below the table.`, 'govuk-body-s govuk-!-margin-bottom-0')
        : ''
    }`;
    return [
      html`${ruleTitle(id)}<div class="govuk-hint govuk-!-margin-bottom-0">${id}</div>`,
      enabled ? tag('On', 'green') : tag('Off', 'grey'),
      messages,
      html`${capitalise(describeClauses(clauses))}<div class="govuk-hint govuk-!-margin-bottom-0">${whereClausesComeFrom(settings?.clauseSource ?? 'catalogue')}</div>`,
      tallyCell(counts.get(id) ?? { found: 0, notABreach: 0 }),
      exceptionCell,
    ];
  });

  const parts: Html[] = [
    heading('Rules'),
    paragraph(
      `Each rule as your configuration sets it: whether it is on, whether its messages wait for your review, the protocol it cites, and how many of its findings in the last ${WINDOW_DAYS} days were marked not a breach or covered by a standing exception. A rule whose findings are often not breaches may need its settings changed, or switching off.`,
    ),
    table('Rules and their settings', ['Rule', 'On or off', 'Messages', 'Protocol', `Findings in the last ${WINDOW_DAYS} days`, 'Standing exceptions'], rows),
  ];

  if (forEveryRule.length > 0) {
    parts.push(
      table(
        'Standing exceptions for every rule',
        ['Covers', 'Why', 'Until'],
        forEveryRule.map((e) => [describeException(e), e.reason, capitalise(exceptionExpiry(ctx, e.expiresAt))]),
      ),
    );
  }

  // The example names a rule that waits for review now, so it is one the Clerk could switch.
  const example =
    allRules.find((r) => {
      const settings = ctx.engine.settings.get(r.meta.id);
      return settings?.enabled === true && reviewApplies(r.meta.id, review) && plannedKinds(r, settings).some(reachesOthers);
    }) ?? allRules[0];
  const exampleId = example?.meta.id ?? '<rule id>';
  parts.push(
    html`<h2 class="govuk-heading-m">Switching a rule to automatic</h2>${paragraph(
      'Nothing on this page changes anything. To let a rule’s messages go without waiting for your review, add review: false under the rule’s name (shown under its title above) in the rules section of your configuration file, for example:',
    )}<div class="govuk-inset-text"><pre class="govuk-body app-pre-wrap govuk-!-margin-bottom-0">rules:
  ${exampleId}:
    review: false</pre></div>${paragraph(
      'Write review: true instead to have a rule’s messages wait for you whatever the council’s setting says. The change takes effect when Wardwatch is restarted. Messages already waiting for review keep waiting: approve or withdraw them on the Review page.',
    )}`,
  );
  return html`${parts}`;
}

export const ruleRoutes: ConsoleRoute[] = [{ method: 'GET', path: '/rules', role: 'viewer', handle: async (_req, ctx) => page('Rules', await renderRules(ctx), 'rules') }];
