/**
 * SMTP killed mid-send, again and again (see smtp-kill-loop-harness.ts for the loop):
 *
 *   - plain SMTP (`sender.kind: smtp`): exactly once, or held in doubt;
 *   - SMTP with the service mailbox's Sent folder over IMAP (`sender.kind: connector`, Wardwatch
 *     appending the Sent copy): exactly once, or held in doubt only when the kill fell between
 *     handing the message over and the server's answer (the Sent folder's marked copy says so).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMailStack, type MailStack } from '../support/servers.js';
import { D, killChildren, killLoop, MESSAGES, users } from './smtp-kill-loop-harness.js';

let stack: MailStack;

beforeAll(async () => {
  stack = await startMailStack({ domain: D, users });
}, 60_000);

afterAll(async () => {
  killChildren();
  await stack?.stop();
});

describe('SMTP killed mid-send, again and again (real Postfix and Dovecot, a slow relay)', () => {
  it('plain SMTP: every message exactly once or held in doubt for the Clerk; none twice, none lost', async () => {
    const result = await killLoop(stack, { kind: 'smtp', tag: 'plain' });
    expect(result.delivered + result.inDoubt.length, result.context).toBeGreaterThanOrEqual(MESSAGES);
    // The kills did land mid-send: plain SMTP cannot tell, so those are held, not sent again.
    expect(result.inDoubt.length, result.context).toBeGreaterThan(0);
  }, 120_000);

  it('SMTP with the Sent folder over IMAP: every message exactly once, or held in doubt only when the Sent folder shows a cut-off send', async () => {
    const result = await killLoop(stack, { kind: 'imap', tag: 'sent' });
    expect(result.delivered + result.inDoubt.length, result.context).toBeGreaterThanOrEqual(MESSAGES);
    // A kill while Postfix's answer was held back leaves one in doubt (the marked Sent copy says a
    // send began); every other kill is settled from the Sent folder, sent or not.
    expect(result.inDoubt.length, result.context).toBeGreaterThan(0);
  }, 120_000);
});
