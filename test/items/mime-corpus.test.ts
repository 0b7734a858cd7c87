/**
 * Robustness: every message of the shared MIME corpora (real, legacy and deliberately malformed
 * mail from public parser projects) either parses to a usable MailItem or is rejected with a
 * plain reason. Nothing crashes the process and nothing hangs.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseMail } from '../../src/items/mail-parse.js';
import type { MailItem } from '../../src/items/types.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const corpusRoot = path.resolve(repoRoot, '../shared/corpora/mime');
/** Longest any one file may take before the guard gives up on it (a hang, not a slow parse). */
const GUARD_MS = 15_000;

function corpusFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return corpusFiles(full);
    return /^(LICENSE|README)/i.test(entry.name) ? [] : [full];
  });
}

type Outcome = { file: string } & ({ kind: 'parsed'; item: MailItem } | { kind: 'rejected'; error: unknown } | { kind: 'hung' });

async function guarded(file: string): Promise<Outcome> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<Outcome>((resolve) => {
    timer = setTimeout(() => resolve({ file, kind: 'hung' }), GUARD_MS);
  });
  const attempt = parseMail(readFileSync(file), { mailbox: 'clerk@millbrook-tc.gov.uk', folder: 'inbox', origin: file }).then(
    (item): Outcome => ({ file, kind: 'parsed', item }),
    (error: unknown): Outcome => ({ file, kind: 'rejected', error }),
  );
  try {
    return await Promise.race([attempt, hung]);
  } finally {
    clearTimeout(timer);
  }
}

describe('MIME corpus', () => {
  it('parses or plainly rejects every message, and parses at least 90% of them', { timeout: 300_000 }, async () => {
    const files = corpusFiles(corpusRoot).sort();
    expect(files.length).toBeGreaterThan(150);

    const outcomes: Outcome[] = [];
    for (const file of files) outcomes.push(await guarded(file));

    expect(outcomes.filter((o) => o.kind === 'hung').map((o) => o.file)).toEqual([]);
    for (const outcome of outcomes) {
      if (outcome.kind === 'parsed') {
        expect(outcome.item.key, outcome.file).toMatch(/^<.+>$/);
        expect(typeof outcome.item.text, outcome.file).toBe('string');
        expect(outcome.item.copies, outcome.file).toHaveLength(1);
        // Items are plain data: they survive a JSON round trip unchanged.
        expect(JSON.parse(JSON.stringify(outcome.item)), outcome.file).toEqual(outcome.item);
      } else if (outcome.kind === 'rejected') {
        expect(outcome.error, outcome.file).toBeInstanceOf(Error);
        const message = outcome.error instanceof Error ? outcome.error.message : '';
        expect(message, outcome.file).toMatch(/^(not an e-mail message|the message could not be read): \S/);
      }
    }
    const parsed = outcomes.filter((o) => o.kind === 'parsed').length;
    expect(parsed / files.length).toBeGreaterThanOrEqual(0.9);
  });

  it('rejects the corpus files that have no header lines at all, saying so', async () => {
    const noHeaders = path.join(corpusRoot, 'james-mime4j/testmsgs/malformedHeader-noheader.msg');
    await expect(parseMail(readFileSync(noHeaders), { mailbox: 'clerk@millbrook-tc.gov.uk', folder: 'inbox', origin: noHeaders })).rejects.toThrow(
      'not an e-mail message: no header lines (such as From:, To: or Subject:) were found at the start of the file',
    );
  });
});
