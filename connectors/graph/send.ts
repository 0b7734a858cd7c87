/**
 * Sending from the council's service mailbox through Microsoft Graph, exactly once.
 *
 * Graph's `sendMail` answers 202 and has no idempotency key, and a 503/504 or a dropped connection
 * can come after the send went through. So a message is sent in two steps, each of which can be
 * checked afterwards: the message is composed once by the shared MIME composer (the same bytes
 * the other senders send: deterministic Message-ID, `Auto-Submitted`, X-Wardwatch-Key, the
 * threading headers, attachments, the iMIP part), put in Drafts with "create message in MIME
 * format" (`POST /users/{id}/messages`, base64 MIME as text/plain), and that draft is sent
 * (`POST …/messages/{id}/send`). The deterministic Message-ID is Graph's `internetMessageId`
 * throughout, so at any moment the service mailbox says where a message stands:
 *   - a copy that is not a draft (in Sent Items): it went;
 *   - a draft: it was not sent (a send takes the draft out of Drafts);
 *   - nothing: it was never drafted — or it went and its Sent Items copy has not appeared yet.
 *
 * Before anything is drafted the mailbox is asked (one request): a message that already went is
 * not sent again, and a draft an earlier attempt left (it died between drafting and sending) is
 * reused, so there are never two. The send itself is never repeated blindly (`retry: 'unsafe'`):
 * when its outcome is unknown, the mailbox is asked again, a few times over a few seconds, for the
 * Sent Items copy to appear. Found: it went. The draft still there and no copy: it did not go, and
 * the draft is sent again (once). Neither: it may have gone, and the outbox holds it in doubt for
 * the Clerk (`SendInDoubtError`) rather than send it twice.
 *
 * A refused sign-in or a refused permission (403: no Mail.Send or Mail.ReadWrite consent, or the
 * service mailbox outside the app's RBAC management scope) is not the message's fault: as the SMTP
 * sender does for a refused login, the sender reports what to change (`problem`), the outbox holds
 * every queued message (`readiness`), and the permission is checked again once every 15 minutes,
 * without sending anything, until it is granted.
 */
import { z } from 'zod';
import { LOGIN_REPROBE_MS } from '../../src/actions/smtp-sender.js';
import { composeMessage } from '../../src/mime/compose.js';
import { PermanentEffectError, SendInDoubtError } from '../../src/outbox/outbox.js';
import { serviceDomainOf } from '../../src/outbox/idempotency.js';
import type { MailSender, OutgoingMessage, SenderProblem, SentAnswer } from '../../src/sources/types.js';
import type { GraphDeps } from './deps.js';
import { GraphApiError, GraphOutcomeUnknownError, GraphSignInError } from './errors.js';
import { pageOf, type GraphRequest } from './transport.js';
import { errorMessage } from '../../src/model/error-message.js';
import { RefusalHold, runStep, StepFailure } from '../../src/sources/send-refusal.js';

/** Ids that stay the same when a message moves (a draft into Sent Items), as on every other call of the connector. */
const IMMUTABLE_IDS = { Prefer: 'IdType="ImmutableId"' };

/** How many looks after a send whose outcome is unknown, and how far apart (Sent Items is filed within seconds). */
export const SETTLE_LOOKS = 3;
export const SETTLE_MS = 2_000;

/** Pages of Sent Items (100 each, newest first) read to find earlier sending: a bounded, cheap look. */
const EARLIER_PAGES = 5;
const EARLIER_PAGE_SIZE = 100;

/**
 * An id no message can have: sending it is refused with 403 while Mail.Send is missing and with
 * "not found" once it is granted, which checks the permission without sending anything.
 */
const PROBE_ID = 'wardwatch-permission-check';

export interface GraphSenderOptions {
  /** Between looks after a send whose outcome is unknown (tests pass one that moves the simulator's clock). */
  sleep?: (ms: number) => Promise<void>;
  settleLooks?: number;
  settleMs?: number;
  /** Between checks of a refused permission or sign-in (default 15 minutes). */
  reprobeMs?: number;
}

const MessageRef = z.object({
  id: z.string().min(1),
  internetMessageId: z.string().nullish(),
  isDraft: z.boolean().nullish(),
  parentFolderId: z.string().nullish(),
});
type MessageRef = z.infer<typeof MessageRef>;

const Created = z.object({ id: z.string().min(1) });

