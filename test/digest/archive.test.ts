/**
 * The digest archive (issue 17): a digest sent is recorded with its words as sent, for the
 * console's archive. Nothing about exactly-once changes: a digest recognised after a crash is
 * recorded without words (they were not kept before sending) and is not sent again; a failed send
 * records nothing; a digest released from doubt and sent is recorded with its words.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sendDigestIfDue, type DigestSchedulerDeps } from '../../src/digest/scheduler.js';
import { deliverDigest, digestContent, digestMessageId, settleDigestAttempt } from '../../src/digest/send.js';
import { decideInDoubt } from '../../src/outbox/in-doubt.js';
import type { MailSender, OutgoingMessage } from '../../src/sources/types.js';
import type { SqliteStore } from '../../src/store/sqlite-store.js';
import { A, council } from '../support/council.js';
import { FakeClock, StoreBench } from '../outbox/fixtures.js';
import { BODY_MARKER, engine, items, Pipeline, RecordingSender } from './fixtures.js';

const WED = '2026-11-18';
const THU = '2026-11-19';
const at = (day: string, time: string): Date => new Date(`${day}T${time}:00.000Z`);

let bench: StoreBench;
let store: SqliteStore;
let delivered: Set<string>;
let sender: RecordingSender;

beforeEach(async () => {
  bench = new StoreBench();
  store = bench.store();
  delivered = new Set();
  sender = new RecordingSender(delivered);
  const pipeline = new Pipeline(store, new FakeClock(at(WED, '06:00')));
  await pipeline.evaluate(items.blindCopy());
  await pipeline.evaluate(items.conduct());
});
afterEach(async () => await bench.dispose());

/** The one message sent. */
function only(sent: readonly OutgoingMessage[]): OutgoingMessage {
  expect(sent).toHaveLength(1);
  const [message] = sent;
  if (message === undefined) throw new Error('expected one message');
  return message;
}

const deps = (overrides: Partial<DigestSchedulerDeps> = {}): DigestSchedulerDeps => ({ store, engine, config: council, sender, ...overrides });

/** A new process on the same state file, with a sender that sees what went out. */
async function restart(): Promise<void> {
  await store.close();
  store = bench.store();
  sender = new RecordingSender(delivered);
}

describe('the digest archive', () => {
  it('keeps each digest sent with its subject, text, HTML and recipients, exactly as they went out', async () => {
    expect((await sendDigestIfDue(deps(), at(WED, '07:30'))).sent).toEqual([WED]);
    const message = sender.sent[0];
    if (message === undefined) throw new Error('expected the digest to be sent');
    const kept = await store.getDigest(WED);
    expect(kept).toEqual({
      date: WED,
      messageId: digestMessageId(WED, A.service),
      sentAt: at(WED, '07:30').toISOString(),
      content: { subject: message.subject, text: message.text, html: message.html, recipients: [A.clerk] },
    });
    expect(kept?.content?.html).toMatch(/^<!DOCTYPE html>/);
    expect(kept?.content?.text).toContain('Blind copies in member–officer correspondence');
    // Kept as sent: no message body, no private detail.
    for (const part of [kept?.content?.subject ?? '', kept?.content?.text ?? '', kept?.content?.html ?? '']) {
      expect(part).not.toContain(BODY_MARKER);
      expect(part).not.toContain('Allotment invoices');
    }

    expect((await sendDigestIfDue(deps(), at(THU, '07:30'))).sent).toEqual([THU]);
    const archive = await store.listDigests();
    expect(archive.map((d) => d.date)).toEqual([THU, WED]);
    expect(archive[0]?.content?.subject).toBe(sender.sent[1]?.subject);
    expect(archive[1]?.content).toEqual(kept?.content);
  });

  it('names every recipient of a digest sent to several', async () => {
    const config = { ...council, digest: { ...council.digest, to: [A.clerk, 'office@millbrook-tc.gov.uk'] } };
    await deliverDigest({ ...deps(), config }, { date: WED, until: at(WED, '07:30').toISOString() }, at(WED, '07:30'));
    expect((await store.getDigest(WED))?.content?.recipients).toEqual([A.clerk, 'office@millbrook-tc.gov.uk']);
  });

  it('records nothing when the send fails, and the words of the digest sent on the next try', async () => {
    sender.failWith = 'the mail server did not answer';
    expect((await sendDigestIfDue(deps(), at(WED, '07:30'))).failed.map((f) => f.date)).toEqual([WED]);
    expect(await store.getDigest(WED)).toBeUndefined();
    expect(await store.listDigests()).toEqual([]);
    sender.failWith = undefined;
    expect((await sendDigestIfDue(deps(), at(WED, '07:35'))).sent).toEqual([WED]);
    expect((await store.getDigest(WED))?.content).toEqual(digestContent(only(sender.sent)));
  });

  it('a digest that went out before a crash is recognised, recorded without words and not sent again', async () => {
    sender.crashAfterSend = true;
    await expect(deliverDigest(deps(), { date: WED, until: at(WED, '07:30').toISOString() }, at(WED, '07:30'))).rejects.toThrow('the process was killed');
    expect(await store.digestSent(WED)).toBe(false);
    await restart();
    expect((await sendDigestIfDue(deps(), at(WED, '08:00'))).recognised).toEqual([WED]);
    expect(sender.sent).toHaveLength(0);
    expect(delivered.size).toBe(1);
    const kept = await store.getDigest(WED);
    expect(kept?.messageId).toBe(digestMessageId(WED, A.service));
    expect(kept?.content).toBeUndefined();
    expect(await settleDigestAttempt(deps(), WED, at(WED, '09:00'), 'at-most-once')).toBe('recognised');
  });

  it('a digest held in doubt and then released is sent once, with its words kept', async () => {
    const sent: OutgoingMessage[] = [];
    const plainSmtp: MailSender = { name: 'smtp', send: async (message) => void sent.push(message), close: async () => undefined };
    await store.recordDigestAttempt({ date: WED, messageId: digestMessageId(WED, A.service), until: at(WED, '07:30').toISOString(), startedAt: at(WED, '07:30').toISOString() });
    expect((await sendDigestIfDue(deps({ sender: plainSmtp }), at(WED, '09:00'))).inDoubt).toEqual([WED]);
    expect((await decideInDoubt(store, `digest;${WED}`, 'release', at(WED, '10:00').toISOString())).changed).toBe(true);
    expect((await sendDigestIfDue(deps({ sender: plainSmtp }), at(WED, '10:01'))).sent).toEqual([WED]);
    expect((await sendDigestIfDue(deps({ sender: plainSmtp }), at(WED, '10:02'))).sent).toEqual([]);
    expect(sent).toHaveLength(1);
    expect((await store.getDigest(WED))?.content).toEqual(digestContent(only(sent)));
  });
});
