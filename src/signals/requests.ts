/**
 * Phrases that ask an officer for work or assistance, and phrases that only ask for facts.
 * Used by requests-via-clerk: a purely factual enquiry may go to any officer (004 4.6), a request
 * for work goes through the Clerk (003 1.4).
 */
import type { Evidence } from '../rules/types.js';
import { words, type PhrasePattern } from './match.js';
import { memoizeLabelledList } from './memo.js';
import { letterRegExp, WORD_END, WORD_START } from './letters.js';
import { escapeRegExp, matchesIn } from './regex.js';

/** When a request names a deadline. */
const DEADLINE =
  '(?:(?:this|next)\\s+)?(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)|tomorrow|' +
  '(?:the\\s+)?end\\s+of\\s+(?:the\\s+|this\\s+|next\\s+)?(?:week|day|month)|close\\s+of\\s+play|first\\s+thing';

/** What is passed on as a courtesy ("send my apologies"), not work. */
const COURTESY = '(?:my|our|his|her)\\s+(?:thanks|regards|best|apologies|congratulations|condolences|good\\s+wishes)';

/**
 * Verbs that ask for work after "please" on its own ("please arrange", "please cut back"): a list,
 * because "please" stands before much that is not work ("please note", "please find attached",
 * "please feel free"). After a question addressed to someone ("could you …", "can the office …")
 * any verb but those in NOT_WORK counts, and these are only tried first so that the evidence
 * keeps the whole verb ("sort out", "chase up").
 */
const WORK_VERB = [
  'arrange',
  'organi[sz]e',
  'prepare',
  'draft',
  'draw\\s+up',
  'write\\s+up',
  'write\\s+to',
  'type\\s+up',
  'put(?:\\s+together)?',
  'take\\s+down',
  'book',
  'reserve',
  `send(?!\\s+${COURTESY})(?:\\s+out)?`,
  `pass\\s+(?:this|it|these|them)\\s+on`,
  'forward',
  'sort(?:\\s+out)?',
  'chase(?:\\s+up)?',
  'get(?!\\s+(?:back\\s+to|in\\s+touch\\s+with\\s+(?:me|us)(?![\\p{L}])))',
  'order',
  're-?order',
  'fix',
  'repair',
  'mend',
  'replace',
  'remove',
  'install',
  'fit',
  'clear',
  'clean(?:\\s+up)?',
  'tidy(?:\\s+up)?',
  'empty',
  'cut(?:\\s+back)?',
  'trim',
  'mow',
  'strim',
  'sweep',
  'grit',
  'paint',
  're-?paint',
  'unblock',
  'unlock',
  'lock',
  'inspect',
  'move',
  'collect',
  'deliver',
  'distribute',
  'produce',
  'compile',
  'collate',
  'print',
  'photocopy',
  'copy',
  'run\\s+off',
  'laminate',
  'design',
  'lay\\s+out',
  'format',
  'typeset',
  'proof-?read',
  'mail\\s*merge',
  'post(?:\\s+out)?',
  'e-?mail(?:\\s+out)?',
  'circulate',
  'set\\s+up',
  'look\\s+(?:into|at)',
  'take\\s+a\\s+(?:quick\\s+)?look\\s+(?:at|into)',
  'have\\s+a\\s+(?:quick\\s+)?(?:look|word)',
  'investigate',
  'deal\\s+with',
  'take\\s+care\\s+of',
  'follow\\s+(?:this\\s+|it\\s+)?up',
  'raise',
  'report',
  'refer',
  'escalate',
  'log',
  'cancel',
  'ask',
  'contact(?!\\s+(?:me|us|your)(?![\\p{L}]))',
  'ring(?!\\s+(?:me|us)(?![\\p{L}]))',
  'phone(?!\\s+(?:me|us)(?![\\p{L}]))',
  'update(?!\\s+(?:me|us)(?![\\p{L}]))',
  'amend',
  'make\\s+sure',
  'ensure',
  'action',
].join('|');

/**
 * After "could you" and the like, what asks for no work: being, liking, believing, remembering,
 * coming along, getting back to the writer, passing on a courtesy. (What asks for facts — "tell
 * me", "send me the agenda" — is in FACTUAL_PATTERNS, which cancel a request they overlap.)
 */
