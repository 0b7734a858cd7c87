/**
 * The text a reader sees in an HTML body (an event's description from a cloud calendar): one
 * linear pass, no library, so that the same body reads the same whichever connector brought it.
 * Mail bodies are turned into text by src/items/mail-parse.ts, with its own library and limits.
 */

/** Elements whose content is not text a reader sees. */
const HIDDEN = new Set(['script', 'style', 'title', 'template', 'noscript']);
/** Elements that start or end a line when rendered. */
const BLOCK = new Set([
  'p', 'div', 'li', 'ul', 'ol', 'tr', 'table', 'thead', 'tbody', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'blockquote',
  'pre', 'section', 'article', 'header', 'footer', 'hr', 'dl', 'dt', 'dd', 'address', 'center', 'body', 'html',
]);
const ENTITIES = new Map<string, string>([
  ['amp', '&'], ['lt', '<'], ['gt', '>'], ['quot', '"'], ['apos', "'"], ['nbsp', ' '], ['ndash', '–'], ['mdash', '—'],
  ['lsquo', '‘'], ['rsquo', '’'], ['ldquo', '“'], ['rdquo', '”'], ['hellip', '…'], ['pound', '£'], ['euro', '€'],
  ['copy', '©'], ['reg', '®'], ['bull', '•'], ['middot', '·'], ['shy', ''], ['zwnj', ''], ['zwj', ''],
]);

/** One character reference (`amp`, `#39`, `#x2019`), or undefined when it is not one we decode. */
function entity(name: string): string | undefined {
  if (name.startsWith('#')) {
    const hex = name[1] === 'x' || name[1] === 'X';
    const digits = name.slice(hex ? 2 : 1);
    if (digits === '' || !(hex ? /^[0-9a-fA-F]+$/ : /^\d+$/).test(digits)) return undefined;
    const code = Number.parseInt(digits, hex ? 16 : 10);
    if (code <= 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return undefined;
    return String.fromCodePoint(code);
  }
  return ENTITIES.get(name) ?? ENTITIES.get(name.toLowerCase());
}

/** Character references decoded in one pass; each `&` looks at most 12 characters ahead, so it is linear. */
function decodeEntities(text: string): string {
  let out = '';
  let i = 0;
  for (;;) {
    const amp = text.indexOf('&', i);
    if (amp < 0) return out + text.slice(i);
    out += text.slice(i, amp);
    // The `;` is looked for among the next 12 characters only: searching the rest of the text from
    // every `&` would make a run of ampersands quadratic.
    const semi = text.slice(amp + 1, amp + 13).indexOf(';') + amp + 1;
    const decoded = semi > amp + 1 ? entity(text.slice(amp + 1, semi)) : undefined;
    if (decoded === undefined) {
      out += '&';
      i = amp + 1;
    } else {
      out += decoded;
      i = semi + 1;
    }
  }
}

/** Where a tag that opens at `from` (just after `<`) ends: its `>`, skipping quoted attribute values; -1 if never. */
function tagEnd(html: string, from: number): number {
  let quote = '';
  let afterEquals = false;
  for (let i = from; i < html.length; i += 1) {
    const ch = html[i] ?? '';
    if (quote !== '') {
      if (ch === quote) quote = '';
      continue;
    }
    if (ch === '>') return i;
    // A quote opens a value only after `=`: an apostrophe elsewhere (`<p don't>`) is just a character.
    if ((ch === '"' || ch === "'") && afterEquals) quote = ch;
    else if (ch === '=') afterEquals = true;
    else if (ch !== ' ' && ch !== '\t' && ch !== '\n' && ch !== '\r') afterEquals = false;
  }
  return -1;
}

function isLetter(ch: string): boolean {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

function isNameChar(ch: string): boolean {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
}

/** The element name of a tag whose text starts at `from` (after `<` and any `/`), lower-cased. */
function tagName(html: string, from: number, end: number): string {
  let i = from;
  while (i < end && isNameChar(html[i] ?? '')) i += 1;
  return html.slice(from, i).toLowerCase();
}

/**
 * The text of an HTML body, in one forward pass: tags dropped, the content of `<style>`,
 * `<script>` and `<title>` left out (Outlook puts a style sheet at the top of every body), line
 * breaks where `<br>` and block elements make them, entities decoded, runs of spaces made one. No
 * position is read more than a fixed number of times (a hidden element with no end tag is searched
 * for once, not again for each later one), so the time is linear in the length of the body.
 */
export function htmlToText(html: string): string {
  const parts: string[] = [];
  /** Whether the line being written has any text yet: a block boundary adds no empty line. */
  let lineHasText = false;
  /** Hidden elements already known to have no end tag after some point: not searched for again. */
  const unclosed = new Set<string>();
  const lineBreak = (): void => {
    if (lineHasText) parts.push('\n');
    lineHasText = false;
  };
  let i = 0;
  while (i < html.length) {
    const lt = html.indexOf('<', i);
    const textEnd = lt < 0 ? html.length : lt;
    if (textEnd > i) {
      // Whitespace in HTML text, line breaks included, shows as one space.
      const chunk = decodeEntities(html.slice(i, textEnd).replace(/[ \t\r\n\f]+/g, ' '));
      parts.push(chunk);
      if (chunk.trim() !== '') lineHasText = true;
    }
    if (lt < 0) break;
    if (html.startsWith('<!--', lt)) {
      const close = html.indexOf('-->', lt + 4);
      i = close < 0 ? html.length : close + 3;
      continue;
    }
    const next = html[lt + 1] ?? '';
    if (!(isLetter(next) || next === '/' || next === '!' || next === '?')) {
      // A `<` that opens no tag ("a < b") is text.
      parts.push('<');
      i = lt + 1;
      continue;
    }
    const gt = tagEnd(html, lt + 1);
    // A tag that never ends: what follows is inside it, and no reader would see it.
    if (gt < 0) break;
    const closing = next === '/';
    const name = tagName(html, closing ? lt + 2 : lt + 1, gt);
    i = gt + 1;
    if (name === 'br') {
      parts.push('\n');
      lineHasText = false;
    } else if (BLOCK.has(name)) {
      lineBreak();
    } else if (!closing && HIDDEN.has(name) && html[gt - 1] !== '/') {
      const end = unclosed.has(name) ? -1 : endTagAfter(html, name, i);
      if (end < 0) unclosed.add(name);
      else i = end;
    }
  }
  return tidyLines(parts.join(''));
}

/** Just past the `</name …>` that ends a hidden element, searching from `from`; -1 when there is none. */
function endTagAfter(html: string, name: string, from: number): number {
  let at = from;
  for (;;) {
    const open = html.indexOf('</', at);
    if (open < 0) return -1;
    const candidate = html.slice(open + 2, open + 2 + name.length);
    if (candidate.toLowerCase() === name && !isNameChar(html[open + 2 + name.length] ?? '')) {
      const gt = html.indexOf('>', open);
      return gt < 0 ? html.length : gt + 1;
    }
    at = open + 2;
  }
}

/** Each line trimmed, at most one empty line in a row, none at either end. */
function tidyLines(text: string): string {
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[ \t\u00a0]+/g, ' ').trim();
    if (line === '' && (out.length === 0 || out[out.length - 1] === '')) continue;
    out.push(line);
  }
  while (out.length > 0 && out[out.length - 1] === '') out.pop();
  return out.join('\n');
}
