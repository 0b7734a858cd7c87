/**
 * Party-political and campaign signals: requests that ask officers for party work, phrases that
 * mark party or campaign business, and the civic campaigns ("the council's anti-litter campaign",
 * "Keep Millbrook Tidy campaign") that are not party business at all (004 14.1, 14.3; 001 4.2).
 */
import type { Evidence } from '../rules/types.js';
import { letterRegExp, WORD_END, WORD_START } from './letters.js';
import { words, type PhrasePattern } from './match.js';
import { memoize, memoizeLabelledList, memoizeList } from './memo.js';
import { phraseFilter, type PhraseFilter } from './prefilter.js';
import { escapeRegExp, matchesIn } from './regex.js';
import { requestsBySentence } from './requests.js';
import { splitSentences } from './sentences.js';

/** Party names every council meets, besides those its directory lists. */
export const COMMON_PARTIES: readonly string[] = [
  'Labour',
  'Conservative',
  'Conservatives',
  'Tory',
  'Tories',
  'Liberal Democrat',
  'Liberal Democrats',
  'Lib Dem',
  'Lib Dems',
  'Green',
  'Greens',
  'Green Party',
  'Reform UK',
  'Plaid Cymru',
  'UKIP',
  'Independent',
  'Independents',
];

/** The directory's party names plus the common ones, longest first. */
export function partyNames(directoryParties: readonly (string | undefined)[]): string[] {
  return [...partyNamesOf(directoryParties)];
}

const partyNamesOf = memoize(
  (directoryParties: readonly (string | undefined)[]) => JSON.stringify(directoryParties),
  (directoryParties: readonly (string | undefined)[]): readonly string[] => {
    const names = [...COMMON_PARTIES, ...directoryParties.filter((p): p is string => typeof p === 'string' && p.trim().length > 0)];
    return [...new Set(names.map((n) => n.trim()))].sort((a, b) => b.length - a.length);
  },
);

const partiesByPeople = new WeakMap<readonly { party?: string }[], readonly string[]>();

/**
 * `partyNames` of a directory's people, worked out once per (unchanging) list of people; the
 * same list object comes back each time, so what is built from it is found again at once.
 */
export function councilPartyNames(people: readonly { party?: string }[]): readonly string[] {
  let names = partiesByPeople.get(people);
  if (!names) {
    names = partyNames(people.map((p) => p.party));
    partiesByPeople.set(people, names);
  }
  return names;
}


/** Patterns from plain phrases a council adds in its config: whole words, any spacing, any case. */
export function councilPhrases(label: string, phrases: readonly string[]): PhrasePattern[] {
  return [...councilPhrasesOf(label, phrases)];
}

const councilPhrasesOf = memoizeLabelledList(
  (label: string, phrases: readonly string[]): readonly PhrasePattern[] =>
    phrases
      .map((p) => p.trim())
      .filter((p) => p.length > 0)
      .map((p) => words(label, p.split(/\s+/).map(escapeRegExp).join('\\s+'))),
);

function nameSource(name: string): string {
  return name.split(/\s+/).map(escapeRegExp).join('\\s+');
}

/** Party names that are also ordinary words or part of place and personal names ("Village Green", "Alice Green"). */
const WORD_PARTIES = new Set(['green', 'greens', 'independent', 'independents', 'reform']);

/** Not straight after a capitalised word (other than "Vote", "The", "Our", …) that would make it a place or a surname. */
const NOT_AFTER_PROPER_NOUN =
  "(?<!(?<![\\p{L}])(?!(?:Vote|The|Our|As|By|From|For|On|Of|An?|And|Please|Why)\\s)\\p{Lu}[\\p{L}'’-]*\\s+)";

/**
 * A case-sensitive pattern around party names: party names are proper nouns, and writing them
 * with a capital keeps "a green space" or "an independent review" from counting. Names that are
 * also ordinary words do not count after another capitalised word ("Village Green campaign").
 */
