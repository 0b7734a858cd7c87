/** Shared by the commands that evaluate: load the config, build the engine, find the source. */
import path from 'node:path';
import type { ZodType } from 'zod';
import { loadConfig, type LoadedConfig } from '../config/load.js';
import type { ProtocolProfile } from '../config/profiles.js';
import type { RuleId } from '../config/schema.js';
import { Engine } from '../engine/engine.js';
import type { ProfileClauses } from '../engine/rule-settings.js';
import { allRules } from '../rules/index.js';

export function ruleOptionSchemas(): Map<RuleId, ZodType> {
  return new Map(allRules.map((r) => [r.meta.id, r.meta.options as ZodType]));
}

export function profileClauses(profile: ProtocolProfile | undefined): ProfileClauses | undefined {
  if (!profile) return undefined;
  const rules = new Map<RuleId, string[]>();
  for (const [id, entry] of Object.entries(profile.rules) as [RuleId, { clauses: string[] } | undefined][]) {
    if (entry) rules.set(id, [...entry.clauses]);
  }
  return { name: profile.id, rules };
}

export interface Setup {
  loaded: LoadedConfig;
  engine: Engine;
}

/** Throws ConfigError on an invalid file (the caller prints it and exits 2). */
export function setupEngine(configFile: string): Setup {
  const loaded = loadConfig(configFile, { ruleOptionSchemas: ruleOptionSchemas() });
  const profile = profileClauses(loaded.profile);
  const engine = new Engine(loaded.config, profile ? { profile } : {});
  return { loaded, engine };
}

/** The folder source: --source wins, else connectors.folder.dir relative to the config file. */
export function folderSourceDir(loaded: LoadedConfig, sourceOption: string | undefined): string | undefined {
  if (sourceOption) return path.resolve(sourceOption);
  const dir = loaded.config.connectors.folder?.dir;
  return dir ? path.resolve(loaded.dir, dir) : undefined;
}

/** --now must be an ISO 8601 instant; returns a normalized ISO string or an error message. */
export function parseNow(value: string | undefined): { now: string } | { error: string } {
  if (value === undefined) return { now: new Date().toISOString() };
  const t = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(t)) {
    return { error: `--now: expected an ISO 8601 date-time such as 2027-04-12T09:00:00Z, got "${value}"` };
  }
  return { now: new Date(t).toISOString() };
}
