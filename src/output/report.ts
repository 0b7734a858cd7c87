/** Human-readable output of `wardwatch check` and `wardwatch explain`. */
import type { ItemEvaluation, Notice } from '../engine/engine.js';
import type { Finding, PlannedAction } from '../engine/types.js';
import type { Item, Problem } from '../items/types.js';
import type { CheckResult } from '../pipeline/check.js';
import type { Evidence } from '../rules/types.js';
import { forTerminal } from './terminal.js';

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

export function describeAction(a: PlannedAction): string {
  switch (a.kind) {
    case 'digest':
      return 'list in the digest';
    case 'block':
      return `decline the booking on ${a.calendarId ?? 'the room calendar'}`;
    case 'invite':
      return `invite ${a.to.join(', ')}`;
    case 'route-to-clerk':
      return `route a copy to ${a.to.join(', ')}`;
    default:
      return `${a.kind} ${a.to.join(', ')}`;
  }
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

function formatProblems(problems: Problem[]): string[] {
  if (problems.length === 0) return [];
  return ['', `Could not read (${problems.length}) — skipped, the rest went on`, ...problems.map((p) => `  ${p.origin}: ${p.reason}`)];
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

export function formatExplain(item: Item, evaluation: ItemEvaluation): string {
  const out: string[] = [];
  if (item.kind === 'mail') {
    out.push(`mail ${item.key}`, `  Subject: ${item.subject}`, `  From: ${item.from.map((a) => a.address).join(', ')}`);
    out.push(`  To: ${item.to.map((a) => a.address).join(', ') || '—'}   Cc: ${item.cc.map((a) => a.address).join(', ') || '—'}   Bcc: ${item.bcc.map((a) => a.address).join(', ') || '—'}`);
    out.push(`  Seen in: ${item.copies.map((c) => `${c.mailbox}/${c.folder}`).join(', ')}`);
  } else {
    out.push(`event ${item.key}`, `  Summary: ${item.summary}`, `  When: ${item.start} – ${item.end}${item.recurring ? ` (recurring, ${item.occurrences.length} occurrences in the horizon)` : ''}`);
    out.push(`  Where: ${item.location || '—'}   Calendar: ${item.calendarId}   Organiser: ${item.organizer?.address ?? '—'}`);
    out.push(`  Attendees: ${item.attendees.map((a) => `${a.address} (${a.partstat.toLowerCase()})`).join(', ') || '—'}`);
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
