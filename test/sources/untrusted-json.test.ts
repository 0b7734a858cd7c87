/** Reading a cloud API's JSON (src/sources/untrusted-json.ts): a wrong type reads as absent. */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { list, nonBlankString, parseStoredJson, record, trimmedString } from '../../src/sources/untrusted-json.js';

describe('untrusted JSON', () => {
  it('reads objects, strings and arrays, and nothing else as them', () => {
    expect(record({ a: 1 })).toEqual({ a: 1 });
    expect(record([1])).toBeUndefined();
    expect(record(null)).toBeUndefined();
    expect(trimmedString('  x ')).toBe('x');
    expect(trimmedString('   ')).toBeUndefined();
    expect(nonBlankString(' id ')).toBe(' id ');
    expect(nonBlankString(3)).toBeUndefined();
    expect(list('a')).toEqual([]);
    expect(list([1, 2])).toEqual([1, 2]);
  });

  it('reads stored JSON with a schema, absent when empty, broken or of another shape', () => {
    const schema = z.object({ v: z.literal(1) });
    expect(parseStoredJson(schema, '{"v":1}')).toEqual({ v: 1 });
    expect(parseStoredJson(schema, undefined)).toBeUndefined();
    expect(parseStoredJson(schema, '')).toBeUndefined();
    expect(parseStoredJson(schema, '{')).toBeUndefined();
    expect(parseStoredJson(schema, '{"v":2}')).toBeUndefined();
  });
});
