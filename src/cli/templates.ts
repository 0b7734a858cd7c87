/**
 * `wardwatch templates …`: look at the messages Wardwatch sends.
 * - `templates list [--config FILE]`: every template name, what it is for, and which ones the
 *   council's own folder (`templates.dir`) replaces.
 * - `templates preview NAME [--html] [--config FILE]`: render one with sample data; with --config,
 *   as the service would send it for that council: its name and Clerk, its protocol profile's (or
 *   its own) clause numbers and severities, and its own templates. Unknown name: exit 2.
 * - `templates check [--config FILE]`: check the council's own templates (or the built-in ones).
 */
import { errorMessage } from '../model/error-message.js';
import path from 'node:path';
import type { Command } from 'commander';
import { ConfigError, suggest } from '../config/errors.js';
import { loadConfig } from '../config/load.js';
import { isRuleId, RULE_IDS, type RuleId } from '../config/schema.js';
import { resolveRuleSettings, type RuleSettings } from '../engine/rule-settings.js';
import { allRules } from '../rules/index.js';
import { describeClauses } from '../templates/wording.js';
import { profileClauses, ruleOptionSchemas } from './engine-setup.js';
import { councilData, type CouncilData } from '../templates/data.js';
import { sampleData } from '../templates/samples.js';
import { ruleTitle } from '../templates/guidance.js';
import { isRuleTemplateName, isTemplateName, TEMPLATE_NAMES, type TemplateName } from '../templates/names.js';
import { checkTemplates, formatTemplateProblem, renderTemplate, templateSource, TemplateError } from '../templates/render.js';
import { processOutput, type CommandOutput } from './output.js';

const USAGE = 2;

const SHARED_PURPOSE: Readonly<Record<Exclude<TemplateName, RuleId>, string>> = {
  'invite-ward-members.notify': 'tells the organiser which ward members were invited',
  'notify-ward-members-of-consultations.notify': "tells a ward's members about a consultation affecting the ward",
  'notify-ward-members-of-visits.notify': "tells a ward's members about another councillor's visit",
  'no-officers-at-surgeries.notify': 'tells an officer invited to a ward surgery that attendance is not expected',
  'party-group-attendance-authorised.notify': "tells an officer invited to a party-group meeting that the Clerk's authorisation comes first",
  'clerk-notice': 'tells the Clerk what happened, which clause, and what Wardwatch did',
  'authorisation-request': "asks the Clerk to authorise or decline officers' attendance at a party-group meeting",
  'routed-copy': 'cover note to the Clerk, with the original message attached',
  invitation: 'invites a ward member to a Council public meeting in their ward',
  'booking-declined': 'tells the organiser a room booking was declined in the pre-election period',
  'nudge-summary': "folds several of one day's notes for one person into one message",
  digest: "the Clerk's daily digest",
  'clerk-summary': "folds the Clerk's further routed copies and notices of a day into one message",
};

/** What a template is for, in a few words. */
export function templatePurpose(name: TemplateName): string {
  return isRuleTemplateName(name) ? `nudge or warning: ${ruleTitle(name)}` : SHARED_PURPOSE[name];
}

interface CouncilTemplates {
  overrideDir?: string;
  council?: CouncilData;
  /** Each rule's settings for this council (its profile's clauses, its own clauses and severities). */
  settings?: ReadonlyMap<RuleId, RuleSettings>;
  /** The profile's name, when the council chose one. */
  profile?: string;
}

/**
 * The council's folder of templates, its details and its rules' settings, from --config;
 * undefined after reporting a problem. The file's layout and rule options are checked as every
 * command checks them; the secrets a sender needs are not, since nothing is sent.
 */
