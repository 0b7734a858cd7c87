import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCOPES } from './auth.js';
import { b64url, eml, fail, googleErrorOf, startHarness, U, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => { h = await startHarness(); });
afterAll(async () => { await h.close(); });

describe('Google simulator: Gmail reads', () => {
  it('list, get raw / metadata / minimal, profile historyId', async () => {
    const gmail = h.gmail(U.clerk);
    const before = (await gmail.users.getProfile({ userId: 'me' })).data.historyId;
    const id1 = await h.sim.deliver(U.clerk, eml({ from: U.sue, to: [U.clerk], subject: 'Agenda', messageId: '<agenda-1@millbrook-tc.gov.uk>' }));
    h.clock.advance(60_000);
    const id2 = await h.sim.deliver(U.clerk, eml({ from: U.sam, to: [U.clerk], subject: 'Minutes' }));
    const list = await gmail.users.messages.list({ userId: 'me', labelIds: ['INBOX'] }, { retry: false });
    expect(list.data.messages).toEqual([{ id: id2, threadId: id2 }, { id: id1, threadId: id1 }]);
    expect(list.data.resultSizeEstimate).toBe(2);
    expect(list.data.nextPageToken).toBeUndefined();

    const raw = await gmail.users.messages.get({ userId: 'me', id: id1, format: 'raw' });
    expect(Buffer.from(raw.data.raw ?? '', 'base64url').toString('utf8')).toContain('Subject: Agenda');
    expect(raw.data).toMatchObject({ id: id1, threadId: id1, labelIds: ['INBOX'], snippet: expect.stringContaining('Dear colleague') });
    expect(Number(raw.data.historyId)).toBeGreaterThan(Number(before));
    expect(raw.data.internalDate).toBe(String(h.clock.now() - 60_000));

    const meta = await gmail.users.messages.get({ userId: 'me', id: id1, format: 'metadata', metadataHeaders: ['Message-ID', 'subject'] });
    expect(meta.data.payload?.headers).toEqual([{ name: 'Subject', value: 'Agenda' }, { name: 'Message-ID', value: '<agenda-1@millbrook-tc.gov.uk>' }]);
    expect(meta.data.raw).toBeUndefined();
    const minimal = await gmail.users.messages.get({ userId: 'me', id: id1, format: 'minimal' });
    expect(minimal.data.payload).toBeUndefined();
    const missing = await fail(gmail.users.messages.get({ userId: 'me', id: 'ffff', format: 'raw' }));
    expect(missing.response?.status).toBe(404);

    const profile = await gmail.users.getProfile({ userId: 'me' });
    expect(profile.data).toMatchObject({ emailAddress: U.clerk, messagesTotal: 2 });
    expect(h.sim.state.messages(U.clerk, 'INBOX').map((m) => m.id)).toEqual([id2, id1]);
  });

  it('paging: maxResults, and with the quirk a page with no messages but a nextPageToken', async () => {
    for (let i = 0; i < 3; i++) await h.sim.deliver(U.sam, eml({ from: U.sue, to: [U.sam], subject: `Note ${i}` }));
    const gmail = h.gmail(U.sam);
    const p1 = await gmail.users.messages.list({ userId: 'me', maxResults: 2 });
    expect(p1.data.messages).toHaveLength(2);
    const p2 = await gmail.users.messages.list({ userId: 'me', maxResults: 2, pageToken: p1.data.nextPageToken ?? '' });
    expect(p2.data.messages).toHaveLength(1);
    expect(p2.data.nextPageToken).toBeUndefined();

    h.sim.gmail.quirks = { emptyPagesBefore: 1, trailingEmptyPage: true };
    try {
      const e1 = await gmail.users.messages.list({ userId: 'me' });
      expect(e1.data.messages).toBeUndefined();
      expect(e1.data.nextPageToken).toBeTruthy();
      const e2 = await gmail.users.messages.list({ userId: 'me', pageToken: e1.data.nextPageToken ?? '' });
      expect(e2.data.messages).toHaveLength(3);
      expect(e2.data.nextPageToken).toBeTruthy();
      const e3 = await gmail.users.messages.list({ userId: 'me', pageToken: e2.data.nextPageToken ?? '' });
      expect(e3.data).toEqual({ resultSizeEstimate: 0 });
    } finally {
      h.sim.gmail.quirks = {};
    }
    const none = await h.gmail(U.service).users.messages.list({ userId: 'me' });
    expect(none.data).toEqual({ resultSizeEstimate: 0 });
  });

  it('q: rfc822msgid:, after:/before:, from:, in:', async () => {
    const gmail = h.gmail(U.clerk);
    const found = await gmail.users.messages.list({ userId: 'me', q: 'rfc822msgid:<agenda-1@millbrook-tc.gov.uk>' });
    expect(found.data.messages).toHaveLength(1);
    const bare = await gmail.users.messages.list({ userId: 'me', q: 'rfc822msgid:agenda-1@millbrook-tc.gov.uk' });
    expect(bare.data.messages).toEqual(found.data.messages);
    const after = await gmail.users.messages.list({ userId: 'me', q: `in:inbox after:${Math.floor((h.clock.now() - 30_000) / 1000)} from:${U.sam}` });
    expect(after.data.messages).toHaveLength(1);
    const metadataOnly = await fail(h.gmail(U.clerk, [SCOPES.gmailMetadata]).users.messages.list({ userId: 'me', q: 'rfc822msgid:x' }));
    expect(metadataOnly.response?.status).toBe(403);
  });

  it('history: incremental messagesAdded with labelIds, historyTypes, labelId, paging; 404 once expired', async () => {
    const gmail = h.gmail(U.sue);
    const start = (await gmail.users.getProfile({ userId: 'me' })).data.historyId ?? '';
    const a = await h.sim.deliver(U.sue, eml({ from: U.clerk, to: [U.sue], subject: 'One' }));
    const b = await h.sim.deliver(U.sue, eml({ from: U.clerk, to: [U.sue], subject: 'Two' }), ['INBOX', 'UNREAD']);
    h.sim.state.modifyLabels(U.sue, a, ['STARRED']);
    const all = await gmail.users.history.list({ userId: 'me', startHistoryId: start });
    expect(all.data.history?.map((r) => Object.keys(r).filter((k) => k !== 'id' && k !== 'messages'))).toEqual([['messagesAdded'], ['messagesAdded'], ['labelsAdded']]);
    expect(all.data.history?.[1]?.messagesAdded).toEqual([{ message: { id: b, threadId: b, labelIds: ['INBOX', 'UNREAD'] } }]);
    expect(all.data.historyId).toBe((await gmail.users.getProfile({ userId: 'me' })).data.historyId);
    const ids = all.data.history?.map((r) => Number(r.id)) ?? [];
    expect([...ids].sort((x, y) => x - y)).toEqual(ids);

    const added = await gmail.users.history.list({ userId: 'me', startHistoryId: start, historyTypes: ['messageAdded'], labelId: 'UNREAD' });
    expect(added.data.history?.map((r) => r.messagesAdded?.[0]?.message?.id)).toEqual([b]);
    const p1 = await gmail.users.history.list({ userId: 'me', startHistoryId: start, maxResults: 2 });
    expect(p1.data.history).toHaveLength(2);
    const p2 = await gmail.users.history.list({ userId: 'me', startHistoryId: start, maxResults: 2, pageToken: p1.data.nextPageToken ?? '' });
    expect(p2.data.history).toHaveLength(1);
    expect(p2.data.nextPageToken).toBeUndefined();
    const nothing = await gmail.users.history.list({ userId: 'me', startHistoryId: all.data.historyId ?? '' });
    expect(nothing.data).toEqual({ historyId: all.data.historyId });

    h.sim.gmail.quirks = { emptyPagesBefore: 1 };
    try {
      const empty = await gmail.users.history.list({ userId: 'me', startHistoryId: start });
      expect(empty.data.history).toBeUndefined();
      expect(empty.data.nextPageToken).toBeTruthy();
    } finally { h.sim.gmail.quirks = {}; }

    h.sim.state.expireHistory(U.sue);
    const gone = await fail(gmail.users.history.list({ userId: 'me', startHistoryId: start }));
    expect(gone.response?.status).toBe(404);
    expect(googleErrorOf(gone)).toMatchObject({ code: 404, status: 'NOT_FOUND', errors: [{ reason: 'notFound' }] });
    const old = await fail(gmail.users.history.list({ userId: 'me', startHistoryId: '5' }));
    expect(old.response?.status).toBe(404);
  });

  it('user labels: labels.list, deliver and modifyLabels with their ids, messages.list and history.list filtered by them', async () => {
    const gmail = h.gmail(U.sam);
    const planning = h.sim.state.addLabel(U.sam, 'Planning');
    const parks = h.sim.state.addLabel(U.sam, 'Parks/Allotments');
    expect([planning, parks]).toEqual(['Label_1', 'Label_2']);
    expect(() => h.sim.state.addLabel(U.sam, 'planning')).toThrow(/already has a label named "Planning"/);
    expect(() => h.sim.state.addLabel(U.sam, 'Inbox')).toThrow(/already has a label named "INBOX"/);
    const labels = (await gmail.users.labels.list({ userId: 'me' })).data.labels ?? [];
    expect(labels.filter((l) => l.type === 'user')).toEqual([
      { id: 'Label_1', name: 'Planning', messageListVisibility: 'show', labelListVisibility: 'labelShow', type: 'user' },
      { id: 'Label_2', name: 'Parks/Allotments', messageListVisibility: 'show', labelListVisibility: 'labelShow', type: 'user' },
    ]);
    expect(labels.find((l) => l.id === 'INBOX')).toEqual({ id: 'INBOX', name: 'INBOX', type: 'system' });
    // Labels are per mailbox.
    expect((await h.gmail(U.sue).users.labels.list({ userId: 'me' })).data.labels?.filter((l) => l.type === 'user')).toEqual([]);
    expect(h.sim.requests((r) => r.user === U.sam && /\/labels$/.test(r.canonicalPath)).map((r) => r.quotaUnits)).toEqual([1]);

    const start = (await gmail.users.getProfile({ userId: 'me' })).data.historyId ?? '';
    const filed = await h.sim.deliver(U.sam, eml({ from: U.sue, to: [U.sam], subject: 'Hazel Avenue application' }), ['INBOX', planning]);
    const both = await h.sim.deliver(U.sam, eml({ from: U.sue, to: [U.sam], subject: 'Allotment hedge' }), [parks, planning]);
    const later = await h.sim.deliver(U.sam, eml({ from: U.sue, to: [U.sam], subject: 'Weir Road' }));
    await expect(h.sim.deliver(U.sam, eml({ from: U.sue, to: [U.sam], subject: 'x' }), ['Label_9'])).rejects.toThrow(/no label Label_9/);
    expect(() => h.sim.state.modifyLabels(U.sam, later, ['Label_9'])).toThrow(/no label Label_9/);
    h.sim.state.modifyLabels(U.sam, later, [planning]);

    const listed = await gmail.users.messages.list({ userId: 'me', labelIds: [planning] });
    expect(listed.data.messages?.map((m) => m.id)).toEqual([later, both, filed]);
    const all = await gmail.users.messages.list({ userId: 'me', labelIds: [planning, parks] });
    expect(all.data.messages?.map((m) => m.id)).toEqual([both]);
    expect((await gmail.users.messages.get({ userId: 'me', id: both, format: 'minimal' })).data.labelIds).toEqual([parks, planning]);

    const added = await gmail.users.history.list({ userId: 'me', startHistoryId: start, historyTypes: ['labelAdded'], labelId: planning });
    expect(added.data.history?.map((r) => r.labelsAdded)).toEqual([[{ message: { id: later, threadId: later, labelIds: ['INBOX', planning] }, labelIds: [planning] }]]);
    const byLabel = await gmail.users.history.list({ userId: 'me', startHistoryId: start, labelId: parks });
    expect(byLabel.data.history?.map((r) => r.messagesAdded?.[0]?.message?.id)).toEqual([both]);
  });

  it('counts Gmail quota units per Google\'s table', async () => {
    const user = U.service;
    const before = h.sim.quotaUnits(user);
    const gmail = h.gmail(user);
    await gmail.users.getProfile({ userId: 'me' });                                      // 1
    await gmail.users.messages.list({ userId: 'me' });                                   // 5
    await gmail.users.history.list({ userId: 'me', startHistoryId: '1000' });            // 2
    await gmail.users.messages.send({ userId: 'me', requestBody: { raw: b64url(eml({ from: user, to: [U.sue], subject: 'q' })) } }); // 100
    expect(h.sim.quotaUnits(user) - before).toBe(108);
    expect(h.sim.requests((r) => r.user === user && r.api === 'gmail').slice(-4).map((r) => r.quotaUnits)).toEqual([1, 5, 2, 100]);
  });
});
