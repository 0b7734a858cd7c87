/**
 * A Graph `event` as it comes over the wire, checked with zod before the connector treats it as
 * one: each property Wardwatch reads is given the type Graph documents, and a property of another
 * type is dropped (read as absent) rather than refusing the whole event, so one odd field cannot
 * hide a meeting. Properties Wardwatch does not read are kept as given (an attendee's other fields
 * go back unchanged when the attendee list is written whole).
 */
import type { Event } from '@microsoft/microsoft-graph-types';
import { z } from 'zod';

/** A property that is dropped, not fatal, when it is not what Graph documents (null reads as absent). */
function lenient<T extends z.ZodType>(schema: T) {
  return schema
    .nullish()
    .transform((value): z.output<T> | undefined => value ?? undefined)
    .catch(undefined);
}

/** A list whose unreadable entries are dropped one by one. */
function listOf<T extends z.ZodType>(item: T) {
  return z
    .array(z.unknown())
    .transform((items) => items.flatMap((i): z.output<T>[] => {
      const parsed = item.safeParse(i);
      return parsed.success ? [parsed.data] : [];
    }))
    .nullish()
    .transform((list) => list ?? undefined)
    .catch(undefined);
}

const text = lenient(z.string());

const EmailAddress = z.looseObject({ name: text, address: text });
const ResponseStatus = z.looseObject({
  response: lenient(z.enum(['none', 'organizer', 'tentativelyAccepted', 'accepted', 'declined', 'notResponded'])),
  time: text,
});
const DateTimeTimeZone = z.looseObject({ dateTime: text, timeZone: text });
const DayOfWeek = z.enum(['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday']);

const Attendee = z.looseObject({
  type: lenient(z.enum(['required', 'optional', 'resource'])),
  emailAddress: lenient(EmailAddress),
  status: lenient(ResponseStatus),
});

const Location = z.looseObject({ displayName: text, locationEmailAddress: text });

const PatternedRecurrence = z.looseObject({
  pattern: lenient(
    z.looseObject({
      type: lenient(z.enum(['daily', 'weekly', 'absoluteMonthly', 'relativeMonthly', 'absoluteYearly', 'relativeYearly'])),
      interval: lenient(z.number()),
      month: lenient(z.number()),
      dayOfMonth: lenient(z.number()),
      daysOfWeek: listOf(DayOfWeek),
      firstDayOfWeek: lenient(DayOfWeek),
      index: lenient(z.enum(['first', 'second', 'third', 'fourth', 'last'])),
    }),
  ),
  range: lenient(
    z.looseObject({
      type: lenient(z.enum(['endDate', 'noEnd', 'numbered'])),
      startDate: text,
      endDate: text,
      recurrenceTimeZone: text,
      numberOfOccurrences: lenient(z.number()),
    }),
  ),
});

export const GraphEventSchema = z.looseObject({
  id: z.string().min(1),
  changeKey: text,
  iCalUId: text,
  type: lenient(z.enum(['singleInstance', 'occurrence', 'exception', 'seriesMaster'])),
  seriesMasterId: text,
  subject: text,
  body: lenient(z.looseObject({ contentType: lenient(z.enum(['text', 'html'])), content: text })),
  bodyPreview: text,
  start: lenient(DateTimeTimeZone),
  end: lenient(DateTimeTimeZone),
  isAllDay: lenient(z.boolean()),
  isCancelled: lenient(z.boolean()),
  isOrganizer: lenient(z.boolean()),
  originalStart: text,
  originalStartTimeZone: text,
  originalEndTimeZone: text,
  recurrence: lenient(PatternedRecurrence),
  cancelledOccurrences: listOf(z.string()),
  location: lenient(Location),
  locations: listOf(Location),
  categories: listOf(z.string()),
  sensitivity: lenient(z.enum(['normal', 'personal', 'private', 'confidential'])),
  showAs: lenient(z.enum(['free', 'tentative', 'busy', 'oof', 'workingElsewhere', 'unknown'])),
  organizer: lenient(z.looseObject({ emailAddress: lenient(EmailAddress) })),
  attendees: listOf(Attendee),
  responseStatus: lenient(ResponseStatus),
});

/** The event, typed as Graph's own `Event`, or undefined when it is not an object with an id. */
export function parseGraphEvent(value: unknown): Event | undefined {
  const parsed = GraphEventSchema.safeParse(value);
  if (!parsed.success) return undefined;
  const event: Event = parsed.data;
  return event;
}
