/**
 * `wardwatch validate --config FILE`: check the configuration and say, in one line, what it holds.
 * Exit 0 when it is valid, 2 (problems on stderr, one line each) when it is not.
 */
import { errorMessage } from '../model/error-message.js';
import type { Command } from 'commander';
import { CONNECTOR_MODULES, configuredModules } from '../../connectors/index.js';
import { ConfigError } from '../config/errors.js';
import type { LoadedConfig } from '../config/load.js';
import { isRuleEnabled } from '../config/profiles.js';
import type { Environment } from '../config/secrets.js';
import { configWarnings } from '../config/verify.js';
import { setupEngine } from './engine-setup.js';
import { RULE_IDS } from '../config/schema.js';
import { processOutput, type CommandOutput } from './output.js';

function count(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** "9 people (1 clerk, 3 officers, 5 members), 3 wards, 2 elections, 16 rules on (profile: knutsford)" */
export function describeConfig(loaded: LoadedConfig): string {
  const { config, profile } = loaded;
  const roles = (role: string): number => config.people.filter((p) => p.role === role).length;
  const rulesOn = RULE_IDS.filter((id) => isRuleEnabled(id, config.rules[id], profile)).length;
  return (
    `${count(config.people.length, 'person', 'people')} ` +
    `(${count(roles('clerk'), 'clerk', 'clerks')}, ${count(roles('officer'), 'officer', 'officers')}, ${count(roles('member'), 'member', 'members')}), ` +
    `${count(config.wards.length, 'ward', 'wards')}, ${count(config.elections.length, 'election', 'elections')}, ` +
    `${count(rulesOn, 'rule', 'rules')} on ` +
    (profile !== undefined ? `(profile: ${profile.id})` : '(no protocol profile)')
  );
}

/**
 * What `check` and `run` say only when they are given the file (they know whether --source was
 * given; validate does not): no source to read.
 */
function sourceWarnings(config: LoadedConfig['config'], file: string): string[] {
  const warnings: string[] = [];
  if (configuredModules(config).length === 0) {
    const names = CONNECTOR_MODULES.map((m) => `connectors.${m.name}`).sort();
    const listed = names.length > 1 ? `${names.slice(0, -1).join(', ')} or ${names[names.length - 1] ?? ''}` : names.join('');
    warnings.push(`${file}: warning: no source is configured (${listed}), so check and run will need --source DIR.`);
  }
  return warnings;
}

/**
 * Check `file` exactly as `check` and `run` read it (`commandLoadOptions`: rule options, the
 * sender, the IMAP settings with their secrets from `env`, the Clerk's own templates); returns the exit code.
 */
export function runValidate(file: string, output: CommandOutput = processOutput, env: Environment = process.env): number {
  try {
    // The very function check and run set up with: the file, then the engine built from it.
    const { loaded } = setupEngine(file, { checkRuntime: true, env });
    for (const warning of [...configWarnings(loaded.config, file), ...sourceWarnings(loaded.config, file)]) output.err(`${warning}\n`);
    output.out(`${file} is valid: ${describeConfig(loaded)}\n`);
    return 0;
  } catch (err) {
    if (err instanceof ConfigError) {
      const n = err.problems.length;
      output.err(`${err.format()}\n`);
      output.err(`${file} has ${count(n, 'problem', 'problems')}; please correct ${n === 1 ? 'it' : 'them'} and run wardwatch validate again.\n`);
      return 2;
    }
    output.err(`Wardwatch could not check ${file}: ${errorMessage(err)}\n`);
    return 2;
  }
}

export function register(program: Command): void {
  program
    .command('validate')
    .description('check the configuration file and summarise what it contains')
    .requiredOption('-c, --config <file>', 'the configuration file, e.g. council.yaml')
    .action((options: { config: string }) => {
      process.exitCode = runValidate(options.config, processOutput);
    });
}
