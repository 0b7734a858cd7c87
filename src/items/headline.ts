/** A mail item's headline: what messages about it name it by (see MailHeadline). */
import type { MailHeadline } from '../store/types.js';
import type { MailItem } from './types.js';

export function headlineOf(item: Pick<MailItem, 'subject' | 'date' | 'from' | 'to' | 'cc'>): MailHeadline {
  return { subject: item.subject, ...(item.date !== undefined ? { date: item.date } : {}), from: item.from, to: item.to, cc: item.cc };
}
