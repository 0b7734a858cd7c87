/**
 * Conduct and capability signals: criticism of a named officer ("Dan is not up to the job", "his
 * conduct", "should be sacked") as opposed to criticism of a contractor, a policy or a report
 * (000 2.3, 2.4; 003 4.1; 004 15.2). A phrase counts only when it is said of an officer named in the
 * same clause, or of "he"/"she" straight after that officer was named; a negated phrase ("never
 * rude") does not count.
 */
import { letterRegExp } from './letters.js';
import { nameTokens, type Person } from '../directory/directory.js';
import type { Evidence } from '../rules/types.js';
import { words, type PhrasePattern } from './match.js';
import { phraseFilter } from './prefilter.js';
import { escapeRegExp, matchesIn } from './regex.js';
import { splitSentences } from './sentences.js';

export const CONDUCT_PHRASES: readonly PhrasePattern[] = [
  words('capability', 'not\\s+up\\s+to\\s+(?:the\\s+job|it|scratch)', 'out\\s+of\\s+(?:his|her|their)\\s+depth', 'not\\s+fit\\s+for\\s+(?:the\\s+)?(?:role|job|post|purpose)'),
  words('capability', 'incompeten(?:t|ce)', 'inept', 'useless', 'hopeless', 'clueless', 'capability(?:\\s+(?:issues?|concerns?|procedure|process|review))?'),
  words('capability', 'keeps?\\s+(?:making|getting)\\s+(?:mistakes|errors|things\\s+wrong|it\\s+wrong)', '(?:so\\s+many|too\\s+many|constant|repeated|basic)\\s+(?:mistakes|errors)'),
  words('capability', "can['’]?t\\s+do\\s+(?:his|her|their)\\s+job", "doesn['’]?t\\s+know\\s+what\\s+(?:he|she|they)\\s*(?:is|are|['’]s|['’]re)\\s+doing"),
  words('capability', 'performance\\s+(?:issues?|concerns?|problems?|management)', 'poor\\s+performance', 'under-?perform\\p{L}*'),
  words('capability', '(?:not|n[\'’]t)\\s+(?:very\\s+|at\\s+all\\s+)?(?:competent|capable|reliable|trustworthy)'),
  words('conduct', 'unprofessional', 'rude(?:ness)?', 'lazy', 'arrogant', 'obstructive', 'dishonest', 'liar', 'lied', 'lying\\s+to'),
  words('conduct', "can['’]?t\\s+be\\s+trusted", 'cannot\\s+be\\s+trusted', 'untrustworthy'),
  words('conduct', "(?:his|her|their|\\p{L}+['’]s)\\s+conduct", '(?:unacceptable|appalling|poor|bad|inappropriate|aggressive|disgraceful)\\s+(?:behaviour|conduct|attitude)', 'attitude\\s+problem'),
  words('conduct', 'disciplinary', 'disciplined', 'gross\\s+misconduct', 'misconduct'),
  // "bullied by a resident" or "the victim of bullying" is said of an officer wronged, not of their conduct.
  words('conduct', '(?<!(?:victim\\s+of|subjected\\s+to)\\s+)(?:bull(?:y|ying|ies)|bullied(?!\\s+by)|harass\\p{L}*(?!\\s+by))'),
  words(
    'conduct',
    'should\\s+(?:be\\s+)?(?:sacked|fired|dismissed|let\\s+go|disciplined|resign)',
    'ought\\s+to\\s+be\\s+(?:sacked|fired|dismissed)',
    '(?:sack|fire|get\\s+rid\\s+of)\\s+(?:him|her|them)',
  ),
  words('conduct', '(?:a|an|an\\s+absolute|a\\s+complete)\\s+(?:disgrace|embarrassment|liability)'),
];

