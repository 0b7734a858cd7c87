/**
 * Rendering and sending one day's digest, exactly once.
 *
 * A digest is identified by its date. Its idempotency key is `digest;<date>`, which travels in
 * the X-Wardwatch-Key header, and its Message-ID is derived from that key. Before the message
 * goes out, what it covers is written down (a digest attempt); after it has gone, the `digest`
 * effects it listed are marked digested and the digest is recorded, with its words as sent (subject,
 * text, HTML, recipients) for the console's archive. If the process stops between
 * sending and recording, the next attempt asks the sender whether the Message-ID already went
 * out and, if so, records the digest with the content it really had instead of sending again (its
 * words are not in the archive then: they were not written down before sending, and rebuilding them
 * later would not show what was sent).
 * When the sender cannot tell, the digest is held in doubt for the Clerk (`delivery:
 * at-most-once`, the default) or sent again (`at-least-once`), as any other message.
 */
import type { Config } from '../config/schema.js';
import type { Engine } from '../engine/engine.js';
import type { DeliveryPolicy } from '../outbox/outbox.js';
import { effectHeaders, effectMessageId, serviceDomainOf } from '../outbox/idempotency.js';
import type { MailSender, OutgoingMessage } from '../sources/types.js';
import type { DigestContent, Store } from '../store/types.js';
import { councilData, type DigestData } from '../templates/data.js';
import { renderTemplate } from '../templates/render.js';
import { Salutations } from '../templates/salutation.js';
import { buildDigest, FINDINGS_CSV, type BuiltDigest, type DigestDeps, type DigestPeriod } from './build.js';

export const DIGEST_TEMPLATE = 'digest';

/** The idempotency key of the digest for a date (YYYY-MM-DD). */
export function digestKey(date: string): string {
  return `digest;${date}`;
}

/** The deterministic Message-ID of the digest for a date. */
export function digestMessageId(date: string, serviceAddress: string): string {
  return effectMessageId(digestKey(date), serviceDomainOf(serviceAddress));
}

export interface ComposeDeps {
  engine: Pick<Engine, 'directory'>;
  config: Pick<Config, 'council' | 'people'>;
  /** The Clerk's own templates (`templates.dir`, resolved). */
  templatesDir?: string;
}

/**
 * The data the `digest` template receives: named after the first recipient (or, for an address not
 * in the directory, such as a shared mailbox, the first Clerk), and greeting every recipient —
 * each by their salutation, or "colleagues" when there are more than three.
 */
export function digestTemplateData(built: BuiltDigest, deps: ComposeDeps): DigestData {
  const first = built.recipients[0] ?? deps.config.council.serviceAddress;
  const clerk = deps.engine.directory.clerks()[0];
  const known = deps.engine.directory.person(first);
  const name = known?.name ?? clerk?.name ?? 'Clerk';
  const salutations = new Salutations(deps.config.people);
  const readers = built.recipients.length > 0 ? built.recipients : [known?.id ?? clerk?.id ?? first];
  // A shared mailbox nobody configured is read by the Clerk's office: greet the Clerk.
  const greeted = readers.map((a) => (deps.engine.directory.person(a) === undefined && clerk !== undefined ? clerk.id : a));
  return { council: councilData(deps.config), recipient: { name, address: first, salutation: salutations.ofAll(greeted) }, digest: built.sections };
}

/** The digest as a message ready to send (text and HTML parts, key header, Message-ID). */
export function composeDigest(built: BuiltDigest, deps: ComposeDeps): OutgoingMessage {
  if (built.recipients.length === 0) {
    throw new Error('The digest has nobody to go to: please list an address under digest.to in the configuration, or add a person with the role clerk.');
  }
  const rendered = renderTemplate(DIGEST_TEMPLATE, digestTemplateData(built, deps), deps.templatesDir !== undefined ? { overrideDir: deps.templatesDir } : {});
  const { council } = deps.config;
  return {
    from: { address: council.serviceAddress, name: `${council.name} (Wardwatch)` },
    to: built.recipients.map((address) => {
      const name = deps.engine.directory.person(address)?.name;
      return name !== undefined ? { address, name } : { address };
    }),
    subject: rendered.subject,
    text: rendered.text,
    html: rendered.html,
    messageId: digestMessageId(built.period.date, council.serviceAddress),
    headers: effectHeaders(digestKey(built.period.date)),
    // Beyond the first items per rule, the message counts; the attachment lists every finding.
    ...(built.csv !== undefined ? { attachments: [{ filename: FINDINGS_CSV, contentType: 'text/csv; charset=utf-8', content: built.csv }] } : {}),
  };
}

