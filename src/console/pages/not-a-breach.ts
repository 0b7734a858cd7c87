/**
 * GET /not-a-breach: the findings the Clerk dismissed (newest first, with the reason, who and
 * when), how many per rule — so the Clerk can see which rules misfire — and the standing
 * exceptions (a sender, a recipient domain or a phrase, for one rule or every rule, until an
 * expiry), with a form to add one and a button to revoke one.
 * POST /exceptions, POST /exceptions/:id/revoke.
 */
import { z } from 'zod';
import { EXCEPTION_MATCHES, type ExceptionMatch, type Settlement, type StandingException } from '../../store/types.js';
import { html, raw, type Html } from '../html.js';
import type { ConsoleContext, ConsoleRequest, ConsoleResponse, ConsoleRoute } from '../types.js';
import {
  buttonForm,
  canAct,
  capitalise,
  councilToday,
  csrfField,
  describeException,
  endOfDay,
  errorPage,
  errorSummary,
  exceptionExpiry,
  fieldError,
  heading,
  itemHeadline,
  itemPath,
  link,
  page,
  paragraph,
  parseDay,
  ruleName,
  ruleOptions,
  select,
  table,
  tag,
  textarea,
  textInput,
  type FieldError,
} from './common.js';

/** Settlements listed on the page; every one is counted. */
export const SETTLEMENTS_LISTED = 100;

const MATCH_LABELS: Record<ExceptionMatch, { label: string; hint: string }> = {
  sender: { label: 'Messages from a sender', hint: 'An e-mail address, such as newsletter@example.org' },
  'recipient-domain': { label: 'Messages to a recipient domain', hint: 'A domain, such as partner-charity.org.uk' },
  phrase: { label: 'Messages or events with a phrase', hint: 'Words that appear in the item, such as “annual parish meeting”' },
};

interface ExceptionValues {
  match: string;
  value: string;
  rule: string;
  reason: string;
  expires: string;
}

const EMPTY_VALUES: ExceptionValues = { match: '', value: '', rule: '', reason: '', expires: '' };

/** Whether any finding or effect on the item is private (so it is not named). */
async function isPrivateItem(ctx: ConsoleContext, itemKey: string): Promise<boolean> {
  if ((await ctx.store.getFindings(itemKey)).some((f) => f.finding.private === true)) return true;
  return (await ctx.store.listEffects({ itemKey })).some((e) => e.payload.private === true);
}

function exceptionState(e: StandingException, now: string): Html {
  if (e.revokedAt !== undefined) return tag('Revoked', 'grey');
  if (e.expiresAt <= now) return tag('Expired', 'grey');
  return tag('In force', 'green');
}

/** "The end of Wednesday 31 March 2027" for an expiry at a council midnight (as the form sets it), otherwise the instant. */
function addExceptionForm(req: ConsoleRequest, errors: readonly FieldError[], values: ExceptionValues): Html {
  const matchError = fieldError(errors, 'match');
  const radios = EXCEPTION_MATCHES.map((m, i) => {
    const id = i === 0 ? 'match' : `match-${m}`;
    return html`<div class="govuk-radios__item"><input class="govuk-radios__input" id="${id}" name="match" type="radio" value="${m}" aria-describedby="${id}-hint"${
      values.match === m ? raw(' checked') : ''
    }><label class="govuk-label govuk-radios__label" for="${id}">${MATCH_LABELS[m].label}</label><div id="${id}-hint" class="govuk-hint govuk-radios__hint">${MATCH_LABELS[m].hint}</div></div>`;
  });
  const matchGroup = html`<div class="${matchError !== undefined ? 'govuk-form-group govuk-form-group--error' : 'govuk-form-group'}"><fieldset class="govuk-fieldset"${
    matchError !== undefined ? html` aria-describedby="match-error"` : ''
  }><legend class="govuk-fieldset__legend govuk-fieldset__legend--s">What should it cover?</legend>${
    matchError !== undefined ? html`<p id="match-error" class="govuk-error-message"><span class="govuk-visually-hidden">Error:</span> ${matchError.message}</p>` : ''
  }<div class="govuk-radios" data-module="govuk-radios">${radios}</div></fieldset></div>`;
  return html`<h2 class="govuk-heading-m">Add a standing exception</h2>${paragraph(
    'Findings it covers are recorded as not a breach and nothing is sent about them, until it expires or you revoke it. It is listed in the digest.',
  )}<form method="post" action="/exceptions" novalidate>${csrfField(req.csrfToken)}${matchGroup}${textInput(
    errors,
    'value',
    'value',
    'The address, domain or phrase',
    values.value,
    undefined,
    30,
  )}${select(errors, 'rule', 'rule', 'For which rule', [{ value: '', text: 'Every rule' }, ...ruleOptions()], values.rule)}${textarea(
    errors,
    'reason',
    'reason',
    'Why',
    values.reason,
  )}${textInput(errors, 'expires', 'expires', 'Until', values.expires, 'The last day it applies, for example 2027-03-31 or 31/3/2027', 10)}<button type="submit" class="govuk-button" data-module="govuk-button">Add the exception</button></form>`;
}

