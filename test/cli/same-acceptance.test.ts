/**
 * `validate` accepts exactly what `check` and `run` accept: the same configurations, good and
 * subtly bad, fed to all three, with the same verdict. And without `protocol:` all three warn,
 * naming the five profiles, without failing.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCheck } from '../../src/cli/check.js';
import { runService, type StopSignals } from '../../src/cli/run.js';
import { runValidate } from '../../src/cli/validate.js';
import { silentLogger } from '../../src/service/logger.js';
import { makeCouncil, REPO_ROOT, type TestCouncil } from '../service/helpers.js';

/** Asks the service to stop as soon as it listens: it is built (everything checked), then stops before starting. */
const stopAtOnce: StopSignals = {
  listen(onStop) {
    onStop('SIGTERM');
    return () => undefined;
  },
};

function recorder(): { out: (t: string) => void; err: (t: string) => void; stdout: string; stderr: string } {
  const rec = {
    stdout: '',
    stderr: '',
    out: (t: string) => {
      rec.stdout += t;
    },
    err: (t: string) => {
      rec.stderr += t;
    },
  };
  return rec;
}

const SECRET = 'WW_SAME_ACCEPTANCE_PASSWORD';
const UNSET = 'WW_SAME_ACCEPTANCE_NEVER_SET';

const builtIn = readFileSync(path.join(REPO_ROOT, 'templates', 'state-capacity.hbs'), 'utf8');
const brokenTemplate = builtIn.replace(/Dear \{\{recipient\.\w+\}\},/, 'Dear {{recipient.nmae}},');
// The greeting's field may be renamed; the test must still break a template, not copy it.
if (!brokenTemplate.includes('recipient.nmae')) throw new Error('state-capacity.hbs no longer opens with a Dear {{recipient…}} greeting');

interface Case {
  name: string;
  overrides: Record<string, unknown>;
  /** Files to write beside the configuration. */
  files?: Record<string, string>;
  /** Raw text appended to the YAML (for syntax mistakes). */
  raw?: (yaml: string) => string;
  accepted: boolean;
}

const CASES: Case[] = [
  { name: 'the Millbrook council as it is', overrides: {}, accepted: true },
  { name: 'a protocol and a valid rule option', overrides: { protocol: 'knutsford', rules: { 'requests-via-clerk': { options: { directContacts: ['priya.shah@millbrook-tc.gov.uk'] } } } }, accepted: true },
  { name: 'a rule option of the wrong type', overrides: { rules: { 'requests-via-clerk': { options: { directContacts: 'priya.shah@millbrook-tc.gov.uk' } } } }, accepted: false },
  { name: 'an unknown rule option', overrides: { rules: { 'press-via-clerk': { options: { pressDomains: ['bbc.co.uk'] } } } }, accepted: false },
  { name: 'an SMTP sender whose password variable is set', overrides: { sender: { kind: 'smtp', host: 'smtp.millbrook-tc.gov.uk', user: 'protocol@millbrook-tc.gov.uk', password: `\${${SECRET}}` } }, accepted: true },
  { name: 'an SMTP sender whose password variable is not set', overrides: { sender: { kind: 'smtp', host: 'smtp.millbrook-tc.gov.uk', user: 'protocol@millbrook-tc.gov.uk', password: `\${${UNSET}}` } }, accepted: false },
  { name: 'an SMTP user without a password', overrides: { sender: { kind: 'smtp', host: 'smtp.millbrook-tc.gov.uk', user: 'protocol@millbrook-tc.gov.uk' } }, accepted: false },
  { name: 'sending through an IMAP connector that is not configured', overrides: { sender: { kind: 'connector', connector: 'imap' } }, accepted: false },
  { name: 'sending through a connector this installation lacks', overrides: { sender: { kind: 'connector', connector: 'graph' } }, accepted: false },
  {
    name: 'an IMAP connector with a watched mailbox that has no password',
    overrides: { connectors: { folder: { dir: './source' }, imap: { host: '127.0.0.1', password: `\${${SECRET}}` } }, mailboxes: [{ address: 'clerk@millbrook-tc.gov.uk' }] },
    accepted: false,
  },
  { name: 'a templates folder that does not exist', overrides: { templates: { dir: './my-templates' } }, accepted: false },
  { name: "the Clerk's own template, correct", overrides: { templates: { dir: './my-templates' } }, files: { 'my-templates/state-capacity.hbs': builtIn }, accepted: true },
  { name: "the Clerk's own template, broken", overrides: { templates: { dir: './my-templates' } }, files: { 'my-templates/state-capacity.hbs': brokenTemplate }, accepted: false },
  { name: 'an unknown protocol', overrides: { protocol: 'knutsferd' }, accepted: false },
  { name: 'a digest schedule that is not cron', overrides: { digest: { to: ['clerk@millbrook-tc.gov.uk'], cron: 'every morning' } }, accepted: false },
  { name: 'a tab for indentation', overrides: {}, raw: (yaml) => yaml.replace('\n  name: Millbrook Town Council', '\n\tname: Millbrook Town Council'), accepted: false },
];

