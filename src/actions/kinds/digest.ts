/** digest: listed in the Clerk's daily digest, and nothing more. */
import { defineActionKind } from './types.js';

export default defineActionKind({
  kind: 'digest',
  addresses: 'digest-readers',
  waitsForWorkingHours: false,
  cap: 'none',
  remedies: false,
  mailed: false,
  noun: ['digest entry', 'digest entries'],
  namesItsRecipient: false,
  verb: 'sent',
  template: () => undefined,
  describe: () => 'list in the digest',
  execute: (effect, carrier) => carrier.refuse(effect, 'A digest entry is listed in the daily digest, not carried out on its own.'),
});
