/**
 * GET /items/:key: one message or event — what the rules found and why, what Wardwatch did about
 * it, and how the Clerk settled it. Every rule's verdict, as `wardwatch explain` gives it, is
 * worked out again from the copy Wardwatch keeps (the message's saved original with what its
 * other copies told, or the event as last read), when it keeps one.
 *
 * Privacy: an item with a private finding (officer conduct) is shown by its headline only — no
 * subject, no body, no summary, no evidence, no verdicts — as in the digest.
 *
 * POST /items/:key/dismiss (rule, reason, optional messageId): "not a breach".
 * POST /items/:key/authorise (rule, optional messageId): the Clerk authorises what it asked for.
 */
import { z } from 'zod';
import { isRuleId } from '../../config/schema.js';
import type { ItemEvaluation } from '../../engine/engine.js';
import type { Finding } from '../../engine/types.js';
import { mergeMail } from '../../items/mail-merge.js';
import type { Item } from '../../items/types.js';
import { errorMessage } from '../../model/error-message.js';
import { rulesById } from '../../rules/index.js';
import { StoredItemMemory } from '../../service/item-memory.js';
import type { EffectRow, Settlement, StoredFinding } from '../../store/types.js';
import { describeClauses } from '../../templates/wording.js';
import { html, type Html } from '../html.js';
import type { ConsoleContext, ConsoleRequest, ConsoleResponse, ConsoleRoute } from '../types.js';
import {
  buttonForm,
  canAct,
  capitalise,
  csrfField,
  effectPath,
  effectTitle,
  errorPage,
  errorSummary,
  heading,
  itemHeadline,
  itemPath,
  kindName,
  link,
  notFound,
  page,
  paragraph,
  personName,
  PRIVATE_MATTER,
  returnPath,
  ruleName,
  stateTag,
  summaryList,
  table,
  tag,
  textarea,
  type FieldError,
} from './common.js';

const MAX_REASON = 1000;

/** The message id a rule's findings carry while they wait for the Clerk's authorisation, if the rule has one. */
export function awaitsAuthorisation(rule: string): string | undefined {
  return isRuleId(rule) ? rulesById.get(rule)?.meta.awaitsAuthorisation : undefined;
}

/** The settlement covering a finding: one for its rule and item, for its message id or for every finding of the rule. */
export function settlementOf(settlements: readonly Settlement[], finding: Pick<Finding, 'rule' | 'messageId'>): Settlement | undefined {
  return settlements.find((s) => s.rule === finding.rule && (s.messageId === undefined || s.messageId === finding.messageId));
}

export function describeSettlement(ctx: ConsoleContext, s: Settlement): string {
  const when = ctx.formatWhen(s.at);
  switch (s.kind) {
    case 'dismissed':
      return `Not a breach, recorded by ${s.actor} on ${when}: ${s.reason}`;
    case 'authorised':
      return `Authorised by ${s.actor} on ${when}${s.reason !== '' ? `: ${s.reason}` : ''}`;
    case 'excepted':
      return `Covered by a standing exception${s.exceptionId !== undefined ? ` (number ${s.exceptionId})` : ''}: ${s.reason}; recorded on ${when}`;
  }
}

/**
 * The item as Wardwatch last judged it, from what it keeps: an event as last read; a message's
 * saved original, merged with the body-less summary of every copy seen. Undefined when neither is
 * kept (originals are kept only for items that led to a message, and pruned after a month).
 */
export async function storedItem(ctx: ConsoleContext, itemKey: string): Promise<Item | undefined> {
  const memory = new StoredItemMemory(ctx.store, { cacheSize: 4 });
  const event = await memory.getEvent(itemKey);
  if (event !== undefined) return event;
  const original = await ctx.store.getOriginal(itemKey);
  if (original === undefined) return undefined;
  const summary = await memory.getMail(itemKey);
  const { parseMail } = await import('../../items/mail-parse.js');
  const trusted = ctx.config.authentication.trustedServers;
  const parsed = await parseMail(original, summary?.copies[0] ?? { mailbox: '', folder: 'inbox', origin: 'the copy Wardwatch kept' }, trusted.length > 0 ? { trustedAuthservIds: trusted } : {});
  return summary !== undefined ? mergeMail(summary, parsed) : parsed;
}

/** Every rule's verdict on the kept copy, judged now; undefined when no copy is kept or it cannot be read. */
async function explain(ctx: ConsoleContext, itemKey: string): Promise<{ item: Item; evaluation: ItemEvaluation } | { error: string } | undefined> {
  try {
    const item = await storedItem(ctx, itemKey);
    if (item === undefined) return undefined;
    return { item, evaluation: ctx.engine.evaluate(item, ctx.now().toISOString()) };
  } catch (err) {
    return { error: errorMessage(err) };
  }
}

