/**
 * `wardwatch run --config FILE [--source DIR]`: the unattended service. It watches the sources,
 * acts on what it finds, sends the daily digest, logs JSON lines to stdout and answers
 * GET /healthz and GET /metrics on `server.host:server.port`.
 *
 * SIGTERM or SIGINT (Ctrl-C) stops it cleanly: it stops watching, lets the effect under way
 * finish, closes the state store and exits 0. A second signal exits at once (the next start
 * settles whatever was left half-done).
 *
 * Exit codes: 0 stopped cleanly; 1 could not start (state store, port); 2 bad usage, invalid config,
 * or a new or empty state file where Wardwatch has sent mail before (unless --fresh-start).
 * The log level comes from WARDWATCH_LOG_LEVEL (fatal, error, warn, info, debug, trace, silent; default info).
 */
import type { Command } from 'commander';
import { FileSender } from '../actions/file-sender.js';
import { AssembleError, assembleService, type AssembledService } from '../service/assemble.js';
import { decideStart } from '../service/fresh-start.js';
import { createLogger, errorMessage, isLogLevel, type ServiceLogger } from '../service/logger.js';
import { folderSourceDir, setupOrExitCode } from './engine-setup.js';
import { processIO, type CommandIO } from './io.js';

export interface RunOptions {
  config: string;
  source?: string;
  /** Start over a new or empty state file even though Wardwatch has sent mail before (see src/service/fresh-start.ts). */
  freshStart?: boolean;
}

/** What the command waits on to stop; the process's signals by default. */
export interface StopSignals {
  /** Calls `onStop` on the first stop signal and `onForce` on the second. */
  listen(onStop: (signal: string) => void, onForce: (signal: string) => void): () => void;
}

export const processSignals: StopSignals = {
  listen(onStop, onForce) {
    let received = 0;
    const handler = (signal: NodeJS.Signals): void => {
      received += 1;
      if (received === 1) onStop(signal);
      else onForce(signal);
    };
    process.on('SIGTERM', handler);
    process.on('SIGINT', handler);
    return () => {
      process.off('SIGTERM', handler);
      process.off('SIGINT', handler);
    };
  },
};

export interface RunDeps {
  io?: CommandIO;
  signals?: StopSignals;
  logger?: ServiceLogger;
  /** Leave at once on a second signal (default: process.exit(130)). */
  forceExit?: () => void;
}

export async function runService(opts: RunOptions, deps: RunDeps = {}): Promise<number> {
  const io = deps.io ?? processIO;
  const level = process.env['WARDWATCH_LOG_LEVEL'];
  const logger = deps.logger ?? createLogger(isLogLevel(level) ? { level } : {});

  // Take over the stop signals first, so that one arriving during start-up also stops cleanly.
  let stopRequested = false;
  let requestStop: () => void = () => undefined;
  const stopSignal = new Promise<void>((resolve) => {
    requestStop = resolve;
  });
  const unlisten = (deps.signals ?? processSignals).listen(
    (signal) => {
      logger.info({ signal }, 'stop requested; press Ctrl-C again to stop at once');
      stopRequested = true;
      requestStop();
    },
    (signal) => {
      logger.warn({ signal }, 'second stop signal: stopping at once');
      (deps.forceExit ?? (() => process.exit(130)))();
    },
  );
  try {
    return await runUntilStopped(opts, io, logger, () => stopRequested, stopSignal);
  } finally {
    unlisten();
  }
}

async function runUntilStopped(opts: RunOptions, io: CommandIO, logger: ServiceLogger, stopRequested: () => boolean, stopSignal: Promise<void>): Promise<number> {
  const setup = setupOrExitCode(opts.config, io);
  if (typeof setup === 'number') return setup;
  const folderDir = folderSourceDir(setup.loaded, opts.source);

  let assembled: AssembledService;
  try {
    assembled = await assembleService(setup, {
      ...(folderDir !== undefined ? { sourceDir: folderDir } : {}),
      logger,
    });
  } catch (err) {
    if (err instanceof AssembleError) {
      io.err(`${err.message}\n`);
      return err.exitCode;
    }
    throw err;
  }
  const { service, sender, store, storePath } = assembled;
  if (stopRequested()) {
    await service.stop();
    return 0;
  }

  try {
    const wasFresh = await store.isFresh();
    const decision = await decideStart(store, storePath, sender, opts.freshStart === true, new Date());
    if (decision.refusal !== undefined) {
      logger.error({ stateFile: storePath }, 'refused to start over a new state file: Wardwatch has sent mail before');
      io.err(`${decision.refusal}\n`);
      await service.stop().catch(() => undefined);
      return 2;
    }
    if (opts.freshStart === true && !wasFresh) {
      logger.warn({ stateFile: storePath }, '--fresh-start was given but the state file is in use already: it has been ignored');
    } else if (decision.identity.freshStart !== undefined) {
      logger.warn({ freshStart: decision.identity.freshStart }, 'fresh start: only mail and events newer than now will be acted on');
    }
  } catch (err) {
    logger.error({ error: errorMessage(err) }, 'Wardwatch could not check its state file');
    io.err(`Wardwatch could not start: ${errorMessage(err)}\n`);
    await service.stop().catch(() => undefined);
    return 1;
  }

  if (sender instanceof FileSender) logger.info({ outbox: sender.dir }, 'outgoing mail is written as .eml files to the outbox folder');
  try {
    await service.start();
  } catch (err) {
    logger.error({ error: errorMessage(err) }, 'Wardwatch could not start');
    io.err(`Wardwatch could not start: ${errorMessage(err)}\n`);
    await service.stop().catch(() => undefined);
    return 1;
  }

  await stopSignal;
  try {
    await service.stop();
    return 0;
  } catch (err) {
    logger.error({ error: errorMessage(err) }, 'Wardwatch did not stop cleanly');
    return 1;
  }
}

export function register(program: Command): void {
  program
    .command('run')
    .description('the unattended service: watch the sources, act on findings, send the daily digest (Ctrl-C or SIGTERM stops it)')
    .requiredOption('--config <file>', 'the council configuration (YAML)')
    .option('--source <dir>', 'folder source: DIR/mail/<mailbox>/<folder>/*.eml and DIR/calendars/<calendar-id>/*.ics')
    .option('--fresh-start', 'start over a new or empty state file although Wardwatch has sent mail before: act only on what is newer than now')
    .action(async (opts: RunOptions) => {
      process.exitCode = await runService(opts);
    });
}
