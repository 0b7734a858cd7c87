/**
 * The same event (same key) seen on several calendars — the council's calendar and a room's —
 * is one item. The newest revision (highest SEQUENCE) wins; on a tie the copy from a room
 * calendar is kept, because only that copy lets a booking be declined.
 */
import type { EventItem } from './types.js';

export function mergeEvent(a: EventItem, b: EventItem, isRoomCalendar: (calendarId: string) => boolean): EventItem {
  if (b.sequence > a.sequence) return b;
  if (a.sequence > b.sequence) return a;
  if (isRoomCalendar(b.calendarId) && !isRoomCalendar(a.calendarId)) return b;
  return a;
}
