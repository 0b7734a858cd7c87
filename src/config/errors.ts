/**
 * What is wrong with a configuration file, said so a town clerk can find and fix it:
 * one line per problem, naming the file, the line and the field. Zod's issues are reworded here
 * ("expected clerk | officer | member, got "councillor"", "unknown field … — did you mean …?").
 */
import { z } from 'zod';

export interface ConfigProblem {
  /** The configuration file, as shown to the user (its base name). */
  file: string;
  /** 1-based line in the file, when the problem can be placed on one. */
  line?: number;
  /** 1-based column, when known. */
  column?: number;
  /** The field in JavaScript notation, e.g. `people[3].role`; empty for the file as a whole. */
  path: string;
  message: string;
}

/**
 * One problem as one line: `council.yaml:14 people[3].role: expected …`.
 * A problem with neither line nor field concerns the file as a whole; its message names the file itself.
 */
export function formatProblem(problem: ConfigProblem): string {
  if (problem.line === undefined && problem.path === '') return problem.message;
  const where = problem.line === undefined ? problem.file : `${problem.file}:${problem.line}`;
  return problem.path === '' ? `${where}: ${problem.message}` : `${where} ${problem.path}: ${problem.message}`;
}

/** In file order: the files in the order they first appear (the configuration first), then by line. */
function orderProblems(problems: readonly ConfigProblem[]): ConfigProblem[] {
  const fileRank = new Map<string, number>();
  for (const p of problems) if (!fileRank.has(p.file)) fileRank.set(p.file, fileRank.size);
  const rank = (p: ConfigProblem): number => fileRank.get(p.file) ?? 0;
  return [...problems].sort((a, b) => rank(a) - rank(b) || (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
}

/** Thrown by `loadConfig` when the file cannot be read or used; carries every problem found, in file order. */
export class ConfigError extends Error {
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[]) {
    const ordered = orderProblems(problems);
    super(ordered.map(formatProblem).join('\n'));
    this.name = 'ConfigError';
    this.problems = ordered;
  }

  /** One line per problem, in file order. */
  format(): string {
    return this.problems.map(formatProblem).join('\n');
  }
}

/* ------------------------------------------------------------------------------------------ */
/* From zod issues to clerk-readable problems                                                  */
/* ------------------------------------------------------------------------------------------ */

export type PathSegment = string | number;

/** A problem located by its path in the data; the loader turns the path into a line. */
export interface PathProblem {
  path: PathSegment[];
  message: string;
  /** Place the problem on the key's line rather than the value's (unknown fields). */
  atKey?: boolean;
  /** The path only places the problem on a line: the message names the field itself. */
  bare?: boolean;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** `['people', 3, 'role']` → `people[3].role`; keys that are not identifiers are quoted: `rules["no-blind-copies"]`. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (IDENTIFIER.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = prev[0] ?? 0;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = prev[j] ?? 0;
      const left = prev[j - 1] ?? 0;
      prev[j] = Math.min(above + 1, left + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return prev[b.length] ?? 0;
}

/** The candidate closest to `word`, when it is close enough to be a likely slip of the keyboard. */
export function suggest(word: string, candidates: readonly string[]): string | undefined {
  const w = word.toLowerCase();
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const c = candidate.toLowerCase();
    const distance = c.startsWith(w) || w.startsWith(c) ? Math.min(1, Math.abs(c.length - w.length)) : editDistance(w, c);
    if (best === undefined || distance < best.distance) best = { candidate, distance };
  }
  if (best === undefined) return undefined;
  const allowed = Math.max(2, Math.ceil(Math.max(w.length, best.candidate.length) * 0.6));
  return best.distance <= allowed ? best.candidate : undefined;
}

/** A value as a clerk would recognise it in the file. */
export function showValue(value: unknown): string {
  if (value === undefined || value === null) return 'nothing';
  if (typeof value === 'string') return value === '' ? 'an empty value' : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return 'a list';
  if (value instanceof Date) return value.toISOString();
  return 'a mapping';
}

function typeWord(expected: string): string {
  switch (expected) {
    case 'string':
      return 'text';
    case 'number':
      return 'a number';
    case 'int':
      return 'a whole number';
    case 'boolean':
      return 'true or false';
    case 'array':
      return 'a list';
    case 'object':
    case 'record':
      return 'a mapping';
    default:
      return expected;
  }
}

/** What a field expects, in words, when the schema alone cannot say it well. Keyed by the field's name. */
const FIELD_HINTS: Readonly<Record<string, string>> = {
  emails: 'a list of e-mail addresses',
  domains: "a list of the council's e-mail domains, e.g. [example-tc.gov.uk]",
  mediaDomains: "a list of news organisations' domains, e.g. [bbc.co.uk]",
  serviceAddress: 'the address nudges and digests come from, e.g. protocol@example-tc.gov.uk',
  address: 'an e-mail address',
  manager: "the manager's e-mail address",
  poll: 'the polling day as YYYY-MM-DD',
  preElectionStart: 'a date as YYYY-MM-DD',
  protocol: 'the name of a protocol profile, e.g. knutsford',
  start: 'a time as HH:MM, e.g. 18:00',
  end: 'a time as HH:MM, e.g. 08:00',
  dir: 'a folder path',
  host: "the server's name, e.g. smtp.example.net",
};

type AnySchema = z.ZodType;

function unwrap(schema: AnySchema): AnySchema {
  let s: AnySchema = schema;
  for (let i = 0; i < 20; i++) {
    if (s instanceof z.ZodOptional || s instanceof z.ZodDefault || s instanceof z.ZodNullable || s instanceof z.ZodReadonly) {
      s = s.unwrap() as AnySchema;
    } else if (s instanceof z.ZodPipe) {
      s = s.in as AnySchema;
    } else {
      return s;
    }
  }
  return s;
}

/** The schema that validates the value at `path` (unions: the first option that has the path). */
export function schemaAt(schema: AnySchema, path: readonly PathSegment[]): AnySchema | undefined {
  const s = unwrap(schema);
  if (path.length === 0) return s;
  const [head, ...rest] = path;
  if (s instanceof z.ZodObject) {
    const shape = s.shape as Record<string, AnySchema>;
    const child = typeof head === 'string' ? shape[head] : undefined;
    return child === undefined ? undefined : schemaAt(child, rest);
  }
  if (s instanceof z.ZodArray) return typeof head === 'number' ? schemaAt(s.element as AnySchema, rest) : undefined;
  if (s instanceof z.ZodRecord) return schemaAt(s.valueType as AnySchema, rest);
  if (s instanceof z.ZodUnion) {
    for (const option of s.options as readonly AnySchema[]) {
      const found = schemaAt(option, path);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

function isRequired(schema: AnySchema): boolean {
  return !schema.safeParse(undefined).success;
}

/** The field names a mapping accepts at this point of the schema (for "did you mean"). */
export function knownKeys(schema: AnySchema, path: readonly PathSegment[]): string[] {
  const s = schemaAt(schema, path);
  return s === undefined ? [] : keysOf(s);
}

function keysOf(schema: AnySchema): string[] {
  const s = unwrap(schema);
  if (s instanceof z.ZodObject) return Object.keys(s.shape as Record<string, AnySchema>);
  if (s instanceof z.ZodUnion) return [...new Set((s.options as readonly AnySchema[]).flatMap(keysOf))];
  if (s instanceof z.ZodRecord) {
    const keys = unwrap(s.keyType as AnySchema);
    if (keys instanceof z.ZodEnum) return (keys.options as readonly (string | number)[]).map(String);
  }
  return [];
}

/** What a schema expects, in words: `clerk | officer | member`, `a mapping with name, domains, serviceAddress`. */
export function describeSchema(schema: AnySchema): string {
  const s = unwrap(schema);
  if (s instanceof z.ZodEnum) return (s.options as readonly (string | number)[]).map(String).join(' | ');
  if (s instanceof z.ZodLiteral) return [...(s.values as Set<unknown>)].map(String).join(' | ');
  if (s instanceof z.ZodDiscriminatedUnion) {
    const key = String(s.def.discriminator);
    const values = (s.options as readonly AnySchema[]).flatMap((o) => {
      const tag = schemaAt(o, [key]);
      return tag === undefined ? [] : [describeSchema(tag)];
    });
    return `a mapping with ${key}: ${values.join(' | ')}`;
  }
  if (s instanceof z.ZodUnion) return (s.options as readonly AnySchema[]).map(describeSchema).join(' | ');
  if (s instanceof z.ZodObject) {
    const shape = s.shape as Record<string, AnySchema>;
    const required = Object.keys(shape).filter((k) => {
      const field = shape[k];
      return field !== undefined && isRequired(field);
    });
    return required.length > 0 ? `a mapping with ${required.join(', ')}` : 'a mapping';
  }
  if (s instanceof z.ZodArray) return 'a list';
  if (s instanceof z.ZodRecord) return 'a mapping';
  if (s instanceof z.ZodString) return 'text';
  if (s instanceof z.ZodNumber) return 'a number';
  if (s instanceof z.ZodBoolean) return 'true or false';
  return 'a value';
}

function valueAt(input: unknown, path: readonly PathSegment[]): unknown {
  let v: unknown = input;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PathSegment, unknown>)[seg];
  }
  return v;
}

function hintFor(path: readonly PathSegment[]): string | undefined {
  const last = path[path.length - 1];
  return typeof last === 'string' ? FIELD_HINTS[last] : undefined;
}

function isPlainMapping(value: unknown): boolean {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Date);
}

function expectedAt(ctx: IssueContext, path: readonly PathSegment[], fallback: string): string {
  const hint = hintFor(path);
  if (hint !== undefined) return hint;
  const s = schemaAt(ctx.schema, path);
  return s === undefined ? fallback : describeSchema(s);
}

/** Zod's default wording starts like this; a schema's own message never does. */
function isDefaultMessage(message: string): boolean {
  return /^(Invalid|Too (small|big)|Unrecognized)/.test(message);
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

export interface IssueContext {
  /** The schema that produced the issues (to name what was expected and suggest field names). */
  schema: AnySchema;
  /** The data that was validated. */
  input: unknown;
}

type Issue = z.core.$ZodIssue;

const SECRET_FIELD = /password|secret|token|credential/i;

/** A field whose value may be a secret: its value is never repeated in a message. */
function isSecretField(path: readonly PathSegment[]): boolean {
  return path.some((seg) => typeof seg === 'string' && SECRET_FIELD.test(seg));
}

function issueProblem(issue: Issue, ctx: IssueContext, prefix: readonly PathSegment[]): PathProblem[] {
  const local = issue.path.filter((s): s is PathSegment => typeof s === 'string' || typeof s === 'number');
  const path = [...prefix, ...local];
  const value = valueAt(ctx.input, path);
  const missing = value === undefined;
  const secret = isSecretField(path);
  const got = (v: unknown): string => (secret ? 'a value not repeated here, as it may be a secret' : showValue(v));

  switch (issue.code) {
    case 'invalid_type': {
      if (missing) return [{ path, message: `missing — expected ${expectedAt(ctx, path, typeWord(issue.expected))}` }];
      const hint = issue.expected === 'array' ? ' (write it as [a, b] or as lines starting with "- ")' : '';
      return [{ path, message: `expected ${typeWord(issue.expected)}, got ${got(value)}${hint}` }];
    }
    case 'invalid_value': {
      const expected = issue.values.map(String).join(' | ');
      return [{ path, message: missing ? `missing — expected ${expected}` : `expected ${expected}, got ${got(value)}` }];
    }
    case 'invalid_union': {
      const options = (issue as { options?: unknown }).options;
      if (Array.isArray(options)) {
        const expected = options.map(String).join(' | ');
        return [{ path, message: missing ? `missing — expected ${expected}` : `expected ${expected}, got ${got(value)}` }];
      }
      if (isPlainMapping(value)) {
        // Report what is wrong inside the mapping, from the option that accepts a mapping.
        const inner = issue.errors.find((branch) => !branch.every((i) => i.path.length === 0 && (i.code === 'invalid_type' || i.code === 'invalid_value')));
        if (inner !== undefined) return issueProblems(inner, ctx, path);
      }
      const expected = expectedAt(ctx, path, 'another value');
      return [{ path, message: missing ? `missing — expected ${expected}` : `expected ${expected}, got ${got(value)}` }];
    }
    case 'unrecognized_keys': {
      const known = knownKeys(ctx.schema, path);
      const isRules = path.length === 1 && path[0] === 'rules';
      return issue.keys.map((key) => {
        const close = suggest(key, known);
        const what = isRules ? 'rule' : 'field';
        const message =
          close !== undefined
            ? `unknown ${what} "${key}" — did you mean "${close}"?`
            : known.length > 0
              ? `unknown ${what} "${key}" — expected one of ${known.join(', ')}`
              : `unknown ${what} "${key}"`;
        return { path: [...path, key], message, atKey: true };
      });
    }
    case 'invalid_format': {
      if (!isDefaultMessage(issue.message)) return [{ path, message: secret ? issue.message : `${issue.message}, got ${got(value)}` }];
      const hint = hintFor(path);
      const expected = hint ?? (issue.pattern !== undefined ? `text matching ${issue.pattern}` : `a valid ${issue.format}`);
      return [{ path, message: `expected ${expected}, got ${got(value)}` }];
    }
    case 'too_small': {
      if (!isDefaultMessage(issue.message)) {
        return [{ path, message: Array.isArray(value) && value.length === 0 ? `${issue.message}, got an empty list` : issue.message }];
      }
      const min = Number(issue.minimum);
      if (issue.origin === 'array' || issue.origin === 'set') return [{ path, message: `expected at least ${plural(min, 'entry', 'entries')}, got ${Array.isArray(value) ? value.length : 0}` }];
      if (issue.origin === 'string') {
        return [{ path, message: min <= 1 ? 'expected some text, got an empty value' : `expected at least ${plural(min, 'character', 'characters')}, got ${got(value)}` }];
      }
      return [{ path, message: `expected ${issue.inclusive === false ? 'more than' : 'at least'} ${min}, got ${got(value)}` }];
    }
    case 'too_big': {
      const max = Number(issue.maximum);
      if (issue.origin === 'array' || issue.origin === 'set') return [{ path, message: `expected at most ${plural(max, 'entry', 'entries')}, got ${Array.isArray(value) ? value.length : 0}` }];
      if (issue.origin === 'string') return [{ path, message: `expected at most ${plural(max, 'character', 'characters')}, got ${got(value)}` }];
      return [{ path, message: `expected at most ${max}, got ${got(value)}` }];
    }
    case 'invalid_key':
      return [{ path, message: `unknown key — ${issue.issues[0]?.message ?? issue.message}`, atKey: true }];
    case 'invalid_element':
      return issueProblems(issue.issues, ctx, path);
    default:
      return [{ path, message: issue.message }];
  }
}

/** Turn zod issues into located, clerk-readable problems. */
export function issueProblems(issues: readonly Issue[], ctx: IssueContext, prefix: readonly PathSegment[] = []): PathProblem[] {
  return issues.flatMap((issue) => issueProblem(issue, ctx, prefix));
}
