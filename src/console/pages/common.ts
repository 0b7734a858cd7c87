/**
 * What the console's pages share: the GOV.UK Design System's markup for tables, summary lists,
 * tags, buttons and error summaries; how an effect, an item, a rule and a person are named; and
 * how a form's answer from the Clerk's actions becomes a redirect or the page again with its error.
 *
 * Every value from outside (subject lines, names, reasons, form fields) goes through `html`,
 * which escapes it; the markup written here is the code's own.
 */
import { actionSpec } from '../../actions/kinds/index.js';
import { isRuleId, RULE_IDS } from '../../config/schema.js';
import { nextDay, zonedParts, zonedToUtc } from '../../elections/zoned-time.js';
import { StoredItemMemory } from '../../service/item-memory.js';
import { ruleTitle } from '../../templates/guidance.js';
import { DAILY_SUMMARY_RULE, type EffectRow, type EffectState, type StandingException } from '../../store/types.js';
import { formatDay } from '../../wording/dates.js';
import { html, raw, type Html, type HtmlValue } from '../html.js';
import { csrfField } from '../layout.js';
import type { ConsoleContext, ConsoleRequest, ConsoleResponse, NavSection } from '../types.js';

/** What a private matter (officer conduct) is called wherever its content would be. */
export const PRIVATE_MATTER = 'a private matter — details withheld';

/* ---------------------------------------------------------------------------------------- */
/* Paths                                                                                     */
/* ---------------------------------------------------------------------------------------- */

export function effectPath(key: string, action?: string): string {
  return `/effects/${encodeURIComponent(key)}${action !== undefined ? `/${action}` : ''}`;
}

export function itemPath(itemKey: string, action?: string): string {
  return `/items/${encodeURIComponent(itemKey)}${action !== undefined ? `/${action}` : ''}`;
}

/**
 * Where a form may send the Clerk back to once it is done (a hidden `next` field): only the
 * console's own list pages, so a form can never redirect anywhere else.
 */
const RETURN_PAGES = new Set(['/', '/review', '/failed', '/not-a-breach', '/authorisations', '/history']);

export function returnPath(form: URLSearchParams, fallback: string): string {
  const next = form.get('next');
  return next !== null && RETURN_PAGES.has(next) ? next : fallback;
}

/* ---------------------------------------------------------------------------------------- */
/* Words                                                                                     */
/* ---------------------------------------------------------------------------------------- */

export function capitalise(text: string): string {
  return text.length > 0 ? text.charAt(0).toUpperCase() + text.slice(1) : text;
}

/** "nudge to Cllr Alice Green", for the middle of a sentence: only the first letter lowered. */
export function lowerFirst(text: string): string {
  return text.length > 0 ? text.charAt(0).toLowerCase() + text.slice(1) : text;
}

/** A rule's title ("Blind copies in member–officer correspondence"), the daily summary's, or the id itself. */
export function ruleName(rule: string): string {
  if (isRuleId(rule)) return ruleTitle(rule);
  return rule === DAILY_SUMMARY_RULE ? 'Daily summary of reminders' : rule;
}

/** Every rule of the catalogue, for a select. */
export function ruleOptions(): { value: string; text: string }[] {
  return RULE_IDS.map((id) => ({ value: id, text: ruleTitle(id) }));
}

/** "Nudge", "Copy for the Clerk": what the digest calls an effect's kind. */
export function kindName(effect: Pick<EffectRow, 'kind'>): string {
  return capitalise(actionSpec(effect.kind).noun[0]);
}

/** "Nudge to Cllr Alice Green"; "Notice to the Clerk" and "Digest entry", whose noun says whom they are for. */
export function effectTitle(ctx: ConsoleContext, effect: Pick<EffectRow, 'kind' | 'recipient'>): string {
  const spec = actionSpec(effect.kind);
  if (spec.namesItsRecipient || spec.addresses === 'digest-readers' || effect.recipient === '') return kindName(effect);
  return `${kindName(effect)} to ${personName(ctx, effect.recipient)}`;
}

/** The person's name for an address, or the address; "—" for an effect with no recipient (a declined booking). */
export function personName(ctx: ConsoleContext, address: string): string {
  if (address === '') return '—';
  return ctx.engine.directory.person(address)?.name ?? address;
}

