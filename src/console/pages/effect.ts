/**
 * GET /effects/:key: one effect — what it is, where it stands, the message exactly as it would be
 * sent, the Clerk's own words for it while it awaits review, the buttons its state allows, and
 * its audit trail; for a reminder folded into a daily summary, that summary and whether it has
 * gone; for a daily summary, the reminders folded into it. The POSTs call the Clerk's actions
 * and come back with their message.
 */
import { z } from 'zod';
import { errorMessage } from '../../model/error-message.js';
import { DAILY_SUMMARY_RULE, type EffectRow } from '../../store/types.js';
import { html, type Html, type HtmlValue } from '../html.js';
import type { ConsoleContext, ConsoleRequest, ConsoleResponse, ConsoleRoute } from '../types.js';
import {
  buttonForm,
  canAct,
  csrfField,
  effectPath,
  effectSubject,
  effectTitle,
  errorPage,
  errorSummary,
  heading,
  itemPath,
  kindName,
  link,
  notFound,
  page,
  paragraph,
  personName,
  returnPath,
  ruleName,
  stateTag,
  summaryList,
  table,
  textInput,
  textParagraphs,
  textarea,
  type FieldError,
} from './common.js';

/** The Clerk's own paragraph is a few sentences, not a letter. */
export const MAX_COVER_TEXT = 2000;
const MAX_REASON = 500;

async function previewSection(req: ConsoleRequest, ctx: ConsoleContext, effect: EffectRow): Promise<Html> {
  // A private matter's message goes to the person concerned: the Clerk, who decides on it, may read it; a viewer may not.
  if (effect.payload.private === true && !canAct(req)) return paragraph('The message concerns a private matter: only a Clerk may read it.');
  const unsent = effect.state === 'awaiting-review' || effect.state === 'pending' || effect.state === 'failed' || effect.state === 'in-doubt';
  const caption = unsent ? 'The message as it would be sent' : 'The message, as Wardwatch words it today';
  try {
    const preview = await ctx.preview(effect);
    if (preview === undefined) return html``;
    return html`<h2 class="govuk-heading-m">${caption}</h2><div class="govuk-inset-text">${summaryList([
      ['To', preview.to.map((a) => `${personName(ctx, a)} <${a}>`).join(', ')],
      ['Subject', preview.subject],
    ])}<div class="app-message-text">${textParagraphs(preview.text)}</div></div>`;
  } catch (err) {
    return html`<h2 class="govuk-heading-m">${caption}</h2><div class="govuk-warning-text"><span class="govuk-warning-text__icon" aria-hidden="true">!</span><strong class="govuk-warning-text__text"><span class="govuk-visually-hidden">Warning</span>The message could not be prepared: ${errorMessage(err)}</strong></div>`;
  }
}

function coverTextForm(req: ConsoleRequest, effect: EffectRow, errors: readonly FieldError[], value: string | undefined): Html {
  return html`<h2 class="govuk-heading-m">Your own words</h2><form method="post" action="${effectPath(effect.key, 'cover-text')}" novalidate>${csrfField(req.csrfToken)}${textarea(
    errors,
    'coverText',
    'coverText',
    'A paragraph of your own (optional)',
    value ?? effect.coverText ?? '',
    'It goes after the greeting. The rest of the message, and the clause of the Protocol it cites, stays as it is. Leave it empty to send the message as written.',
    5,
  )}<button type="submit" class="govuk-button govuk-button--secondary" data-module="govuk-button">Save your words</button></form>`;
}

function withdrawForm(req: ConsoleRequest, effect: EffectRow, errors: readonly FieldError[], value: string | undefined): Html {
  return html`<h2 class="govuk-heading-m">Withdraw it</h2><form method="post" action="${effectPath(effect.key, 'withdraw')}" novalidate>${csrfField(req.csrfToken)}${textInput(
    errors,
    'reason',
    'reason',
    'Why (optional)',
    value ?? '',
    'Kept in the audit trail. The message will never be sent.',
  )}<button type="submit" class="govuk-button govuk-button--warning" data-module="govuk-button">Withdraw</button></form>`;
}

/** Why a folded reminder whose summary no longer waits to go cannot be withdrawn. */
function summaryGoneWords(ctx: ConsoleContext, summary: EffectRow | undefined): string {
  switch (summary?.state) {
    case 'done':
      return `It went in their daily summary on ${ctx.formatWhen(summary.doneAt ?? summary.nextAttemptAt)}, so it cannot be withdrawn now.`;
    case 'sending':
      return 'Their daily summary, which carries it, is being sent right now, so it cannot be withdrawn now.';
    default:
      return 'Their daily summary, which carries it, no longer waits to go, so it cannot be withdrawn now.';
  }
}

