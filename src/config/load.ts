/**
 * Load the council's configuration file: read it, parse the YAML (keeping where each value sits),
 * validate it with the schema, then check what the schema alone cannot (ward references, one
 * person per address, a Clerk, the protocol profile, rule options). Every problem found is
 * reported at once, each with its line, as a `ConfigError`.
 */
import { errorMessage } from '../model/error-message.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { validate as isValidCron } from 'node-cron';
import { isMap, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import type { ZodType } from 'zod';
import { checkConnectorSections, unknownConnectorMessage, unknownConnectorNames } from '../../connectors/index.js';
import { ConfigError, formatPath, issueProblems, suggest, type ConfigProblem, type PathProblem, type PathSegment } from './errors.js';
import { listProfiles, loadProfile, type ProtocolProfile } from './profiles.js';
import { ConfigSchema, type Config, type RuleId } from './schema.js';
import { plainYamlError } from './yaml-errors.js';

export interface LoadedConfig {
  config: Config;
  /** The file as given. */
  file: string;
  /** The config's folder: relative paths in the config are relative to it. */
  dir: string;
  /** The protocol profile named by `protocol:`, when there is one. */
  profile?: ProtocolProfile;
}

export interface LoadOptions {
  /** Each rule's options schema (from its meta); a rule's `options:` are validated and defaulted with it. */
  ruleOptionSchemas?: ReadonlyMap<RuleId, ZodType>;
  /**
   * Further checks, made once the file matches the schema (see verify.ts): a problem with a path is
   * placed on its line in the file; one with its own `file` (a template, say) is reported as it is.
   */
  checks?: (config: Config, dir: string) => readonly (PathProblem | ConfigProblem)[];
}

/** Where `${VAR}` references are read from the environment: the secret fields. */
function isSecretPath(p: readonly PathSegment[]): boolean {
  if (p[0] === 'sender' && p[1] === 'password' && p.length === 2) return true;
  if (p[0] === 'console' && p[1] === 'oidc' && p[2] === 'clientSecret' && p.length === 3) return true;
  return p[0] === 'connectors' && (p[1] === 'imap' || p[1] === 'graph' || p[1] === 'google');
}

const ENV_REFERENCE = /\$\{[^}]*\}/;

/* ---------------------------------------------------------------------------------------- */
/* Reading and parsing                                                                       */
/* ---------------------------------------------------------------------------------------- */

function readConfigText(absolute: string, shown: string): string {
  try {
    return readFileSync(absolute, 'utf8');
  } catch (err) {
    const code = err instanceof Error && 'code' in err ? String(err.code) : '';
    const reason =
      code === 'ENOENT'
        ? `no such file (looked for ${absolute})`
        : code === 'EACCES' || code === 'EPERM'
          ? `permission denied (${absolute})`
          : code === 'EISDIR'
            ? `${absolute} is a folder, not a file`
            : err instanceof Error
              ? err.message
              : String(err);
    throw new ConfigError([{ file: shown, path: '', message: `cannot read ${shown}: ${reason}` }]);
  }
}

interface ParsedYaml {
  doc: Document;
  lines: LineCounter;
  data: unknown;
}

function parseYaml(text: string, shown: string): ParsedYaml {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    // One error, in plain words: after the first, the yaml library's further errors are mostly its consequences.
    const plain = plainYamlError(text, doc.errors);
    throw new ConfigError([{ file: shown, line: plain.line, path: '', message: plain.message }]);
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    throw new ConfigError([{ file: shown, path: '', message: `cannot read ${shown}: ${errorMessage(err)}` }]);
  }
  if (data === null || data === undefined) {
    throw new ConfigError([
      { file: shown, path: '', message: `${shown} is empty — expected the council's configuration (wardwatch init writes a commented starter)` },
    ]);
  }
  return { doc, lines, data };
}

/** The line and column of the value (or, for `atKey`, the key) at a path; for a missing value, its nearest parent's. */
function locate(parsed: ParsedYaml, problem: PathProblem): { line?: number; column?: number } {
  const at = (offset: number | undefined): { line?: number; column?: number } => {
    if (offset === undefined) return {};
    const pos = parsed.lines.linePos(offset);
    return { line: pos.line, column: pos.col };
  };
  if (problem.atKey === true && problem.path.length > 0) {
    const parent = problem.path.length === 1 ? parsed.doc.contents : parsed.doc.getIn(problem.path.slice(0, -1), true);
    const key = problem.path[problem.path.length - 1];
    if (isMap(parent)) {
      for (const pair of parent.items) {
        if (isScalar(pair.key) && String(pair.key.value) === String(key)) return at(pair.key.range?.[0]);
      }
    }
  }
  for (let n = problem.path.length; n >= 0; n--) {
    const sub = problem.path.slice(0, n);
    const node = sub.length === 0 ? parsed.doc.contents : parsed.doc.getIn(sub, true);
    if (node !== null && typeof node === 'object' && 'range' in node && Array.isArray(node.range)) {
      const start: unknown = node.range[0];
      if (typeof start === 'number') return at(start);
    }
  }
  return {};
}

