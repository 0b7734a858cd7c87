/** route-to-clerk: a copy of the message for the Clerk, the original attached. */
import { defineActionKind } from './types.js';

export default defineActionKind({
  kind: 'route-to-clerk',
  addresses: 'clerks',
  waitsForWorkingHours: true,
  cap: 'clerk',
  remedies: false,
  mailed: true,
  noun: ['copy for the Clerk', 'copies for the Clerk'],
  namesItsRecipient: true,
  verb: 'sent',
  template: () => 'routed-copy',
  describe: (a) => `route a copy to ${a.to.join(', ')}`,
  execute: (effect, carrier) => carrier.routedCopy(effect),
});
