import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphError } from '@microsoft/microsoft-graph-client';
import { MB, eml, startHarness, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => { h = await startHarness(); });
afterAll(async () => { await h.close(); });

const IMMUTABLE = 'IdType="ImmutableId"';
interface Page { value: Array<Record<string, unknown>>; '@odata.nextLink'?: string; '@odata.deltaLink'?: string }

/** Follows next links to the delta link, as the connector will: links used exactly as given. */
async function round(first: string, pageSize = 2): Promise<{ pages: Page[]; deltaLink: string }> {
  const pages: Page[] = [];
  let url: string | undefined = first;
  while (url) {
    const page = await h.client.api(url).header('Prefer', `${IMMUTABLE}, odata.maxpagesize=${pageSize}`).get() as Page;
    pages.push(page);
    if (page['@odata.deltaLink']) return { pages, deltaLink: page['@odata.deltaLink'] };
    url = page['@odata.nextLink'];
  }
  throw new Error('The round ended without a delta link.');
}

const ids = (pages: Page[]): string[] => pages.flatMap((p) => p.value.map((v) => String(v['id'])));

describe('Graph simulator: mail delta', () => {
  it('pages a folder with odata.maxpagesize, duplicates inside a page and empty pages, to an opaque delta link', async () => {
    const mine: string[] = [];
    for (let i = 1; i <= 5; i++) {
      mine.push(await h.sim.deliver(MB.sue, 'inbox', eml({ from: MB.raj, to: [MB.sue], subject: `Riverside Park bins ${i}` })));
    }
    h.sim.mail.quirks = { duplicateInPage: true, emptyPagesBefore: 2 };
    const first = await round(`/users/${MB.sue}/mailFolders/inbox/messages/delta`);
    h.sim.mail.quirks = {};
    // Two empty pages with next links, then 2 + 2 + 1 items, each page repeating its first item.
    expect(first.pages.map((p) => p.value.length)).toEqual([0, 0, 3, 3, 2]);
    expect(first.pages[0]?.['@odata.nextLink']).toBeTruthy();
    expect([...new Set(ids(first.pages))].sort()).toEqual([...mine].sort());
    expect(first.deltaLink).toMatch(/\$deltatoken=[\w-]+$/);
    expect(first.deltaLink).not.toContain(MB.sue);
    // Every request asked for immutable ids and was told the preference applied.
    expect(h.sim.requests((r) => r.path.endsWith('/delta')).every((r) => r.headers['prefer']?.includes(IMMUTABLE))).toBe(true);

    // The next round carries only the changes: one new, one read, one deleted.
    const added = await h.sim.deliver(MB.sue, 'inbox', eml({ from: MB.sam, to: [MB.sue], subject: 'Weir Road closure' }));
    h.sim.state.alterMessage(MB.sue, mine[0] ?? '', { isRead: true });
    h.sim.state.deleteMessage(MB.sue, mine[1] ?? '');
    const second = await round(first.deltaLink, 10);
    const items = second.pages.flatMap((p) => p.value);
    expect(items).toHaveLength(3);
    expect(items.find((v) => v['id'] === mine[1])).toEqual({ '@odata.type': '#microsoft.graph.message', id: mine[1], '@removed': { reason: 'deleted' } });
    expect(items.find((v) => v['id'] === mine[0])).toMatchObject({ isRead: true });
    expect(items.find((v) => v['id'] === added)).toMatchObject({ subject: 'Weir Road closure' });

    // Replays: the round after repeats the previous round's items as well.
    h.sim.mail.quirks = { replayPreviousRound: true };
    const third = await round(second.deltaLink, 10);
    h.sim.mail.quirks = {};
    expect(ids(third.pages).sort()).toEqual([mine[0], mine[1], added].sort());
    // A link is reusable: the same page again, as after a crash before the cursor was stored.
    const again = await round(second.deltaLink, 10);
    expect(ids(again.pages)).toEqual([]);
  });

  it('answers 410 syncStateNotFound for a delta link whose sync state expired, and a full resync works', async () => {
    await h.sim.deliver(MB.raj, 'inbox', eml({ from: MB.clerk, to: [MB.raj], subject: 'Agenda' }));
    const first = await round(`/users/${MB.raj}/mailFolders/inbox/messages/delta`);
    h.sim.state.expireSyncState(MB.raj);
    const err = await h.client.api(first.deltaLink).get().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GraphError);
    expect((err as GraphError).statusCode).toBe(410);
    expect((err as GraphError).code).toBe('syncStateNotFound');
    const full = await round(`/users/${MB.raj}/mailFolders/inbox/messages/delta`);
    expect(ids(full.pages)).toHaveLength(1);

    h.sim.inject({ kind: 'syncStateNotFound' }, { path: `/users/${MB.raj}/mailFolders/inbox/messages/delta` });
    h.sim.state.syncStateErrorCode = 'SyncStateNotFound';
    const injected = await h.client.api(full.deltaLink).get().catch((e: unknown) => e);
    h.sim.state.syncStateErrorCode = 'syncStateNotFound';
    expect((injected as GraphError).statusCode).toBe(410);
    expect((injected as GraphError).code).toBe('SyncStateNotFound');
    await expect(h.client.api(full.deltaLink).get()).resolves.toMatchObject({ value: [] });

    // Calendar delta links expire the same way.
    const cal = await h.client.api(`/users/${MB.raj}/calendarView/delta?startDateTime=2027-04-01T00:00:00Z&endDateTime=2027-05-01T00:00:00Z`).get() as Page;
    h.sim.state.expireSyncState(MB.raj);
    const calErr = await h.client.api(cal['@odata.deltaLink'] ?? '').get().catch((e: unknown) => e);
    expect((calErr as GraphError).statusCode).toBe(410);
  });

  it('serves the MIME source at $value and keeps ids only when ImmutableId is asked for', async () => {
    const raw = eml({ from: MB.raj, to: [MB.clerk], subject: 'Mill Lane planning', messageId: '<mill-lane-1@millbrook-tc.gov.uk>' });
    const id = await h.sim.deliver(MB.clerk, 'inbox', raw);
    const mime = await h.client.api(`/users/${MB.clerk}/messages/${id}/$value`).header('Prefer', IMMUTABLE).getStream() as unknown;
    const text = typeof mime === 'string' ? mime : await new Response(mime as ReadableStream).text();
    expect(text).toBe(raw);

    const restId = (await h.client.api(`/users/${MB.clerk}/messages/${id}`).get() as { id: string }).id;
    expect(restId).not.toBe(id);
    h.sim.state.addFolder(MB.clerk, 'Planning');
    h.sim.state.moveMessage(MB.clerk, id, 'Planning');
    const err = await h.client.api(`/users/${MB.clerk}/messages/${restId}`).get().catch((e: unknown) => e);
    expect((err as GraphError).statusCode).toBe(404);
    const immutable = await h.client.api(`/users/${MB.clerk}/messages/${id}`).header('Prefer', IMMUTABLE).get() as { id: string; internetMessageId: string };
    expect(immutable).toMatchObject({ id, internetMessageId: '<mill-lane-1@millbrook-tc.gov.uk>' });
  });
});
