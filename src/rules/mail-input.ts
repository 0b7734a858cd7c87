/** What every mail rule checks first: that the item is mail, and that it may be spoofed. */
import type { MailItem } from '../items/types.js';
import { NOT_ITS_KIND, type Evaluation, type MailFacts, type MailRuleInput, type RuleInput } from './types.js';

/** Why a message that claims a council person is not judged in their name (`facts.spoofSuspected`). */
export function spoofReason(item: MailItem, facts: MailFacts): string {
  const who = facts.authorAddress ?? 'the sender';
  return item.authentication.failed
    ? `authentication failed for ${who}: possible spoofing; nothing is done in that person's name`
    : `not attributed to ${who}: no trusted receiving server passed it and it is not in their own Sent folder (${item.authentication.detail}); nothing is done in that person's name`;
}

export function isMail(input: RuleInput): input is MailRuleInput {
  return input.item.kind === 'mail';
}

/**
 * The mail input, or the evaluation to return at once: not mail, or authentication failed for the
 * claimed sender (possible spoofing: nothing is done in that person's name).
 */
export function mailInput(input: RuleInput): MailRuleInput | Evaluation {
  if (!isMail(input)) return { hits: [], reason: NOT_ITS_KIND.mail };
  if (input.facts.spoofSuspected) {
    return { hits: [], reason: spoofReason(input.item, input.facts) };
  }
  return input;
}