/** The buttons and forms the effect's state allows, for a Clerk (`summary`: the daily summary carrying a folded one). */
function actions(
  req: ConsoleRequest,
  ctx: ConsoleContext,
  effect: EffectRow,
  summary: EffectRow | undefined,
  errors: readonly FieldError[],
  values: { coverText?: string; reason?: string },
): Html {
  switch (effect.state) {
    case 'awaiting-review':
      return html`${coverTextForm(req, effect, errors, values.coverText)}<h2 class="govuk-heading-m">Approve it</h2>${paragraph(
        'Once approved it goes through the outbox like everything else (in working hours, where the recipient keeps them), once.',
      )}<div class="govuk-button-group">${buttonForm(req, effectPath(effect.key, 'approve'), 'Approve')}</div>${withdrawForm(req, effect, errors, values.reason)}`;
    case 'pending':
      // A daily summary is not withdrawn itself: the reminders it carries are, one by one.
      return effect.rule === DAILY_SUMMARY_RULE
        ? paragraph('This daily summary carries the reminders listed above. To keep one from going, open it and withdraw it; the summary then leaves it out.')
        : withdrawForm(req, effect, errors, values.reason);
    case 'folded':
      // Withdrawn only while its summary waits to go (the store checks again as it withdraws it).
      return summary?.state === 'pending'
        ? html`${paragraph('It came after its recipient’s daily limit of messages was reached, so it travels in their daily summary instead of on its own.')}${withdrawForm(req, effect, errors, values.reason)}`
        : paragraph(summaryGoneWords(ctx, summary));
    case 'failed':
      return effect.localFault === true
        ? html`${paragraph('Nothing was sent: the fault was on this side (a template that could not be worded, say). Once it is put right, try it again.')}<div class="govuk-button-group">${buttonForm(
            req,
            effectPath(effect.key, 'retry'),
            'Retry',
          )}</div>`
        : paragraph('It was refused by the mail system, so it may be wrong to send it again as it is: please follow it up by hand.');
    case 'in-doubt':
      return html`${paragraph(
        'It was being carried out when Wardwatch stopped, and the sender cannot tell whether it went. Ask the recipient: release it to send it once, or drop it if it arrived.',
      )}<div class="govuk-button-group">${buttonForm(req, effectPath(effect.key, 'release'), 'Release')}${buttonForm(req, effectPath(effect.key, 'drop'), 'Drop', {
        secondary: true,
      })}</div>`;
    default:
      return html``;
  }
}

/** The row naming the daily summary a reminder was folded into, worded by where the summary stands. */
function summaryRow(ctx: ConsoleContext, effect: EffectRow, summary: EffectRow | undefined, now: string): [string, Html | string] | undefined {
  if (effect.foldedInto === undefined) return undefined;
  if (summary === undefined) return ['Folded into', 'a daily summary no longer kept'];
  const name = link(effectPath(summary.key), `${personName(ctx, summary.recipient)}’s daily summary`);
  // Withdrawn, it is not in the summary: the summary left it out.
  if (effect.state === 'withdrawn') return ['Left out of', name];
  switch (summary.state) {
    case 'pending':
      return ['Travels in', html`${name}, which goes out on ${ctx.formatWhen(summary.nextAttemptAt)}`];
    case 'sending':
      return ['Going out in', html`${name}, being sent now`];
    case 'done':
      return ['Sent in', html`${name} on ${ctx.formatWhen(summary.doneAt ?? summary.nextAttemptAt)}`];
    default:
      return ['Folded into', html`${name} ${stateTag(summary, now)}`];
  }
}

/** On a daily summary's page: the reminders folded into it, each with its state (a withdrawn one is left out when it goes). */
async function remindersSection(ctx: ConsoleContext, summary: EffectRow, now: string): Promise<Html> {
  const reminders = (await ctx.store.listEffects({ foldedInto: summary.key })).filter((e) => e.foldedInto === summary.key);
  if (reminders.length === 0) return html`<h2 class="govuk-heading-m">The reminders it carries</h2>${paragraph('No reminder is folded into it, so it has nothing to send.')}`;
  const rows: HtmlValue[][] = [];
  for (const e of reminders) {
    rows.push([link(effectPath(e.key), effectTitle(ctx, e)), personName(ctx, e.recipient), ruleName(e.rule), await effectSubject(ctx, e), stateTag(e, now)]);
  }
  return table('The reminders it carries', ['Reminder', 'To', 'Rule', 'About', 'State'], rows);
}

