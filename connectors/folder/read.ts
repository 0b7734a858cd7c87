/**
 * The folder source: a directory laid out as
 *   DIR/mail/<mailbox-address>/<folder>/*.eml
 *   DIR/calendars/<calendar-id>/*.ics
 * Files are handed over raw, in a stable order; anything unreadable becomes a Problem.
 */
import { closeSync, constants as fsConstants, fstatSync, openSync, promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Problem, RawRecord } from '../../src/items/types.js';

export type FolderEntry = RawRecord | { kind: 'problem'; problem: Problem };

async function listDir(dir: string): Promise<{ names: string[]; error?: string }> {
  try {
    const entries = await fs.readdir(dir, { withFileTypes: true });
    return { names: entries.filter((e) => !e.name.startsWith('.')).map((e) => e.name).sort() };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { names: [], error: code === 'ENOENT' ? 'no such folder' : code === 'ENOTDIR' ? 'not a folder' : String((err as Error).message) };
  }
}

async function isDir(p: string): Promise<boolean> {
  try {
    return (await fs.stat(p)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Regular files up to this size are read in one blocking call: for the small files a mail or
 * calendar folder holds that costs a tenth of an asynchronous read (which makes four round trips
 * through the thread pool). Anything larger, or not a regular file, is read asynchronously so the
 * service keeps answering while it is read.
 */
const BLOCKING_READ_MAX_BYTES = 1024 * 1024;

/** Opening for the blocking read never waits: a named pipe (FIFO) opened this way does not block. */
const OPEN_FLAGS = fsConstants.O_RDONLY | fsConstants.O_NONBLOCK;

/** The whole file; fails as `fs.readFile` does (same error and message) when it cannot be read. */
export async function readWholeFile(file: string): Promise<Buffer> {
  let fd: number | undefined;
  try {
    fd = openSync(file, OPEN_FLAGS);
    const stat = fstatSync(fd);
    if (stat.isFile() && stat.size <= BLOCKING_READ_MAX_BYTES) return readFileSync(fd);
  } catch {
    // The asynchronous read below reports the problem in its own words.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  return fs.readFile(file);
}

export function normalizeFolder(name: string): string {
  const n = name.trim().toLowerCase();
  if (n === 'inbox') return 'inbox';
  if (['sent', 'sent items', 'sent mail', 'sent messages', '[gmail]/sent mail'].includes(n)) return 'sent';
  return n;
}

/** The mail files: DIR/mail/<mailbox>/<folder>/*.eml — yielded one at a time. */
export async function* readMailFiles(root: string): AsyncGenerator<FolderEntry> {
  const mailRoot = path.join(root, 'mail');
  if (!(await isDir(mailRoot))) return;
  for (const mailbox of (await listDir(mailRoot)).names) {
    const mailboxDir = path.join(mailRoot, mailbox);
    if (!(await isDir(mailboxDir))) continue;
    for (const folder of (await listDir(mailboxDir)).names) {
      const folderDir = path.join(mailboxDir, folder);
      if (!(await isDir(folderDir))) continue;
      for (const file of (await listDir(folderDir)).names) {
        if (!file.toLowerCase().endsWith('.eml')) continue;
        const origin = path.join(folderDir, file);
        try {
          const source = await readWholeFile(origin);
          yield { kind: 'mail', source, mailbox: mailbox.toLowerCase(), folder: normalizeFolder(folder), origin };
        } catch (err) {
          yield { kind: 'problem', problem: { origin, kind: 'mail', reason: `cannot read the file: ${(err as Error).message}` } };
        }
      }
    }
  }
}

/** The calendar files: DIR/calendars/<calendar-id>/*.ics. */
export async function* readCalendarFiles(root: string): AsyncGenerator<FolderEntry> {
  const calRoot = path.join(root, 'calendars');
  if (!(await isDir(calRoot))) return;
  for (const calendarId of (await listDir(calRoot)).names) {
    const dir = path.join(calRoot, calendarId);
    if (!(await isDir(dir))) continue;
    for (const file of (await listDir(dir)).names) {
      if (!file.toLowerCase().endsWith('.ics')) continue;
      const origin = path.join(dir, file);
      try {
        const source = (await readWholeFile(origin)).toString('utf8');
        yield { kind: 'calendar', source, calendarId, origin };
      } catch (err) {
        yield { kind: 'problem', problem: { origin, kind: 'calendar', reason: `cannot read the file: ${(err as Error).message}` } };
      }
    }
  }
}

/** Every record under the source directory; a missing directory is a Problem, not a crash. */
export async function* readFolderSource(root: string): AsyncGenerator<FolderEntry> {
  if (!(await isDir(root))) {
    yield { kind: 'problem', problem: { origin: root, kind: 'source', reason: 'the source folder does not exist or is not a folder' } };
    return;
  }
  if (!(await isDir(path.join(root, 'mail'))) && !(await isDir(path.join(root, 'calendars')))) {
    yield {
      kind: 'problem',
      problem: { origin: root, kind: 'source', reason: 'found neither a mail/ nor a calendars/ folder here (expected DIR/mail/<mailbox>/<folder>/*.eml and DIR/calendars/<calendar-id>/*.ics)' },
    };
    return;
  }
  yield* readMailFiles(root);
  yield* readCalendarFiles(root);
}
