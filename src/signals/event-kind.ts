/**
 * Event signals shared by the event rules: what kind of meeting a calendar entry is (a public
 * meeting, a ward surgery, a party-group meeting, a consultation, a visit, a formal council
 * meeting), whether it is still live, and how to name its people and dates in a summary.
 *
 * Classification is explainable: explicit categories first, then the summary; the description is
 * read only when neither says anything. Every kind comes with the words that decided it.
 */
import type { Directory, WardResolution } from '../directory/directory.js';
import type { EventItem } from '../items/types.js';
import type { EventRuleInput, Evidence, RuleInput } from '../rules/types.js';
import { words, type PhrasePattern } from './match.js';
import { formatWhen } from '../wording/dates.js';
import { keyOfLists, memoize, memoizeList } from './memo.js';
import { andList } from './wording.js';
import { escapeRegExp } from './regex.js';

export const EVENT_KINDS = ['public-meeting', 'ward-surgery', 'party-group', 'consultation', 'visit', 'council-meeting'] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

export interface EventClassification {
  /** The kinds found, in EVENT_KINDS order. Empty when nothing marks the event. */
  kinds: EventKind[];
  /** Every category or phrase that decided a kept kind. */
  evidence: Evidence[];
  /** The same evidence, per kind. */
  byKind: Partial<Record<EventKind, Evidence[]>>;
}

/** Council-supplied phrases (plain words, not patterns), per kind. */
export type ExtraKindPhrases = Partial<Record<EventKind, readonly string[]>>;

const KIND_LABELS: Record<EventKind, string> = {
  'public-meeting': 'a public meeting',
  'ward-surgery': 'a ward surgery',
  'party-group': 'a party-group meeting',
  consultation: 'a consultation event',
  visit: 'a visit',
  'council-meeting': 'a formal council or committee meeting',
};

/** "a public meeting", "a ward surgery", … for reasons and summaries. */
export function kindLabel(kind: EventKind): string {
  return KIND_LABELS[kind];
}

const APOSTROPHE = "['\u2019]";

/** Phrases per kind, most specific first: the first that matches in a field is the evidence. */
const PHRASES: Record<Exclude<EventKind, 'party-group'>, PhrasePattern[]> = {
  'public-meeting': [
    words('public meeting', 'public meetings?'),
    words("residents' meeting", `residents${APOSTROPHE}? meetings?`),
    words('open meeting', 'open meetings?'),
    words('community meeting', 'community meetings?'),
  ],
  'ward-surgery': [
    words('ward surgery', `(?:ward|councillors?${APOSTROPHE}?|cllrs?|members?${APOSTROPHE}?|advice) surger(?:y|ies)`),
    words(
      'ward surgery',
      'meet your (?:local )?(?:ward )?(?:councillors?|cllrs?)',
      `(?:ward|councillors?${APOSTROPHE}?|cllrs?) advice sessions?`,
    ),
    // "surgery" alone, but not a doctor's, dentist's or vet's surgery, nor tree surgery or an operation.
    words(
      'surgery',
      `(?<!(?<![\\p{L}])(?:gp|doctors?${APOSTROPHE}?s?|dental|dentists?${APOSTROPHE}?s?|vets?${APOSTROPHE}?s?|veterinary|medical|tree|arboricultural|plastic|cosmetic|keyhole|eye|knee|hip|heart|day|minor|pet|animal|hospital)\\s)surger(?:y|ies)`,
    ),
  ],
  consultation: [
    words('consultation event', 'consultation (?:event|exhibition|drop-in|session|evening|day)s?'),
    words('public consultation', 'public consultations?'),
    words('exhibition of plans', 'exhibition of (?:the )?(?:draft |proposed )?plans', 'public exhibition', 'plans exhibition'),
    words('have your say', 'have your say'),
    words('consultation', 'consultations?'),
  ],
  visit: [
    words('site visit', 'site visits?', '(?:on-?)?site meetings?'),
    words('visit to', 'visits? to', 'visiting'),
    words('tour of', 'tours? of', 'tour round'),
    words('walkabout', 'walk-?abouts?', 'walk about', 'walkround', 'walk round'),
  ],
  'council-meeting': [
    words('full council', 'full council', 'extraordinary (?:council )?meeting', 'annual meeting of the council'),
    words('committee meeting', '(?:sub-)?committee meetings?', '(?:town |parish )?council meetings?'),
    words('committee', '(?:sub-)?committees?'),
  ],
};

/** Weak signal: a "drop-in" is a public meeting only when nothing else describes the event. */
const WEAK_PUBLIC_MEETING: PhrasePattern[] = [words('drop-in', 'drop-?in(?: session)?s?', 'drop in session')];

