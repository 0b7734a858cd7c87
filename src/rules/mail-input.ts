/** What every mail rule checks first: that the item is mail, and that it may be spoofed. */
import { NOT_ITS_KIND, type Evaluation, type MailRuleInput, type RuleInput } from './types.js';

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
    return {
      hits: [],
      reason: `authentication failed for ${input.facts.authorAddress ?? 'the sender'}: possible spoofing; nothing is done in that person's name`,
    };
  }
  return input;
}
