/**
 * The effective settings of each rule for one council: the rule's defaults, narrowed by the
 * adopted protocol profile (which rules it contains, its own clause numbers), then overridden
 * by the council's `rules:` entries (on/off, severity, actions, clauses, options).
 */
import type { ActionKind, Config, RuleId, Severity } from '../config/schema.js';
import type { AnyRule } from '../rules/index.js';
import type { ProtocolFile } from '../rules/types.js';

export interface RuleSettings {
  enabled: boolean;
  severity: Severity;
  /** Set when the council configured a severity explicitly: it wins over a hit's own. */
  configuredSeverity?: Severity;
  /** Set when the council configured actions explicitly: they win over a hit's own defaults. */
  configuredActions?: ActionKind[];
  clauses: string[];
  options: unknown;
  /** Where the clause numbers come from, for reports: "profile knutsford", "council config", "catalogue". */
  clauseSource: string;
  /**
   * Set when the council configured `rules.<id>.review`: whether this rule's effects wait for the
   * Clerk's approval, whatever the council-wide `review` says.
   */
  review?: boolean;
}

const FILE_ORDER: ProtocolFile[] = ['000', '001', '002', '003', '004'];

/** The catalogue's clauses as "004 12.1" strings, in protocol-file order. */
export function catalogueClauses(rule: AnyRule): string[] {
  const out: string[] = [];
  for (const f of FILE_ORDER) for (const c of rule.meta.clauses[f] ?? []) out.push(`${f} ${c}`);
  return out;
}

export interface ProfileClauses {
  name: string;
  rules: ReadonlyMap<RuleId, string[]>;
}

export function resolveRuleSettings(
  rules: readonly AnyRule[],
  config: Pick<Config, 'rules'>,
  profile?: ProfileClauses,
): Map<RuleId, RuleSettings> {
  const out = new Map<RuleId, RuleSettings>();
  for (const rule of rules) {
    const id = rule.meta.id;
    const inProfile = profile ? profile.rules.get(id) : undefined;
    let enabled = profile ? inProfile !== undefined : true;
    let clauses = inProfile ?? catalogueClauses(rule);
    let clauseSource = inProfile ? `profile ${profile?.name ?? ''}`.trim() : 'catalogue';
    let severity = rule.meta.defaults.severity;
    let configuredActions: ActionKind[] | undefined;
    let configuredSeverity: Severity | undefined;
    let rawOptions: unknown = {};
    let review: boolean | undefined;
    const setting = config.rules[id];
    if (setting === 'off') enabled = false;
    else if (setting === 'on') enabled = true;
    else if (setting) {
      enabled = setting.enabled;
      if (setting.severity) {
        severity = setting.severity;
        configuredSeverity = setting.severity;
      }
      if (setting.actions) configuredActions = [...setting.actions];
      if (setting.clauses) {
        clauses = [...setting.clauses];
        clauseSource = 'council config';
      }
      if (setting.options) rawOptions = setting.options;
      review = setting.review;
    }
    out.set(id, {
      enabled,
      severity,
      ...(configuredActions ? { configuredActions } : {}),
      ...(configuredSeverity ? { configuredSeverity } : {}),
      clauses,
      options: rule.meta.options.parse(rawOptions),
      clauseSource,
      ...(review !== undefined ? { review } : {}),
    });
  }
  return out;
}
