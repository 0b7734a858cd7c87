/**
 * GET /elections: the pre-election periods the council's elections make, per ward and in full —
 * polling day, when the period starts, and whether it is in force now. Rules about ward meetings
 * and publicity read the same periods (src/elections/).
 */
import type { PreElectionPeriod } from '../../elections/types.js';
import { formatDate, formatDay } from '../../wording/dates.js';
import { html, type Html } from '../html.js';
import type { ConsoleContext, ConsoleRequest, ConsoleResponse, ConsoleRoute } from '../types.js';
import { heading, page, paragraph, table, tag } from './common.js';

function periodState(period: PreElectionPeriod, now: string): Html {
  if (period.start <= now && now < period.end) return tag('In force now', 'orange');
  if (period.end <= now) return tag('Over', 'grey');
  return tag('Coming', 'turquoise');
}

function covers(period: PreElectionPeriod, ward: string): boolean {
  return period.wards === 'all' || period.wards.includes(ward);
}

async function elections(_req: ConsoleRequest, ctx: ConsoleContext): Promise<ConsoleResponse> {
  const tz = ctx.config.council.timezone;
  const now = ctx.now().toISOString();
  const { periods } = ctx.engine.elections;
  const directory = ctx.engine.directory;
  const name = (period: PreElectionPeriod): string => period.name ?? `Election on ${formatDate(period.poll)}`;
  const wardNames = (period: PreElectionPeriod): string => (period.wards === 'all' ? 'Every ward' : period.wards.map((w) => directory.ward(w)?.name ?? w).join(', '));
  const parts: Html[] = [heading('Elections')];
  parts.push(
    paragraph(
      'From the day the notice of election is published until polling day, ward surgeries and public meetings wait until after the poll. Wardwatch works these periods out from the elections in the configuration.',
    ),
  );
  if (periods.length === 0) {
    parts.push(html`<div class="govuk-inset-text">No election is in the configuration.</div>`);
    return page('Elections', html`${parts}`, 'elections');
  }
  const byWard = directory.wards.map((ward) => {
    // The period in force now, or else the next to start, for this ward.
    const current = periods.find((p) => covers(p, ward.id) && p.start <= now && now < p.end);
    const next = current ?? [...periods].filter((p) => covers(p, ward.id) && p.start > now).sort((a, b) => a.start.localeCompare(b.start))[0];
    return next !== undefined
      ? [ward.name, name(next), formatDate(next.poll), formatDay(next.start, tz), periodState(next, now)]
      : [ward.name, 'None coming', '—', '—', tag('None', 'grey')];
  });
  if (byWard.length > 0) parts.push(table('By ward: the period in force, or the next', ['Ward', 'Election', 'Polling day', 'Period starts', 'State'], byWard));
  const sorted = [...periods].sort((a, b) => b.poll.localeCompare(a.poll));
  parts.push(
    table(
      'Every election',
      ['Election', 'Wards', 'Polling day', 'Period starts', 'State'],
      sorted.map((p) => [name(p), wardNames(p), formatDate(p.poll), formatDay(p.start, tz), periodState(p, now)]),
    ),
  );
  return page('Elections', html`${parts}`, 'elections');
}

export const electionRoutes: ConsoleRoute[] = [{ method: 'GET', path: '/elections', role: 'viewer', handle: elections }];