export function partyPattern(label: string, parties: readonly string[], before: string, after: string): PhrasePattern {
  const plain = parties.filter((p) => !WORD_PARTIES.has(p.toLowerCase())).map(nameSource);
  const guarded = parties.filter((p) => WORD_PARTIES.has(p.toLowerCase())).map(nameSource);
  const names = [...plain, ...(guarded.length > 0 ? [`${NOT_AFTER_PROPER_NOUN}(?:${guarded.join('|')})`] : [])].join('|');
  return { label, re: letterRegExp(`${WORD_START}${before}(?:${names})${after}${WORD_END}`, 'u') };
}

/** "Labour Party", "Green leaflets", "Vote Labour": a party named with party material (for requests to officers). */
export function partyContextPatterns(parties: readonly string[]): PhrasePattern[] {
  return [...contextPatternsOf(parties)];
}

const contextPatternsOf = memoizeList((parties: readonly string[]): readonly PhrasePattern[] => {
  if (parties.length === 0) return [];
  const things =
    "(?:Party|party|[Bb]ranch|[Aa]ssociation|[Cc]ampaign|[Cc]andidates?|[Ll]eaflets?|[Mm]anifesto|[Nn]ewsletter|[Gg]roup\\s+newsletter|[Cc]onference|[Ff]undraiser|members['’]?\\s+meeting)";
  return [
    partyPattern('party material', parties, '', `\\s+${things}`),
    partyPattern('party slogan', parties, '[Vv]ote\\s+(?:for\\s+(?:the\\s+)?)?', ''),
  ];
});

/**
 * A party named on its own ("the Lib Dems", "Labour"), as a proper noun: context for
 * CAMPAIGN_ACTIVITIES. Not straight before another capitalised word (but "Party"), where it is
 * part of a name ("Labour Group Leader" under a signature, a park's "Green Flag award").
 */
const bareNamesOf = memoizeList((parties: readonly string[]): readonly PhrasePattern[] =>
  parties.length === 0 ? [] : [partyPattern('party named', parties, '', '(?!\\s+(?!Part(?:y|ies)(?![\\p{L}]))\\p{Lu})')],
);

/**
 * The campaign activities (CAMPAIGN_ACTIVITIES) that count as party or campaign matters in this
 * message: all of them when an election or party is spoken of beside one — in the subject, in the
 * sentence that names the activity or the one either side of it (a party named on its own must
 * share its sentence) — and no civic campaign is named; none otherwise.
 */
function campaignActivities(subject: string, text: string, parties: readonly string[], civic: readonly Evidence[]): readonly PhrasePattern[] {
  if (civic.length > 0) return [];
  // The same message is asked about twice (work, then business): answered once.
  if (lastActivities?.subject === subject && lastActivities.text === text && lastActivities.parties === parties) return lastActivities.found;
  const found = activitiesIn(subject, text, parties);
  lastActivities = { subject, text, parties, found };
  return found;
}

/** The last message's answer from `campaignActivities`. */
let lastActivities: { subject: string; text: string; parties: readonly string[]; found: readonly PhrasePattern[] } | undefined;

function activitiesIn(subject: string, text: string, parties: readonly string[]): readonly PhrasePattern[] {
  const activities = phraseFilter(CAMPAIGN_ACTIVITIES);
  const inSubject = activities.mayMatch(subject);
  if (!inSubject && !activities.mayMatch(text)) return [];
  const election = phraseFilter([...ELECTION_CONTEXT, ...PARTY_TOPICS]);
  const named = phraseFilter(bareNamesOf(parties));
  if (election.mayMatch(subject) || named.mayMatch(subject)) return CAMPAIGN_ACTIVITIES;
  const parts = splitSentences(text);
  for (let i = 0; i < parts.length; i++) {
    const here = parts[i] ?? '';
    if (!inSubject && !activities.mayMatch(here)) continue;
    if (named.mayMatch(here) || election.mayMatchAny(parts.slice(Math.max(0, i - 1), i + 2))) return CAMPAIGN_ACTIVITIES;
  }
  return [];
}

/** Party names with campaign business: what a council mailbox must not carry (a bare "Labour Party" in a signature does not count). */
export function partyBusinessPatterns(parties: readonly string[]): PhrasePattern[] {
  return [...businessPatternsOf(parties)];
}

