import { describe, expect, it } from 'vitest';
import { LruCache, StoredItemMemory } from '../../src/service/item-memory.js';
import type { ItemMemoryKind, ItemMemoryRepository } from '../../src/store/types.js';
import { A, event, mail } from '../support/council.js';

class MapCursors implements ItemMemoryRepository {
  readonly values = new Map<string, string>();
  reads = 0;
  getItemMemory(kind: ItemMemoryKind, key: string): Promise<string | undefined> {
    this.reads += 1;
    return Promise.resolve(this.values.get(`${kind}|${key}`));
  }
  setItemMemory(kind: ItemMemoryKind, key: string, value: string): Promise<void> {
    this.values.set(`${kind}|${key}`, value);
    return Promise.resolve();
  }
}

describe('the LRU cache', () => {
  it('forgets the least recently used entry beyond its capacity', () => {
    const cache = new LruCache<number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    expect(cache.get('a')).toBe(1);
    cache.set('c', 3);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe(1);
    expect(cache.get('c')).toBe(3);
    expect(cache.size).toBe(2);
  });
});

describe('the stored item memory', () => {
  it('keeps a body-less summary of each message, found again after the cache forgot it (or a restart)', async () => {
    const cursors = new MapCursors();
    const first = new StoredItemMemory(cursors, { cacheSize: 1 });
    const m = mail({ from: A.sam, to: [A.tom], bcc: [A.alice], subject: 'Potholes', text: 'The body stays private.' });
    await first.setMail(m);
    const second = new StoredItemMemory(cursors, { cacheSize: 1 });
    const back = await second.getMail(m.key);
    expect(back?.bcc.map((a) => a.address)).toEqual([A.alice]);
    expect(back?.subject).toBe('Potholes');
    expect(back?.text).toBe('');
    expect(JSON.stringify([...cursors.values.values()])).not.toContain('The body stays private.');

    const e = event({ uid: 'surgery@millbrook-tc.gov.uk', calendarId: 'community-room', summary: 'Ward surgery' });
    await second.setEvent(e);
    expect(await new StoredItemMemory(cursors).getEvent(e.key)).toEqual(e);
  });

  it('treats an unreadable summary as none', async () => {
    const cursors = new MapCursors();
    await cursors.setItemMemory('mail', '<x@millbrook-tc.gov.uk>', '{"kind":"mail","key":');
    await cursors.setItemMemory('event', 'y@millbrook-tc.gov.uk', '{"kind":"event","key":"y@millbrook-tc.gov.uk"}');
    const memory = new StoredItemMemory(cursors);
    expect(await memory.getMail('<x@millbrook-tc.gov.uk>')).toBeUndefined();
    expect(await memory.getEvent('y@millbrook-tc.gov.uk')).toBeUndefined();
  });
});
