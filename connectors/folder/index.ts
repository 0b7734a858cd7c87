/**
 * The folder source as a live connector: the embedded default and the replay tool.
 *
 *   DIR/mail/<mailbox-address>/<folder>/*.eml
 *   DIR/calendars/<calendar-id>/*.ics
 *
 * `sync` hands over every file that is new or changed since it was last handed over: each file's
 * modification time and size are remembered in the cursor store once the record has been taken,
 * so a restart does not read unchanged files again. `watch` keeps doing that as files arrive: it
 * listens with fs.watch (recursive) where the platform offers it and also looks over the folder
 * every so often, because change notifications can be missed; with `watchMode: 'poll'` it only
 * looks every `pollIntervalMs`. Bursts of changes are gathered (debounced) into one pass.
 *
 * Files whose name starts with a dot are ignored, so a file can be written under a temporary
 * `.name.tmp` and renamed into place when complete.
 *
 * A file is read only once it is complete, so that one written in place is not judged half-written
 * (its headers cut short, under a made-up key) and then again whole: it is read once its size and
 * modification time have not changed for `settleMs` (default 2 s), or at once when it was renamed
 * into place after its last write (its change time is later than its modification time). A file
 * that keeps changing is read once it stops.
 *
 * When an .ics file it handed over is gone from a calendar folder that is still there, `sync`
 * reports the removal, so that what was planned for its events and not yet carried out is
 * withdrawn. (A calendar folder gone as a whole is not taken as every event in it deleted: a
 * share that is not mounted looks the same.) Which .ics files were handed over is kept in the
 * cursor store beside their stamps.
 *
 * The folder source only reads: it cannot add attendees to an event or decline a booking.
 */
import { errorMessage } from '../../src/model/error-message.js';
import { watch as fsWatch, promises as fs, type FSWatcher } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { Address, RawRecord } from '../../src/items/types.js';
import type { ConnectorModule } from '../../src/sources/connector-module.js';
import type { CursorStore, EventRef, RecordSink, SourceCapabilities, SourceConnector } from '../../src/sources/types.js';
import { walkFolderLayout } from './read.js';

export const FOLDER_SOURCE_NAME = 'folder';

export interface FolderConnectorOptions {
  /** Where each file's last-read stamp is kept; an in-memory store when absent (everything is read once per process). */
  cursors?: CursorStore;
  /** The name the source goes by in health reports and cursors (default `folder`). */
  name?: string;
  /** `auto`: fs.watch where available plus an occasional look; `poll`: look every `pollIntervalMs` only. */
  watchMode?: 'auto' | 'poll';
  /** How often to look over the folder in `poll` mode (default 2 s). */
  pollIntervalMs?: number;
  /** How often to look over the folder anyway in `auto` mode (default 60 s). */
  safetyPollIntervalMs?: number;
  /** How long to wait after a change for the burst to end (default 250 ms). */
  debounceMs?: number;
  /** How long a file's size and modification time must stay unchanged before it is read (default 2000 ms; 0 reads at once). */
  settleMs?: number;
}

export const DEFAULT_FOLDER_SETTLE_MS = 2000;

/** The folder is missing or unreadable: the whole source is down (retried by the service). */
export class FolderSourceError extends Error {
  override readonly name = 'FolderSourceError';
}

interface FileEntry {
  file: string;
  stamp: string;
  mtimeMs: number;
  ctimeMs: number;
  kind: 'mail' | 'calendar';
  mailbox: string;
  folder: string;
  calendarId: string;
}

function errorCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code: unknown = err.code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

async function stampOf(file: string): Promise<{ stamp: string; mtimeMs: number; ctimeMs: number } | undefined> {
  try {
    const st = await fs.stat(file);
    return st.isFile() ? { stamp: `${Math.trunc(st.mtimeMs)}:${st.size}`, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs } : undefined;
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return undefined;
    throw err;
  }
}

async function checkRoot(root: string): Promise<void> {
  let isDir: boolean;
  try {
    isDir = (await fs.stat(root)).isDirectory();
  } catch (err) {
    const code = errorCode(err);
    throw new FolderSourceError(
      code === 'ENOENT'
        ? `The source folder ${root} does not exist (or no longer exists). Wardwatch will keep trying; please create it or correct connectors.folder.dir.`
        : `The source folder ${root} cannot be read: ${errorMessage(err)}`,
    );
  }
  if (!isDir) throw new FolderSourceError(`The source ${root} is a file, not a folder; please point connectors.folder.dir at a folder.`);
}

