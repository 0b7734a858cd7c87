/**
 * The folder source: a directory laid out as
 *   DIR/mail/<mailbox-address>/<folder>/*.eml
 *   DIR/calendars/<calendar-id>/*.ics
 * Files are handed over raw, in a stable order; anything unreadable becomes a Problem.
 */
import { closeSync, constants as fsConstants, fstatSync, openSync, promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Problem, RawRecord } from '../../src/items/types.js';
import { errorMessage } from '../../src/model/error-message.js';

export type FolderEntry = RawRecord | { kind: 'problem'; problem: Problem };

/** A file of the layout: DIR/mail/<mailbox>/<folder>/NAME.eml or DIR/calendars/<calendar-id>/NAME.ics. */
export interface LayoutFile {
  file: string;
  kind: 'mail' | 'calendar';
  /** The mailbox address (lower case) and the folder's normalised name, for mail. */
  mailbox: string;
  folder: string;
  /** The calendar's id, for a calendar file. */
  calendarId: string;
}

export type LayoutEntry =
  | ({ type: 'file' } & LayoutFile)
  /** A calendar folder, whether or not it holds any file (its files vanishing is a removal; the folder vanishing is not). */
  | { type: 'calendar-folder'; dir: string }
  /** A folder of the layout that exists but could not be listed. */
  | { type: 'unreadable'; dir: string; error: unknown };

interface Listed {
  name: string;
  isDir: boolean;
}

/** Visible entries of a directory (a symbolic link counts as what it points to), sorted by name; [] when it does not exist. */
async function listVisible(dir: string): Promise<Listed[]> {
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch((err: unknown) => {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw err;
  });
  const listed: Listed[] = [];
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    if (e.isSymbolicLink()) {
      const target = await fs.stat(path.join(dir, e.name)).catch(() => undefined);
      listed.push({ name: e.name, isDir: target?.isDirectory() ?? false });
    } else {
      listed.push({ name: e.name, isDir: e.isDirectory() });
    }
  }
  return listed.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
}

/**
 * The one walk over the folder layout, for `check` and for the live connector: every .eml and
 * .ics name in a stable order, mail first; names that start with a dot are skipped (a file can be
 * written as `.name.tmp` and renamed into place). What is not a regular file under such a name is
 * still given: `check` reports it as unreadable, the live connector (which reads regular files
 * only) passes it by.
 */
export async function* walkFolderLayout(root: string): AsyncGenerator<LayoutEntry> {
  async function* list(dir: string): AsyncGenerator<Listed | { unreadable: unknown }> {
    let entries: Listed[];
    try {
      entries = await listVisible(dir);
    } catch (error) {
      yield { unreadable: error };
      return;
    }
    yield* entries;
  }
  const mailRoot = path.join(root, 'mail');
  for await (const mailbox of list(mailRoot)) {
    if ('unreadable' in mailbox) {
      yield { type: 'unreadable', dir: mailRoot, error: mailbox.unreadable };
      continue;
    }
    if (!mailbox.isDir) continue;
    const mailboxDir = path.join(mailRoot, mailbox.name);
    for await (const folder of list(mailboxDir)) {
      if ('unreadable' in folder) {
        yield { type: 'unreadable', dir: mailboxDir, error: folder.unreadable };
        continue;
      }
      if (!folder.isDir) continue;
      const dir = path.join(mailboxDir, folder.name);
      for await (const f of list(dir)) {
        if ('unreadable' in f) {
          yield { type: 'unreadable', dir, error: f.unreadable };
          continue;
        }
        if (!f.name.toLowerCase().endsWith('.eml')) continue;
        yield { type: 'file', file: path.join(dir, f.name), kind: 'mail', mailbox: mailbox.name.toLowerCase(), folder: normalizeFolder(folder.name), calendarId: '' };
      }
    }
  }
  const calRoot = path.join(root, 'calendars');
  for await (const calendar of list(calRoot)) {
    if ('unreadable' in calendar) {
      yield { type: 'unreadable', dir: calRoot, error: calendar.unreadable };
      continue;
    }
    if (!calendar.isDir) continue;
    const dir = path.join(calRoot, calendar.name);
    yield { type: 'calendar-folder', dir };
    for await (const f of list(dir)) {
      if ('unreadable' in f) {
        yield { type: 'unreadable', dir, error: f.unreadable };
        continue;
      }
      if (!f.name.toLowerCase().endsWith('.ics')) continue;
      yield { type: 'file', file: path.join(dir, f.name), kind: 'calendar', mailbox: '', folder: '', calendarId: calendar.name };
    }
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
  for await (const entry of walkFolderLayout(root)) {
    if (entry.type === 'calendar-folder') continue;
    if (entry.type === 'unreadable') {
      yield { kind: 'problem', problem: { origin: entry.dir, kind: 'source', reason: `cannot read the folder: ${errorMessage(entry.error)}` } };
      continue;
    }
    const origin = entry.file;
    try {
      const source = await readWholeFile(origin);
      yield entry.kind === 'mail'
        ? { kind: 'mail', source, mailbox: entry.mailbox, folder: entry.folder, origin }
        : { kind: 'calendar', source: source.toString('utf8'), calendarId: entry.calendarId, origin };
    } catch (err) {
      yield { kind: 'problem', problem: { origin, kind: entry.kind, reason: `cannot read the file: ${errorMessage(err)}` } };
    }
  }
}