export async function renderNotABreach(req: ConsoleRequest, ctx: ConsoleContext, errors: readonly FieldError[] = [], values: ExceptionValues = EMPTY_VALUES): Promise<ConsoleResponse> {
  const now = ctx.now().toISOString();
  const all = [...(await ctx.store.listSettlements({ kind: 'dismissed' })), ...(await ctx.store.listSettlements({ kind: 'excepted' }))].sort((a, b) => b.at.localeCompare(a.at) || b.id - a.id);
  const parts: Html[] = [errorSummary(errors), heading('Not a breach')];

  if (all.length === 0) {
    parts.push(html`<div class="govuk-inset-text">No finding has been recorded as not a breach.</div>`);
  } else {
    const counts = new Map<string, { dismissed: number; excepted: number }>();
    for (const s of all) {
      const c = counts.get(s.rule) ?? { dismissed: 0, excepted: 0 };
      if (s.kind === 'dismissed') c.dismissed += 1;
      else c.excepted += 1;
      counts.set(s.rule, c);
    }
    parts.push(
      table(
        'How often each rule was wrong',
        ['Rule', 'Recorded as not a breach', 'Covered by an exception'],
        [...counts.entries()].sort(([, a], [, b]) => b.dismissed + b.excepted - (a.dismissed + a.excepted)).map(([rule, c]) => [ruleName(rule), c.dismissed.toLocaleString('en-GB'), c.excepted.toLocaleString('en-GB')]),
      ),
    );
    const rows = [];
    for (const s of all.slice(0, SETTLEMENTS_LISTED)) rows.push(await settlementRow(ctx, s));
    parts.push(table('Findings recorded as not a breach, newest first', ['When', 'Rule', 'Item', 'Why', 'Who'], rows));
    if (all.length > SETTLEMENTS_LISTED) parts.push(paragraph(`The latest ${SETTLEMENTS_LISTED} of ${all.length.toLocaleString('en-GB')} are listed.`));
  }

  const exceptions = await ctx.store.listExceptions();
  if (exceptions.length === 0) {
    parts.push(html`<h2 class="govuk-heading-m">Standing exceptions</h2><div class="govuk-inset-text">There are no standing exceptions.</div>`);
  } else {
    parts.push(
      table(
        'Standing exceptions',
        ['Number', 'Covers', 'Rule', 'Why', 'Until', 'State', canAct(req) ? 'Action' : 'Made by'],
        exceptions.map((e) => [
          String(e.id),
          describeException(e),
          e.rule !== undefined ? ruleName(e.rule) : 'Every rule',
          e.reason,
          capitalise(exceptionExpiry(ctx, e.expiresAt)),
          html`${exceptionState(e, now)}${e.revokedAt !== undefined ? html`<br><span class="govuk-body-s">by ${e.revokedBy ?? 'someone'}, ${ctx.formatWhen(e.revokedAt)}</span>` : ''}`,
          canAct(req) && e.revokedAt === undefined && e.expiresAt > now
            ? buttonForm(req, `/exceptions/${e.id}/revoke`, 'Revoke', { warning: true, visuallyHidden: `exception number ${e.id}` })
            : `${e.actor}, ${ctx.formatWhen(e.createdAt)}`,
        ]),
      ),
    );
  }
  if (canAct(req)) parts.push(addExceptionForm(req, errors, values));
  return page('Not a breach', html`${parts}`, 'not-a-breach');
}

async function settlementRow(ctx: ConsoleContext, s: Settlement): Promise<(Html | string)[]> {
  const headline = await itemHeadline(ctx, s.itemKey, await isPrivateItem(ctx, s.itemKey));
  const why = s.kind === 'excepted' ? `Standing exception${s.exceptionId !== undefined ? ` number ${s.exceptionId}` : ''}: ${s.reason}` : s.reason;
  return [ctx.formatWhen(s.at), ruleName(s.rule), link(itemPath(s.itemKey), headline), why, s.actor];
}

