/**
 * Strings cut out of a larger one (a header value out of the whole header block, a phrase out of a
 * message body) keep the larger one alive for as long as they live. What is kept for a long time —
 * an item's key, a merge summary, a finding's evidence — is stored as a detached copy instead.
 */

/** Any character outside Latin-1: such a string is copied code unit by code unit. */
const WIDE = /[^\u0000-\u00ff]/;

/** An equal string that shares no memory with any other (every code unit kept, lone surrogates too). */
export function detached(s: string): string {
  return WIDE.test(s) ? Buffer.from(s, 'utf16le').toString('utf16le') : Buffer.from(s, 'latin1').toString('latin1');
}