/** An effect's state in the Clerk's words, and the colour of its tag. */
export function stateLabel(effect: Pick<EffectRow, 'state' | 'kind' | 'attempts' | 'nextAttemptAt'>, now: string): { text: string; colour?: string } {
  const spec = actionSpec(effect.kind);
  const declined = spec.verb === 'declined';
  if (spec.addresses === 'digest-readers') {
    if (effect.state === 'pending') return { text: 'Waiting for the digest', colour: 'grey' };
    if (effect.state === 'done') return { text: 'In the digest', colour: 'green' };
  }
  const labels: Record<EffectState, { text: string; colour?: string }> = {
    'awaiting-review': { text: 'Awaiting review', colour: 'yellow' },
    pending:
      effect.attempts > 0
        ? { text: 'To be tried again', colour: 'orange' }
        : effect.nextAttemptAt > now
          ? { text: 'Waiting', colour: 'grey' }
          : { text: 'About to go' },
    sending: { text: 'Being sent', colour: 'turquoise' },
    done: { text: declined ? 'Declined' : 'Sent', colour: 'green' },
    failed: { text: 'Failed', colour: 'red' },
    folded: { text: 'In a daily summary', colour: 'purple' },
    'skipped-dry-run': { text: 'Not sent (dry run)', colour: 'grey' },
    'in-doubt': { text: 'In doubt', colour: 'orange' },
    dropped: { text: 'Dropped', colour: 'grey' },
    withdrawn: { text: 'Withdrawn', colour: 'grey' },
  };
  return labels[effect.state];
}

export function tag(text: string, colour?: string): Html {
  return html`<strong class="${colour !== undefined ? `govuk-tag govuk-tag--${colour}` : 'govuk-tag'}">${text}</strong>`;
}

export function stateTag(effect: EffectRow, now: string): Html {
  const label = stateLabel(effect, now);
  return tag(label.text, label.colour);
}

/**
 * How the console names an item: a message's subject line and date, or an event's title and
 * date; never its body. A private matter is never named.
 */
export async function itemHeadline(ctx: ConsoleContext, itemKey: string, isPrivate: boolean, memory?: StoredItemMemory): Promise<string> {
  if (isPrivate) return PRIVATE_MATTER;
  const headline = await ctx.store.getMailHeadline(itemKey);
  if (headline !== undefined) {
    const subject = headline.subject.trim() !== '' ? `“${headline.subject.trim()}”` : 'A message with no subject';
    return headline.date !== undefined ? `${subject}, sent ${ctx.formatWhen(headline.date)}` : subject;
  }
  const event = await ctx.store.getEvent(itemKey);
  if (event !== undefined) {
    const title = event.summary.trim() !== '' ? `“${event.summary.trim()}”` : 'An event with no title';
    return `${title}, ${ctx.formatWhen(event.start)}`;
  }
  const mail = await (memory ?? new StoredItemMemory(ctx.store, { cacheSize: 16 })).getMail(itemKey);
  if (mail !== undefined) {
    const subject = mail.subject.trim() !== '' ? `“${mail.subject.trim()}”` : 'A message with no subject';
    return mail.date !== undefined ? `${subject}, sent ${ctx.formatWhen(mail.date)}` : subject;
  }
  return itemKey;
}

/** What an effect is about: the daily summary's day, or its item's headline. */
export async function effectSubject(ctx: ConsoleContext, effect: EffectRow, memory?: StoredItemMemory): Promise<string> {
  if (effect.rule === DAILY_SUMMARY_RULE) return `The reminders for ${effect.payload.day ?? effect.itemKey}`;
  return await itemHeadline(ctx, effect.itemKey, effect.payload.private === true, memory);
}

/** Whether this person may change anything (a viewer sees no buttons; the server refuses them anyway). */
export function canAct(req: ConsoleRequest): boolean {
  return req.user.role === 'clerk';
}

/* ---------------------------------------------------------------------------------------- */
/* Dates in forms                                                                            */
/* ---------------------------------------------------------------------------------------- */