/** Categories that name a kind on their own, compared whole (case-insensitive). */
const CATEGORY_WORDS: Record<string, EventKind> = {
  visit: 'visit',
  visits: 'visit',
  'group meeting': 'party-group',
  'party group': 'party-group',
  'party group meeting': 'party-group',
  'political group': 'party-group',
  surgery: 'ward-surgery',
  committee: 'council-meeting',
};

/**
 * Words in a title that show the council is answering someone else's consultation (or working
 * "in consultation with" someone), not running one. Only titles are checked: a description or a
 * letter inviting residents to "respond to the consultation" is the council's own consultation.
 */
const NOT_OUR_CONSULTATION: PhrasePattern[] = [
  words(
    'response to a consultation',
    'consultation responses?',
    '(?:our |council(?:\u2019s|\'s)? )?respon(?:d|se|ding) to (?:the |a |an )?[\\p{L}\\p{N} ,\'\u2019/-]{0,60}consultation',
    'in consultation with',
  ),
];

/** The words of a title that show the council is responding to another body's consultation, if any. */
export function respondingToConsultation(title: string, field: string): Evidence | undefined {
  return firstMatch(title, NOT_OUR_CONSULTATION, field);
}


/** A pattern for a council-supplied phrase: plain words (no pattern syntax), whole words, any spacing. */
export function plainPhrase(label: string, phrase: string): PhrasePattern {
  return { ...plainPhraseOf(label, phrase) };
}

const plainPhraseOf = memoize(
  (label: string, phrase: string) => keyOfLists(label, phrase),
  (label: string, phrase: string): PhrasePattern => words(label, phrase.trim().split(/\s+/).map(escapeRegExp).join('\\s+')),
);

/**
 * The names a party's groups go by besides the one the directory gives: a council that lists its
 * members as "Liberal Democrat" still has a "Lib Dem Group", and a "Conservative" one a "Tory group".
 * Each entry is one party's names; a directory value that is any of them brings in all of them.
 */
const PARTY_NAME_FAMILIES: readonly (readonly string[])[] = [
  ['Liberal Democrat', 'Liberal Democrats', 'Lib Dem', 'Lib Dems', 'LibDem', 'LibDems'],
  ['Conservative', 'Conservatives', 'Conservative and Unionist', 'Tory', 'Tories'],
  ['Labour', 'Labour and Co-operative', 'Labour & Co-operative', 'Labour and Co-op', 'Labour Co-op'],
  ['Green', 'Greens'],
  ['Scottish National', 'SNP'],
  ['Independent', 'Independents'],
];
// "Plaid" and "Reform" alone are ordinary words ("Parking Reform Group"): Plaid Cymru and Reform UK go by their full names.

/** A party's name and the other names its group goes by (see PARTY_NAME_FAMILIES). */
export function partyNameFamily(name: string): readonly string[] {
  const key = name.trim().replace(/\s+/g, ' ').toLowerCase();
  return PARTY_NAME_FAMILIES.find((family) => family.some((n) => n.toLowerCase() === key)) ?? [name];
}

/** A party's name as used in "Labour Group" / "Liberal Democrats Party": the directory's value (and its other names) without a trailing "Party". */
function partyPattern(parties: readonly string[]): PhrasePattern | undefined {
  const stripped = parties.map((p) => p.trim().replace(/\s+party$/i, ''));
  const names = [...new Set(stripped.flatMap(partyNameFamily).filter((p) => p.length > 1))];
  if (names.length === 0) return undefined;
  const alternatives = names.map((n) => `${n.split(/\s+/).map(escapeRegExp).join('\\s+')}s?`).join('|');
  return words('party group', `(?:${alternatives})\\s+(?:party\\s+group|group|party)(?:\\s+meeting)?`);
}

const PARTY_GROUP_WORDS = words('party group', 'party group(?: meeting)?s?', 'political group(?: meeting)?s?', 'party[- ]political meetings?');

const partyPhrases = memoizeList((parties: readonly string[]): readonly PhrasePattern[] => {
  const byName = partyPattern(parties);
  return [...(byName ? [byName] : []), PARTY_GROUP_WORDS];
});

/** The patterns of every kind for one council's parties and extra phrases, built once per setting. */
/** The patterns of every kind, by the contents of the parties and the extra phrases. */
const kindPatternsByContents = memoize(
  (parties: readonly string[], extra: ExtraKindPhrases) => keyOfLists(parties, ...EVENT_KINDS.map((k) => extra[k] ?? [])),
  (parties: readonly string[], extra: ExtraKindPhrases): Record<EventKind, PhrasePattern[]> => {
    const patternsOf = (kind: EventKind): PhrasePattern[] => [
      ...(kind === 'party-group' ? partyPhrases(parties) : PHRASES[kind]),
      ...(extra[kind] ?? []).filter((p) => p.trim().length > 0).map((p) => plainPhraseOf(kind, p)),
    ];
    return {
      'public-meeting': patternsOf('public-meeting'),
      'ward-surgery': patternsOf('ward-surgery'),
      'party-group': patternsOf('party-group'),
      consultation: patternsOf('consultation'),
      visit: patternsOf('visit'),
      'council-meeting': patternsOf('council-meeting'),
    };
  },
);