let councils: TestCouncil[] = [];
beforeAll(() => {
  process.env[SECRET] = 'not-a-real-password';
  delete process.env[UNSET];
});
afterAll(() => {
  delete process.env[SECRET];
});
afterEach(() => {
  for (const c of councils) c.remove();
  councils = [];
});

function councilFor(c: Case): TestCouncil {
  const council = makeCouncil(c.overrides);
  councils.push(council);
  for (const [name, content] of Object.entries(c.files ?? {})) {
    mkdirSync(path.dirname(path.join(council.dir, name)), { recursive: true });
    writeFileSync(path.join(council.dir, name), content);
  }
  if (c.raw) writeFileSync(council.configFile, c.raw(readFileSync(council.configFile, 'utf8')));
  return council;
}

describe('validate, check and run accept the same configurations', () => {
  for (const c of CASES) {
    it(`${c.accepted ? 'accept' : 'reject'}: ${c.name}`, async () => {
      const council = councilFor(c);
      const validate = recorder();
      const validateCode = runValidate(council.configFile, validate);
      const check = recorder();
      const checkCode = await runCheck({ config: council.configFile, source: council.sourceDir, now: '2027-04-12T09:00:00Z' }, check);
      const run = recorder();
      const runCode = await runService({ config: council.configFile }, { io: run, signals: stopAtOnce, logger: silentLogger() });

      const verdicts = { validate: validateCode === 0, check: checkCode === 0, run: runCode === 0 };
      expect(verdicts, `validate: ${validate.stderr}\ncheck: ${check.stderr}\nrun: ${run.stderr}`).toEqual({ validate: c.accepted, check: c.accepted, run: c.accepted });
      if (!c.accepted) {
        expect([validateCode, checkCode, runCode]).toEqual([2, 2, 2]);
        // The same problem lines, whichever command found them.
        const lines = (text: string): string[] => text.split('\n').filter((l) => l !== '' && !l.includes('has 1 problem') && !/has \d+ problems/.test(l) && !l.includes('warning: no protocol'));
        expect(lines(check.stderr)).toEqual(lines(validate.stderr));
        expect(lines(run.stderr)).toEqual(lines(validate.stderr));
      }
    });
  }

  it('names the file and line of a broken template of the Clerk, before anything is sent', async () => {
    const council = councilFor(CASES.find((c) => c.name === "the Clerk's own template, broken") ?? (CASES[0] as Case));
    const out = recorder();
    expect(runValidate(council.configFile, out)).toBe(2);
    const line = brokenTemplate.split('\n').findIndex((l) => l.includes('recipient.nmae')) + 1;
    expect(out.stderr).toContain(`${path.join(council.dir, 'my-templates', 'state-capacity.hbs')}:${line}: {{recipient.nmae}}: there is no field "nmae" in recipient`);
  });
});

describe('what depends on the command line', () => {
  it('validate warns that check and run need --source when the file names no source; they refuse without it, accept with it', async () => {
    const council = councilFor({ name: 'no source', overrides: { protocol: 'knutsford', connectors: {} }, accepted: true });
    const validate = recorder();
    expect(runValidate(council.configFile, validate)).toBe(0);
    expect(validate.stderr).toContain('warning: no source is configured (connectors.folder, connectors.google, connectors.graph or connectors.imap), so check and run will need --source DIR.');
    expect(await runCheck({ config: council.configFile, now: '2027-04-12T09:00:00Z' }, recorder())).toBe(2);
    expect(await runCheck({ config: council.configFile, source: council.sourceDir, now: '2027-04-12T09:00:00Z' }, recorder())).toBe(0);
    expect(await runService({ config: council.configFile }, { io: recorder(), signals: stopAtOnce, logger: silentLogger() })).toBe(2);
    expect(await runService({ config: council.configFile, source: council.sourceDir }, { io: recorder(), signals: stopAtOnce, logger: silentLogger() })).toBe(0);
  });
});

describe('without a protocol', () => {
  it('validate, check and run warn on standard error, naming the five profiles, and carry on', async () => {
    const council = councilFor({ name: 'no protocol', overrides: {}, accepted: true });
    const validate = recorder();
    expect(runValidate(council.configFile, validate)).toBe(0);
    const check = recorder();
    expect(await runCheck({ config: council.configFile, source: council.sourceDir, now: '2027-04-12T09:00:00Z' }, check)).toBe(0);
    const run = recorder();
    expect(await runService({ config: council.configFile }, { io: run, signals: stopAtOnce, logger: silentLogger() })).toBe(0);
    for (const stderr of [validate.stderr, check.stderr, run.stderr]) {
      expect(stderr).toContain('warning: no protocol is chosen');
      expect(stderr).toContain('alton, halstead, havant, knutsford or model-2016');
      expect(stderr).toContain("keeps only that protocol's rules and cites its own paragraph numbers");
    }
    expect(validate.stdout).toContain('is valid');
  });

  it('say nothing of it when a protocol is chosen', () => {
    const council = councilFor({ name: 'knutsford', overrides: { protocol: 'knutsford' }, accepted: true });
    const validate = recorder();
    expect(runValidate(council.configFile, validate)).toBe(0);
    expect(validate.stderr).toBe('');
  });
});
