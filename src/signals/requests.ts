/**
 * Phrases that ask an officer for work or assistance, and phrases that only ask for facts.
 * Used by requests-via-clerk: a purely factual enquiry may go to any officer (004 4.6), a request
 * for work goes through the Clerk (003 1.4).
 */
import type { Evidence } from '../rules/types.js';
import { words, type PhrasePattern } from './match.js';
import { memoizeLabelledList } from './memo.js';
import { phraseFilter } from './prefilter.js';
import { escapeRegExp, matchesIn } from './regex.js';

/** What is passed on as a courtesy ("send my apologies"), not work. */
const COURTESY = '(?:my|our)\\s+(?:thanks|regards|best|apologies|congratulations|condolences|good\\s+wishes)';

/** Verbs that, after "could you" / "please", ask an officer to do something. */
const WORK_VERB = [
  'arrange',
  'organi[sz]e',
  'prepare',
  'draft',
  'draw\\s+up',
  'write\\s+up',
  'put\\s+together',
  'book',
  `send(?!\\s+${COURTESY})`,
  'sort(?:\\s+out)?',
  'chase(?:\\s+up)?',
  'get(?!\\s+(?:back\\s+to|in\\s+touch))',
  'order',
  'fix',
  'repair',
  'replace',
  'remove',
  'install',
  'clear',
  'produce',
  'compile',
  'collate',
  'print',
  'circulate',
  'set\\s+up',
  'look\\s+into',
  'investigate',
  'deal\\s+with',
  'take\\s+care\\s+of',
  'follow\\s+(?:this\\s+|it\\s+)?up',
  'contact(?!\\s+(?:me|us)(?![\\p{L}]))',
  'ring(?!\\s+(?:me|us)(?![\\p{L}]))',
  'phone(?!\\s+(?:me|us)(?![\\p{L}]))',
  'update(?!\\s+(?:me|us)(?![\\p{L}]))',
  'amend',
  'make\\s+sure',
  'ensure',
  'action',
].join('|');

/** Verbs after "please could you" that only ask for information, or pass on a courtesy ("send my apologies"). */
const FACTUAL_VERB =
  '(?:(?:tell|let|confirm|advise|explain|remind|clarify|say)(?![\\p{L}])|check\\s+(?:whether|if)(?![\\p{L}])|' +
  `(?:send|pass\\s+on|give|offer)\\s+${COURTESY}(?![\\p{L}]))`;

/** When a request names a deadline. */
const DEADLINE =
  '(?:(?:this|next)\\s+)?(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)|tomorrow|' +
  '(?:the\\s+)?end\\s+of\\s+(?:the\\s+|this\\s+|next\\s+)?(?:week|day|month)|close\\s+of\\s+play|first\\s+thing';

const POLITE_WORD = '(?:please|possibly|kindly|also|just|perhaps)(?![\\p{L}])';
const POLITE = `(?:${POLITE_WORD}\\s+)*`;

export const REQUEST_PATTERNS: readonly PhrasePattern[] = [
  words('request for work', `(?:could|can|would|will)\\s+you\\s+${POLITE}(?:${WORK_VERB})`),
  words('request for work', `please\\s+(?:could|can|would)\\s+you\\s+${POLITE}(?!${FACTUAL_VERB}|${POLITE_WORD})\\p{L}+`),
  words('request for work', `please\\s+(?:${WORK_VERB})`),
  words('request for work', `(?:can|could)\\s+you\\s+get\\s+someone\\s+to`, `get\\s+someone\\s+to\\s+\\p{L}+`),
  words('request for work', `I\\s*(?:['’]d|would)\\s+like\\s+you\\s+to`, `I\\s+(?:need|want)\\s+you\\s+to`),
  words('request for work', `I\\s*(?:['’]d|would)\\s+be\\s+grateful\\s+if\\s+you\\s+could\\s+${POLITE}(?:${WORK_VERB})`),
  words('request for work', `(?:could|can|would|will)\\s+you\\s+${POLITE}(?:take|have)\\s+a\\s+(?:quick\\s+)?look\\s+(?:at|into)`),
  // "Could you help with the hedge", "can you help us to get it cut"; not "could you help me understand".
  words('request for work', `(?:could|can|would|will)\\s+you\\s+${POLITE}help\\s+(?:(?:me|us)\\s+)?(?:(?:out\\s+)?with|to(?!\\s+(?:understand|find\\s+out|know|work\\s+out)(?![\\p{L}])))`),
  words('request for work', `any\\s+chance\\s+(?:that\\s+)?you\\s+(?:could|can|would)\\s+${POLITE}(?:${WORK_VERB})`),
  words('request for work', `would\\s+you\\s+mind\\s+(?!(?:telling|letting|confirming|explaining|reminding)(?![\\p{L}]))\\p{L}+ing`),
  words('request for work', 'action\\s+this', `can\\s+(?:this|it)\\s+be\\s+(?:actioned|done|sorted|arranged|fixed|booked)`),
  words('request for work (deadline)', `needs?\\s+(?:to\\s+be\\s+)?\\p{L}+\\s+(?:by|before)\\s+(?:${DEADLINE})`, `(?:by|before)\\s+(?:${DEADLINE})\\s*,?\\s+please`),
];