const businessPatternsOf = memoizeList((parties: readonly string[]): readonly PhrasePattern[] => {
  if (parties.length === 0) return [];
  const things =
    "(?:[Bb]ranch|[Aa]ssociation|[Cc]ampaign|[Cc]andidates?|[Ll]eaflets?|[Mm]anifesto|[Nn]ewsletter|[Gg]roup\\s+newsletter|[Ff]undraiser|members['’]?\\s+meeting|[Pp]arty\\s+(?:meeting|branch|fundraiser|leaflets?|newsletter))";
  return [
    partyPattern('party business', parties, '', `\\s+${things}`),
    partyPattern('party slogan', parties, '[Vv]ote\\s+(?:for\\s+(?:the\\s+)?)?', ''),
  ];
});

/** Party or campaign matters, unambiguous wherever they stand. */
export const PARTY_TOPICS: readonly PhrasePattern[] = [
  words('party or campaign matter', '(?:election|campaign)\\s+literature', 'election\\s+leaflets?', '(?:re-?)?election\\s+campaign'),
  words('party or campaign matter', 'canvass(?<!(?:annual|household|electoral|registration)\\s+canvass)(?:ing|ers?|ed|\\s+returns)?(?!\\s+(?:opinions?|views|feedback|ideas|of\\s+(?:electors|households|properties))(?![\\p{L}]))'),
  words('party or campaign matter', 'our\\s+candidates?', "the\\s+party['’]s\\s+candidates?", 'party\\s+candidates?'),
  words('party or campaign matter', 'party\\s+conference', 'constituency\\s+party', 'ward\\s+party', 'branch\\s+meeting', 'selection\\s+meeting'),
  words('party or campaign matter', 'get\\s+out\\s+the\\s+vote', 'GOTV', 'election\\s+address(?:es)?', 'electioneering'),
  words('party or campaign matter', "(?:our|the\\s+party['’]s|party)\\s+manifesto"),
  words('party or campaign matter', 'vote\\s+for\\s+(?:me|us|our\\s+\\p{L}+)', 're-?elect\\s+(?:me|us|our\\s+\\p{L}+)'),
  words('party or campaign matter', 'polling\\s+day\\s+(?:leaflets?|cards?|posters?|knock-?up|rota)', 'knock-?up\\s+(?:sheets?|cards?|lists?)'),
  words(
    'party or campaign matter',
    'party\\s+(?:political\\s+)?(?:leaflets?|literature|newsletter|membership|funds|fundraiser|fundraising|branch|posters?)',
    'fighting\\s+fund',
    '(?:donations?|fundrais\\p{L}*)\\s+(?:to|for)\\s+(?:the|our)\\s+(?:party|branch|candidates?)',
  ),
];

/** The months, for the date of a poll ("on 6 May", "on Thursday 4 May"). */
const MONTH = '(?:January|February|March|April|May|June|July|August|September|October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)';

/** When a vote is cast: polling day, a date, "Thursday" (polling day in England), the election, the polls. */
const POLL =
  `(?:polling\\s+day|(?:(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day\\s+)?\\p{N}{1,2}(?:st|nd|rd|th)?\\s+${MONTH}|Thursday|` +
  `the\\s+(?:[\\p{L}-]+\\s+){0,3}?(?:by-?\\s?)?elections?|the\\s+ballot\\s+box|the\\s+polls)`;

/** Leaflets are council business when they say what they are about ("the leaflets about the new bin collections"). */
const NOT_ABOUT = '(?!\\s+(?:about|explaining|advertising|announcing)(?![\\p{L}]))';

/**
 * Electioneering in the words people use: appeals for votes or support at an election in any
 * wording ("please support me on 6 May", "your vote matters", "lend me your vote", "I'm standing
 * for re-election"), canvassing ("out canvassing", "the knocking-up team", "telling on polling
 * day"), and election literature ("deliver our leaflets", "the Focus leaflet", "a campaign
 * mailshot"). Unambiguous wherever they stand: the council's own election business (the notice of
 * election, polling stations, the electoral register, postal vote applications) says none of it.
 */
