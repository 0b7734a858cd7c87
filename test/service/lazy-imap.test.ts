/**
 * The IMAP connector's libraries (imapflow, tsdav) hold some 40 MB of resident memory, so the
 * command is built not to load them unless `connectors.imap` is configured: no chain of static
 * imports leads from the command to them. The registry reaches the IMAP module (its index.ts) and
 * its settings schema (config.ts) only; the module loads the connector with `import()` in `create`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Every module reached from `entries` through static imports: local files, and the packages named. */
function staticGraph(...entries: string[]): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const todo = [...entries];
  while (todo.length > 0) {
    const file = todo.pop() as string;
    if (files.has(file)) continue;
    files.add(file);
    const code = readFileSync(file, 'utf8');
    // `import … from '…'`, `import '…'` and `export … from '…'`; not `import('…')`.
    for (const m of code.matchAll(/^\s*(?:import|export)\s(?:[^'"();]*?\sfrom\s)?['"]([^'"]+)['"]/gm)) {
      const spec = m[1] as string;
      if (spec.startsWith('.')) todo.push(path.resolve(path.dirname(file), spec));
      else if (!spec.startsWith('node:')) packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : (spec.split('/')[0] as string));
    }
  }
  return { files, packages };
}

/** The command and each of its subcommands' modules (src/cli.ts loads only the one being run, with import()). */
function commandEntries(): string[] {
  const dir = path.join(root, 'dist/src/cli');
  return [path.join(root, 'dist/src/cli.js'), ...readdirSync(dir).filter((f) => f.endsWith('.js')).map((f) => path.join(dir, f))];
}

describe('loading the IMAP connector', () => {
  it('the command reaches imapflow and tsdav through no static import', () => {
    const { files, packages } = staticGraph(...commandEntries());
    expect(files.size).toBeGreaterThan(50);
    expect(packages.has('better-sqlite3')).toBe(true); // the walk does follow imports
    expect([...packages].filter((p) => p === 'imapflow' || p === 'tsdav')).toEqual([]);
    const imapFiles = [...files].filter((f) => f.includes(`${path.sep}connectors${path.sep}imap${path.sep}`)).map((f) => path.basename(f));
    expect(imapFiles.sort()).toEqual(['config.js', 'index.js']);
  });

  it('nor does it load date-holidays-parser: bank holidays are worked out in a worker thread that ends', () => {
    const { packages } = staticGraph(...commandEntries());
    expect(packages.has('date-holidays-parser')).toBe(false);
    expect(packages.has('date-holidays')).toBe(false);
  });

  it('the IMAP module loads it with import() when the service creates it', () => {
    const code = readFileSync(path.join(root, 'dist/connectors/imap/index.js'), 'utf8');
    expect(code).toMatch(/await import\(['"]\.\/connector\.js['"]\)/);
  });
});