export async function renderEffect(
  req: ConsoleRequest,
  ctx: ConsoleContext,
  key: string,
  errors: readonly FieldError[] = [],
  values: { coverText?: string; reason?: string } = {},
): Promise<ConsoleResponse> {
  const effect = await ctx.store.getEffect(key);
  if (effect === undefined) {
    // The digest and the CLI name a digest held in doubt `digest;DATE`, like an effect: it is decided on Today.
    if (key.startsWith('digest;')) return notFound('A digest is not an effect: a digest held in doubt is released or dropped on the Today page.', { href: '/', text: 'Go to Today' });
    return notFound('There is no effect with that key. It may have been pruned after its retention period.', { href: '/history', text: 'Search the history' });
  }
  const now = ctx.now().toISOString();
  const about = await effectSubject(ctx, effect);
  const summary = effect.foldedInto !== undefined ? await ctx.store.getEffect(effect.foldedInto) : undefined;
  const to = personName(ctx, effect.recipient);
  const rows: [string, Html | string][] = [
    ['Effect', kindName(effect)],
    ['Rule', ruleName(effect.rule)],
    ['To', effect.recipient !== '' && to !== effect.recipient ? `${to} (${effect.recipient})` : to],
    ['State', stateTag(effect, now)],
    ['About', effect.rule === DAILY_SUMMARY_RULE ? about : link(itemPath(effect.itemKey), about)],
    ['Created', ctx.formatWhen(effect.createdAt)],
  ];
  if (effect.state === 'pending') rows.push(['Due', ctx.formatWhen(effect.nextAttemptAt)]);
  if (effect.doneAt !== undefined) rows.push(['Finished', ctx.formatWhen(effect.doneAt)]);
  rows.push(['Attempts', effect.attempts.toLocaleString('en-GB')]);
  if (effect.lastError !== undefined) rows.push([effect.state === 'withdrawn' ? 'Why' : 'Last error', effect.lastError]);
  if (effect.coverText !== undefined && effect.state !== 'awaiting-review') rows.push(['Your own words', effect.coverText]);
  const carriedBy = summaryRow(ctx, effect, summary, now);
  if (carriedBy !== undefined) rows.push(carriedBy);
  const reminders = effect.rule === DAILY_SUMMARY_RULE ? await remindersSection(ctx, effect, now) : html``;

  const audit = await ctx.store.listAudit({ effectKey: effect.key });
  const auditTable =
    audit.length > 0
      ? table(
          'What happened to it',
          ['When', 'What happened', 'Who'],
          [...audit].reverse().map((a) => [ctx.formatWhen(a.at), a.outcome, a.actor ?? 'Wardwatch']),
        )
      : paragraph('Nothing has been recorded about it yet.');
  const body = html`${errorSummary(errors)}${heading(effectTitle(ctx, effect), ruleName(effect.rule))}${summaryList(rows)}${await previewSection(req, ctx, effect)}${reminders}${
    canAct(req) ? actions(req, ctx, effect, summary, errors, values) : ''
  }${auditTable}${paragraph(link(effect.state === 'awaiting-review' ? '/review' : '/history', effect.state === 'awaiting-review' ? 'Back to everything awaiting review' : 'Back to the history'))}`;
  return page(effectTitle(ctx, effect), body, effect.state === 'awaiting-review' ? 'review' : effect.state === 'failed' ? 'failed' : 'history');
}

interface ActionOutcome {
  ok: boolean;
  message: string;
}

/** The answer to a POST: back where the Clerk came from with the message, or the page again with it as an error. */
async function answer(
  req: ConsoleRequest,
  ctx: ConsoleContext,
  key: string,
  result: ActionOutcome,
  fallback: string,
  values: { coverText?: string; reason?: string } = {},
): Promise<ConsoleResponse> {
  if (result.ok) return { kind: 'redirect', to: returnPath(req.form, fallback), flash: result.message };
  return errorPage(await renderEffect(req, ctx, key, [{ message: result.message }], values), 409);
}

