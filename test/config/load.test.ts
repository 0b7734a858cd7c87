import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError } from '../../src/config/errors.js';
import { loadConfig } from '../../src/config/load.js';
import type { RuleId } from '../../src/config/schema.js';

const fixtures = fileURLToPath(new URL('../fixtures/config/', import.meta.url));
const fixture = (name: string): string => path.join(fixtures, name);

function configError(file: string, opts?: Parameters<typeof loadConfig>[1]): ConfigError {
  try {
    loadConfig(file, opts);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error(`expected ${file} to be rejected`);
}

function lines(file: string, opts?: Parameters<typeof loadConfig>[1]): string[] {
  return configError(file, opts).format().split('\n');
}

function tempFile(name: string, text: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'wardwatch-config-'));
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

const MINIMAL = `council:
  name: Millbrook Town Council
  domains: [millbrook-tc.gov.uk]
  serviceAddress: protocol@millbrook-tc.gov.uk
people:
  - name: Helen Ashworth
    emails: [clerk@millbrook-tc.gov.uk]
    role: clerk
`;

describe('loadConfig on a valid file', () => {
  const loaded = loadConfig(fixture('valid.yaml'));

  it('returns the parsed config, its folder and the protocol profile', () => {
    expect(loaded.file).toBe(fixture('valid.yaml'));
    expect(loaded.dir).toBe(path.resolve(fixtures));
    expect(loaded.config.council.name).toBe('Millbrook Town Council');
    expect(loaded.config.people).toHaveLength(5);
    expect(loaded.profile?.id).toBe('knutsford');
    expect(loaded.profile?.rules['no-blind-copies']?.clauses).toEqual(['12.1']);
  });

  it('lower-cases addresses and keeps secret references as written', () => {
    expect(loaded.config.people[2]?.emails).toEqual(['priya.shah@millbrook-tc.gov.uk']);
    expect(loaded.config.sender).toMatchObject({ kind: 'smtp', password: '${MILLBROOK_SMTP_PASSWORD}' });
  });

  it("sends the digest to the clerks' primary addresses when digest.to is empty", () => {
    expect(loaded.config.digest.to).toEqual(['clerk@millbrook-tc.gov.uk']);
  });

  it('keeps digest.to when it is given', () => {
    const file = tempFile('council.yaml', `${MINIMAL}digest:\n  to: [deputy@millbrook-tc.gov.uk]\n`);
    expect(loadConfig(file).config.digest.to).toEqual(['deputy@millbrook-tc.gov.uk']);
  });

  it('has no profile when protocol: is not given', () => {
    const loaded2 = loadConfig(tempFile('council.yaml', MINIMAL));
    expect(loaded2.profile).toBeUndefined();
    expect(loaded2.config.store.path).toBe('./wardwatch.sqlite');
  });
});