/** The cursor key under which the .ics files handed over are listed (no file path starts with '@'). */
const CALENDAR_FILES_KEY = '@calendar-files';

/** Every .eml and .ics file in the layout, mail first, in a stable order; `calendarDirs` gets each calendar folder found. */
async function scan(root: string, calendarDirs: Set<string> = new Set()): Promise<FileEntry[]> {
  await checkRoot(root);
  const out: FileEntry[] = [];
  for await (const entry of walkFolderLayout(root)) {
    if (entry.type === 'unreadable') throw entry.error;
    if (entry.type === 'calendar-folder') {
      calendarDirs.add(entry.dir);
      continue;
    }
    const stamp = await stampOf(entry.file);
    if (stamp === undefined) continue;
    out.push({ file: entry.file, ...stamp, kind: entry.kind, mailbox: entry.mailbox, folder: entry.folder, calendarId: entry.calendarId });
  }
  return out;
}

class MemoryCursors implements CursorStore {
  private readonly values = new Map<string, string>();
  getCursor(source: string, key: string): Promise<string | undefined> {
    return Promise.resolve(this.values.get(`${source}\u0000${key}`));
  }
  setCursor(source: string, key: string, value: string): Promise<void> {
    this.values.set(`${source}\u0000${key}`, value);
    return Promise.resolve();
  }
}

export class FolderConnector implements SourceConnector {
  readonly name: string;
  readonly capabilities: SourceCapabilities = { addAttendees: false, declineBooking: false };
  readonly root: string;
  private readonly cursors: CursorStore;
  private readonly options: Required<Omit<FolderConnectorOptions, 'cursors' | 'name'>>;
  private closed = false;
  /** Files not yet complete: the stamp last seen and since when it has not changed. */
  private readonly unsettled = new Map<string, { stamp: string; since: number }>();
  /** When the earliest file left unread by the last pass will have settled (epoch ms), if any. */
  private settlesAt: number | undefined;

  constructor(dir: string, options: FolderConnectorOptions = {}) {
    this.root = path.resolve(dir);
    this.name = options.name ?? FOLDER_SOURCE_NAME;
    this.cursors = options.cursors ?? new MemoryCursors();
    this.options = {
      watchMode: options.watchMode ?? 'auto',
      pollIntervalMs: options.pollIntervalMs ?? 2000,
      safetyPollIntervalMs: options.safetyPollIntervalMs ?? 60_000,
      debounceMs: options.debounceMs ?? 250,
      settleMs: options.settleMs ?? DEFAULT_FOLDER_SETTLE_MS,
    };
  }

  /**
   * Whether the file is complete: renamed into place after its last write, or unchanged in size
   * and modification time for settleMs (by its modification time, or as watched by this process
   * when the file's clock cannot be trusted). Otherwise notes when to look again.
   */
  private settled(entry: FileEntry, now: number): boolean {
    const settleMs = this.options.settleMs;
    if (settleMs <= 0) return true;
    // A rename changes the change time and not the modification time: the writer had finished.
    if (entry.ctimeMs > entry.mtimeMs) return true;
    let seen = this.unsettled.get(entry.file);
    if (seen?.stamp !== entry.stamp) {
      seen = { stamp: entry.stamp, since: now };
      this.unsettled.set(entry.file, seen);
    }
    const unchangedFor = Math.max(now - seen.since, now - entry.mtimeMs);
    if (unchangedFor >= settleMs) return true;
    const at = now + settleMs - unchangedFor;
    this.settlesAt = this.settlesAt === undefined ? at : Math.min(this.settlesAt, at);
    return false;
  }

