import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMailStack, headerRecipients, type MailStack } from '../../support/servers.js';
import { readGreeting } from '../../../scripts/test-servers/wait.js';

const clerk = { address: 'clerk@millbrook-tc.gov.uk', password: 'clerk-pass-1' };
const tom = { address: 'tom.brown@millbrook-tc.gov.uk', password: 'tom-pass-2' };

async function inboxSubjects(stack: MailStack, user: { address: string; password: string }): Promise<string[]> {
  const client = new ImapFlow({ host: stack.host, port: stack.ports.imap, secure: false, auth: { user: user.address, pass: user.password }, logger: false });
  await client.connect();
  try {
    await client.mailboxOpen('INBOX');
    const subjects: string[] = [];
    for await (const m of client.fetch('1:*', { envelope: true })) subjects.push(m.envelope?.subject ?? '');
    return subjects;
  } finally {
    await client.logout();
  }
}

describe('test mail stack', () => {
  let stack: MailStack;
  beforeAll(async () => {
    stack = await startMailStack({ users: [clerk, tom] });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  test('reads recipients from the headers', () => {
    expect(headerRecipients('From: a@x.org\r\nTo: "A" <A@b.org>,\r\n c@d.org\r\nCc: e@f.org\r\n\r\nTo: nobody@x.org\r\n')).toEqual(['a@b.org', 'c@d.org', 'e@f.org']);
  });

  test('delivers over LMTP into the user\'s INBOX', async () => {
    await stack.deliver('From: j.smith@example.com\r\nTo: clerk@millbrook-tc.gov.uk\r\nSubject: LMTP hello\r\nMessage-ID: <lmtp-1@example.com>\r\n\r\nHello.\r\n');
    expect(await inboxSubjects(stack, clerk)).toContain('LMTP hello');
  });

  test('Postfix relays authenticated SMTP to Dovecot and refuses a wrong password', async () => {
    const ok = nodemailer.createTransport({ host: stack.host, port: stack.ports.smtp, secure: false, auth: { user: tom.address, pass: tom.password } });
    await ok.sendMail({ from: tom.address, to: clerk.address, subject: 'SMTP hello', text: 'Hi' });
    const deadline = Date.now() + 10_000;
    let subjects: string[] = [];
    while (Date.now() < deadline) {
      subjects = await inboxSubjects(stack, clerk);
      if (subjects.includes('SMTP hello')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(subjects).toContain('SMTP hello');
    const bad = nodemailer.createTransport({ host: stack.host, port: stack.ports.smtp, secure: false, auth: { user: tom.address, pass: 'wrong' } });
    await expect(bad.sendMail({ from: tom.address, to: clerk.address, subject: 'x', text: 'y' })).rejects.toMatchObject({ code: 'EAUTH' });
    ok.close();
    bad.close();
  });

  test('Radicale answers with authentication', async () => {
    const auth = 'Basic ' + Buffer.from(`${clerk.address}:${clerk.password}`).toString('base64');
    const res = await fetch(stack.caldavUrl, { method: 'PROPFIND', headers: { authorization: auth, depth: '0' } });
    expect(res.status).toBe(207);
    const denied = await fetch(stack.caldavUrl, { method: 'PROPFIND', headers: { authorization: 'Basic ' + Buffer.from(`${clerk.address}:nope`).toString('base64'), depth: '0' } });
    expect(denied.status).toBe(401);
  });

  test('Dovecot restarts on the same port and keeps the mail', async () => {
    await stack.restartDovecot();
    expect(await readGreeting(stack.ports.imap)).toMatch(/^\* OK/);
    expect(await inboxSubjects(stack, clerk)).toContain('LMTP hello');
  });

  test('Radicale stops and starts again', async () => {
    await stack.stopRadicale();
    await expect(fetch(stack.caldavUrl)).rejects.toThrow();
    await stack.startRadicale();
    expect((await fetch(stack.caldavUrl, { redirect: 'manual' })).status).toBeGreaterThan(0);
  });

  test('the password of a user, and a clear error for a stranger', () => {
    expect(stack.password('CLERK@millbrook-tc.gov.uk')).toBe(clerk.password);
    expect(() => stack.password('nobody@millbrook-tc.gov.uk')).toThrow(/not a user/);
  });

  // Last: it stops the stack (afterAll's stop is then a no-op).
  test('stopping frees the ports and removes the directory', async () => {
    const { imap, smtp, caldav } = stack.ports;
    expect(stack.logs().postfix).toContain('daemon started');
    await stack.stop();
    for (const port of [imap, smtp]) await expect(readGreeting(port, 500)).rejects.toThrow();
    await expect(fetch(`http://127.0.0.1:${caldav}/`)).rejects.toThrow();
    await stack.stop();
  });
});

describe('starting a stack', () => {
  test('refuses a user that passwd-file cannot hold, and leaves no directory behind', async () => {
    const parentDir = mkdtempSync(join(tmpdir(), 'wardwatch-parent-'));
    try {
      await expect(startMailStack({ parentDir, users: [{ address: 'bad:name@millbrook-tc.gov.uk', password: 'x' }] })).rejects.toThrow(/passwd-file/);
      expect(readdirSync(parentDir)).toEqual([]);
    } finally {
      rmSync(parentDir, { recursive: true, force: true });
    }
  });
});
