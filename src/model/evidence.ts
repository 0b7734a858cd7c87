/** What a rule says of a finding besides its summary: why it fired, and whom its actions concern. */

/** Why a rule fired: each phrase or fact that made it fire, so a clerk can judge it. */
export interface Evidence {
  kind: 'phrase' | 'fact';
  /** For a phrase: the words as they appear in the item. For a fact: a short statement. */
  text: string;
  /** Where a phrase was found (subject, body, location, …). */
  field?: string;
}

/** Who the actions of a hit go to, by role. Each action kind's spec says which of these it addresses. */
export interface HitTargets {
  /** The person whose mail or meeting broke the protocol (nudge / warn go here). */
  offender?: string;
  /** People a `notify` goes to (ward members to tell of a consultation or a visit, an organiser, an officer). */
  notify?: string[];
  /** Members to add to the event (`invite`). */
  invite?: string[];
  /** For `block`: the room calendar whose booking to decline. */
  room?: { calendarId: string; address?: string };
  /**
   * For a finding on a recurring series: the occurrence concerned (ISO instants). Every message,
   * the digest and a declined booking name this occurrence rather than the series' first date.
   */
  occurrence?: { start: string; recurrenceId: string };
}
