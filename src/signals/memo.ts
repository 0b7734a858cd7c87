/**
 * Caches for what the signals build from a council's settings — phrase patterns from its party
 * names, ward names and extra phrases, date formats per zone — so that each is built once, not on
 * every item. Keys are the settings' contents, so a changed setting builds afresh; lists handed
 * over again (a council's settings are the same objects on every item) are found by identity
 * first, so lists must not be changed once handed over.
 */

/** Distinct settings kept per cache; a council has a handful, tests a few dozen. */
const MAX_ENTRIES = 256;

/**
 * `build` memoised on the string `keyOf` gives for its arguments. The cache is bounded (the
 * oldest entry goes first), so a long-running service whose settings change does not grow.
 */
export function memoize<A extends readonly unknown[], V>(keyOf: (...args: A) => string, build: (...args: A) => V): (...args: A) => V {
  const cache = new Map<string, V>();
  return (...args: A): V => {
    const key = keyOf(...args);
    if (cache.has(key)) return cache.get(key) as V;
    const value = build(...args);
    if (cache.size >= MAX_ENTRIES) {
      const oldest = cache.keys().next();
      if (!oldest.done) cache.delete(oldest.value);
    }
    cache.set(key, value);
    return value;
  };
}

/** An unambiguous key for lists of strings (JSON keeps ["a,b"] apart from ["a", "b"]). */
export function keyOfLists(...lists: readonly (readonly string[] | string | undefined)[]): string {
  return JSON.stringify(lists);
}

/**
 * `build` of one list of strings, memoised on the list's contents, with a shortcut for a list seen
 * before: a council's settings hand over the same (unchanging) list on every item, and reading it
 * again to make a key would cost more than looking it up.
 */
export function memoizeList<V>(build: (list: readonly string[]) => V): (list: readonly string[]) => V {
  const byContents = memoize((list: readonly string[]) => keyOfLists(list), build);
  const byList = new WeakMap<readonly string[], V>();
  return (list: readonly string[]): V => {
    if (byList.has(list)) return byList.get(list) as V;
    const value = byContents(list);
    byList.set(list, value);
    return value;
  };
}

/** As `memoizeList`, for a builder that also takes a label (the same list may come with several labels). */
export function memoizeLabelledList<V>(build: (label: string, list: readonly string[]) => V): (label: string, list: readonly string[]) => V {
  const byContents = memoize((label: string, list: readonly string[]) => keyOfLists(label, list), build);
  const byList = new WeakMap<readonly string[], Map<string, V>>();
  return (label: string, list: readonly string[]): V => {
    let byLabel = byList.get(list);
    if (!byLabel) {
      byLabel = new Map();
      byList.set(list, byLabel);
    }
    if (byLabel.has(label)) return byLabel.get(label) as V;
    const value = byContents(label, list);
    byLabel.set(label, value);
    return value;
  };
}