/** A date typed by a person, as YYYY-MM-DD: "2027-03-31" or "31/3/2027" (British order); undefined when it is not a real date. */
export function parseDay(text: string): string | undefined {
  const t = text.trim();
  let y: number;
  let m: number;
  let d: number;
  const iso = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(t);
  const british = /^(\d{1,2})[/.](\d{1,2})[/.](\d{4})$/.exec(t);
  if (iso) [y, m, d] = [Number(iso[1]), Number(iso[2]), Number(iso[3])];
  else if (british) [d, m, y] = [Number(british[1]), Number(british[2]), Number(british[3])];
  else return undefined;
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return undefined;
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/** The instant a council day (YYYY-MM-DD) starts, in UTC. */
export function startOfDay(day: string, timeZone: string): string {
  return zonedToUtc(day, '00:00', timeZone).toISOString();
}

/** The instant a council day ends (the next one starts), in UTC. */
export function endOfDay(day: string, timeZone: string): string {
  return zonedToUtc(nextDay(day), '00:00', timeZone).toISOString();
}

/** Today in the council's time zone, YYYY-MM-DD. */
export function councilToday(now: Date, timeZone: string): string {
  return zonedParts(now, timeZone).day;
}

/* ---------------------------------------------------------------------------------------- */
/* Markup                                                                                    */
/* ---------------------------------------------------------------------------------------- */

export { csrfField } from '../layout.js';

/** A form of one button (and hidden fields): approve, retry, revoke … */
export function buttonForm(
  req: ConsoleRequest,
  action: string,
  label: string,
  options: { warning?: boolean; secondary?: boolean; hidden?: Record<string, string | undefined>; visuallyHidden?: string } = {},
): Html {
  const classes = ['govuk-button', options.warning === true ? 'govuk-button--warning' : '', options.secondary === true ? 'govuk-button--secondary' : ''].filter((c) => c !== '').join(' ');
  const hidden = Object.entries(options.hidden ?? {}).flatMap(([name, value]) => (value !== undefined ? [html`<input type="hidden" name="${name}" value="${value}">`] : []));
  const extra = options.visuallyHidden !== undefined ? html`<span class="govuk-visually-hidden"> ${options.visuallyHidden}</span>` : '';
  return html`<form method="post" action="${action}" novalidate>${csrfField(req.csrfToken)}${hidden}<button type="submit" class="${classes}" data-module="govuk-button">${label}${extra}</button></form>`;
}

/**
 * Plain text (a message as it would be sent) as paragraphs: a blank line starts a new paragraph,
 * a single line break stays a line break. Long lines wrap, as the layout's stylesheet needs.
 */
export function textParagraphs(text: string, className = 'govuk-body'): Html {
  const paragraphs = text.replace(/\r\n?/g, '\n').split(/\n[ \t]*\n/).map((p) => p.replace(/^\n+|\n+$/g, '')).filter((p) => p.trim() !== '');
  return html`${paragraphs.map((p) => {
    const lines = p.split('\n');
    return html`<p class="${className}">${lines.map((line, i) => html`${i > 0 ? raw('<br>') : ''}${line}`)}</p>`;
  })}`;
}

export function link(href: string, text: HtmlValue, visuallyHidden?: string): Html {
  return html`<a class="govuk-link" href="${href}">${text}${visuallyHidden !== undefined ? html`<span class="govuk-visually-hidden"> ${visuallyHidden}</span>` : ''}</a>`;
}

export function heading(text: string, caption?: string): Html {
  return html`${caption !== undefined ? html`<span class="govuk-caption-l">${caption}</span>` : ''}<h1 class="govuk-heading-l">${text}</h1>`;
}

export function paragraph(text: HtmlValue, className = 'govuk-body'): Html {
  return html`<p class="${className}">${text}</p>`;
}

/** A GOV.UK table with its caption and column headers (scope="col"). */
export function table(caption: string, headers: readonly string[], rows: readonly (readonly HtmlValue[])[], captionSize: 'm' | 's' = 'm'): Html {
  const captionClass = captionSize === 'm' ? 'govuk-table__caption govuk-table__caption--m' : 'govuk-table__caption govuk-table__caption--s';
  return html`<table class="govuk-table"><caption class="${captionClass}">${caption}</caption><thead class="govuk-table__head"><tr class="govuk-table__row">${headers.map(
    (h) => html`<th scope="col" class="govuk-table__header">${h}</th>`,
  )}</tr></thead><tbody class="govuk-table__body">${rows.map(
    (cells) => html`<tr class="govuk-table__row">${cells.map((c) => html`<td class="govuk-table__cell">${c}</td>`)}</tr>`,
  )}</tbody></table>`;
}

/** A GOV.UK summary list of key and value rows. */
export function summaryList(rows: readonly (readonly [string, HtmlValue])[]): Html {
  return html`<dl class="govuk-summary-list">${rows.map(
    ([key, value]) => html`<div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">${key}</dt><dd class="govuk-summary-list__value">${value}</dd></div>`,
  )}</dl>`;
}

export interface FieldError {
  /** The id of the field it concerns (the summary links to it); none for an error about the whole change. */
  field?: string;
  message: string;
}

/** The error summary at the top of a page whose change could not be made. */
export function errorSummary(errors: readonly FieldError[]): Html {
  if (errors.length === 0) return html``;
  return html`<div class="govuk-error-summary" data-module="govuk-error-summary"><div role="alert"><h2 class="govuk-error-summary__title">There is a problem</h2><div class="govuk-error-summary__body"><ul class="govuk-list govuk-error-summary__list">${errors.map(
    (e) => html`<li>${e.field !== undefined ? html`<a href="#${e.field}">${e.message}</a>` : e.message}</li>`,
  )}</ul></div></div></div>`;
}

export function fieldError(errors: readonly FieldError[], field: string): FieldError | undefined {
  return errors.find((e) => e.field === field);
}

/** A form group (with its error state) around a label, hint and control. */
export function formGroup(
  errors: readonly FieldError[],
  id: string,
  label: string,
  control: (describedBy: string | undefined, invalid: boolean) => Html,
  hint?: string,
): Html {
  const error = fieldError(errors, id);
  const describedBy = [hint !== undefined ? `${id}-hint` : '', error !== undefined ? `${id}-error` : ''].filter((s) => s !== '').join(' ');
  return html`<div class="${error !== undefined ? 'govuk-form-group govuk-form-group--error' : 'govuk-form-group'}"><label class="govuk-label" for="${id}">${label}</label>${
    hint !== undefined ? html`<div id="${id}-hint" class="govuk-hint">${hint}</div>` : ''
  }${
    error !== undefined ? html`<p id="${id}-error" class="govuk-error-message"><span class="govuk-visually-hidden">Error:</span> ${error.message}</p>` : ''
  }${control(describedBy !== '' ? describedBy : undefined, error !== undefined)}</div>`;
}

export function textarea(errors: readonly FieldError[], id: string, name: string, label: string, value: string, hint?: string, rows = 3): Html {
  return formGroup(
    errors,
    id,
    label,
    (describedBy, invalid) =>
      html`<textarea class="${invalid ? 'govuk-textarea govuk-textarea--error' : 'govuk-textarea'}" id="${id}" name="${name}" rows="${rows}"${
        describedBy !== undefined ? html` aria-describedby="${describedBy}"` : ''
      }>${value}</textarea>`,
    hint,
  );
}

export function textInput(errors: readonly FieldError[], id: string, name: string, label: string, value: string, hint?: string, width?: number): Html {
  return formGroup(
    errors,
    id,
    label,
    (describedBy, invalid) =>
      html`<input class="${['govuk-input', width !== undefined ? `govuk-input--width-${width}` : '', invalid ? 'govuk-input--error' : ''].filter((c) => c !== '').join(' ')}" id="${id}" name="${name}" type="text" value="${value}"${
        describedBy !== undefined ? html` aria-describedby="${describedBy}"` : ''
      }>`,
    hint,
  );
}

export function select(errors: readonly FieldError[], id: string, name: string, label: string, options: readonly { value: string; text: string }[], selected: string, hint?: string): Html {
  return formGroup(
    errors,
    id,
    label,
    (describedBy, invalid) =>
      html`<select class="${invalid ? 'govuk-select govuk-select--error' : 'govuk-select'}" id="${id}" name="${name}"${describedBy !== undefined ? html` aria-describedby="${describedBy}"` : ''}>${options.map(
        (o) => html`<option value="${o.value}"${o.value === selected ? raw(' selected') : ''}>${o.text}</option>`,
      )}</select>`,
    hint,
  );
}

/** GOV.UK pagination with "Newer" and "Older" links (either may be absent). */
export function pagination(newer: string | undefined, older: string | undefined): Html {
  if (newer === undefined && older === undefined) return html``;
  const prevArrow = raw(
    '<svg class="govuk-pagination__icon govuk-pagination__icon--prev" xmlns="http://www.w3.org/2000/svg" height="13" width="15" aria-hidden="true" focusable="false" viewBox="0 0 15 13"><path d="m6.5938-0.0078125-6.7266 6.7266 6.7441 6.4062 1.377-1.449-4.1856-3.9768h12.896v-2h-12.984l4.2931-4.293-1.414-1.414z"></path></svg>',
  );
  const nextArrow = raw(
    '<svg class="govuk-pagination__icon govuk-pagination__icon--next" xmlns="http://www.w3.org/2000/svg" height="13" width="15" aria-hidden="true" focusable="false" viewBox="0 0 15 13"><path d="m8.107-0.0078125-1.4136 1.414 4.2926 4.293h-12.986v2h12.896l-4.1855 3.9766 1.377 1.4492 6.7441-6.4062-6.7246-6.7266z"></path></svg>',
  );
  return html`<nav class="govuk-pagination govuk-pagination--block" aria-label="Pagination">${
    newer !== undefined
      ? html`<div class="govuk-pagination__prev"><a class="govuk-link govuk-pagination__link" href="${newer}" rel="prev">${prevArrow}<span class="govuk-pagination__link-title govuk-pagination__link-title--decorated">Newer</span></a></div>`
      : ''
  }${
    older !== undefined
      ? html`<div class="govuk-pagination__next"><a class="govuk-link govuk-pagination__link" href="${older}" rel="next">${nextArrow}<span class="govuk-pagination__link-title govuk-pagination__link-title--decorated">Older</span></a></div>`
      : ''
  }</nav>`;
}

/* ---------------------------------------------------------------------------------------- */
/* Responses                                                                                 */
/* ---------------------------------------------------------------------------------------- */

export function page(title: string, body: Html, nav?: NavSection): ConsoleResponse {
  return nav !== undefined ? { kind: 'page', title, body, nav } : { kind: 'page', title, body };
}

export function notFound(what: string, back: { href: string; text: string }, nav?: NavSection): ConsoleResponse {
  const body = html`${heading('Page not found')}${paragraph(what)}${paragraph(link(back.href, back.text))}`;
  return nav !== undefined ? { kind: 'page', title: 'Page not found', body, nav, status: 404 } : { kind: 'page', title: 'Page not found', body, status: 404 };
}

/**
 * A page shown again because its change could not be made: the same page with the error summary.
 * `status` 400 for a form filled in wrongly, 409 for a change the record's state no longer allows.
 */
export function errorPage(shown: ConsoleResponse, status: 400 | 404 | 409): ConsoleResponse {
  if (shown.kind !== 'page') return shown;
  return shown.nav !== undefined
    ? { kind: 'error', title: `Error: ${shown.title}`, body: shown.body, nav: shown.nav, status }
    : { kind: 'error', title: `Error: ${shown.title}`, body: shown.body, status };
}

/** When a standing exception ends, mid-sentence: "the end of <day>" when it ends at a council midnight (as the form sets it). */
export function exceptionExpiry(ctx: ConsoleContext, expiresAt: string): string {
  const tz = ctx.config.council.timezone;
  if (zonedParts(new Date(expiresAt), tz).time !== '00:00') return ctx.formatWhen(expiresAt);
  return `the end of ${formatDay(new Date(Date.parse(expiresAt) - 1).toISOString(), tz)}`;
}

/** What a standing exception matches, as a Clerk would say it. */
export function describeException(e: StandingException): string {
  switch (e.match) {
    case 'sender':
      return `From ${e.value}`;
    case 'recipient-domain':
      return `To anyone at ${e.value}`;
    case 'phrase':
      return `Mentions “${e.value}”`;
  }
}