const NOT_WORK =
  '(?:get\\s+(?:back\\s+to|in\\s+touch\\s+with\\s+(?:me|us)(?![\\p{L}]))|(?:contact|ring|phone|call|e-?mail|update)\\s+(?:me|us)|' +
  `(?:send|pass\\s+on|give|offer)\\s+${COURTESY}|help\\s+(?:me|us)\\s+(?:to\\s+)?(?:understand|find\\s+out|know|work\\s+out|see)|enjoy|accept|forgive|excuse|understand|consider|` +
  'be(?!\\s+(?:able|willing|happy|prepared|so\\s+kind|(?:kind|good)\\s+enough)\\s)|like|love|believe|imagine|remember|recall|see|hear|think|guess|agree|' +
  'know|say|mind|not|never|ever|still|really|perhaps|also|please|possibly|kindly|just|all|both|too|me|us|it|this|that|there|' +
  'make\\s+(?:it|the\\s+meeting|tonight|today|tomorrow)|come(?!\\s+and\\s)|join)(?![\\p{L}])';

/** Words that fill a question before its verb ("could you please possibly …"). */
const POLITE_WORD = '(?:please|possibly|kindly|also|just|perhaps|quickly|urgently|at\\s+some\\s+point)(?![\\p{L}])';
const POLITE = `(?:${POLITE_WORD}\\s+)*`;

/** "be able to", "be so kind as to": what may stand between an addressed question and its verb. */
const ABLE = '(?:be\\s+(?:able|willing|happy|prepared|so\\s+kind\\s+as|(?:kind|good)\\s+enough)\\s+to\\s+(?:please\\s+)?)?';

/** A past participle, for passive requests ("can the bins be emptied", "could the hedge be cut back"). */
const PARTICIPLE =
  '(?:\\p{L}{2,}(?:ed|en|wn)|done|cut|put|set|swept|sent|lit|hung|dug|left|made|shut|built|brought|taken|given|seen|kept|sorted|fixed|re-?\\p{L}+ed)';

/** The work asked for: a verb (not one in NOT_WORK), or being done ("be emptied"). */
const ACT = `${POLITE}${ABLE}(?:${WORK_VERB}|be\\s+${PARTICIPLE}|(?!${NOT_WORK})\\p{L}+)`;

/** A group that does work: a team, a department, the office, the grounds staff, the caretaker. */
const UNIT =
  '(?:team|teams|department|dept|office|offices|staff|crew|lads|colleagues?|services|section|caretakers?|officers?|contractors?|clerk|wardens?|groundsm[ae]n|handyman|council)';

/** Who may be asked: "you", "someone", "anyone from Environmental Services", "your team", "one of the caretakers", "the Parks Department". */
const AGENT =
  '(?:(?:you|someone|somebody|anyone|anybody)(?:\\s+(?:in|from|at|on)\\s+(?:(?:the|your|our)\\s+)?(?:[\\p{L}’\'-]+\\s+){0,2}?' +
  UNIT +
  ')?|you\\s+and\\s+\\p{L}+|(?:one\\s+of\\s+)?(?:the|your|our)\\s+(?:[\\p{L}’\'-]+\\s+){0,2}?' +
  UNIT +
  '(?:\\s+(?:in|from|at)\\s+(?:the\\s+)?\\p{Lu}[\\p{L}’\'-]*)?)';

/** Anyone or anything a hedged wish may name before its modal ("the grounds staff", "the hedge", "someone from your team"): not "I". */
const SUBJECT = "(?!I\\s)(?:[\\p{L}\\p{N}’'-]+\\s+){1,6}?";

/** Frames of a hedged or conditional wish, before the one who is to act. */
const HEDGE =
  '(?:(?:I|we)\\s+(?:was\\s+|were\\s+|am\\s+|are\\s+)?(?:wonder(?:ed|ing)?|hop(?:e|ed|ing))(?:\\s+(?:if|whether|that))?|' +
  'do\\s+you\\s+think|' +
  '(?:is|would)\\s+there\\s+(?:be\\s+)?any\\s+(?:chance|possibility|way)(?:\\s+(?:that|of))?|any\\s+chance(?:\\s+that)?|' +
  "(?:I\\s*['’]d|I\\s+would|we\\s*['’]d|we\\s+would)\\s+(?:be\\s+(?:\\p{L}+\\s+)?grateful|(?:really\\s+)?appreciate\\s+it)\\s+if|" +
  "it\\s*(?:['’]d|would)\\s+be\\s+(?:\\p{L}+\\s+)?\\p{L}+\\s+if)";

/** The modals of a hedged wish. */
const HEDGE_MODAL = '(?:could|can|might|would|will)';

