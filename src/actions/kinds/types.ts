/**
 * What an action kind is, in one place: whom it addresses, whether it waits for working hours or
 * counts against a daily cap, what it is called in the digest and in `check`, which template it
 * uses and how it is carried out. The engine, the outbox, the executor, the digest and the report
 * read these specs instead of naming kinds.
 */
import type { ActionKind } from '../../config/parts.js';
import type { EffectRow } from '../../store/types.js';

/** Whom an action goes to, from a finding's targets. */
export type Addressee =
  /** The person whose mail or meeting broke the protocol (`targets.offender`). */
  | 'offender'
  /** `targets.notify`. */
  | 'notified'
  /** `targets.invite`; the planned action names the event's calendar. */
  | 'invited'
  /** The Clerks in the directory. */
  | 'clerks'
  /** Nobody: the room calendar in `targets.room` is acted on. */
  | 'room'
  /** The digest's readers (`digest.to`). */
  | 'digest-readers';

/** The rule's part in choosing a template (the rule's meta may name one of its own). */
export interface RuleTemplates {
  id: string;
  templates?: { notify?: 'own'; 'notify-clerk'?: 'authorisation-request' };
}

/** The executor's ways of carrying an effect out, which the kinds choose between. */
export interface ActionCarrier {
  /** One message to the effect's recipient, from its template. */
  message(effect: EffectRow): Promise<void>;
  /** The cover note to the Clerk with the original message attached. */
  routedCopy(effect: EffectRow): Promise<void>;
  /** Add the member to the event where the calendar allows, and send the invitation. */
  invitation(effect: EffectRow): Promise<void>;
  /** Decline the room booking where the calendar allows; otherwise warn and ask the Clerk. */
  declineBooking(effect: EffectRow): Promise<void>;
  /** Refuse: this kind is not carried out on its own. */
  refuse(effect: EffectRow, why: string): Promise<void>;
}

/** A daily cap an action counts against. */
export type Cap =
  /** A person's `nudgesPerPersonPerDay` — or, to the Clerk, `clerkMessagesPerDay`. */
  | 'per-person'
  /** Only the Clerk's `clerkMessagesPerDay` (its recipients are always the Clerks). */
  | 'clerk'
  | 'none';

export interface ActionSpec<K extends ActionKind = ActionKind> {
  kind: K;
  addresses: Addressee;
  /** Waits for the working day when the recipient's role keeps quiet hours. */
  waitsForWorkingHours: boolean;
  cap: Cap;
  /** Carried out by mail, so a sender's sent-check can tell whether it happened. */
  mailed: boolean;
  /**
   * Puts the breach right itself (adds the missing members to the event, declines the booking).
   * Once one has been carried out, the item read again no longer shows the breach: the finding is
   * kept, so that the notices about what Wardwatch did still go and the digest lists it.
   */
  remedies: boolean;
  /** What the digest calls it, one and many ("nudge", "nudges"). */
  noun: readonly [string, string];
  /** The noun already names the recipient ("notice to the Clerk"), so the digest does not add "to …". */
  namesItsRecipient: boolean;
  /** What happens when it is carried out: "declined" for a booking, "sent" for a message. */
  verb: 'sent' | 'declined';
  /** How a notice to the Clerk names it among what was done ("a reminder"); none when not listed. */
  reportedAs?: string;
  /** The template its message is rendered from, for a rule; none for what is not a message. */
  template(rule: RuleTemplates): string | undefined;
  /** `wardwatch check`'s "Would: …" for it. */
  describe(action: { to: readonly string[]; calendarId?: string }): string;
  /** Carry out one effect of this kind. */
  execute(effect: EffectRow, carrier: ActionCarrier): Promise<void>;
}

export function defineActionKind<K extends ActionKind>(spec: ActionSpec<K>): ActionSpec<K> {
  return spec;
}
