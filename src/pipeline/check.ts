/**
 * One pass over a source with no action taken (`wardwatch check`): every item is evaluated as
 * soon as it is read; a later copy of the same item replaces its earlier findings, so the result
 * reflects everything known about each item.
 */
import type { Engine, ItemEvaluation, Notice } from '../engine/engine.js';
import type { Finding } from '../engine/types.js';
import type { Item, Problem, RawRecord } from '../items/types.js';
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
  const stream = new ItemStream({
    timeZone: engine.config.council.timezone,
    horizon: horizonFor(opts.now, engine.config.horizonDays),
    isRoomCalendar: (id) => engine.isRoomCalendar(id),
    trustedAuthservIds: engine.config.authentication.trustedServers,
  });
  // When each item was first seen (results are reported in that order), keyed by the item's own
  // key string, which the stream keeps anyway; and the latest results of the items that have any.
  // An item with nothing to report costs one map entry, so memory grows little with the corpus.
  const firstSeen = { mail: new Map<string, number>(), event: new Map<string, number>() };
  const results = new Map<number, { findings: Finding[]; notices: Notice[] }>();
  // Items are judged a batch at a time (see `Engine.evaluateAll`), in the order they were read.
  let batch: Item[] = [];
  const judge = (): void => {
    const evaluations = engine.evaluateAll(batch, opts.now);
    batch.forEach((item, i) => {
      const evaluation = evaluations[i] as ItemEvaluation;
      const seen = firstSeen[item.kind];
      let seq = seen.get(item.key);
      if (seq === undefined) {
        seq = firstSeen.mail.size + firstSeen.event.size;
        seen.set(item.key, seq);
      }
      if (evaluation.findings.length > 0 || evaluation.notices.length > 0) {
        results.set(seq, { findings: evaluation.findings, notices: evaluation.notices });
      } else {
        results.delete(seq);
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
    const r = results.get(seq);
    if (!r) continue;
    findings.push(...r.findings);
    notices.push(...r.notices);
  }
  return { findings, notices, problems: stream.problems, counts: { ...stream.counts } };
}