  /** Hand over every new or changed file. Throws FolderSourceError when the folder itself is missing. */
  async sync(sink: RecordSink): Promise<void> {
    const calendarDirs = new Set<string>();
    const entries = await scan(this.root, calendarDirs);
    this.settlesAt = undefined;
    const now = Date.now();
    // Forget files that went away before they settled.
    if (this.unsettled.size > 0) {
      const present = new Set(entries.map((e) => e.file));
      for (const file of this.unsettled.keys()) if (!present.has(file)) this.unsettled.delete(file);
    }
    for (const entry of entries) {
      if (this.closed) return;
      if (await this.cursors.getCursor(this.name, entry.file) === entry.stamp) continue;
      if (!this.settled(entry, now)) continue;
      this.unsettled.delete(entry.file);
      let record: RawRecord;
      try {
        record =
          entry.kind === 'mail'
            ? { kind: 'mail', source: await fs.readFile(entry.file), mailbox: entry.mailbox, folder: entry.folder, origin: entry.file }
            : { kind: 'calendar', source: await fs.readFile(entry.file, 'utf8'), calendarId: entry.calendarId, origin: entry.file };
      } catch (err) {
        if (errorCode(err) === 'ENOENT') continue; // removed between the listing and the read
        sink.problem({ origin: entry.file, kind: entry.kind, reason: `cannot read the file: ${errorMessage(err)}` });
        continue;
      }
      await sink.record(record);
      // The stamp read before the file was: if it changed meanwhile, the next pass reads it again.
      await this.cursors.setCursor(this.name, entry.file, entry.stamp);
    }
    if (!this.closed) await this.reportRemovedCalendars(entries, calendarDirs, sink);
  }

  /** Reports each .ics file handed over before that is gone now from a calendar folder still there. */
  private async reportRemovedCalendars(entries: readonly FileEntry[], calendarDirs: ReadonlySet<string>, sink: RecordSink): Promise<void> {
    const before = await this.handedOverCalendars();
    const present = new Set(entries.filter((e) => e.kind === 'calendar').map((e) => e.file));
    const kept: string[] = [];
    for (const file of before) {
      if (present.has(file)) continue;
      if (!calendarDirs.has(path.dirname(file))) {
        kept.push(file);
        continue;
      }
      await sink.removed({ kind: 'event', calendarId: path.basename(path.dirname(file)), reason: 'deleted', origin: file });
      // Read afresh should a file of that name come back.
      await this.cursors.setCursor(this.name, file, '');
    }
    for (const e of entries) if (e.kind === 'calendar' && await this.cursors.getCursor(this.name, e.file) === e.stamp) kept.push(e.file);
    kept.sort();
    const listed = JSON.stringify(kept);
    if (listed !== JSON.stringify(before)) await this.cursors.setCursor(this.name, CALENDAR_FILES_KEY, listed);
  }

  private async handedOverCalendars(): Promise<string[]> {
    const raw = await this.cursors.getCursor(this.name, CALENDAR_FILES_KEY);
    if (raw === undefined || raw === '') return [];
    try {
      const parsed: unknown = JSON.parse(raw);
      return Array.isArray(parsed) ? parsed.filter((f): f is string => typeof f === 'string').sort() : [];
    } catch {
      return [];
    }
  }