export const REQUEST_PATTERNS: readonly PhrasePattern[] = [
  // "Could you arrange", "please can someone in your department sort out", "would the parks team be able to replace".
  words('request for work', `(?:please\\s+)?(?:could|can|would|will)\\s+${AGENT}\\s+${ACT}`),
  // "Are you able to fit", "is anyone able to cover".
  words('request for work', `(?:are\\s+you|is\\s+(?:someone|somebody|anyone|anybody|there\\s+(?:someone|anyone|somebody)))\\s+(?:able|willing|happy|free)\\s+to\\s+${ACT}`),
  // "Is there someone who could look at".
  words('request for work', `is\\s+there\\s+(?:someone|somebody|anyone|anybody)\\s+(?:who|that)\\s+${HEDGE_MODAL}\\s+${ACT}`),
  // "Can the bins be emptied", "could the hedge on Station Road be cut back", "can something be done".
  words('request for work', `(?:please\\s+)?(?:can|could|would)\\s+(?:the|this|that|these|those|it|they|our|my|your|a|an|something|anything|more)\\s+(?:[\\p{L}\\p{N}’'-]+\\s+){0,6}?be\\s+${PARTICIPLE}`),
  // "Can we get the paving slab fixed", "could we have the grit bin refilled".
  words('request for work', `(?:can|could)\\s+(?:we|I)\\s+(?:get|have)\\s+(?:[\\p{L}\\p{N}’'-]+\\s+){1,6}?${PARTICIPLE}`),
  // Hedged wishes: "is there any chance the grounds staff might cut", "I'd appreciate it if the office could send".
  words('request for work', `${HEDGE}\\s+${SUBJECT}${HEDGE_MODAL}\\s+${ACT}`),
  // "If you could arrange for the contractor to come back, that would be great": a sentence that opens on "if … could".
  words('request for work', `if(?<![\\p{L}](?:\\s*,)?\\s*if)\\s+${SUBJECT}could\\s+${ACT}`),
  // "Would it be possible to get the railings fixed", "is it possible for the grounds team to remove".
  words('request for work', `(?:would|is|will|might|could)\\s+it\\s+(?:be\\s+)?(?:at\\s+all\\s+)?possible\\s+(?:for\\s+${SUBJECT})?to\\s+${ACT}`),
  // "Any chance of getting the bins emptied", "any possibility of the office printing".
  words('request for work', `any\\s+(?:chance|possibility)\\s+of\\s+(?:(?:the|your|someone|somebody)\\s+(?:[\\p{L}’'-]+\\s+){0,3}?)?(?!(?:seeing|hearing|knowing|finding)(?![\\p{L}]))\\p{L}+ing`),
  words('request for work', `(?:please|kindly)\\s+(?:${WORK_VERB})`),
  // "Could we get a quote", "can we order some more bags".
  words('request for work', `(?:can|could)\\s+we\\s+(?:please\\s+)?(?:get|order|book|arrange|organi[sz]e)\\s+(?:a|an|some|more|another|\\p{N}+)(?![\\p{L}])`),
  words('request for work', `(?:can|could)\\s+you\\s+get\\s+someone\\s+to`, `get\\s+someone\\s+to\\s+\\p{L}+`),
  words('request for work', `I\\s*(?:['’]d|would)\\s+like\\s+(?:you|someone|somebody|${AGENT})\\s+to`, `I\\s+(?:need|want)\\s+(?:you|someone|somebody)\\s+to`),
  words('request for work', `(?:could|can|may|might)\\s+I\\s+(?:ask|trouble)\\s+(?:you|${AGENT})\\s+to`, `(?:could|can|may|might)\\s+I\\s+ask\\s+that`, `(?:can|could|may)\\s+I\\s+leave\\s+(?:it|this|that)\\s+with\\s+you`),
  words('request for work', `I\\s*(?:['’]d|would)\\s+be\\s+(?:\\p{L}+\\s+)?grateful\\s+for\\s+(?:your|any)\\s+help\\s+(?:in|with)`),
  // "Could you help with the hedge", "can you help us to get it cut"; not "could you help me understand".
  words('request for work', `(?:could|can|would|will)\\s+you\\s+${POLITE}help\\s+(?:(?:me|us)\\s+)?(?:(?:out\\s+)?with|to(?!\\s+(?:understand|find\\s+out|know|work\\s+out)(?![\\p{L}])))`),
  words('request for work', `would\\s+you\\s+mind\\s+(?!(?:telling|letting|confirming|explaining|reminding)(?![\\p{L}]))\\p{L}+ing`),
  words('request for work', 'action\\s+this', `can\\s+(?:this|it)\\s+be\\s+(?:actioned|done|sorted|arranged|fixed|booked)`),
  // "I need these printed", "get the leaflets run off".
  words(
    'request for work',
    `(?:need|get)\\s+(?:(?!to\\s)\\S+\\s+){0,8}?(?:printed|photocopied|copied|laminated|designed|typed\\s+up|sent\\s+out|posted\\s+out|delivered|run\\s+off)`,
  ),
  words('request for work (deadline)', `needs?\\s+(?:to\\s+be\\s+)?\\p{L}+\\s+(?:by|before)\\s+(?:${DEADLINE})`, `(?:by|before)\\s+(?:${DEADLINE})\\s*,?\\s+please`),
];
/** A deadline named alongside a request: supporting evidence only, never enough on its own. */
export const DEADLINE_PATTERNS: readonly PhrasePattern[] = [words('deadline', `(?:by|before)\\s+(?:${DEADLINE})`)];

