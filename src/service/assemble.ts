/**
 * Builds the service from a loaded configuration: the state store, the mail sender, the sources,
 * the actions executor, the digest schedule and the Clerk's console (its pages, and the Clerk's
 * actions they call). Used by `wardwatch run`, the tests and the bench.
 */
import path from 'node:path';
import { createExecutor } from '../actions/executor.js';
import { createSender } from '../actions/senders.js';
import { formatProblem } from '../config/errors.js';
import { consolePages } from '../console/pages/index.js';
import { templateProblems } from '../config/verify.js';
import type { Setup } from '../model/setup.js';
import { DigestScheduler } from '../digest/scheduler.js';
import type { ConnectorModule } from '../sources/connector-module.js';
import { CONNECTOR_MODULES, connectorModule, unknownConnectorMessage } from '../../connectors/index.js';
import type { MailSender } from '../sources/types.js';
import { planningContextFrom } from '../outbox/outbox.js';
import { ClerkActions } from '../review/clerk-actions.js';
import { openStore } from '../store/open.js';
import type { Store } from '../store/types.js';
import type { ServiceLogger } from './logger.js';
import { errorMessage } from './logger.js';
import { Service, type ServiceConsole, type ServiceTuning } from './service.js';
import { configuredSources, type ConfiguredSources } from './sources.js';

/** The service cannot be built; `exitCode` 2 for a configuration problem, 1 otherwise. */
export class AssembleError extends Error {
  override readonly name = 'AssembleError';
  constructor(
    message: string,
    readonly exitCode: 1 | 2,
  ) {
    super(message);
  }
}

/** "No source to watch: give --source DIR, or set connectors.folder.dir (or connectors.imap) in council.yaml." */
function noSourceMessage(file: string): string {
  const local = CONNECTOR_MODULES.filter((m) => m.readsSourceDir === true).map((m) => `connectors.${m.name}.dir`);
  const others = CONNECTOR_MODULES.filter((m) => m.readsSourceDir !== true).map((m) => `connectors.${m.name}`);
  return `No source to watch: give --source DIR, or set ${local.join(' or ')}${others.length > 0 ? ` (or ${others.join(' or ')})` : ''} in ${file}.`;
}

export interface AssembleOptions {
  /** The folder given with --source DIR or configured (already resolved), for the connector that reads one; absent: none. */
  sourceDir?: string;
  logger: ServiceLogger;
  now?: () => Date;
  tuning?: ServiceTuning;
  /** The connector modules to choose from (default: the registry's). */
  modules?: readonly ConnectorModule[];
  /** Settings for tests and benchmarks by connector name (a folder's poll interval, say), checked by each module. */
  connectorTuning?: Readonly<Record<string, unknown>>;
  /** Override where /healthz and /metrics listen; `false` for none. */
  http?: { host: string; port: number } | false;
  /** The console's environment (for console.oidc.clientSecret), rate limits and single sign-on client, for tests. */
  console?: Pick<ServiceConsole, 'env' | 'oidc' | 'rateLimit'>;
}

export interface AssembledService {
  service: Service;
  store: Store;
  /** Where the store is (its file), for messages about it. */
  storePath: string;
  sender: MailSender;
  sources: ConfiguredSources;
}

