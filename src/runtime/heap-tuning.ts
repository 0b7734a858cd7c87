/**
 * The V8 settings Wardwatch runs with, applied once, before anything else is loaded: both the
 * command (`bin/wardwatch.js`) and the benchmark worker import this module first, so the
 * benchmark measures exactly what users run.
 *
 * Allocation-site pretenuring is turned off. With it on, V8 notices that the mail parser's
 * many short-lived objects (header lines, address tokens, stream chunks) sometimes survive a
 * collection and starts allocating them straight into the old generation, where they linger
 * until a full collection: resident memory then grows with the number of messages read. With
 * it off they die young, as they should, and memory stays close to flat as a source grows
 * (measured on 2,500 → 20,000 generated messages: peak RSS ×1.70 with it on, ×1.36 with it
 * off, and slightly less CPU time).
 */
import v8 from 'node:v8';

/** The flags, as given on a `node` command line. */
export const HEAP_FLAGS: readonly string[] = ['--no-allocation-site-pretenuring'];

for (const flag of HEAP_FLAGS) v8.setFlagsFromString(flag);
