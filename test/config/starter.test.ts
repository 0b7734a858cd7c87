import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config/load.js';
import { listProfiles, loadProfile } from '../../src/config/profiles.js';
import { ConfigSchema } from '../../src/config/schema.js';
import { STARTER_CONFIG } from '../../src/config/starter.js';

function writeStarter(): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'wardwatch-starter-')), 'council.yaml');
  writeFileSync(file, STARTER_CONFIG);
  return file;
}

describe('the starter configuration', () => {
  it('passes every check of loadConfig', () => {
    const { config, profile } = loadConfig(writeStarter());
    expect(config.council.name).toBe('Example Town Council');
    expect(config.people.filter((p) => p.role === 'clerk')).toHaveLength(1);
    expect(config.digest.to).toEqual(['clerk@example-tc.gov.uk']);
    expect(config.dryRun).toBe(true);
    expect(profile).toBeUndefined();
  });

  it('still validates with its protocol line switched on', () => {
    const file = writeStarter();
    writeFileSync(file, STARTER_CONFIG.replace('# protocol: knutsford', 'protocol: knutsford'));
    expect(loadConfig(file).profile?.id).toBe('knutsford');
  });

  it('explains every section it sets with a comment above it', () => {
    const data: unknown = parse(STARTER_CONFIG);
    const sections = Object.keys(data !== null && typeof data === 'object' ? data : {});
    expect(sections.length).toBeGreaterThanOrEqual(12);
    const lines = STARTER_CONFIG.split('\n');
    for (const section of sections) {
      const at = lines.findIndex((l) => l.startsWith(`${section}:`));
      expect(lines[at - 1]?.startsWith('#'), `a comment explains ${section}`).toBe(true);
    }
    for (const section of sections) expect(Object.keys(ConfigSchema.shape)).toContain(section);
  });

  it('lists every protocol profile Wardwatch ships, by its title', () => {
    for (const name of listProfiles()) {
      const title = loadProfile(name).name.split(' — ')[0] ?? '';
      const line = STARTER_CONFIG.split('\n').find((l) => l.startsWith(`#   ${name} `));
      expect(line, `the starter mentions ${name}`).toBeDefined();
      if (name !== 'model-2016') expect(line).toContain(title);
    }
  });

  it('shows secrets as environment variable references only', () => {
    expect(STARTER_CONFIG).toContain('password: ${WARDWATCH_SMTP_PASSWORD}');
    expect(STARTER_CONFIG).not.toMatch(/password: [^$\s]/);
  });
});