  /** Watch for new and changed files until `signal` aborts. Rejects when the folder goes away. */
  watch(sink: RecordSink, signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let watcher: FSWatcher | undefined;
      let debounce: NodeJS.Timeout | undefined;
      let poll: NodeJS.Timeout | undefined;
      let settleTimer: NodeJS.Timeout | undefined;
      let running: Promise<void> | undefined;
      let again = false;
      let finished = false;

      const finish = (err?: unknown): void => {
        if (finished) return;
        finished = true;
        watcher?.close();
        if (debounce) clearTimeout(debounce);
        if (poll) clearInterval(poll);
        if (settleTimer) clearTimeout(settleTimer);
        signal.removeEventListener('abort', onAbort);
        // Let a pass under way finish its current file before saying the watch has ended.
        const settle = running ?? Promise.resolve();
        void settle.then(
          () => (err === undefined ? resolve() : reject(err)),
          () => (err === undefined ? resolve() : reject(err)),
        );
      };
      const onAbort = (): void => finish();

      const pass = (): void => {
        if (finished) return;
        if (running) {
          again = true;
          return;
        }
        running = (async () => {
          try {
            do {
              again = false;
              await this.sync(sink);
            } while (again && !finished && !this.closed);
          } catch (err) {
            running = undefined;
            finish(err);
            return;
          }
          running = undefined;
          // A file still being written: look again when it will have settled.
          if (settleTimer) clearTimeout(settleTimer);
          settleTimer = undefined;
          if (this.settlesAt !== undefined && !finished) settleTimer = setTimeout(pass, Math.max(0, this.settlesAt - Date.now()) + 10);
        })();
      };
      const soon = (): void => {
        if (finished) return;
        if (debounce) clearTimeout(debounce);
        debounce = setTimeout(pass, this.options.debounceMs);
      };

      if (signal.aborted) {
        finish();
        return;
      }
      signal.addEventListener('abort', onAbort, { once: true });

      let interval = this.options.pollIntervalMs;
      if (this.options.watchMode === 'auto') {
        try {
          watcher = fsWatch(this.root, { recursive: true, persistent: true }, (_event, filename) => {
            const name = filename === null ? '' : path.basename(filename.toString());
            if (!name.startsWith('.')) soon();
          });
          watcher.on('error', () => {
            watcher?.close();
            watcher = undefined;
            // The folder itself went away (or the watch broke): the next look says which.
            if (!finished) pass();
          });
          interval = this.options.safetyPollIntervalMs;
        } catch {
          // No recursive watch here: looking every pollIntervalMs does the job.
          watcher = undefined;
        }
      }
      poll = setInterval(pass, interval);
      // Anything that arrived between the first pass and now.
      pass();
    });
  }

  async addAttendees(ref: EventRef, _attendees: Address[]): Promise<void> {
    throw new Error(
      `The folder source cannot change calendars: it only reads .ics files, so it cannot add attendees to the event ${ref.uid} on ${ref.calendarId}.`,
    );
  }

  async declineBooking(ref: EventRef, _roomAddress: string | undefined, _reason: string): Promise<void> {
    throw new Error(
      `The folder source cannot change calendars: it only reads .ics files, so it cannot decline the booking ${ref.uid} on ${ref.calendarId}.`,
    );
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

/** The folder source for `dir` (see the module comment). */
export function createFolderConnector(dir: string, options: FolderConnectorOptions = {}): FolderConnector {
  return new FolderConnector(dir, options);
}

/** `connectors.folder`: the folder, whether to watch it (else it is read every minute), and how long a file must rest. */
export const FolderSettingsSchema = z
  .object({
    dir: z.string().min(1),
    watch: z.boolean().default(true),
    settleMs: z.number().int().min(0).max(600_000).default(DEFAULT_FOLDER_SETTLE_MS),
  })
  .strict();
export type FolderSettings = z.output<typeof FolderSettingsSchema>;

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Watch intervals for tests and benchmarks (not part of the config file). */
const FolderTuningSchema = z
  .object({
    watchMode: z.enum(['auto', 'poll']).optional(),
    pollIntervalMs: z.number().positive().optional(),
    safetyPollIntervalMs: z.number().positive().optional(),
    debounceMs: z.number().min(0).optional(),
    settleMs: z.number().min(0).optional(),
  })
  .strict();

/** The folder source as a connector module: it runs with `connectors.folder` or with `--source DIR`. */
export const folderModule: ConnectorModule<FolderSettings> = {
  name: FOLDER_SOURCE_NAME,
  title: 'folder',
  configSchema: FolderSettingsSchema,
  readsSourceDir: true,
  sourceDirOf: (settings) => settings.dir,
  async create(context) {
    const dir = context.sourceDir ?? (context.settings ? path.resolve(path.dirname(path.resolve(context.configFile)), context.settings.dir) : undefined);
    if (dir === undefined) throw new FolderSourceError('The folder source needs a folder: give --source DIR, or set connectors.folder.dir.');
    const tuning = FolderTuningSchema.parse(context.tuning ?? {});
    const settleMs = context.settings?.settleMs;
    const folder = createFolderConnector(dir, { ...(settleMs !== undefined ? { settleMs } : {}), ...definedOnly(tuning), cursors: context.cursors });
    return {
      name: folder.name,
      source: folder,
      watchSource: context.settings?.watch ?? true,
      // It reads whichever calendars it finds under DIR/calendars/, and can change none of them.
      calendars: { editor: folder, ids: 'any' },
      cannotSend: 'The folder connector only reads files, so it cannot send mail; please choose sender.kind "file" or "smtp".',
      close: () => folder.close(),
    };
  },
};
