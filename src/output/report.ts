/** Human-readable output of `wardwatch check` and `wardwatch explain`. */
import { actionSpec } from '../actions/kinds/index.js';
import type { ItemEvaluation, Notice } from '../engine/engine.js';
import type { Finding, PlannedAction } from '../engine/types.js';
import type { Item, Problem } from '../items/types.js';
import type { CheckResult } from '../pipeline/check.js';
import type { Evidence } from '../rules/types.js';
import { formatDay, formatWhen } from '../templates/wording.js';
import { forTerminal } from './terminal.js';

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

export function describeAction(a: PlannedAction): string {
  return actionSpec(a.kind).describe(a);
}

export function describeEvidence(e: Evidence): string {
  return e.kind === 'phrase' ? `"${e.text}"${e.field ? ` (${e.field})` : ''}` : e.text;
}

export function formatFinding(f: Finding, indent = '  '): string[] {
  const lines = [
    `${indent}[${f.severity}] ${f.clauses.join(', ')} · ${f.item.kind} ${f.item.key}`,
    `${indent}  ${f.summary}`,
  ];
  if (f.why.length > 0) lines.push(`${indent}  Why: ${f.why.map(describeEvidence).join('; ')}`);
  if (f.actions.length > 0) lines.push(`${indent}  Would: ${f.actions.map(describeAction).join('; ')}`);
  return lines;
}

function formatNotices(title: string, notices: Notice[]): string[] {
  if (notices.length === 0) return [];
  return [
    '',
    `${title} (${notices.length})`,
    ...notices.map((n) => `  ${n.item.kind} ${n.item.key}${n.rule ? ` (${n.rule})` : ''}: ${n.message}`),
  ];
}

/** One line of diagnostics: a problem, and how many times exactly the same one was reported. */
export interface ProblemLine {
  origin: string;
  reason: string;
  count: number;
}

/**
 * The problems as lines to show, in the order first reported: what could not be read (errors)
 * apart from what was read with a warning, and each identical line once, with its count.
 */
export function problemLines(problems: readonly Problem[]): { errors: ProblemLine[]; warnings: ProblemLine[] } {
  const lines = new Map<string, ProblemLine & { warning: boolean }>();
  for (const p of problems) {
    const warning = p.severity === 'warning';
    const key = `${warning ? 'w' : 'e'}\u0000${p.origin}\u0000${p.reason}`;
    const line = lines.get(key);
    if (line) line.count += 1;
    else lines.set(key, { origin: p.origin, reason: p.reason, count: 1, warning });
  }
  const errors: ProblemLine[] = [];
  const warnings: ProblemLine[] = [];
  for (const { warning, ...line } of lines.values()) (warning ? warnings : errors).push(line);
  return { errors, warnings };
}

/** ` (20 times)` after a line reported more than once. */
export function timesSuffix(line: ProblemLine): string {
  return line.count > 1 ? ` (${line.count} times)` : '';
}

function formatProblems(problems: Problem[]): string[] {
  const { errors, warnings } = problemLines(problems);
  const out: string[] = [];
  const show = (line: ProblemLine): string => `  ${line.origin}: ${line.reason}${timesSuffix(line)}`;
  if (errors.length > 0) out.push('', `Could not read (${errors.length}) — skipped, the rest went on`, ...errors.map(show));
  if (warnings.length > 0) out.push('', `Read with a warning (${warnings.length}) — read, but worth a look`, ...warnings.map(show));
  return out;
}

export function formatCheckReport(result: CheckResult, header: { council: string; now: string; ruleOrder: readonly string[] }): string {
  const { counts } = result;
  const out: string[] = [
    `Wardwatch check — ${header.council}`,
    `Read ${plural(counts.records, 'file')}: ${plural(counts.mailItems, 'message')} (${plural(counts.mailCopies, 'copy', 'copies')}), ${plural(counts.eventItems, 'event')}. Checked as at ${header.now}.`,
  ];
  const byRule = new Map<string, Finding[]>();
  for (const f of result.findings) {
    const list = byRule.get(f.rule) ?? [];
    list.push(f);
    byRule.set(f.rule, list);
  }
  for (const rule of header.ruleOrder) {
    const list = byRule.get(rule);
    if (!list) continue;
    out.push('', `${rule} — ${plural(list.length, 'finding')}`);
    for (const f of list) out.push(...formatFinding(f));
  }
  out.push(...formatNotices('Needs a human', result.notices.filter((n) => n.kind === 'needs-human')));
  out.push(...formatNotices('Possible spoofing — nothing done in the claimed sender\'s name', result.notices.filter((n) => n.kind === 'possible-spoofing')));
  out.push(...formatProblems(result.problems));
  out.push('', result.findings.length === 0 ? 'No findings: nothing breaks the protocol.' : `${plural(result.findings.length, 'finding')} from ${plural(byRule.size, 'rule')}. Nothing was sent: check takes no action.`);
  return forTerminal(`${out.join('\n')}\n`);
}

