import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runInit } from '../../src/cli/init.js';
import type { CommandOutput } from '../../src/cli/output.js';
import { runSchema } from '../../src/cli/schema.js';
import { runValidate } from '../../src/cli/validate.js';
import { STARTER_CONFIG } from '../../src/config/starter.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const fixtures = path.join(repoRoot, 'test', 'fixtures', 'config');
const builtCli = path.join(repoRoot, 'dist', 'src', 'cli.js');

function recorder(): CommandOutput & { stdout: string; stderr: string } {
  const rec = {
    stdout: '',
    stderr: '',
    out(text: string) {
      rec.stdout += text;
    },
    err(text: string) {
      rec.stderr += text;
    },
  };
  return rec;
}

function tempDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'wardwatch-cli-'));
}

describe('validate', () => {
  it('summarises a valid configuration and exits 0', () => {
    const io = recorder();
    const file = path.join(fixtures, 'valid.yaml');
    // run would read the SMTP password from the environment, so validate does too.
    expect(runValidate(file, io, { MILLBROOK_SMTP_PASSWORD: 'not-the-real-one' })).toBe(0);
    expect(io.stdout).toBe(`${file} is valid: 5 people (1 clerk, 2 officers, 2 members), 2 wards, 2 elections, 14 rules on (profile: knutsford)\n`);
    expect(io.stderr).toBe(`${file}: warning: no source is configured (connectors.folder, connectors.google, connectors.graph or connectors.imap), so check and run will need --source DIR.\n`);
  });

  it('prints each problem on stderr and exits 2', () => {
    const io = recorder();
    const file = path.join(fixtures, 'unknown-ward.yaml');
    expect(runValidate(file, io)).toBe(2);
    expect(io.stdout).toBe('');
    expect(io.stderr.split('\n')).toEqual([
      'unknown-ward.yaml:13 people[1].wards[1]: no ward has id "castel" — did you mean "castle"?',
      'unknown-ward.yaml:19 elections[0].wards[0]: no ward has id "northfeld" — did you mean "northfield"?',
      `${file} has 2 problems; please correct them and run wardwatch validate again.`,
      '',
    ]);
  });

  it('checks the IMAP settings as run will read them, secrets from the environment included', () => {
    const file = path.join(tempDir(), 'council.yaml');
    writeFileSync(
      file,
      [
        'council: { name: Test TC, domains: [test-tc.gov.uk], serviceAddress: protocol@test-tc.gov.uk }',
        'people: [{ name: A Clerk, emails: [clerk@test-tc.gov.uk], role: clerk }]',
        'mailboxes: [{ address: clerk@test-tc.gov.uk }]',
        'connectors: { imap: { host: 127.0.0.1, user: clerk@test-tc.gov.uk, password: "${WW_VALIDATE_TEST_PASSWORD}" } }',
        '',
      ].join('\n'),
    );
    delete process.env['WW_VALIDATE_TEST_PASSWORD'];
    const missing = recorder();
    expect(runValidate(file, missing)).toBe(2);
    expect(missing.stderr).toContain('WW_VALIDATE_TEST_PASSWORD is not set');
    process.env['WW_VALIDATE_TEST_PASSWORD'] = 'not-the-real-one';
    try {
      const set = recorder();
      expect(runValidate(file, set)).toBe(0);
      expect(set.stdout).toContain('is valid');
      expect(set.stdout + set.stderr).not.toContain('not-the-real-one');
    } finally {
      delete process.env['WW_VALIDATE_TEST_PASSWORD'];
    }
  });

  it('exits 2 for a file that does not exist', () => {
    const io = recorder();
    expect(runValidate(path.join(tempDir(), 'council.yaml'), io)).toBe(2);
    expect(io.stderr).toContain('cannot read council.yaml: no such file');
  });
});

