/**
 * GET /: what needs the Clerk today — messages awaiting review, effects that failed or are held in
 * doubt, digests held in doubt (with their Release and Drop buttons), notices only a person can
 * settle, possible spoofing, files that could not be read and sources in trouble. Everything else
 * is on its own page.
 *
 * POST /digests/:date/release and /digests/:date/drop: the Clerk's decision about a digest held in
 * doubt after a crash, as `wardwatch outbox release|drop 'digest;DATE'` makes it.
 */
import { z } from 'zod';
import type { InDoubtDecision } from '../../outbox/in-doubt.js';
import { sourceState } from '../../service/health.js';
import { formatDate } from '../../wording/dates.js';
import { html, type Html } from '../html.js';
import type { ConsoleContext, ConsoleRequest, ConsoleResponse, ConsoleRoute } from '../types.js';
import {
  buttonForm,
  canAct,
  effectPath,
  effectSubject,
  effectTitle,
  errorPage,
  errorSummary,
  heading,
  itemHeadline,
  itemPath,
  kindName,
  link,
  lowerFirst,
  notFound,
  page,
  paragraph,
  parseDay,
  personName,
  ruleName,
  table,
  type FieldError,
} from './common.js';

/** The path of the Clerk's decision about the digest for `date` (YYYY-MM-DD). */
export function digestDecisionPath(date: string, decision: InDoubtDecision): string {
  return `/digests/${encodeURIComponent(date)}/${decision}`;
}

/** A needs-a-human notice about a message that may not be from whom it claims (the engine's and the digest's word). */
export function isSpoofingNotice(message: string): boolean {
  return /spoof|authenticat/i.test(message);
}

function plural(n: number, one: string, many: string): string {
  return `${n.toLocaleString('en-GB')} ${n === 1 ? one : many}`;
}

/** Whether any finding on the item is private (so its notices do not name it). */
async function isPrivateItem(ctx: ConsoleContext, itemKey: string): Promise<boolean> {
  return (await ctx.store.getFindings(itemKey)).some((f) => f.finding.private === true);
}