/** A number for each list seen, so that the same lists make a short key without being read. */
const listIds = new WeakMap<readonly string[], number>();
let lastListId = 0;

function listId(list: readonly string[] | undefined): number {
  // No extra phrases is no extra phrases, whichever rule hands over its empty list: the rules
  // then share one set of patterns, and each event is classified once rather than once a rule.
  if (list === undefined || list.length === 0) return 0;
  let id = listIds.get(list);
  if (id === undefined) {
    lastListId += 1;
    id = lastListId;
    listIds.set(list, id);
  }
  return id;
}

/**
 * The patterns of every kind for one council's parties and extra phrases. Rules hand over the
 * same (unchanging) lists on every event, so they are recognised by identity first; equal lists
 * met afresh are recognised by their contents.
 */
const kindPatterns = memoize(
  (parties: readonly string[], extra: ExtraKindPhrases) => [parties, ...EVENT_KINDS.map((k) => extra[k])].map(listId).join(','),
  kindPatternsByContents,
);

function firstMatch(text: string, patterns: readonly PhrasePattern[], field: string): Evidence | undefined {
  for (const p of patterns) {
    const m = p.re.exec(text);
    if (m) return { kind: 'phrase', text: m[0].replace(/\s+/g, ' ').trim(), field };
  }
  return undefined;
}

type Found = Map<EventKind, Evidence[]>;

function add(found: Found, kind: EventKind, evidence: Evidence): void {
  const list = found.get(kind) ?? [];
  list.push(evidence);
  found.set(kind, list);
}

function scanField(text: string, field: string, patterns: Record<EventKind, PhrasePattern[]>, found: Found): void {
  const notOurs = field !== 'description' && firstMatch(text, NOT_OUR_CONSULTATION, field) !== undefined;
  for (const kind of EVENT_KINDS) {
    if (kind === 'consultation' && notOurs) continue;
    const ev = firstMatch(text, patterns[kind], field);
    if (ev) add(found, kind, ev);
  }
}

function normalizeCategory(c: string): string {
  return c.trim().replace(/\s+/g, ' ').toLowerCase();
}

/**
 * What kind of meeting an event is. `parties` are the party names used in the directory
 * (see `partiesOf`), so that "Labour Group meeting" is recognised as a party-group meeting.
 *
 * - A party-group meeting is never a public meeting (nor a formal council meeting).
 * - A committee or council meeting is a formal meeting: it is a public meeting only when it is
 *   also explicitly marked as one (a "Public Meeting" category or the words "public meeting").
 * - A "drop-in" counts as a public meeting only when nothing else describes the event.
 */
export function classifyEvent(item: EventItem, parties: readonly string[], extra: ExtraKindPhrases = {}): EventClassification {
  const patterns = kindPatterns(parties, extra);
  let known = classified.get(item);
  if (!known || known.categories !== item.categories || known.summary !== item.summary || known.description !== item.description) {
    known = { categories: item.categories, summary: item.summary, description: item.description, byPatterns: new Map() };
    classified.set(item, known);
  }
  let result = known.byPatterns.get(patterns);
  if (!result) {
    result = classifyWith(item, patterns);
    known.byPatterns.set(patterns, result);
  }
  return copyOf(result);
}

/**
 * Every event rule asks what kind of meeting an event is, most of them with the same patterns
 * (the council's extra phrases are usually none): the answer is kept beside the event while the
 * event lives, per set of patterns, and each caller gets its own copy.
 */
interface Classified {
  categories: readonly string[];
  summary: string;
  description: string;
  byPatterns: Map<Record<EventKind, PhrasePattern[]>, EventClassification>;
}

const classified = new WeakMap<EventItem, Classified>();

function copyOf(c: EventClassification): EventClassification {
  const byKind: Partial<Record<EventKind, Evidence[]>> = {};
  for (const k of c.kinds) byKind[k] = (c.byKind[k] ?? []).map((e) => ({ ...e }));
  return { kinds: [...c.kinds], evidence: c.kinds.flatMap((k) => byKind[k] ?? []), byKind };
}

