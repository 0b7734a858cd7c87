/**
 * Text bound for a terminal, made harmless. Subjects, titles, names and locations come from mail and
 * calendars anyone can send; an escape sequence in one (ESC [ …, a C1 control such as CSI or OSC,
 * a carriage return that rewrites the line, a bidirectional override that reorders it) would
 * otherwise be obeyed by the Clerk's terminal: recolouring, hiding or forging lines of the report.
 * Each such character is shown instead as a visible stand-in; line breaks and tabs are kept.
 */

/**
 * C0 controls other than tab, newline and a carriage return ending a line, DEL, C1 controls, and the
 * bidirectional embedding, override and isolate marks.
 */
const UNSAFE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]|\r(?!\n)/g;

function standIn(c: string): string {
  const code = c.charCodeAt(0);
  // C0 controls have their own visible pictures (U+2400…U+241F: ␛ for ESC, ␍ for CR); DEL has ␡.
  if (code < 0x20) return String.fromCharCode(0x2400 + code);
  if (code === 0x7f) return '\u2421';
  return `\\u{${code.toString(16)}}`;
}

/** `text` with every control character that a terminal would act on replaced by a visible stand-in. */
export function forTerminal(text: string): string {
  return text.replace(UNSAFE, standIn);
}
