/**
 * IMAP UID bookkeeping: compact UID sets for commands, the per-folder cursor
 * (UIDVALIDITY + last UID handed over), and batching of messages for fetching.
 */

/** "1:3,7,9:10" for [1, 2, 3, 7, 9, 10] (any order, duplicates ignored). */
export function uidSet(uids: readonly number[]): string {
  const sorted = [...new Set(uids)].sort((a, b) => a - b);
  const parts: string[] = [];
  let start: number | undefined;
  let prev: number | undefined;
  for (const uid of sorted) {
    if (start !== undefined && prev !== undefined && uid === prev + 1) {
      prev = uid;
      continue;
    }
    if (start !== undefined && prev !== undefined) parts.push(start === prev ? `${start}` : `${start}:${prev}`);
    start = uid;
    prev = uid;
  }
  if (start !== undefined && prev !== undefined) parts.push(start === prev ? `${start}` : `${start}:${prev}`);
  return parts.join(',');
}

export interface FolderCursor {
  /** UIDVALIDITY as a decimal string (it is a 32-bit unsigned number). */
  uidValidity: string;
  /** The highest UID already handed over (or known to be older than the backfill window). */
  lastUid: number;
}

export function formatCursor(cursor: FolderCursor): string {
  return `${cursor.uidValidity}:${cursor.lastUid}`;
}

/** Reads a stored cursor; anything unreadable counts as no cursor (the folder is read afresh). */
export function parseCursor(value: string | undefined): FolderCursor | undefined {
  if (value === undefined) return undefined;
  const m = /^(\d+):(\d+)$/.exec(value);
  if (!m || m[1] === undefined || m[2] === undefined) return undefined;
  return { uidValidity: m[1], lastUid: Number(m[2]) };
}

export interface SizedUid {
  uid: number;
  size: number;
}

/** Groups messages for fetching: at most `maxCount` messages and about `maxBytes` per group. */
export function batches(entries: readonly SizedUid[], maxCount: number, maxBytes: number): SizedUid[][] {
  const out: SizedUid[][] = [];
  let current: SizedUid[] = [];
  let bytes = 0;
  for (const e of [...entries].sort((a, b) => a.uid - b.uid)) {
    if (current.length > 0 && (current.length >= maxCount || bytes + e.size > maxBytes)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(e);
    bytes += e.size;
  }
  if (current.length > 0) out.push(current);
  return out;
}
