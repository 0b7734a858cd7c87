/**
 * Text from mail and calendars is hostile until shown otherwise: an escape sequence in a subject or
 * an event title must not reach the Clerk's terminal through `check` or `explain`, and a stray NUL
 * in a header must not make a whole message unreadable.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { forTerminal } from '../../src/output/terminal.js';

const root = path.resolve(import.meta.dirname, '../..');
const cli = path.join(root, 'dist/src/cli.js');
const demoConfig = path.join(root, 'config/demo/council.yaml');
const NOW = '2027-04-12T09:00:00Z';
const ESC = '\u001b';

function run(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Cllr Raj Mehta asks an officer for work without the Clerk (requests-via-clerk fires), from his own Sent folder. */
function request(id: string, subjectLine: string): string {
  return [
    'From: Cllr Raj Mehta <raj.mehta@millbrook-tc.gov.uk>',
    'To: Dan Okafor <dan.okafor@millbrook-tc.gov.uk>',
    subjectLine,
    'Date: Fri, 5 Mar 2027 12:30:00 +0000',
    `Message-ID: <${id}@millbrook-tc.gov.uk>`,
    'Content-Type: text/plain; charset=utf-8',
    '',
    'Hi Dan,',
    '',
    'Could you please arrange for the benches by the bandstand in Riverside Park to be repainted before the',
    'Easter weekend? Several residents have mentioned how shabby they look.',
    '',
    'Thanks,',
    'Raj',
    '',
  ].join('\r\n');
}

const EVENT = [
  'BEGIN:VCALENDAR',
  'VERSION:2.0',
  'PRODID:-//Millbrook//Test//EN',
  'BEGIN:VEVENT',
  'UID:hostile-title@millbrook-tc.gov.uk',
  'DTSTAMP:20270301T090000Z',
  'DTSTART:20270420T180000Z',
  'DTEND:20270420T200000Z',
  `SUMMARY:Public meeting ${ESC}[8mhidden${ESC}[0m on Riverside Park`,
  `LOCATION:Riverside Park pavilion${ESC}]8;;https://evil.example/${ESC}\\\\`,
  'ORGANIZER;CN=Helen Ashworth:mailto:clerk@millbrook-tc.gov.uk',
  'CATEGORIES:Public meeting',
  'END:VEVENT',
  'END:VCALENDAR',
  '',
].join('\r\n');

let source: string;
beforeAll(() => {
  expect(existsSync(cli), 'npm test builds dist/ before vitest runs').toBe(true);
  source = mkdtempSync(path.join(os.tmpdir(), 'wardwatch-hostile-'));
  const sent = path.join(source, 'mail', 'raj.mehta@millbrook-tc.gov.uk', 'sent');
  mkdirSync(sent, { recursive: true });
  writeFileSync(path.join(sent, 'escapes.eml'), request('hostile-escapes', `Subject: Benches ${ESC}[2J${ESC}[31min red${ESC}]0;owned\u0007 \u009b31m\rforged`));
  writeFileSync(path.join(sent, 'nul.eml'), request('hostile-nul', 'Subject: Benches in\u0000 Riverside Park'));
  writeFileSync(path.join(sent, 'id.eml'), request(`hostile-id${ESC}[2J${ESC}[31m`, 'Subject: Benches'));
  const calendar = path.join(source, 'calendars', 'council-events');
  mkdirSync(calendar, { recursive: true });
  writeFileSync(path.join(calendar, 'hostile.ics'), EVENT);
});
afterAll(() => rmSync(source, { recursive: true, force: true }));

/** No control character a terminal acts on: ESC, BEL, C1 (CSI), a bare carriage return. */
function expectHarmless(text: string): void {
  expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
}

describe('hostile text in check and explain', () => {
  test('check’s readable report shows escape sequences as visible stand-ins, and the NUL message is judged', () => {
    const r = run(['check', '--config', demoConfig, '--source', source, '--now', NOW]);
    expect(r.code).toBe(1);
    expectHarmless(r.stdout);
    expect(r.stdout).toContain('mail <hostile-id␛[2J␛[31m@millbrook-tc.gov.uk>');
    expect(r.stdout).toContain('␛[8mhidden␛[0m');
    // The message with a NUL in its Subject is read as text and judged like any other.
    expect(r.stdout).toContain('<hostile-nul@millbrook-tc.gov.uk>');
    expect(r.stdout).not.toContain('nul.eml');
    expect(r.stderr).not.toContain('nul.eml');
  });

  test('check --json keeps findings as JSON, and its diagnostics on standard error are harmless', () => {
    const r = run(['check', '--config', demoConfig, '--source', source, '--now', NOW, '--json']);
    expect(r.code).toBe(1);
    expectHarmless(r.stderr);
    const keys = r.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { item: { key: string } }).item.key);
    expect(keys).toContain('<hostile-escapes@millbrook-tc.gov.uk>');
    expect(keys).toContain('<hostile-nul@millbrook-tc.gov.uk>');
  });

  test('explain shows a message’s subject and an event’s title and location harmlessly', () => {
    const mail = run(['explain', '--config', demoConfig, '--source', source, '--now', NOW, '<hostile-escapes@millbrook-tc.gov.uk>']);
    expect(mail.code).toBe(1);
    expectHarmless(mail.stdout);
    expect(mail.stdout).toContain('Subject: Benches ␛[2J␛[31min red␛]0;owned␇ \\u{9b}31m forged');
    const nul = run(['explain', '--config', demoConfig, '--source', source, '--now', NOW, '<hostile-nul@millbrook-tc.gov.uk>']);
    expect(nul.stdout).toContain('Subject: Benches in Riverside Park');
    expect(nul.stdout).toContain('FIRED requests-via-clerk');
    const event = run(['explain', '--config', demoConfig, '--source', source, '--now', NOW, 'hostile-title@millbrook-tc.gov.uk']);
    expectHarmless(event.stdout);
    expect(event.stdout).toContain('Summary: Public meeting ␛[8mhidden␛[0m on Riverside Park');
    expect(event.stdout).toContain('Where: Riverside Park pavilion␛]8;;https://evil.example/␛');
  });
});

describe('forTerminal', () => {
  test('keeps ordinary text, line breaks, tabs and CRLF; shows every control and bidirectional override', () => {
    expect(forTerminal('Cllr Alice Green — Castle ward\n\tMarket Square £5\r\n')).toBe('Cllr Alice Green — Castle ward\n\tMarket Square £5\r\n');
    expect(forTerminal('a\u001b[31mb\u0007c\u0000d\u007fe\u009bf\u202eg\u2066h\ri')).toBe('a␛[31mb␇c␀d␡e\\u{9b}f\\u{202e}g\\u{2066}h␍i');
  });
});