/** A phrase preceded by "not", "never", "n't" or "no" within a word or two is negated. */
const NEGATED_BEFORE = letterRegExp(String.raw`(?:\bnot|n['’]t|\bnever|\bno|\bhardly)\s+(?:(?:\p{L}+)\s+)?(?:(?:\p{L}+)\s+)?$`, 'iu');
/** Third-person pronouns that carry an officer named just before into this clause. */
const PRONOUN = letterRegExp(String.raw`(?<![\p{L}])(?:he|she|they|him|her|his|their|them|he['’]s|she['’]s|they['’]re)(?![\p{L}])`, 'iu');
/** Nouns that take over the subject from the officer named before ("the contractor … he"). */
const OTHER_SUBJECT =
  letterRegExp(String.raw`(?<![\p{L}])(?:contractors?|company|firm|suppliers?|developers?|builders?|consultants?|landlords?|residents?|agents?|police|highways|county\s+council|district\s+council)(?![\p{L}])`, 'iu');

/**
 * Besides those, the people an officer meets at a counter or a market, who before a phrase are its
 * subject ("a couple of stallholders were rude to Priya"). They do not stop "he"/"she" meaning the
 * officer named before ("Several stallholders told me he was rude").
 */
const PUBLIC_SUBJECT = letterRegExp(
  String.raw`(?<![\p{L}])(?:stallholders?|traders?|callers?|customers?|visitors?|tenants?|neighbours?|members\s+of\s+the\s+public|the\s+public)(?![\p{L}])`,
  'iu',
);

/**
 * Before a phrase: the officer named before it received what it describes ("Priya received abusive
 * e-mails", "he has put up with bullying", "Dan was sent rude e-mails"): said to the officer, not
 * of them.
 */
const RECEIVED_BEFORE = letterRegExp(
  String.raw`(?<![\p{L}])(?:received|receiving|receives|faced|facing|suffered|suffering|endured|enduring|put\s+up\s+with|putting\s+up\s+with|dealt\s+with|dealing\s+with|subjected\s+to|on\s+the\s+receiving\s+end\s+of|(?:was|were|been|being|gets?|got|getting)\s+sent)\s+(?:[\p{L}'’-]+\s+){0,3}$`,
  'iu',
);

/** Before a phrase, a verb that receives only what is sent or said ("had some rude calls", "took rude calls", "fielding rude e-mails"). */
const HAD_BEFORE = letterRegExp(
  String.raw`(?<![\p{L}])(?:had|got|gets|getting|took|taking|takes|fielded|fielding|handled|handling)\s+(?!(?:been|being)(?![\p{L}]))(?:[\p{L}'’-]+\s+){0,3}$`,
  'iu',
);

/** Before a phrase, the officer doing it: "sent rude emails", "made rude remarks", "left a rude voicemail" (not "was sent"). */
const DID_BEFORE = letterRegExp(
  String.raw`(?<![\p{L}])(?<!(?:was|were|been|being|is|are|gets?|got|getting)\s)(?:sent|sends|sending|made|makes|making|wrote|writes|writing|posted|posts|left|leaves|gave|gives)\s+(?:[\p{L}'’-]+\s+){0,3}$`,
  'iu',
);

const SENT_OR_SAID = String.raw`(?:calls?|phone\s+calls?|e-?mails?|messages?|letters?|comments?|remarks?|abuse|complaints?|replies|posts?|voicemails?|texts?)`;

/** After a phrase: what was sent or said ("… calls", "… e-mails", "… abuse"). */
const SENT_OR_SAID_AFTER = letterRegExp(String.raw`^\s+(?:[\p{L}'’-]+\s+){0,2}?${SENT_OR_SAID}(?![\p{L}])`, 'iu');

/**
 * After a phrase: the phrase describes what was sent or said, from or by someone ("rude calls from
 * stallholders"), the noun straight after it; not "useless at answering calls from residents", nor
 * from the officer's own account or desk.
 */
const FROM_SOMEONE_AFTER = letterRegExp(
  String.raw`^\s+${SENT_OR_SAID}\s+(?:from|by)\s+(?!(?:his|her|their|the\s+(?:office|council)|a\s+work|work)(?![\p{L}]))`,
  'iu',
);

