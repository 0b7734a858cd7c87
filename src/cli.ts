/**
 * The `wardwatch` command. Each subcommand lives in src/cli/<name>.ts and exports
 * `register(program)`; adding one is a line in `COMMANDS` below. Only the module of the command
 * being run is loaded (all of them for help or an unknown command): `check` need not wait for the
 * service's, the digest's or the templates' libraries to load.
 * Subcommands must be added with `program.command(…)` so they inherit the exit handling set here.
 *
 * Exit codes: a command's action sets `process.exitCode`; bad usage (unknown command or option,
 * missing argument) exits 2 with commander's message; --help and --version exit 0.
 */
import { errorMessage } from './model/error-message.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { packageRoot } from './config/profiles.js';

function packageVersion(): string {
  const raw: unknown = JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8'));
  if (raw !== null && typeof raw === 'object' && 'version' in raw && typeof raw.version === 'string') return raw.version;
  return 'unknown';
}

type CommandModule = { register(program: Command): void };

/** Every command's module, in the order `--help` lists them. */
const COMMANDS: Record<string, () => Promise<CommandModule>> = {
  validate: () => import('./cli/validate.js'),
  schema: () => import('./cli/schema.js'),
  init: () => import('./cli/init.js'),
  check: () => import('./cli/check.js'),
  explain: () => import('./cli/explain.js'),
  digest: () => import('./cli/digest.js'),
  templates: () => import('./cli/templates.js'),
  run: () => import('./cli/run.js'),
  outbox: () => import('./cli/outbox.js'),
  findings: () => import('./cli/findings.js'),
  users: () => import('./cli/users.js'),
  prune: () => import('./cli/prune.js'),
};

/** The command named on the command line (the first word that is not an option), if it is one of ours. */
function commandNamed(argv: readonly string[]): string | undefined {
  const word = argv.slice(2).find((a) => !a.startsWith('-'));
  return word !== undefined && Object.hasOwn(COMMANDS, word) ? word : undefined;
}

async function registerCommands(program: Command, argv: readonly string[]): Promise<void> {
  const named = commandNamed(argv);
  const loaders = named !== undefined ? [COMMANDS[named]] : Object.values(COMMANDS);
  const modules = await Promise.all(loaders.map((load) => load?.()));
  for (const module of modules) module?.register(program);
}

const USAGE_ERROR = 2;

async function main(argv: readonly string[]): Promise<void> {
  const program = new Command('wardwatch')
    .description("Keeps a council's Member/Officer Protocol: watches mailboxes and calendars, finds breaches, acts courteously.")
    .version(packageVersion())
    .exitOverride()
    .showHelpAfterError('(run wardwatch --help to see the commands and their options)');
  await registerCommands(program, argv);

  try {
    await program.parseAsync([...argv]);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode === 0 ? 0 : USAGE_ERROR;
      return;
    }
    process.stderr.write(`Wardwatch stopped because of an unexpected error: ${errorMessage(err)}\n`);
    process.exitCode = USAGE_ERROR;
  }
}

await main(process.argv);
