/**
 * Protocol profiles: `config/protocols/<name>.yaml`, one per council protocol Wardwatch ships.
 * A profile says which of the catalogue's rules that protocol contains and cites its own clauses.
 *
 * Semantics (applied by the engine; `isRuleEnabled` and `ruleClauses` below implement them):
 * - Without a profile, every rule is on unless the council's `rules:` turns it off, and findings
 *   cite the catalogue's clauses.
 * - With a profile, a rule the profile lists is on unless the council's `rules:` turns it off; a
 *   rule the profile does not list is off unless the council's `rules:` turns it on (`on`, or a
 *   setting object, whose `enabled` defaults to true).
 * - Findings cite the profile's clauses for the rule; the council's own `clauses:` for a rule
 *   always win over both the profile and the catalogue.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { z } from 'zod';
import { RULE_IDS, type RuleId, type RuleSetting } from './schema.js';
import { ConfigError, formatPath, issueProblems } from './errors.js';


export const PROTOCOL_FILES = ['000', '001', '002', '003', '004'] as const;

const ProfileRuleSchema = z
  .object({
    /** The protocol's own paragraph numbers for this rule, e.g. ["12.1"] or ["9.2c"]. */
    clauses: z.array(z.string().regex(/^\d+(\.\d+)*[a-z]?$/, { message: 'expected a clause number such as 12.1 or 9.2c' })).min(1),
    /** A few words of the clause, quoted, so a reader sees why the rule belongs to this protocol. */
    why: z.string().min(1),
  })
  .strict();

export const ProtocolProfileSchema = z
  .object({
    /** The council and the document's title. */
    name: z.string().min(1),
    /** The protocol file's prefix in the shared protocols folder (000 … 004). */
    file: z.enum(PROTOCOL_FILES),
    /** The protocol text's file name. */
    source: z.string().min(1),
    rules: z
      .partialRecord(z.enum(RULE_IDS), ProfileRuleSchema)
      .refine((rules) => Object.keys(rules).length > 0, { message: 'expected at least one rule' }),
  })
  .strict();

export type ProtocolProfile = z.infer<typeof ProtocolProfileSchema> & {
  /** The profile's name as written after `protocol:` (its file name without .yaml). */
  id: string;
};

const PROFILE_NAME = /^[a-z0-9-]+$/;

/** The installed package's root: the nearest folder above this module holding package.json (works from src/ and dist/). */
export function packageRoot(fromUrl: string = import.meta.url): string {
  let dir = path.dirname(fileURLToPath(fromUrl));
  for (;;) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`Wardwatch cannot find its installation folder (no package.json above ${fileURLToPath(fromUrl)}).`);
    dir = parent;
  }
}

/** Where the shipped profiles live. */
export function protocolsDir(): string {
  return path.join(packageRoot(), 'config', 'protocols');
}

/** The names of the shipped profiles, sorted. */
export function listProfiles(): string[] {
  const dir = protocolsDir();
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.slice(0, -'.yaml'.length))
    .filter((name) => PROFILE_NAME.test(name))
    .sort();
}

/** Load and validate one shipped profile. Throws an Error naming the available profiles when there is none by that name. */
export function loadProfile(name: string): ProtocolProfile {
  const available = listProfiles();
  if (!PROFILE_NAME.test(name) || !available.includes(name)) {
    throw new Error(`There is no protocol profile named "${name}". The profiles are: ${available.join(', ')}.`);
  }
  const file = path.join(protocolsDir(), `${name}.yaml`);
  const shown = `config/protocols/${name}.yaml`;
  let data: unknown;
  try {
    data = parse(readFileSync(file, 'utf8'));
  } catch (err) {
    const reason = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new ConfigError([{ file: shown, path: '', message: `the protocol profile ${shown} cannot be read: ${reason}` }]);
  }
  const parsed = ProtocolProfileSchema.safeParse(data);
  if (!parsed.success) {
    throw new ConfigError(issueProblems(parsed.error.issues, { schema: ProtocolProfileSchema, input: data }).map((p) => ({ file: shown, path: formatPath(p.path), message: p.message })));
  }
  return { id: name, ...parsed.data };
}

/** Whether a rule runs, given the council's setting for it and the chosen profile (see the semantics above). */
export function isRuleEnabled(rule: RuleId, setting: RuleSetting | undefined, profile?: ProtocolProfile): boolean {
  if (setting === 'off') return false;
  if (setting === 'on') return true;
  if (setting !== undefined) return setting.enabled;
  return profile === undefined || profile.rules[rule] !== undefined;
}

/**
 * The clauses a rule's findings cite: the council's own `clauses:` first, then the profile's.
 * Undefined means "no override": the engine cites the catalogue's clauses.
 */
export function ruleClauses(rule: RuleId, setting: RuleSetting | undefined, profile?: ProtocolProfile): string[] | undefined {
  if (typeof setting === 'object' && setting.clauses !== undefined) return [...setting.clauses];
  const fromProfile = profile?.rules[rule]?.clauses;
  return fromProfile === undefined ? undefined : [...fromProfile];
}

/** The profile as the engine's rule settings take it: its name and each rule's clauses. */
export function profileClauseMap(profile: ProtocolProfile): { name: string; rules: ReadonlyMap<RuleId, string[]> } {
  const rules = new Map<RuleId, string[]>();
  for (const id of RULE_IDS) {
    const entry = profile.rules[id];
    if (entry !== undefined) rules.set(id, [...entry.clauses]);
  }
  return { name: profile.id, rules };
}
