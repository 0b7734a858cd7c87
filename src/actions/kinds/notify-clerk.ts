/** notify-clerk: a notice to the Clerk (or, for a rule that names one, its own request to the Clerk). */
import { defineActionKind } from './types.js';

export default defineActionKind({
  kind: 'notify-clerk',
  addresses: 'clerks',
  waitsForWorkingHours: true,
  cap: 'clerk',
  remedies: false,
  mailed: true,
  noun: ['notice to the Clerk', 'notices to the Clerk'],
  namesItsRecipient: true,
  verb: 'sent',
  template: (rule) => rule.templates?.['notify-clerk'] ?? 'clerk-notice',
  describe: (a) => `notify-clerk ${a.to.join(', ')}`,
  execute: (effect, carrier) => carrier.message(effect),
});
