/**
 * `wardwatch check` and `wardwatch explain` as a user runs them: the built program, its exit
 * codes, its JSON lines (the DESIGN.md contract) and its readable report. Also: every file of the
 * shared corpora goes through the folder source without stopping the process.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { z } from 'zod';
import { ACTION_KINDS, RULE_IDS, SEVERITIES } from '../../src/config/schema.js';

const root = path.resolve(import.meta.dirname, '../..');
const cli = path.join(root, 'dist/src/cli.js');
const demoConfig = path.join(root, 'config/demo/council.yaml');
const corpora = path.resolve(root, '../shared/corpora');

function run(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 120_000, maxBuffer: 64 << 20 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const FindingLine = z
  .object({
    rule: z.enum(RULE_IDS),
    severity: z.enum(SEVERITIES),
    clauses: z.array(z.string().min(1)).min(1),
    item: z.object({ kind: z.enum(['mail', 'event']), key: z.string().min(1) }).strict(),
    people: z.array(z.string().includes('@')).min(1),
    summary: z.string().min(10),
    actions: z.array(z.object({ kind: z.enum(ACTION_KINDS), to: z.array(z.string()), template: z.string().optional(), calendarId: z.string().optional() }).strict()),
    why: z.array(z.object({ kind: z.enum(['phrase', 'fact']), text: z.string(), field: z.string().optional() }).strict()).min(1),
  })
  .strict();

let tmp: string;
beforeAll(() => {
  expect(existsSync(cli), 'npm test builds dist/ before vitest runs').toBe(true);
  tmp = mkdtempSync(path.join(os.tmpdir(), 'wardwatch-cli-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('wardwatch check', () => {
  test('--json prints one finding per line in the DESIGN.md shape, exit 1 when there are findings', () => {
    const r = run(['check', '--config', demoConfig, '--now', '2027-04-12T09:00:00Z', '--json']);
    expect(r.code).toBe(1);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(19);
    for (const line of lines) FindingLine.parse(JSON.parse(line));
    const first = JSON.parse(lines[0] ?? '{}') as z.infer<typeof FindingLine>;
    expect(first).toMatchObject({ rule: 'no-blind-copies', clauses: ['12.1'], item: { kind: 'mail', key: '<demo-01-potholes@millbrook-tc.gov.uk>' } });
    expect(first.actions[0]).toEqual({ kind: 'nudge', to: ['sam.patel@millbrook-tc.gov.uk'], template: 'no-blind-copies' });
    expect(r.stderr).toContain('24-unreadable--not-an-email.eml');
    expect(r.stderr).toContain('possible spoofing');
  });

  test('the readable report groups by rule, cites the clause and says why', () => {
    const r = run(['check', '--config', demoConfig, '--now', '2027-04-12T09:00:00Z']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('no-blind-copies — 1 finding');
    expect(r.stdout).toMatch(/\[warning\] 12\.1 · mail <demo-01-potholes@millbrook-tc\.gov\.uk>/);
    expect(r.stdout).toContain('Why: ');
    expect(r.stdout).toContain('Needs a human (1)');
    // The broken calendar's event could not be read; that the file ends early is only a warning.
    expect(r.stdout).toContain('Could not read (2)');
    expect(r.stdout).toMatch(/Read with a warning \(1\)[^\n]*\n {2}\S*43-unreadable--broken-calendar\.ics: The calendar has no END:VCALENDAR/);
    expect(r.stdout).toContain('Nothing was sent');
  });

  test('exit 0 and a plain sentence when nothing breaks the protocol', () => {
    const source = path.join(tmp, 'clean');
    mkdirSync(path.join(source, 'mail/sue.taylor@millbrook-tc.gov.uk/sent'), { recursive: true });
    writeFileSync(
      path.join(source, 'mail/sue.taylor@millbrook-tc.gov.uk/sent/ok.eml'),
      'From: sue.taylor@millbrook-tc.gov.uk\r\nTo: clerk@millbrook-tc.gov.uk\r\nSubject: Apologies\r\nMessage-ID: <ok-1@millbrook-tc.gov.uk>\r\nDate: Mon, 1 Mar 2027 10:00:00 +0000\r\n\r\nPlease send my apologies for Wednesday.\r\n',
    );
    const r = run(['check', '--config', demoConfig, '--source', source, '--now', '2027-03-02T09:00:00Z']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('No findings');
  });

  test('exit 2 with the file, line and field for an invalid config', () => {
    const bad = path.join(tmp, 'bad.yaml');
    writeFileSync(
      bad,
      'council:\n  name: Test TC\n  domains: [test-tc.gov.uk]\n  serviceAddress: protocol@test-tc.gov.uk\npeople:\n  - name: A Clerk\n    emails: [clerk@test-tc.gov.uk]\n    role: councillor\n',
    );
    const r = run(['check', '--config', bad, '--source', tmp]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('bad.yaml:8 people[0].role: expected clerk | officer | member, got "councillor"');
  });

  test('exit 2 for bad usage: a missing --config, a bad --now, a missing source folder', () => {
    expect(run(['check']).code).toBe(2);
    const badNow = run(['check', '--config', demoConfig, '--now', 'yesterday']);
    expect(badNow.code).toBe(2);
    expect(badNow.stderr).toContain('--now');
    const missing = run(['check', '--config', demoConfig, '--source', path.join(tmp, 'nowhere'), '--json']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('does not exist');
  });
});

describe('wardwatch explain', () => {
  test('shows every rule’s verdict and reason for one message', () => {
    const r = run(['explain', '--config', demoConfig, '--now', '2027-04-12T09:00:00Z', 'demo-06-benches@millbrook-tc.gov.uk']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('Subject: Benches in Riverside Park');
    expect(r.stdout).toMatch(/FIRED requests-via-clerk: .+/);
    const verdictLines = r.stdout.split('\n').filter((l) => /^(FIRED|pass |off  ) /.test(l));
    expect(verdictLines).toHaveLength(RULE_IDS.length);
  });

  test('explains why a near-miss did not fire', () => {
    const r = run(['explain', '--config', demoConfig, '--now', '2027-04-12T09:00:00Z', '<demo-07-precept@millbrook-tc.gov.uk>']);
    expect(r.code).toBe(0);
    const line = r.stdout.split('\n').find((l) => l.includes('requests-via-clerk:'));
    expect(line).toMatch(/^pass /);
    expect(line).toMatch(/factual/i);
  });

  test('an unknown key is exit 2 with a clear message', () => {
    const r = run(['explain', '--config', demoConfig, 'no-such-item@example.org']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('No item with key');
  });
});

describe('the shared corpora through the folder source', () => {
  test('every file is read or reported, and the process never stops', () => {
    const source = path.join(tmp, 'corpora');
    const mailDir = path.join(source, 'mail/corpus@millbrook-tc.gov.uk/inbox');
    const calDir = path.join(source, 'calendars/council-events');
    mkdirSync(mailDir, { recursive: true });
    mkdirSync(calDir, { recursive: true });
    let mail = 0;
    let ics = 0;
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        const p = path.join(dir, name);
        if (statSync(p).isDirectory()) walk(p);
        else if (/\.(eml|msg)$/i.test(name)) symlinkSync(p, path.join(mailDir, `${++mail}-${name.replace(/\.msg$/i, '.eml')}`));
        else if (/\.ics$/i.test(name)) symlinkSync(p, path.join(calDir, `${++ics}-${name}`));
      }
    };
    walk(corpora);
    expect(mail).toBeGreaterThan(150);
    expect(ics).toBeGreaterThan(150);
    const r = run(['check', '--config', demoConfig, '--source', source, '--now', '2027-04-12T09:00:00Z', '--json']);
    expect([0, 1]).toContain(r.code);
    for (const line of r.stdout.trim().split('\n').filter(Boolean)) FindingLine.parse(JSON.parse(line));
    // Every unreadable file is named with a reason.
    for (const line of r.stderr.trim().split('\n').filter((l) => l.startsWith('could not read'))) expect(line).toMatch(/^could not read \S+: .{8,}/);
  });
});