/** The effect a POST names, or the 404 page. */
async function named(req: ConsoleRequest, ctx: ConsoleContext): Promise<{ key: string; effect: EffectRow } | ConsoleResponse> {
  const key = req.params['key'] ?? '';
  const effect = await ctx.store.getEffect(key);
  if (effect === undefined) return notFound('There is no effect with that key, so nothing was changed.', { href: '/history', text: 'Search the history' });
  return { key, effect };
}

function isResponse(x: { key: string; effect: EffectRow } | ConsoleResponse): x is ConsoleResponse {
  return 'kind' in x;
}

const CoverTextForm = z.object({
  coverText: z.string().max(MAX_COVER_TEXT, `Keep your own words to ${MAX_COVER_TEXT.toLocaleString('en-GB')} characters or fewer`),
});
const ReasonForm = z.object({ reason: z.string().max(MAX_REASON, `Keep the reason to ${MAX_REASON} characters or fewer`) });

async function approve(req: ConsoleRequest, ctx: ConsoleContext): Promise<ConsoleResponse> {
  const found = await named(req, ctx);
  if (isResponse(found)) return found;
  return answer(req, ctx, found.key, await ctx.actions.approve(found.key, req.user.username), '/review');
}

async function withdraw(req: ConsoleRequest, ctx: ConsoleContext): Promise<ConsoleResponse> {
  const found = await named(req, ctx);
  if (isResponse(found)) return found;
  const reasonText = (req.form.get('reason') ?? '').trim();
  const parsed = ReasonForm.safeParse({ reason: reasonText });
  if (!parsed.success) {
    return errorPage(await renderEffect(req, ctx, found.key, [{ field: 'reason', message: parsed.error.issues[0]?.message ?? 'Check the reason' }], { reason: reasonText }), 400);
  }
  const reason = parsed.data.reason !== '' ? parsed.data.reason : undefined;
  const fallback = found.effect.state === 'awaiting-review' ? '/review' : effectPath(found.key);
  return answer(req, ctx, found.key, await ctx.actions.withdraw(found.key, req.user.username, reason), fallback, { reason: reasonText });
}

async function coverText(req: ConsoleRequest, ctx: ConsoleContext): Promise<ConsoleResponse> {
  const found = await named(req, ctx);
  if (isResponse(found)) return found;
  // Line endings as a browser sends them (CRLF) become the message's own.
  const text = (req.form.get('coverText') ?? '').replace(/\r\n?/g, '\n').trim();
  const parsed = CoverTextForm.safeParse({ coverText: text });
  if (!parsed.success) {
    return errorPage(await renderEffect(req, ctx, found.key, [{ field: 'coverText', message: parsed.error.issues[0]?.message ?? 'Check your words' }], { coverText: text }), 400);
  }
  const result = await ctx.actions.setCoverText(found.key, req.user.username, parsed.data.coverText !== '' ? parsed.data.coverText : undefined);
  return answer(req, ctx, found.key, result, effectPath(found.key), { coverText: text });
}

async function retry(req: ConsoleRequest, ctx: ConsoleContext): Promise<ConsoleResponse> {
  const found = await named(req, ctx);
  if (isResponse(found)) return found;
  return answer(req, ctx, found.key, await ctx.actions.retry(found.key, req.user.username), '/failed');
}

async function release(req: ConsoleRequest, ctx: ConsoleContext): Promise<ConsoleResponse> {
  const found = await named(req, ctx);
  if (isResponse(found)) return found;
  return answer(req, ctx, found.key, await ctx.actions.release(found.key, req.user.username), effectPath(found.key));
}

async function drop(req: ConsoleRequest, ctx: ConsoleContext): Promise<ConsoleResponse> {
  const found = await named(req, ctx);
  if (isResponse(found)) return found;
  return answer(req, ctx, found.key, await ctx.actions.drop(found.key, req.user.username), effectPath(found.key));
}

export const effectRoutes: ConsoleRoute[] = [
  { method: 'GET', path: '/effects/:key', role: 'viewer', handle: (req, ctx) => renderEffect(req, ctx, req.params['key'] ?? '') },
  { method: 'POST', path: '/effects/:key/approve', role: 'clerk', handle: approve },
  { method: 'POST', path: '/effects/:key/withdraw', role: 'clerk', handle: withdraw },
  { method: 'POST', path: '/effects/:key/cover-text', role: 'clerk', handle: coverText },
  { method: 'POST', path: '/effects/:key/retry', role: 'clerk', handle: retry },
  { method: 'POST', path: '/effects/:key/release', role: 'clerk', handle: release },
  { method: 'POST', path: '/effects/:key/drop', role: 'clerk', handle: drop },
];
