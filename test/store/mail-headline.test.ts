/** Originals keep their headline (migration 4), so the executor names a message without parsing it again. */
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/store/migrations.js';
import type { MailHeadline } from '../../src/store/types.js';
import { useStoreFiles } from './store-files.js';

const T0 = '2027-04-12T08:00:00.000Z';
const KEY = '<req-1@millbrook-tc.gov.uk>';
const headline: MailHeadline = {
  subject: 'Castle Street bins',
  date: '2027-04-12T07:55:00.000Z',
  from: [{ address: 'alice.green@millbrook-tc.gov.uk', name: 'Cllr Alice Green' }],
  to: [{ address: 'sam.patel@millbrook-tc.gov.uk' }],
  cc: [],
};

describe('the headline saved with an original', () => {
  const files = useStoreFiles();
  const openStore = files.open;

  it('comes back as saved, and goes with the original it was saved with', async () => {
    const store = openStore();
    await store.saveOriginal(KEY, Buffer.from('From: alice\r\n\r\nbody'), T0, headline);
    expect(await store.getMailHeadline(KEY)).toEqual(headline);
    expect(await store.getMailHeadline('<other@x>')).toBeUndefined();
    const { date: _date, ...undated } = headline;
    await store.saveOriginal(KEY, Buffer.from('second copy'), T0, { ...undated, cc: [{ address: 'tom.brown@millbrook-tc.gov.uk', name: 'Tom Brown' }] });
    expect(await store.getMailHeadline(KEY)).toEqual({ ...undated, cc: [{ address: 'tom.brown@millbrook-tc.gov.uk', name: 'Tom Brown' }] });
    await store.saveOriginal(KEY, Buffer.from('third copy'), T0);
    expect(await store.getMailHeadline(KEY)).toBeUndefined();
    expect((await store.getOriginal(KEY))?.toString()).toBe('third copy');
    expect(await store.pruneOriginals('2099-01-01T00:00:00.000Z')).toBe(1);
    expect(await store.getMailHeadline(KEY)).toBeUndefined();
  });

  it('is absent for an original saved before migration 4, which is still read', async () => {
    openStore(MIGRATIONS.filter((m) => m.version < 4));
    await files.closeAll();
    const db = new Database(files.file);
    db.prepare('INSERT INTO originals (item_key, source, saved_at) VALUES (?, ?, ?)').run(KEY, Buffer.from('old copy'), T0);
    db.close();
    const upgraded = openStore();
    expect((await upgraded.getOriginal(KEY))?.toString()).toBe('old copy');
    expect(await upgraded.getMailHeadline(KEY)).toBeUndefined();
  });

  it('says plainly when the state file holds a headline it cannot read', async () => {
    const store = openStore();
    await store.saveOriginal(KEY, Buffer.from('x'), T0, headline);
    const db = new Database(files.file);
    db.prepare('UPDATE originals SET headline = ? WHERE item_key = ?').run('{"subject": 3}', KEY);
    db.close();
    await expect(store.getMailHeadline(KEY)).rejects.toThrow(/unexpected data in the saved originals \(<req-1@millbrook-tc\.gov\.uk>\)/);
  });
});
