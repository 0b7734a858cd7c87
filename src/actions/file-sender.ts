/**
 * The embedded sender: each outgoing message is written as an RFC 5322 .eml file into an outbox
 * folder instead of being handed to a mail server. The file is named after the Message-ID, so a
 * message is written at most once (a second send of the same message changes nothing) and
 * `alreadySent` is a file-exists check. Each file appears whole or not at all: it is written to a
 * temporary name, flushed to disk, then linked into place.
 */
import { randomBytes, createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { composeMessage } from '../mime/compose.js';
import type { MailSender, OutgoingMessage } from '../sources/types.js';

/**
 * The file name for a Message-ID: the ID without its angle brackets when it is made of safe
 * characters (as Wardwatch's own are), otherwise a readable part plus a hash, so two different
 * IDs never share a file.
 */
export function fileNameFor(messageId: string): string {
  const bare = messageId.trim().replace(/^<|>$/g, '');
  if (bare === '') throw new Error('An outgoing message needs a Message-ID to be written to the outbox.');
  if (/^[A-Za-z0-9][A-Za-z0-9._@+=-]{0,180}$/.test(bare)) return `${bare}.eml`;
  const readable = bare.replace(/[^A-Za-z0-9._@+=-]+/g, '_').replace(/^[._-]+/, '').slice(0, 80) || 'message';
  const digest = createHash('sha256').update(messageId.trim(), 'utf8').digest('hex').slice(0, 16);
  return `${readable}-${digest}.eml`;
}

function errorCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code: unknown = err.code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return false;
    throw err;
  }
}

/** Flush a directory entry to disk, where the platform allows it. */
async function syncDirectory(dir: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch (err) {
    const code = errorCode(err);
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL' && code !== 'EBADF') throw err;
  } finally {
    await handle?.close();
  }
}

/** Temporary files of an interrupted write: `.<name>.eml.<random>.tmp`. */
const TEMPORARY = /^\..+\.eml\.[0-9a-f]{12}\.tmp$/;
/** A temporary file this old belongs to a write that was interrupted (a crash), not one under way. */
const STALE_AFTER_MS = 10 * 60_000;

export class FileSender implements MailSender {
  readonly name = 'file';
  private swept = false;

  /** @param dir the outbox folder (created when missing). */
  constructor(readonly dir: string) {}

  /** Remove what interrupted writes left behind (once per sender; the messages themselves are never touched). */
  async sweepTemporaryFiles(now: number = Date.now()): Promise<number> {
    let names: string[];
    try {
      names = await fs.readdir(this.dir);
    } catch (err) {
      if (errorCode(err) === 'ENOENT') return 0;
      throw err;
    }
    let removed = 0;
    for (const name of names) {
      if (!TEMPORARY.test(name)) continue;
      const file = path.join(this.dir, name);
      try {
        const stat = await fs.stat(file);
        if (now - stat.mtimeMs < STALE_AFTER_MS) continue;
        await fs.rm(file, { force: true });
        removed += 1;
      } catch (err) {
        if (errorCode(err) !== 'ENOENT') throw err;
      }
    }
    return removed;
  }

  /** Where a message with this Message-ID is (or would be) written. */
  pathFor(messageId: string): string {
    return path.join(this.dir, fileNameFor(messageId));
  }

  async send(message: OutgoingMessage): Promise<void> {
    const target = this.pathFor(message.messageId);
    if (await exists(target)) return;
    const raw = await composeMessage(message);
    // Private to the service's user: the messages quote the mail they are about.
    await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
    if (!this.swept) {
      this.swept = true;
      await this.sweepTemporaryFiles();
    }
    const temp = path.join(this.dir, `.${path.basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
    const handle = await fs.open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(raw);
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      // link, unlike rename, never replaces a file that is already there.
      await fs.link(temp, target);
    } catch (err) {
      const code = errorCode(err);
      if (code !== 'EEXIST') {
        if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EXDEV' && code !== 'ENOSYS') {
          await fs.rm(temp, { force: true });
          throw err;
        }
        // A file system without hard links: rename, unless the message appeared meanwhile.
        if (!(await exists(target))) {
          await fs.rename(temp, target);
          await syncDirectory(this.dir);
          return;
        }
      }
    }
    await fs.rm(temp, { force: true });
    await syncDirectory(this.dir);
  }

  async alreadySent(messageId: string): Promise<boolean> {
    return exists(this.pathFor(messageId));
  }

  async earlierSending(): Promise<string | undefined> {
    let names: string[];
    try {
      names = await fs.readdir(this.dir);
    } catch (err) {
      if (errorCode(err) === 'ENOENT') return undefined;
      throw err;
    }
    const ours = names.filter((n) => n.startsWith('ww-') && n.endsWith('.eml')).length;
    return ours > 0 ? `the outbox folder ${this.dir} holds ${ours} message${ours === 1 ? '' : 's'} Wardwatch has already written` : undefined;
  }

  async close(): Promise<void> {
    // Nothing is held open between messages.
  }
}
