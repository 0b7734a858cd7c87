/** What every mail rule checks first: that the message may be spoofed (the engine has already checked it is mail). */
import type { MailItem } from '../items/types.js';
import type { Evaluation, MailFacts, MailRuleInput } from './types.js';

/** Why a message that claims a council person is not judged in their name (`facts.spoofSuspected`). */
export function spoofReason(item: MailItem, facts: MailFacts): string {
  const who = facts.authorAddress ?? 'the sender';
  return item.authentication.failed
    ? `authentication failed for ${who}: possible spoofing; nothing is done in that person's name`
    : `not attributed to ${who}: no trusted receiving server passed it and it is not in their own Sent folder (${item.authentication.detail}); nothing is done in that person's name`;
}

/**
 * The mail input, or the evaluation to return at once: authentication failed for the claimed
 * sender (possible spoofing: nothing is done in that person's name).
 */
export function mailInput(input: MailRuleInput): MailRuleInput | Evaluation {
  if (input.facts.spoofSuspected) {
    return { hits: [], reason: spoofReason(input.item, input.facts) };
  }
  return input;
}
