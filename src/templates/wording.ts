/**
 * Plain-English wording the templates receive ready-made (they are logic-less, so they
 * cannot join lists or format dates themselves): clause references, lists and dates.
 */
import type { ProtocolFile } from '../rules/types.js';

/** How to name each shared protocol file when a clause is cited with its file prefix ("004 12.1"). */
export const PROTOCOL_TITLES: Readonly<Record<ProtocolFile, string>> = {
  '000': "Alton Town Council’s Member/Officer Protocol",
  '001': 'the model Protocol on Officer and Member Relationships (2016)',
  '002': "Havant Borough Council’s Councillor/Officer Relations Protocol",
  '003': "Halstead Town Council’s Protocol on Member/Officer Relations",
  '004': "Knutsford Town Council’s Member/Officer Protocol",
};

/** The title used for the council's own clause numbers (a profile's or the council's `clauses:`). */
export const DEFAULT_PROTOCOL_TITLE = 'the Member/Officer Protocol';

const PREFIXED = /^(000|001|002|003|004)\s+(\S.*)$/;

function isProtocolFile(s: string): s is ProtocolFile {
  return s === '000' || s === '001' || s === '002' || s === '003' || s === '004';
}

/** "a", "a and b", "a, b and c" (no serial comma). */
export function joinList(items: readonly string[], conjunction = 'and'): string {
  if (items.length <= 1) return items[0] ?? '';
  return `${items.slice(0, -1).join(', ')} ${conjunction} ${items[items.length - 1] ?? ''}`;
}

/**
 * At most this many names in one list a person reads (a summary, a reason, a notice): a message
 * to 5,000 press addresses names three of them and counts the rest, so no message grows with the
 * number of recipients.
 */
export const LIST_LIMIT = 3;

/** "4,997 others", "1 other": the names a bounded list leaves out, counted. */
function othersPhrase(count: number): string {
  return `${count.toLocaleString('en-GB')} ${count === 1 ? 'other' : 'others'}`;
}

/**
 * Like `joinList`, naming at most `limit` items: "a, b, c and 4,997 others". Items are named
 * in the order given, so put the most telling first.
 */
export function boundedList(items: readonly string[], limit: number = LIST_LIMIT, conjunction = 'and'): string {
  if (items.length <= limit) return joinList(items, conjunction);
  return `${items.slice(0, Math.max(1, limit)).join(', ')} ${conjunction} ${othersPhrase(items.length - Math.max(1, limit))}`;
}

/**
 * A comma-separated list, as the rules' reasons write them, naming at most `limit` items:
 * "a, b" or "a, b, c and 4,997 others".
 */
export function boundedCommaList(items: readonly string[], limit: number = LIST_LIMIT): string {
  if (items.length <= limit) return items.join(', ');
  return boundedList(items, limit);
}

/**
 * Name clauses and their protocol in one phrase, e.g.
 * `["12.1"]` → "paragraph 12.1 of the Member/Officer Protocol";
 * `["4.6", "2.9"]` → "paragraphs 4.6 and 2.9 of the Member/Officer Protocol";
 * `["002 9.1", "004 12.1"]` → "paragraph 9.1 of Havant Borough Council's … and paragraph 12.1 of Knutsford …".
 * Clauses without a file prefix are the council's own and cite `protocolTitle`.
 */
export function describeClauses(clauses: readonly string[], protocolTitle: string = DEFAULT_PROTOCOL_TITLE): string {
  const groups = new Map<string, string[]>();
  for (const raw of clauses) {
    const clause = raw.trim();
    if (clause === '') continue;
    const m = PREFIXED.exec(clause);
    const file = m?.[1];
    const title = file !== undefined && isProtocolFile(file) ? PROTOCOL_TITLES[file] : protocolTitle;
    const number = m?.[2] ?? clause;
    const list = groups.get(title) ?? [];
    if (!list.includes(number)) list.push(number);
    groups.set(title, list);
  }
  if (groups.size === 0) return protocolTitle;
  const phrases = [...groups].map(([title, numbers]) => `${numbers.length === 1 ? 'paragraph' : 'paragraphs'} ${joinList(numbers)} of ${title}`);
  return joinList(phrases);
}

export { formatDay, formatWhen } from '../wording/dates.js';
