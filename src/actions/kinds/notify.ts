/** notify: a notice to the people a finding concerns (ward members, an organiser, an officer). */
import { defineActionKind } from './types.js';

export default defineActionKind({
  kind: 'notify',
  addresses: 'notified',
  waitsForWorkingHours: true,
  cap: 'none',
  remedies: false,
  mailed: true,
  noun: ['notice', 'notices'],
  namesItsRecipient: false,
  verb: 'sent',
  reportedAs: 'a notice',
  // Rules with their own notice; any other rule's notice (a council may add `notify`) uses the general one.
  template: (rule) => (rule.templates?.notify === 'own' ? `${rule.id}.notify` : 'clerk-notice'),
  describe: (a) => `notify ${a.to.join(', ')}`,
  execute: (effect, carrier) => carrier.message(effect),
});