const ExceptionForm = z
  .object({
    match: z.enum(EXCEPTION_MATCHES as [ExceptionMatch, ...ExceptionMatch[]], { message: 'Choose what the exception covers' }),
    value: z.string().trim().min(1, 'Enter the address, domain or phrase').max(200, 'Keep the address, domain or phrase to 200 characters or fewer'),
    rule: z.string().trim(),
    reason: z.string().trim().min(1, 'Enter why findings like these are not breaches').max(1000, 'Keep the reason to 1,000 characters or fewer'),
    expires: z.string().trim().min(1, 'Enter the last day the exception applies'),
  })
  .superRefine((v, ctx) => {
    if (v.rule !== '' && !ruleOptions().some((o) => o.value === v.rule)) ctx.addIssue({ code: 'custom', path: ['rule'], message: 'Choose a rule from the list' });
    if (v.match === 'sender' && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v.value)) ctx.addIssue({ code: 'custom', path: ['value'], message: 'Enter the sender’s e-mail address, such as newsletter@example.org' });
    if (v.match === 'recipient-domain' && !/^@?[a-z0-9-]+(\.[a-z0-9-]+)+$/i.test(v.value)) ctx.addIssue({ code: 'custom', path: ['value'], message: 'Enter a domain, such as partner-charity.org.uk' });
    if (v.match === 'phrase' && v.value.length < 3) ctx.addIssue({ code: 'custom', path: ['value'], message: 'Enter a phrase of at least 3 characters' });
  });

async function addException(req: ConsoleRequest, ctx: ConsoleContext): Promise<ConsoleResponse> {
  const values: ExceptionValues = {
    match: req.form.get('match') ?? '',
    value: req.form.get('value') ?? '',
    rule: req.form.get('rule') ?? '',
    reason: req.form.get('reason') ?? '',
    expires: req.form.get('expires') ?? '',
  };
  const parsed = ExceptionForm.safeParse(values);
  const errors: FieldError[] = parsed.success ? [] : parsed.error.issues.map((i) => ({ field: String(i.path[0] ?? 'match'), message: i.message }));
  const tz = ctx.config.council.timezone;
  const expiresDay = parseDay(values.expires);
  if (values.expires.trim() !== '' && expiresDay === undefined) errors.push({ field: 'expires', message: 'Enter the last day as a real date, for example 2027-03-31 or 31/3/2027' });
  else if (expiresDay !== undefined && expiresDay < councilToday(ctx.now(), tz)) errors.push({ field: 'expires', message: 'The last day must be today or later' });
  // One message per field, in the form's order.
  const order = ['match', 'value', 'rule', 'reason', 'expires'];
  const shown = order.flatMap((f) => {
    const e = errors.find((x) => x.field === f);
    return e !== undefined ? [e] : [];
  });
  if (!parsed.success || shown.length > 0 || expiresDay === undefined) return errorPage(await renderNotABreach(req, ctx, shown, values), 400);
  const value = parsed.data.match === 'recipient-domain' ? parsed.data.value.replace(/^@/, '') : parsed.data.value;
  const result = await ctx.actions.addException({
    ...(parsed.data.rule !== '' ? { rule: parsed.data.rule } : {}),
    match: parsed.data.match,
    value: value.toLowerCase(),
    reason: parsed.data.reason,
    expiresAt: endOfDay(expiresDay, tz),
    actor: req.user.username,
  });
  if (result.ok) return { kind: 'redirect', to: '/not-a-breach', flash: result.message };
  return errorPage(await renderNotABreach(req, ctx, [{ message: result.message }], values), 409);
}

const RevokeId = z.string().regex(/^\d{1,15}$/).transform(Number);

async function revokeException(req: ConsoleRequest, ctx: ConsoleContext): Promise<ConsoleResponse> {
  const id = RevokeId.safeParse(req.params['id'] ?? '');
  if (!id.success) return errorPage(await renderNotABreach(req, ctx, [{ message: 'There is no standing exception with that number.' }]), 404);
  const result = await ctx.actions.revokeException(id.data, req.user.username);
  if (result.ok) return { kind: 'redirect', to: '/not-a-breach', flash: result.message };
  return errorPage(await renderNotABreach(req, ctx, [{ message: result.message }]), 409);
}

export const notABreachRoutes: ConsoleRoute[] = [
  { method: 'GET', path: '/not-a-breach', role: 'viewer', handle: (req, ctx) => renderNotABreach(req, ctx) },
  { method: 'POST', path: '/exceptions', role: 'clerk', handle: addException },
  { method: 'POST', path: '/exceptions/:id/revoke', role: 'clerk', handle: revokeException },
];
