/**
 * Mail that is not correspondence — automatic replies, bulk and list mail, bounces, receipts — is
 * recognised when parsed, is still read and counted, and no rule fires on it; `Auto-Submitted: no`
 * and a person replying to an automatic reply are judged as usual.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { mergeMail } from '../../src/items/mail-merge.js';
import { parseMail } from '../../src/items/mail-parse.js';
import type { MailCopy, MailItem } from '../../src/items/types.js';
import { checkSource, type SourceEntry } from '../../src/pipeline/check.js';
import { MailSummaries } from '../../src/pipeline/mail-summaries.js';
import { MailSummarySchema } from '../../src/service/item-memory.js';
import { A, council } from '../support/council.js';

const corpora = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared/corpora/mime');
const NOW = '2026-11-18T12:00:00Z';
const engine = new Engine(council);

const inbox = (mailbox: string): MailCopy => ({ mailbox, folder: 'inbox', origin: `test:${mailbox}:inbox` });
const sent = (mailbox: string): MailCopy => ({ mailbox, folder: 'sent', origin: `test:${mailbox}:sent` });

/**
 * Cllr Tom Brown writes to an officer asking for work to be done, without the Clerk: the
 * requests-via-clerk rule fires on it. Extra header lines and another subject make the variants.
 */
function request(extra: string[] = [], subject = 'Pothole on Castle Street', from = `Cllr Tom Brown <${A.tom}>`): Buffer {
  return Buffer.from(
    [
      `From: ${from}`,
      `To: Sam Patel <${A.sam}>`,
      `Subject: ${subject}`,
      'Message-ID: <req-1@millbrook-tc.gov.uk>',
      'Date: Wed, 18 Nov 2026 10:15:00 +0000',
      ...extra,
      '',
      'Dear Sam,',
      '',
      'Could you please arrange for the pothole outside 14 Castle Street to be repaired by Friday? Residents have complained to me twice.',
      '',
      'Thanks,',
      'Tom',
      '',
    ].join('\r\n'),
    'utf8',
  );
}

/** Tom's out-of-office, sent from his mailbox to Sam, quoting Sam's message which quoted the request. */
function outOfOffice(extra: string[], subject = 'Automatic reply: Pothole on Castle Street'): Buffer {
  return Buffer.from(
    [
      `From: Cllr Tom Brown <${A.tom}>`,
      `To: Sam Patel <${A.sam}>`,
      `Subject: ${subject}`,
      'Message-ID: <ooo-7@millbrook-tc.gov.uk>',
      'Date: Wed, 18 Nov 2026 10:16:00 +0000',
      ...extra,
      '',
      'I am away until Monday 23 November with limited access to e-mail.',
      '',
      'Could you please arrange for the pothole outside 14 Castle Street to be repaired by Friday? Residents have complained to me twice.',
      '',
    ].join('\r\n'),
    'utf8',
  );
}

// Judged as seen in the writer's own Sent folder, so the message is theirs (see attribution) and
// only the marks of automated mail decide whether a rule may fire.
async function judge(source: Buffer, copy: MailCopy = sent(A.tom)): Promise<{ item: MailItem; rules: string[]; reasons: string[] }> {
  const item = await parseMail(source, copy);
  const evaluation = engine.evaluate(item, NOW);
  return { item, rules: evaluation.findings.map((f) => f.rule), reasons: evaluation.verdicts.filter((v) => v.enabled).map((v) => v.reason) };
}

describe('the request on its own (the baseline the other cases are compared with)', () => {
  it('fires requests-via-clerk', async () => {
    const { item, rules } = await judge(request());
    expect(item.automated).toBeUndefined();
    expect(rules).toContain('requests-via-clerk');
  });
});

