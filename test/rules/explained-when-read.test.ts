/**
 * What is worked out only when read (a miss's reason, the phrases that explain it) is worked out
 * then and not before, and its getter is shared by every result of its kind rather than made
 * afresh on each one. An object literal with a `get` makes V8 give each result a hidden class of
 * its own, kept until a full collection with everything the getter reaches (the message's text
 * among it): over 20,000 messages that doubled what was moved to the old generation.
 */
import { describe, expect, test } from 'vitest';
import { missExplainedWhenRead } from '../../src/rules/types.js';
import { analysePartyWork, findPartyBusiness, partyNames } from '../../src/signals/political.js';
import { analyseRequests } from '../../src/signals/requests.js';

/** The getter that gives `key`, wherever it is: undefined when `key` is a plain value. */
function getterOf(value: object, key: string): (() => unknown) | undefined {
  for (let o: object | null = value; o !== null; o = Object.getPrototypeOf(o) as object | null) {
    const d = Object.getOwnPropertyDescriptor(o, key);
    if (d) return d.get;
  }
  return undefined;
}

/** Two results share their getter for `key`, and neither carries it as its own property. */
function expectSharedGetter(a: object, b: object, key: string): void {
  expect(Object.getOwnPropertyDescriptor(a, key)).toBeUndefined();
  expect(Object.getOwnPropertyDescriptor(b, key)).toBeUndefined();
  const getter = getterOf(a, key);
  expect(getter).toBeTypeOf('function');
  expect(getterOf(b, key)).toBe(getter);
}

describe('missExplainedWhenRead', () => {
  test('explains only when the reason is read, each time it is read, and is a miss', () => {
    let explained = 0;
    const miss = missExplainedWhenRead(() => {
      explained++;
      return 'nothing to see';
    });
    expect(miss.hits).toEqual([]);
    expect(explained).toBe(0);
    expect(miss.reason).toBe('nothing to see');
    expect(miss.reason).toBe('nothing to see');
    expect(explained).toBe(2);
  });

  test('every such miss shares one getter', () => {
    expectSharedGetter(missExplainedWhenRead(() => 'a'), missExplainedWhenRead(() => 'b'), 'reason');
  });
});

describe('signals read only to explain a miss', () => {
  const signals = { parties: partyNames(['Millbrook First']), extra: [] };

  test('no request for work: the factual phrases and deadlines, when asked, from a shared getter', () => {
    const a = analyseRequests('How many hirers are there? Is there parking?');
    const b = analyseRequests('Thank you for the minutes.');
    expect(a.requests).toEqual([]);
    expect(a.factual.map((e) => e.text)).toEqual(['How many', 'are there', 'Is there']);
    expect(b.deadlines).toEqual([]);
    expectSharedGetter(a, b, 'factual');
    expectSharedGetter(a, b, 'deadlines');
  });

  test('no party matter: the requests and civic campaigns, when asked, from a shared getter', () => {
    const a = analysePartyWork('Bins', 'Could you tell me when the bins are collected?', signals);
    const b = analysePartyWork('Benches', 'Could you arrange for the benches to be repainted?', signals);
    expect(a.topics).toEqual([]);
    expect(b.requests.map((e) => e.text)).toContain('Could you arrange');
    expectSharedGetter(a, b, 'requests');
    expectSharedGetter(a, b, 'civic');
  });

  test('no party business: no phrases, and the civic campaigns the message names', () => {
    const a = findPartyBusiness('Potholes', 'The potholes on Mill Lane are back.', signals);
    const b = findPartyBusiness('Litter', 'Thank you for joining the Keep Millbrook Tidy campaign.', signals);
    expect(a.phrases).toEqual([]);
    expect(a.civic).toEqual([]);
    expect(b.phrases).toEqual([]);
    expect(b.civic.map((e) => e.text)).toEqual(['Keep Millbrook Tidy campaign']);
  });
});