describe('loadConfig reports each problem with its file, line and field', () => {
  it('words an enum error exactly, on the line of the bad value', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'wardwatch-config-'));
    const file = path.join(dir, 'council.yaml');
    copyFileSync(fixture('role-error.yaml'), file);
    const err = configError(file);
    expect(err.format()).toBe('council.yaml:14 people[3].role: expected clerk | officer | member, got "councillor"');
    expect(err.problems[0]).toMatchObject({ file: 'council.yaml', line: 14, column: 11, path: 'people[3].role' });
    expect(err.message).toBe(err.format());
  });

  it('names a ward reference that does not exist, suggesting the close one', () => {
    expect(lines(fixture('unknown-ward.yaml'))).toEqual([
      'unknown-ward.yaml:13 people[1].wards[1]: no ward has id "castel" — did you mean "castle"?',
      'unknown-ward.yaml:19 elections[0].wards[0]: no ward has id "northfeld" — did you mean "northfield"?',
    ]);
  });

  it('lists the wards when nothing is close', () => {
    const file = tempFile('council.yaml', `${MINIMAL}    wards: [zzz]\nwards:\n  - { id: castle, name: Castle }\n  - { id: riverside, name: Riverside }\n`);
    expect(lines(file)).toEqual(['council.yaml:9 people[0].wards[0]: no ward has id "zzz" — the wards are castle, riverside']);
  });

  it('finds an address given to two people, an unknown manager, and repeated ids', () => {
    expect(lines(fixture('duplicate-address.yaml'))).toEqual([
      "duplicate-address.yaml:13 people[1].manager: boss@millbrook-tc.gov.uk is not the address of anyone under people — expected the address of Sam Patel's manager as listed there",
      'duplicate-address.yaml:15 people[2].emails[1]: clerk@millbrook-tc.gov.uk is also listed for Helen Ashworth (people[0]) — an address can belong to one person only',
      'duplicate-address.yaml:19 wards[1].id: ward id "castle" is already used by wards[0] — each ward needs its own id',
      'duplicate-address.yaml:22 calendars[1].id: calendar id "events" is already used by calendars[0] — each calendar needs its own id',
    ]);
  });

  it('rejects a domain written as a web address and a malformed service address', () => {
    expect(lines(fixture('bad-domain.yaml'))).toEqual([
      'bad-domain.yaml:4 council.domains[0]: expected a domain such as knutsford-tc.gov.uk (no @, no scheme), got "https://millbrook-tc.gov.uk"',
      'bad-domain.yaml:5 council.serviceAddress: expected an e-mail address such as clerk@example-tc.gov.uk, got "protocol at millbrook"',
    ]);
  });

  it("says what a missing section must hold, on its parent's line", () => {
    expect(lines(fixture('missing-council.yaml'))).toEqual([
      'missing-council.yaml:2 council: missing — expected a mapping with name, domains, serviceAddress',
      'missing-council.yaml:6 people[1].role: missing — expected clerk | officer | member',
    ]);
  });

  it('reports a YAML syntax error once, in plain words, on the line to correct', () => {
    const err = configError(fixture('syntax-error.yaml'));
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]).toMatchObject({ file: 'syntax-error.yaml', line: 4, path: '' });
    expect(err.format()).toBe(
      'syntax-error.yaml:4: a list in [ ] or a mapping in { } on this line is not closed; add the closing ] or } at the end of the line',
    );
  });

  it('reports a repeated key as a YAML error', () => {
    const file = tempFile('council.yaml', `${MINIMAL}dryRun: true\ndryRun: false\n`);
    expect(lines(file)).toEqual(['council.yaml:10: "dryRun" appears twice in the same section; keep only one of them']);
  });

  it('suggests the field or rule meant by an unknown key', () => {
    expect(lines(fixture('unknown-key.yaml'))).toEqual([
      'unknown-key.yaml:6 colour: unknown field "colour" — did you mean "console"?',
      'unknown-key.yaml:10 people[0].emial: unknown field "emial" — did you mean "emails"?',
      'unknown-key.yaml:13 rules["no-blind-copy"]: unknown rule "no-blind-copy" — did you mean "no-blind-copies"?',
      'unknown-key.yaml:14 rules["state-capacity"]: expected off | on | a mapping, got "offf"',
      'unknown-key.yaml:15 rules["requests-via-clerk"].action: unknown field "action" — did you mean "actions"?',
    ]);
  });

  it('lists the accepted fields when an unknown one is not close to any', () => {
    const file = tempFile('council.yaml', `${MINIMAL}store:\n  qqqqqq: 1\n`);
    expect(lines(file)).toEqual(['council.yaml:10 store.qqqqqq: unknown field "qqqqqq" — expected one of path']);
  });

  it('says when the file does not exist', () => {
    const missing = path.join(tmpdir(), 'wardwatch-no-such-dir', 'council.yaml');
    const err = configError(missing);
    expect(err.format()).toBe(`cannot read council.yaml: no such file (looked for ${missing})`);
  });

  it('says when the file is empty', () => {
    expect(lines(tempFile('council.yaml', '# nothing yet\n'))).toEqual([
      "council.yaml is empty — expected the council's configuration (wardwatch init writes a commented starter)",
    ]);
  });

  it('requires a clerk and an existing protocol profile', () => {
    expect(lines(fixture('no-clerk.yaml'))).toEqual([
      'no-clerk.yaml:6 protocol: no protocol profile named "knutsfrod" — did you mean "knutsford"? The profiles are: alton, halstead, havant, knutsford, model-2016',
      'no-clerk.yaml:8 people: no one has role: clerk — Wardwatch sends the digest and routed requests to the Clerk, so please list the Clerk (or the officer who does that job) with role: clerk',
    ]);
  });

  it('allows ${VAR} only in secret fields, and never repeats a secret written into the file', () => {
    const text = configError(fixture('secrets-misplaced.yaml')).format();
    expect(text.split('\n')).toEqual([
      `secrets-misplaced.yaml:12 sender.host: "\${SMTP_HOST}" is an environment variable reference, but only secret fields (sender.password, console.oidc.clientSecret and the connectors' credentials) are read from the environment — please write the value itself here`,
      'secrets-misplaced.yaml:13 sender.password: expected an environment variable reference such as ${WARDWATCH_SMTP_PASSWORD}; secrets never live in the file',
    ]);
    expect(text).not.toContain('hunter2');
  });

  it('allows ${VAR} in connector credentials', () => {
    const file = tempFile('council.yaml', `${MINIMAL}connectors:\n  graph:\n    tenantId: \${GRAPH_TENANT}\n    clientId: 6f1c4a52-9b8e-4d3a-a1f0-3c2d7e9b5a10\n    clientSecret: \${GRAPH_SECRET}\n`);
    expect(loadConfig(file).config.connectors.graph).toMatchObject({ tenantId: '${GRAPH_TENANT}', clientSecret: '${GRAPH_SECRET}' });
  });

  it('checks dates, the time zone and the digest schedule', () => {
    expect(lines(fixture('dates-and-schedule.yaml'))).toEqual([
      'dates-and-schedule.yaml:4 council.timezone: unknown time zone "Europe/Londn" — expected an IANA time zone such as Europe/London',
      'dates-and-schedule.yaml:12 elections[0].poll: 2027-02-30 is not a date in the calendar',
      'dates-and-schedule.yaml:14 elections[1].preElectionStart: 2027-05-20 is after polling day (2027-05-06) — expected the day the pre-election period starts',
      'dates-and-schedule.yaml:16 digest.cron: expected a schedule in cron form (minute hour day month weekday), e.g. "30 7 * * 1-5" for 7:30 on weekdays, got "every morning"',
    ]);
  });

  it('words type errors as expected/got', () => {
    const file = tempFile('council.yaml', `${MINIMAL}mediaDomains: bbc.co.uk\nhorizonDays: lots\ndryRun: yes please\n`);
    expect(lines(file)).toEqual([
      'council.yaml:9 mediaDomains: expected a list, got "bbc.co.uk" (write it as [a, b] or as lines starting with "- ")',
      'council.yaml:10 horizonDays: expected a number, got "lots"',
      'council.yaml:11 dryRun: expected true or false, got "yes please"',
    ]);
  });

  it('names the choices of a sender kind it does not know', () => {
    const file = tempFile('council.yaml', `${MINIMAL}sender:\n  kind: pigeon\n`);
    expect(lines(file)).toEqual(['council.yaml:10 sender.kind: expected file | smtp | connector, got "pigeon"']);
  });
});

