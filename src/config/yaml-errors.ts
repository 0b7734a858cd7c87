/**
 * A YAML syntax error said in plain words, on the line to correct. The yaml library's own
 * messages ("Nested mappings are not allowed in compact mappings", reported a line early) mean
 * little to a town clerk, so only the first error is reported, reworded, and placed on the line
 * that needs changing.
 */
import type { YAMLError } from 'yaml';

export interface PlainYamlError {
  /** 1-based line to correct. */
  line: number;
  message: string;
}

const INDENTATION =
  'this line is not indented like the lines around it — the fields of one section must start in the same column, ' +
  'a field inside another is indented by two more spaces, and the items of a list ("- ") must line up under each other';

/** The 1-based number of each line's first character offset. */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}

function lineOf(starts: readonly number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((starts[mid] ?? 0) <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

/** Whether a line holds YAML content (not blank, not only a comment). */
function isContent(line: string): boolean {
  const t = line.trim();
  return t !== '' && !t.startsWith('#');
}

/** The first line whose indentation contains a tab (a tab after the text starts is allowed). */
function firstTabIndentedLine(lines: readonly string[]): number | undefined {
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const indent = /^[ \t]*/.exec(line)?.[0] ?? '';
    if (indent.includes('\t') && isContent(line)) return i + 1;
  }
  return undefined;
}

/** How many quotation marks of a kind a line has outside comments, counting roughly (for a hint only). */
function quoteCount(line: string, quote: '"' | "'"): number {
  let n = 0;
  for (const ch of line) {
    if (ch === '#') break;
    if (ch === quote) n += 1;
  }
  return n;
}

/** The nearest line at or above `from` that opens more [ or { than it closes. */
function unclosedBracketLine(lines: readonly string[], from: number): number | undefined {
  for (let i = Math.min(from, lines.length); i >= 1; i--) {
    let depth = 0;
    for (const ch of lines[i - 1] ?? '') {
      if (ch === '#') break;
      if (ch === '[' || ch === '{') depth += 1;
      else if (ch === ']' || ch === '}') depth -= 1;
    }
    if (depth > 0) return i;
  }
  return undefined;
}

/** `key:value` with no space after the colon, which YAML reads as one piece of text. */
const MISSING_SPACE = /^\s*(?:- )?[A-Za-z][\w.-]*:[^\s/]/;

/**
 * The first error of a document that failed to parse, reworded. `text` is the file's content;
 * `errors` are the document's errors, in any order.
 */
export function plainYamlError(text: string, errors: readonly YAMLError[]): PlainYamlError {
  const lines = text.split('\n').map((l) => l.replace(/\r$/, ''));
  const tabLine = firstTabIndentedLine(lines);
  const starts = lineStarts(text);
  const first = [...errors].sort((a, b) => a.pos[0] - b.pos[0])[0];
  if (tabLine !== undefined && (first === undefined || first.code === 'TAB_AS_INDENT' || tabLine <= lineOf(starts, first.pos[0]) + 1)) {
    return { line: tabLine, message: 'this line is indented with a tab; YAML needs spaces (replace the tab with spaces, two for each level)' };
  }
  if (first === undefined) return { line: 1, message: 'the file cannot be read as YAML' };
  const at = lineOf(starts, first.pos[0]);
  const lineText = lines[at - 1] ?? '';
  const nextContent = (): number => {
    for (let i = at; i < lines.length; i++) if (isContent(lines[i] ?? '')) return i + 1;
    return at;
  };

  switch (first.code) {
    case 'DUPLICATE_KEY': {
      const key = /^\s*(?:- )?([^:#]+):/.exec(lineText)?.[1]?.trim();
      return { line: at, message: `${key !== undefined ? `"${key}"` : 'this field'} appears twice in the same section; keep only one of them` };
    }
    case 'MISSING_CHAR':
      if (/quote/i.test(first.message)) {
        const quote = /'/.test(first.message) && !/"/.test(first.message) ? "'" : '"';
        for (let i = at; i >= 1; i--) {
          if (quoteCount(lines[i - 1] ?? '', quote) % 2 === 1) {
            return { line: i, message: `a quotation mark (${quote}) on this line is never closed; add the closing ${quote} at the end of the value` };
          }
        }
        return { line: at, message: `a quotation mark (${quote}) is never closed; add the closing ${quote} at the end of the value` };
      }
      return { line: at, message: INDENTATION };
    case 'BLOCK_AS_IMPLICIT_KEY':
    case 'MULTILINE_IMPLICIT_KEY':
      if (MISSING_SPACE.test(lineText)) {
        return { line: at, message: 'a colon here is not followed by a space; write "name: value", with a space after the colon' };
      }
      return { line: nextContent(), message: INDENTATION };
    case 'BAD_INDENT':
      if (/flow/i.test(first.message)) {
        const opened = unclosedBracketLine(lines, at);
        return {
          line: opened ?? at,
          message: 'a list in [ ] or a mapping in { } on this line is not closed; add the closing ] or } at the end of the line',
        };
      }
      return { line: at, message: INDENTATION };
    case 'UNEXPECTED_TOKEN':
    case 'BLOCK_IN_FLOW':
    case 'BAD_PROP_ORDER':
      if (/[[{][^\]}]*\$\{/.test(lineText)) {
        return { line: at, message: 'inside [ ] or { } a ${…} reference must be in quotes, e.g. { password: "${WARDWATCH_PASSWORD}" }' };
      }
      if (/[[{]/.test(lineText) || /flow/i.test(first.message)) {
        return { line: at, message: 'a list in [ ] or a mapping in { } is not written correctly — check that every [ and { is closed on the same line and that items are separated by commas' };
      }
      return { line: at, message: `YAML cannot read this line (${first.message.split('\n')[0] ?? first.message})` };
    case 'TAB_AS_INDENT':
      return { line: at, message: 'this line is indented with a tab; YAML needs spaces (replace the tab with spaces, two for each level)' };
    default:
      return { line: at, message: `YAML cannot read this line (${first.message.split('\n')[0] ?? first.message})` };
  }
}