export const ELECTIONEERING: readonly PhrasePattern[] = [
  words(
    'electioneering',
    `(?:support|vote\\s+for)\\s+(?:me|us|our\\s+(?:[\\p{L}-]+\\s+)?(?:candidates?|team))\\s+(?:again\\s+)?(?:on|at|in)\\s+${POLL}`,
    `(?:back\\s+me|back\\s+us)\\s+(?:again\\s+)?(?:on|at|in)\\s+${POLL}`,
    `your\\s+(?:continued\\s+)?support\\s+(?:again\\s+)?(?:on|at|in)\\s+${POLL}`,
    '(?:your|every)\\s+(?:single\\s+)?vote\\s+(?:really\\s+)?(?:matters|counts|(?:could|can|will)\\s+make\\s+(?:a|the|all\\s+the)\\s+difference)',
    '(?:lend|give)\\s+(?:me|us|him|her|them)\\s+your\\s+(?:postal\\s+)?vote',
    'give\\s+your\\s+(?:postal\\s+)?vote\\s+to',
    '(?:ask(?:ing)?\\s+for|count\\s+on|grateful\\s+for|have|earn|deserve|need|want|value)\\s+your\\s+(?:postal\\s+)?vote',
    'use\\s+your\\s+(?:postal\\s+)?vote\\s+(?:for|to|on)',
    'two[-\\s]horse\\s+race',
    'can\\s+win\\s+here',
    'can\\s+beat\\s+\\p{L}+\\s+here',
  ),
  words(
    'electioneering',
    "(?:I\\s*['’]m|I\\s+am|I\\s+will\\s+be|I\\s*['’]ll\\s+be|we\\s*['’]re|we\\s+are)\\s+standing\\s+(?:again\\s+)?(?:for\\s+(?:re-?)?election|as\\s+(?:a|an|the|your)\\s+(?:[\\p{L}'’-]+\\s+){0,3}?candidate|(?:for|in)\\s+(?:[\\p{L}'’-]+\\s+){0,3}?ward)",
    '(?:seeking|seek|standing\\s+for)\\s+re-?election',
  ),
  words(
    'electioneering',
    '(?:out|go|goes|going|went|gone|been|be|come|came|join\\s+(?:me|us))\\s+canvassing',
    'canvassing(?<!(?:annual|household|electoral|registration)\\s+canvassing)\\s+(?:in|on|round|around|with|for|this|tonight|tomorrow|today|at|across)(?![\\p{L}])(?!\\s+opinion)',
    'knock(?:ing)?[-\\s]?up\\s+(?:team|sheets?|cards?|lists?|rota)',
    '(?:help(?:ing)?|volunteers?|tell(?:ing|ers?)|work(?:ing)?)\\s+(?:on|for)\\s+polling\\s+day',
    'polling\\s+day\\s+(?:tellers?|volunteers?|helpers?)',
    'leaflet(?:t)?ing\\s+(?:session|sessions|rota|team|route|round)',
  ),
  words(
    'electioneering',
    `(?:deliver(?:ing|ed)?|drop(?:ping)?|post(?:ing)?|push(?:ing)?|fold(?:ing)?)\\s+(?:(?:these|the|some|more|\\p{N}[\\p{N},]*)\\s+)?(?:of\\s+)?(?:our|my)\\s+(?:own\\s+)?leaflets${NOT_ABOUT}`,
    `(?:our|my)\\s+(?:own\\s+)?leaflets\\s+(?:to\\s+deliver|out)`,
    "(?:candidates?['’]?|campaign|election|party)\\s+mail-?shots?",
  ),
  // Names and a party's newsletters, as proper nouns: "Re-elect Alice Green", "vote for Raj", "the Focus leaflet", "In Touch newsletter".
  { label: 'electioneering', re: letterRegExp(`${WORD_START}(?:[Rr]e-?elect|[Vv]ote\\s+for(?:\\s+the)?)\\s+\\p{Lu}\\p{L}+${WORD_END}`, 'u') },
  {
    label: 'electioneering',
    re: letterRegExp(`${WORD_START}(?:Focus|In\\s+Touch|Labour\\s+Rose)\\s+(?:[Ll]eaflets?|[Nn]ewsletters?|[Dd]eliver(?:y|ies)|[Rr]ounds?|[Tt]eams?)${WORD_END}`, 'u'),
  },
];