/** What the service mailbox holds under one Message-ID. */
interface Copies {
  /** Ids of drafts (not sent). */
  drafts: string[];
  /** Ids of copies that are not drafts: the message went. */
  sent: string[];
}

type Step = 'read' | 'draft' | 'send';

/** What was refused: signing in, reading or drafting in the service mailbox, or sending. */
type RefusalKind = 'sign-in' | 'mailbox' | 'send';

/** An OData string literal: a quote inside it is doubled. */
export function odataString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

function sleepFor(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function refs(value: unknown): MessageRef[] {
  const out: MessageRef[] = [];
  for (const item of pageOf(value).value) {
    const parsed = MessageRef.safeParse(item);
    if (parsed.success) out.push(parsed.data);
  }
  return out;
}

function isForbidden(err: unknown): err is GraphApiError {
  return err instanceof GraphApiError && err.status === 403;
}

/** A sign-in Microsoft refused (an AADSTS code), or a token Graph would not take even when fresh; not a network fault. */
function isSignInRefused(err: unknown): boolean {
  return (err instanceof GraphSignInError && err.code !== undefined) || (err instanceof GraphApiError && err.status === 401);
}

export class GraphSender implements MailSender {
  readonly name = 'graph';
  private readonly mailbox: string;
  private readonly base: string;
  /** Wardwatch's Message-IDs: `<ww-{32 hex}@{service domain}>` (src/outbox/idempotency.ts). */
  private readonly ownId: RegExp;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly settleLooks: number;
  private readonly settleMs: number;
  private readonly reprobeMs: number;
  private readonly refusals: RefusalHold<RefusalKind>;
  private draftsFolderId: string | undefined;

  constructor(
    private readonly deps: GraphDeps,
    options: GraphSenderOptions = {},
  ) {
    this.mailbox = deps.settings.serviceAddress;
    this.base = `/users/${this.mailbox}`;
    const domain = serviceDomainOf(this.mailbox).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    this.ownId = new RegExp(`^<ww-[0-9a-f]{32}@${domain}>$`, 'i');
    this.sleep = options.sleep ?? sleepFor;
    this.settleLooks = Math.max(1, options.settleLooks ?? SETTLE_LOOKS);
    this.settleMs = options.settleMs ?? SETTLE_MS;
    this.reprobeMs = options.reprobeMs ?? LOGIN_REPROBE_MS;
    this.refusals = new RefusalHold<RefusalKind>(this.reprobeMs, () => this.deps.now());
  }

  private request(req: Omit<GraphRequest, 'mailbox'>): GraphRequest {
    return { mailbox: this.mailbox, ...req, headers: { ...IMMUTABLE_IDS, ...(req.headers ?? {}) } };
  }

  /** Runs one step, remembering which it was should it fail. */
  private step<T>(step: Step, work: () => Promise<T>): Promise<T> {
    return runStep(step, work);
  }

  /** The id of the service mailbox's Drafts folder (asked once). */
  private async draftsFolder(): Promise<string> {
    if (this.draftsFolderId === undefined) {
      this.draftsFolderId = await this.deps.transport.json(
        this.request({ method: 'GET', url: `${this.base}/mailFolders/drafts`, query: { $select: 'id' }, what: 'finding the service mailbox\'s Drafts folder' }),
        (value) => Created.parse(value).id,
      );
    }
    return this.draftsFolderId;
  }

  /**
   * Every copy in the service mailbox (any folder) with this Message-ID. Only a draft still in the
   * Drafts folder counts as not sent: a message Exchange is still submitting may be unsent and
   * elsewhere (the Outbox), and sending it again would send it twice.
   */
  private async copies(messageId: string): Promise<Copies> {
    const drafts = await this.draftsFolder();
    const found = await this.deps.transport.json(
      this.request({
        method: 'GET',
        url: `${this.base}/messages`,
        query: { $filter: `internetMessageId eq ${odataString(messageId)}`, $select: 'id,internetMessageId,isDraft,parentFolderId', $top: '10' },
        what: 'looking for a message in the service mailbox',
      }),
      refs,
    );
    const copies: Copies = { drafts: [], sent: [] };
    for (const m of found) {
      // Only the exact Message-ID counts, whatever the filter matched (a copy without one is not this message).
      if (m.internetMessageId !== messageId) continue;
      (m.isDraft === true && m.parentFolderId === drafts ? copies.drafts : copies.sent).push(m.id);
    }
    return copies;
  }

  async send(message: OutgoingMessage): Promise<void> {
    const refused = this.refusals.refusal;
    if (refused !== undefined) throw new Error(`Not sent: ${refused.reason}`);
    const mime = await composeMessage(message, { date: this.deps.now() });
    try {
      await this.sendComposed(message, mime);
    } catch (err) {
      throw this.failure(err, message);
    }
  }

  private async sendComposed(message: OutgoingMessage, mime: Buffer): Promise<void> {
    const id = message.messageId;
    const before = await this.step('read', () => this.copies(id));
    if (before.sent.length > 0) {
      // An earlier attempt went through and its answer was lost: sending again would send it twice.
      this.deps.logger.info({ messageId: id }, 'The message is already in the service mailbox\'s Sent Items: not sent again');
      return;
    }
    const draft = before.drafts[0] ?? (await this.createDraft(id, mime));
    await this.discard(before.drafts.slice(1), id);
    await this.sendDraft(message, draft);
  }

  /** A draft from the composed MIME. A creation cut off is looked for once, so that no second draft is made. */
  private async createDraft(messageId: string, mime: Buffer): Promise<string> {
    return this.step('draft', async () => {
      try {
        const created = await this.deps.transport.json(
          this.request({
            method: 'POST',
            url: `${this.base}/messages`,
            text: { contentType: 'text/plain', body: mime.toString('base64') },
            // Creating twice would leave two drafts: never repeated once it may have taken effect.
            retry: 'unsafe',
            what: 'putting a message in the service mailbox\'s Drafts',
          }),
          (value) => Created.parse(value),
        );
        return created.id;
      } catch (err) {
        if (!(err instanceof GraphOutcomeUnknownError)) throw err;
        const after = await this.copies(messageId);
        const found = after.drafts[0];
        if (found !== undefined) {
          await this.discard(after.drafts.slice(1), messageId);
          return found;
        }
        // Nothing was sent; the next attempt looks for the draft again before making one.
        throw new Error(`${err.message} No draft was found afterwards; it will be tried again.`, { cause: err });
      }
    });
  }

  /** Drafts beyond the first (an earlier, cut-off attempt's): deleted, so that one message has one draft. */
  private async discard(ids: readonly string[], messageId: string): Promise<void> {
    for (const extra of ids) {
      try {
        await this.deps.transport.request(this.request({ method: 'DELETE', url: `${this.base}/messages/${extra}`, what: 'deleting a second draft of a message' }));
      } catch (err) {
        if (err instanceof GraphApiError && err.status === 404) continue;
        this.deps.logger.warn({ messageId, error: errorMessage(err) }, 'A second draft of a message could not be deleted');
      }
    }
  }

  private async sendDraft(message: OutgoingMessage, draftId: string): Promise<void> {
    const id = message.messageId;
    try {
      await this.step('send', () =>
        this.deps.transport.request(
          this.request({ method: 'POST', url: `${this.base}/messages/${draftId}/send`, retry: 'unsafe', what: 'sending a message from the service mailbox' }),
        ),
      );
      this.deps.logger.info({ messageId: id, to: message.to.length + (message.cc?.length ?? 0) }, 'Message sent');
      return;
    } catch (err) {
      const cause = err instanceof StepFailure ? err.failure : err;
      if (!(cause instanceof GraphOutcomeUnknownError)) throw err;
      this.deps.logger.warn({ messageId: id, error: cause.message }, 'The answer to a send was lost; looking in Sent Items');
      const where = await this.settle(id);
      if (where === 'sent') {
        this.deps.logger.info({ messageId: id }, 'The message is in Sent Items: it went');
        return;
      }
      if (where === 'draft') {
        // Most likely it did not go; but Exchange may still be taking it. The outbox tries again
        // after a pause (a minute at least), and that attempt looks in Sent Items first.
        throw new Error(`Microsoft 365 gave no answer to sending "${message.subject}", and it is still in Drafts: it will be looked for and, if still unsent, sent after a pause.`);
      }
      if (where === 'unchecked') {
        throw new Error(
          `Microsoft 365 gave no answer to sending "${message.subject}" and the service mailbox could not be read afterwards; before anything is sent again Wardwatch looks in Sent Items, so it is not sent twice.`,
        );
      }
      throw new SendInDoubtError(
        `Microsoft 365 gave no answer to sending "${message.subject}" (Message-ID ${id}) from ${this.mailbox} (${cause.message}), and after waiting it is neither a draft nor in Sent Items, so it may or may not have gone.`,
      );
    }
  }

  /**
   * Where a message stands after a send with no answer: a Sent Items copy is taken at once;
   * otherwise the mailbox is asked again a few times, since Exchange files the copy a moment after
   * the send.
   */
  private async settle(messageId: string): Promise<'sent' | 'draft' | 'neither' | 'unchecked'> {
    let last: 'draft' | 'neither' | 'unchecked' = 'unchecked';
    for (let look = 1; look <= this.settleLooks; look++) {
      if (look > 1) await this.sleep(this.settleMs);
      try {
        const copies = await this.copies(messageId);
        if (copies.sent.length > 0) return 'sent';
        last = copies.drafts.length > 0 ? 'draft' : 'neither';
      } catch (err) {
        this.deps.logger.warn({ messageId, error: errorMessage(err) }, 'The service mailbox could not be read after a send with no answer');
        last = 'unchecked';
      }
    }
    return last;
  }

  /** The error the outbox is given: in doubt and permanent ones as they are, a refusal holds sending. */
  private failure(err: unknown, message: OutgoingMessage): Error {
    const step = err instanceof StepFailure ? err.step : 'read';
    const cause = err instanceof StepFailure ? err.failure : err;
    if (cause instanceof SendInDoubtError || cause instanceof PermanentEffectError) return cause;
    if (isSignInRefused(cause)) {
      this.refuse('sign-in', cause);
      return new Error(`Not sent: ${this.refusals.refusal?.reason ?? String(cause)}`);
    }
    if (isForbidden(cause)) {
      this.refuse(step === 'send' ? 'send' : 'mailbox', cause);
      return new Error(`Not sent: ${this.refusals.refusal?.reason ?? cause.message}`);
    }
    if (cause instanceof GraphApiError && (cause.failure === 'bad-request' || cause.status === 413)) {
      // The message itself was refused (no valid recipient, too large): trying it again cannot help.
      return new PermanentEffectError(`Microsoft 365 refused "${message.subject}" for good: ${cause.message}`);
    }
    return cause instanceof Error ? cause : new Error(String(cause));
  }

  private refuse(kind: RefusalKind, err: unknown): void {
    const minutes = Math.round(this.reprobeMs / 60_000);
    const said = errorMessage(err);
    const lead =
      kind === 'sign-in'
        ? `Wardwatch cannot sign in to Microsoft 365, so no mail is being sent from ${this.mailbox}. ${said}`
        : kind === 'send'
          ? `Microsoft 365 refused to send mail from the service mailbox ${this.mailbox} (403), so no mail is being sent. ` +
            `The app registration needs the application permission Mail.Send with admin consent ("Grant admin consent" under API permissions), ` +
            `and ${this.mailbox} must be inside the app's RBAC for Applications management scope (the scope's mailboxes, or the older application access policy's group).`
          : `Microsoft 365 refused Wardwatch access to the service mailbox ${this.mailbox} (403), so no mail is being sent. ` +
            `The app registration needs the application permissions Mail.ReadWrite and Mail.Send with admin consent, ` +
            `and ${this.mailbox} must be inside the app's RBAC for Applications management scope (the scope's mailboxes, or the older application access policy's group).`;
    const reason =
      `${lead} See docs/connecting-microsoft-365.md. Meanwhile Wardwatch checks again once every ${minutes} minutes, without sending anything, ` +
      `and keeps every waiting message to send once it works.`;
    if (this.refusals.refuse(kind, reason)) this.deps.logger.error({ mailbox: this.mailbox, refused: kind }, 'Microsoft 365 refused sending from the service mailbox; sending is held until it is allowed');
  }

  /** Why nothing can be sent (a refused sign-in or permission), for /healthz, /metrics and the digest. */
  problem(): SenderProblem | undefined {
    return this.refusals.problem();
  }

  /**
   * Whether queued messages may be tried now: undefined when they may, otherwise why not. Signs
   * in at the first call; while something is refused, checks again once every `reprobeMs`.
   */
  async readiness(): Promise<string | undefined> {
    if (this.refusals.checkDue()) await this.probe();
    return this.refusals.refusal?.reason;
  }

  /** Checks what was refused, without sending anything: the sign-in, reading the mailbox, the Mail.Send permission. */
  private async probe(): Promise<void> {
    const kind = this.refusals.refusal?.kind ?? 'sign-in';
    try {
      const signIn = await this.deps.transport.checkSignIn();
      if (signIn !== undefined) throw new GraphSignInError(signIn, /AADSTS(\d{5,7})/.exec(signIn)?.[1]);
      if (kind === 'mailbox' || kind === 'send') {
        await this.step('read', () =>
          this.deps.transport.request(
            this.request({ method: 'GET', url: `${this.base}/mailFolders/drafts/messages`, query: { $top: '1', $select: 'id' }, what: 'checking access to the service mailbox' }),
          ),
        );
      }
      if (kind === 'send') await this.probeSend();
      if (this.refusals.allow()) this.deps.logger.info({ mailbox: this.mailbox }, 'Microsoft 365 allows sending from the service mailbox again; sending resumes');
    } catch (err) {
      const cause = err instanceof StepFailure ? err.failure : err;
      const step = err instanceof StepFailure ? err.step : 'read';
      if (isSignInRefused(cause)) this.refuse('sign-in', cause);
      else if (isForbidden(cause)) this.refuse(step === 'send' ? 'send' : 'mailbox', cause);
      else {
        // Out of reach says nothing about the permission: what was refused stays refused, checked again later.
        this.deps.logger.warn({ mailbox: this.mailbox, error: errorMessage(cause) }, 'Microsoft 365 could not be reached to check sending');
        this.refusals.postpone();
      }
    }
  }

  /** Sends a message that cannot exist: 403 while Mail.Send is refused, any other answer once it is allowed. */
  private async probeSend(): Promise<void> {
    await this.step('send', async () => {
      try {
        await this.deps.transport.request(
          this.request({ method: 'POST', url: `${this.base}/messages/${PROBE_ID}/send`, retry: 'unsafe', what: 'checking the Mail.Send permission' }),
        );
      } catch (err) {
        if (err instanceof GraphApiError && err.status !== 403 && err.status !== 401) return;
        throw err;
      }
    });
  }

  /** Whether the message with this Message-ID is in the service mailbox's Sent Items. */
  async alreadySent(messageId: string): Promise<SentAnswer> {
    const found = await this.deps.transport.json(
      this.request({
        method: 'GET',
        url: `${this.base}/mailFolders/sentitems/messages`,
        query: { $filter: `internetMessageId eq ${odataString(messageId)}`, $select: 'id,internetMessageId', $top: '10' },
        what: 'looking in the service mailbox\'s Sent Items',
      }),
      refs,
    );
    return found.some((m) => m.internetMessageId === messageId);
  }

  /**
   * Whether Sent Items holds mail Wardwatch sent, told by its deterministic Message-IDs: the newest
   * few hundred copies are read (ids only), which is enough for a mailbox that only Wardwatch sends from.
   */
  async earlierSending(): Promise<string | undefined> {
    let url = `${this.base}/mailFolders/sentitems/messages`;
    let query: Record<string, string> | undefined = { $select: 'id,internetMessageId', $top: String(EARLIER_PAGE_SIZE), $orderby: 'sentDateTime desc' };
    let count = 0;
    let more = false;
    for (let page = 1; page <= EARLIER_PAGES; page++) {
      const res = await this.deps.transport.json(
        this.request({ method: 'GET', url, ...(query ? { query } : {}), what: 'reading the service mailbox\'s Sent Items' }),
        (value) => ({ items: refs(value), next: pageOf(value).nextLink }),
      );
      count += res.items.filter((m) => typeof m.internetMessageId === 'string' && this.ownId.test(m.internetMessageId)).length;
      more = res.next !== undefined;
      if (count > 0 || res.next === undefined) break;
      // A next link is opaque: followed as given.
      url = res.next;
      query = undefined;
    }
    if (count === 0) return undefined;
    const amount = more ? `at least ${count} message${count === 1 ? '' : 's'}` : `${count} message${count === 1 ? '' : 's'}`;
    return `the Sent Items folder of ${this.mailbox} holds ${amount} Wardwatch has already sent`;
  }

  async close(): Promise<void> {
    // The transport is the connector's, closed by it.
  }
}
