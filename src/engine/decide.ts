/**
 * Decisions: which concrete actions a finding gets — who each goes to and which template renders
 * it. Actions whose recipients cannot be determined are dropped (never sent to nobody).
 */
import type { ActionKind, RuleId } from '../config/schema.js';
import type { Directory } from '../directory/directory.js';
import type { Item } from '../items/types.js';
import type { Hit } from '../rules/types.js';
import type { PlannedAction } from './types.js';
import { NOTIFY_RULES } from '../templates/names.js';

export interface DecideInput {
  rule: RuleId;
  kinds: readonly ActionKind[];
  hit: Hit;
  item: Item;
  directory: Directory;
  digestTo: readonly string[];
}

/** Template names in templates/: a nudge or warning per rule, a notice per rule, and shared ones. */
export function templateFor(kind: ActionKind, rule: RuleId): string | undefined {
  switch (kind) {
    case 'nudge':
    case 'warn':
      return rule;
    case 'notify':
      // Rules with their own notice; any other rule's notice (a council may add `notify`) uses the general one.
      return (NOTIFY_RULES as readonly string[]).includes(rule) ? `${rule}.notify` : 'clerk-notice';
    case 'notify-clerk':
      return rule === 'party-group-attendance-authorised' ? 'authorisation-request' : 'clerk-notice';
    case 'route-to-clerk':
      return 'routed-copy';
    case 'invite':
      return 'invitation';
    case 'block':
      return 'booking-declined';
    case 'digest':
      return undefined;
  }
}

function primary(directory: Directory, address: string): string {
  return directory.person(address)?.id ?? address.toLowerCase();
}

export function decideActions(input: DecideInput): PlannedAction[] {
  const { hit, directory } = input;
  const clerks = directory.clerks().map((p) => p.id);
  const actions: PlannedAction[] = [];
  for (const kind of new Set(input.kinds)) {
    let to: string[] = [];
    let calendarId: string | undefined;
    switch (kind) {
      case 'nudge':
      case 'warn':
        to = hit.targets.offender ? [primary(directory, hit.targets.offender)] : [];
        if (to.length === 0) continue;
        break;
      case 'notify':
        to = (hit.targets.notify ?? []).map((a) => primary(directory, a));
        if (to.length === 0) continue;
        break;
      case 'notify-clerk':
      case 'route-to-clerk':
        to = clerks;
        if (to.length === 0) continue;
        break;
      case 'invite':
        to = (hit.targets.invite ?? []).map((a) => primary(directory, a));
        if (to.length === 0) continue;
        if (input.item.kind === 'event') calendarId = input.item.calendarId;
        break;
      case 'block':
        if (!hit.targets.room) continue;
        calendarId = hit.targets.room.calendarId;
        break;
      case 'digest':
        to = [...input.digestTo];
        break;
    }
    const template = templateFor(kind, input.rule);
    actions.push({
      kind,
      to: [...new Set(to)],
      ...(template ? { template } : {}),
      ...(calendarId ? { calendarId } : {}),
    });
  }
  return actions;
}
