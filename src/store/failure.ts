import { errorMessage } from '../model/error-message.js';
/**
 * Which errors mean the state store itself is failing (the file is damaged, the disk is full, the
 * file cannot be written), as opposed to a problem with one record. A record whose item hit a
 * store failure is not judged and its source position is not advanced: it is read again once the
 * store works, so nothing is lost.
 */

export type StoreFailureKind = 'damaged' | 'disk-full' | 'unwritable' | 'unreadable';

export interface StoreFailure {
  kind: StoreFailureKind;
  /** SQLite's error code, e.g. SQLITE_CORRUPT. */
  code: string;
  /** What has happened and what to do, in plain words. */
  reason: string;
}

function codeOf(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null || !('code' in err)) return undefined;
  const code: unknown = err.code;
  return typeof code === 'string' ? code : undefined;
}

export const DAMAGED_STORE_ADVICE =
  'Stop Wardwatch, keep a copy of the state file, and follow "A damaged state file" in docs/operating.md (restore the last backup, or rescue what can be read with sqlite3 .recover).';

/** The store failure this error signals, or undefined when it is not one. */
export function storeFailureOf(err: unknown): StoreFailure | undefined {
  const code = codeOf(err);
  if (code === undefined) return undefined;
  const detail = errorMessage(err);
  if (code === 'SQLITE_FULL' || code === 'ENOSPC') {
    return { kind: 'disk-full', code, reason: `disk full: the state file cannot grow (${detail}). Please free space on the disk holding store.path.` };
  }
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') {
    return { kind: 'damaged', code, reason: `the state file is damaged (${detail}). ${DAMAGED_STORE_ADVICE}` };
  }
  if (code.startsWith('SQLITE_READONLY') || code === 'EROFS' || code === 'EACCES' || code === 'EPERM') {
    return { kind: 'unwritable', code, reason: `the state file cannot be written (${detail}). Please check the file and its folder are writable by Wardwatch.` };
  }
  if (code.startsWith('SQLITE_IOERR') || code.startsWith('SQLITE_CANTOPEN') || code === 'EIO') {
    return { kind: 'unreadable', code, reason: `the state file cannot be read or written (${detail}). Please check the disk holding store.path.` };
  }
  return undefined;
}
