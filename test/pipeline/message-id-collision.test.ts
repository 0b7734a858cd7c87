/**
 * Two different messages with one Message-ID are not merged as copies of one: the collision is
 * reported naming both, both are judged, and a check pass gives the same findings whichever file
 * is read first. Real copies of one message (another mailbox, a tag a gateway added) still merge.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { collisionKey, sameMessage } from '../../src/items/mail-merge.js';
import { parseMail } from '../../src/items/mail-parse.js';
import type { RawRecord } from '../../src/items/types.js';
import { Outbox, planningContextFrom } from '../../src/outbox/outbox.js';
import { checkSource, type SourceEntry } from '../../src/pipeline/check.js';
import { StoredItemMemory } from '../../src/service/item-memory.js';
import { silentLogger } from '../../src/service/logger.js';
import { LivePipeline } from '../../src/service/pipeline.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { A, council } from '../support/council.js';

const NOW = '2026-11-18T12:00:00Z';
/** The council's own receiving server is trusted, and it vouches for both messages (see attribution). */
const trusting = { ...council, authentication: { trustedServers: ['mx.millbrook-tc.gov.uk'] } };
const VOUCHED = 'Authentication-Results: mx.millbrook-tc.gov.uk; dmarc=pass header.from=millbrook-tc.gov.uk';
const ID = '<0001.reused@mail.millbrook-tc.gov.uk>';

function message(lines: { from: string; to: string; subject: string; date: string; body: string; extra?: string[] }): Buffer {
  return Buffer.from(
    [
      `From: ${lines.from}`,
      `To: ${lines.to}`,
      `Subject: ${lines.subject}`,
      `Date: ${lines.date}`,
      `Message-ID: ${ID}`,
      VOUCHED,
      ...(lines.extra ?? []),
      'Content-Type: text/plain; charset=utf-8',
      '',
      lines.body,
      '',
    ].join('\r\n'),
  );
}

/** Cllr Alice Green asks Sam for work directly: requests-via-clerk. */
const aliceRequest = message({
  from: `Cllr Alice Green <${A.alice}>`,
  to: `Sam Patel <${A.sam}>`,
  subject: 'Castle Street bins',
  date: 'Wed, 18 Nov 2026 09:30:00 +0000',
  body: 'Hi Sam,\r\n\r\nThe bins on Castle Street were missed again on Monday. Could you arrange an extra collection this week and let the residents know?\r\n\r\nThanks,\r\nAlice',
});

/** A different message reusing the ID: Cllr Raj Mehta asks Priya for work directly. */
const rajRequest = message({
  from: `Cllr Raj Mehta <${A.raj}>`,
  to: `Priya Shah <${A.priya}>`,
  subject: 'Weir Road flooding',
  date: 'Wed, 18 Nov 2026 11:05:00 +0000',
  body: 'Dear Priya,\r\n\r\nCould you please arrange for the drains on Weir Road to be cleared before the weekend? Residents are worried about flooding.\r\n\r\nRegards,\r\nRaj',
});

function record(source: Buffer, mailbox: string, folder: string, file: string): SourceEntry {
  return { kind: 'mail', source, mailbox, folder, origin: `mail/${mailbox}/${folder}/${file}` };
}

async function check(entries: SourceEntry[]) {
  async function* source(): AsyncIterable<SourceEntry> {
    yield* entries;
  }
  return checkSource(new Engine(trusting), source(), { now: NOW });
}

