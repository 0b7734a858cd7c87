/**
 * GET /review: every message held for the Clerk's approval, grouped by rule, each with a link to
 * read it; per rule, one button approves them all. POST /review/approve-all (fields `rule`, and
 * `upTo`, the highest effect id listed for that rule): only the messages the Clerk was shown are
 * approved, so one held after the page was opened (with a greater id: ids only grow) is not
 * approved unseen. The form stays small however many messages a storm holds.
 */
import { z } from 'zod';
import { RULE_IDS } from '../../config/schema.js';
import { StoredItemMemory } from '../../service/item-memory.js';
import type { EffectRow } from '../../store/types.js';
import { html, type Html } from '../html.js';
import { csrfField } from '../layout.js';
import type { ConsoleContext, ConsoleRequest, ConsoleResponse, ConsoleRoute } from '../types.js';
import {
  canAct,
  effectPath,
  effectSubject,
  effectTitle,
  lowerFirst,
  errorPage,
  errorSummary,
  heading,
  kindName,
  link,
  page,
  paragraph,
  personName,
  ruleName,
  table,
  type FieldError,
} from './common.js';

/** Rules in the catalogue's order, then anything else (the daily summary) by name. */
function byRule(effects: readonly EffectRow[]): [string, EffectRow[]][] {
  const groups = new Map<string, EffectRow[]>();
  for (const e of effects) {
    const list = groups.get(e.rule);
    if (list === undefined) groups.set(e.rule, [e]);
    else list.push(e);
  }
  const order = (rule: string): number => {
    const at = (RULE_IDS as readonly string[]).indexOf(rule);
    return at < 0 ? RULE_IDS.length : at;
  };
  return [...groups.entries()].sort(([a], [b]) => order(a) - order(b) || a.localeCompare(b));
}

export async function renderReview(req: ConsoleRequest, ctx: ConsoleContext, errors: readonly FieldError[] = []): Promise<ConsoleResponse> {
  const effects = await ctx.store.listEffects({ states: ['awaiting-review'] });
  const memory = new StoredItemMemory(ctx.store, { cacheSize: 64 });
  const sections: Html[] = [];
  for (const [rule, list] of byRule(effects)) {
    const rows = [];
    for (const e of list) {
      const to = personName(ctx, e.recipient);
      rows.push([to, kindName(e), await effectSubject(ctx, e, memory), ctx.formatWhen(e.createdAt), link(effectPath(e.key), 'Read and decide', `on the ${lowerFirst(effectTitle(ctx, e))}`)]);
    }
    const approveAll = canAct(req)
      ? html`<div class="govuk-button-group"><form method="post" action="/review/approve-all" novalidate>${csrfField(req.csrfToken)}<input type="hidden" name="rule" value="${rule}"><input type="hidden" name="upTo" value="${String(
          Math.max(...list.map((e) => e.id)),
        )}"><button type="submit" class="govuk-button" data-module="govuk-button">Approve all ${list.length.toLocaleString('en-GB')}<span class="govuk-visually-hidden"> for ${ruleName(rule)}</span></button></form></div>`
      : '';
    sections.push(html`${table(ruleName(rule), ['To', 'Effect', 'About', 'Created', 'Action'], rows)}${approveAll}`);
  }
  const intro = paragraph(
    'These messages wait for your approval before they go. Read each one, add a few words of your own if you wish, then approve it or withdraw it.',
  );
  const body =
    sections.length > 0
      ? html`${errorSummary(errors)}${heading('Awaiting review')}${intro}${sections}`
      : html`${errorSummary(errors)}${heading('Awaiting review')}<div class="govuk-inset-text">Nothing is awaiting your review.</div>`;
  return page('Awaiting review', body, 'review');
}

const SHOWN = 'The page you approved from did not say which messages it showed: please open it again and approve what it shows';

const ApproveAllForm = z.object({
  rule: z.string().trim().min(1, 'Choose the rule whose messages to approve'),
  // An effect id: a positive whole number (within what a JavaScript number holds exactly).
  upTo: z
    .string()
    .regex(/^[1-9][0-9]{0,14}$/, SHOWN)
    .transform(Number),
});

async function approveAll(req: ConsoleRequest, ctx: ConsoleContext): Promise<ConsoleResponse> {
  const parsed = ApproveAllForm.safeParse({ rule: req.form.get('rule') ?? '', upTo: req.form.get('upTo') ?? '' });
  if (!parsed.success) return errorPage(await renderReview(req, ctx, [{ message: parsed.error.issues[0]?.message ?? 'Choose a rule' }]), 400);
  const result = await ctx.actions.approveAll({ rule: parsed.data.rule, upTo: parsed.data.upTo }, req.user.username);
  return { kind: 'redirect', to: '/review', flash: result.message };
}

export const reviewRoutes: ConsoleRoute[] = [
  { method: 'GET', path: '/review', role: 'viewer', handle: (req, ctx) => renderReview(req, ctx) },
  { method: 'POST', path: '/review/approve-all', role: 'clerk', handle: approveAll },
];
