/**
 * SMTP killed mid-send, again and again, when the mail server files its own copy of what the
 * service mailbox submits in its Sent folder, as Microsoft 365 and Gmail do (`smtp.saveToSent:
 * false`): Wardwatch keeps no Sent copy of its own, only the marked one while a message is being
 * handed over, and after a crash waits `sentCopyWaitSeconds` for the server's copy. Here Postfix
 * files that copy (sender_bcc_maps to protocol+Sent, which Dovecot saves in Sent). See
 * smtp-kill-loop-harness.ts for the loop.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import nodemailer from 'nodemailer';
import { folderSources, messageIdOf } from '../connectors/imap/helpers.js';
import { A } from '../support/council.js';
import { startMailStack, type MailStack } from '../support/servers.js';
import { waitFor } from '../service/helpers.js';
import { D, killChildren, killLoop, MESSAGES, PASSWORD, users } from './smtp-kill-loop-harness.js';

let stack: MailStack;

beforeAll(async () => {
  stack = await startMailStack({ domain: D, users, sentCopies: [A.service] });
}, 60_000);

afterAll(async () => {
  killChildren();
  await stack?.stop();
});

describe('SMTP to a server that files its own Sent copies (saveToSent: false), killed mid-send again and again', () => {
  it('the test server files a copy of what the service mailbox submits in its Sent folder, and of nobody else’s', async () => {
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: stack.ports.smtp, secure: false, ignoreTLS: true, auth: { user: A.service, pass: PASSWORD } });
    try {
      for (const from of [A.service, A.clerk]) {
        await transport.sendMail({ from, to: A.tom, subject: 'Copy check', text: 'A check of the Sent copies.', messageId: `<copy-check-${from.split('@')[0]}@${D}>` });
      }
    } finally {
      transport.close();
    }
    const sentIds = async (address: string): Promise<string[]> => (await folderSources(stack.ports.imap, { address, password: PASSWORD }, 'Sent')).map((s) => messageIdOf(s));
    await waitFor('the server’s Sent copy', async () => (await sentIds(A.service)).includes(`<copy-check-protocol@${D}>`), 10_000, 100);
    expect(await sentIds(A.clerk)).toEqual([]);
  });

  it('at-most-once: every message exactly once, recognised from the server’s copy after a kill; none twice, none lost, none left in doubt', async () => {
    const result = await killLoop(stack, { kind: 'imap', tag: 'server-copy', smtp: { saveToSent: false, sentCopyWaitSeconds: 5 }, delivery: 'at-most-once' });
    expect(result.delivered + result.inDoubt.length, result.context).toBeGreaterThanOrEqual(MESSAGES);
    // The server's copy settles every send a kill cut off: it went (copy) or it did not (none).
    expect(result.inDoubt, result.context).toEqual([]);
    expect(result.delivered, result.context).toBe(MESSAGES);
    // The kills did land while the server's answer was held back, and the copy told the restart it had gone.
    expect(result.recognised, result.context).toBeGreaterThan(0);
  }, 150_000);
});
