/**
 * Guards docs/architecture.md: each rule, action kind and connector has one home (one file or one
 * folder, registered where the service finds it) and its test; and imports run one way.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONNECTOR_MODULES } from '../connectors/index.js';
import { ACTION_SPECS } from '../src/actions/kinds/index.js';
import { ACTION_KINDS } from '../src/config/parts.js';
import { allRules, RULE_IDS } from '../src/rules/index.js';
import { importCycles, importGraph, type ImportEdge } from './support/import-graph.js';

const root = path.resolve(import.meta.dirname, '..');
const filesIn = (dir: string): string[] => readdirSync(path.join(root, dir));

/** Files outside src/rules/ that may name a rule: the sample data for the Clerk's digest and the rules' notice templates. */
const NAMES_RULES = new Set(['src/templates/samples.ts']);

/** Files in src/rules/ that hold no rule: the catalogue, the shared types and helpers. */
const RULE_HELPERS = new Set(['index.ts', 'types.ts', 'mail-input.ts', 'occurrence.ts']);

describe('one home for each idea', () => {
  it('every rule file is in the catalogue, and every rule has its file and its test table', () => {
    const files = filesIn('src/rules').filter((f) => f.endsWith('.ts') && !RULE_HELPERS.has(f)).map((f) => f.replace(/\.ts$/, ''));
    expect([...files].sort()).toEqual([...RULE_IDS].sort());
    for (const id of RULE_IDS) {
      const test = readFileSync(path.join(root, 'test/rules', `${id}.test.ts`), 'utf8');
      expect(test, `test/rules/${id}.test.ts runs the rule tester`).toMatch(/ruleTester\(/);
    }
  });

  it('every rule keeps its guidance and template sample in its meta', () => {
    for (const rule of allRules) {
      expect(rule.meta.guidance.title.length, rule.meta.id).toBeGreaterThan(5);
      expect(rule.meta.guidance.advice, rule.meta.id).toMatch(/\.$/);
      expect(rule.meta.sample.summary.length, rule.meta.id).toBeGreaterThan(20);
    }
  });

  it('every action kind has its spec file, is in the table, and has its test', () => {
    const files = filesIn('src/actions/kinds').filter((f) => f !== 'index.ts' && f !== 'types.ts').map((f) => f.replace(/\.ts$/, ''));
    expect([...files].sort()).toEqual([...ACTION_KINDS].sort());
    for (const kind of ACTION_KINDS) {
      expect(ACTION_SPECS[kind].kind).toBe(kind);
      const test = readFileSync(path.join(root, 'test/actions/kinds', `${kind}.test.ts`), 'utf8');
      expect(test, `test/actions/kinds/${kind}.test.ts runs the action kind tester`).toMatch(/actionKindTester\(/);
    }
  });

  it('every connector folder exports its module from index.ts, and the registry lists each one', () => {
    const folders = filesIn('connectors').filter((f) => statSync(path.join(root, 'connectors', f)).isDirectory());
    expect(folders.length).toBeGreaterThan(0);
    for (const name of folders) expect(existsSync(path.join(root, 'connectors', name, 'index.ts')), `connectors/${name}/index.ts`).toBe(true);
    expect(CONNECTOR_MODULES.map((m) => m.name).sort()).toEqual([...folders].sort());
  });

  it('one helper words a thrown error: no module keeps its own copy', () => {
    const copies: string[] = [];
    const walk = (dir: string): void => {
      for (const name of filesIn(dir)) {
        const rel = path.join(dir, name);
        if (statSync(path.join(root, rel)).isDirectory()) walk(rel);
        else if (name.endsWith('.ts') && rel !== 'src/model/error-message.ts') {
          if (/instanceof Error \? \w+\.message : String\(/.test(readFileSync(path.join(root, rel), 'utf8'))) copies.push(rel);
        }
      }
    };
    walk('src');
    walk('connectors');
    expect(copies).toEqual([]);
  });

  it('no code outside src/rules/ names a rule, and none outside src/actions/kinds/ switches on an action kind', () => {
    const offenders: string[] = [];
    const walk = (dir: string): void => {
      for (const name of filesIn(dir)) {
        const rel = path.join(dir, name);
        if (statSync(path.join(root, rel)).isDirectory()) walk(rel);
        else if (name.endsWith('.ts')) {
          const text = readFileSync(path.join(root, rel), 'utf8');
          if (!rel.startsWith('src/rules/') && !NAMES_RULES.has(rel)) {
            for (const id of RULE_IDS) if (text.includes(`'${id}'`)) offenders.push(`${rel} names the rule ${id}`);
          }
          if (!rel.startsWith('src/actions/kinds/') && /case '(nudge|warn|notify|notify-clerk|route-to-clerk|invite|block|digest)':/.test(text)) {
            offenders.push(`${rel} switches on an action kind`);
          }
        }
      }
    };
    walk('src');
    walk('connectors');
    expect(offenders).toEqual([]);
  });
});

describe('imports run one way', () => {
  const edges = importGraph(root, ['src', 'connectors']);

  it('reads the imports of every module, types included', () => {
    expect(edges.length).toBeGreaterThan(300);
    expect(edges.some((e) => e.typeOnly)).toBe(true);
  });

  it('finds a cycle when there is one', () => {
    const looped: ImportEdge[] = [
      { from: 'a.ts', to: 'b.ts', typeOnly: false },
      { from: 'b.ts', to: 'c.ts', typeOnly: true },
      { from: 'c.ts', to: 'a.ts', typeOnly: false },
    ];
    expect(importCycles(looped)).toEqual([['a.ts', 'b.ts', 'c.ts', 'a.ts']]);
  });

  it('no module of src/ or connectors/ imports itself round a cycle, not even for types', () => {
    expect(importCycles(edges).map((c) => c.join(' → '))).toEqual([]);
  });
});
