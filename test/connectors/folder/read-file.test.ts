import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, promises as fs, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFolderSource, readWholeFile } from '../../../connectors/folder/read.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'wardwatch-read-'));
  writeFileSync(path.join(dir, 'small.eml'), 'Subject: hi\r\n\r\nbody\r\n');
  writeFileSync(path.join(dir, 'empty.eml'), '');
  writeFileSync(path.join(dir, 'large.eml'), Buffer.alloc(2 * 1024 * 1024 + 3, 0x61));
  mkdirSync(path.join(dir, 'folder.eml'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function failure(read: () => Promise<unknown>): Promise<string> {
  try {
    await read();
  } catch (err) {
    return (err as Error).message;
  }
  return 'no error';
}

describe('readWholeFile', () => {
  it.each(['small.eml', 'empty.eml', 'large.eml'])('reads %s exactly as fs.readFile does', async (name) => {
    const file = path.join(dir, name);
    expect((await readWholeFile(file)).equals(await fs.readFile(file))).toBe(true);
  });

  it.each(['missing.eml', 'folder.eml'])('fails on %s with the same message as fs.readFile', async (name) => {
    const file = path.join(dir, name);
    const expected = await failure(() => fs.readFile(file));
    expect(expected).not.toBe('no error');
    expect(await failure(() => readWholeFile(file))).toBe(expected);
  });
});

describe('readWholeFile on a named pipe', () => {
  it('reads it without holding up the process while nothing writes to it', async () => {
    const fifo = path.join(dir, 'pipe.eml');
    execFileSync('mkfifo', [fifo]);
    // Opening a pipe for reading waits for a writer: the read must not wait on the main thread,
    // or the writer below could never run.
    const reading = readWholeFile(fifo);
    await fs.writeFile(fifo, 'Subject: piped\r\n\r\nbody\r\n');
    expect((await reading).toString()).toBe('Subject: piped\r\n\r\nbody\r\n');
  });
});

describe('readFolderSource', () => {
  it('reports an unreadable file as a problem and goes on', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'wardwatch-read-source-'));
    try {
      const inbox = path.join(root, 'mail', 'tom.brown@millbrook-tc.gov.uk', 'inbox');
      mkdirSync(path.join(inbox, 'a.eml'), { recursive: true });
      writeFileSync(path.join(inbox, 'b.eml'), 'Subject: ok\r\n\r\n');
      mkdirSync(path.join(root, 'calendars', 'council-events'), { recursive: true });
      writeFileSync(path.join(root, 'calendars', 'council-events', 'x.ics'), 'BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n');
      const entries = [];
      for await (const e of readFolderSource(root)) entries.push(e);
      expect(entries.map((e) => e.kind)).toEqual(['problem', 'mail', 'calendar']);
      const [problem, mail, calendar] = entries;
      expect(problem?.kind === 'problem' && problem.problem.reason).toMatch(/^cannot read the file: EISDIR/);
      expect(mail?.kind === 'mail' && mail.source.toString()).toBe('Subject: ok\r\n\r\n');
      expect(calendar?.kind === 'calendar' && calendar.source).toBe('BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
