/**
 * The council's directory: who is who (by any of their addresses), which wards exist and
 * how to recognise them, and which addresses are internal or belong to the media.
 */
import type { Config, Role, Title } from '../config/schema.js';
import { letterRegExp, WORD_END, WORD_START } from '../signals/letters.js';
import { escapeRegExp } from '../signals/regex.js';
import { withoutCouncilAddress } from '../signals/signature.js';

export interface Person {
  /** Primary address (the first listed), lower-cased: the person's stable id. */
  id: string;
  name: string;
  emails: string[];
  role: Role;
  wards: string[];
  titles: Title[];
  party?: string;
  manager?: string;
}

export interface Ward {
  id: string;
  name: string;
  places: string[];
  postcodes: string[];
}

export interface WardEvidence {
  ward: string;
  via: 'category' | 'place' | 'postcode';
  /** The text that matched (a category, a place name, a postcode). */
  matched: string;
  /** Which field it was found in. */
  field: string;
}

export interface WardResolution {
  /** The wards the item concerns; empty when unknown or ambiguous. */
  wards: string[];
  status: 'explicit' | 'inferred' | 'unknown' | 'ambiguous';
  evidence: WardEvidence[];
}

export interface WardText {
  categories?: string[];
  location?: string;
  subject?: string;
}

export function normalizeAddress(address: string): string {
  return address.trim().toLowerCase();
}

export function domainOf(address: string): string {
  const at = address.lastIndexOf('@');
  return at >= 0 ? address.slice(at + 1).toLowerCase() : '';
}

function domainMatches(domain: string, domains: readonly string[]): boolean {
  return domains.some((d) => domain === d || domain.endsWith(`.${d}`));
}


/** Whole-word, case-insensitive, whitespace-tolerant phrase matcher. */
function phraseRegExp(phrase: string): RegExp {
  const body = phrase
    .trim()
    .split(/\s+/)
    .map(escapeRegExp)
    .join('\\s+');
  return letterRegExp(`${WORD_START}${body}${WORD_END}`, 'iu');
}

/** Postcode or sector, e.g. "WA16 6" matches "WA16 6DA" and "wa166da". */
function postcodeRegExp(postcode: string): RegExp {
  const compact = postcode.replace(/\s+/g, '').toUpperCase();
  const m = /^([A-Z]{1,2}\d[A-Z\d]?)(\d)([A-Z]{2})?$/.exec(compact);
  if (!m) return phraseRegExp(postcode);
  const [, outward, sector, unit] = m;
  const tail = unit ? `${sector}${unit}` : `${sector}[A-Z]{2}`;
  return new RegExp(`(?<![A-Z0-9])${outward}\\s*${tail}(?![A-Z0-9])`, 'i');
}

/** A name's words without the titles in front of it ("Cllr Tom Brown" → Tom, Brown). */
export function nameTokens(name: string): string[] {
  return name.split(/\s+/).filter((t) => t.length > 0 && !/^(?:cllr|councillor|mr|mrs|ms|miss|mx|dr)\.?$/iu.test(t));
}

/** Titles that come and go in front of a name. */
const NAME_TITLES = new Set(['cllr', 'councillor', 'mr', 'mrs', 'ms', 'miss', 'mx', 'dr', 'the', 'rev', 'revd', 'mayor', 'deputy']);