/** A verb that reports what others said ("Several traders have complained about …", "Residents told me …"). */
const REPORTED = letterRegExp(String.raw`(?<![\p{L}])(?:complain\p{L}*|said|say|says|told|tell|tells|report\p{L}*|mention\p{L}*|raised|describ\p{L}*)(?![\p{L}])`, 'iu');

/** The part of a lead whose nouns can be the phrase's subject: what follows the last reporting verb, if any ("… told me that the contractor was"). */
function subjectPart(lead: string): string {
  const reports = matchesIn(REPORTED, lead);
  const last = reports[reports.length - 1];
  return last ? lead.slice(last.index + last[0].length) : lead;
}

/** Is the phrase at `at` (its words `text`) something the officer named before it received, rather than did? */
function receivedByOfficer(clause: string, at: number, text: string): boolean {
  const lead = clause.slice(0, at);
  if (DID_BEFORE.test(lead)) return false;
  if (RECEIVED_BEFORE.test(lead)) return true;
  const rest = clause.slice(at + text.length);
  return (HAD_BEFORE.test(lead) && SENT_OR_SAID_AFTER.test(rest)) || FROM_SOMEONE_AFTER.test(rest);
}

export interface OfficerMention {
  person: Person;
  /** The words naming the officer, as written. */
  text: string;
  /** What the words were taken to mean, e.g. "“Dan” is Dan Okafor, an officer of the council". */
  means: string;
}

interface Namer {
  person: Person;
  re: RegExp;
  kind: 'full name' | 'first name' | 'surname' | 'address' | 'title';
}



/**
 * How the council's officers (and Clerks) can be named: full name, a first name no one else in the
 * directory shares, title and surname ("Mr Okafor"), an address, or "the Clerk" when there is one.
 */
export function officerNamers(people: readonly Person[]): Namer[] {
  return [...namersOf(people)];
}

/** The namers of one directory's people, built once per list of people (a directory's list never changes). */
const namersByPeople = new WeakMap<readonly Person[], readonly Namer[]>();

function namersOf(people: readonly Person[]): readonly Namer[] {
  let namers = namersByPeople.get(people);
  if (!namers) {
    namers = buildNamers(people);
    namersByPeople.set(people, namers);
  }
  return namers;
}

function buildNamers(people: readonly Person[]): Namer[] {
  const staff = people.filter((p) => p.role === 'officer' || p.role === 'clerk');
  const firstNameCount = new Map<string, number>();
  for (const p of people) {
    const first = nameTokens(p.name)[0];
    if (first) firstNameCount.set(first.toLowerCase(), (firstNameCount.get(first.toLowerCase()) ?? 0) + 1);
  }
  const namers: Namer[] = [];
  const b = '(?<![\\p{L}\\p{N}])';
  const e = '(?![\\p{L}\\p{N}])';
  for (const p of staff) {
    const tokens = nameTokens(p.name);
    const first = tokens[0];
    const last = tokens.length > 1 ? tokens[tokens.length - 1] : undefined;
    if (tokens.length > 1) namers.push({ person: p, re: letterRegExp(`${b}${tokens.map(escapeRegExp).join('\\s+')}${e}`, 'u'), kind: 'full name' });
    if (first && firstNameCount.get(first.toLowerCase()) === 1) namers.push({ person: p, re: letterRegExp(`${b}${escapeRegExp(first)}${e}`, 'u'), kind: 'first name' });
    if (last) namers.push({ person: p, re: letterRegExp(`${b}(?:Mr|Mrs|Ms|Miss|Mx|Dr)\\.?\\s+${escapeRegExp(last)}${e}`, 'u'), kind: 'surname' });
    for (const address of p.emails) namers.push({ person: p, re: letterRegExp(`${b}${escapeRegExp(address)}${e}`, 'iu'), kind: 'address' });
  }
  const clerks = people.filter((p) => p.role === 'clerk');
  const onlyClerk = clerks.length === 1 ? clerks[0] : undefined;
  if (onlyClerk) namers.push({ person: onlyClerk, re: letterRegExp(String.raw`(?<![\p{L}])(?:the|our)\s+(?:Town\s+)?Clerk(?![\p{L}])`, 'iu'), kind: 'title' });
  return namers;
}

