/**
 * The guard against starting afresh by accident. A state file that is missing or empty makes
 * Wardwatch read every source as new and act on all of it again: every nudge sent twice. So when
 * `wardwatch run` finds a fresh state file and evidence that Wardwatch has sent mail before, it
 * refuses to start, unless the Clerk says `--fresh-start`. A fresh start acts only on what is
 * newer than itself: older items are recorded as seen, and no digest is sent for earlier days.
 *
 * The evidence: the marker file written beside the state file (`<store.path>.id`, naming the
 * store's id), and the sender's own records (the outbox folder's messages, the Sent folder's).
 */
import { promises as fs } from 'node:fs';
import type { MailSender } from '../sources/types.js';
import type { Store, StoreIdentity } from '../store/types.js';

/** The marker file beside the state file. */
export function markerPathFor(storePath: string): string {
  return `${storePath}.id`;
}

interface Marker {
  id: string;
  createdAt: string;
}

async function readMarker(file: string): Promise<Marker | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if (typeof err === 'object' && err !== null && 'code' in err && err.code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const raw: unknown = JSON.parse(text);
    if (typeof raw === 'object' && raw !== null && 'id' in raw && typeof raw.id === 'string') {
      const createdAt = 'createdAt' in raw && typeof raw.createdAt === 'string' ? raw.createdAt : 'an unknown date';
      return { id: raw.id, createdAt };
    }
  } catch {
    // A damaged marker is still evidence that a state file was here.
  }
  return { id: 'unreadable', createdAt: 'an unknown date' };
}

/** Why Wardwatch thinks it has sent mail before with another state file; empty when nothing says so. */
export async function evidenceOfEarlierSending(storePath: string, identity: StoreIdentity, sender: Pick<MailSender, 'earlierSending'>): Promise<string[]> {
  const found: string[] = [];
  const marker = await readMarker(markerPathFor(storePath));
  if (marker !== undefined && marker.id !== identity.id) {
    found.push(`${markerPathFor(storePath)} records that a state file created on ${marker.createdAt} was in use here`);
  }
  const sent = await sender.earlierSending?.();
  if (sent !== undefined) found.push(sent);
  return found;
}

export interface StartDecision {
  /** Undefined: go ahead. Otherwise the message saying why not (exit 2). */
  refusal?: string;
  identity: StoreIdentity;
}

/**
 * At `run` start: refuse a fresh state file over evidence of earlier sending unless `freshStart`;
 * otherwise record the start (and a fresh start) and write the marker.
 */
export async function decideStart(store: Store, storePath: string, sender: Pick<MailSender, 'earlierSending'>, freshStart: boolean, now: Date): Promise<StartDecision> {
  const before = await store.identity();
  const fresh = await store.isFresh();
  if (fresh && !freshStart) {
    const evidence = await evidenceOfEarlierSending(storePath, before, sender);
    if (evidence.length > 0) {
      return {
        identity: before,
        refusal:
          `Wardwatch has not started: its state file ${storePath} is new or empty, but ${evidence.join('; and ')}. ` +
          'Starting now would read every mailbox and calendar as new and send everything again.\n' +
          `If the state file was lost or damaged, put back a copy (see "The state file" in docs/operating.md). ` +
          'To start afresh instead, run again with --fresh-start: Wardwatch then records what is already in the sources as seen, ' +
          'acts only on mail and events newer than the fresh start, and sends no digest for earlier days.',
      };
    }
  }
  const identity = await store.recordStart(now.toISOString(), { freshStart: freshStart && fresh });
  const marker = markerPathFor(storePath);
  const current = await readMarker(marker);
  if (current?.id !== identity.id) {
    await fs.writeFile(marker, `${JSON.stringify({ id: identity.id, createdAt: identity.createdAt, stateFile: storePath })}\n`, 'utf8');
  }
  return { identity };
}