describe('schema', () => {
  it('prints the JSON Schema of the configuration', () => {
    const io = recorder();
    expect(runSchema(io)).toBe(0);
    const schema: unknown = JSON.parse(io.stdout);
    expect(schema).toMatchObject({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      title: 'Wardwatch council configuration',
      type: 'object',
      properties: { council: { type: 'object', required: ['name', 'domains', 'serviceAddress'] } },
      required: ['council'],
    });
  });
});

describe('init', () => {
  it('writes the starter, which then validates', () => {
    const file = path.join(tempDir(), 'council.yaml');
    const io = recorder();
    expect(runInit({ output: file }, io)).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(STARTER_CONFIG);
    expect(io.stdout).toContain(`Wrote a starter configuration to ${file}.`);
    const check = recorder();
    expect(runValidate(file, check)).toBe(0);
    expect(check.stdout).toContain('is valid: 4 people (1 clerk, 1 officer, 2 members), 2 wards, 1 election, 16 rules on (no protocol profile)');
  });

  it('refuses to overwrite a file without --force', () => {
    const file = path.join(tempDir(), 'council.yaml');
    writeFileSync(file, 'council: mine\n');
    const io = recorder();
    expect(runInit({ output: file }, io)).toBe(2);
    expect(readFileSync(file, 'utf8')).toBe('council: mine\n');
    expect(io.stderr).toBe(`${file} already exists, so it has been left as it is. Use --force to replace it, or --output to write the starter somewhere else.\n`);
    expect(runInit({ output: file, force: true }, recorder())).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(STARTER_CONFIG);
  });

  it('says so when the folder does not exist', () => {
    const io = recorder();
    const file = path.join(tempDir(), 'missing', 'council.yaml');
    expect(runInit({ output: file }, io)).toBe(2);
    expect(io.stderr).toBe(`Cannot write ${file}: its folder does not exist.\n`);
  });
});

describe('the built wardwatch command', () => {
  function wardwatch(args: string[], cwd = repoRoot): { status: number | null; stdout: string; stderr: string } {
    if (!existsSync(builtCli)) throw new Error(`${builtCli} is missing: build first with npx tsc -p tsconfig.json`);
    const env = { ...process.env, MILLBROOK_SMTP_PASSWORD: 'not-the-real-one' };
    const r = spawnSync(process.execPath, [builtCli, ...args], { cwd, encoding: 'utf8', env });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  it('validates a configuration', () => {
    const r = wardwatch(['validate', '--config', 'test/fixtures/config/valid.yaml']);
    expect(r.stdout).toBe('test/fixtures/config/valid.yaml is valid: 5 people (1 clerk, 2 officers, 2 members), 2 wards, 2 elections, 14 rules on (profile: knutsford)\n');
    expect(r.status).toBe(0);
  });

  it('exits 2 with the problem lines for an invalid configuration', () => {
    const r = wardwatch(['validate', '--config', 'test/fixtures/config/role-error.yaml']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('role-error.yaml:14 people[3].role: expected clerk | officer | member, got "councillor"\n');
  });

  it('writes the starter with init in the current folder', () => {
    const dir = tempDir();
    expect(wardwatch(['init'], dir).status).toBe(0);
    expect(readFileSync(path.join(dir, 'council.yaml'), 'utf8')).toBe(STARTER_CONFIG);
    expect(wardwatch(['init'], dir).status).toBe(2);
    expect(wardwatch(['validate', '--config', 'council.yaml'], dir).status).toBe(0);
  });

  it('prints the schema as JSON', () => {
    const r = wardwatch(['schema']);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toHaveProperty('properties.council');
  });

  it('exits 2 with a message for an unknown command or a missing option', () => {
    const unknown = wardwatch(['frobnicate']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain("error: unknown command 'frobnicate'");
    const missing = wardwatch(['validate']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain("error: required option '-c, --config <file>' not specified");
  });

  it('exits 0 for --help and --version', () => {
    const help = wardwatch(['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('validate');
    const version = wardwatch(['--version']);
    expect(version.status).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