/* ---------------------------------------------------------------------------------------- */
/* Checks the schema cannot make                                                             */
/* ---------------------------------------------------------------------------------------- */

function envReferenceProblems(value: unknown, at: PathSegment[] = []): PathProblem[] {
  if (typeof value === 'string') {
    if (!ENV_REFERENCE.test(value) || isSecretPath(at)) return [];
    return [
      {
        path: at,
        message:
          `${JSON.stringify(value)} is an environment variable reference, but only secret fields ` +
          "(sender.password, console.oidc.clientSecret and the connectors' credentials) are read from the environment — please write the value itself here",
      },
    ];
  }
  if (Array.isArray(value)) return value.flatMap((v, i) => envReferenceProblems(v, [...at, i]));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => envReferenceProblems(v, [...at, k]));
  }
  return [];
}

function unknownWardMessage(id: string, wardIds: readonly string[]): string {
  const close = suggest(id, wardIds);
  if (close !== undefined) return `no ward has id "${id}" — did you mean "${close}"?`;
  if (wardIds.length === 0) return `no ward has id "${id}" — no wards are listed under wards:`;
  return `no ward has id "${id}" — the wards are ${wardIds.join(', ')}`;
}

function uniqueIdProblems(ids: readonly string[], section: 'wards' | 'calendars', what: string): PathProblem[] {
  const first = new Map<string, number>();
  const problems: PathProblem[] = [];
  ids.forEach((id, i) => {
    const earlier = first.get(id);
    if (earlier === undefined) first.set(id, i);
    else problems.push({ path: [section, i, 'id'], message: `${what} id "${id}" is already used by ${section}[${earlier}] — each ${what} needs its own id` });
  });
  return problems;
}

function realDate(iso: string): boolean {
  const d = new Date(`${iso}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === iso;
}

function validTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function crossCheck(config: Config): PathProblem[] {
  const problems: PathProblem[] = [];
  const wardIds = config.wards.map((w) => w.id);
  const known = new Set(wardIds);

  problems.push(...uniqueIdProblems(wardIds, 'wards', 'ward'));
  problems.push(...uniqueIdProblems(config.calendars.map((c) => c.id), 'calendars', 'calendar'));

  if (!validTimeZone(config.council.timezone)) {
    problems.push({ path: ['council', 'timezone'], message: `unknown time zone "${config.council.timezone}" — expected an IANA time zone such as Europe/London` });
  }

  const owner = new Map<string, number>();
  config.people.forEach((person, i) => {
    person.emails.forEach((address, j) => {
      const k = owner.get(address);
      if (k === undefined) owner.set(address, i);
      else if (k === i) problems.push({ path: ['people', i, 'emails', j], message: `${address} is listed twice for ${person.name}` });
      else {
        const other = config.people[k]?.name ?? `people[${k}]`;
        problems.push({ path: ['people', i, 'emails', j], message: `${address} is also listed for ${other} (people[${k}]) — an address can belong to one person only` });
      }
    });
    person.wards.forEach((id, j) => {
      if (!known.has(id)) problems.push({ path: ['people', i, 'wards', j], message: unknownWardMessage(id, wardIds) });
    });
  });

  config.people.forEach((person, i) => {
    if (person.manager === undefined) return;
    const k = owner.get(person.manager);
    if (k === undefined) {
      problems.push({
        path: ['people', i, 'manager'],
        message: `${person.manager} is not the address of anyone under people — expected the address of ${person.name}'s manager as listed there`,
      });
    } else if (k === i) {
      problems.push({ path: ['people', i, 'manager'], message: `${person.manager} is ${person.name}'s own address — expected their manager's address` });
    }
  });

  if (!config.people.some((p) => p.role === 'clerk')) {
    problems.push({
      path: ['people'],
      message:
        'no one has role: clerk — Wardwatch sends the digest and routed requests to the Clerk, ' +
        'so please list the Clerk (or the officer who does that job) with role: clerk',
    });
  }

  config.elections.forEach((election, i) => {
    if (!realDate(election.poll)) problems.push({ path: ['elections', i, 'poll'], message: `${election.poll} is not a date in the calendar` });
    const start = election.preElectionStart;
    if (start !== undefined) {
      if (!realDate(start)) problems.push({ path: ['elections', i, 'preElectionStart'], message: `${start} is not a date in the calendar` });
      else if (start > election.poll) {
        problems.push({ path: ['elections', i, 'preElectionStart'], message: `${start} is after polling day (${election.poll}) — expected the day the pre-election period starts` });
      }
    }
    if (election.wards !== 'all') {
      election.wards.forEach((id, j) => {
        if (!known.has(id)) problems.push({ path: ['elections', i, 'wards', j], message: unknownWardMessage(id, wardIds) });
      });
    }
  });

  if (!isValidCron(config.digest.cron)) {
    problems.push({
      path: ['digest', 'cron'],
      message: `expected a schedule in cron form (minute hour day month weekday), e.g. "30 7 * * 1-5" for 7:30 on weekdays, got ${JSON.stringify(config.digest.cron)}`,
    });
  }
  return problems;
}

