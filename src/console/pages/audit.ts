/**
 * GET /audit: who did what, newest first — what people did in the console and with the command
 * line (signing in, settling findings, exceptions, accounts), and every change of an effect's
 * state, with who made it (Wardwatch itself when nobody did). Over the last day, week, month or
 * quarter; the effects' log is read a page at a time, newest first (`beforeId` pages back), so a
 * busy quarter is never held in memory at once.
 */
import { z } from 'zod';
import { ACTION_KINDS, type ActionKind } from '../../config/schema.js';
import { html, raw } from '../html.js';
import type { ConsoleContext, ConsoleRequest, ConsoleResponse, ConsoleRoute } from '../types.js';
import { capitalise, effectPath, effectTitle, heading, link, page, paragraph, table } from './common.js';

function isActionKind(kind: string): kind is ActionKind {
  return (ACTION_KINDS as readonly string[]).includes(kind);
}

/** At most this many entries of what people did are shown. */
export const AUDIT_LIMIT = 500;
/** Entries of the effects' log on one page. */
export const AUDIT_PAGE_SIZE = 50;

const PERIODS = [
  { days: 1, text: 'The last day' },
  { days: 7, text: 'The last week' },
  { days: 30, text: 'The last 30 days' },
  { days: 90, text: 'The last 90 days' },
] as const;

/** A page of the effects' log starts before this entry: a positive whole number, else the newest page. */
const BeforeId = z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER);

async function audit(req: ConsoleRequest, ctx: ConsoleContext): Promise<ConsoleResponse> {
  const asked = Number(req.query.get('days') ?? '7');
  const period = PERIODS.find((p) => p.days === asked) ?? PERIODS[1];
  const since = new Date(ctx.now().getTime() - period.days * 24 * 3600_000).toISOString();
  const before = BeforeId.safeParse(req.query.get('beforeId') ?? '');
  const beforeId = before.success ? before.data : undefined;

  const people = await ctx.store.listConsoleActions({ since, limit: AUDIT_LIMIT });
  // One more than a page: whether there is an older page is known without counting the period.
  const read = await ctx.store.listAudit({ since, newestFirst: true, limit: AUDIT_PAGE_SIZE + 1, ...(beforeId !== undefined ? { beforeId } : {}) });
  const effects = read.slice(0, AUDIT_PAGE_SIZE);
  const oldest = effects.at(-1);

  const form = html`<form method="get" action="/audit" novalidate><div class="govuk-form-group"><label class="govuk-label" for="days">Show</label><select class="govuk-select" id="days" name="days">${PERIODS.map(
    (p) => html`<option value="${p.days}"${p.days === period.days ? raw(' selected') : ''}>${p.text}</option>`,
  )}</select></div><button type="submit" class="govuk-button govuk-button--secondary" data-module="govuk-button">Show</button></form>`;

  const peopleTable =
    people.length > 0
      ? table(
          'What people did',
          ['When', 'Who', 'What', 'About', 'Detail'],
          people.map((a) => [ctx.formatWhen(a.at), a.actor, capitalise(a.action.replace(/-/g, ' ')), a.subject, a.detail]),
        )
      : html`<h2 class="govuk-heading-m">What people did</h2><div class="govuk-inset-text">Nobody did anything in this period.</div>`;
  const effectsTable =
    effects.length > 0
      ? table(
          beforeId === undefined ? 'What happened to each effect' : 'What happened to each effect (older entries)',
          ['When', 'Effect', 'What happened', 'Who'],
          effects.map((a) => {
            const kind = a.kind;
            const title = isActionKind(kind) ? effectTitle(ctx, { kind, recipient: a.recipient }) : a.kind;
            return [ctx.formatWhen(a.at), link(effectPath(a.effectKey), title), a.outcome, a.actor ?? 'Wardwatch'];
          }),
        )
      : html`<h2 class="govuk-heading-m">What happened to each effect</h2><div class="govuk-inset-text">${
          beforeId === undefined ? 'Nothing happened to any effect in this period.' : 'There are no older entries in this period.'
        }</div>`;
  const links = [
    read.length > AUDIT_PAGE_SIZE && oldest !== undefined ? link(`/audit?days=${period.days}&beforeId=${oldest.id}`, 'Older entries', 'of what happened to each effect') : undefined,
    beforeId !== undefined ? link(`/audit?days=${period.days}`, 'Newest entries', 'of what happened to each effect') : undefined,
  ].filter((l) => l !== undefined);
  const paging = links.length > 0 ? html`<ul class="govuk-list">${links.map((l) => html`<li>${l}</li>`)}</ul>` : '';
  const more = people.length >= AUDIT_LIMIT ? paragraph(`Only the latest ${AUDIT_LIMIT} entries of what people did are shown: choose a shorter period to see the rest.`) : '';
  return page('Audit', html`${heading('Audit')}${form}${peopleTable}${more}${effectsTable}${paging}`, 'audit');
}

export const auditRoutes: ConsoleRoute[] = [{ method: 'GET', path: '/audit', role: 'viewer', handle: audit }];
