/** nudge: a polite reminder to the person whose mail or meeting broke the protocol. */
import { defineActionKind } from './types.js';

export default defineActionKind({
  kind: 'nudge',
  addresses: 'offender',
  waitsForWorkingHours: true,
  cap: 'per-person',
  remedies: false,
  mailed: true,
  noun: ['nudge', 'nudges'],
  namesItsRecipient: false,
  verb: 'sent',
  reportedAs: 'a reminder',
  template: (rule) => rule.id,
  describe: (a) => `nudge ${a.to.join(', ')}`,
  execute: (effect, carrier) => carrier.message(effect),
});
