/**
 * Sending from the council's service mailbox through the Gmail API, exactly once.
 *
 * A message is composed once by the shared MIME composer (the same bytes every other sender
 * sends: deterministic Message-ID, `Auto-Submitted`, X-Wardwatch-Key, the threading headers,
 * attachments, the iMIP part) and handed to `users.messages.send` as base64url `raw`, signed in
 * as the service mailbox with the gmail.send scope. Gmail keeps the Message-ID it is given and
 * files the sender's copy under SENT, so the service mailbox says whether a message went: a
 * search `rfc822msgid:<id> in:sent` (signed in with gmail.readonly) finds it.
 *
 * Gmail's send has no idempotency key, and a 5xx or a connection broken after the request was
 * written can come after the message went. So:
 *   - before every attempt (the outbox may be retrying a half-sent effect) Sent is searched, and
 *     when the search finds nothing the newest SENT messages are read by label (the search index
 *     lags just after a send): a message already there is not sent again. `alreadySent` looks the
 *     same way;
 *   - the send itself is never repeated blindly (`retry: 'unsafe'`: the transport retries only a
 *     rate limit, a 401 or a connection that was never made — Google did not act on those);
 *   - when its outcome is unknown, Sent is searched again, a few times over a few seconds (Gmail
 *     files the copy at once but indexes it for search a moment later), and at the end the newest
 *     few SENT messages are read by label, which does not wait for the search index. Found: it
 *     went. Not found: it may or may not have gone — Google may still be taking it, and from this
 *     side a connection dropped before the request took effect looks exactly like one dropped
 *     after — so the outbox holds it in doubt for the Clerk (`SendInDoubtError`; under
 *     `delivery: at-least-once` the outbox tries again, and that attempt searches Sent first).
 *     Sent could not be read at all: a plain failure, tried again later, search first.
 *
 * A refused grant is not the message's fault: domain-wide delegation without gmail.send (or
 * gmail.readonly, with which Sent is searched) for the service mailbox, a 403 insufficient
 * scopes, a user Google does not know, Gmail off for the user. As the SMTP and Graph senders do
 * for a refused login, the sender says what to change (`problem`), the outbox holds every queued
 * message (`readiness`), and the grant is checked again once every 15 minutes, without sending
 * anything, until it is given.
 *
 * A limit with a time: Google asks to wait longer than a call waits (Gmail's daily sending limit,
 * a 429 "… Retry after <time>"; the transport fails the call as throttled with `retryAt`). The
 * outbox's attempts are not burnt on it: the sender holds sending (`problem`, `readiness`) until
 * that time, and every waiting message is sent from then on.
 */
import type { gmail_v1 } from 'googleapis/build/src/apis/gmail/v1.js';
import { LOGIN_REPROBE_MS } from '../../src/actions/smtp-sender.js';
import { composeMessage } from '../../src/mime/compose.js';
import { errorMessage } from '../../src/model/error-message.js';
import { RefusalHold, runStep, StepFailure } from '../../src/sources/send-refusal.js';
import { serviceDomainOf } from '../../src/outbox/idempotency.js';
import { PermanentEffectError, SendInDoubtError } from '../../src/outbox/outbox.js';
import type { MailSender, OutgoingMessage, SenderProblem, SentAnswer } from '../../src/sources/types.js';
import { describeGrant, SCOPES } from './config.js';
import type { GoogleDeps } from './deps.js';
import { GoogleApiError, GoogleOutcomeUnknownError, GoogleSignInError } from './errors.js';
import type { GmailClient } from './transport.js';

/** How many searches of Sent after a send whose outcome is unknown, and how far apart. */
export const SETTLE_LOOKS = 4;
export const SETTLE_MS = 2_500;
/** The newest SENT messages read by label (not by search) when every search missed. */
export const RECENT_SENT = 10;

/** Pages of SENT (newest first) whose Message-IDs are read to find earlier sending: the newest hundred. */
const EARLIER_PAGES = 2;
const EARLIER_PAGE_SIZE = 50;

/** The 403 reasons that mean the token lacks the scope the call needs. */
const SCOPE_REASONS: ReadonlySet<string> = new Set(['insufficientPermissions', 'ACCESS_TOKEN_SCOPE_INSUFFICIENT']);

export interface GoogleSenderOptions {
  /** Between looks after a send whose outcome is unknown (tests pass one that moves the simulator's clock). */
  sleep?: (ms: number) => Promise<void>;
  settleLooks?: number;
  settleMs?: number;
  /** Between checks of a refused grant or sign-in (default 15 minutes). */
  reprobeMs?: number;
}