function itemDetails(ctx: ConsoleContext, item: Item): Html {
  const addresses = (list: readonly { address: string }[]): string => (list.length > 0 ? list.map((a) => personName(ctx, a.address)).join(', ') : '—');
  if (item.kind === 'mail') {
    const rows: [string, string][] = [
      ['From', addresses(item.from)],
      ['To', addresses(item.to)],
    ];
    if (item.cc.length > 0) rows.push(['Cc', addresses(item.cc)]);
    if (item.bcc.length > 0) rows.push(['Bcc', addresses(item.bcc)]);
    if (item.date !== undefined) rows.push(['Sent', ctx.formatWhen(item.date)]);
    rows.push(['Seen in', item.copies.filter((c) => c.mailbox !== '').map((c) => `${c.mailbox} (${c.folder})`).join(', ') || '—']);
    return summaryList(rows);
  }
  return summaryList([
    ['When', ctx.formatWhen(item.start)],
    ['Where', item.location !== '' ? item.location : '—'],
    ['Calendar', item.calendarId],
    ['Organiser', item.organizer !== undefined ? personName(ctx, item.organizer.address) : '—'],
    ['Attendees', item.attendees.length > 0 ? item.attendees.map((a) => personName(ctx, a.address)).join(', ') : '—'],
  ]);
}

function verdictsTable(ctx: ConsoleContext, evaluation: ItemEvaluation): Html {
  const spoofing = evaluation.notices.filter((n) => n.kind === 'possible-spoofing');
  const rows = evaluation.verdicts.map((v) => [
    ruleName(v.rule),
    !v.enabled ? tag('Turned off', 'grey') : v.fired ? tag('Found something', 'red') : tag('Passed', 'green'),
    html`${v.reason}${v.needsHuman !== undefined ? html`<br><strong>Needs a person:</strong> ${v.needsHuman}` : ''}`,
  ]);
  return html`${spoofing.map((n) => html`<div class="govuk-warning-text"><span class="govuk-warning-text__icon" aria-hidden="true">!</span><strong class="govuk-warning-text__text"><span class="govuk-visually-hidden">Warning</span>${n.message}</strong></div>`)}${table(
    'Every rule’s verdict',
    ['Rule', 'Verdict', 'Why'],
    rows,
  )}${paragraph(`Judged again on ${ctx.formatWhen(ctx.now().toISOString())} from the copy Wardwatch keeps, as wardwatch explain does.`, 'govuk-body-s')}`;
}

interface FormState {
  errors: readonly FieldError[];
  /** The finding the errors are about (rule and message id), so its form shows them. */
  rule?: string;
  messageId?: string;
  reason?: string;
}

/** Which findings' forms should name a message id: a rule with several kinds of finding on one item. */
function needsMessageId(findings: readonly StoredFinding[], rule: string): boolean {
  return new Set(findings.filter((f) => f.rule === rule).map((f) => f.finding.messageId)).size > 1;
}

