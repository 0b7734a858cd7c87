/**
 * The connectors this installation has: the one list the service, the config loader and
 * `validate` read. A new connector is a folder `connectors/<name>/` whose index.ts exports a
 * ConnectorModule, and one line here. Modules are light to import: each loads its libraries
 * inside `create`.
 */
import type { z } from 'zod';
import type { Config } from '../src/config/schema.js';
import type { Environment } from '../src/config/secrets.js';
import type { ConnectorModule } from '../src/sources/connector-module.js';
import { folderModule } from './folder/index.js';
import { googleModule } from './google/index.js';
import { graphModule } from './graph/index.js';
import { imapModule } from './imap/index.js';

export const CONNECTOR_MODULES: readonly ConnectorModule[] = [graphModule, googleModule, imapModule, folderModule];

export function connectorModule(name: string): ConnectorModule | undefined {
  return CONNECTOR_MODULES.find((m) => m.name === name);
}

function listed(names: readonly string[]): string {
  return names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names[names.length - 1] ?? ''}` : names.join('');
}

/** "there is no connector called "exchange": the connectors available are folder, google, graph and imap". */
export function unknownConnectorMessage(name: string): string {
  return `there is no connector called "${name}": the connectors available are ${listed(CONNECTOR_MODULES.map((m) => m.name).sort())}`;
}

/** A problem with one connector's section: the path inside `connectors`, and what to change. */
export interface SectionIssue {
  path: (string | number)[];
  message: string;
}

/**
 * Validates every section under `connectors:` with its module's schema and puts the parsed
 * settings (defaults filled in) in its place; an unknown name is an issue listing the available
 * ones.
 */
export function checkConnectorSections(connectors: Record<string, unknown>): { module: ConnectorModule; issues: z.core.$ZodIssue[] }[] {
  const failed: { module: ConnectorModule; issues: z.core.$ZodIssue[] }[] = [];
  for (const [name, section] of Object.entries(connectors)) {
    const module = connectorModule(name);
    if (module === undefined) continue;
    const parsed = module.configSchema.safeParse(section);
    if (parsed.success) connectors[name] = parsed.data;
    else failed.push({ module, issues: parsed.error.issues });
  }
  return failed;
}

/** Names under `connectors:` that no registered connector has. */
export function unknownConnectorNames(connectors: Record<string, unknown>): string[] {
  return Object.keys(connectors).filter((name) => connectorModule(name) === undefined);
}

/** The connectors the config configures, in the registry's order. */
export function configuredModules(config: Config): ConnectorModule[] {
  return CONNECTOR_MODULES.filter((m) => config.connectors[m.name] !== undefined);
}

/** The folder the config's folder-reading connector reads, as written (relative to the config file). */
export function configuredSourceDir(config: Config): string | undefined {
  for (const m of CONNECTOR_MODULES) {
    const section = config.connectors[m.name];
    if (!m.readsSourceDir || section === undefined || m.sourceDirOf === undefined) continue;
    const dir = m.sourceDirOf(section);
    if (dir !== undefined) return dir;
  }
  return undefined;
}

/**
 * The configuration as one connector sees it: the watched mailboxes another configured connector
 * names as its own are left out of `mailboxes`, so each mailbox is read by one connector.
 */
export function configForConnector(module: ConnectorModule, config: Config): Config {
  const claimed = new Set<string>();
  for (const other of configuredModules(config)) {
    if (other === module) continue;
    for (const address of other.claimedMailboxes?.(config.connectors[other.name]) ?? []) claimed.add(address.toLowerCase());
  }
  if (claimed.size === 0) return config;
  return { ...config, mailboxes: config.mailboxes.filter((m) => !claimed.has(m.address.toLowerCase())) };
}

/** Problems `validate` reports beyond the schemas (secrets, calendars), one per configured connector section. */
export function connectorRuntimeProblems(config: Config, env: Environment, configDir: string): { name: string; message: string }[] {
  const out: { name: string; message: string }[] = [];
  for (const m of configuredModules(config)) {
    for (const message of m.verify?.(config.connectors[m.name], configForConnector(m, config), env, configDir) ?? []) out.push({ name: m.name, message });
  }
  return out;
}
