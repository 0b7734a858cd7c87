import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFolderSource } from '../../connectors/folder/read.js';
import { Engine, type ItemEvaluation } from '../../src/engine/engine.js';
import type { Finding } from '../../src/engine/types.js';
import type { Item } from '../../src/items/types.js';
import { checkSource } from '../../src/pipeline/check.js';
import { A, council } from '../support/council.js';

/** Reports one finding for a message only once it has been seen in two mailboxes, and a notice for "notice" subjects. */
class CopyCountingEngine extends Engine {
  override evaluateAll(items: readonly Item[], now: string): ItemEvaluation[] {
    return items.map((item) => this.evaluate(item, now));
  }

  override evaluate(item: Item, _now: string): ItemEvaluation {
    const ref = { kind: item.kind, key: item.key };
    const findings: Finding[] =
      item.kind === 'mail' && item.copies.length >= 2
        ? [{ rule: 'no-blind-copies', severity: 'warning', clauses: [], item: ref, people: [], summary: `${item.subject} seen twice`, actions: [], why: [], messageId: 'x', targets: {} }]
        : [];
    const notices = item.kind === 'mail' && item.subject.startsWith('notice') ? [{ kind: 'needs-human' as const, item: ref, message: item.subject }] : [];
    return { findings, verdicts: [], notices };
  }
}

function eml(id: string, subject: string, to: string): string {
  return `From: ${A.tom}\r\nTo: ${to}\r\nSubject: ${subject}\r\nMessage-ID: <${id}@x>\r\nDate: Mon, 1 Mar 2027 10:00:00 +0000\r\n\r\nHello.\r\n`;
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'wardwatch-check-order-'));
  const put = (mailbox: string, folder: string, file: string, text: string): void => {
    mkdirSync(path.join(dir, 'mail', mailbox, folder), { recursive: true });
    writeFileSync(path.join(dir, 'mail', mailbox, folder, file), text);
  };
  // Mailboxes are read in name order: alice's inbox first, then sam's, then tom's sent folder.
  put(A.alice, 'inbox', '1.eml', eml('first', 'first', A.alice));
  put(A.alice, 'inbox', '2.eml', eml('second', 'second', A.alice));
  put(A.sam, 'inbox', '1.eml', eml('third', 'notice third', A.sam));
  put(A.tom, 'sent', '1.eml', eml('second', 'second', A.alice));
  put(A.tom, 'sent', '2.eml', eml('first', 'first', A.alice));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('checkSource', () => {
  it('reports each item once, with its last verdict, in the order items were first seen', async () => {
    const engine = new CopyCountingEngine(council);
    const result = await checkSource(engine, readFolderSource(dir), { now: '2027-03-30T09:00:00Z' });
    // "second" gained its finding before "first" did, but "first" was seen first.
    expect(result.findings.map((f) => f.summary)).toEqual(['first seen twice', 'second seen twice']);
    expect(result.notices.map((n) => n.message)).toEqual(['notice third']);
    expect(result.counts).toEqual({ records: 5, mailCopies: 5, mailItems: 3, eventItems: 0 });
  });

  it('drops what an item reported once a later copy reports nothing', async () => {
    class Fickle extends Engine {
      override evaluateAll(items: readonly Item[]): ItemEvaluation[] {
        return items.map((item) => this.evaluate(item));
      }

      override evaluate(item: Item): ItemEvaluation {
        const ref = { kind: item.kind, key: item.key };
        const once = item.kind === 'mail' && item.copies.length === 1;
        return { findings: [], verdicts: [], notices: once ? [{ kind: 'needs-human', item: ref, message: item.subject }] : [] };
      }
    }
    const result = await checkSource(new Fickle(council), readFolderSource(dir), { now: '2027-03-30T09:00:00Z' });
    expect(result.notices.map((n) => n.message)).toEqual(['notice third']);
  });

  it('hands every evaluation to onEvaluated', async () => {
    const seen: string[] = [];
    await checkSource(new CopyCountingEngine(council), readFolderSource(dir), {
      now: '2027-03-30T09:00:00Z',
      onEvaluated: (item, evaluation: ItemEvaluation) => seen.push(`${item.key}:${evaluation.findings.length}`),
    });
    expect(seen).toEqual(['<first@x>:0', '<second@x>:0', '<third@x>:0', '<second@x>:1', '<first@x>:1']);
  });
});