describe('automatic replies from a member’s mailbox are not the member writing', () => {
  const cases: [string, string[], string?][] = [
    ['Auto-Submitted: auto-replied', ['Auto-Submitted: auto-replied']],
    ['Auto-Submitted: auto-generated with a comment', ['Auto-Submitted: auto-generated (vacation)']],
    ['X-Autoreply', ['X-Autoreply: yes']],
    ['X-Autorespond', ['X-Autorespond: Out of office']],
    ['Precedence: auto_reply', ['Precedence: auto_reply']],
    ['an "Automatic reply:" subject alone (Outlook)', []],
    ['an "Out of Office:" subject alone', [], 'Out of Office: Pothole on Castle Street'],
    ['an "Auto-Reply:" subject alone', [], 'Auto-Reply: Pothole on Castle Street'],
  ];
  it.each(cases)('%s → recognised, no rule fires, and explain says why', async (_name, extra, subject) => {
    const { item, rules, reasons } = await judge(outOfOffice(extra, subject));
    expect(item.automated?.kind).toMatch(/^auto-/);
    expect(rules).toEqual([]);
    expect(reasons.filter((r) => r.startsWith('applies to events only')).length).toBeLessThan(reasons.length);
    for (const r of reasons.filter((x) => !x.startsWith('applies to events'))) expect(r).toMatch(/^not judged: an automatic/);
  });

  it('the same text without the marks would fire (so the gate, not the wording, keeps it quiet)', async () => {
    const { rules } = await judge(outOfOffice([], 'Pothole on Castle Street'));
    expect(rules).toContain('requests-via-clerk');
  });
});

describe('bulk mail, bounces and receipts', () => {
  it('a newsletter with List-Unsubscribe and Precedence: bulk, even one a member sends', async () => {
    const { item, rules, reasons } = await judge(request(['Precedence: bulk', 'List-Unsubscribe: <mailto:unsubscribe@lists.example.org>']));
    expect(item.automated).toEqual({ kind: 'bulk', reason: 'it is bulk or list mail (Precedence: bulk)' });
    expect(rules).toEqual([]);
    expect(reasons.some((r) => r.startsWith('not judged: bulk or mailing-list mail, not a person writing — it is bulk or list mail (Precedence: bulk)'))).toBe(true);
  });

  it('List-Id alone', async () => {
    const { item, rules } = await judge(request(['List-Id: Millbrook residents <residents.lists.example.org>']));
    expect(item.automated?.kind).toBe('bulk');
    expect(item.automated?.reason).toContain('List-Id: Millbrook residents <residents.lists.example.org>');
    expect(rules).toEqual([]);
  });

  it('a real mailing-list message from the shared corpus is bulk', async () => {
    const item = await parseMail(readFileSync(path.join(corpora, 'stalwart-mail-parser/thirdparty/014.eml')), inbox(A.sam));
    expect(item.automated?.kind).toBe('bulk');
  });

  it('a delivery status notification (multipart/report) quoting the request', async () => {
    const dsn = Buffer.from(
      [
        `From: Mail Delivery System <MAILER-DAEMON@mail.millbrook-tc.gov.uk>`,
        `To: ${A.tom}`,
        'Subject: Pothole on Castle Street',
        'Message-ID: <dsn-1@mail.millbrook-tc.gov.uk>',
        'Date: Wed, 18 Nov 2026 10:17:00 +0000',
        'MIME-Version: 1.0',
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"',
        '',
        '--b1',
        'Content-Type: text/plain',
        '',
        'Could you please arrange for the pothole outside 14 Castle Street to be repaired by Friday?',
        '--b1',
        'Content-Type: message/delivery-status',
        '',
        'Reporting-MTA: dns; mail.millbrook-tc.gov.uk',
        '',
        'Final-Recipient: rfc822; sam.patl@millbrook-tc.gov.uk',
        'Action: failed',
        'Status: 5.1.1',
        '--b1--',
        '',
      ].join('\r\n'),
    );
    const { item, rules } = await judge(dsn, inbox(A.tom));
    expect(item.automated).toEqual({ kind: 'bounce', reason: 'it is a delivery status notification, a bounce (multipart/report; report-type=delivery-status)' });
    expect(rules).toEqual([]);
  });

  it.each([
    ['Undeliverable: Pothole on Castle Street'],
    ['Delivery Status Notification (Failure)'],
    ['Mail delivery failed: returning message to sender'],
    ['Undelivered Mail Returned to Sender'],
  ])('a bounce known by its subject "%s"', async (subject) => {
    const { item, rules } = await judge(request([], subject, `Postmaster <bounces@mail.example.net>`));
    expect(item.automated?.kind).toBe('bounce');
    expect(rules).toEqual([]);
  });

  it('a bounce known by its sender (postmaster@, MAILER-DAEMON@) or its empty return path', async () => {
    expect((await judge(request([], 'Your message', `postmaster@mail.example.net`))).item.automated?.kind).toBe('bounce');
    expect((await judge(request([], 'Your message', `MAILER-DAEMON@mail.example.net`))).item.automated?.kind).toBe('bounce');
    expect((await judge(request(['Return-Path: <>']))).item.automated?.kind).toBe('auto-generated');
  });

  it('a read receipt', async () => {
    const { item } = await judge(request(['Content-Type: multipart/report; report-type="disposition-notification"; boundary="r"']));
    expect(item.automated?.kind).toBe('receipt');
  });
});

