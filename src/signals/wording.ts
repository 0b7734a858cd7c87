/** Small wording helpers shared by the rules' summaries and reasons. */
import { boundedCommaList, boundedList } from '../templates/wording.js';

/**
 * "A", "A and B", "A, B and C"; beyond a few names, "A, B, C and 4,997 others", so that a
 * message to thousands of addresses does not make a summary (and every message quoting it) as long.
 */
export function andList(items: readonly string[]): string {
  return boundedList(items);
}

/** "A, B, C" as the rules' reasons list people; beyond a few, "A, B, C and 4,997 others". */
export function commaList(items: readonly string[]): string {
  return boundedCommaList(items);
}