/** A name's words without titles, quotes or punctuation, lower-cased and sorted ("Brown, Tom" and "Cllr Tom Brown" alike). */
function nameKey(name: string): string {
  return name
    .toLowerCase()
    .replace(/["'’(),.]/g, ' ')
    .split(/\s+/)
    .filter((w) => w.length > 0 && !NAME_TITLES.has(w))
    .sort()
    .join(' ');
}

export class Directory {
  readonly people: readonly Person[];
  readonly wards: readonly Ward[];
  readonly domains: readonly string[];
  readonly mediaDomains: readonly string[];
  readonly serviceAddress: string;
  /** What names the council in an address block: its name and its mail domains. */
  private readonly councilMarks: readonly string[];
  private readonly byAddress = new Map<string, Person>();
  private readonly wardById = new Map<string, Ward>();
  private readonly wardMatchers: { ward: string; via: 'place' | 'postcode'; text: string; re: RegExp }[] = [];
  private readonly categoryToWard = new Map<string, string>();

  constructor(config: Pick<Config, 'people' | 'wards' | 'council' | 'mediaDomains'>) {
    this.domains = config.council.domains.map((d) => d.toLowerCase());
    this.mediaDomains = config.mediaDomains.map((d) => d.toLowerCase());
    this.serviceAddress = normalizeAddress(config.council.serviceAddress);
    this.councilMarks = [config.council.name, ...this.domains];
    this.people = config.people.map((p) => {
      const emails = p.emails.map(normalizeAddress);
      const person: Person = {
        id: emails[0] ?? normalizeAddress(p.name),
        name: p.name,
        emails,
        role: p.role,
        wards: [...p.wards],
        titles: [...p.titles],
        // Every person in one shape (absent values undefined), so code reading people meets one kind of object.
        party: p.party,
        manager: p.manager !== undefined ? normalizeAddress(p.manager) : undefined,
      };
      for (const e of emails) this.byAddress.set(e, person);
      return person;
    });
    this.wards = config.wards.map((w) => ({ id: w.id, name: w.name, places: [...w.places], postcodes: [...w.postcodes] }));
    for (const w of this.wards) {
      this.wardById.set(w.id, w);
      this.categoryToWard.set(w.id.toLowerCase(), w.id);
      this.categoryToWard.set(w.name.toLowerCase(), w.id);
      this.categoryToWard.set(`ward: ${w.name.toLowerCase()}`, w.id);
      this.categoryToWard.set(`ward:${w.id.toLowerCase()}`, w.id);
      this.categoryToWard.set(`${w.name.toLowerCase()} ward`, w.id);
      this.wardMatchers.push({ ward: w.id, via: 'place', text: w.name, re: phraseRegExp(w.name) });
      for (const place of w.places) this.wardMatchers.push({ ward: w.id, via: 'place', text: place, re: phraseRegExp(place) });
      for (const pc of w.postcodes) this.wardMatchers.push({ ward: w.id, via: 'postcode', text: pc, re: postcodeRegExp(pc) });
    }
  }

  /** The council person using this address, if any (case-insensitive; personal addresses count). */
  person(address: string | undefined): Person | undefined {
    if (!address) return undefined;
    // Items carry addresses already normalized: one lookup finds them (normalizing a known address gives it back unchanged).
    return this.byAddress.get(address) ?? this.byAddress.get(normalizeAddress(address));
  }

  roleOf(address: string | undefined): Role | undefined {
    return this.person(address)?.role;
  }

  isInternal(address: string): boolean {
    return domainMatches(domainOf(address), this.domains);
  }

  /** Outside the council: neither on a council domain nor a known council person's (personal) address. */
  isExternal(address: string): boolean {
    return !this.isInternal(address) && !this.person(address) && normalizeAddress(address) !== this.serviceAddress;
  }

  isMedia(address: string): boolean {
    return domainMatches(domainOf(address), this.mediaDomains);
  }

  isService(address: string): boolean {
    return normalizeAddress(address) === this.serviceAddress;
  }

  clerks(): Person[] {
    return this.people.filter((p) => p.role === 'clerk');
  }

  members(): Person[] {
    return this.people.filter((p) => p.role === 'member');
  }

  officers(): Person[] {
    return this.people.filter((p) => p.role === 'officer');
  }

  membersOfWard(wardId: string): Person[] {
    return this.people.filter((p) => p.role === 'member' && p.wards.includes(wardId));
  }

  ward(idOrName: string): Ward | undefined {
    const direct = this.wardById.get(idOrName);
    if (direct) return direct;
    const id = this.categoryToWard.get(idOrName.trim().toLowerCase());
    return id ? this.wardById.get(id) : undefined;
  }

  /**
   * The one council person a display name means ("Cllr Tom Brown", "Brown, Tom", "Councillor Tom
   * Brown"), titles and order aside; undefined when nobody, or more than one person, has that name.
   * For mail that shows a name without an address (an Exchange forward's "From: Cllr Tom Brown").
   */
  personNamed(displayName: string): Person | undefined {
    const key = nameKey(displayName);
    if (key === '') return undefined;
    const found = this.people.filter((p) => nameKey(p.name) === key);
    return found.length === 1 ? found[0] : undefined;
  }

  /** True when one of these addresses belongs to the same person as `address`. */
  samePerson(a: string, b: string): boolean {
    const pa = this.person(a);
    const pb = this.person(b);
    if (pa && pb) return pa === pb;
    return normalizeAddress(a) === normalizeAddress(b);
  }

  /**
   * Which wards an event or message concerns. Explicit categories/labels naming a ward (by id or
   * name) win; otherwise the location, then the subject, are matched against each ward's name,
   * places and postcodes. More than one ward found by text → ambiguous: no guess. A title naming a
   * different ward from the venue's is ambiguous too: a meeting held at the Town Hall about a
   * street in another ward concerns that other ward, and only a person can tell which is meant.
   */
  wardsOf(text: WardText): WardResolution {
    const explicit: WardEvidence[] = [];
    for (const c of text.categories ?? []) {
      const id = this.categoryToWard.get(c.trim().toLowerCase());
      if (id && !explicit.some((e) => e.ward === id)) explicit.push({ ward: id, via: 'category', matched: c, field: 'categories' });
    }
    if (explicit.length > 0) return { wards: explicit.map((e) => e.ward), status: 'explicit', evidence: explicit };

    const atLocation = this.wardMatchesIn(text.location, 'location');
    const inSubject = this.wardMatchesIn(text.subject, 'subject');
    const locationWards = [...new Set(atLocation.map((f) => f.ward))];
    const subjectWards = [...new Set(inSubject.map((f) => f.ward))];
    if (locationWards.length > 1) return { wards: [], status: 'ambiguous', evidence: atLocation };
    if (locationWards.length === 1) {
      if (subjectWards.some((w) => w !== locationWards[0])) return { wards: [], status: 'ambiguous', evidence: [...atLocation, ...inSubject] };
      return { wards: locationWards, status: 'inferred', evidence: atLocation };
    }
    if (subjectWards.length === 1) return { wards: subjectWards, status: 'inferred', evidence: inSubject };
    if (subjectWards.length > 1) return { wards: [], status: 'ambiguous', evidence: inSubject };
    return { wards: [], status: 'unknown', evidence: [] };
  }

  /**
   * The wards a message's own words place it in (read as `field: 'subject'`), for when its subject
   * and labels name none: `ownWords` must already be without quoted history, signature and
   * disclaimers; the council's own address block is left out here too, and only the first
   * `limit` characters are read.
   */
  wardsOfOwnWords(ownWords: string, limit: number): WardResolution {
    return this.wardsOf({ subject: withoutCouncilAddress(ownWords, this.councilMarks).slice(0, limit) });
  }

  /** Every ward name, place and postcode found in one field. */
  private wardMatchesIn(value: string | undefined, field: 'location' | 'subject'): WardEvidence[] {
    if (!value) return [];
    const found: WardEvidence[] = [];
    for (const m of this.wardMatchers) {
      const hit = m.re.exec(value);
      if (hit) found.push({ ward: m.ward, via: m.via, matched: hit[0], field });
    }
    return found;
  }
}
