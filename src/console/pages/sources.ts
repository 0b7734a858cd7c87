/**
 * GET /sources: each source's health (when it was last read, its last error), what stops the
 * service (the state file, the outbox, the mail sender), the outbox's figures, and the records
 * that could not be read and are held aside.
 */
import { sourceState, type SourceHealthReport, type SourceState } from '../../service/health.js';
import { html, type Html } from '../html.js';
import type { ConsoleContext, ConsoleRequest, ConsoleResponse, ConsoleRoute } from '../types.js';
import { heading, page, paragraph, summaryList, table, tag } from './common.js';

const STATE_TAGS: Record<SourceState, { text: string; colour: string }> = {
  ok: { text: 'Working', colour: 'green' },
  failing: { text: 'Failing', colour: 'red' },
  starting: { text: 'Not read yet', colour: 'grey' },
};

const PROBLEM_NAMES = { store: 'The state file', outbox: 'The outbox', sender: 'The mail sender' } as const;

const PROBLEM_KINDS = { mail: 'A message', calendar: 'A calendar entry', source: 'A source', config: 'The configuration' } as const;

async function sources(_req: ConsoleRequest, ctx: ConsoleContext): Promise<ConsoleResponse> {
  const health = await ctx.health();
  const stored = await ctx.store.listSourceHealth();
  // The running service names its sources; a source that reported before and is no longer configured is listed too.
  const all: SourceHealthReport[] = [...health.sources];
  for (const h of stored) if (!all.some((s) => s.source === h.source)) all.push({ ...h, state: sourceState(h) });
  const parts: Html[] = [heading('Sources')];

  if (health.problems.length > 0) {
    parts.push(
      table(
        'What stops Wardwatch',
        ['What', 'Problem', 'Since'],
        health.problems.map((p) => [PROBLEM_NAMES[p.what], p.reason, p.since !== undefined ? ctx.formatWhen(p.since) : '—']),
      ),
    );
  }
  if (all.length === 0) {
    parts.push(html`<h2 class="govuk-heading-m">Mailboxes and calendars</h2><div class="govuk-inset-text">No source has been read yet.</div>`);
  } else {
    parts.push(
      table(
        'Mailboxes and calendars',
        ['Source', 'State', 'Last read', 'Last error'],
        all.map((s) => {
          const state = STATE_TAGS[s.state];
          return [
            s.source,
            tag(state.text, state.colour),
            s.lastSuccess !== undefined ? ctx.formatWhen(s.lastSuccess) : 'Never',
            s.lastError !== undefined ? html`${s.lastError.message}<br><span class="govuk-body-s">${ctx.formatWhen(s.lastError.at)}</span>` : 'None',
          ];
        }),
      ),
    );
  }
  parts.push(
    html`<h2 class="govuk-heading-m">The outbox</h2>${summaryList([
      ['Waiting or being sent', health.outbox.pending.toLocaleString('en-GB')],
      ['Failed', health.outbox.failed.toLocaleString('en-GB')],
      ['Held in doubt', health.outbox.inDoubt.toLocaleString('en-GB')],
      ['Last digest', health.lastDigest !== null ? `${health.lastDigest.date}, sent ${ctx.formatWhen(health.lastDigest.sentAt)}` : 'None sent yet'],
    ])}`,
  );
  const problems = await ctx.store.listProblems();
  if (problems.length === 0) {
    parts.push(html`<h2 class="govuk-heading-m">Records held aside</h2>${paragraph('Every record was read.')}`);
  } else {
    parts.push(
      table(
        'Records held aside',
        ['Where', 'What', 'Why', 'First seen', 'Last seen', 'Times'],
        problems.map((p) => [
          p.origin,
          html`${PROBLEM_KINDS[p.kind]}<br>${p.severity === 'warning' ? tag('Read, with a warning', 'yellow') : tag('Could not be read', 'red')}`,
          p.reason,
          ctx.formatWhen(p.firstSeen),
          ctx.formatWhen(p.lastSeen),
          p.count.toLocaleString('en-GB'),
        ]),
      ),
    );
  }
  return page('Sources', html`${parts}`, 'sources');
}

export const sourceRoutes: ConsoleRoute[] = [{ method: 'GET', path: '/sources', role: 'viewer', handle: sources }];