/** A Message-ID without its angle brackets, as Gmail's `rfc822msgid:` is documented with. */
export function bareMessageId(messageId: string): string {
  return messageId.trim().replace(/^<|>$/g, '').trim();
}

/** The Gmail search for a message in the service mailbox's Sent. */
export function sentQuery(messageId: string): string {
  return `rfc822msgid:${bareMessageId(messageId)} in:sent`;
}

function sameMessageId(a: string, b: string): boolean {
  return bareMessageId(a).toLowerCase() === bareMessageId(b).toLowerCase();
}

function headerOf(message: gmail_v1.Schema$Message, name: string): string | undefined {
  const wanted = name.toLowerCase();
  return message.payload?.headers?.find((h) => h.name?.toLowerCase() === wanted)?.value ?? undefined;
}

function sleepFor(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

type Step = 'read' | 'send';

/**
 * What was refused: the gmail.send grant, the gmail.readonly grant (Sent is searched with it), or
 * the service mailbox itself (a user Google does not know, a refused key, Gmail off for the user…).
 */
type RefusalKind = 'send' | 'read' | 'account';

/** Whether a failure is a refusal that only a change in the Admin console or the settings can cure, and which. */
function refusalOf(err: unknown, step: Step): RefusalKind | undefined {
  if (err instanceof GoogleSignInError) {
    if (!err.permanent) return undefined;
    return err.failure === 'delegation' ? step : 'account';
  }
  if (err instanceof GoogleApiError) {
    if (err.status === 401) return 'account';
    if (err.status === 403 && err.failure === 'forbidden') return SCOPE_REASONS.has(err.reason) ? step : 'account';
    // 400 "Mail service not enabled": the service mailbox has no Gmail.
    if (err.reason === 'failedPrecondition') return 'account';
  }
  return undefined;
}

export class GoogleSender implements MailSender {
  readonly name = 'google';
  private readonly mailbox: string;
  /** Wardwatch's Message-IDs: `<ww-{32 hex}@{service domain}>` (src/outbox/idempotency.ts). */
  private readonly ownId: RegExp;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly settleLooks: number;
  private readonly settleMs: number;
  private readonly reprobeMs: number;
  private readonly refusals: RefusalHold<RefusalKind>;
  /** Google asked that nothing be sent before `until` (Gmail's sending limit): sending is held till then. */
  private held: { reason: string; since: string; until: number } | undefined;

  constructor(
    private readonly deps: GoogleDeps,
    options: GoogleSenderOptions = {},
  ) {
    this.mailbox = deps.settings.serviceAddress;
    const domain = serviceDomainOf(this.mailbox).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    this.ownId = new RegExp(`^<ww-[0-9a-f]{32}@${domain}>$`, 'i');
    this.sleep = options.sleep ?? sleepFor;
    this.settleLooks = Math.max(1, options.settleLooks ?? SETTLE_LOOKS);
    this.settleMs = options.settleMs ?? SETTLE_MS;
    this.reprobeMs = options.reprobeMs ?? LOGIN_REPROBE_MS;
    this.refusals = new RefusalHold<RefusalKind>(this.reprobeMs, () => this.deps.now());
  }

  /** Signed in as the service mailbox with gmail.readonly: searching and reading Sent. */
  private reader(): GmailClient {
    return this.deps.transport.gmail(this.mailbox, 'read');
  }

  /** Signed in as the service mailbox with gmail.send: sending only. */
  private sender(): GmailClient {
    return this.deps.transport.gmail(this.mailbox, 'send');
  }

  /** Runs one step, remembering which it was should it fail. */
  private step<T>(step: Step, work: () => Promise<T>): Promise<T> {
    return runStep(step, work);
  }

  async send(message: OutgoingMessage): Promise<void> {
    const refused = this.refusals.refusal;
    if (refused !== undefined) throw new Error(`Not sent: ${refused.reason}`);
    const held = this.holding();
    if (held !== undefined) throw new Error(`Not sent: ${held}`);
    const raw = (await composeMessage(message, { date: this.deps.now() })).toString('base64url');
    try {
      await this.sendComposed(message, raw);
    } catch (err) {
      throw this.failure(err, message);
    }
  }

  private async sendComposed(message: OutgoingMessage, raw: string): Promise<void> {
    const id = message.messageId;
    if (await this.step('read', () => this.wasSent(id))) {
      // An earlier attempt went through and its answer was lost: sending again would send it twice.
      this.deps.logger.info({ messageId: id }, 'The message is already in the service mailbox\'s Sent: not sent again');
      return;
    }
    try {
      await this.step('send', () =>
        this.deps.transport.call(
          this.sender(),
          'sending a message from the service mailbox',
          (gmail, o) => gmail.users.messages.send({ userId: 'me', requestBody: { raw } }, o),
          // Sent twice if repeated once it may have taken effect: the transport retries only what Google certainly did not act on.
          { retry: 'unsafe' },
        ),
      );
      this.deps.logger.info({ messageId: id, to: message.to.length + (message.cc?.length ?? 0) }, 'Message sent');
      return;
    } catch (err) {
      const cause = err instanceof StepFailure ? err.failure : err;
      if (!(cause instanceof GoogleOutcomeUnknownError)) throw err;
      this.deps.logger.warn({ messageId: id, error: cause.message }, 'The answer to a send was lost; looking in Sent');
      const where = await this.settle(id);
      if (where === 'sent') {
        this.deps.logger.info({ messageId: id }, 'The message is in Sent: it went');
        return;
      }
      if (where === 'unchecked') {
        throw new Error(
          `Google gave no answer to sending "${message.subject}" and the service mailbox's Sent could not be read afterwards; before anything is sent again Wardwatch looks in Sent, so it is not sent twice.`,
        );
      }
      throw new SendInDoubtError(
        `Google gave no answer to sending "${message.subject}" (Message-ID ${id}) from ${this.mailbox} (${cause.message}), and after waiting it is not in the service mailbox's Sent, so it may or may not have gone.`,
      );
    }
  }

  /**
   * Where a message stands after a send with no answer: Sent is searched a few times, since Gmail
   * indexes the copy a moment after filing it; when every search missed, the newest SENT messages
   * are read by label, which the search index does not delay.
   */
  private async settle(messageId: string): Promise<'sent' | 'absent' | 'unchecked'> {
    let last: 'absent' | 'unchecked' = 'unchecked';
    for (let look = 1; look <= this.settleLooks; look++) {
      if (look > 1) await this.sleep(this.settleMs);
      try {
        if (await this.inSent(messageId)) return 'sent';
        last = 'absent';
      } catch (err) {
        this.deps.logger.warn({ messageId, error: errorMessage(err) }, 'The service mailbox\'s Sent could not be searched after a send with no answer');
        last = 'unchecked';
      }
    }
    if (last === 'absent') {
      try {
        if (await this.inRecentSent(messageId)) return 'sent';
      } catch (err) {
        this.deps.logger.warn({ messageId, error: errorMessage(err) }, 'The service mailbox\'s newest sent messages could not be read after a send with no answer');
        return 'unchecked';
      }
    }
    return last;
  }

  /**
   * Whether the message is in Sent, for every check but the settling looks: the search, and when it
   * finds nothing the newest SENT messages read by label. Just after a send Gmail's search may not
   * show the copy yet (a restart seconds after a send whose answer was lost), and sending again
   * then would send it twice.
   */
  private async wasSent(messageId: string): Promise<boolean> {
    return (await this.inSent(messageId)) || (await this.inRecentSent(messageId));
  }

  /** Searches Sent for the Message-ID; a hit counts only when its own Message-ID header is that id. */
  private async inSent(messageId: string): Promise<boolean> {
    const { data } = await this.deps.transport.call(this.reader(), 'looking for a message in the service mailbox\'s Sent', (gmail, o) =>
      gmail.users.messages.list({ userId: 'me', q: sentQuery(messageId), maxResults: 10 }, o),
    );
    for (const m of data.messages ?? []) {
      if (typeof m.id !== 'string' || m.id === '') continue;
      const found = await this.messageIdOf(m.id);
      if (found !== undefined && sameMessageId(found, messageId)) return true;
    }
    return false;
  }

  /** Whether one of the newest SENT messages (read by label, not by search) has this Message-ID. */
  private async inRecentSent(messageId: string): Promise<boolean> {
    const page = await this.sentPage(RECENT_SENT, undefined);
    return page.ids.some((id) => id !== undefined && sameMessageId(id, messageId));
  }

  /** The Message-ID header of a message in the service mailbox; undefined when it has none or is gone. */
  private async messageIdOf(id: string): Promise<string | undefined> {
    try {
      const { data } = await this.deps.transport.call(this.reader(), 'reading the Message-ID of a message in the service mailbox', (gmail, o) =>
        gmail.users.messages.get({ userId: 'me', id, format: 'metadata', metadataHeaders: ['Message-ID'] }, o),
      );
      return headerOf(data, 'Message-ID')?.trim();
    } catch (err) {
      if (err instanceof GoogleApiError && err.failure === 'not-found') return undefined;
      throw err;
    }
  }

  /** One page of SENT, newest first, as the Message-IDs of its messages. */
  private async sentPage(size: number, pageToken: string | undefined): Promise<{ ids: (string | undefined)[]; next: string | undefined }> {
    const { data } = await this.deps.transport.call(this.reader(), 'reading the service mailbox\'s Sent', (gmail, o) =>
      gmail.users.messages.list({ userId: 'me', labelIds: ['SENT'], maxResults: size, ...(pageToken !== undefined ? { pageToken } : {}) }, o),
    );
    const refs = (data.messages ?? []).filter((m): m is gmail_v1.Schema$Message & { id: string } => typeof m.id === 'string' && m.id !== '');
    // The transport keeps to four requests in flight for the mailbox.
    const ids = await Promise.all(refs.map((m) => this.messageIdOf(m.id)));
    const next = data.nextPageToken ?? undefined;
    return { ids, next: next === '' ? undefined : next };
  }

  /** The error the outbox is given: in doubt and permanent ones as they are, a refusal holds sending. */
  private failure(err: unknown, message: OutgoingMessage): Error {
    const step = err instanceof StepFailure ? err.step : 'read';
    const cause = err instanceof StepFailure ? err.failure : err;
    if (cause instanceof SendInDoubtError || cause instanceof PermanentEffectError) return cause;
    const refused = refusalOf(cause, step);
    if (refused !== undefined) {
      this.refuse(refused, cause);
      return new Error(`Not sent: ${this.refusals.refusal?.reason ?? errorMessage(cause)}`);
    }
    if (cause instanceof GoogleApiError && cause.failure === 'throttled' && cause.retryAt !== undefined) {
      this.hold(cause, cause.retryAt);
      return new Error(`Not sent: ${this.held?.reason ?? errorMessage(cause)}`);
    }
    if (step === 'send' && cause instanceof GoogleApiError && (cause.failure === 'bad-request' || cause.status === 413)) {
      // The message itself was refused (no valid recipient, too large): trying it again cannot help.
      return new PermanentEffectError(`Google refused "${message.subject}" for good: ${cause.message}`);
    }
    return cause instanceof Error ? cause : new Error(String(cause));
  }

  private refuse(kind: RefusalKind, err: unknown): void {
    const minutes = Math.round(this.reprobeMs / 60_000);
    const grant = describeGrant(this.deps.settings);
    const answer = err instanceof GoogleSignInError ? err.code : err instanceof GoogleApiError ? `${err.status}${err.reason !== '' ? ` ${err.reason}` : ''}` : errorMessage(err);
    const lead =
      kind === 'send'
        ? `Google refused to let Wardwatch send mail as the service mailbox ${this.mailbox} (${answer}), so no mail is being sent: ` +
          `the service account's domain-wide delegation does not include the scope ${SCOPES.gmailSend}. ${grant}. A new grant can take some minutes to apply.`
        : kind === 'read'
          ? `Google refused to let Wardwatch read the Sent mail of the service mailbox ${this.mailbox} (${answer}), which it looks in before each send so that nothing goes twice; so no mail is being sent. ` +
            `The service account's domain-wide delegation does not include the scope ${SCOPES.gmailRead}. ${grant}. A new grant can take some minutes to apply.`
          : `Google refused Wardwatch the use of the service mailbox ${this.mailbox}, so no mail is being sent. ${errorMessage(err)}`;
    const reason = `${lead} See docs/connecting-google-workspace.md. Meanwhile Wardwatch checks again once every ${minutes} minutes, without sending anything, and keeps every waiting message to send once it works.`;
    if (this.refusals.refuse(kind, reason)) this.deps.logger.error({ mailbox: this.mailbox, refused: kind }, 'Google refused sending from the service mailbox; sending is held until it is allowed');
  }

  /** Google asked that nothing go before `until`: sending is held till then (the outbox keeps every message). */
  private hold(err: GoogleApiError, until: Date): void {
    const now = this.deps.now();
    const limit = /mail sending|sending limit/i.test(err.googleMessage) ? 'its limit on sending mail (Gmail allows a Workspace user about 2,000 messages a day)' : 'a limit on requests';
    const reason =
      `Google has stopped ${this.mailbox} sending for now: it reached ${limit} (${err.status}${err.reason !== '' ? ` ${err.reason}` : ''}) and Google asked Wardwatch not to try again before ${until.toISOString()}. ` +
      `Wardwatch holds every waiting message and sends them from then on; nothing is lost.`;
    if (this.held === undefined) this.deps.logger.error({ mailbox: this.mailbox, until: until.toISOString() }, 'Google limited sending from the service mailbox; sending is held until the time Google gave');
    this.held = { reason, since: this.held?.since ?? now.toISOString(), until: Math.max(this.held?.until ?? 0, until.getTime()) };
  }

  /** Why sending is held for a limit, while it is; undefined (and forgotten) once the time Google gave has come. */
  private holding(): string | undefined {
    if (this.held === undefined) return undefined;
    if (this.deps.now().getTime() < this.held.until) return this.held.reason;
    this.deps.logger.info({ mailbox: this.mailbox }, 'The time Google gave has come; sending from the service mailbox resumes');
    this.held = undefined;
    return undefined;
  }

  /** Why nothing can be sent (a refused grant or sign-in, a sending limit), for /healthz, /metrics and the digest. */
  problem(): SenderProblem | undefined {
    const refused = this.refusals.problem();
    if (refused) return refused;
    const held = this.holding();
    return held !== undefined && this.held !== undefined ? { reason: held, since: this.held.since } : undefined;
  }

  /**
   * Whether queued messages may be tried now: undefined when they may, otherwise why not. Checks
   * both grants at the first call; while something is refused, checks again once every `reprobeMs`.
   */
  async readiness(): Promise<string | undefined> {
    if (this.refusals.checkDue()) await this.probe();
    return this.refusals.refusal?.reason ?? this.holding();
  }

  /** Checks, without sending anything, that the service mailbox may be read (gmail.readonly) and may send (gmail.send). */
  private async probe(): Promise<void> {
    try {
      await this.step('read', () =>
        this.deps.transport.call(this.reader(), 'checking access to the service mailbox', (gmail, o) => gmail.users.getProfile({ userId: 'me' }, o)),
      );
      await this.step('send', () => this.probeSend());
      if (this.refusals.allow()) this.deps.logger.info({ mailbox: this.mailbox }, 'Google allows sending from the service mailbox again; sending resumes');
    } catch (err) {
      const cause = err instanceof StepFailure ? err.failure : err;
      const step = err instanceof StepFailure ? err.step : 'read';
      const refused = refusalOf(cause, step);
      if (refused !== undefined) this.refuse(refused, cause);
      else {
        // Out of reach says nothing about the grant: what was refused stays refused, checked again later.
        this.deps.logger.warn({ mailbox: this.mailbox, error: errorMessage(cause) }, 'Google could not be reached to check sending');
        this.refusals.postpone();
      }
    }
  }

  /**
   * Sends a message with no content, which Gmail cannot send: it signs in with gmail.send (a grant
   * missing from the delegation is refused there) and is then refused as a bad request (400
   * "'raw' … required") once the scope is allowed, or 403 while it is not.
   */
  private async probeSend(): Promise<void> {
    try {
      await this.deps.transport.call(
        this.sender(),
        'checking that the service mailbox may send (nothing is sent)',
        (gmail, o) => gmail.users.messages.send({ userId: 'me', requestBody: { raw: '' } }, o),
        { retry: 'unsafe' },
      );
    } catch (err) {
      if (err instanceof GoogleApiError && err.failure === 'bad-request' && err.reason !== 'failedPrecondition') return;
      throw err;
    }
  }

  /** Whether the message with this Message-ID is in the service mailbox's Sent. */
  async alreadySent(messageId: string): Promise<SentAnswer> {
    return await this.wasSent(messageId);
  }

  /**
   * Whether Sent holds mail Wardwatch sent, told by its deterministic Message-IDs. Gmail's
   * `rfc822msgid:` needs an exact id, so the newest hundred SENT messages are read (their
   * Message-ID header only), which is enough for a mailbox that only Wardwatch sends from.
   */
  async earlierSending(): Promise<string | undefined> {
    let pageToken: string | undefined;
    let count = 0;
    let more = false;
    for (let page = 1; page <= EARLIER_PAGES; page++) {
      const res = await this.sentPage(EARLIER_PAGE_SIZE, pageToken);
      count += res.ids.filter((id) => id !== undefined && this.ownId.test(id)).length;
      more = res.next !== undefined;
      if (count > 0 || res.next === undefined) break;
      pageToken = res.next;
    }
    if (count === 0) return undefined;
    const amount = more ? `at least ${count} message${count === 1 ? '' : 's'}` : `${count} message${count === 1 ? '' : 's'}`;
    return `the Sent mail of ${this.mailbox} holds ${amount} Wardwatch has already sent`;
  }

  async close(): Promise<void> {
    // The transport is the connector's, closed by it.
  }
}
