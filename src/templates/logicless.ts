/// <reference types="handlebars" />
/**
 * Checks on a parsed template that keep it logic-less and safe, with lines the Clerk can find:
 * - only {{field}}, {{#if}}, {{#unless}}, {{#each}} (with {{else}}) and {{#with}}; no helpers,
 *   partials, decorators or block parameters;
 * - in the HTML part, no {{{triple braces}}}: every value is HTML-escaped;
 * - every field named exists in the data the template receives (checked against sample data,
 *   because {{#if}} and {{#each}} quietly treat a misspelt field as empty even in strict mode).
 */

type Program = hbs.AST.Program;
type Node = hbs.AST.Node;
type PathExpression = hbs.AST.PathExpression;

export type TemplatePart = 'subject' | 'text' | 'html';

export interface TemplateIssue {
  /** Line within the part's source (1-based). */
  line: number;
  message: string;
}

const BLOCKS = new Set(['if', 'unless', 'each', 'with']);
const DATA_VARIABLES = new Set(['index', 'first', 'last', 'key', 'root']);

function isMustache(node: Node): node is hbs.AST.MustacheStatement {
  return node.type === 'MustacheStatement';
}
function isBlock(node: Node): node is hbs.AST.BlockStatement {
  return node.type === 'BlockStatement';
}
function isPath(node: Node): node is PathExpression {
  return node.type === 'PathExpression';
}

function line(node: Node): number {
  return node.loc.start.line;
}

/** `{{…}}` as the Clerk wrote it, for messages. */
function shown(path: PathExpression): string {
  return path.original;
}

function checkPath(path: PathExpression, issues: TemplateIssue[]): void {
  if (path.data && !DATA_VARIABLES.has(path.parts[0] ?? '')) {
    issues.push({ line: line(path), message: `@${path.parts.join('.')} is not available; the @-variables are @index, @first, @last, @key and @root` });
  }
}

function walkRules(program: Program, part: TemplatePart, issues: TemplateIssue[]): void {
  if (program.blockParams !== undefined && program.blockParams.length > 0) {
    issues.push({ line: line(program), message: 'block parameters (as |name|) are not supported; use {{this}} inside {{#each}}' });
  }
  for (const node of program.body) {
    if (node.type === 'ContentStatement' || node.type === 'CommentStatement') continue;
    if (isMustache(node)) {
      const path = node.path;
      if (!isPath(path)) {
        issues.push({ line: line(node), message: 'only fields can be shown between {{ and }}, not fixed values' });
        continue;
      }
      if (node.params.length > 0 || (node.hash !== undefined && node.hash.pairs.length > 0)) {
        issues.push({ line: line(node), message: `{{${shown(path)} …}} looks like a helper call; templates are logic-less: write a single field such as {{item.subject}}` });
        continue;
      }
      if (part === 'html' && !node.escaped) {
        issues.push({
          line: line(node),
          message: `{{{${shown(path)}}}} would insert the value without HTML escaping; use {{${shown(path)}}} (two braces) in the HTML part`,
        });
      }
      checkPath(path, issues);
      continue;
    }
    if (isBlock(node)) {
      const name = node.path.original;
      if (!BLOCKS.has(name)) {
        issues.push({ line: line(node), message: `{{#${name}}} is not available; the blocks are {{#if}}, {{#unless}}, {{#each}} and {{#with}}` });
        continue;
      }
      const param = node.params[0];
      if (node.params.length !== 1 || param === undefined || !isPath(param)) {
        issues.push({ line: line(node), message: `{{#${name}}} needs exactly one field, e.g. {{#${name} finding.why}}` });
        continue;
      }
      if (node.hash !== undefined && node.hash.pairs.length > 0) {
        issues.push({ line: line(node), message: `{{#${name}}} takes no options` });
        continue;
      }
      checkPath(param, issues);
      if (node.program !== undefined) walkRules(node.program, part, issues);
      if (node.inverse !== undefined) walkRules(node.inverse, part, issues);
      continue;
    }
    if (node.type === 'PartialStatement' || node.type === 'PartialBlockStatement') {
      issues.push({ line: line(node), message: 'partials ({{> …}}) are not available; each template file stands on its own' });
      continue;
    }
    issues.push({ line: line(node), message: `this construct (${node.type}) is not available in Wardwatch templates` });
  }
}

/** Constructs a logic-less Wardwatch template may not use. */
export function logiclessIssues(program: Program, part: TemplatePart): TemplateIssue[] {
  const issues: TemplateIssue[] = [];
  walkRules(program, part, issues);
  return issues;
}

/* ---------------------------------------------------------------------------------------- */
/* Field names, checked against sample data                                                  */
/* ---------------------------------------------------------------------------------------- */

/** A context whose shape is not known from the sample (an empty list, a null value). */
const UNKNOWN: unique symbol = Symbol('unknown');
type Context = unknown;

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Resolve a path against the context stack; reports a field that does not exist. */
function resolve(path: PathExpression, stack: readonly Context[], issues: TemplateIssue[]): Context {
  let parts = path.parts;
  let current: Context;
  if (path.data) {
    if (parts[0] !== 'root') return UNKNOWN;
    current = stack[0];
    parts = parts.slice(1);
  } else {
    const at = stack.length - 1 - path.depth;
    if (at < 0) {
      issues.push({ line: line(path), message: `{{${shown(path)}}} goes up (../) further than the template's data` });
      return UNKNOWN;
    }
    current = stack[at];
  }
  for (const [i, part] of parts.entries()) {
    if (current === UNKNOWN || current === null || current === undefined) return UNKNOWN;
    if (Array.isArray(current)) return UNKNOWN;
    if (!isRecord(current) || !Object.prototype.hasOwnProperty.call(current, part)) {
      const where = i === 0 ? 'this template' : `${parts.slice(0, i).join('.')}`;
      const known = isRecord(current) ? Object.keys(current).join(', ') : '';
      issues.push({
        line: line(path),
        message: `{{${shown(path)}}}: there is no field "${part}" in ${where}` + (known !== '' ? ` (the fields there are ${known})` : ''),
      });
      return UNKNOWN;
    }
    current = current[part];
  }
  return current;
}

function eachContext(value: Context): Context {
  if (Array.isArray(value)) return value.length > 0 ? value[0] : UNKNOWN;
  if (isRecord(value)) {
    const first = Object.values(value)[0];
    return first === undefined ? UNKNOWN : first;
  }
  return UNKNOWN;
}

function walkFields(program: Program, stack: readonly Context[], issues: TemplateIssue[]): void {
  for (const node of program.body) {
    if (isMustache(node) && isPath(node.path)) {
      if (stack[stack.length - 1] !== UNKNOWN || node.path.data) resolve(node.path, stack, issues);
      continue;
    }
    if (!isBlock(node)) continue;
    const param = node.params[0];
    if (param === undefined || !isPath(param)) continue;
    const value = stack[stack.length - 1] === UNKNOWN && !param.data ? UNKNOWN : resolve(param, stack, issues);
    const name = node.path.original;
    const inner = name === 'each' ? eachContext(value) : name === 'with' ? (value === null ? UNKNOWN : value) : stack[stack.length - 1];
    if (node.program !== undefined) walkFields(node.program, name === 'each' || name === 'with' ? [...stack, inner] : stack, issues);
    if (node.inverse !== undefined) walkFields(node.inverse, stack, issues);
  }
}

/** Fields the template names that its data (represented by `sample`) does not have. */
export function unknownFieldIssues(program: Program, sample: unknown): TemplateIssue[] {
  const issues: TemplateIssue[] = [];
  walkFields(program, [sample], issues);
  return issues;
}
