import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchResponseContent, GraphError } from '@microsoft/microsoft-graph-client';
import type { Message } from '@microsoft/microsoft-graph-types';
import { MB, startHarness, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => { h = await startHarness(); });
afterAll(async () => { await h.close(); });

const IMMUTABLE = 'IdType="ImmutableId"';
const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

/** A nudge as the connector will render it: its own Message-ID, Bcc, Auto-Submitted, the effect key. */
function nudgeMime(key: string, opts: { messageId?: string | null; bcc?: boolean; to?: string } = {}): string {
  const messageId = opts.messageId === undefined ? `<${key}@wardwatch.millbrook-tc.gov.uk>` : opts.messageId;
  return [
    'From: "Millbrook Protocol" <protocol@millbrook-tc.gov.uk>',
    `To: "Cllr Sue Taylor" <${opts.to ?? MB.sue}>`,
    `Cc: "Helen Ashworth" <${MB.clerk}>`,
    ...(opts.bcc === false ? [] : [`Bcc: ${MB.raj}`]),
    'Subject: A gentle reminder about the Member/Officer Protocol',
    'Date: Mon, 12 Apr 2027 09:00:00 +0000',
    ...(messageId === null ? [] : [`Message-ID: ${messageId}`]),
    'Auto-Submitted: auto-generated',
    `X-Wardwatch-Key: ${key}`,
    `X-Wardwatch-Effect: ${key}`,
    'X-Wardwatch-Note: clause 4.2,',
    ' blind copies',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 7bit',
    '',
    'Dear Cllr Taylor,',
    '',
    'Clause 4.2 asks members to copy the Clerk openly rather than blind.',
    '',
    'Kind regards',
    '',
  ].join('\r\n');
}

async function valueOf(mailbox: string, id: string): Promise<string> {
  const stream = await h.client.api(`/users/${mailbox}/messages/${id}/$value`).header('Prefer', IMMUTABLE).getStream() as unknown;
  return typeof stream === 'string' ? stream : new Response(stream as ReadableStream).text();
}

const postMime = (path: string, body: string): Promise<unknown> =>
  h.client.api(path).header('Content-Type', 'text/plain').header('Prefer', IMMUTABLE).post(body);

