/**
 * The `wardwatch` command. Each subcommand lives in src/cli/<name>.ts and exports
 * `register(program)`; adding one is an import and a line in `registerCommands` below.
 * Subcommands must be added with `program.command(…)` so they inherit the exit handling set here.
 *
 * Exit codes: a command's action sets `process.exitCode`; bad usage (unknown command or option,
 * missing argument) exits 2 with commander's message; --help and --version exit 0.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { packageRoot } from './config/profiles.js';
import { register as registerInit } from './cli/init.js';
import { register as registerSchema } from './cli/schema.js';
import { register as registerValidate } from './cli/validate.js';
import { register as registerCheck } from './cli/check.js';
import { register as registerExplain } from './cli/explain.js';
import { register as registerDigest } from './cli/digest.js';
import { register as registerTemplates } from './cli/templates.js';
import { register as registerRun } from './cli/run.js';
import { register as registerOutboxDoubt } from './cli/outbox-doubt.js';

function packageVersion(): string {
  const raw: unknown = JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8'));
  if (raw !== null && typeof raw === 'object' && 'version' in raw && typeof raw.version === 'string') return raw.version;
  return 'unknown';
}

function registerCommands(program: Command): void {
  registerValidate(program);
  registerSchema(program);
  registerInit(program);
  registerCheck(program);
  registerExplain(program);
  registerDigest(program);
  registerTemplates(program);
  registerRun(program);
  registerOutboxDoubt(program);
}

const USAGE_ERROR = 2;

async function main(argv: readonly string[]): Promise<void> {
  const program = new Command('wardwatch')
    .description("Keeps a council's Member/Officer Protocol: watches mailboxes and calendars, finds breaches, acts courteously.")
    .version(packageVersion())
    .exitOverride()
    .showHelpAfterError('(run wardwatch --help to see the commands and their options)');
  registerCommands(program);

  try {
    await program.parseAsync([...argv]);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode === 0 ? 0 : USAGE_ERROR;
      return;
    }
    process.stderr.write(`Wardwatch stopped because of an unexpected error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = USAGE_ERROR;
  }
}

await main(process.argv);
