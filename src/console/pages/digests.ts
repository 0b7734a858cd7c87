/**
 * GET /digests: the daily digests sent, newest first. GET /digests/:date: one digest's words as
 * they went out (its text part, shown as text: the HTML part is never put into the page), with
 * its recipients and when it was sent.
 */
import { z } from 'zod';
import { html } from '../html.js';
import type { ConsoleContext, ConsoleRequest, ConsoleResponse, ConsoleRoute } from '../types.js';
import { heading, link, notFound, page, pagination, paragraph, personName, summaryList, table } from './common.js';
import { formatDate } from '../../wording/dates.js';

export const DIGESTS_PAGE_SIZE = 50;

const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);

async function digests(req: ConsoleRequest, ctx: ConsoleContext): Promise<ConsoleResponse> {
  const before = Day.safeParse(req.query.get('before') ?? '');
  const rows = await ctx.store.listDigests({ ...(before.success ? { before: before.data } : {}), limit: DIGESTS_PAGE_SIZE + 1 });
  const shown = rows.slice(0, DIGESTS_PAGE_SIZE);
  if (shown.length === 0) {
    return page('Digests', html`${heading('Digests')}<div class="govuk-inset-text">No digest has been sent yet.</div>`, 'digests');
  }
  const last = shown[shown.length - 1];
  const older = rows.length > DIGESTS_PAGE_SIZE && last !== undefined ? `/digests?before=${encodeURIComponent(last.date)}` : undefined;
  const newer = before.success ? '/digests' : undefined;
  const body = html`${heading('Digests')}${table(
    'Digests sent, newest first',
    ['Digest', 'Sent', 'Subject'],
    shown.map((d) => [link(`/digests/${encodeURIComponent(d.date)}`, formatDate(d.date)), ctx.formatWhen(d.sentAt), d.content?.subject ?? 'Not kept (sent before the archive was kept)']),
  )}${pagination(newer, older)}`;
  return page('Digests', body, 'digests');
}

async function digest(req: ConsoleRequest, ctx: ConsoleContext): Promise<ConsoleResponse> {
  const date = Day.safeParse(req.params['date'] ?? '');
  const row = date.success ? await ctx.store.getDigest(date.data) : undefined;
  if (row === undefined) return notFound('No digest was sent for that day.', { href: '/digests', text: 'See every digest sent' }, 'digests');
  const title = `Digest for ${formatDate(row.date)}`;
  const content = row.content;
  const body =
    content !== undefined
      ? html`${heading(title)}${summaryList([
          ['Subject', content.subject],
          ['Sent', ctx.formatWhen(row.sentAt)],
          ['To', content.recipients.map((r) => personName(ctx, r)).join(', ') || '—'],
        ])}<h2 class="govuk-heading-m">As sent</h2><pre class="govuk-body app-pre-wrap">${content.text}</pre>${paragraph(link('/digests', 'Back to every digest'))}`
      : html`${heading(title)}${summaryList([['Sent', ctx.formatWhen(row.sentAt)]])}${paragraph(
          'Its words were not kept: it was sent before Wardwatch kept an archive of its digests.',
        )}${paragraph(link('/digests', 'Back to every digest'))}`;
  return page(title, body, 'digests');
}

export const digestRoutes: ConsoleRoute[] = [
  { method: 'GET', path: '/digests', role: 'viewer', handle: digests },
  { method: 'GET', path: '/digests/:date', role: 'viewer', handle: digest },
];
