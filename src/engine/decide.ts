/**
 * Decisions: which concrete actions a finding gets — who each goes to and which template renders
 * it, as each action kind's spec says (src/actions/kinds/). Actions whose recipients cannot be
 * determined are dropped (never sent to nobody).
 */
import type { ActionKind } from '../config/parts.js';
import { actionSpec } from '../actions/kinds/index.js';
import type { Addressee, RuleTemplates } from '../actions/kinds/types.js';
import type { Directory } from '../directory/directory.js';
import type { Item } from '../items/types.js';
import type { Hit } from '../rules/types.js';
import type { PlannedAction } from '../model/finding.js';

export interface DecideInput {
  /** The rule's id and the templates of its own it names (its meta). */
  rule: RuleTemplates;
  kinds: readonly ActionKind[];
  hit: Hit;
  item: Item;
  directory: Directory;
  digestTo: readonly string[];
}

/** The template an action of this kind renders for this rule (none for what is not a message). */
export function templateFor(kind: ActionKind, rule: RuleTemplates): string | undefined {
  return actionSpec(kind).template(rule);
}

function primary(directory: Directory, address: string): string {
  return directory.person(address)?.id ?? address.toLowerCase();
}

/** Whom an action goes to and on which calendar, or undefined when there is nobody to act for. */
function address(addressee: Addressee, input: DecideInput): { to: string[]; calendarId?: string } | undefined {
  const { hit, directory } = input;
  const some = (to: string[]): { to: string[] } | undefined => (to.length > 0 ? { to } : undefined);
  switch (addressee) {
    case 'offender':
      return some(hit.targets.offender ? [primary(directory, hit.targets.offender)] : []);
    case 'notified':
      return some((hit.targets.notify ?? []).map((a) => primary(directory, a)));
    case 'clerks':
      return some(directory.clerks().map((p) => p.id));
    case 'invited': {
      const to = some((hit.targets.invite ?? []).map((a) => primary(directory, a)));
      return to && input.item.kind === 'event' ? { ...to, calendarId: input.item.calendarId } : to;
    }
    case 'room':
      return hit.targets.room ? { to: [], calendarId: hit.targets.room.calendarId } : undefined;
    case 'digest-readers':
      return { to: [...input.digestTo] };
  }
}

export function decideActions(input: DecideInput): PlannedAction[] {
  const actions: PlannedAction[] = [];
  for (const kind of new Set(input.kinds)) {
    const spec = actionSpec(kind);
    const target = address(spec.addresses, input);
    if (!target) continue;
    const template = spec.template(input.rule);
    actions.push({
      kind,
      to: [...new Set(target.to)],
      ...(template ? { template } : {}),
      ...(target.calendarId ? { calendarId: target.calendarId } : {}),
    });
  }
  return actions;
}