async function renderToday(req: ConsoleRequest, ctx: ConsoleContext, errors: readonly FieldError[] = []): Promise<ConsoleResponse> {
  const { store } = ctx;
  const sections: Html[] = [];

  const awaiting = await store.countOutboxEffects(['awaiting-review']);
  const failed = await store.countOutboxEffects(['failed']);
  const headline: Html[] = [];
  if (awaiting > 0) headline.push(html`<li>${link('/review', `${plural(awaiting, 'message is', 'messages are')} awaiting your review`)}</li>`);
  if (failed > 0) headline.push(html`<li>${link('/failed', `${plural(failed, 'effect', 'effects')} could not be carried out`)}</li>`);
  if (headline.length > 0) sections.push(html`<ul class="govuk-list govuk-list--bullet">${headline}</ul>`);

  const inDoubt = await store.listEffects({ states: ['in-doubt'] });
  if (inDoubt.length > 0) {
    const rows = [];
    for (const e of inDoubt) {
      rows.push([kindName(e), personName(ctx, e.recipient), ruleName(e.rule), await effectSubject(ctx, e), link(effectPath(e.key), 'Decide', `about the ${lowerFirst(effectTitle(ctx, e))}`)]);
    }
    sections.push(
      html`${table('Held in doubt', ['Effect', 'To', 'Rule', 'About', 'Action'], rows)}${paragraph(
        'Each of these was being carried out when Wardwatch stopped, and the sender cannot tell whether it went. Please ask the recipient, then release it (to send it once) or drop it.',
      )}`,
    );
  }

  const digestsInDoubt = await store.listDigestsInDoubt();
  if (digestsInDoubt.length > 0) {
    const clerk = canAct(req);
    const rows = digestsInDoubt.map((d) => {
      const which = `the digest for ${formatDate(d.date)}`;
      const cells: Html[] = [html`${formatDate(d.date)}`, html`${ctx.formatWhen(d.since)}`];
      if (clerk) {
        cells.push(
          html`<div class="govuk-button-group">${buttonForm(req, digestDecisionPath(d.date, 'release'), 'Release', { visuallyHidden: which })}${buttonForm(
            req,
            digestDecisionPath(d.date, 'drop'),
            'Drop',
            { secondary: true, visuallyHidden: which },
          )}</div>`,
        );
      }
      return cells;
    });
    const explained = clerk
      ? html`<ul class="govuk-list govuk-list--bullet"><li><strong>Release</strong> has the digest sent, once: choose it when the Clerks did not receive it.</li><li><strong>Drop</strong> means it is never sent: choose it when it did arrive, and what it would have listed goes into the next digest.</li></ul>`
      : paragraph('A Clerk decides whether each one is sent again or dropped.');
    sections.push(
      html`${table('Digests held in doubt', clerk ? ['Digest for', 'Held since', 'Action'] : ['Digest for', 'Held since'], rows)}${paragraph(
        'Each of these digests was being sent when Wardwatch stopped, and the sender cannot tell whether it went. Please check whether it arrived.',
      )}${explained}`,
    );
  }

  const notices = (await store.listNeedsHuman()).sort((a, b) => b.lastSeen.localeCompare(a.lastSeen));
  const spoofing = notices.filter((n) => isSpoofingNotice(n.message));
  const others = notices.filter((n) => !isSpoofingNotice(n.message));
  if (spoofing.length > 0) {
    const rows = [];
    for (const n of spoofing) {
      rows.push([link(itemPath(n.itemKey), await itemHeadline(ctx, n.itemKey, await isPrivateItem(ctx, n.itemKey))), n.message, ctx.formatWhen(n.lastSeen)]);
    }
    sections.push(
      html`${table('Possible spoofing', ['Message', 'What Wardwatch found', 'Last seen'], rows)}${paragraph(
        'Nothing is done in the name of the person these messages claim to come from. Please check with them before acting on any of them.',
      )}`,
    );
  }
  if (others.length > 0) {
    const rows = [];
    for (const n of others) {
      const about = await itemHeadline(ctx, n.itemKey, await isPrivateItem(ctx, n.itemKey));
      rows.push([link(itemPath(n.itemKey), about), n.rule !== undefined ? ruleName(n.rule) : '—', n.message, ctx.formatWhen(n.lastSeen)]);
    }
    sections.push(table('Needs a person’s judgement', ['About', 'Rule', 'What is needed', 'Last seen'], rows));
  }

  const unreadable = (await store.listProblems()).filter((p) => p.severity === 'error');
  if (unreadable.length > 0) {
    sections.push(
      table(
        'Files that could not be read',
        ['Where', 'Why', 'Last seen', 'Times'],
        unreadable.map((p) => [p.origin, p.reason, ctx.formatWhen(p.lastSeen), p.count.toLocaleString('en-GB')]),
      ),
    );
  }

  const health = await ctx.health();
  const troubled = health.sources.filter((s) => sourceState(s) === 'failing');
  if (health.problems.length > 0 || troubled.length > 0) {
    const rows = [
      ...health.problems.map((p) => [p.what === 'store' ? 'The state file' : p.what === 'outbox' ? 'The outbox' : 'The mail sender', p.reason, p.since !== undefined ? ctx.formatWhen(p.since) : '—']),
      ...troubled.map((s) => [s.source, s.lastError?.message ?? 'failing', s.lastError !== undefined ? ctx.formatWhen(s.lastError.at) : '—']),
    ];
    sections.push(html`${table('Sources and services in trouble', ['What', 'Problem', 'Since'], rows)}${paragraph(link('/sources', 'See every source’s health'))}`);
  }

  const body =
    sections.length > 0
      ? html`${errorSummary(errors)}${heading('Today', ctx.config.council.name)}${sections}`
      : html`${errorSummary(errors)}${heading('Today', ctx.config.council.name)}<div class="govuk-inset-text">Nothing needs you today.</div>${paragraph(
          html`Everything Wardwatch has done is in the ${link('/history', 'history')}.`,
        )}`;
  return page('Today', body, 'today');
}

/** A digest's date in a path: a real day, YYYY-MM-DD. */
const DigestDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/)
  .refine((d) => parseDay(d) === d);

/** Release (send once) or drop (never send) the digest held in doubt for the path's date. */
function decideDigest(decision: InDoubtDecision): ConsoleRoute['handle'] {
  return async (req, ctx) => {
    const date = DigestDate.safeParse(req.params['date'] ?? '');
    if (!date.success) return notFound('There is no digest for that date, so nothing was changed.', { href: '/', text: 'Back to today' }, 'today');
    const key = `digest;${date.data}`;
    const result = decision === 'release' ? await ctx.actions.release(key, req.user.username) : await ctx.actions.drop(key, req.user.username);
    if (result.ok) return { kind: 'redirect', to: '/', flash: result.message, ...(decision === 'release' ? { digestReleased: true } : {}) };
    return errorPage(await renderToday(req, ctx, [{ message: result.message }]), 409);
  };
}

export const todayRoutes: ConsoleRoute[] = [
  { method: 'GET', path: '/', role: 'viewer', handle: (req, ctx) => renderToday(req, ctx) },
  { method: 'POST', path: '/digests/:date/release', role: 'clerk', handle: decideDigest('release') },
  { method: 'POST', path: '/digests/:date/drop', role: 'clerk', handle: decideDigest('drop') },
];
