/**
 * One pass over a source with no action taken (`wardwatch check`): every item is evaluated as
 * soon as it is read; a later copy of the same item replaces its earlier findings, so the result
 * reflects everything known about each item.
 */
import type { Engine, ItemEvaluation, Notice } from '../engine/engine.js';
import type { Finding } from '../engine/types.js';
import type { Item, Problem, RawRecord } from '../items/types.js';
import { baseMessageKey } from '../items/mail-merge.js';
import { ItemStream } from './item-stream.js';

export type SourceEntry = RawRecord | { kind: 'problem'; problem: Problem };

export interface CheckResult {
  findings: Finding[];
  notices: Notice[];
  problems: Problem[];
  counts: { records: number; mailCopies: number; mailItems: number; eventItems: number };
}

export interface CheckOptions {
  now: string;
  /** Called after each evaluation (the last call for a key is its final verdict). */
  onEvaluated?: (item: Item, evaluation: ItemEvaluation) => void;
}

/** Items judged together (a few dozen: enough to keep each rule warm, few enough to hold little memory). */
const BATCH = 64;

export function horizonFor(now: string, days: number): { from: string; to: string } {
  const t = Date.parse(now);
  return { from: new Date(t - 31 * 86400_000).toISOString(), to: new Date(t + days * 86400_000).toISOString() };
}

export async function checkSource(engine: Engine, source: AsyncIterable<SourceEntry>, opts: CheckOptions): Promise<CheckResult> {
  // When each item was first seen (results are reported in that order), keyed by the item's own
  // key string, which the stream keeps anyway; and the latest results of the items that have any.
  // An item with nothing to report costs one map entry, so memory grows little with the corpus.
  // Messages that share a Message-ID but differ share its place too, reported in key order, so
  // the result is the same whichever of them was read first.
  const firstSeen = { mail: new Map<string, number>(), event: new Map<string, number>() };
  const results = new Map<number, Map<string, { findings: Finding[]; notices: Notice[] }>>();
  // Items are judged a batch at a time (see `Engine.evaluateAll`), in the order they were read.
  let batch: Item[] = [];
  const stream = new ItemStream({
    timeZone: engine.config.council.timezone,
    horizon: horizonFor(opts.now, engine.config.horizonDays),
    isRoomCalendar: (id) => engine.isRoomCalendar(id),
    separateCollisions: true,
    // The first of two messages sharing a Message-ID gets a key of its own: what was said of it
    // under the shared ID is said under its own key, and a copy still waiting is judged under it.
    onRekey: (from, to) => {
      batch = batch.map((item) => (item.kind === 'mail' && item.key === from ? { ...item, key: to } : item));
      const seq = firstSeen.mail.get(from);
      const r = seq === undefined ? undefined : results.get(seq)?.get(from);
      if (seq === undefined || r === undefined) return;
      const at = results.get(seq);
      at?.delete(from);
      const ref = { kind: 'mail' as const, key: to };
      at?.set(to, { findings: r.findings.map((f) => ({ ...f, item: ref })), notices: r.notices.map((n) => ({ ...n, item: ref })) });
    },
    trustedAuthservIds: engine.config.authentication.trustedServers,
  });
  const judge = (): void => {
    const evaluations = engine.evaluateAll(batch, opts.now);
    batch.forEach((item, i) => {
      const evaluation = evaluations[i] as ItemEvaluation;
      const seen = firstSeen[item.kind];
      const place = item.kind === 'mail' ? baseMessageKey(item.key) : item.key;
      let seq = seen.get(place);
      if (seq === undefined) {
        seq = firstSeen.mail.size + firstSeen.event.size;
        seen.set(place, seq);
      }
      let at = results.get(seq);
      if (evaluation.findings.length > 0 || evaluation.notices.length > 0) {
        if (!at) results.set(seq, (at = new Map()));
        at.set(item.key, { findings: evaluation.findings, notices: evaluation.notices });
      } else if (at) {
        at.delete(item.key);
        if (at.size === 0) results.delete(seq);
      }
      opts.onEvaluated?.(item, evaluation);
    });
    batch = [];
  };
  for await (const entry of source) {
    if (entry.kind === 'problem') {
      stream.problem(entry.problem);
      continue;
    }
    for (const item of await stream.take(entry)) {
      batch.push(item);
      if (batch.length >= BATCH) judge();
    }
  }
  judge();
  const findings: Finding[] = [];
  const notices: Notice[] = [];
  for (const seq of [...results.keys()].sort((a, b) => a - b)) {
    const at = results.get(seq);
    if (!at) continue;
    const keys = at.size === 1 ? [...at.keys()] : [...at.keys()].sort();
    for (const key of keys) {
      const r = at.get(key);
      if (!r) continue;
      findings.push(...r.findings);
      notices.push(...r.notices);
    }
  }
  return { findings, notices, problems: stream.problems, counts: { ...stream.counts } };
}
