#!/usr/bin/env node
/**
 * Compiles the Clerk's console's stylesheet, src/console/console.scss (GOV.UK Frontend with the
 * council's settings, and the console's own rules), to dist/console/console.css, which
 * src/console/assets.ts serves. Run by `npm run build` and `npm run prepare`, after tsc.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NodePackageImporter, compile } from 'sass';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const source = path.join(root, 'src', 'console', 'console.scss');
const target = path.join(root, 'dist', 'console', 'console.css');

const result = compile(source, {
  style: 'compressed',
  sourceMap: false,
  // govuk-frontend's own deprecation warnings are its business, not this build's.
  quietDeps: true,
  // `@use "pkg:govuk-frontend"` is resolved the way Node resolves the package, from the project's root.
  importers: [new NodePackageImporter(root)],
});

mkdirSync(path.dirname(target), { recursive: true });
writeFileSync(target, result.css);
console.log(`${path.relative(root, target)}: ${result.css.length} characters`);
