/**
 * Reading a cloud API's JSON, which is outside input: each field is checked for its type where it
 * is read, and a wrong one reads as absent rather than throwing. One copy, so that every connector
 * reads a field the same way.
 */
import type { z } from 'zod';

export type Json = Readonly<Record<string, unknown>>;

/** True for a plain object (not an array, not null): its fields are then read one by one, each checked. */
function isJson(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A plain object, else undefined (arrays and null are not). */
export function record(value: unknown): Json | undefined {
  return isJson(value) ? value : undefined;
}

/** A non-empty string after trimming, trimmed; else undefined. */
export function trimmedString(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

/** A string that is not blank, as it is (untrimmed: an id or a link is used exactly as given); else undefined. */
export function nonBlankString(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

/** An array, else an empty one. */
export function list(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

/** Stored JSON text (a cursor, say) read with `schema`; undefined when absent, not JSON, or not of the schema. */
export function parseStoredJson<S extends z.ZodType>(schema: S, raw: string | undefined): z.output<S> | undefined {
  if (raw === undefined || raw === '') return undefined;
  try {
    const parsed = schema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
