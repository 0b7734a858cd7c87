/**
 * `wardwatch check --config FILE [--source DIR] [--now ISO] [--json]`: one pass over the folder
 * source, every enabled rule, no action taken. Exit 0: no findings; 1: findings; 2: bad usage
 * or invalid config.
 */
import type { Command } from 'commander';
import { readFolderSource } from '../../connectors/folder/read.js';
import { checkSource } from '../pipeline/check.js';
import { formatCheckReport, problemLines, timesSuffix } from '../output/report.js';
import { forTerminal } from '../output/terminal.js';
import { setupFolderCommand } from './engine-setup.js';
import { processIO, type CommandIO } from './io.js';

export interface CheckOptions {
  config: string;
  source?: string;
  now?: string;
  json?: boolean;
}

export async function runCheck(opts: CheckOptions, io: CommandIO = processIO): Promise<number> {
  const ready = setupFolderCommand(opts, io);
  if (typeof ready === 'number') return ready;
  const { engine, loaded, dir, now } = ready;
  const result = await checkSource(engine, readFolderSource(dir), { now });
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
    for (const n of result.notices) io.err(forTerminal(`${n.kind === 'needs-human' ? 'needs a human' : 'possible spoofing'}: ${n.item.kind} ${n.item.key}: ${n.message}\n`));
    const { errors, warnings } = problemLines(result.problems);
    for (const p of errors) io.err(forTerminal(`could not read ${p.origin}: ${p.reason}${timesSuffix(p)}\n`));
    for (const p of warnings) io.err(forTerminal(`read with a warning ${p.origin}: ${p.reason}${timesSuffix(p)}\n`));
  } else {
    io.out(
      formatCheckReport(result, {
        council: loaded.config.council.name,
        now,
        ruleOrder: engine.rules.map((r) => r.meta.id),
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