/** An instant in the council's time zone, as people there read it: "Tuesday 8 December 2026 at 18:00". */
function local(iso: string, timeZone: string, allDay = false): string {
  return allDay ? formatDay(iso, timeZone) : formatWhen(iso, timeZone);
}

/** When an event runs, in council time: "… at 18:00 to 20:00", or across days in full. */
function eventTimes(item: Extract<Item, { kind: 'event' }>, timeZone: string): string {
  if (item.allDay) {
    const lastDay = new Date(Date.parse(item.end) - 1).toISOString();
    const first = formatDay(item.start, timeZone);
    const last = formatDay(lastDay, timeZone);
    return first === last ? `${first} (all day)` : `${first} to ${last} (all day)`;
  }
  const start = formatWhen(item.start, timeZone);
  const end = formatWhen(item.end, timeZone);
  const sameDay = formatDay(item.start, timeZone) === formatDay(item.end, timeZone);
  return `${start} to ${sameDay ? end.slice(end.lastIndexOf(' at ') + 4) : end}`;
}

/** `wardwatch explain`'s report. Times are the council's (`timeZone`, its `council.timezone`). */
export function formatExplain(item: Item, evaluation: ItemEvaluation, timeZone = 'Europe/London'): string {
  const out: string[] = [];
  if (item.kind === 'mail') {
    out.push(`mail ${item.key}`, `  Subject: ${item.subject}`, `  From: ${item.from.map((a) => a.address).join(', ')}`);
    if (item.date !== undefined) out.push(`  Sent: ${local(item.date, timeZone)}`);
    out.push(`  To: ${item.to.map((a) => a.address).join(', ') || '—'}   Cc: ${item.cc.map((a) => a.address).join(', ') || '—'}   Bcc: ${item.bcc.map((a) => a.address).join(', ') || '—'}`);
    out.push(`  Seen in: ${item.copies.map((c) => `${c.mailbox}/${c.folder}`).join(', ')}`);
  } else {
    const series = item.recurring ? ` (recurring: ${plural(item.occurrences.length, 'occurrence')} in the horizon)` : '';
    out.push(`event ${item.key}`, `  Summary: ${item.summary}`, `  When: ${eventTimes(item, timeZone)}${series}`);
    const upcoming = item.recurring ? item.occurrences.slice(0, 3).map((o) => local(o.start, timeZone, item.allDay)) : [];
    if (upcoming.length > 0) out.push(`  Occurrences: ${upcoming.join('; ')}${item.occurrences.length > upcoming.length ? '; …' : ''}`);
    out.push(`  Where: ${item.location || '—'}   Calendar: ${item.calendarId}   Organiser: ${item.organizer?.address ?? '—'}`);
    const attendees = item.attendees.map((a) => `${a.address} (${a.partstat.toLowerCase()})`).join(', ');
    out.push(`  ${item.attendees.length > 0 ? plural(item.attendees.length, 'attendee') : 'Attendees'}: ${attendees || '—'}`);
  }
  for (const n of evaluation.notices.filter((x) => x.kind === 'possible-spoofing')) out.push(`  ! ${n.message}`);
  out.push('');
  for (const v of evaluation.verdicts) {
    const mark = !v.enabled ? 'off  ' : v.fired ? 'FIRED' : 'pass ';
    out.push(`${mark} ${v.rule}: ${v.reason}`);
    if (v.needsHuman) out.push(`      needs a human: ${v.needsHuman}`);
    for (const f of v.findings) out.push(...formatFinding(f, '      '));
  }
  return forTerminal(`${out.join('\n')}\n`);
}