function profileFor(config: Config): { profile?: ProtocolProfile; problems: PathProblem[] } {
  if (config.protocol === undefined) return { problems: [] };
  const available = listProfiles();
  if (!available.includes(config.protocol)) {
    const close = suggest(config.protocol, available);
    const hint = close !== undefined ? ` — did you mean "${close}"?` : '';
    return {
      problems: [{ path: ['protocol'], message: `no protocol profile named "${config.protocol}"${hint} The profiles are: ${available.join(', ')}` }],
    };
  }
  return { profile: loadProfile(config.protocol), problems: [] };
}

/** Validate each rule's `options:` with its schema; on success the parsed options (defaults filled in) replace them. */
function ruleOptionProblems(config: Config, schemas: ReadonlyMap<RuleId, ZodType> | undefined): PathProblem[] {
  if (schemas === undefined) return [];
  const problems: PathProblem[] = [];
  for (const [id, schema] of schemas) {
    const setting = config.rules[id];
    if (typeof setting !== 'object' || setting.options === undefined) continue;
    const parsed = schema.safeParse(setting.options);
    if (parsed.success) {
      const data: unknown = parsed.data;
      if (data !== null && typeof data === 'object' && !Array.isArray(data)) setting.options = { ...data };
      continue;
    }
    const prefix: PathSegment[] = ['rules', id, 'options'];
    for (const p of issueProblems(parsed.error.issues, { schema, input: setting.options })) {
      problems.push({ ...p, path: [...prefix, ...p.path] });
    }
  }
  return problems;
}

/** Each `connectors.<name>` checked by its module's schema (parsed settings replace it); unknown names listed. */
function connectorProblems(config: Config): PathProblem[] {
  const problems: PathProblem[] = unknownConnectorNames(config.connectors).map((name) => ({ path: ['connectors', name], message: unknownConnectorMessage(name) }));
  const input = { ...config.connectors };
  for (const { module, issues } of checkConnectorSections(config.connectors)) {
    for (const p of issueProblems(issues, { schema: module.configSchema, input: input[module.name] })) {
      problems.push({ ...p, path: ['connectors', module.name, ...p.path] });
    }
  }
  return problems;
}

/* ---------------------------------------------------------------------------------------- */

/**
 * Load and check the council's configuration. Throws `ConfigError` listing every problem found.
 * `digest.to` left empty becomes the Clerks' primary addresses.
 */
export function loadConfig(file: string, opts: LoadOptions = {}): LoadedConfig {
  const shown = path.basename(file);
  const absolute = path.resolve(file);
  const parsed = parseYaml(readConfigText(absolute, shown), shown);
  const located = (problems: readonly PathProblem[]): ConfigProblem[] =>
    problems.map((p) => ({ file: shown, ...locate(parsed, p), path: p.bare === true ? '' : formatPath(p.path), message: p.message }));

  const envProblems = envReferenceProblems(parsed.data);
  const result = ConfigSchema.safeParse(parsed.data);
  if (!result.success) {
    throw new ConfigError(located([...envProblems, ...issueProblems(result.error.issues, { schema: ConfigSchema, input: parsed.data })]));
  }
  const config = result.data;
  const { profile, problems: profileProblems } = profileFor(config);
  const problems = [...envProblems, ...connectorProblems(config), ...crossCheck(config), ...profileProblems, ...ruleOptionProblems(config, opts.ruleOptionSchemas)];
  const elsewhere: ConfigProblem[] = [];
  for (const p of opts.checks?.(config, path.dirname(absolute)) ?? []) {
    if ('file' in p) elsewhere.push(p);
    else problems.push(p);
  }
  if (problems.length > 0 || elsewhere.length > 0) throw new ConfigError([...located(problems), ...elsewhere]);

  if (config.digest.to.length === 0) {
    config.digest.to = config.people.filter((p) => p.role === 'clerk').flatMap((p) => (p.emails[0] === undefined ? [] : [p.emails[0]]));
  }
  return { config, file, dir: path.dirname(absolute), ...(profile !== undefined ? { profile } : {}) };
}
