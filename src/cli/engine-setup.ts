/** Shared by the commands that evaluate: load the config, build the engine, find the source. */
import type { Setup } from '../model/setup.js';
import { configuredSourceDir } from '../../connectors/index.js';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { ZodType } from 'zod';
import { ConfigError } from '../config/errors.js';
import { loadConfig, type LoadedConfig, type LoadOptions } from '../config/load.js';
import type { Environment } from '../config/secrets.js';
import { configWarnings, runtimeProblems } from '../config/verify.js';
import type { CommandIO } from './io.js';
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

export type { Setup } from '../model/setup.js';

/**
 * How every command reads `--config`, so that a file one accepts the others accept too: the
 * schema, each rule's options, and what the service needs to start (the sender, the IMAP
 * connector's settings with their secrets from `env`, the Clerk's own templates).
 */
export function commandLoadOptions(env: Environment = process.env): LoadOptions {
  return { ruleOptionSchemas: ruleOptionSchemas(), checks: (config, dir) => runtimeProblems(config, dir, env) };
}

/** The configuration as every command reads it (see `commandLoadOptions`). Throws ConfigError. */
export function loadCommandConfig(configFile: string, env: Environment = process.env): LoadedConfig {
  return loadConfig(configFile, commandLoadOptions(env));
}

/**
 * Throws ConfigError on an invalid file (the caller prints it and exits 2). `checkRuntime` adds
 * the checks every command makes (`commandLoadOptions`); without it only the file itself is checked.
 */
export function setupEngine(configFile: string, opts: { checkRuntime?: boolean; env?: Environment } = {}): Setup {
  const loaded = opts.checkRuntime === true ? loadCommandConfig(configFile, opts.env) : loadConfig(configFile, { ruleOptionSchemas: ruleOptionSchemas() });
  const profile = profileClauses(loaded.profile);
  const engine = new Engine(loaded.config, profile ? { profile } : {});
  return { loaded, engine };
}

/** The folder source: --source wins, else connectors.folder.dir relative to the config file. */
export function folderSourceDir(loaded: LoadedConfig, sourceOption: string | undefined): string | undefined {
  if (sourceOption) return path.resolve(sourceOption);
  const dir = configuredSourceDir(loaded.config);
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

export interface FolderCommandSetup extends Setup {
  now: string;
  dir: string;
}

/** Print the configuration's warnings (no protocol chosen, …) on standard error. */
export function printConfigWarnings(loaded: LoadedConfig, io: Pick<CommandIO, 'err'>): void {
  for (const warning of configWarnings(loaded.config, loaded.file)) io.err(`${warning}\n`);
}

/** The engine set up from a config file (its warnings printed), or exit code 2 after printing the config's problems. */
export function setupOrExitCode(configFile: string, io: CommandIO): Setup | number {
  try {
    const setup = setupEngine(configFile, { checkRuntime: true });
    printConfigWarnings(setup.loaded, io);
    return setup;
  } catch (err) {
    if (err instanceof ConfigError) {
      io.err(`${err.format()}\n`);
      return 2;
    }
    throw err;
  }
}

/**
 * What `check` and `explain` share: --now, the config (exit 2 with its problems), and the folder
 * source (exit 2 when there is none or it does not exist). Returns the exit code on failure.
 */
export function setupFolderCommand(opts: { config: string; source?: string; now?: string }, io: CommandIO): FolderCommandSetup | number {
  const now = parseNow(opts.now);
  if ('error' in now) {
    io.err(`${now.error}\n`);
    return 2;
  }
  const setup = setupOrExitCode(opts.config, io);
  if (typeof setup === 'number') return setup;
  const dir = folderSourceDir(setup.loaded, opts.source);
  if (!dir) {
    io.err(`No source to read: give --source DIR, or set connectors.folder.dir in ${opts.config}.\n`);
    return 2;
  }
  if (!existsSync(dir)) {
    io.err(`The source folder ${dir} does not exist. Give --source DIR (laid out as DIR/mail/<mailbox>/<folder>/*.eml and DIR/calendars/<calendar-id>/*.ics), or fix connectors.folder.dir in ${opts.config}.\n`);
    return 2;
  }
  return { ...setup, now: now.now, dir };
}