describe('Graph simulator: MIME drafts and sends', () => {
  it('creates a draft from base64 MIME, finds it by internetMessageId, and sends that MIME', async () => {
    const key = "eff-mime-o'brien-1";
    const mime = nudgeMime(key);
    const draft = await postMime(`/users/${MB.service}/messages`, b64(mime)) as Message & { id: string };
    // The JSON is what the MIME says.
    expect(draft).toMatchObject({
      isDraft: true, subject: 'A gentle reminder about the Member/Officer Protocol',
      internetMessageId: `<${key}@wardwatch.millbrook-tc.gov.uk>`,
      from: { emailAddress: { name: 'Millbrook Protocol', address: MB.service } },
      toRecipients: [{ emailAddress: { name: 'Cllr Sue Taylor', address: MB.sue } }],
      ccRecipients: [{ emailAddress: { name: 'Helen Ashworth', address: MB.clerk } }],
      bccRecipients: [{ emailAddress: { address: MB.raj } }],
      body: { contentType: 'text' },
    });
    expect(draft.body?.content).toContain('Clause 4.2 asks members');
    expect(draft.internetMessageHeaders).toBeUndefined();
    // The draft keeps the MIME exactly as given: every header, Bcc and custom ones included.
    expect(await valueOf(MB.service, draft.id)).toBe(mime);

    // Found again in Drafts by its Message-ID; OData doubles the quote inside the literal.
    const literal = `<${key}@wardwatch.millbrook-tc.gov.uk>`.replace(/'/g, "''");
    const found = await h.client.api(`/users/${MB.service}/mailFolders/drafts/messages`).header('Prefer', IMMUTABLE)
      .filter(`internetMessageId eq '${literal}'`).select('id,internetMessageId,isDraft').get() as { value: Message[] };
    expect(found.value.map((m) => m.id)).toEqual([draft.id]);
    const other = await h.client.api(`/users/${MB.service}/mailFolders/drafts/messages`)
      .filter(`internetMessageId eq '<eff-mime-obrien-1@wardwatch.millbrook-tc.gov.uk>'`).get() as { value: Message[] };
    expect(other.value).toEqual([]);

    await h.client.api(`/users/${MB.service}/messages/${draft.id}/send`).post({});
    expect(h.sim.sentCount('x-wardwatch-effect', key)).toBe(1);
    expect(h.sim.sentCount('X-WARDWATCH-KEY', key)).toBe(1);
    const record = h.sim.state.sent.find((s) => s.internetMessageId === `<${key}@wardwatch.millbrook-tc.gov.uk>`);
    expect(record).toMatchObject({ kind: 'mail', from: MB.service, to: [MB.sue], cc: [MB.clerk], bcc: [MB.raj], mime });
    expect(record?.headers).toEqual(expect.arrayContaining([
      { name: 'Auto-Submitted', value: 'auto-generated' },
      { name: 'X-Wardwatch-Note', value: 'clause 4.2, blind copies' },
    ]));
    expect(h.sim.state.messagesIn(MB.service, 'drafts')).toEqual([]);

    // Sent Items: the MIME as given (Bcc kept), found by the same Message-ID.
    const sent = await h.client.api(`/users/${MB.service}/mailFolders/sentitems/messages`).header('Prefer', IMMUTABLE)
      .filter(`internetMessageId eq '${literal}'`).get() as { value: Message[] };
    expect(sent.value).toHaveLength(1);
    expect(sent.value[0]?.bccRecipients?.map((r) => r.emailAddress?.address)).toEqual([MB.raj]);
    expect(await valueOf(MB.service, sent.value[0]?.id ?? '')).toBe(mime);

    // Recipients' copies: the same message without its Bcc field, everything else kept.
    for (const who of [MB.sue, MB.clerk, MB.raj]) {
      const copy = h.sim.state.messagesIn(who, 'inbox').find((m) => m.json.internetMessageId === `<${key}@wardwatch.millbrook-tc.gov.uk>`);
      expect(copy?.mime).toBe(mime.replace(`Bcc: ${MB.raj}\r\n`, ''));
      expect(copy?.json.bccRecipients).toEqual([]);
      expect(copy?.json.internetMessageHeaders?.find((x) => x.name?.toLowerCase() === 'x-wardwatch-effect')?.value).toBe(key);
    }
  });

  it('gives a MIME draft without a Message-ID one of its own, in the JSON and in $value', async () => {
    const draft = await postMime(`/users/${MB.service}/messages`, b64(nudgeMime('eff-mime-noid', { messageId: null, bcc: false }))) as Message & { id: string };
    expect(draft.internetMessageId).toMatch(/^<[^<>@\s]+@[^<>\s]+>$/);
    const value = await valueOf(MB.service, draft.id);
    expect(value).toContain(`Message-ID: ${draft.internetMessageId ?? ''}\r\n`);
    expect(value).toContain('\r\nX-Wardwatch-Effect: eff-mime-noid\r\n');
    await h.client.api(`/users/${MB.service}/messages/${draft.id}/send`).post({});
    expect(h.sim.state.sent.find((s) => s.internetMessageId === draft.internetMessageId)?.headers)
      .toContainEqual({ name: 'X-Wardwatch-Effect', value: 'eff-mime-noid' });
  });

  it('refuses bodies that are not base64 or not MIME, as Graph does, and creates nothing', async () => {
    const before = h.sim.state.messagesIn(MB.service, 'drafts').length;
    const notBase64 = await postMime(`/users/${MB.service}/messages`, nudgeMime('eff-raw')).catch((e: unknown) => e) as GraphError;
    expect(notBase64.statusCode).toBe(400);
    expect(notBase64.code).toBe('ErrorMimeContentInvalidBase64String');
    // A JSON message sent as text/plain is taken for (bad) MIME, not read as JSON.
    const jsonAsText = await postMime(`/users/${MB.service}/messages`, JSON.stringify({ subject: 'x' })).catch((e: unknown) => e) as GraphError;
    expect(jsonAsText.code).toBe('ErrorMimeContentInvalidBase64String');
    const notMime = await postMime(`/users/${MB.service}/messages`, b64('just some words, no header block')).catch((e: unknown) => e) as GraphError;
    expect(notMime.statusCode).toBe(400);
    expect(notMime.code).toBe('ErrorMimeContentInvalid');
    const viaSendMail = await postMime(`/users/${MB.service}/sendMail`, 'not*base64').catch((e: unknown) => e) as GraphError;
    expect(viaSendMail.code).toBe('ErrorMimeContentInvalidBase64String');
    expect(h.sim.state.messagesIn(MB.service, 'drafts')).toHaveLength(before);
    expect(h.sim.state.sent.filter((s) => s.subject === 'x')).toEqual([]);
  });

  it('sendMail with a base64 MIME body: Sent Items keeps the MIME, recipients get it without Bcc', async () => {
    const key = 'eff-mime-sendmail-1';
    const mime = nudgeMime(key);
    const res = await postMime(`/users/${MB.service}/sendMail`, b64(mime));
    expect(res).toBeFalsy();
    expect(h.sim.requests((r) => r.path === `/users/${MB.service}/sendMail`).at(-1)?.status).toBe(202);
    expect(h.sim.sentCount('x-wardwatch-effect', key)).toBe(1);
    const sentCopy = h.sim.state.messagesIn(MB.service, 'sentitems').find((m) => m.json.internetMessageId === `<${key}@wardwatch.millbrook-tc.gov.uk>`);
    expect(sentCopy?.mime).toBe(mime);
    expect(sentCopy?.json.isRead).toBe(true);
    const rajCopy = h.sim.state.messagesIn(MB.raj, 'inbox').find((m) => m.json.internetMessageId === `<${key}@wardwatch.millbrook-tc.gov.uk>`);
    expect(rajCopy?.mime).not.toMatch(/^Bcc:/im);
    expect(rajCopy?.mime).toMatch(/^Auto-Submitted: auto-generated\r$/m);

    const noRecipients = [
      'From: protocol@millbrook-tc.gov.uk', 'Subject: Nobody', 'Message-ID: <nobody-1@wardwatch.millbrook-tc.gov.uk>', '', 'Hello', '',
    ].join('\r\n');
    const err = await postMime(`/users/${MB.service}/sendMail`, b64(noRecipients)).catch((e: unknown) => e) as GraphError;
    expect(err.statusCode).toBe(400);
    expect(err.code).toBe('ErrorInvalidRecipients');
    expect(h.sim.state.sent.some((s) => s.subject === 'Nobody')).toBe(false);
  });

  it('$batch: a $value body comes back base64 with its content type; JSON bodies stay objects', async () => {
    const mime = nudgeMime('eff-mime-batch', { bcc: false });
    const draft = await postMime(`/users/${MB.service}/messages`, b64(mime)) as Message & { id: string };
    const raw = await h.client.api('/$batch').post({
      requests: [
        { id: '1', method: 'GET', url: `/users/${MB.service}/messages/${draft.id}/$value`, headers: { Prefer: IMMUTABLE } },
        { id: '2', method: 'GET', url: `/users/${MB.service}/messages/${draft.id}?$select=subject`, headers: { Prefer: IMMUTABLE } },
        { id: '3', method: 'GET', url: `/users/${MB.service}/messages/nope/$value` },
      ],
    }) as { responses: Array<{ id: string; status: number; headers: Record<string, string>; body?: unknown }> };
    const [value, meta, missing] = raw.responses;
    expect(value?.status).toBe(200);
    expect(value?.headers['Content-Type']).toBe('text/plain');
    expect(typeof value?.body).toBe('string');
    expect(Buffer.from(String(value?.body), 'base64').toString('utf8')).toBe(mime);
    expect(meta?.headers['Content-Type']).toMatch(/^application\/json/);
    expect(meta?.body).toMatchObject({ id: draft.id, subject: 'A gentle reminder about the Member/Officer Protocol' });
    expect(missing?.status).toBe(404);
    expect(missing?.body).toMatchObject({ error: { code: 'ErrorItemNotFound' } });

    // The SDK's BatchResponseContent reads both kinds as Graph's shape requires.
    const content = new BatchResponseContent(raw as never);
    expect(await content.getResponseById('2').json()).toMatchObject({ subject: 'A gentle reminder about the Member/Officer Protocol' });
    expect(Buffer.from(await content.getResponseById('1').text(), 'base64').toString('utf8')).toBe(mime);
  });
});
