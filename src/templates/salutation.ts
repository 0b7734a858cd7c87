/**
 * How a message greets its reader ("Dear Councillor Mehta,") and how it speaks to them (a
 * finding's sentence in the second person: "You asked Dan Okafor…").
 *
 * The default greeting follows the usual practice of English town councils: a councillor is
 * "Councillor <surname>" (the configured name with any "Cllr"/"Councillor" prefix and honorific
 * left out); an officer or the Clerk, being a colleague of the Clerk's office, by first name.
 * A person's `salutation` in the configuration always wins ("Mr Okafor", "Madam Mayor", "Jane").
 */
import type { Config, PersonConfig } from '../config/schema.js';

/** Words in front of a name that are not part of it. */
const PREFIXES: ReadonlySet<string> = new Set([
  'cllr', 'cllr.', 'councillor', 'cr', 'cr.', 'mr', 'mr.', 'mrs', 'mrs.', 'ms', 'ms.', 'miss', 'mx', 'mx.', 'dr', 'dr.',
  'prof', 'prof.', 'professor', 'sir', 'dame', 'lord', 'lady', 'rev', 'rev.', 'revd', 'the',
]);

/** Letters after a name (honours and qualifications), dropped from the surname. */
const POSTNOMINAL = /^(?:[A-Z]{2,6}|[A-Z][a-z]?[A-Z]{1,4}|Jr\.?|Sr\.?)$/;

/** The name's own words: without prefixes such as "Cllr" or "Dr", nor letters after it such as "MBE". */
export function nameWords(name: string): string[] {
  const words = name.split(/[\s,]+/).filter((w) => w !== '');
  let start = 0;
  while (start < words.length - 1 && PREFIXES.has((words[start] ?? '').toLowerCase())) start += 1;
  let end = words.length;
  while (end - 1 > start && POSTNOMINAL.test(words[end - 1] ?? '')) end -= 1;
  return words.slice(start, end);
}

type Salutable = Pick<PersonConfig, 'name' | 'role'> & { salutation?: string | undefined };

/** "Councillor Mehta" for a member, "Dan" for an officer or the Clerk, or the configured salutation. */
export function salutationOf(person: Salutable): string {
  const own = person.salutation?.trim();
  if (own !== undefined && own !== '') return own;
  const words = nameWords(person.name);
  if (words.length === 0) return person.name.trim();
  if (person.role === 'member') return `Councillor ${words[words.length - 1] ?? ''}`;
  return words[0] ?? person.name.trim();
}

/** Greets people by address: configured people by their salutation, anyone else formally. */
export class Salutations {
  private readonly byAddress = new Map<string, string>();

  constructor(people: Config['people']) {
    for (const p of people) {
      const salutation = salutationOf(p);
      for (const e of p.emails) {
        const key = e.trim().toLowerCase();
        if (!this.byAddress.has(key)) this.byAddress.set(key, salutation);
      }
    }
  }

  /** The greeting for one address; "Sir or Madam" for an address nobody configured. */
  of(address: string): string {
    return this.byAddress.get(address.trim().toLowerCase()) ?? 'Sir or Madam';
  }

  /** The greeting for several readers of one message: each by name, or "colleagues" beyond three. */
  ofAll(addresses: readonly string[]): string {
    const unique = [...new Set(addresses.map((a) => this.of(a)))];
    if (unique.length === 0) return 'Sir or Madam';
    if (unique.length > 3) return 'colleagues';
    return unique.length === 1 ? (unique[0] ?? '') : `${unique.slice(0, -1).join(', ')} and ${unique[unique.length - 1] ?? ''}`;
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const THIRD_TO_SECOND: Readonly<Record<string, string>> = { has: 'have', is: 'are', was: 'were', does: 'do' };

/**
 * A finding's sentence as said to the person it names: "Cllr Raj Mehta asked Dan Okafor…" to
 * Cllr Raj Mehta reads "You asked Dan Okafor…"; "…with Cllr Tom Brown's ward" → "…with your ward".
 * Names are matched whole (a longer name containing this one is left alone).
 */
export function addressedTo(sentence: string, readerName: string): string {
  const name = readerName.trim();
  if (name === '' || !sentence.includes(name)) return sentence;
  const pattern = new RegExp(`(^|[^\\p{L}\\p{N}])${escapeRegExp(name)}(['’]s)?(?![\\p{L}\\p{N}])`, 'gu');
  return sentence.replace(pattern, (_m, before: string, possessive: string | undefined, offset: number) => {
    const atStart = offset + before.length === 0 || /[.!?]\s*$/.test(sentence.slice(0, offset + before.length));
    const word = possessive !== undefined ? 'your' : 'you';
    return `${before}${atStart ? word.charAt(0).toUpperCase() + word.slice(1) : word}`;
  }).replace(/(^|[.!?]\s+)You (has|is|was|does)\b/g, (_m, lead: string, verb: string) => `${lead}You ${THIRD_TO_SECOND[verb] ?? verb}`);
}

/**
 * One style of quotation marks in every message: straight double quotes around a phrase become
 * curly ones (“…”), and a straight apostrophe becomes ’. Linear: one pass over the text.
 */
export function curlyQuotes(text: string): string {
  let open = true;
  let out = '';
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charAt(i);
    if (c === '"') {
      const prev = i > 0 ? text.charAt(i - 1) : ' ';
      // An opening quote follows a space, a bracket or the start; otherwise it closes.
      const opening: boolean = /[\s([{\u2014\u2013-]/.test(prev) ? true : /[\p{L}\p{N}.,!?;:)\]…’']/u.test(prev) ? false : open;
      out += opening ? '“' : '”';
      open = !opening;
    } else if (c === "'") {
      const prev = i > 0 ? text.charAt(i - 1) : ' ';
      out += /[\s([{]/.test(prev) ? '‘' : '’';
    } else {
      out += c;
    }
  }
  return out;
}