function findingSection(
  req: ConsoleRequest,
  ctx: ConsoleContext,
  stored: StoredFinding,
  all: readonly StoredFinding[],
  effects: readonly EffectRow[],
  settlements: readonly Settlement[],
  state: FormState,
  now: string,
): Html {
  const f = stored.finding;
  const isPrivate = f.private === true;
  const settled = settlementOf(settlements, f);
  const own = effects.filter((e) => e.rule === f.rule);
  const rows: [string, Html | string][] = [
    ['Severity', capitalise(f.severity)],
    ['Protocol', capitalise(describeClauses(f.clauses))],
    ['What was found', isPrivate ? PRIVATE_MATTER : f.summary],
  ];
  if (!isPrivate && f.why.length > 0) {
    rows.push(['Why', html`<ul class="govuk-list govuk-list--bullet">${f.why.map((e) => html`<li>${e.kind === 'phrase' ? `“${e.text}”${e.field !== undefined ? ` (in the ${e.field})` : ''}` : e.text}</li>`)}</ul>`]);
  }
  rows.push(['First found', ctx.formatWhen(stored.firstSeen)]);
  rows.push(['Settled', settled !== undefined ? describeSettlement(ctx, settled) : 'Not settled']);
  const effectsList =
    own.length > 0
      ? html`<ul class="govuk-list">${own.map((e) => html`<li>${link(effectPath(e.key), effectTitle(ctx, e))} ${stateTag(e, now)}</li>`)}</ul>`
      : 'None';
  rows.push(['What Wardwatch did', effectsList]);

  let forms: Html = html``;
  const messageId = needsMessageId(all, f.rule) ? f.messageId : undefined;
  // One settlement covers every finding of the rule (with that message id): one form for them.
  const firstOfGroup = all.find((g) => g.rule === f.rule && (messageId === undefined || g.finding.messageId === messageId)) === stored;
  if (canAct(req) && settled === undefined && firstOfGroup) {
    const mine = state.rule === f.rule && state.messageId === messageId;
    const errors = mine ? state.errors : [];
    const suffix = `${stored.rule}-${stored.seq}`;
    const authorise =
      awaitsAuthorisation(f.rule) === f.messageId
        ? html`<div class="govuk-button-group">${buttonForm(req, itemPath(stored.itemKey, 'authorise'), 'Authorise attendance', {
            hidden: { rule: f.rule, messageId: f.messageId },
          })}</div>`
        : '';
    forms = html`${authorise}<details class="govuk-details"${errors.length > 0 ? html` open` : ''}><summary class="govuk-details__summary"><span class="govuk-details__summary-text">This is not a breach</span></summary><div class="govuk-details__text"><form method="post" action="${itemPath(
      stored.itemKey,
      'dismiss',
    )}" novalidate>${csrfField(req.csrfToken)}<input type="hidden" name="rule" value="${f.rule}">${
      messageId !== undefined ? html`<input type="hidden" name="messageId" value="${messageId}">` : ''
    }${textarea(
      errors,
      `reason-${suffix}`,
      'reason',
      'Why is it not a breach?',
      mine ? (state.reason ?? '') : '',
      'Kept with the finding and counted per rule, so you can see which rules misfire. Messages not yet sent about it are withdrawn.',
    )}<button type="submit" class="govuk-button govuk-button--secondary" data-module="govuk-button">Record as not a breach</button></form></div></details>`;
  }
  return html`<h3 class="govuk-heading-s">${ruleName(f.rule)}</h3>${summaryList(rows)}${forms}`;
}

export async function renderItem(req: ConsoleRequest, ctx: ConsoleContext, itemKey: string, state: FormState = { errors: [] }): Promise<ConsoleResponse> {
  const { store } = ctx;
  const findings = await store.getFindings(itemKey);
  const effects = await store.listEffects({ itemKey });
  const settlements = await store.listSettlements({ itemKey });
  const isPrivate = findings.some((f) => f.finding.private === true) || effects.some((e) => e.payload.private === true);
  const headline = await itemHeadline(ctx, itemKey, isPrivate);
  const explained = isPrivate ? undefined : await explain(ctx, itemKey);
  const known = findings.length > 0 || effects.length > 0 || settlements.length > 0 || explained !== undefined || headline !== itemKey;
  if (!known) return notFound('Wardwatch holds nothing about an item with that key. It may have been pruned after its retention period.', { href: '/history', text: 'Search the history' });
  const now = ctx.now().toISOString();

  const parts: Html[] = [errorSummary(state.errors), heading(headline, isPrivate ? 'A private matter' : 'An item Wardwatch read')];
  if (isPrivate) {
    parts.push(paragraph('This concerns a private matter (officer conduct): its subject, its words and what the rules found in them are not shown here.'));
  } else if (explained !== undefined && 'item' in explained) {
    parts.push(itemDetails(ctx, explained.item));
  }

  parts.push(html`<h2 class="govuk-heading-m">What the rules found</h2>`);
  if (findings.length === 0) parts.push(paragraph('No rule found anything that breaks the Protocol in it.'));
  for (const stored of findings) parts.push(findingSection(req, ctx, stored, findings, effects, settlements, state, now));

  const orphaned = effects.filter((e) => !findings.some((f) => f.rule === e.rule));
  if (orphaned.length > 0) {
    parts.push(
      table(
        'Other effects about it',
        ['Effect', 'To', 'Rule', 'State'],
        orphaned.map((e) => [link(effectPath(e.key), kindName(e)), personName(ctx, e.recipient), ruleName(e.rule), stateTag(e, now)]),
      ),
    );
  }
  const stale = settlements.filter((s) => !findings.some((f) => settlementOf([s], f.finding) !== undefined));
  if (stale.length > 0) {
    parts.push(table('How it was settled', ['Rule', 'Settled'], stale.map((s) => [ruleName(s.rule), describeSettlement(ctx, s)])));
  }

  if (!isPrivate) {
    if (explained === undefined) {
      parts.push(paragraph('Wardwatch no longer keeps a copy of it, so each rule’s verdict cannot be worked out again: what the rules found is shown above as it was recorded.'));
    } else if ('error' in explained) {
      parts.push(paragraph(`The copy Wardwatch keeps could not be read again (${explained.error}): what the rules found is shown above as it was recorded.`));
    } else if (explained.evaluation.findings.some((f) => f.private === true)) {
      parts.push(paragraph('Judged again, it concerns a private matter: the rules’ verdicts are not shown.'));
    } else {
      parts.push(html`<h2 class="govuk-heading-m">Why, rule by rule</h2>`, verdictsTable(ctx, explained.evaluation));
    }
  }
  return page(isPrivate ? 'A private matter' : headline, html`${parts}`, 'history');
}

