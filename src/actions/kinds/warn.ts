/** warn: a warning to the person whose mail or meeting broke the protocol (the rule's own template, as for a nudge). */
import { defineActionKind } from './types.js';

export default defineActionKind({
  kind: 'warn',
  addresses: 'offender',
  waitsForWorkingHours: true,
  cap: 'per-person',
  remedies: false,
  mailed: true,
  noun: ['warning', 'warnings'],
  namesItsRecipient: false,
  verb: 'sent',
  reportedAs: 'a warning',
  template: (rule) => rule.id,
  describe: (a) => `warn ${a.to.join(', ')}`,
  execute: (effect, carrier) => carrier.message(effect),
});
