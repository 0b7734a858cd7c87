/**
 * The action kinds, one file each. A council's `actions:` names them (the vocabulary is
 * `ACTION_KINDS` in src/config/parts.ts); this table must hold a spec for every one of them.
 */
import type { ActionKind } from '../../config/parts.js';
import block from './block.js';
import digest from './digest.js';
import invite from './invite.js';
import notify from './notify.js';
import notifyClerk from './notify-clerk.js';
import nudge from './nudge.js';
import routeToClerk from './route-to-clerk.js';
import type { ActionSpec } from './types.js';
import warn from './warn.js';

export type { ActionSpec } from './types.js';

export const ACTION_SPECS: { readonly [K in ActionKind]: ActionSpec<K> } = {
  nudge,
  warn,
  notify,
  'notify-clerk': notifyClerk,
  'route-to-clerk': routeToClerk,
  invite,
  block,
  digest,
};

export function actionSpec<K extends ActionKind>(kind: K): ActionSpec<K> {
  return ACTION_SPECS[kind];
}
