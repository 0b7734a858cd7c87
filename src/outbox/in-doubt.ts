/**
 * The Clerk's decisions about messages held in doubt (`wardwatch outbox release|drop`).
 *
 * A message is held in doubt when a crash caught it mid-send and the sender cannot tell whether
 * it went. Releasing it sends it once (the Clerk has checked it did not arrive); dropping it
 * means it is never sent (it did arrive, or is no longer wanted). Both are written to the audit
 * log. A digest in doubt is named by its key, `digest;YYYY-MM-DD`.
 */
import type { Store } from '../store/types.js';

export type InDoubtDecision = 'release' | 'drop';

export interface DecisionOutcome {
  key: string;
  /** What happened, in a sentence for the Clerk. */
  message: string;
  /** False when the key names nothing held in doubt (nothing changed). */
  changed: boolean;
}

const DIGEST_KEY = /^digest;(\d{4}-\d{2}-\d{2})$/;

function describeEffect(kind: string, recipient: string): string {
  return recipient === '' ? `the ${kind}` : `the ${kind} to ${recipient}`;
}

/** Release or drop one message held in doubt, by its key. */
export async function decideInDoubt(store: Store, key: string, decision: InDoubtDecision, now: string): Promise<DecisionOutcome> {
  const digest = DIGEST_KEY.exec(key);
  if (digest?.[1] !== undefined) return await decideDigest(store, key, digest[1], decision, now);
  const effect = await store.getEffect(key);
  if (effect === undefined) return { key, changed: false, message: `There is no effect with the key ${key} in the outbox.` };
  if (effect.state !== 'in-doubt') {
    return { key, changed: false, message: `The effect ${key} is not held in doubt (it is ${effect.state}), so nothing was changed.` };
  }
  const what = describeEffect(effect.kind, effect.recipient);
  if (decision === 'release') {
    await store.releaseInDoubt(effect.id, now, `Released by the Clerk: ${what} will be sent once, even though an earlier attempt may have gone out.`);
    return { key, changed: true, message: `Released ${what}: it will be sent once by the running service (or at its next start).` };
  }
  await store.dropInDoubt(effect.id, now, `Dropped by the Clerk: ${what} will not be sent.`);
  return { key, changed: true, message: `Dropped ${what}: it will not be sent.` };
}

async function decideDigest(store: Store, key: string, date: string, decision: InDoubtDecision, now: string): Promise<DecisionOutcome> {
  const held = (await store.listDigestsInDoubt()).find((d) => d.date === date);
  if (held === undefined) return { key, changed: false, message: `The digest for ${date} is not held in doubt, so nothing was changed.` };
  if (decision === 'release') {
    // Without the attempt, the next check sends the digest for that date.
    await store.clearDigestAttempt(date);
    return {
      key,
      changed: true,
      message:
        `Released the digest for ${date}: it will be sent once — at once when released in the console, otherwise at the service's next digest time or start, or now with: wardwatch digest --config FILE --date ${date}. ` +
        'If a later digest has fallen due meanwhile, that one goes instead and covers this period too.',
    };
  }
  // Recorded as sent, up to the end of what it covered, so it is never sent and the next digest
  // starts where it ended; the digest entries it listed stay for the next digest as well.
  await store.recordDigest(date, held.messageId, (await store.getDigestAttempt(date))?.until ?? now);
  await store.clearDigestAttempt(date);
  return { key, changed: true, message: `Dropped the digest for ${date}: it will not be sent; what it would have listed goes into the next digest.` };
}

/** Every message held in doubt, effects and digests, by key (oldest first). */
export async function keysInDoubt(store: Store): Promise<string[]> {
  return [...(await store.listDigestsInDoubt()).map((d) => `digest;${d.date}`), ...(await store.listEffects({ states: ['in-doubt'] })).map((e) => e.key)];
}
