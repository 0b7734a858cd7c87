/**
 * Render a message from its template: a subject line, a plain-text part and an HTML part.
 *
 * - The built-in templates are in templates/ at the package root; a file of the same name in
 *   the Clerk's folder (`templates.dir` in the config) wins over the built-in one.
 * - Templates are logic-less Handlebars in strict mode: a field the data lacks is an error.
 * - Every value is untrusted (a subject line is written by anyone): control characters are
 *   removed and line breaks become spaces in every value; the HTML part escapes every value;
 *   the subject loses any line break (no header injection) and is cut to 200 characters.
 * - Compiled templates are cached per file and recompiled when the file changes.
 */
import { errorMessage } from '../model/error-message.js';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import type HandlebarsModule from 'handlebars';
import { suggest } from '../config/errors.js';
import { packageRoot } from '../config/profiles.js';
import { templateDataSchema, type TemplateData } from './data.js';
import { sampleData } from './samples.js';
import { splitTemplateFile, TemplateLayoutError, type TemplateSection } from './format.js';
import { logiclessIssues, unknownFieldIssues, type TemplatePart } from './logicless.js';
import { isTemplateName, TEMPLATE_NAMES, templateFileName, type TemplateName } from './names.js';

export interface RenderedMessage {
  subject: string;
  text: string;
  html: string;
}

export interface RenderOptions {
  /** The Clerk's folder of templates (`templates.dir` in the config, resolved against the config's folder). */
  overrideDir?: string;
}

export interface TemplateProblem {
  /** The template file (or folder) concerned. */
  file: string;
  /** The file's line, when the problem is on one. */
  line?: number;
  message: string;
}

export function formatTemplateProblem(problem: TemplateProblem): string {
  return `${problem.file}${problem.line !== undefined ? `:${problem.line}` : ''}: ${problem.message}`;
}

/** A template could not be found, read or rendered. The message names the file and line. */
export class TemplateError extends Error {
  constructor(readonly problems: readonly TemplateProblem[]) {
    super(problems.map(formatTemplateProblem).join('\n'));
    this.name = 'TemplateError';
  }
}

export const SUBJECT_MAX_LENGTH = 200;

/** Where the built-in templates live. */
export function builtinTemplatesDir(): string {
  return path.join(packageRoot(), 'templates');
}

/* ---------------------------------------------------------------------------------------- */
/* Loading and compiling                                                                     */
/* ---------------------------------------------------------------------------------------- */

type Render = (context: unknown) => string;

interface CompiledPart {
  render: Render;
  line: number;
}

interface CompiledTemplate {
  shown: string;
  subject: CompiledPart;
  text: CompiledPart;
  html: CompiledPart;
}

/**
 * A private Handlebars environment: nothing registered elsewhere leaks in. Loaded when the first
 * template is compiled, so commands that render no message (a `check`) start without it.
 */
let environment: typeof HandlebarsModule | undefined;
function handlebars(): typeof HandlebarsModule {
  environment ??= (createRequire(import.meta.url)('handlebars') as typeof HandlebarsModule).create();
  return environment;
}

const PART_OPTIONS: Readonly<Record<TemplatePart, CompileOptions>> = {
  subject: { strict: true, noEscape: true, knownHelpersOnly: true },
  text: { strict: true, noEscape: true, knownHelpersOnly: true },
  html: { strict: true, noEscape: false, knownHelpersOnly: true },
};

const PART_NAMES: Readonly<Record<TemplatePart, string>> = { subject: 'Subject line', text: 'plain-text part', html: 'HTML part' };

function errorLine(err: unknown): number | undefined {
  if (err !== null && typeof err === 'object' && 'lineNumber' in err && typeof err.lineNumber === 'number') return err.lineNumber;
  const m = err instanceof Error ? /line (\d+)/.exec(err.message) : null;
  return m?.[1] !== undefined ? Number(m[1]) : undefined;
}

/** Handlebars' own wording, made readable for a Clerk. */
function plainMessage(err: unknown, part: TemplatePart): string {
  const raw = errorMessage(err);
  const withoutPosition = raw.replace(/ - \d+:\d+$/, '');
  const missing = /^"([^"]+)" not defined in/.exec(withoutPosition) ?? /^Cannot use 'in' operator to search for '([^']+)'/.exec(withoutPosition);
  if (missing) return `the field "${missing[1] ?? ''}" is not part of this template's data (templates/README.md lists the fields)`;
  if (withoutPosition.startsWith('Parse error')) {
    const [, snippet = '', pointer = '', expecting = ''] = withoutPosition.split('\n');
    const got = /got '([^']+)'/.exec(expecting)?.[1];
    return `the ${PART_NAMES[part]} cannot be read: a {{ … }} tag is incomplete or misplaced${got !== undefined ? ` (found ${got.toLowerCase()})` : ''}\n    ${snippet}\n    ${pointer}`;
  }
  const mismatch = /^(\S+) doesn't match (\S+)$/.exec(withoutPosition);
  if (mismatch) return `{{/${mismatch[2] ?? ''}}} does not close {{#${mismatch[1] ?? ''}}}`;
  return withoutPosition;
}