/** A deadline named alongside a request: supporting evidence only, never enough on its own. */
export const DEADLINE_PATTERNS: readonly PhrasePattern[] = [words('deadline', `(?:by|before)\\s+(?:${DEADLINE})`)];

export const FACTUAL_PATTERNS: readonly PhrasePattern[] = [
  words('factual enquiry', `(?:could|can|would)\\s+you\\s+(?:please\\s+)?(?:tell|let)\\s+me`),
  words('factual enquiry', `please\\s+(?:let\\s+me\\s+know|tell\\s+me|advise)`),
  words('factual enquiry', `(?:could|can|would)\\s+you\\s+(?:please\\s+)?confirm\\s+(?:whether|what|when|if|where|who|how|that)`),
  words('factual enquiry', `(?:could|can|would)\\s+you\\s+(?:please\\s+)?check\\s+(?:whether|if)`),
  words('factual enquiry', 'what\\s+time\\s+(?:is|does|do|will)'),
  words('factual enquiry', 'when\\s+(?:is|are|does|do|will|was)'),
  words('factual enquiry', 'where\\s+(?:is|are|can|do)'),
  words('factual enquiry', 'is\\s+there', 'are\\s+there'),
  words('factual enquiry', 'do\\s+we\\s+have'),
  words('factual enquiry', 'how\\s+(?:many|much|long|often)'),
  words('factual enquiry', 'do\\s+you\\s+know'),
];


/** Patterns from plain phrases a council adds in its config (whole words, any spacing, any case). */
export function plainPhrasePatterns(label: string, phrases: readonly string[]): PhrasePattern[] {
  return phrases.length === 0 ? [] : [...plainPhrasePatternsOf(label, phrases)];
}

const plainPhrasePatternsOf = memoizeLabelledList(
  (label: string, phrases: readonly string[]): readonly PhrasePattern[] =>
    phrases
      .map((p) => p.trim())
      .filter((p) => p.length > 0)
      .map((p) => words(label, p.split(/\s+/).map(escapeRegExp).join('\\s+'))),
);

interface Span {
  start: number;
  end: number;
  text: string;
}

function allMatches(text: string, patterns: readonly PhrasePattern[]): Span[] {
  const spans: Span[] = [];
  // No pattern matches before the first match of any of them: each is read from there on.
  const first = phraseFilter(patterns).firstAt(text);
  if (first < 0) return spans;
  for (const p of patterns) {
    for (const m of matchesIn(p.re, text, first)) {
      const start = m.index;
      spans.push({ start, end: start + m[0].length, text: m[0].replace(/\s+/g, ' ').trim() });
    }
  }
  return spans.sort((a, b) => a.start - b.start);
}

function toEvidence(spans: readonly Span[], field: string): Evidence[] {
  const seen = new Set<string>();
  const out: Evidence[] = [];
  for (const s of spans) {
    const key = s.text.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ kind: 'phrase', text: s.text, field });
  }
  return out;
}

export interface RequestAnalysis {
  /** Phrases that ask for work or assistance (not inside a factual phrase). */
  requests: Evidence[];
  /** Phrases that ask for facts only. */
  factual: Evidence[];
  /** Deadlines named in the text (supporting evidence when there is a request). */
  deadlines: Evidence[];
}

/**
 * A text with no request for work: its factual phrases and deadlines are read only if someone
 * asks (to explain a miss). A class, not an object literal with getters: V8 gives each such
 * literal a hidden class of its own, which keeps the text alive until the next full collection
 * (see `missExplainedWhenRead`).
 */
class NoRequests implements RequestAnalysis {
  readonly requests: Evidence[] = [];
  #factual: Evidence[] | undefined;
  #deadlines: Evidence[] | undefined;
  constructor(
    private readonly text: string,
    private readonly factualPatterns: readonly PhrasePattern[],
    private readonly field: string,
  ) {}

  get factual(): Evidence[] {
    this.#factual ??= toEvidence(allMatches(this.text, this.factualPatterns), this.field);
    return this.#factual;
  }

  get deadlines(): Evidence[] {
    this.#deadlines ??= toEvidence(allMatches(this.text, DEADLINE_PATTERNS), this.field);
    return this.#deadlines;
  }
}

/**
 * Find requests for work and factual enquiries in a message's own text. A request phrase that
 * overlaps a factual phrase (built-in or the council's) is treated as part of the factual enquiry.
 */
export function analyseRequests(
  text: string,
  extra: { request?: readonly PhrasePattern[]; factual?: readonly PhrasePattern[] } = {},
  field = 'body',
): RequestAnalysis {
  const found = allMatches(text, [...REQUEST_PATTERNS, ...(extra.request ?? [])]);
  const factualPatterns = [...FACTUAL_PATTERNS, ...(extra.factual ?? [])];
  // No request at all: the factual phrases and deadlines are read only if someone asks (to explain).
  if (found.length === 0) return new NoRequests(text, factualPatterns, field);
  const factual = allMatches(text, factualPatterns);
  const requests = found.filter((r) => !factual.some((f) => r.start < f.end && f.start < r.end));
  return {
    requests: toEvidence(requests, field),
    factual: toEvidence(factual, field),
    deadlines: toEvidence(allMatches(text, DEADLINE_PATTERNS), field),
  };
}