function classifyWith(item: EventItem, patterns: Record<EventKind, PhrasePattern[]>): EventClassification {
  const found: Found = new Map();
  for (const category of item.categories) {
    const whole = CATEGORY_WORDS[normalizeCategory(category)];
    if (whole) add(found, whole, { kind: 'phrase', text: category.trim(), field: 'categories' });
    scanField(category, 'categories', patterns, found);
  }
  scanField(item.summary, 'summary', patterns, found);
  if (found.size === 0) scanField(item.description, 'description', patterns, found);
  if (found.size === 0) {
    for (const [field, text] of [['summary', item.summary], ['description', item.description]] as const) {
      const weak = firstMatch(text, WEAK_PUBLIC_MEETING, field);
      if (weak) {
        add(found, 'public-meeting', weak);
        break;
      }
    }
  }

  if (found.has('party-group')) {
    found.delete('public-meeting');
    found.delete('council-meeting');
  }
  if (found.has('council-meeting')) {
    const explicitPublic = (found.get('public-meeting') ?? []).some(
      (e) => e.field === 'categories' || /public\s+meeting/i.test(e.text),
    );
    if (!explicitPublic) found.delete('public-meeting');
  }

  const kinds = EVENT_KINDS.filter((k) => found.has(k));
  const byKind: Partial<Record<EventKind, Evidence[]>> = {};
  for (const k of kinds) byKind[k] = dedupeEvidence(found.get(k) ?? []);
  return { kinds, evidence: kinds.flatMap((k) => byKind[k] ?? []), byKind };
}

function dedupeEvidence(list: Evidence[]): Evidence[] {
  const seen = new Set<string>();
  return list.filter((e) => {
    const key = `${e.field ?? ''}\u0000${e.text.toLowerCase()}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The distinct party names of the council's people, for `classifyEvent`. */
export function partiesOf(directory: Directory): readonly string[] {
  let parties = partiesByDirectory.get(directory);
  if (!parties) {
    parties = [...new Set(directory.people.flatMap((p) => (p.party ? [p.party] : [])))];
    partiesByDirectory.set(directory, parties);
  }
  return parties;
}

/** A directory's people never change: their parties are worked out once (and the same list handed out, so what is built from it is found again at once). */
const partiesByDirectory = new WeakMap<Directory, readonly string[]>();

/** Narrow a rule input to an event. */
export function isEventInput(input: RuleInput): input is EventRuleInput {
  return input.item.kind === 'event';
}

export { formatDate, formatDay, formatWhen } from '../wording/dates.js';

/** When the event (or, for a series, its last listed occurrence) ends. */
export function lastEnd(item: EventItem): string {
  if (item.recurrenceId === undefined && item.occurrences.length > 0) {
    return item.occurrences.reduce((latest, o) => (Date.parse(o.end) > Date.parse(latest) ? o.end : latest), item.occurrences[0]?.end ?? item.end);
  }
  return item.end;
}

/** Why an event no longer needs attention (cancelled, or over), or undefined when it is live. */
export function whyInactive(item: EventItem, now: string, timeZone: string): string | undefined {
  if (item.status === 'CANCELLED') return `"${item.summary}" is cancelled`;
  const end = lastEnd(item);
  if (Date.parse(end) <= Date.parse(now)) {
    const series = item.recurrenceId === undefined && item.occurrences.length > 0 ? 'its last listed occurrence' : 'it';
    // An all-day event ends at midnight after its last day: name the last day itself.
    const shown = item.allDay ? new Date(Date.parse(end) - 1).toISOString() : end;
    return `"${item.summary}" is over: ${series} ended ${item.allDay ? 'on ' : ''}${formatWhen(shown, timeZone, item.allDay)}`;
  }
  return undefined;
}

/** "A", "A and B", "A, B and C". */
export { andList } from './wording.js';

/** The person's name for a council address, else the address itself. */
export function nameOf(directory: Directory, address: string): string {
  return directory.person(address)?.name ?? address;
}

/** "Castle ward", "Castle and Riverside wards". */
export function wardNames(directory: Directory, wardIds: readonly string[]): string {
  const names = wardIds.map((id) => directory.ward(id)?.name ?? id);
  return `${andList(names)} ward${names.length > 1 ? 's' : ''}`;
}

const WARD_FIELD_NAMES: Record<string, string> = {
  categories: 'the categories',
  labels: 'the labels',
  location: 'the location',
  subject: 'the title',
  summary: 'the title',
  body: 'the body',
  description: 'the description',
};

/**
 * One fact per ward match: `Castle ward: "Market Square" in the location`. `fieldNames` renames
 * fields (a mail's "subject" is its subject; an event's is its title).
 */
export function wardEvidence(directory: Directory, resolution: WardResolution, fieldNames: Record<string, string> = {}): Evidence[] {
  return resolution.evidence.map((e) => {
    const where = fieldNames[e.field] ?? WARD_FIELD_NAMES[e.field] ?? e.field;
    return { kind: 'fact' as const, text: `${directory.ward(e.ward)?.name ?? e.ward} ward: "${e.matched}" in ${where}` };
  });
}
