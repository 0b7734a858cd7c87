import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseMail } from '../../src/items/mail-parse.js';
import { SENT_COPY_DETAIL, isSendersSentCopy, mergeMail } from '../../src/items/mail-merge.js';
import type { Address, MailCopy, MailItem } from '../../src/items/types.js';
import { A, mail } from '../support/council.js';

const KEY = '<castle-street-0001@millbrook-tc.gov.uk>';
const addresses = (list: readonly Address[]): string[] => list.map((a) => a.address).sort();
const copyIds = (list: readonly MailCopy[]): string[] => list.map((c) => `${c.mailbox}|${c.folder}|${c.origin}`).sort();

/** The parts of a merge that must not depend on which copy was seen first. */
function symmetricView(item: MailItem) {
  return {
    to: addresses(item.to),
    cc: addresses(item.cc),
    bcc: addresses(item.bcc),
    copies: copyIds(item.copies),
    labels: item.labels.map((l) => l.toLowerCase()).sort(),
    forwardedAuthors: addresses(item.forwardedAuthors),
    failed: item.authentication.failed,
    hasForwardedContent: item.hasForwardedContent,
    sensitivity: item.sensitivity,
  };
}

const sentCopy = mail({
  key: KEY,
  from: A.sam,
  to: [A.tom],
  bcc: [A.alice],
  subject: 'Castle Street parking review',
  text: 'Dear Councillor Brown, the consultation closes on 4 December.',
  labels: ['Castle'],
  copies: [`${A.sam}:sent`],
});
const tomsCopy = mail({
  key: KEY,
  from: A.sam,
  to: [A.tom],
  subject: 'Castle Street parking review',
  text: 'Dear Councillor Brown, the consultation closes on 4 December.',
  labels: ['castle', 'Parking'],
  copies: [`${A.tom}:inbox`],
});
const alicesCopy = mail({
  key: KEY,
  from: A.sam,
  to: [A.tom],
  subject: 'Castle Street parking review',
  text: 'Dear Councillor Brown, the consultation closes on 4 December.\n\nSam Patel\nDeputy Clerk',
  authFailed: true,
  copies: [`${A.alice}:inbox`],
});

