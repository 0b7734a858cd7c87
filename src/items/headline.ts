/** A mail item's headline: what messages about it name it by (see MailHeadline). */
import type { MailHeadline } from '../store/types.js';
import type { MailItem } from './types.js';

/** References kept with a headline: the thread's first and the latest (all a reply needs, RFC 5322 3.6.4). */
const KEPT_REFERENCES = 10;

function keptReferences(references: readonly string[]): string[] {
  if (references.length <= KEPT_REFERENCES) return [...references];
  return [references[0] as string, ...references.slice(references.length - (KEPT_REFERENCES - 1))];
}

export function headlineOf(item: Pick<MailItem, 'subject' | 'date' | 'from' | 'to' | 'cc'> & Partial<Pick<MailItem, 'references'>>): MailHeadline {
  const references = item.references !== undefined && item.references.length > 0 ? { references: keptReferences(item.references) } : {};
  return { subject: item.subject, ...(item.date !== undefined ? { date: item.date } : {}), from: item.from, to: item.to, cc: item.cc, ...references };
}
