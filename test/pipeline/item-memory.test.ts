/**
 * What the item stream remembers of a message between its copies: enough to merge a later copy
 * with the earlier ones, never the text or attachments (a pass over a large source keeps one small
 * record per message, not the mail itself).
 */
import { describe, expect, it } from 'vitest';
import type { MailItem } from '../../src/items/types.js';
import { ItemStream, type ItemMemory } from '../../src/pipeline/item-stream.js';
import { A } from '../support/council.js';

const message = (to: string): string =>
  [
    `From: Cllr Tom Brown <${A.tom}>`,
    `To: ${to}`,
    `Cc: ${A.clerk}`,
    'Subject: Benches in Market Square',
    'Date: Mon, 29 Mar 2027 09:00:00 +0100',
    'Message-ID: <benches-1@millbrook-tc.gov.uk>',
    'Content-Type: multipart/mixed; boundary="b"',
    '',
    '--b',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'Could the benches in Market Square be repainted before the weekend?',
    '--b',
    'Content-Type: application/pdf; name="quote.pdf"',
    'Content-Transfer-Encoding: base64',
    '',
    'JVBERi0xLjQK',
    '--b--',
    '',
  ].join('\r\n');

function stream(memory?: ItemMemory): ItemStream {
  return new ItemStream({
    timeZone: 'Europe/London',
    horizon: { from: '2027-01-01T00:00:00Z', to: '2028-01-01T00:00:00Z' },
    isRoomCalendar: () => false,
    ...(memory ? { memory } : {}),
  });
}

describe('item memory', () => {
  it('merges a later copy of a message with the earlier one, text and attachments kept in what is handed on', async () => {
    const s = stream();
    await s.take({ kind: 'mail', source: Buffer.from(message(A.sam)), mailbox: A.tom, folder: 'sent', origin: 'tom/sent/1.eml' });
    const [merged] = (await s.take({ kind: 'mail', source: Buffer.from(message(A.sam)), mailbox: A.sam, folder: 'inbox', origin: 'sam/inbox/1.eml' })) as MailItem[];
    expect(merged?.copies.map((c) => c.origin).sort()).toEqual(['sam/inbox/1.eml', 'tom/sent/1.eml']);
    expect(merged?.text).toContain('benches in Market Square');
    expect(merged?.attachments).toHaveLength(1);
    expect(s.counts).toMatchObject({ mailCopies: 2, mailItems: 1 });
  });

  it('remembers each message without its text or attachments', async () => {
    const kept = new Map<string, MailItem>();
    const memory: ItemMemory = {
      getMail: (key) => kept.get(key),
      setMail: (item) => void kept.set(item.key, item),
      getEvent: () => undefined,
      setEvent: () => undefined,
    };
    const s = stream(memory);
    await s.take({ kind: 'mail', source: Buffer.from(message(A.sam)), mailbox: A.tom, folder: 'sent', origin: 'tom/sent/1.eml' });
    const remembered = kept.get('<benches-1@millbrook-tc.gov.uk>');
    expect(remembered?.subject).toBe('Benches in Market Square');
    expect(remembered?.text).toBe('');
    expect(remembered?.attachments).toEqual([]);
  });
});