describe('rule options', () => {
  const schemas = new Map<RuleId, z.ZodType>([
    ['requests-via-clerk', z.object({ minimumWords: z.number().int().default(3) }).strict()],
    ['press-via-clerk', z.object({ extraPhrases: z.array(z.string()).default([]), preElectionOnly: z.boolean().default(false) }).strict()],
  ]);

  it("are checked with each rule's schema, on the option's line", () => {
    expect(lines(fixture('rule-options.yaml'), { ruleOptionSchemas: schemas })).toEqual([
      'rule-options.yaml:13 rules["requests-via-clerk"].options.minimumWords: expected a number, got "many"',
    ]);
  });

  it('are replaced by the parsed options, with defaults filled in', () => {
    const file = tempFile('council.yaml', `${MINIMAL}rules:\n  press-via-clerk:\n    options: { extraPhrases: [statement] }\n`);
    const { config } = loadConfig(file, { ruleOptionSchemas: schemas });
    expect(config.rules['press-via-clerk']).toMatchObject({ options: { extraPhrases: ['statement'], preElectionOnly: false } });
  });

  it('are not checked when no schemas are given', () => {
    expect(loadConfig(fixture('rule-options.yaml')).config.rules['requests-via-clerk']).toMatchObject({ options: { minimumWords: 'many' } });
  });
});