export interface DeliverDeps extends ComposeDeps {
  store: Store;
  engine: Pick<Engine, 'directory' | 'elections'>;
  config: Pick<Config, 'council' | 'people' | 'calendars' | 'digest'> & Partial<Pick<Config, 'console' | 'server'>>;
  sender: MailSender;
  serviceProblems?: DigestDeps['serviceProblems'];
}

/** What the archive keeps of a digest message: its words and who it went to (not the CSV attachment). */
export function digestContent(message: OutgoingMessage): DigestContent {
  return { subject: message.subject, text: message.text, html: message.html ?? '', recipients: message.to.map((a) => a.address) };
}

/**
 * Mark the `digest` effects listed as digested and record the digest (with its words when they
 * are known); both keyed by date.
 */
async function settle(store: Store, date: string, messageId: string, until: string, effectIds: readonly number[], now: string, content?: DigestContent): Promise<void> {
  if (effectIds.length > 0) await store.markDigested(effectIds, now, date);
  await store.recordDigest(date, messageId, until, content);
}

/**
 * Build, render and send the digest for `period`, then record it. The attempt is written down
 * first, so a crash after sending is recognised (see `recoverDigest`). Rendering or sending
 * errors propagate; nothing is recorded as sent then.
 */
export async function deliverDigest(deps: DeliverDeps, period: DigestPeriod, now: Date): Promise<BuiltDigest> {
  const built = await buildDigest(deps, period);
  const message = composeDigest(built, deps);
  await deps.store.recordDigestAttempt({
    date: period.date,
    messageId: message.messageId,
    ...(period.since !== undefined ? { since: period.since } : {}),
    until: period.until,
    startedAt: now.toISOString(),
  });
  try {
    await deps.sender.send(message);
  } catch (err) {
    // A sender that can look will settle the attempt next time. One that cannot would otherwise
    // hold the digest in doubt after any failure; but the send failed and said so (a crash does
    // not throw), so the next attempt may simply send.
    if (deps.sender.alreadySent === undefined) await deps.store.clearDigestAttempt(period.date);
    throw err;
  }
  await settle(deps.store, period.date, message.messageId, period.until, built.digestEffectIds, now.toISOString(), digestContent(message));
  return built;
}

/**
 * After a restart: when an attempt at `date`'s digest was written down but the digest was not
 * recorded, ask the sender whether it went out. If it did, record it with the content it had
 * (the `digest` effects created before its cut-off are marked digested) and return true.
 * False when it did not go out, when there was no attempt, or when the sender cannot tell.
 */
export async function recoverDigest(deps: Pick<DeliverDeps, 'store' | 'sender'>, date: string, now: Date): Promise<boolean> {
  return (await settleDigestAttempt(deps, date, now, 'at-least-once')) === 'recognised';
}

/**
 * What became of an interrupted attempt at `date`'s digest: `recognised` (it went; now recorded),
 * `send` (there was none, or it certainly did not go: send it), or `held` (the sender cannot tell
 * and delivery is at-most-once: it waits in doubt for the Clerk to release or drop it).
 */
export async function settleDigestAttempt(
  deps: Pick<DeliverDeps, 'store' | 'sender'>,
  date: string,
  now: Date,
  delivery: DeliveryPolicy,
): Promise<'recognised' | 'send' | 'held'> {
  const { store, sender } = deps;
  if (await store.digestSent(date)) return 'recognised';
  const attempt = await store.getDigestAttempt(date);
  if (attempt === undefined) return 'send';
  if ((await store.listDigestsInDoubt()).some((d) => d.date === date)) return 'held';
  const answer = sender.alreadySent !== undefined ? await sender.alreadySent(attempt.messageId) : 'unknown';
  if (answer === false || (answer === 'unknown' && delivery === 'at-least-once')) return 'send';
  if (answer === 'unknown') {
    await store.markDigestInDoubt(date, now.toISOString());
    return 'held';
  }
  const listed = (await store
    .listEffects({ kinds: ['digest'], states: ['pending'] }))
    .filter((e) => e.createdAt < attempt.until)
    .map((e) => e.id);
  await settle(store, date, attempt.messageId, attempt.until, listed, now.toISOString());
  return 'recognised';
}