describe('a check pass', () => {
  const alice = record(aliceRequest, A.sam, 'inbox', 'a.eml');
  const raj = record(rajRequest, A.priya, 'inbox', 'b.eml');

  it('judges both messages, reports the collision naming both files, and says the same in either order', async () => {
    const forward = await check([alice, raj]);
    const backward = await check([raj, alice]);
    expect(JSON.stringify(backward.findings)).toBe(JSON.stringify(forward.findings));
    expect(JSON.stringify(backward.notices)).toBe(JSON.stringify(forward.notices));
    const keys = new Set(forward.findings.map((f) => f.item.key));
    expect(keys.size).toBe(2);
    for (const key of keys) expect(key.startsWith(`${ID}#`)).toBe(true);
    const people = forward.findings.flatMap((f) => f.people);
    expect(people).toEqual(expect.arrayContaining([A.alice, A.raj]));
    expect(forward.counts.mailItems).toBe(2);
    for (const result of [forward, backward]) {
      expect(result.problems).toHaveLength(1);
      expect(result.problems[0]?.reason).toContain(`two different messages share the Message-ID ${ID} (mail/${A.priya}/inbox/b.eml and mail/${A.sam}/inbox/a.eml)`);
    }
  });

  it('a copy of either, read later, merges with its own message and reports nothing more', async () => {
    const aliceSent = record(aliceRequest, A.alice, 'sent', 'a.eml');
    const result = await check([alice, raj, aliceSent, record(rajRequest, A.raj, 'sent', 'b.eml')]);
    expect(result.counts.mailItems).toBe(2);
    expect(result.problems).toHaveLength(1);
    expect(JSON.stringify(result.findings)).toBe(JSON.stringify((await check([aliceSent, record(rajRequest, A.raj, 'sent', 'b.eml'), alice, raj])).findings));
  });

  it('a third different message with the ID is judged too, and reported', async () => {
    const third = record(message({ from: `Cllr Ben Hughes <${A.ben}>`, to: `Dan Okafor <${A.dan}>`, subject: 'Hazel Avenue', date: 'Wed, 18 Nov 2026 11:30:00 +0000', body: 'Hello Dan.' }), A.dan, 'inbox', 'c.eml');
    const result = await check([alice, raj, third]);
    expect(result.counts.mailItems).toBe(3);
    expect(result.problems).toHaveLength(2);
  });

  it('real copies still merge: another mailbox, transport headers, a gateway’s [EXTERNAL] tag', async () => {
    const inboxCopy = Buffer.from(
      aliceRequest
        .toString('utf8')
        .replace('Subject: Castle Street bins', 'Subject: [EXTERNAL] Castle Street bins')
        .replace('From:', 'Received: from mx1.millbrook-tc.gov.uk by mail.millbrook-tc.gov.uk; Wed, 18 Nov 2026 09:30:02 +0000\r\nFrom:'),
    );
    const result = await check([record(aliceRequest, A.alice, 'sent', 'a.eml'), record(inboxCopy, A.sam, 'inbox', 'a.eml')]);
    expect(result.problems).toEqual([]);
    expect(result.counts.mailItems).toBe(1);
    expect(new Set(result.findings.map((f) => f.item.key))).toEqual(new Set([ID]));
  });
});

describe('telling copies from collisions', () => {
  it('same From, Date and subject is a copy; any of them different is another message', async () => {
    const a = await parseMail(aliceRequest, { mailbox: A.sam, folder: 'inbox', origin: 'a' });
    const b = await parseMail(rajRequest, { mailbox: A.priya, folder: 'inbox', origin: 'b' });
    expect(sameMessage(a, { ...a, subject: ` [External]  castle  street bins ` })).toBe(true);
    expect(sameMessage(a, b)).toBe(false);
    expect(sameMessage(a, { ...a, date: '2026-11-18T09:30:01.000Z' })).toBe(false);
    expect(sameMessage(a, { ...a, from: [{ address: A.tom }] })).toBe(false);
    expect(collisionKey(a)).toMatch(/^<0001\.reused@mail\.millbrook-tc\.gov\.uk>#[0-9a-f]{12}$/);
    expect(collisionKey({ ...a, key: collisionKey(a) })).toBe(collisionKey(a));
  });
});

describe('the service', () => {
  let dir: string | undefined;
  const stores: SqliteStore[] = [];
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('lists the collision among the digest’s problems and judges both messages, the first under its Message-ID', async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'wardwatch-collision-'));
    const store = new SqliteStore(path.join(dir, 'state.sqlite'));
    stores.push(store);
    const engine = new Engine(trusting);
    const pipeline = new LivePipeline({
      store,
      engine,
      outbox: new Outbox(store, { planning: planningContextFrom(trusting, engine.directory) }),
      logger: silentLogger(),
      memory: new StoredItemMemory(store),
      dryRun: true,
      now: () => new Date(NOW),
    });
    const rec = (source: Buffer, mailbox: string, file: string): RawRecord => ({ kind: 'mail', source, mailbox, folder: 'inbox', origin: `mail/${mailbox}/inbox/${file}` });
    const first = await pipeline.take(rec(aliceRequest, A.sam, 'a.eml'));
    const second = await pipeline.take(rec(rajRequest, A.priya, 'b.eml'));
    expect(first.items.map((i) => i.key)).toEqual([ID]);
    expect(second.items).toHaveLength(1);
    const rajKey = second.items[0]?.key ?? '';
    expect(rajKey.startsWith(`${ID}#`)).toBe(true);
    expect((await store.getFindings(ID)).map((f) => f.finding.people).flat()).toContain(A.alice);
    expect((await store.getFindings(rajKey)).map((f) => f.finding.people).flat()).toContain(A.raj);
    expect((await store.listProblems()).map((p) => p.origin)).toEqual([`mail/${A.priya}/inbox/b.eml`]);
    expect((await store.listProblems())[0]?.reason).toContain(`two different messages share the Message-ID ${ID}`);
    // A copy of the first, in another mailbox, still merges with it under the Message-ID.
    const copy = await pipeline.take({ kind: 'mail', source: aliceRequest, mailbox: A.alice, folder: 'sent', origin: `mail/${A.alice}/sent/a.eml` });
    expect(copy.items.map((i) => i.key)).toEqual([ID]);
    expect(copy.problems).toBe(0);
  });
});