/**
 * Work a party's campaign shares with a council's, the police's or a charity's: a leaflet drop
 * about the new recycling collections, officers door-knocking after a burglary, donations to a
 * hospice's campaign. A party or campaign matter only in a message that also speaks of an election,
 * candidates, votes or a party (ELECTION_CONTEXT), and names no civic campaign.
 */
export const CAMPAIGN_ACTIVITIES: readonly PhrasePattern[] = [
  words('party or campaign matter', 'door-?\\s?knocking', 'knocking\\s+on\\s+(?:the\\s+)?doors', 'on\\s+the\\s+doorsteps?', 'leaflet(?:t)?ing', 'doorstep\\s+sessions?', 'leaflet\\s+(?:rounds?|drops?|delivery|deliveries)', 'delivery\\s+rounds?'),
  words('party or campaign matter', '(?:donations?|fundrais\\p{L}*)\\s+(?:to|for)\\s+(?:the|our)\\s+campaign'),
];

/** Words that set a message in an election or a party's affairs (a party's name counts too). */
export const ELECTION_CONTEXT: readonly PhrasePattern[] = [
  words(
    'election or party',
    '(?:by-?\\s?)?elections?',
    'candidates?',
    'candidacy',
    'polling\\s+day',
    'hustings',
    'manifesto',
    're-?elect\\p{L}*',
    'political\\s+part(?:y|ies)',
    'party\\s+(?:candidates?|branch|members?|literature|leaflets?|activists?|volunteers?)',
  ),
];

/** Party or campaign wording that is ambiguous beside a civic campaign ("leaflets for the campaign"). */
export const AMBIGUOUS_CAMPAIGN: readonly PhrasePattern[] = [
  words('campaign matter', 'leaflets?\\s+for\\s+(?:our|the|my)\\s+campaign', '(?:for|on)\\s+(?:our|the|my)\\s+campaign', 'campaign\\s+(?:leaflets?|posters?|materials?|meeting)', '(?:our|my)\\s+campaign'),
];

/** Organising party or campaign business: what a council mailbox must not carry (004 14.1). */
export const PARTY_BUSINESS: readonly PhrasePattern[] = [
  words('campaign business', '(?:election|campaign)\\s+literature', 'election\\s+leaflets?'),
  words(
    'campaign business',
    'canvass(?<!(?:annual|household|electoral|registration)\\s+canvass)(?:ing)?\\s+(?:session|sessions|rota|team|route|sheets|returns)',
    'join\\s+(?:me|us)\\s+(?:canvassing|on\\s+the\\s+doorstep|for\\s+(?:a|the)\\s+leaflet\\s+round|delivering)',
    `deliver\\s+(?:these|the|our|your)\\s+leaflets${NOT_ABOUT}`,
  ),
  words('campaign business', 'get\\s+out\\s+the\\s+vote', 'GOTV', 'vote\\s+for\\s+(?:me|us|our\\s+\\p{L}+)', 're-?elect\\s+(?:me|us|our\\s+\\p{L}+)'),
  words('campaign business', 'branch\\s+meeting', 'selection\\s+meeting', 'constituency\\s+party', 'party\\s+conference'),
  words('campaign business', "(?:our|the\\s+party['’]s|party)\\s+manifesto", 'election\\s+address(?:es)?'),
  words(
    'campaign business',
    'fighting\\s+fund',
    'party\\s+(?:membership|funds|fundraiser|fundraising|subs)',
    '(?:donations?|fundrais\\p{L}*)\\s+(?:to|for)\\s+(?:the|our)\\s+(?:party|branch|candidates?)',
  ),
];

/** Campaigns that are the council's own or a community's, not a party's. */
export const CIVIC_CAMPAIGNS: readonly PhrasePattern[] = [
  words(
    'civic campaign',
    "(?:council|council['’]s|town\\s+council['’]s|civic|community|awareness|publicity|safety|road\\s+safety|recycling|litter|anti-[\\p{L}-]+|tidy|in\\s+bloom|volunteer(?:ing)?|clean-?up|litter-?pick(?:ing)?|planting|tree|climate|warm\\s+spaces|health|wellbeing|dementia|fundraising)\\s+campaign",
  ),
  // "Keep Millbrook Tidy campaign", "Save Our Library campaign": a named campaign in capitals.
  {
    label: 'civic campaign',
    re: letterRegExp(String.raw`(?<![\p{L}\p{N}])(?:Keep|Love|Clean|Save|Make|Friends\s+of)(?:\s+\p{Lu}[\p{L}'’-]*){1,4}\s+[Cc]ampaign(?![\p{L}\p{N}])`, 'u'),
  },
];

