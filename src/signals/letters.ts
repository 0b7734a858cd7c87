/**
 * The whole-word guards the signals' patterns start and end with: not straight after, and not
 * straight before, a letter or digit of any script, so "print" is not found in "reprint", "printé"
 * or "印print". Patterns holding them need the `u` flag.
 */

/** Not straight after a letter or digit. */
export const WORD_START = '(?<![\\p{L}\\p{N}])';
/** Not straight before a letter or digit. */
export const WORD_END = '(?![\\p{L}\\p{N}])';
