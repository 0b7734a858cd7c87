/**
 * GET /authorisations: officers invited to meetings the Protocol lets them attend only with the
 * Clerk's authorisation (party-group meetings), as the digest lists them — those still awaiting
 * it, each with an Authorise button, and those authorised, with who did it and when. The rules
 * that ask are those whose meta names `awaitsAuthorisation`.
 */
import { CANCELLED_KIND } from '../../digest/event-summary.js';
import { allRules } from '../../rules/index.js';
import type { StoredFinding } from '../../store/types.js';
import { html, type Html } from '../html.js';
import type { ConsoleContext, ConsoleRequest, ConsoleResponse, ConsoleRoute } from '../types.js';
import { buttonForm, canAct, heading, itemPath, link, page, paragraph, personName, PRIVATE_MATTER, ruleName, table } from './common.js';
import { settlementOf } from './item.js';

interface Meeting {
  stored: StoredFinding;
  officers: string;
  meeting: string;
  /** ISO instant, for ordering; undefined when the event is no longer held. */
  start?: string;
  date: string;
  organiser: string;
}

async function meetingOf(ctx: ConsoleContext, stored: StoredFinding): Promise<Meeting | undefined> {
  const f = stored.finding;
  const event = await ctx.store.getEvent(stored.itemKey);
  if (event?.kinds.includes(CANCELLED_KIND) === true) return undefined;
  // A recurring series awaits authorisation for the occurrence concerned, not its first date.
  const start = f.targets.occurrence?.start ?? event?.start;
  const officers = f.targets.notify ?? [];
  const organiser = event?.organizer ?? f.people.find((p) => !officers.includes(p));
  return {
    stored,
    officers: officers.length > 0 ? officers.map((o) => personName(ctx, o)).join(', ') : '—',
    meeting: f.private === true ? PRIVATE_MATTER : (event?.summary ?? stored.itemKey),
    ...(start !== undefined ? { start } : {}),
    date: start !== undefined ? ctx.formatWhen(start) : 'a date not recorded',
    organiser: organiser !== undefined ? personName(ctx, organiser) : 'an organiser not recorded',
  };
}

async function authorisations(req: ConsoleRequest, ctx: ConsoleContext): Promise<ConsoleResponse> {
  const awaiting: Meeting[] = [];
  const authorised: { meeting: Meeting; by: string; at: string; note: string }[] = [];
  for (const rule of allRules) {
    const messageId = rule.meta.awaitsAuthorisation;
    if (messageId === undefined) continue;
    const settlements = await ctx.store.listSettlements({ rule: rule.meta.id });
    for (const stored of await ctx.store.listFindings({ rule: rule.meta.id })) {
      if (stored.finding.messageId !== messageId) continue;
      const meeting = await meetingOf(ctx, stored);
      if (meeting === undefined) continue;
      const settled = settlementOf(settlements, stored.finding);
      if (settled === undefined) awaiting.push(meeting);
      else if (settled.kind === 'authorised') authorised.push({ meeting, by: settled.actor, at: settled.at, note: settled.reason });
    }
  }
  const byDate = (a: Meeting, b: Meeting): number => (a.start ?? '').localeCompare(b.start ?? '');
  awaiting.sort(byDate);
  authorised.sort((a, b) => b.at.localeCompare(a.at));

  const parts: Html[] = [heading('Authorisations')];
  parts.push(paragraph('An officer may attend a party-group meeting only with your authorisation. Each one you give is recorded, and the digest reads it.'));
  if (awaiting.length === 0) {
    parts.push(html`<h2 class="govuk-heading-m">Awaiting your authorisation</h2><div class="govuk-inset-text">No officer is awaiting your authorisation.</div>`);
  } else {
    parts.push(
      table(
        'Awaiting your authorisation',
        canAct(req) ? ['Officer', 'Meeting', 'Date', 'Organiser', 'Action'] : ['Officer', 'Meeting', 'Date', 'Organiser'],
        awaiting.map((m) => {
          const cells: (Html | string)[] = [m.officers, link(itemPath(m.stored.itemKey), m.meeting), m.date, m.organiser];
          if (canAct(req)) {
            cells.push(
              buttonForm(req, itemPath(m.stored.itemKey, 'authorise'), 'Authorise', {
                hidden: { rule: m.stored.rule, messageId: m.stored.finding.messageId, next: '/authorisations' },
                visuallyHidden: `${m.officers} at ${m.meeting}`,
              }),
            );
          }
          return cells;
        }),
      ),
    );
  }
  if (authorised.length > 0) {
    parts.push(
      table(
        'Authorised',
        ['Officer', 'Meeting', 'Date', 'Authorised by', 'When'],
        authorised.map((a) => [a.meeting.officers, link(itemPath(a.meeting.stored.itemKey), a.meeting.meeting), a.meeting.date, a.by, ctx.formatWhen(a.at)]),
      ),
    );
  }
  const rules = allRules.filter((r) => r.meta.awaitsAuthorisation !== undefined).map((r) => ruleName(r.meta.id));
  if (rules.length > 0) parts.push(paragraph(`From the rule${rules.length === 1 ? '' : 's'}: ${rules.join(', ')}.`, 'govuk-body-s'));
  return page('Authorisations', html`${parts}`, 'authorisations');
}

export const authorisationRoutes: ConsoleRoute[] = [{ method: 'GET', path: '/authorisations', role: 'viewer', handle: authorisations }];