/** Sentences of a message's own text; a line break ends one unless the next line carries on in lower case. */
export function sentences(text: string): string[] {
  return splitSentences(text);
}

/** A request that points elsewhere for its object ("could you print these?", "… of the attached"). */
const POINTS_AWAY = letterRegExp(String.raw`(?<![\p{L}])(?:this|these|that|those|it|them|attached|enclosed|below)(?![\p{L}])`, 'iu');
/** A sentence that hands over material ("Our election leaflet is attached.", "Here is the draft."). */
const HANDS_OVER = letterRegExp(String.raw`(?<![\p{L}])(?:attached|enclosed|below|here\s+(?:is|are)|please\s+find)(?![\p{L}])`, 'iu');

export interface PartyWorkAnalysis {
  /** A request paired with the party or campaign matter it concerns. */
  request?: Evidence;
  topics: Evidence[];
  /** Every request phrase found (for explaining a miss). */
  requests: Evidence[];
  /** Every party or campaign phrase found (for explaining a miss). */
  mentions: Evidence[];
  /** Civic campaigns that made "the campaign" ambiguous. */
  civic: Evidence[];
}

export interface PartySignals {
  parties: readonly string[];
  /** The council's own phrases (party or campaign matters). */
  extra: readonly PhrasePattern[];
}

/**
 * Every match of every pattern, in the words as they appear: each distinct phrase once, and a
 * phrase inside a longer one ("Tidy campaign" in "Keep Millbrook Tidy campaign") left out.
 */
export function findAllPhrases(text: string, patterns: readonly PhrasePattern[], field: string): Evidence[] {
  const found: { at: number; end: number; text: string }[] = [];
  for (const p of patterns) {
    for (const m of matchesIn(p.re, text)) found.push({ at: m.index, end: m.index + m[0].length, text: m[0] });
  }
  found.sort((a, b) => a.at - b.at || b.end - a.end);
  const outer = found.filter((f, i) => !found.some((o, j) => j !== i && o.at <= f.at && o.end >= f.end && (o.end - o.at > f.end - f.at || j < i)));
  return dedupe(outer.map((f) => ({ kind: 'phrase', text: f.text.replace(/\s+/g, ' ').trim(), field })));
}

/** `findAllPhrases`, skipped when the filter shows none of the patterns is in the text. */
function phrasesIn(filter: PhraseFilter, text: string, patterns: readonly PhrasePattern[], field: string): Evidence[] {
  return filter.mayMatch(text) ? findAllPhrases(text, patterns, field) : [];
}

/** The civic campaigns last found, for the same message asked about again (work, then business). */
let lastCivic: { subject: string; text: string; found: readonly Evidence[] } | undefined;

/** Civic campaigns named in the subject or the text. */
function civicCampaigns(subject: string, text: string): Evidence[] {
  if (lastCivic === undefined || lastCivic.subject !== subject || lastCivic.text !== text) {
    const filter = phraseFilter(CIVIC_CAMPAIGNS);
    const found = dedupe([...phrasesIn(filter, subject, CIVIC_CAMPAIGNS, 'subject'), ...phrasesIn(filter, text, CIVIC_CAMPAIGNS, 'body')]);
    lastCivic = { subject, text, found };
  }
  return lastCivic.found.map((e) => ({ ...e }));
}