/** Documents and records a member may ask to be sent: asking for one is a factual enquiry. */
const DOCUMENT =
  '(?:agendas?|minutes|papers|paperwork|reports?|figures|accounts|budget|links?|details|documents?|slides|policy|policies|letters?|lease|plans?|maps?|' +
  'drafts?|notes|survey|spreadsheet|list|schedule|timetable|forms?|invoice|quote|reply|response|email|e-mail|file|version|presentation|copy|copies|contact\\s+details)';

/**
 * Asking to be told or sent something that exists: an answer, a date, a document. A request phrase
 * that overlaps one of these ("Could you send" in "could you send me the agenda") is part of it.
 */
export const FACTUAL_PATTERNS: readonly PhrasePattern[] = [
  words('factual enquiry', `(?:could|can|would)\\s+you\\s+(?:please\\s+)?(?:tell|let)\\s+me`, `(?:tell|let)(?:ing)?\\s+(?:me|us)(?!(?:\\s+know)?\\s+if\\s+(?:you|anyone)\\s+(?:need|want|would\\s+like|['’]d\\s+like|have\\s+any|require|wish)(?![\\p{L}]))(?:\\s+(?:know|have))?`),
  words('factual enquiry', `please\\s+(?:tell\\s+me|advise)`),
  words('factual enquiry', `(?:could|can|would)\\s+you\\s+(?:please\\s+)?confirm\\s+(?:whether|what|when|if|where|who|how|that)`, 'confirm', 'advise', 'explain', 'clarify', `remind\\s+(?:me|us)`),
  words('factual enquiry', `(?:could|can|would)\\s+you\\s+(?:please\\s+)?check\\s+(?:whether|if)`, `check\\s+(?:whether|if|when|what)`, `find\\s+out\\s+(?:if|whether|when|what|who|how|why|where)`),
  // "Send me the agenda", "forward me Highways' reply", "email me a copy", "send over the papers", "share the spreadsheet with me".
  words('factual enquiry', `(?:send|forward|e-?mail|pass)(?:ing)?\\s+(?:(?:over|through|across|on)\\s+)?(?:me|us)(?![\\p{L}])`, `(?:send|forward|e-?mail)(?:ing)?\\s+(?:over|through|across)\\s+(?:(?:the|those|these|your|a|that)\\s+)?(?:[\\p{L}’'-]+\\s+){0,2}?${DOCUMENT}`),
  words('factual enquiry', `share\\s+(?:[\\p{L}’'-]+\\s+){1,6}?with\\s+(?:me|us)`, `(?:have|get|see)\\s+a\\s+copy`, `(?:could|can|may)\\s+I\\s+(?:have|get|see)`),
  words('factual enquiry', `give\\s+(?:me|us)\\s+(?:an?\\s+)?(?:quick\\s+)?(?:update|idea|steer|indication|call|ring|bell)`, `update\\s+(?:me|us)`, `point\\s+(?:me|us)`),
  words('factual enquiry', `(?:will|would|are|can)\\s+you\\s+be\\s+(?:at|in|there|around|free|available|coming|attending|going|joining|about)`, `are\\s+you\\s+(?:in|around|free|available|about|at)(?![\\p{L}])`),
  words('factual enquiry', 'what\\s+time\\s+(?:is|does|do|will)', `what(?:['’]s|\\s+(?:is|are|was|were|date|day|time|happened|did|does|do))`),
  words('factual enquiry', 'when\\s+(?:is|are|does|do|will|was|did)', `wondering\\s+(?:when|what|who|where|how)`),
  words('factual enquiry', 'where\\s+(?:is|are|can|do)', `who(?<!,\\s*who)\\s+(?:is|are|was|were|will|owns|won|did|does|do)`, `which\\s+(?:room|day|date|ward|one|officer|committee|hall)`),
  words('factual enquiry', 'is\\s+there(?!\\s+(?:any\\s+(?:chance|possibility|way)|someone|somebody|anyone|anybody)(?![\\p{L}]))', 'are\\s+there'),
  words('factual enquiry', 'do\\s+(?:we|you)\\s+have', `do\\s+we\\s+know`, `is\\s+it\\s+true`, `any\\s+(?:idea|news|word|update)`),
  words('factual enquiry', 'how\\s+(?:many|much|long|often)', `(?:has|have)\\s+(?:anyone|anybody)\\s+(?:heard|had|seen|found)`),
  words('factual enquiry', 'do\\s+you\\s+(?:happen\\s+to\\s+)?know'),
  // "Is the Jubilee Room free on Friday?", "Has the insurance been renewed?": a yes-or-no question opening a sentence.
  words(
    'factual enquiry',
    `(?:is|are|was|were|has|have|did|does)(?<=(?:^|[.!?\\n])\\s*\\p{L}+)\\s+(?:the|my|our|your|it(?!\\s+possible)|this|that|there(?!\\s+(?:any\\s+(?:chance|possibility|way)|someone|somebody|anyone|anybody)(?![\\p{L}]))|we|they)(?![\\p{L}])`,
  ),
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

/**
 * Words that mark a sentence as boilerplate nobody wrote to the reader: a newsletter footer, a
 * disclaimer, bounce text ("To unsubscribe please send an email to…", "If you have received this
 * email in error please notify the sender", "Please check the address and try again"). The own
 * text is cut before such blocks where they can be recognised; a sentence that survives is still
 * nobody's request.
 */
const BOILERPLATE = letterRegExp(
  `${WORD_START}(?:unsubscribe|opt(?:\\s+|-)out|no\\s+longer\\s+wish\\s+to\\s+receive|stop\\s+receiving|manage\\s+(?:your\\s+)?(?:preferences|subscriptions?)|` +
    `(?:you\\s+are|you['’]re)\\s+receiving\\s+this|received\\s+this\\s+(?:e-?mail|message|communication)\\s+(?:in\\s+error|by\\s+mistake)|intended\\s+recipient|` +
    `notify\\s+the\\s+sender|consider\\s+the\\s+environment|before\\s+printing|do\\s+not\\s+reply\\s+to\\s+this|(?:is|are)\\s+not\\s+monitored|virus\\s+(?:protection|checks?|scan)|` +
    `(?:could\\s+not|couldn['’]t|can\\s*not|can['’]t)\\s+be\\s+delivered|undeliverable|delivery\\s+(?:has\\s+)?failed|mail\\s+delivery\\s+(?:subsystem|system)|` +
    `(?:e-?mail|system|network)\\s+administrator|try\\s+again\\s+later|check\\s+the\\s+(?:e-?mail\\s+)?address\\s+and\\s+try|address\\s+book|views\\s+expressed)${WORD_END}`,
  'iu',
);

/** How far either side of a phrase its sentence is looked for (keeps the guard linear in the text). */
const SENTENCE_REACH = 400;

/** Whether the sentence around `start`…`end` is boilerplate: from the last sentence end before it to the next one after it. */
function inBoilerplate(text: string, start: number, end: number): boolean {
  let lo = start;
  const floor = Math.max(0, start - SENTENCE_REACH);
  while (lo > floor && !/[.!?\n]/.test(text.charAt(lo - 1))) lo--;
  let hi = end;
  const ceiling = Math.min(text.length, end + SENTENCE_REACH);
  while (hi < ceiling && !/[.!?\n]/.test(text.charAt(hi))) hi++;
  return BOILERPLATE.test(text.slice(lo, hi));
}

interface Span {
  start: number;
  end: number;
  text: string;
}

function allMatches(text: string, patterns: readonly PhrasePattern[]): Span[] {
  const spans: Span[] = [];
  // Each pattern on its own: V8 rejects a text faster pattern by pattern than with all of these
  // (a hundred-odd alternatives, most opening on a common word) joined into one.
  for (const p of patterns) {
    for (const m of matchesIn(p.re, text)) {
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
  const requests = found.filter((r) => !factual.some((f) => r.start < f.end && f.start < r.end) && !inBoilerplate(text, r.start, r.end));
  return {
    requests: toEvidence(requests, field),
    factual: toEvidence(factual, field),
    deadlines: toEvidence(allMatches(text, DEADLINE_PATTERNS), field),
  };
}

/**
 * The requests for work in each sentence, read exactly as `analyseRequests` reads a text: the one
 * reading every rule that asks "is this a request for work?" shares, so the same sentence gets the
 * same answer in requests-via-clerk and no-party-political-use.
 */
export function requestsBySentence(sentences: readonly string[], field = 'body'): Evidence[][] {
  return sentences.map((s) => analyseRequests(s, {}, field).requests);
}
