import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphError } from '@microsoft/microsoft-graph-client';
import type { Message } from '@microsoft/microsoft-graph-types';
import { RetryHandlerOptions } from '@microsoft/microsoft-graph-client';
import { CLIENT_ID, MB, SECRET, graphClient, secretCredential, startHarness, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => { h = await startHarness(); });
afterAll(async () => { await h.close(); });

const EFFECT = 'x-wardwatch-effect';
const nudge = (key: string, extra: Partial<Message> = {}): Message => ({
  subject: 'A gentle reminder about the Member/Officer Protocol',
  body: { contentType: 'text', content: 'Dear Cllr Taylor,\n\nClause 4.2 asks members to copy the Clerk openly rather than blind.\n\nKind regards' },
  toRecipients: [{ emailAddress: { name: 'Cllr Sue Taylor', address: MB.sue } }],
  internetMessageHeaders: [{ name: EFFECT, value: key }],
  internetMessageId: `<${key}@wardwatch.millbrook-tc.gov.uk>`,
  ...extra,
});

describe('Graph simulator: sending', () => {
  it('creates a draft with an x- header, sends it once, and files the Sent Items copy', async () => {
    const draft = await h.client.api(`/users/${MB.service}/messages`).header('Prefer', 'IdType="ImmutableId"').post(nudge('eff-draft-1')) as { id: string; isDraft: boolean; parentFolderId: string };
    expect(draft.isDraft).toBe(true);
    expect(h.sim.state.messagesIn(MB.service, 'drafts').map((m) => m.json.id)).toEqual([draft.id]);
    await h.client.api(`/users/${MB.service}/messages/${draft.id}/send`).post({});
    expect(h.sim.sentCount(EFFECT, 'eff-draft-1')).toBe(1);
    expect(h.sim.state.messagesIn(MB.service, 'drafts')).toEqual([]);
    expect(h.sim.state.messagesIn(MB.sue, 'inbox').map((m) => m.json.subject)).toContain('A gentle reminder about the Member/Officer Protocol');
    // The effect is found again in Sent Items by its deterministic Message-ID. As on Graph, the
    // Sent Items copy has no internetMessageHeaders; the x- header is only in its MIME.
    const found = await h.client.api(`/users/${MB.service}/mailFolders/sentitems/messages`)
      .filter(`internetMessageId eq '<eff-draft-1@wardwatch.millbrook-tc.gov.uk>'`).select('id,internetMessageHeaders').get() as { value: Message[] };
    expect(found.value).toHaveLength(1);
    expect(found.value[0]?.internetMessageHeaders).toBeUndefined();
    const mime = h.sim.state.messagesIn(MB.service, 'sentitems')[0]?.mime ?? '';
    expect(mime).toMatch(/^x-wardwatch-effect: eff-draft-1\r?$/im);
    // The recipient's copy came through transport and carries its headers.
    const inbox = await h.client.api(`/users/${MB.sue}/mailFolders/inbox/messages`)
      .filter(`internetMessageId eq '<eff-draft-1@wardwatch.millbrook-tc.gov.uk>'`).select('internetMessageHeaders').get() as { value: Message[] };
    // Header names are case-insensitive (this copy says X-Wardwatch-Effect): compare them so.
    expect(inbox.value[0]?.internetMessageHeaders?.find((x) => x.name?.toLowerCase() === EFFECT)?.value).toBe('eff-draft-1');
    // The draft is gone once sent: sending it again finds nothing.
    const again = await h.client.api(`/users/${MB.service}/messages/${draft.id}/send`).post({}).catch((e: unknown) => e);
    expect((again as GraphError).statusCode).toBe(404);
  });

  it('refuses more than five custom headers and names without x-', async () => {
    const six = Array.from({ length: 6 }, (_, i) => ({ name: `x-h${i}`, value: String(i) }));
    const tooMany = await h.client.api(`/users/${MB.service}/messages`).post(nudge('eff-6', { internetMessageHeaders: six })).catch((e: unknown) => e);
    expect((tooMany as GraphError).statusCode).toBe(400);
    const badName = await h.client.api(`/users/${MB.service}/messages`).post(nudge('eff-7', { internetMessageHeaders: [{ name: 'Wardwatch', value: '1' }] })).catch((e: unknown) => e);
    expect((badName as GraphError).code).toBe('InvalidInternetMessageHeader');
  });

  it('sendMail delivers to recipients without Bcc and keeps bccRecipients in the Sent Items copy', async () => {
    await h.client.api(`/users/${MB.sue}/sendMail`).post({
      message: {
        subject: 'Riverside Park bins', body: { contentType: 'text', content: 'Sam, could the bins be emptied?' },
        toRecipients: [{ emailAddress: { address: MB.sam } }], bccRecipients: [{ emailAddress: { address: MB.raj } }],
        internetMessageId: '<bins-1@millbrook-tc.gov.uk>',
      },
      saveToSentItems: true,
    });
    const samCopy = h.sim.state.messagesIn(MB.sam, 'inbox').find((m) => m.json.subject === 'Riverside Park bins');
    expect(samCopy?.json.bccRecipients).toEqual([]);
    expect(samCopy?.mime).not.toMatch(/^Bcc:/im);
    expect(h.sim.state.messagesIn(MB.raj, 'inbox').some((m) => m.json.subject === 'Riverside Park bins')).toBe(true);
    const sentCopy = h.sim.state.messagesIn(MB.sue, 'sentitems').find((m) => m.json.subject === 'Riverside Park bins');
    expect(sentCopy?.json.bccRecipients?.map((r) => r.emailAddress?.address)).toEqual([MB.raj]);
    expect(sentCopy?.mime).toMatch(/^Bcc: raj\.mehta@millbrook-tc\.gov\.uk/im);
    const viaApi = await h.client.api(`/users/${MB.sue}/messages/${sentCopy?.json.id ?? ''}`).header('Prefer', 'IdType="ImmutableId"').get() as Message;
    expect(viaApi.bccRecipients?.[0]?.emailAddress?.address).toBe(MB.raj);
  });

  it.each([503, 504] as const)('answers %i after the send took effect', async (status) => {
    const key = `eff-${status}`;
    h.sim.inject({ kind: 'status', status, when: 'after', retryAfter: 'none' }, { method: 'POST', path: `/users/${MB.service}/sendMail` });
    const err = await h.client.api(`/users/${MB.service}/sendMail`).post({ message: nudge(key) }).catch((e: unknown) => e);
    expect((err as GraphError).statusCode).toBe(status);
    expect(h.sim.sentCount(EFFECT, key)).toBe(1);
  });

  it("shows why sends must not go through the SDK's retry middleware: it re-POSTs after a 503 that followed the send", async () => {
    const retrying = graphClient(h.sim, secretCredential(h.sim, CLIENT_ID, SECRET), { retry: new RetryHandlerOptions(0, 1) });
    h.sim.inject({ kind: 'status', status: 503, when: 'after', retryAfter: { seconds: 0 } }, { method: 'POST', path: `/users/${MB.service}/sendMail` });
    await retrying.api(`/users/${MB.service}/sendMail`).post({ message: nudge('eff-sdk-retry') });
    expect(h.sim.requests((r) => r.method === 'POST' && r.path === `/users/${MB.service}/sendMail`).slice(-2).map((r) => r.status)).toEqual([503, 202]);
    expect(h.sim.sentCount(EFFECT, 'eff-sdk-retry')).toBe(2);
  });

  it('drops the connection after a send took effect', async () => {
    h.sim.inject({ kind: 'drop', when: 'after' }, { method: 'POST', path: '/send' });
    const draft = await h.client.api(`/users/${MB.service}/messages`).post(nudge('eff-drop')) as { id: string };
    const err = await h.client.api(`/users/${MB.service}/messages/${draft.id}/send`).post({}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(h.sim.sentCount(EFFECT, 'eff-drop')).toBe(1);
    expect(h.sim.faults.stats.fired['drop']).toBe(1);
  });

  it('forwards a message with a cover note', async () => {
    const id = await h.sim.deliver(MB.service, 'inbox', 'From: tom.brown@millbrook-tc.gov.uk\r\nTo: protocol@millbrook-tc.gov.uk\r\nSubject: Castle Street parking\r\nMessage-ID: <p1@x>\r\n\r\nPlease act.\r\n');
    await h.client.api(`/users/${MB.service}/messages/${id}/forward`).post({
      comment: 'Routed to the Clerk under clause 6.1.', toRecipients: [{ emailAddress: { address: MB.clerk } }],
    });
    const sent = h.sim.state.sent.find((s) => s.kind === 'forward');
    expect(sent).toMatchObject({ from: MB.service, to: [MB.clerk], subject: 'FW: Castle Street parking' });
    expect(h.sim.state.messagesIn(MB.clerk, 'inbox').some((m) => m.json.subject === 'FW: Castle Street parking')).toBe(true);
  });
});