function compilePart(section: TemplateSection, part: TemplatePart, shown: string, sample: unknown, problems: TemplateProblem[]): CompiledPart | undefined {
  let program: hbs.AST.Program;
  try {
    program = handlebars().parse(section.source);
  } catch (err) {
    const at = errorLine(err);
    problems.push({ file: shown, line: section.line + (at ?? 1) - 1, message: plainMessage(err, part) });
    return undefined;
  }
  const issues = logiclessIssues(program, part);
  if (issues.length === 0) issues.push(...unknownFieldIssues(program, sample));
  for (const issue of issues) problems.push({ file: shown, line: section.line + issue.line - 1, message: issue.message });
  if (issues.length > 0) return undefined;
  const compiled = handlebars().compile<unknown>(program, PART_OPTIONS[part]);
  return { render: (context) => compiled(context), line: section.line };
}

function compileTemplate(source: string, name: TemplateName, shown: string): CompiledTemplate | TemplateProblem[] {
  let sections;
  try {
    sections = splitTemplateFile(source);
  } catch (err) {
    if (err instanceof TemplateLayoutError) return [{ file: shown, line: err.line, message: err.message }];
    throw err;
  }
  const problems: TemplateProblem[] = [];
  const sample = sampleData(name);
  const subject = compilePart(sections.subject, 'subject', shown, sample, problems);
  const text = compilePart(sections.text, 'text', shown, sample, problems);
  const html = compilePart(sections.html, 'html', shown, sample, problems);
  if (subject === undefined || text === undefined || html === undefined) return problems;
  return { shown, subject, text, html };
}

interface CacheEntry {
  mtimeMs: number;
  size: number;
  result: CompiledTemplate | TemplateProblem[];
}

const cache = new Map<string, CacheEntry>();

function fileStat(file: string): { mtimeMs: number; size: number } | undefined {
  try {
    const st = statSync(file);
    return st.isFile() ? { mtimeMs: st.mtimeMs, size: st.size } : undefined;
  } catch {
    return undefined;
  }
}

interface Located {
  file: string;
  shown: string;
  stat: { mtimeMs: number; size: number };
}

/** Which file renders `name`: the Clerk's, when there is one, else the built-in one. */
function locate(name: TemplateName, opts: RenderOptions): Located {
  const fileName = templateFileName(name);
  if (opts.overrideDir !== undefined) {
    const file = path.resolve(opts.overrideDir, fileName);
    const stat = fileStat(file);
    if (stat !== undefined) return { file, shown: path.join(opts.overrideDir, fileName), stat };
  }
  const file = path.join(builtinTemplatesDir(), fileName);
  const stat = fileStat(file);
  const shown = `templates/${fileName}`;
  if (stat === undefined) {
    throw new TemplateError([{ file: shown, message: `the built-in template "${name}" is missing from the installation (looked for ${file}); please reinstall Wardwatch` }]);
  }
  return { file, shown, stat };
}

function load(name: TemplateName, located: Located): CompiledTemplate | TemplateProblem[] {
  const cached = cache.get(located.file);
  if (cached !== undefined && cached.mtimeMs === located.stat.mtimeMs && cached.size === located.stat.size) return cached.result;
  let source: string;
  try {
    source = readFileSync(located.file, 'utf8');
  } catch (err) {
    return [{ file: located.shown, message: `cannot be read: ${errorMessage(err)}` }];
  }
  const result = compileTemplate(source, name, located.shown);
  cache.set(located.file, { ...located.stat, result });
  return result;
}

/** The file that would render `name` (the Clerk's override or the built-in one). */
export function templateSource(name: TemplateName, opts: RenderOptions = {}): string {
  return locate(name, opts).file;
}

/* ---------------------------------------------------------------------------------------- */
/* Untrusted values                                                                          */
/* ---------------------------------------------------------------------------------------- */

const LINE_BREAKS = /[\r\n\t\v\f\u0085\u2028\u2029]+/g;
/** C0 and C1 control characters, and the bidirectional overrides and isolates that can disguise text. */
const CONTROLS = /[\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/g;

/** One line of plain text: line breaks become a space, control characters go. */
export function singleLine(value: string): string {
  return value.replace(LINE_BREAKS, ' ').replace(CONTROLS, '');
}

function sanitize(value: unknown): unknown {
  if (typeof value === 'string') return singleLine(value);
  if (Array.isArray(value)) return value.map(sanitize);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, sanitize(v)]));
  return value;
}

