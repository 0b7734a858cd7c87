/**
 * Precision and recall of each signal over the labelled corpus, read as the rules read them:
 * requests-via-clerk's request reading; electioneering as no-party-political-use finds it (the party
 * business a council mailbox must not carry, or a party or campaign matter a request to an officer
 * could be about); its party-work reading (a request about party material).
 */
import { analysePartyWork, findPartyBusiness, partyNames, type PartySignals } from '../../src/signals/political.js';
import { analyseRequests } from '../../src/signals/requests.js';
import { ELECTIONEERING } from './electioneering.js';
import { HELD_OUT } from './held-out.js';
import { FACTUAL_ENQUIRIES, NO_REQUEST, REQUESTS_FOR_WORK } from './requests.js';
import type { CorpusEntry, RequestLabel } from './schema.js';

/** The texts written before the patterns were changed (their figures before and after are in the closing note). */
export const CORPUS: readonly CorpusEntry[] = [...REQUESTS_FOR_WORK, ...FACTUAL_ENQUIRIES, ...NO_REQUEST, ...ELECTIONEERING];

/** Texts written after the patterns were changed and never used to change them. */
export { HELD_OUT };

/** The parties of the Millbrook directory (test/support/council.ts) and the common ones. */
export const SIGNALS: PartySignals = { parties: partyNames(['Independent', 'Green', 'Labour', 'Conservative', 'Liberal Democrat']), extra: [] };

export interface Reading {
  request: RequestLabel;
  electioneering: boolean;
  partyWork: boolean;
}

export function read(text: string): Reading {
  const r = analyseRequests(text);
  const work = analysePartyWork('', text, SIGNALS);
  const request: RequestLabel = r.requests.length > 0 ? 'work' : r.factual.length > 0 ? 'factual' : 'none';
  return {
    request,
    electioneering: findPartyBusiness('', text, SIGNALS).phrases.length > 0 || work.mentions.length > 0,
    partyWork: work.request !== undefined,
  };
}

export interface Score {
  signal: string;
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  precision: number;
  recall: number;
  /** The texts read wrongly, for looking at (never for matching literally). */
  misses: { text: string; expected: boolean }[];
}

function score(
  corpus: readonly CorpusEntry[],
  signal: string,
  expected: (e: CorpusEntry) => boolean,
  got: (r: Reading) => boolean,
  readings: readonly Reading[],
): Score {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  const misses: Score['misses'] = [];
  corpus.forEach((e, i) => {
    const want = expected(e);
    const have = got(readings[i] as Reading);
    if (want && have) tp += 1;
    else if (have) fp += 1;
    else if (want) fn += 1;
    if (want !== have) misses.push({ text: e.text, expected: want });
  });
  return {
    signal,
    truePositives: tp,
    falsePositives: fp,
    falseNegatives: fn,
    precision: tp + fp === 0 ? 1 : tp / (tp + fp),
    recall: tp + fn === 0 ? 1 : tp / (tp + fn),
    misses,
  };
}

export function measure(corpus: readonly CorpusEntry[] = CORPUS): Score[] {
  const readings = corpus.map((e) => read(e.text));
  return [
    score(corpus, 'request for work', (e) => e.request === 'work', (r) => r.request === 'work', readings),
    score(corpus, 'factual enquiry', (e) => e.request === 'factual', (r) => r.request === 'factual', readings),
    score(corpus, 'electioneering', (e) => e.electioneering, (r) => r.electioneering, readings),
    score(corpus, 'party work request', (e) => e.partyWork, (r) => r.partyWork, readings),
  ];
}

const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;

export function table(title: string, size: number, scores: readonly Score[]): string {
  const rows = scores.map((s) => `| ${s.signal} | ${s.truePositives} | ${s.falsePositives} | ${s.falseNegatives} | ${pct(s.precision)} | ${pct(s.recall)} |`);
  return [`${title}: ${size} labelled texts`, '| signal | TP | FP | FN | precision | recall |', '|---|---|---|---|---|---|', ...rows].join('\n');
}
