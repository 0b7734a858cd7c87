/**
 * Facts the engine resolves once per item, before any rule runs: who wrote it (unless it may be
 * spoofed), who saw it openly and who blindly, which wards it concerns.
 */
import type { CalendarConfig } from '../config/schema.js';
import type { Directory } from '../directory/directory.js';
import { isSendersSentCopy } from '../items/mail-merge.js';
import type { EventItem, MailItem } from '../items/types.js';
import type { EventFacts, MailFacts } from '../rules/types.js';

/** Domains that host mailing lists: every address on them is a list, not a person. */
const LIST_HOSTS = new Set(['googlegroups.com', 'groups.io', 'freelists.org', 'jiscmail.ac.uk']);

/** An address at a mailing-list host (listed above, or a `lists.` or `list.` domain). */
export function isListHost(address: string): boolean {
  const at = address.lastIndexOf('@');
  const domain = at < 0 ? '' : address.slice(at + 1).toLowerCase();
  return LIST_HOSTS.has(domain) || domain.startsWith('lists.') || domain.startsWith('list.');
}

function unique(values: Iterable<string>): string[] {
  return [...new Set(values)];
}

/**
 * True when something other than the message's own word says it comes from its From address: a
 * pass from a trusted receiving server, or a copy in the sender's own watched Sent folder.
 */
export function isVouchedFor(item: MailItem): boolean {
  return item.authentication.trustedPass === true || item.copies.some((copy) => isSendersSentCopy(item, copy));
}

export function computeMailFacts(item: MailItem, directory: Directory): MailFacts {
  const authorAddress = item.from[0]?.address;
  const claimed = directory.person(authorAddress);
  // Claiming a council person is not enough: a failed check, or no trusted word for it at all
  // (anyone outside can write a council address in From, and an Authentication-Results header
  // with it), leaves the message unattributed.
  const spoofSuspected = claimed !== undefined && (item.authentication.failed || !isVouchedFor(item));
  const visible = unique([...item.to, ...item.cc].map((a) => a.address));
  const visibleSet = new Set(visible);
  // A council address in To/Cc that is nobody in the directory is probably a distribution list, and
  // an address at a list host (a Google Group, groups.io, lists.…) certainly is one: delivery to a
  // watched mailbox then proves nothing about blind copies.
  const viaGroup = visible.some((a) => (directory.isInternal(a) && !directory.person(a) && !directory.isService(a)) || isListHost(a));
  const blind = new Set(item.bcc.map((a) => a.address));
  if (!viaGroup) {
    for (const copy of item.copies) {
      if (copy.folder === 'sent') continue;
      const owner = copy.mailbox;
      if (visibleSet.has(owner)) continue;
      if (authorAddress && directory.samePerson(owner, authorAddress)) continue;
      // Another of the owner's addresses may be the visible one.
      const person = directory.person(owner);
      if (person && person.emails.some((e) => visibleSet.has(e))) continue;
      blind.add(owner);
    }
  }
  // One shape for every message's facts (absent ones undefined), not spread together per message.
  return {
    author: claimed && !spoofSuspected ? claimed : undefined,
    authorAddress: authorAddress || undefined,
    spoofSuspected,
    visible,
    blind: [...blind].filter((a) => !visibleSet.has(a)),
    wards: directory.wardsOf({ categories: item.labels, subject: item.subject }),
  };
}

export function computeEventFacts(
  item: EventItem,
  directory: Directory,
  calendars: ReadonlyMap<string, CalendarConfig>,
): EventFacts {
  const organizer = directory.person(item.organizer?.address);
  const calendar = calendars.get(item.calendarId);
  const people = item.attendees.filter((a) => a.cutype !== 'ROOM' && a.cutype !== 'RESOURCE');
  const rooms = item.attendees.filter((a) => a.cutype === 'ROOM' || a.cutype === 'RESOURCE');
  return {
    organizer,
    calendar,
    wards: directory.wardsOf({ categories: item.categories, location: item.location, subject: item.summary }),
    attendees: unique(people.map((a) => a.address)),
    rooms: unique(rooms.map((a) => a.address)),
  };
}