export async function assembleService(setup: Setup, options: AssembleOptions): Promise<AssembledService> {
  const { loaded, engine } = setup;
  const config = loaded.config;

  const logger = options.logger;
  // The Clerk's own templates are checked before anything else: a broken one stops the service
  // before anything is sent (the CLI's loader checks them too; this covers every other caller).
  const templateLines = templateProblems(config, loaded.dir).map((p) => ('file' in p ? formatProblem(p) : `${loaded.file} templates.dir: ${p.message}`));
  if (templateLines.length > 0) {
    throw new AssembleError(`${templateLines.join('\n')}\nWardwatch has not started: please correct the templates (wardwatch templates check --config ${loaded.file} checks them).`, 2);
  }
  const senderConnector = config.sender.kind === 'connector' ? config.sender.connector : undefined;
  const knows = (name: string): boolean => (options.modules ? options.modules.some((m) => m.name === name) : connectorModule(name) !== undefined);
  if (senderConnector !== undefined && !knows(senderConnector)) {
    throw new AssembleError(`sender.connector: ${unknownConnectorMessage(senderConnector)}.`, 2);
  }
  let fileOrSmtp: MailSender | undefined;
  if (senderConnector === undefined) {
    try {
      fileOrSmtp = createSender(config, loaded.dir);
    } catch (err) {
      throw new AssembleError(errorMessage(err), 2);
    }
  }

  const file = path.resolve(loaded.dir, config.store.path);
  let store: Store;
  try {
    store = openStore(file);
  } catch (err) {
    throw new AssembleError(`Wardwatch cannot open its state file ${file}: ${errorMessage(err)}`, 1);
  }

  let sources: ConfiguredSources;
  try {
    sources = await configuredSources(loaded, options.sourceDir, store, {
      logger,
      ...(options.connectorTuning ? { tuning: options.connectorTuning } : {}),
      ...(options.now ? { now: options.now } : {}),
      ...(options.modules ? { modules: options.modules } : {}),
    });
  } catch (err) {
    await store.close();
    throw new AssembleError(errorMessage(err), 2);
  }
  if (sources.sources.length === 0) {
    await sources.close();
    await store.close();
    throw new AssembleError(noSourceMessage(loaded.file), 2);
  }
  let sender: MailSender;
  if (fileOrSmtp) {
    sender = fileOrSmtp;
  } else {
    const name = senderConnector ?? '';
    const through = sources.connector(name);
    if (through?.sender === undefined) {
      await sources.close();
      await store.close();
      throw new AssembleError(
        through?.cannotSend ??
          `sender.kind is "connector" with the ${name} connector, but connectors.${name} is not configured. Please configure it, or choose sender.kind "file" or "smtp".`,
        2,
      );
    }
    sender = through.sender;
  }

  const now = options.now ?? ((): Date => new Date());
  const templatesDir = config.templates ? path.resolve(loaded.dir, config.templates.dir) : undefined;
  const withTemplates = templatesDir !== undefined ? { templatesDir } : {};
  const executor = createExecutor({ store, engine, config, sender, calendarOwner: sources.calendarOwner, ...withTemplates, now, logger });
  // The digest lists what stops the service (a damaged or full state file, a stuck outbox, a refusing sender).
  let health: (() => ReturnType<Service['health']>) | undefined;
  const serviceProblems = async (): Promise<Awaited<ReturnType<Service['health']>>['problems']> => {
    try {
      return (await health?.())?.problems ?? [];
    } catch {
      // The store cannot be read at all: the digest cannot be built either, and says so itself.
      return [];
    }
  };
  const digest = new DigestScheduler({ store, engine, config, sender, serviceProblems, ...withTemplates, logger }, { clock: now });
  const actions = new ClerkActions({ store, planning: planningContextFrom(config, engine.directory), clock: now });
  let service: Service;
  try {
    service = new Service({
      config,
      engine,
      store,
      sender,
      sources: sources.sources,
      routes: sources.routes,
      jobs: sources.jobs,
      executor,
      digest,
      logger,
      watchSources: sources.watch,
      now,
      console: { actions, preview: (effect) => executor.preview(effect), routes: consolePages, ...options.console },
      ...(options.http !== undefined ? { http: options.http } : {}),
      ...(options.tuning ? { tuning: options.tuning } : {}),
    });
  } catch (err) {
    // The console's single sign-on secret is missing from the environment, say.
    await sources.close();
    await store.close();
    throw new AssembleError(errorMessage(err), 2);
  }
  health = () => service.health();
  return { service, store, storePath: file, sender, sources };
}
