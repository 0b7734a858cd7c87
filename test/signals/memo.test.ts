import { describe, expect, it } from 'vitest';
import { keyOfLists, memoize, memoizeLabelledList, memoizeList } from '../../src/signals/memo.js';

describe('memoize', () => {
  it('builds once per key and gives the same value back', () => {
    let builds = 0;
    const twice = memoize(String, (s: string) => {
      builds += 1;
      return { doubled: s + s };
    });
    const first = twice('ab');
    expect(first).toEqual({ doubled: 'abab' });
    expect(twice('ab')).toBe(first);
    expect(builds).toBe(1);
    expect(twice('cd')).toEqual({ doubled: 'cdcd' });
    expect(builds).toBe(2);
  });

  it('keeps at most 256 entries, dropping the oldest first', () => {
    let builds = 0;
    const id = memoize(String, (s: string) => {
      builds += 1;
      return s;
    });
    for (let i = 0; i < 257; i++) id(`k${i}`);
    expect(builds).toBe(257);
    id('k256');
    expect(builds).toBe(257);
    id('k0');
    expect(builds).toBe(258);
  });

  it('does not cache a build that throws', () => {
    let calls = 0;
    const failing = memoize(String, (s: string) => {
      calls += 1;
      throw new RangeError(`bad ${s}`);
    });
    expect(() => failing('x')).toThrow('bad x');
    expect(() => failing('x')).toThrow('bad x');
    expect(calls).toBe(2);
  });
});

describe('keyOfLists', () => {
  it('tells lists apart that a joined string would confuse', () => {
    expect(keyOfLists(['a,b'])).not.toBe(keyOfLists(['a', 'b']));
    expect(keyOfLists('x', ['y'])).not.toBe(keyOfLists('x,y', []));
  });
});

describe('memoizeList and memoizeLabelledList', () => {
  it('builds once per list contents, whether the same list or an equal one', () => {
    let builds = 0;
    const joined = memoizeList((list: readonly string[]) => {
      builds += 1;
      return list.join('+');
    });
    const list = ['a', 'b'];
    expect(joined(list)).toBe('a+b');
    expect(joined(list)).toBe('a+b');
    expect(joined(['a', 'b'])).toBe('a+b');
    expect(builds).toBe(1);
    expect(joined(['b', 'a'])).toBe('b+a');
    expect(builds).toBe(2);
  });

  it('keeps the label apart', () => {
    let builds = 0;
    const labelled = memoizeLabelledList((label: string, list: readonly string[]) => {
      builds += 1;
      return `${label}:${list.join('+')}`;
    });
    const list = ['x'];
    expect(labelled('one', list)).toBe('one:x');
    expect(labelled('two', list)).toBe('two:x');
    expect(labelled('one', list)).toBe('one:x');
    expect(labelled('one', ['x'])).toBe('one:x');
    expect(builds).toBe(2);
  });
});