describe('what is still judged as usual', () => {
  it.each([
    ['Auto-Submitted: no', ['Auto-Submitted: no'], undefined],
    ['X-Auto-Response-Suppress (Outlook sets it on ordinary mail)', ['X-Auto-Response-Suppress: All'], undefined],
    ['a person replying to an automatic reply', [], 'RE: Automatic reply: Pothole on Castle Street'],
    ['a subject that merely mentions the office', [], 'Out of office hours repairs on Castle Street'],
  ])('%s', async (_name, extra, subject) => {
    const { item, rules } = await judge(request(extra, subject));
    expect(item.automated).toBeUndefined();
    expect(rules).toContain('requests-via-clerk');
  });

  it('a member’s post to a list, seen in their own Sent folder as well, is their own writing', async () => {
    const viaList = await parseMail(request(['List-Id: <councillors.lists.example.org>', 'Precedence: list']), inbox(A.sam));
    const own = await parseMail(request(), sent(A.tom));
    expect(viaList.automated?.kind).toBe('bulk');
    for (const merged of [mergeMail(viaList, own), mergeMail(own, viaList)]) {
      expect(merged.automated).toBeUndefined();
      expect(engine.evaluate(merged, NOW).findings.map((f) => f.rule)).toContain('requests-via-clerk');
    }
  });

  it('two copies of an autoresponder’s message keep one reason whichever is read first', async () => {
    const a = await parseMail(outOfOffice(['Auto-Submitted: auto-replied', 'List-Id: <x.lists.example.org>']), inbox(A.sam));
    const b = await parseMail(outOfOffice(['Auto-Submitted: auto-replied']), inbox(A.clerk));
    expect(mergeMail(a, b).automated).toEqual(mergeMail(b, a).automated);
    expect(mergeMail(a, b).automated?.kind).toBe('auto-reply');
  });
});

describe('automated mail is kept, counted and remembered', () => {
  it('a check pass reads and counts it, and reports nothing for it', async () => {
    async function* source(): AsyncIterable<SourceEntry> {
      yield { kind: 'mail', source: outOfOffice(['Auto-Submitted: auto-replied']), mailbox: A.tom, folder: 'sent', origin: 'ooo.eml' };
      yield { kind: 'mail', source: request(), mailbox: A.tom, folder: 'sent', origin: 'request.eml' };
    }
    const result = await checkSource(engine, source(), { now: NOW });
    expect(result.counts.mailItems).toBe(2);
    expect(result.problems).toEqual([]);
    expect(result.findings.map((f) => f.item.key)).toEqual(['<req-1@millbrook-tc.gov.uk>']);
  });

  it('the merge summaries and the service’s stored summaries carry the mark, so a later copy is still known as automated', async () => {
    const item = await parseMail(outOfOffice(['Auto-Submitted: auto-replied']), inbox(A.sam));
    const summaries = new MailSummaries();
    summaries.set(item);
    expect(summaries.keptWhole).toBe(0);
    expect(summaries.get(item.key)?.automated).toEqual(item.automated);
    const stored = MailSummarySchema.parse(JSON.parse(JSON.stringify({ ...item, text: '', attachments: [] })));
    expect(stored.automated).toEqual(item.automated);
    const later = await parseMail(outOfOffice(['Auto-Submitted: auto-replied']), inbox(A.clerk));
    const merged = mergeMail(summaries.get(item.key) as MailItem, later);
    expect(merged.automated?.kind).toBe('auto-reply');
    expect(engine.evaluate(merged, NOW).findings).toEqual([]);
  });
});