function dedupe(list: readonly Evidence[]): Evidence[] {
  const seen = new Set<string>();
  return list.filter((e) => {
    const key = e.text.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Does the message ask for party or campaign work? A request and a party matter must share a
 * sentence, or stand in neighbouring sentences where the request points away ("could you print
 * these?") or the other sentence hands material over ("Our election leaflet is attached."), or the
 * subject names the matter.
 */
export function analysePartyWork(subject: string, text: string, signals: PartySignals): PartyWorkAnalysis {
  const named = contextPatternsOf(signals.parties);
  const civic = civicCampaigns(subject, text);
  const strong = [
    ...PARTY_TOPICS,
    ...ELECTIONEERING,
    ...signals.extra,
    ...(civic.length === 0 ? AMBIGUOUS_CAMPAIGN : []),
    ...campaignActivities(subject, text, signals.parties, civic),
  ];
  const strongFilter = phraseFilter(strong);
  const namedFilter = phraseFilter(named);
  const subjectTopics = [...phrasesIn(strongFilter, subject, strong, 'subject'), ...phrasesIn(namedFilter, subject, named, 'subject')];
  const parts = sentences(text);
  // Each list is read sentence by sentence only when one of its phrases is somewhere in the text.
  const strongBy = strongFilter.mayMatchAny(parts) ? parts.map((s) => phrasesIn(strongFilter, s, strong, 'body')) : parts.map(() => []);
  const namedBy = namedFilter.mayMatchAny(parts) ? parts.map((s) => phrasesIn(namedFilter, s, named, 'body')) : parts.map(() => []);
  const mentions = dedupe([...subjectTopics, ...strongBy.flat(), ...namedBy.flat()]);
  if (mentions.length === 0) return new NoMatter(subject, text, civic);
  const requestsBy = requestsIn(parts);
  const requests = dedupe(requestsBy.flat());

  for (let i = 0; i < parts.length; i += 1) {
    const request = requestsBy[i]?.[0];
    if (!request) continue;
    const here = [...(strongBy[i] ?? []), ...(namedBy[i] ?? [])];
    if (here.length > 0) return { request, topics: dedupe([...here, ...subjectTopics]), requests, mentions, civic };
    for (const j of [i - 1, i + 1]) {
      const near = strongBy[j] ?? [];
      const pointing = POINTS_AWAY.test(parts[i] ?? '') || HANDS_OVER.test(parts[j] ?? '');
      if (near.length > 0 && pointing) return { request, topics: dedupe([...near, ...subjectTopics]), requests, mentions, civic };
    }
    if (subjectTopics.length > 0) return { request, topics: dedupe(subjectTopics), requests, mentions, civic };
  }
  return { topics: [], requests, mentions, civic };
}

/** Every request for work, sentence by sentence: the reading requests-via-clerk uses too. */
function requestsIn(parts: readonly string[]): Evidence[][] {
  return requestsBySentence(parts);
}

/**
 * Civic campaigns in a message, looked for only if someone asks (to explain a miss). Classes here,
 * not object literals with getters: V8 gives each such literal a hidden class of its own, which
 * keeps the message's text alive until the next full collection (see `missExplainedWhenRead`).
 */
class CivicWhenAsked {
  #civic: Evidence[] | undefined;
  constructor(
    protected readonly subject: string,
    protected readonly text: string,
    civicFound?: Evidence[],
  ) {
    this.#civic = civicFound;
  }

  get civic(): Evidence[] {
    this.#civic ??= civicCampaigns(this.subject, this.text);
    return this.#civic;
  }
}

/**
 * The analysis of a message with no party or campaign matter: no request can be about one. The
 * requests and civic campaigns are looked for only if someone asks (to explain the miss).
 */
class NoMatter extends CivicWhenAsked implements PartyWorkAnalysis {
  readonly topics: Evidence[] = [];
  readonly mentions: Evidence[] = [];
  #requests: Evidence[] | undefined;

  get requests(): Evidence[] {
    this.#requests ??= dedupe(requestsIn(sentences(this.text)).flat());
    return this.#requests;
  }
}

/** Party or campaign business being organised in the subject or own text. */
export function findPartyBusiness(subject: string, text: string, signals: PartySignals): { phrases: Evidence[]; civic: Evidence[] } {
  const business = businessPatternsOf(signals.parties);
  const civic = civicCampaigns(subject, text);
  const patterns = [...PARTY_BUSINESS, ...ELECTIONEERING, ...business, ...signals.extra, ...campaignActivities(subject, text, signals.parties, civic)];
  const filter = phraseFilter(patterns);
  const phrases = dedupe([...phrasesIn(filter, subject, patterns, 'subject'), ...phrasesIn(filter, text, patterns, 'body')]);
  return { phrases, civic };
}
