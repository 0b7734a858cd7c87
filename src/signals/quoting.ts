/**
 * Which lines of a message's plain text are the author's own, and which are history: the
 * messages it replies to or forwards. Every reply shape counts:
 *
 * - top-posting: new words above "On <date>, <name> wrote:" (in the languages and wrappings mail
 *   clients use), an Outlook "From: … Sent: …" header block, "-----Original Message-----", a line
 *   of underscores or a forward marker ("---------- Forwarded message ---------",
 *   "Begin forwarded message:");
 * - bottom-posting: the quoted message first, the new words below it;
 * - interleaved answers: `>` lines with the author's replies between them.
 *
 * A quoted line (`>`) is never the author's; an attribution line is not either. Unquoted lines
 * after an attribution whose quote follows, or between quoted blocks, are the author's own words.
 * History without quote markers — after an Outlook header block, a separator, a forward marker,
 * or an attribution not followed by `>` lines — runs to the end of the text.
 *
 * One pass over the lines; each look-ahead is bounded, so the whole is linear in the text.
 */

/** The author's own lines, in runs: each run is a stretch of own lines between quoted blocks. */
export interface QuotedSplit {
  runs: string[][];
  /** True when quoted lines, attributions or unmarked history were left out. */
  hadHistory: boolean;
}

/** An attribution longer than this is a paragraph of the author's, not a mail client's line. */
const MAX_ATTRIBUTION = 500;
/** How many non-empty lines after a `From:` line may hold its `Sent:`/`Date:`/`Subject:` companion. */
const HEADER_BLOCK_WINDOW = 6;

const QUOTED = /^[ \t]*>/;

/** The verbs that end an attribution ("wrote:", "a écrit :", "schrieb …:", "ysgrifennodd:", …). */
const ATTRIBUTION_VERB =
  /(?:^|[\s,>)\]"'])(?:wrote|writes|schrieb|a\s+écrit|escribió|ha\s+scritto|schreef|skrev|escreveu|ysgrifennodd|napisał(?:\(a\))?|kirjoitti)(?![A-Za-zÀ-ÿ])/i;
/** A line an attribution may end with: a colon, with nothing but spaces after it. */
const ENDS_WITH_COLON = /:\s*$/;
/** How a wrapped attribution's first line opens ("On", "Le", "Am", "El", "Il", "Op", "Em", "Den", "Ar", "W dniu"). */
const ATTRIBUTION_OPENER = /^\s*(?:On|Le|Am|El|Il|Op|Em|Den|Ar|W\s+dniu|Dnia)\s/;
/** An attribution that names a date, time or address: a mail client's, not a sentence of the author's. */
const ATTRIBUTION_DETAIL = /\d|@/;

