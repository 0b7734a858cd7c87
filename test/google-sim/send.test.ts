import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { b64url, eml, fail, startHarness, U, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => { h = await startHarness(); });
afterAll(async () => { await h.close(); });

describe('Google simulator: users.messages.send', () => {
  it('delivers to the simulated recipients without Bcc; the SENT copy keeps it; found by rfc822msgid:', async () => {
    const gmail = h.gmail(U.service);
    const start = (await gmail.users.getProfile({ userId: 'me' })).data.historyId ?? '';
    const mime = eml({
      from: U.service, to: [U.sue], cc: [U.sam], bcc: [U.clerk], subject: 'Reminder', messageId: '<ww-effect-42@wardwatch.millbrook-tc.gov.uk>',
      headers: { 'X-Wardwatch-Effect': 'effect-42', 'Auto-Submitted': 'auto-generated' },
    });
    const res = await gmail.users.messages.send({ userId: 'me', requestBody: { raw: b64url(mime) } }, { retry: false });
    expect(res.data).toMatchObject({ id: expect.any(String), threadId: expect.any(String), labelIds: ['SENT'] });

    const sent = h.sim.state.messages(U.service, 'SENT');
    expect(sent).toHaveLength(1);
    expect(sent[0]?.raw).toContain(`Bcc: ${U.clerk}`);
    for (const r of [U.sue, U.sam, U.clerk]) {
      const inbox = h.sim.state.messages(r, 'INBOX');
      expect(inbox).toHaveLength(1);
      expect(inbox[0]?.raw).not.toMatch(/^Bcc:/im);
      expect(inbox[0]?.raw).toContain('X-Wardwatch-Effect: effect-42');
      expect(inbox[0]?.labelIds).toContain('UNREAD');
    }

    const found = await gmail.users.messages.list({ userId: 'me', q: 'rfc822msgid:<ww-effect-42@wardwatch.millbrook-tc.gov.uk>' });
    expect(found.data.messages).toEqual([{ id: res.data.id, threadId: res.data.threadId }]);
    const inSue = await h.gmail(U.sue).users.messages.list({ userId: 'me', q: 'rfc822msgid:ww-effect-42@wardwatch.millbrook-tc.gov.uk' });
    expect(inSue.data.messages).toHaveLength(1);

    const history = await gmail.users.history.list({ userId: 'me', startHistoryId: start, historyTypes: ['messageAdded'] });
    expect(history.data.history?.[0]?.messagesAdded?.[0]?.message).toEqual({ id: res.data.id, threadId: res.data.threadId, labelIds: ['SENT'] });
    expect(Number(history.data.historyId)).toBeGreaterThan(Number(start));

    expect(h.sim.sentCount('X-WARDWATCH-EFFECT', 'effect-42')).toBe(1);
    expect(h.sim.sentCount('auto-submitted', 'auto-generated')).toBe(1);
    expect(h.sim.state.sent.at(-1)).toMatchObject({ kind: 'mail', from: U.service, to: [U.sue, U.sam, U.clerk] });
  });

  it('adds a Message-ID when the MIME has none, and refuses a message without recipients', async () => {
    const gmail = h.gmail(U.service);
    const res = await gmail.users.messages.send({ userId: 'me', requestBody: { raw: b64url(eml({ from: U.service, to: [U.sam], subject: 'No id', messageId: '' })) } });
    const stored = h.sim.state.messages(U.service, 'SENT').find((m) => m.id === res.data.id);
    expect(stored?.raw).toMatch(/^Message-ID: <CA[^>]+@mail\.gmail\.com>/m);
    const none = await fail(gmail.users.messages.send({ userId: 'me', requestBody: { raw: b64url('Subject: nobody\r\n\r\nhello\r\n') } }));
    expect(none.response?.status).toBe(400);
    const empty = await fail(gmail.users.messages.send({ userId: 'me', requestBody: {} }));
    expect(empty.response?.status).toBe(400);
  });

  it('threads a reply with the message it answers (threadId given or References)', async () => {
    const original = await h.sim.deliver(U.clerk, eml({ from: U.sue, to: [U.clerk], subject: 'Question', messageId: '<q-1@millbrook-tc.gov.uk>' }));
    const reply = eml({ from: U.clerk, to: [U.sue], subject: 'Re: Question', headers: { 'In-Reply-To': '<q-1@millbrook-tc.gov.uk>', References: '<q-1@millbrook-tc.gov.uk>' } });
    const res = await h.gmail(U.clerk).users.messages.send({ userId: 'me', requestBody: { raw: b64url(reply), threadId: original } });
    expect(res.data.threadId).toBe(original);
  });
});
