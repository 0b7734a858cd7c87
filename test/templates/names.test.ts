import { describe, expect, it } from 'vitest';
import { ACTION_KINDS, RULE_IDS } from '../../src/config/schema.js';
import { templateFor } from '../../src/engine/decide.js';
import { allRules } from '../../src/rules/index.js';
import { isRuleTemplateName, isTemplateName, NOTIFY_RULES, SCHEDULED_TEMPLATE_NAMES, TEMPLATE_NAMES } from '../../src/templates/names.js';

describe('template names', () => {
  it('are exactly the names templateFor produces for every rule and action kind, plus the scheduled ones', () => {
    const reachable = new Set<string>(SCHEDULED_TEMPLATE_NAMES);
    for (const rule of allRules) {
      for (const kind of ACTION_KINDS) {
        const name = templateFor(kind, rule.meta);
        if (name !== undefined) reachable.add(name);
      }
    }
    expect([...TEMPLATE_NAMES].sort()).toEqual([...reachable].sort());
  });

  it('give a council that adds notify to any rule an existing template', () => {
    expect(templateFor('notify', { id: 'clerk-informed-of-member-meetings' })).toBe('clerk-notice');
    expect(templateFor('notify', { id: 'invite-ward-members', templates: { notify: 'own' } })).toBe('invite-ward-members.notify');
    expect(templateFor('notify-clerk', { id: 'clerk-informed-of-member-meetings' })).toBe('clerk-notice');
    expect(templateFor('notify-clerk', { id: 'party-group-attendance-authorised', templates: { 'notify-clerk': 'authorisation-request' } })).toBe('authorisation-request');
  });

  it('give a notice template to exactly the rules whose default actions include notify', () => {
    const notifying = allRules.filter((r) => r.meta.defaults.actions.includes('notify')).map((r) => r.meta.id);
    expect([...NOTIFY_RULES].sort()).toEqual(notifying.sort());
  });

  it('cover every rule id with its own nudge template', () => {
    expect(allRules.map((r) => r.meta.id).sort()).toEqual([...RULE_IDS].sort());
    for (const id of RULE_IDS) {
      expect(isTemplateName(id)).toBe(true);
      expect(isRuleTemplateName(id)).toBe(true);
    }
    expect(TEMPLATE_NAMES).toHaveLength(RULE_IDS.length + NOTIFY_RULES.length + 8);
  });

  it('tell template names from other strings', () => {
    expect(isTemplateName('digest')).toBe(true);
    expect(isTemplateName('invite-ward-members.notify')).toBe(true);
    expect(isTemplateName('no-blind-copies.notify')).toBe(false);
    expect(isTemplateName('no-such-template')).toBe(false);
    expect(isRuleTemplateName('digest')).toBe(false);
  });
});
