/** invite: adds ward members to the Council's public meeting (or sends them an iMIP invitation). */
import { defineActionKind } from './types.js';

export default defineActionKind({
  kind: 'invite',
  addresses: 'invited',
  waitsForWorkingHours: false,
  cap: 'none',
  remedies: true,
  mailed: true,
  noun: ['invitation', 'invitations'],
  namesItsRecipient: false,
  verb: 'sent',
  reportedAs: 'an invitation',
  template: () => 'invitation',
  describe: (a) => `invite ${a.to.join(', ')}`,
  execute: (effect, carrier) => carrier.invitation(effect),
});
