/** Reading iCalendar text in tests: unfolded content lines, and an attendee's parameters (servers reorder them). */

/** Unfolded content lines. */
export function contentLines(ics: string): string[] {
  return ics.replace(/\r?\n[ \t]/g, '').split(/\r?\n/);
}

/** The parameters of the ATTENDEE line for an address, names in upper case; `ics` as text or as its content lines. */
export function attendeeParameters(ics: string | readonly string[], address: string): Record<string, string> | undefined {
  const lines = typeof ics === 'string' ? contentLines(ics) : ics;
  const line = lines.find((l) => /^ATTENDEE[;:]/i.test(l) && l.toLowerCase().endsWith(`:mailto:${address}`));
  if (line === undefined) return undefined;
  const head = line.slice(0, line.toLowerCase().lastIndexOf(':mailto:'));
  return Object.fromEntries(
    head
      .split(';')
      .slice(1)
      .map((p) => {
        const [k, ...v] = p.split('=');
        return [(k ?? '').toUpperCase(), v.join('=').replace(/^"|"$/g, '')];
      }),
  );
}
