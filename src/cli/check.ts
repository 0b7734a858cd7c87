/**
 * `wardwatch check --config FILE [--source DIR] [--now ISO] [--json]`: one pass over the folder
 * source, every enabled rule, no action taken. Exit 0: no findings; 1: findings; 2: bad usage
 * or invalid config.
 */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { readFolderSource } from '../../connectors/folder/read.js';
import { ConfigError } from '../config/errors.js';
import { checkSource } from '../pipeline/check.js';
import { formatCheckReport } from '../output/report.js';
import { folderSourceDir, parseNow, setupEngine } from './engine-setup.js';
import { processIO, type CommandIO } from './io.js';

export interface CheckOptions {
  config: string;
  source?: string;
  now?: string;
  json?: boolean;
}

export async function runCheck(opts: CheckOptions, io: CommandIO = processIO): Promise<number> {
  const now = parseNow(opts.now);
  if ('error' in now) {
    io.err(`${now.error}\n`);
    return 2;
  }
  let setup;
  try {
    setup = setupEngine(opts.config);
  } catch (err) {
    if (err instanceof ConfigError) {
      io.err(`${err.format()}\n`);
      return 2;
    }
    throw err;
  }
  const dir = folderSourceDir(setup.loaded, opts.source);
  if (!dir) {
    io.err(`No source to check: give --source DIR, or set connectors.folder.dir in ${opts.config}.\n`);
    return 2;
  }
  if (!existsSync(dir)) {
    io.err(`The source folder ${dir} does not exist. Give --source DIR (laid out as DIR/mail/<mailbox>/<folder>/*.eml and DIR/calendars/<calendar-id>/*.ics), or fix connectors.folder.dir in ${opts.config}.\n`);
    return 2;
  }
  const result = await checkSource(setup.engine, readFolderSource(dir), { now: now.now });
  if (opts.json) {
    for (const f of result.findings) {
      io.out(
        `${JSON.stringify({
          rule: f.rule,
          severity: f.severity,
          clauses: f.clauses,
          item: f.item,
          people: f.people,
          summary: f.summary,
          actions: f.actions,
          why: f.why,
        })}\n`,
      );
    }
    for (const n of result.notices) io.err(`${n.kind === 'needs-human' ? 'needs a human' : 'possible spoofing'}: ${n.item.kind} ${n.item.key}: ${n.message}\n`);
    for (const p of result.problems) io.err(`could not read ${p.origin}: ${p.reason}\n`);
  } else {
    io.out(
      formatCheckReport(result, {
        council: setup.loaded.config.council.name,
        now: now.now,
        ruleOrder: setup.engine.rules.map((r) => r.meta.id),
      }),
    );
  }
  return result.findings.length > 0 ? 1 : 0;
}

export function register(program: Command): void {
  program
    .command('check')
    .description('one pass over the sources: evaluate every enabled rule and print the findings; takes no action')
    .requiredOption('--config <file>', 'the council configuration (YAML)')
    .option('--source <dir>', 'folder source: DIR/mail/<mailbox>/<folder>/*.eml and DIR/calendars/<calendar-id>/*.ics')
    .option('--now <iso>', 'evaluate as at this instant (ISO 8601), e.g. 2027-04-12T09:00:00Z')
    .option('--json', 'one JSON finding per line')
    .action(async (opts: CheckOptions) => {
      process.exitCode = await runCheck(opts);
    });
}
