import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { mergeMail } from '../../src/items/mail-merge.js';
import { parseMail } from '../../src/items/mail-parse.js';
import type { MailItem } from '../../src/items/types.js';
import { MailSummaries } from '../../src/pipeline/mail-summaries.js';
import { A, mail } from '../support/council.js';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/mail');

/** What the stream used to keep: the item without its text and attachments. */
function summary(item: MailItem): MailItem {
  return { ...item, text: '', attachments: [] };
}

async function parsedFixtures(): Promise<MailItem[]> {
  const items: MailItem[] = [];
  for (const file of readdirSync(fixtures).filter((f) => f.endsWith('.eml')).sort()) {
    for (const folder of ['inbox', 'sent']) {
      items.push(await parseMail(readFileSync(path.join(fixtures, file)), { mailbox: A.tom, folder, origin: path.join(fixtures, file) }));
    }
  }
  return items;
}

describe('MailSummaries', () => {
  it('gives back every parsed fixture exactly as it was kept, field for field and in order', async () => {
    const store = new MailSummaries();
    const items = await parsedFixtures();
    expect(items.length).toBeGreaterThan(10);
    for (const item of items) {
      store.set(summary(item));
      const back = store.get(item.key);
      expect(back).toEqual(summary(item));
      expect(JSON.stringify(back)).toBe(JSON.stringify(summary(item)));
    }
  });

  it('keeps merged messages, display names, Bcc, labels and failed verdicts', () => {
    const store = new MailSummaries();
    const sent = mail({ key: '<m@x>', from: A.tom, to: [A.sam], bcc: [A.alice], labels: ['Confidential'], subject: 'Re: Budget', inReplyTo: '<p@x>' });
    const inbox = mail({ key: '<m@x>', from: A.tom, to: [A.sam], authFailed: true, copies: [`${A.alice}:inbox`] });
    const { kind, key, syntheticKey, from, ...rest } = sent;
    const named: MailItem = { kind, key, syntheticKey, from, sender: { address: A.tom, name: 'Tom' }, ...rest };
    named.to = [{ address: A.sam, name: 'Sam Patel' }];
    named.references = ['<a@x>', '<b@x>'];
    for (const item of [sent, mergeMail(sent, inbox), named]) {
      store.set(summary(item));
      expect(JSON.stringify(store.get(item.key))).toBe(JSON.stringify(summary(item)));
    }
    expect(store.size).toBe(1);
  });

  it('drops the text and attachments', () => {
    const store = new MailSummaries();
    const item: MailItem = { ...mail({ key: '<t@x>', from: A.tom, text: 'a long body' }), attachments: [{ contentType: 'application/pdf', size: 10 }] };
    store.set(item);
    expect(store.get('<t@x>')?.text).toBe('');
    expect(store.get('<t@x>')?.attachments).toEqual([]);
  });

  it('hands out fresh copies: changing one changes neither the store nor other messages', () => {
    const store = new MailSummaries();
    const a = mail({ key: '<a@x>', from: A.tom, to: [A.sam] });
    const b = mail({ key: '<b@x>', from: A.tom, to: [A.sam] });
    store.set(summary(a));
    store.set(summary(b));
    const copy = store.get('<a@x>') as MailItem;
    copy.to.push({ address: A.clerk });
    (copy.to[0] as { address: string }).address = 'changed@example.org';
    copy.copies.length = 0;
    copy.authentication.failed = true;
    expect(store.get('<a@x>')).toEqual(summary(a));
    expect(store.get('<b@x>')).toEqual(summary(b));
  });

  it('keeps an item of an unexpected shape whole', () => {
    const store = new MailSummaries();
    const { contentHash, ...head } = summary(mail({ key: '<reordered@x>', from: A.tom, subject: 'Hello' }));
    const reordered = { contentHash, ...head } as MailItem;
    store.set(reordered);
    expect(JSON.stringify(store.get('<reordered@x>'))).toBe(JSON.stringify(reordered));
    const odd = { ...summary(mail({ key: '<odd@x>', from: A.tom })), extra: 'kept' } as MailItem;
    store.set(odd);
    expect(store.get('<odd@x>')).toEqual(odd);
  });

  it('compacts every parsed and merged message (Sender, Date and In-Reply-To absent or not), and gives back the same keys', async () => {
    const store = new MailSummaries();
    const items = await parsedFixtures();
    for (const item of items) store.set(summary(item));
    for (let i = 1; i < items.length; i++) store.set(summary(mergeMail(items[i - 1] as MailItem, items[i] as MailItem)));
    expect(items.some((i) => i.sender === undefined && i.inReplyTo === undefined)).toBe(true);
    expect(store.keptWhole).toBe(0);
    const plain = items.find((i) => i.sender === undefined) as MailItem;
    store.set(summary(plain));
    expect(Object.keys(store.get(plain.key) ?? {})).toEqual(Object.keys(summary(plain)));
  });

  it('knows nothing of a key it was not given', () => {
    expect(new MailSummaries().get('<none@x>')).toBeUndefined();
  });
});