const DismissForm = z.object({
  rule: z.string().trim().min(1, 'Choose the rule whose finding is not a breach'),
  reason: z.string().trim().min(1, 'Enter why it is not a breach').max(MAX_REASON, `Keep the reason to ${MAX_REASON.toLocaleString('en-GB')} characters or fewer`),
  messageId: z.string().trim().min(1).optional(),
});

const AuthoriseForm = z.object({
  rule: z.string().trim().min(1, 'Choose the rule whose finding to authorise'),
  messageId: z.string().trim().min(1).optional(),
  note: z.string().trim().max(MAX_REASON).optional(),
});

function optional(form: URLSearchParams, name: string): string | undefined {
  const value = form.get(name);
  return value !== null && value.trim() !== '' ? value : undefined;
}

async function dismiss(req: ConsoleRequest, ctx: ConsoleContext): Promise<ConsoleResponse> {
  const itemKey = req.params['key'] ?? '';
  const rule = req.form.get('rule') ?? '';
  const messageId = optional(req.form, 'messageId');
  const reason = req.form.get('reason') ?? '';
  const parsed = DismissForm.safeParse({ rule, reason, messageId });
  // The field the error summary links to: the reason box of the finding the form came from.
  const seq = (await ctx.store.getFindings(itemKey, rule)).find((f) => messageId === undefined || f.finding.messageId === messageId)?.seq;
  const formState = (message: string, field: boolean): FormState => ({
    errors: [field && seq !== undefined ? { field: `reason-${rule}-${seq}`, message } : { message }],
    rule,
    ...(messageId !== undefined ? { messageId } : {}),
    reason,
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return errorPage(await renderItem(req, ctx, itemKey, formState(issue?.message ?? 'Check the form', issue?.path[0] === 'reason')), 400);
  }
  const result = await ctx.actions.dismiss({
    rule: parsed.data.rule,
    itemKey,
    reason: parsed.data.reason,
    actor: req.user.username,
    ...(parsed.data.messageId !== undefined ? { messageId: parsed.data.messageId } : {}),
  });
  if (result.ok) return { kind: 'redirect', to: returnPath(req.form, itemPath(itemKey)), flash: result.message };
  return errorPage(await renderItem(req, ctx, itemKey, formState(result.message, false)), 409);
}

async function authorise(req: ConsoleRequest, ctx: ConsoleContext): Promise<ConsoleResponse> {
  const itemKey = req.params['key'] ?? '';
  const parsed = AuthoriseForm.safeParse({ rule: req.form.get('rule') ?? '', messageId: optional(req.form, 'messageId'), note: optional(req.form, 'note') });
  if (!parsed.success) return errorPage(await renderItem(req, ctx, itemKey, { errors: [{ message: parsed.error.issues[0]?.message ?? 'Check the form' }] }), 400);
  const result = await ctx.actions.authorise({
    rule: parsed.data.rule,
    itemKey,
    actor: req.user.username,
    ...(parsed.data.messageId !== undefined ? { messageId: parsed.data.messageId } : {}),
    ...(parsed.data.note !== undefined ? { note: parsed.data.note } : {}),
  });
  if (result.ok) return { kind: 'redirect', to: returnPath(req.form, itemPath(itemKey)), flash: result.message };
  return errorPage(await renderItem(req, ctx, itemKey, { errors: [{ message: result.message }] }), 409);
}

export const itemRoutes: ConsoleRoute[] = [
  { method: 'GET', path: '/items/:key', role: 'viewer', handle: (req, ctx) => renderItem(req, ctx, req.params['key'] ?? '') },
  { method: 'POST', path: '/items/:key/dismiss', role: 'clerk', handle: dismiss },
  { method: 'POST', path: '/items/:key/authorise', role: 'clerk', handle: authorise },
];
