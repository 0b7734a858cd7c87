/** README.md stays true: its rule table lists every rule with the clauses its profiles give. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from 'vitest';
import { listProfiles, loadProfile } from '../src/config/profiles.js';
import { allRules } from '../src/rules/index.js';

const root = path.resolve(import.meta.dirname, '..');
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');

test('the README names the two commands and the test command CI runs', () => {
  expect(readme).toContain('npm install && npm run demo');
  expect(readme).toContain('npm test');
  expect(readFileSync(path.join(root, '.ci/run'), 'utf8')).toMatch(/^npm test$/m);
});

test('every rule has a README row with its clauses in each protocol, and a docs page', () => {
  const profiles = listProfiles().map(loadProfile).sort((a, b) => a.file.localeCompare(b.file));
  for (const rule of allRules) {
    const row = readme.split('\n').find((l) => l.startsWith(`| [${rule.meta.id}](docs/rules/${rule.meta.id}.md) |`));
    expect(row, rule.meta.id).toBeDefined();
    const cells = (row ?? '').split('|').map((c) => c.trim()).slice(-6, -1);
    const wanted = profiles.map((p) => (p.rules[rule.meta.id]?.clauses ?? []).join(', ') || '—');
    expect(cells, rule.meta.id).toEqual(wanted);
    expect(readFileSync(path.join(root, 'docs/rules', `${rule.meta.id}.md`), 'utf8').length).toBeGreaterThan(200);
  }
});