/** A header-safe subject: one line, no control characters, at most 200 characters. */
export function finishSubject(rendered: string): string {
  const line = singleLine(rendered).replace(/ {2,}/g, ' ').trim();
  const chars = Array.from(line);
  return chars.length <= SUBJECT_MAX_LENGTH ? line : `${chars.slice(0, SUBJECT_MAX_LENGTH - 1).join('').trimEnd()}…`;
}

function finishText(rendered: string): string {
  const lines = rendered.split('\n').map((l) => l.trimEnd());
  return `${lines.join('\n').replace(/\n{3,}/g, '\n\n').trim()}\n`;
}

function finishHtml(body: string, subject: string): string {
  return [
    '<!DOCTYPE html>',
    '<html lang="en-GB">',
    '<head>',
    '<meta charset="utf-8">',
    `<title>${handlebars().escapeExpression(subject)}</title>`,
    '</head>',
    '<body style="font-family: Arial, Helvetica, sans-serif; font-size: 15px; line-height: 1.5; color: #1a1a1a; max-width: 42em;">',
    body.trim(),
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/* ---------------------------------------------------------------------------------------- */
/* Rendering                                                                                 */
/* ---------------------------------------------------------------------------------------- */

function unknownName(name: string): TemplateError {
  const close = suggest(name, TEMPLATE_NAMES);
  return new TemplateError([
    {
      file: `templates/${name}.hbs`,
      message: `there is no template named "${name}"${close !== undefined ? ` — did you mean "${close}"?` : ''} The templates are: ${TEMPLATE_NAMES.join(', ')}`,
    },
  ]);
}

function runPart(compiled: CompiledTemplate, part: TemplatePart, data: unknown): string {
  const { render, line } = compiled[part];
  try {
    return render(data);
  } catch (err) {
    const at = errorLine(err);
    throw new TemplateError([{ file: compiled.shown, ...(at !== undefined ? { line: line + at - 1 } : {}), message: plainMessage(err, part) }]);
  }
}

function compiledFor(name: TemplateName, opts: RenderOptions): CompiledTemplate {
  const result = load(name, locate(name, opts));
  if (Array.isArray(result)) throw new TemplateError(result);
  return result;
}

/**
 * Render the named template with `data` (see src/templates/data.ts for what each template receives).
 * Throws a TemplateError naming the file and line when the template is broken or the data incomplete.
 */
export function renderTemplate(name: string, data: TemplateData, opts: RenderOptions = {}): RenderedMessage {
  if (!isTemplateName(name)) throw unknownName(name);
  const compiled = compiledFor(name, opts);
  const parsed = templateDataSchema(name).safeParse(data);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join('.') || '(data)'}: ${i.message}`).join('; ');
    throw new TemplateError([{ file: compiled.shown, message: `Wardwatch could not prepare this message: the data given to the template is incomplete (${detail})` }]);
  }
  const clean = sanitize(parsed.data);
  const subject = finishSubject(runPart(compiled, 'subject', clean));
  const text = finishText(runPart(compiled, 'text', clean));
  const html = finishHtml(runPart(compiled, 'html', clean), subject);
  return { subject, text, html };
}

function checkOne(name: TemplateName, opts: RenderOptions): TemplateProblem[] {
  try {
    renderTemplate(name, sampleData(name), opts);
    return [];
  } catch (err) {
    if (err instanceof TemplateError) return [...err.problems];
    throw err;
  }
}

/**
 * Check the Clerk's templates (or, without a folder, the built-in ones) at startup: each file
 * is read, checked and rendered with sample data. Returns every problem found; none means all is well.
 */
export function checkTemplates(overrideDir?: string): TemplateProblem[] {
  if (overrideDir === undefined) return TEMPLATE_NAMES.flatMap((name) => checkOne(name, {}));
  let entries: string[];
  try {
    if (!statSync(overrideDir).isDirectory()) return [{ file: overrideDir, message: 'is not a folder; templates.dir should name the folder holding your own templates' }];
    entries = readdirSync(overrideDir).sort();
  } catch {
    return [{ file: overrideDir, message: 'the templates folder does not exist; please create it or correct templates.dir in the configuration' }];
  }
  const problems: TemplateProblem[] = [];
  for (const entry of entries) {
    if (!entry.endsWith('.hbs')) continue;
    const name = entry.slice(0, -'.hbs'.length);
    if (!isTemplateName(name)) {
      const close = suggest(name, TEMPLATE_NAMES);
      problems.push({
        file: path.join(overrideDir, entry),
        message: `"${name}" is not the name of a Wardwatch template, so this file will never be used` + (close !== undefined ? ` — did you mean ${close}.hbs?` : ' (wardwatch templates list shows the names)'),
      });
      continue;
    }
    problems.push(...checkOne(name, { overrideDir }));
  }
  return problems;
}
