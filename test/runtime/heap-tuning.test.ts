import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { HEAP_FLAGS } from '../../src/runtime/heap-tuning.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The modules a file imports, in order. */
function importsOf(file: string): string[] {
  const text = readFileSync(path.join(root, file), 'utf8');
  return [...text.matchAll(/^import\s+(?:[^'"]*?from\s+)?['"]([^'"]+)['"]/gm)].map((m) => m[1] ?? '');
}

describe('heap tuning', () => {
  it('turns allocation-site pretenuring off (memory stays flat as a source grows)', () => {
    expect(HEAP_FLAGS).toEqual(['--no-allocation-site-pretenuring']);
  });

  it('is the first thing the wardwatch command loads, before the CLI', () => {
    const imports = importsOf('bin/wardwatch.js');
    expect(imports[0]).toBe('../dist/src/runtime/heap-tuning.js');
    expect(imports).toContain('../dist/src/cli.js');
  });

  it('is the first thing the benchmark worker loads, so the benchmark measures what users run', () => {
    const imports = importsOf('bench/rules-worker.ts');
    expect(imports[0]).toBe('../src/runtime/heap-tuning.js');
    expect(imports.length).toBeGreaterThan(1);
  });
});
