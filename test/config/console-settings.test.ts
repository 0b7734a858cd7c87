/** The `review` and `console` settings: their defaults, and the console's address refused when links could not be made from it. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.js';
import { loadConfig } from '../../src/config/load.js';

const MINIMAL = `council:
  name: Millbrook Town Council
  domains: [millbrook-tc.gov.uk]
  serviceAddress: protocol@millbrook-tc.gov.uk
people:
  - name: Helen Ashworth
    emails: [clerk@millbrook-tc.gov.uk]
    role: clerk
`;

function load(extra: string): ReturnType<typeof loadConfig> {
  const dir = mkdtempSync(path.join(tmpdir(), 'wardwatch-console-config-'));
  const file = path.join(dir, 'council.yaml');
  writeFileSync(file, MINIMAL + extra);
  return loadConfig(file);
}

function refusal(extra: string): string {
  try {
    load(extra);
  } catch (err) {
    if (err instanceof ConfigError) return err.format();
    throw err;
  }
  throw new Error('expected the file to be refused');
}

describe('review and console settings', () => {
  it('default to sending without review and a console on the service’s own address', () => {
    const { config } = load('');
    expect(config.review).toBe(false);
    expect(config.console).toEqual({ enabled: true, idleMinutes: 60, maxHours: 12 });
  });

  it('take review per rule, and single sign-on with its secret from the environment', () => {
    const { config } = load(`review: true
rules:
  no-blind-copies: { review: false }
console:
  publicUrl: https://wardwatch.millbrook-tc.gov.uk/
  oidc:
    issuer: https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000/v2.0
    clientId: wardwatch-console
    clientSecret: \${SSO_SECRET}
`);
    expect(config.review).toBe(true);
    expect(config.rules['no-blind-copies']).toMatchObject({ review: false });
    expect(config.console.oidc?.clientSecret).toBe('${SSO_SECRET}');
    expect(config.console.publicUrl).toBe('https://wardwatch.millbrook-tc.gov.uk/');
  });

  it.each([
    ['a path', 'https://council.example/wardwatch/'],
    ['a query', 'https://wardwatch.example/?a=1'],
    ['a fragment', 'https://wardwatch.example/#top'],
    ['another scheme', 'ftp://wardwatch.example/'],
    ['no address at all', 'wardwatch.example'],
  ])('refuse a console address with %s', (_what, url) => {
    expect(refusal(`console:\n  publicUrl: ${url}\n`)).toMatch(/console\.publicUrl: expected the console’s address/);
  });

  it('refuse a client secret written into the file', () => {
    expect(refusal(`console:
  oidc:
    issuer: https://accounts.google.com
    clientId: wardwatch-console
    clientSecret: hunter2hunter2
`)).toMatch(/console\.oidc\.clientSecret: expected an environment variable reference/);
  });
});
