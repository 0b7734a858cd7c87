/**
 * Judging items a batch at a time (rule by rule across the batch) gives exactly what judging them
 * one by one gives: the same findings, notices and verdicts, in the same order.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { generateCorpus } from '../../bench/generate.js';
import { readFolderSource } from '../../connectors/folder/read.js';
import { setupEngine } from '../../src/cli/engine-setup.js';
import { benchCouncil } from '../../bench/council.js';
import { ConfigSchema } from '../../src/config/schema.js';
import { Engine } from '../../src/engine/engine.js';
import type { Item } from '../../src/items/types.js';
import { checkSource, horizonFor } from '../../src/pipeline/check.js';
import { ItemStream } from '../../src/pipeline/item-stream.js';
import type { AnyRule } from '../../src/rules/index.js';
import { evaluateRule, type Evaluation, type RuleContext, type RuleInput } from '../../src/rules/types.js';

const root = path.resolve(import.meta.dirname, '../..');
const NOW = '2027-04-12T09:00:00.000Z';

async function itemsOf(engine: Engine, dir: string): Promise<Item[]> {
  const stream = new ItemStream({
    timeZone: engine.config.council.timezone,
    horizon: horizonFor(NOW, engine.config.horizonDays),
    isRoomCalendar: (id) => engine.isRoomCalendar(id),
  });
  const items: Item[] = [];
  for await (const entry of readFolderSource(dir)) if (entry.kind !== 'problem') items.push(...(await stream.take(entry)));
  return items;
}

function demoEngine(): Engine {
  return setupEngine(path.join(root, 'config/demo/council.yaml')).engine;
}

/** The generated source's council (its people, wards and domain). */
function benchEngine(): Engine {
  return new Engine(ConfigSchema.parse(benchCouncil));
}

function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value));
}

let generated: string;
beforeAll(() => {
  generated = mkdtempSync(path.join(os.tmpdir(), 'wardwatch-evaluate-all-'));
  // More messages and events than one batch, so batches meet in the middle of the source.
  generateCorpus(generated, 300, 60);
});
afterAll(() => rmSync(generated, { recursive: true, force: true }));

describe('Engine.evaluateAll', () => {
  test.each([
    ['the demo source', () => path.join(root, 'config/demo/source'), demoEngine],
    ['a generated source of 360 items', () => generated, benchEngine],
  ])('gives what evaluate gives item by item, on %s', async (_name, dirOf, engineOf) => {
    const engine = engineOf();
    const items = await itemsOf(engine, dirOf());
    expect(items.length).toBeGreaterThan(20);
    const one = items.map((item) => engine.evaluate(item, NOW));
    const all = engine.evaluateAll(items, NOW);
    expect(all).toHaveLength(items.length);
    expect(plain(all)).toEqual(plain(one));
    // Something was found, so the comparison compared something.
    expect(one.some((e) => e.findings.length > 0)).toBe(true);
  });

  test('shows a rule only the kind of item it judges, and says for it what the rule itself would say', async () => {
    const engine = demoEngine();
    const items = await itemsOf(engine, path.join(root, 'config/demo/source'));
    expect(items.some((i) => i.kind === 'mail')).toBe(true);
    expect(items.some((i) => i.kind === 'event')).toBe(true);
    const seen = new Map<string, Set<string>>();
    const watched = engine.rules.map((rule) => ({
      ...rule,
      evaluate: (input: RuleInput, ctx: RuleContext<unknown>) => {
        const kinds = seen.get(rule.meta.id) ?? new Set<string>();
        kinds.add(input.item.kind);
        seen.set(rule.meta.id, kinds);
        return (rule.evaluate as (i: RuleInput, c: RuleContext<unknown>) => Evaluation)(input, ctx);
      },
    })) as AnyRule[];
    const watching = new Engine(engine.config, { rules: watched });
    const verdicts = watching.evaluateAll(items, NOW).map((e) => e.verdicts);
    for (const rule of engine.rules) {
      const kinds = [...(seen.get(rule.meta.id) ?? [])].sort();
      expect(kinds, rule.meta.id).toEqual(rule.meta.kind === 'mail+event' ? ['event', 'mail'] : [rule.meta.kind]);
    }
    // The reason given for an item of the other kind is the one kind check's, word for word.
    items.forEach((item, i) => {
      for (const verdict of verdicts[i] ?? []) {
        const rule = engine.rules.find((r) => r.meta.id === verdict.rule);
        if (!rule || rule.meta.kind === 'mail+event' || rule.meta.kind === item.kind) continue;
        const ctx = { directory: engine.directory, elections: engine.elections, council: engine.config.council, calendars: engine.calendars, now: NOW, options: {} };
        const own = evaluateRule(rule, { item, facts: {} } as RuleInput, ctx);
        expect(verdict.reason).toBe(own.reason);
        expect(verdict.fired).toBe(false);
      }
    });
  });

  test('an empty batch gives nothing', () => {
    expect(demoEngine().evaluateAll([], NOW)).toEqual([]);
  });
});

describe('checkSource over more items than one batch', () => {
  test('reports what item-by-item judging reports, in the order items were first seen', async () => {
    const engine = benchEngine();
    const result = await checkSource(engine, readFolderSource(generated), { now: NOW });
    const items = await itemsOf(engine, generated);
    // The last judgement of each item (a later copy replaces an earlier one), in first-seen order.
    const last = new Map<string, Item>();
    for (const item of items) last.set(`${item.kind}:${item.key}`, item);
    const expected = [...last.values()].flatMap((item) => engine.evaluate(item, NOW).findings);
    expect(result.findings.length).toBeGreaterThan(64);
    expect(plain(result.findings)).toEqual(plain(expected));
  });
});