function fromConfig(file: string | undefined, output: CommandOutput): CouncilTemplates | undefined {
  if (file === undefined) return {};
  try {
    const loaded = loadConfig(file, { ruleOptionSchemas: ruleOptionSchemas() });
    const dir = loaded.config.templates?.dir;
    const profile = profileClauses(loaded.profile);
    return {
      council: councilData(loaded.config),
      settings: resolveRuleSettings(allRules, loaded.config, profile),
      ...(profile !== undefined ? { profile: profile.name } : {}),
      ...(dir !== undefined ? { overrideDir: path.resolve(loaded.dir, dir) } : {}),
    };
  } catch (err) {
    if (err instanceof ConfigError) {
      output.err(`${err.format()}\n`);
      output.err(`Please correct ${file} (wardwatch validate --config ${file} explains each problem).\n`);
      return undefined;
    }
    output.err(`Wardwatch could not read ${file}: ${errorMessage(err)}\n`);
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

const TITLE_RULES: ReadonlyMap<string, RuleId> = new Map(RULE_IDS.map((id) => [ruleTitle(id), id]));

/**
 * The sample data with the council's own settings, as the service would fill them in: each
 * finding's clauses (the profile's, or the council's own \`clauses:\`, or the catalogue's) and a
 * severity the council configured. Every part of the data that names a rule (by id, or by title
 * where only the title is given) is brought into line.
 */
export function withCouncilSettings<T>(data: T, settings: ReadonlyMap<RuleId, RuleSettings>): T {
  const visit = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(visit);
    if (!isRecord(value)) return value;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = visit(v);
    const rawRule = out['rule'];
    const rule =
      typeof rawRule === 'string' && isRuleId(rawRule)
        ? rawRule
        : typeof out['ruleTitle'] === 'string' && rawRule === undefined
          ? TITLE_RULES.get(out['ruleTitle'])
          : undefined;
    const setting = rule !== undefined ? settings.get(rule) : undefined;
    if (setting === undefined) return out;
    if ('clauses' in out) out['clauses'] = [...setting.clauses];
    if ('clauseText' in out) out['clauseText'] = describeClauses(setting.clauses);
    if (setting.configuredSeverity !== undefined && 'severity' in out) {
      out['severity'] = setting.configuredSeverity;
      if ('warning' in out) out['warning'] = setting.configuredSeverity !== 'info';
    }
    return out;
  };
  return visit(data) as T;
}

/** The rule a template is about, when it is about one. */
function ruleOfTemplate(name: TemplateName): RuleId | undefined {
  if (isRuleTemplateName(name)) return name;
  const prefix = name.split('.')[0] ?? '';
  return isRuleId(prefix) ? prefix : undefined;
}

export interface PreviewOptions {
  html?: boolean;
  config?: string;
}

/** Print one template rendered with sample data; returns the exit code. */
export function runPreview(name: string, opts: PreviewOptions, output: CommandOutput = processOutput): number {
  if (!isTemplateName(name)) {
    const close = suggest(name, TEMPLATE_NAMES);
    output.err(`There is no template named "${name}".${close !== undefined ? ` Did you mean "${close}"?` : ''}\n`);
    output.err(`The templates are:\n${TEMPLATE_NAMES.map((n) => `  ${n}\n`).join('')}`);
    return USAGE;
  }
  const council = fromConfig(opts.config, output);
  if (council === undefined) return USAGE;
  const renderOpts = council.overrideDir !== undefined ? { overrideDir: council.overrideDir } : {};
  const sample = sampleData(name, council.council);
  const data = council.settings !== undefined ? withCouncilSettings(sample, council.settings) : sample;
  const rule = ruleOfTemplate(name);
  const setting = rule !== undefined ? council.settings?.get(rule) : undefined;
  if (rule !== undefined && setting !== undefined && !setting.enabled) {
    output.err(
      `Note: the rule ${rule} is off for this council${council.profile !== undefined ? ` (protocol ${council.profile} does not contain it, or rules: turns it off)` : ' (rules: turns it off)'}, ` +
        'so this message is never sent; it is shown as it would be if the rule were on.\n',
    );
  }
  try {
    const message = renderTemplate(name, data, renderOpts);
    output.out(`Subject: ${message.subject}\n\n--- text ---\n${message.text}`);
    if (opts.html === true) output.out(`\n--- html ---\n${message.html}`);
    return 0;
  } catch (err) {
    if (err instanceof TemplateError) {
      output.err(`The template "${name}" cannot be rendered:\n${err.problems.map((p) => `  ${formatTemplateProblem(p)}\n`).join('')}`);
      return USAGE;
    }
    throw err;
  }
}

/** Print every template name with its purpose; with --config, mark the council's own versions. */
export function runList(opts: { config?: string }, output: CommandOutput = processOutput): number {
  const council = fromConfig(opts.config, output);
  if (council === undefined) return USAGE;
  const width = Math.max(...TEMPLATE_NAMES.map((n) => n.length));
  for (const name of TEMPLATE_NAMES) {
    const own =
      council.overrideDir !== undefined && templateSource(name, { overrideDir: council.overrideDir }).startsWith(council.overrideDir + path.sep)
        ? ' (your own version)'
        : '';
    output.out(`${name.padEnd(width)}  ${templatePurpose(name)}${own}\n`);
  }
  return 0;
}

/** Check the council's own templates (or, without --config or templates.dir, the built-in ones). */
export function runCheck(opts: { config?: string }, output: CommandOutput = processOutput): number {
  const council = fromConfig(opts.config, output);
  if (council === undefined) return USAGE;
  const problems = checkTemplates(council.overrideDir);
  const what = council.overrideDir !== undefined ? `your templates in ${council.overrideDir}` : 'the built-in templates';
  if (problems.length === 0) {
    output.out(`All is well: ${what} can be rendered.\n`);
    return 0;
  }
  for (const p of problems) output.err(`${formatTemplateProblem(p)}\n`);
  output.err(`${problems.length === 1 ? 'There is 1 problem' : `There are ${problems.length} problems`} in ${what}; please correct ${problems.length === 1 ? 'it' : 'them'} and run wardwatch templates check again.\n`);
  return USAGE;
}

export function register(program: Command): void {
  const templates = program.command('templates').description('list, preview and check the messages Wardwatch sends');
  templates
    .command('list')
    .description('list every message template and what it is for')
    .option('-c, --config <file>', "the council's configuration file: marks the templates it replaces")
    .action((options: { config?: string }) => {
      process.exitCode = runList(options);
    });
  templates
    .command('preview')
    .description('show one message rendered with sample data')
    .argument('<name>', 'the template name, e.g. no-blind-copies (wardwatch templates list shows them all)')
    .option('--html', 'also show the HTML part')
    .option('-c, --config <file>', "as the service would send it for this council: its name, Clerk, protocol's clauses and own templates")
    .action((name: string, options: PreviewOptions) => {
      process.exitCode = runPreview(name, options);
    });
  templates
    .command('check')
    .description("check the council's own templates (or the built-in ones) for mistakes")
    .option('-c, --config <file>', "the council's configuration file (its templates.dir is checked)")
    .action((options: { config?: string }) => {
      process.exitCode = runCheck(options);
    });
}