interface Found {
  at: number;
  text: string;
}

function matchesOf(re: RegExp, text: string): Found[] {
  return matchesIn(re, text).map((m) => ({ at: m.index, text: m[0].replace(/\s+/g, ' ').trim() }));
}

function conductIn(clause: string, patterns: readonly PhrasePattern[]): Found[] {
  const out: Found[] = [];
  for (const p of patterns) {
    for (const m of matchesOf(p.re, clause)) {
      if (!NEGATED_BEFORE.test(clause.slice(0, m.at))) out.push(m);
    }
  }
  return out.sort((a, b) => a.at - b.at);
}

function mentionsIn(clause: string, namers: readonly Namer[]): (Found & { namer: Namer })[] {
  const out: (Found & { namer: Namer })[] = [];
  for (const n of namers) for (const m of matchesOf(n.re, clause)) out.push({ ...m, namer: n });
  // Longest first at a position, so "Dan Okafor" wins over "Dan".
  out.sort((a, b) => a.at - b.at || b.text.length - a.text.length);
  return out.filter((m, i) => !out.slice(0, i).some((o) => m.at >= o.at && m.at < o.at + o.text.length));
}

/** Where a sentence breaks into clauses. */
const CLAUSE_BREAK = letterRegExp(String.raw`[,;:()]|\s[-–—]\s|(?<![\p{L}])(?:but|however|whereas|although|though)(?![\p{L}])`, 'iu');

/** Every clause break of a sentence at once. */
const CLAUSE_BREAKS = new RegExp(CLAUSE_BREAK.source, `${CLAUSE_BREAK.flags}g`);

/**
 * The sentence with each clause break made a wall no pattern reads across (a NUL between spaces:
 * not a letter, digit or space), so a phrase found in any of its clauses is found here too and a
 * sentence without one can be passed over before it is split.
 */
export function walledClauses(sentence: string): string {
  return sentence.replace(CLAUSE_BREAKS, ' \u0000 ');
}

/** A sentence's clauses, split at commas, semicolons, dashes, brackets and "but"/"however". */
function clausesOf(sentence: string): string[] {
  return sentence
    .split(CLAUSE_BREAK)
    .map((c) => c.trim())
    .filter((c) => c.length > 0);
}

export interface ConductFinding {
  officer: Person;
  mention: OfficerMention;
  phrases: Evidence[];
}

function toMention(m: Found & { namer: Namer }): OfficerMention {
  const what = m.namer.person.role === 'clerk' ? 'the Clerk' : 'an officer of the council';
  const means = m.namer.kind === 'full name' ? `${m.namer.person.name} is ${what}` : `“${m.text}” is ${m.namer.person.name}, ${what}`;
  return { person: m.namer.person, text: m.text, means };
}

/**
 * Conduct or capability criticism said of a named officer in `text` (the message's own words).
 * People in `exclude` (the author) are never the officer criticised.
 */