/** Lines after which everything is an earlier or forwarded message, with no quote markers. */
const SEPARATOR = [
  /^\s*-{2,}\s*(?:Original Message|Forwarded message|Ursprüngliche Nachricht|Weitergeleitete Nachricht|Message d'origine|Message original|Message transféré|Mensaje original|Mensaje reenviado|Messaggio originale|Messaggio inoltrato|Oorspronkelijk bericht|Doorgestuurd bericht|Originalmeddelande|Vidarebefordrat meddelande)\s*-{2,}/i,
  /^\s*-{2,}\s*Forwarded by\b/i,
  /^\s*-{2,}\s*On\b.{0,400}\bwrote\s*-{2,}\s*$/i,
  /^\s*Begin forwarded message\s*:?\s*$/i,
  /^\s*_{8,}\s*$/,
];

/**
 * The first line of an Outlook header block ("From: Sam Patel", "*From:* …", "Von: …", "De : …");
 * not a time ("From: 10:00" over "Date: 3 March" in a message about a meeting).
 */
const FROM_LINE = /^\s*\*?(?:From|Von|De|Da|Van|Från|Fra|Od)\s*:\*?[ \t]*[^\s\d]/i;
/** A companion line of that block, which shows the `From:` line heads an earlier message. */
const HEADER_COMPANION =
  /^\s*\*?(?:Sent|Date|Subject|Gesendet|Datum|Betreff|Envoyé|Objet|Enviado|Fecha|Asunto|Inviato|Data|Oggetto|Verzonden|Onderwerp|Skickat|Ämne|Sendt|Emne|Wysłano|Temat)\s*:/i;

function isBlank(line: string | undefined): boolean {
  return line === undefined || line.trim().length === 0;
}

/** Index of the first non-blank line at or after `from`, or `lines.length`. */
function nextNonBlank(lines: readonly string[], from: number): number {
  let i = from;
  while (i < lines.length && isBlank(lines[i])) i++;
  return i;
}

function isAttributionText(text: string): boolean {
  return text.length <= MAX_ATTRIBUTION && ENDS_WITH_COLON.test(text) && ATTRIBUTION_VERB.test(text);
}

/**
 * How many lines an attribution starting at `i` takes: 1, 2 when a mail client wrapped it ("On
 * Mon, 3 Mar 2025 at 10:12, Sam Patel <" / "sam.patel@…> wrote:"), or 0 when there is none.
 */
function attributionLength(lines: readonly string[], i: number): number {
  const line = lines[i] ?? '';
  if (line.length > MAX_ATTRIBUTION) return 0;
  if (isAttributionText(line)) return 1;
  const next = lines[i + 1];
  if (next === undefined || QUOTED.test(next) || !ATTRIBUTION_OPENER.test(line)) return 0;
  return isAttributionText(`${line} ${next}`) ? 2 : 0;
}

/** Does the `From:` line at `i` head an earlier message (a `Sent:`, `Date:` or `Subject:` line follows closely)? */
function headsHeaderBlock(lines: readonly string[], i: number): boolean {
  if (!FROM_LINE.test(lines[i] ?? '')) return false;
  let seen = 0;
  for (let j = i + 1; j < lines.length && seen < HEADER_BLOCK_WINDOW; j++) {
    const line = lines[j] ?? '';
    if (isBlank(line)) continue;
    seen++;
    if (HEADER_COMPANION.test(line)) return true;
  }
  return false;
}

/** The lines of a text, however its line ends are written. */
export function textLines(text: string): string[] {
  // Splitting on one character is several times quicker than splitting on a pattern.
  return (text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text).split('\n');
}

/**
 * Could the line at `i` start history (a separator, a header block, an attribution)? Each of
 * them holds a colon, a run of dashes or underscores, or "Begin"; a wrapped attribution's first
 * line may hold none, and its second line a colon. Most lines are none of these, and are passed
 * over with this one look instead of every pattern.
 */
const MAY_START_HISTORY = /:|--|__|begin/i;
function mayStartHistory(lines: readonly string[], i: number): boolean {
  const line = lines[i] ?? '';
  if (MAY_START_HISTORY.test(line)) return true;
  const next = lines[i + 1];
  return next !== undefined && next.includes(':') && ATTRIBUTION_OPENER.test(line);
}

/** Split a message's plain text into the author's own lines (in runs) and everything quoted or forwarded. */
export function splitQuoted(text: string): QuotedSplit {
  const lines = textLines(text);
  const runs: string[][] = [];
  let run: string[] = [];
  let hadHistory = false;
  const endRun = (): void => {
    if (run.length > 0) runs.push(run);
    run = [];
  };

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (QUOTED.test(line)) {
      hadHistory = true;
      endRun();
      continue;
    }
    if (!mayStartHistory(lines, i)) {
      run.push(line);
      continue;
    }
    if (SEPARATOR.some((re) => re.test(line)) || headsHeaderBlock(lines, i)) {
      hadHistory = true;
      break;
    }
    const attribution = attributionLength(lines, i);
    if (attribution > 0) {
      const after = nextNonBlank(lines, i + attribution);
      const quoteFollows = after < lines.length && QUOTED.test(lines[after] ?? '');
      if (quoteFollows || after >= lines.length) {
        // The attribution of the quoted block under it (or of nothing): neither is the author's.
        hadHistory = true;
        endRun();
        i += attribution - 1;
        continue;
      }
      const attributionText = attribution === 2 ? `${line} ${lines[i + 1] ?? ''}` : line;
      if (ATTRIBUTION_DETAIL.test(attributionText)) {
        // "On 3 Mar 2025, Sam Patel wrote:" over an earlier message shown without quote markers.
        hadHistory = true;
        break;
      }
      // "Here is what the resident wrote:" — the author's own sentence, introducing their own text.
    }
    run.push(line);
  }
  endRun();
  return { runs, hadHistory };
}
