/**
 * `wardwatch check` loads what it needs and no more (issue 12, point 20): the service's, the
 * digest's and the templates' libraries stay unloaded, and the mail parser waits for the first
 * message. Watched through Node's module hooks on the built program, as a user runs it.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const bin = path.join(root, 'bin/wardwatch.js');
const demoConfig = path.join(root, 'config/demo/council.yaml');

let tmp: string;

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'wardwatch-startup-'));
  writeFileSync(
    path.join(tmp, 'hooks.mjs'),
    `import { appendFileSync } from 'node:fs';
export async function load(url, context, next) {
  appendFileSync(${JSON.stringify(path.join(tmp, 'loaded.txt'))}, url + '\\n');
  return next(url, context);
}
`,
  );
  writeFileSync(path.join(tmp, 'register.mjs'), `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(path.join(tmp, 'hooks.mjs')).href)});\n`);
  mkdirSync(path.join(tmp, 'calendars-only/calendars/council-events'), { recursive: true });
  mkdirSync(path.join(tmp, 'with-mail/mail/sue.taylor@millbrook-tc.gov.uk/sent'), { recursive: true });
  writeFileSync(
    path.join(tmp, 'with-mail/mail/sue.taylor@millbrook-tc.gov.uk/sent/apologies.eml'),
    'From: sue.taylor@millbrook-tc.gov.uk\r\nTo: clerk@millbrook-tc.gov.uk\r\nSubject: Apologies\r\nMessage-ID: <apologies-1@millbrook-tc.gov.uk>\r\nDate: Mon, 1 Mar 2027 10:00:00 +0000\r\n\r\nPlease send my apologies for Wednesday.\r\n',
  );
});

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The packages under node_modules whose modules a run of the CLI loaded. */
function packagesLoaded(args: string[]): Set<string> {
  const log = path.join(tmp, 'loaded.txt');
  writeFileSync(log, '');
  const r = spawnSync(process.execPath, ['--import', pathToFileURL(path.join(tmp, 'register.mjs')).href, bin, ...args], { encoding: 'utf8', timeout: 120_000 });
  expect(r.status, r.stderr).toBe(0);
  const packages = new Set<string>();
  for (const url of readFileSync(log, 'utf8').split('\n')) {
    const m = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
    if (m?.[1]) packages.add(m[1]);
  }
  return packages;
}

const NOT_FOR_CHECK = ['handlebars', 'nodemailer', 'better-sqlite3', 'pino', 'prom-client', 'imapflow', 'tsdav', 'mailparser', 'html-to-text'];

describe('what check loads', () => {
  it('on calendars alone: none of the service, digest, template or mail libraries', () => {
    const loaded = packagesLoaded(['check', '--config', demoConfig, '--source', path.join(tmp, 'calendars-only'), '--now', '2027-04-12T09:00:00Z']);
    expect(loaded).toContain('ical.js');
    for (const name of NOT_FOR_CHECK) expect(loaded, name).not.toContain(name);
  });

  it('with a message: the mail parser too, and still nothing of the service', () => {
    const loaded = packagesLoaded(['check', '--config', demoConfig, '--source', path.join(tmp, 'with-mail'), '--now', '2027-04-12T09:00:00Z']);
    expect(loaded).toContain('mailparser');
    for (const name of ['handlebars', 'better-sqlite3', 'pino', 'prom-client', 'imapflow', 'tsdav']) expect(loaded, name).not.toContain(name);
  });

  it('--help still lists every command', () => {
    const r = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8', timeout: 120_000 });
    expect(r.status).toBe(0);
    for (const command of ['validate', 'schema', 'init', 'check', 'explain', 'digest', 'templates', 'run', 'outbox', 'findings', 'users', 'prune']) expect(r.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
  });
});