export function findConductAbout(
  text: string,
  people: readonly Person[],
  exclude: readonly Person[],
  extra: readonly PhrasePattern[] = [],
): ConductFinding[] {
  const patterns = [...CONDUCT_PHRASES, ...extra];
  const filter = phraseFilter(patterns);
  const sentences = splitSentences(text);
  // Without a conduct or capability phrase in any sentence, nobody is criticised: the sentences
  // need no splitting into clauses, nor the names reading.
  if (!filter.mayMatchAny(sentences.map(walledClauses))) return [];
  const clausesBySentence = sentences.map(clausesOf);
  const conductBySentence = clausesBySentence.map((clauses) => clauses.map((clause) => (filter.mayMatch(clause) ? conductIn(clause, patterns) : [])));
  if (conductBySentence.every((clauses) => clauses.every((found) => found.length === 0))) return [];
  const namers = namersOf(people).filter((n) => !exclude.includes(n.person));
  const byOfficer = new Map<Person, ConductFinding>();
  const record = (officer: Person, mention: OfficerMention, phrases: readonly Found[], field: string): void => {
    const entry = byOfficer.get(officer) ?? { officer, mention, phrases: [] };
    for (const p of phrases) {
      if (!entry.phrases.some((x) => x.text.toLowerCase() === p.text.toLowerCase())) entry.phrases.push({ kind: 'phrase', text: p.text, field });
    }
    byOfficer.set(officer, entry);
  };

  /** The officer last named, and in which sentence, for "he"/"she" in what follows. */
  let last: { mention: OfficerMention; sentence: number } | undefined;
  clausesBySentence.forEach((clauses, si) => {
    clauses.forEach((clause, ci) => {
      const mentions = mentionsIn(clause, namers);
      const conduct = conductBySentence[si]?.[ci] ?? [];
      const firstPhrase = conduct[0];
      if (firstPhrase !== undefined) {
        // The officer named nearest before the phrase; else one named after it, unless someone
        // else is the subject before it ("a resident was rude to Dan").
        const before = mentions.filter((m) => m.at < firstPhrase.at);
        const lead = clause.slice(0, firstPhrase.at);
        const subjects = subjectPart(lead);
        const otherSubject = OTHER_SUBJECT.test(subjects) || mentionsOfOthers(lead, people, exclude);
        // An officer named before the phrase (or "he"/"she") who received it was wronged, not at fault.
        const received = receivedByOfficer(clause, firstPhrase.at, firstPhrase.text);
        const named = before[before.length - 1];
        const publicSubject = PUBLIC_SUBJECT.test(subjects);
        const chosen = named !== undefined ? (received ? undefined : named) : otherSubject || publicSubject ? undefined : mentions[0];
        if (chosen) {
          record(chosen.namer.person, toMention(chosen), conduct, 'body');
        } else if (
          named === undefined &&
          !received &&
          last &&
          !otherSubject &&
          si - last.sentence <= 1 &&
          PRONOUN.test(clause.slice(0, firstPhrase.at + firstPhrase.text.length))
        ) {
          record(last.mention.person, last.mention, conduct, 'body');
        }
      }
      // Who "he"/"she" would mean next: the officer named last, unless someone or something else
      // is named after them ("I spoke to Dan about the contractor.").
      const lastMention = mentions[mentions.length - 1];
      const after = lastMention ? clause.slice(lastMention.at + lastMention.text.length) : clause;
      if (OTHER_SUBJECT.test(after) || mentionsOfOthers(after, people, exclude)) {
        last = undefined;
      } else if (lastMention) {
        last = { mention: toMention(lastMention), sentence: si };
      }
    });
  });
  return [...byOfficer.values()];
}

/** Does the clause name a council member (someone "he"/"she" could mean instead of the officer)? */
function mentionsOfOthers(clause: string, people: readonly Person[], exclude: readonly Person[]): boolean {
  return people.some((p) => {
    if (p.role !== 'member' || exclude.includes(p)) return false;
    const re = memberNamer(p);
    return re !== undefined && re.test(clause);
  });
}

/** How a member can be named ("Tom Brown", "Cllr Brown"), built once per person; undefined when the name has no words. */
const memberNamers = new WeakMap<Person, { name: string; re: RegExp | undefined }>();

function memberNamer(p: Person): RegExp | undefined {
  const known = memberNamers.get(p);
  if (known && known.name === p.name) return known.re;
  const tokens = nameTokens(p.name);
  const last = tokens[tokens.length - 1];
  const re =
    last === undefined
      ? undefined
      : letterRegExp(`(?<![\\p{L}])(?:${escapeRegExp(tokens.join(' '))}|(?:Cllr|Councillor)\\.?\\s+${escapeRegExp(last)})(?![\\p{L}])`, 'u');
  memberNamers.set(p, { name: p.name, re });
  return re;
}