describe('mergeMail', () => {
  it('unions copies, blind copies and labels', () => {
    const merged = mergeMail(tomsCopy, sentCopy);
    expect(merged.key).toBe(KEY);
    expect(copyIds(merged.copies)).toEqual([`${A.sam}|sent|test:${A.sam}:sent`, `${A.tom}|inbox|test:${A.tom}:inbox`]);
    expect(addresses(merged.bcc)).toEqual([A.alice]);
    expect(merged.labels).toEqual(['castle', 'Parking']);
    expect(mergeMail(sentCopy, tomsCopy).labels).toEqual(['Castle', 'Parking']);
  });

  it('does not repeat a copy seen twice (same mailbox, folder and origin)', () => {
    const merged = mergeMail(mergeMail(sentCopy, tomsCopy), tomsCopy);
    expect(merged.copies).toHaveLength(2);
    const elsewhere = mail({ key: KEY, from: A.sam, copies: [`${A.tom}:inbox`] });
    const moved = { ...elsewhere, copies: [{ mailbox: A.tom, folder: 'inbox', origin: 'imap://other-uid' }] };
    expect(mergeMail(tomsCopy, moved).copies).toHaveLength(2);
  });

  it('keeps the richer text and the first copy’s content hash', () => {
    const merged = mergeMail(tomsCopy, alicesCopy);
    expect(merged.text).toBe(alicesCopy.text);
    expect(merged.contentHash).toBe(tomsCopy.contentHash);
    expect(mergeMail(alicesCopy, tomsCopy).text).toBe(alicesCopy.text);
  });

  it('treats the sender’s own Sent copy as authoritative over a failed inbox verdict', () => {
    const merged = mergeMail(alicesCopy, sentCopy);
    expect(merged.authentication).toEqual({ failed: false, detail: SENT_COPY_DETAIL, trustedPass: true });
    expect(mergeMail(sentCopy, alicesCopy).authentication.failed).toBe(false);
  });

  it('is failed when any inbox copy failed and no Sent copy vouches for it', () => {
    expect(mergeMail(tomsCopy, alicesCopy).authentication.failed).toBe(true);
    expect(mergeMail(alicesCopy, tomsCopy).authentication.failed).toBe(true);
    expect(mergeMail(tomsCopy, alicesCopy).authentication.detail).toBe(alicesCopy.authentication.detail);
  });

  it('does not let another person’s Sent folder vouch for the message', () => {
    const spoofedSent = mail({ key: KEY, from: A.sam, to: [A.tom], copies: [`${A.ben}:sent`] });
    expect(mergeMail(alicesCopy, spoofedSent).authentication.failed).toBe(true);
  });

  it.each([
    ['sent + inbox', sentCopy, tomsCopy],
    ['inbox + failed inbox', tomsCopy, alicesCopy],
    ['failed inbox + sent', alicesCopy, sentCopy],
  ])('gives the same recipients, blind copies, copies and verdict either way round (%s)', (_label, a, b) => {
    expect(symmetricView(mergeMail(a, b))).toEqual(symmetricView(mergeMail(b, a)));
  });

  it('is the same whichever order three copies arrive in', () => {
    const orders = [
      [sentCopy, tomsCopy, alicesCopy],
      [alicesCopy, sentCopy, tomsCopy],
      [tomsCopy, alicesCopy, sentCopy],
    ];
    const views = orders.map(([x, y, z]) => symmetricView(mergeMail(mergeMail(x as MailItem, y as MailItem), z as MailItem)));
    expect(views[1]).toEqual(views[0]);
    expect(views[2]).toEqual(views[0]);
    expect(views[0]?.bcc).toEqual([A.alice]);
    expect(views[0]?.failed).toBe(false);
  });

  it('keeps the strongest sensitivity, forwarded authors from either copy, and fills in missing fields', () => {
    const a: MailItem = { ...mail({ key: KEY, from: A.priya, copies: [`${A.sue}:inbox`] }), date: undefined, subject: '' };
    const b = mail({
      key: KEY,
      from: A.priya,
      subject: 'FW: Weir Road',
      date: '2027-03-12T11:02:41.000Z',
      sensitivity: 'private',
      forwardedAuthors: [A.raj],
      inReplyTo: '<x@y>',
      copies: [`${A.priya}:sent`],
    });
    const merged = mergeMail(a, b);
    expect(merged.sensitivity).toBe('private');
    expect(addresses(merged.forwardedAuthors)).toEqual([A.raj]);
    expect(merged.hasForwardedContent).toBe(true);
    expect(merged.subject).toBe('FW: Weir Road');
    expect(merged.date).toBe('2027-03-12T11:02:41.000Z');
    expect(merged.inReplyTo).toBe('<x@y>');
  });

  it('merges two parsed copies of the same real message (Sent copy + recipient’s inbox)', async () => {
    const source = readFileSync(new URL('../fixtures/mail/sent-bcc.eml', import.meta.url));
    const withoutBcc = Buffer.from(source.toString('utf8').replace(/^Bcc:.*\n/m, ''));
    const fromSent = await parseMail(source, { mailbox: A.sam, folder: 'sent', origin: 'sent/1.eml' });
    const fromInbox = await parseMail(withoutBcc, { mailbox: A.tom, folder: 'inbox', origin: 'inbox/1.eml' });
    expect(fromInbox.bcc).toEqual([]);
    const merged = mergeMail(fromInbox, fromSent);
    expect(merged.key).toBe(fromSent.key);
    expect(merged.bcc).toEqual([{ address: A.alice, name: 'Cllr Alice Green' }]);
    expect(merged.copies.map((c) => c.mailbox).sort()).toEqual([A.sam, A.tom]);
    expect(merged.contentHash).toBe(fromInbox.contentHash);
  });
});

describe('isSendersSentCopy', () => {
  it('recognises the From or Sender mailbox’s Sent folder only', () => {
    const item = { from: [{ address: A.tom }], sender: { address: A.sam } };
    expect(isSendersSentCopy(item, { mailbox: A.tom, folder: 'sent', origin: 'x' })).toBe(true);
    expect(isSendersSentCopy(item, { mailbox: 'SAM.PATEL@millbrook-tc.gov.uk', folder: 'sent', origin: 'x' })).toBe(true);
    expect(isSendersSentCopy(item, { mailbox: A.tom, folder: 'inbox', origin: 'x' })).toBe(false);
    expect(isSendersSentCopy(item, { mailbox: A.alice, folder: 'sent', origin: 'x' })).toBe(false);
  });
});
