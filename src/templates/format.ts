/**
 * The layout of a template file (documented in templates/README.md):
 *
 *     {{!-- an optional comment for the reader --}}
 *     Subject: one line
 *     --- text ---
 *     the plain-text part
 *     --- html ---
 *     the HTML part (the inside of <body>)
 *
 * This module only splits a file into its three parts, remembering on which line of the file
 * each part starts so that errors can name the line.
 */

export interface TemplateSection {
  source: string;
  /** The file's line (1-based) on which the section's first line stands. */
  line: number;
}

export interface TemplateSections {
  subject: TemplateSection;
  text: TemplateSection;
  html: TemplateSection;
}

/** The file does not follow the layout; `line` is the file's line where the problem is. */
export class TemplateLayoutError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
    this.name = 'TemplateLayoutError';
  }
}

const SUBJECT = /^Subject:[ \t]?(.*)$/i;
const TEXT_MARKER = /^---[ \t]*text[ \t]*---[ \t]*$/i;
const HTML_MARKER = /^---[ \t]*html[ \t]*---[ \t]*$/i;
const LAYOUT_HINT = 'a template file starts with a "Subject: …" line, then a "--- text ---" line before the plain-text part and a "--- html ---" line before the HTML part';

function blank(line: string): boolean {
  return line.trim() === '';
}

/** Lines `from` (inclusive) to `to` (exclusive) without blank lines at either end. */
function section(lines: readonly string[], from: number, to: number): TemplateSection {
  let start = from;
  let end = to;
  while (start < end && blank(lines[start] ?? '')) start++;
  while (end > start && blank(lines[end - 1] ?? '')) end--;
  return { source: lines.slice(start, end).join('\n'), line: start + 1 };
}

function quoted(line: string): string {
  const shown = line.length > 60 ? `${line.slice(0, 57)}…` : line;
  return JSON.stringify(shown);
}

export function splitTemplateFile(content: string): TemplateSections {
  const lines = content.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  let i = 0;
  // Blank lines and a leading {{!-- … --}} comment may come before the Subject line.
  for (;;) {
    while (i < lines.length && blank(lines[i] ?? '')) i++;
    const line = lines[i] ?? '';
    if (!line.trimStart().startsWith('{{!')) break;
    const opened = i;
    const closing = line.trimStart().startsWith('{{!--') ? '--}}' : '}}';
    while (i < lines.length && !(lines[i] ?? '').includes(closing)) i++;
    if (i >= lines.length) throw new TemplateLayoutError(`the comment opened on line ${opened + 1} is never closed with ${closing}`, opened + 1);
    i++;
  }
  const subjectLine = lines[i];
  const subject = subjectLine === undefined ? undefined : SUBJECT.exec(subjectLine);
  if (subjectLine === undefined || subject === null || subject === undefined) {
    const found = subjectLine === undefined ? 'the file is empty' : `found ${quoted(subjectLine)}`;
    throw new TemplateLayoutError(`expected a "Subject: …" line here (${found}); ${LAYOUT_HINT}`, Math.min(i, lines.length - 1) + 1);
  }
  const subjectIndex = i;

  let textIndex = -1;
  let htmlIndex = -1;
  for (let j = subjectIndex + 1; j < lines.length; j++) {
    const line = lines[j] ?? '';
    if (TEXT_MARKER.test(line)) {
      if (textIndex >= 0) throw new TemplateLayoutError(`a second "--- text ---" line (the first is on line ${textIndex + 1})`, j + 1);
      if (htmlIndex >= 0) throw new TemplateLayoutError('the "--- text ---" part must come before the "--- html ---" part', j + 1);
      textIndex = j;
    } else if (HTML_MARKER.test(line)) {
      if (htmlIndex >= 0) throw new TemplateLayoutError(`a second "--- html ---" line (the first is on line ${htmlIndex + 1})`, j + 1);
      htmlIndex = j;
    } else if (textIndex < 0 && htmlIndex < 0 && !blank(line)) {
      throw new TemplateLayoutError(`the subject must be a single line; expected "--- text ---" after it (found ${quoted(line)})`, j + 1);
    }
  }
  if (textIndex < 0) throw new TemplateLayoutError(`no "--- text ---" line; ${LAYOUT_HINT}`, subjectIndex + 1);
  if (htmlIndex < 0) throw new TemplateLayoutError(`no "--- html ---" line; ${LAYOUT_HINT}`, textIndex + 1);

  const subjectSource = (subject[1] ?? '').trim();
  if (subjectSource === '') throw new TemplateLayoutError('the Subject line is empty', subjectIndex + 1);
  const text = section(lines, textIndex + 1, htmlIndex);
  if (text.source === '') throw new TemplateLayoutError('the plain-text part is empty', textIndex + 1);
  const html = section(lines, htmlIndex + 1, lines.length);
  if (html.source === '') throw new TemplateLayoutError('the HTML part is empty', htmlIndex + 1);
  return { subject: { source: subjectSource, line: subjectIndex + 1 }, text, html };
}
