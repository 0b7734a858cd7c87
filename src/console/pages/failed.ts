/**
 * GET /failed: the effects Wardwatch gave up on, newest first, with why. One that failed because
 * of a fault on this side (nothing was sent) can be tried again once it is put right; one the mail
 * system refused is for the Clerk to follow up by hand.
 */
import { StoredItemMemory } from '../../service/item-memory.js';
import { html } from '../html.js';
import type { ConsoleContext, ConsoleRequest, ConsoleResponse, ConsoleRoute } from '../types.js';
import { buttonForm, canAct, effectPath, effectSubject, effectTitle, lowerFirst, heading, link, page, paragraph, ruleName, table } from './common.js';

/** At most this many are listed; the rest are in the history. */
export const FAILED_LIMIT = 200;

async function failed(req: ConsoleRequest, ctx: ConsoleContext): Promise<ConsoleResponse> {
  const effects = await ctx.store.listEffects({ states: ['failed'], newestFirst: true, limit: FAILED_LIMIT });
  const memory = new StoredItemMemory(ctx.store, { cacheSize: 64 });
  const rows = [];
  for (const e of effects) {
    const why = e.lastError ?? 'No reason was recorded.';
    const next = e.localFault === true
      ? canAct(req)
        ? buttonForm(req, effectPath(e.key, 'retry'), 'Retry', { hidden: { next: '/failed' }, visuallyHidden: `the ${lowerFirst(effectTitle(ctx, e))}` })
        : 'Can be tried again once the fault is put right'
      : 'Refused by the mail system: please follow it up by hand';
    rows.push([
      link(effectPath(e.key), effectTitle(ctx, e)),
      html`${ruleName(e.rule)}<br><span class="govuk-body-s">${await effectSubject(ctx, e, memory)}</span>`,
      html`${why}<br><span class="govuk-body-s">${e.attempts.toLocaleString('en-GB')} attempt${e.attempts === 1 ? '' : 's'}, last ${ctx.formatWhen(e.lastAttemptAt ?? e.createdAt)}</span>`,
      next,
    ]);
  }
  const body =
    rows.length > 0
      ? html`${heading('Failed')}${paragraph(
          'Wardwatch gave up on these. Where the fault was on this side (a template that could not be worded, say), nothing was sent: put it right, then retry. Where the mail system refused the message, please follow it up by hand.',
        )}${table('Effects that could not be carried out', ['Effect', 'Rule and item', 'Why', 'What to do'], rows)}${
          effects.length >= FAILED_LIMIT ? paragraph(html`Only the latest ${FAILED_LIMIT} are listed here; every one is in the ${link('/history', 'history')}.`) : ''
        }`
      : html`${heading('Failed')}<div class="govuk-inset-text">Nothing has failed.</div>`;
  return page('Failed', body, 'failed');
}

export const failedRoutes: ConsoleRoute[] = [{ method: 'GET', path: '/failed', role: 'viewer', handle: failed }];
