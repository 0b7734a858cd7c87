/**
 * What in the author's own lines is not their words: material a mail system, a mailing list or
 * the author's signature adds under (or over) what they wrote. Left out of both views of a message:
 *
 * - legal and confidentiality disclaimers ("This e-mail may contain confidential information…"),
 *   recognised by their own wording;
 * - newsletter and mailing-list footers ("To unsubscribe please send an email…", "You are
 *   receiving this because…");
 * - bounce text ("This is the mail system at host…", "Delivery has failed to these recipients…")
 *   and the returned message under it;
 * - external-sender banners and "view this e-mail in your browser" lines.
 *
 * Left out of the own words, kept in the signed view (where a member says in what capacity they
 * write): the signature after an RFC 3676 "-- " line, and a sign-off block — a closing ("Kind
 * regards", "Best wishes", "Many thanks, Sam", "Sent from my iPhone") followed only by lines a
 * signature is made of (names, titles, the council's address, telephone, e-mail, web address).
 * A sign-off block is trailing material only: one line of ordinary prose after the closing and
 * it is not one. Each check reads a line, or a bounded number of them, once: linear in the text.
 */
import { splitQuoted, type QuotedSplit } from './quoting.js';

/** The first line of a disclaimer. */
const DISCLAIMER_START = new RegExp(
  String.raw`^\s*(?:[*=_#-]+\s*)?(?:` +
    [
      String.raw`(?:e-?mail\s+)?disclaimer\b`,
      String.raw`confidentiality\s+(?:notice|statement|note|warning)\b`,
      String.raw`legal\s+notice\b`,
      String.raw`important\s+notice\b`,
      String.raw`important\s*:\s*(?:this|the\s+information)\b`,
      String.raw`(?:this|the\s+information\s+in\s+this|the\s+contents?\s+of\s+this|any\s+information\s+in\s+this)\s+(?:e-?mail|message|communication|transmission)(?:\s+message)?\s+(?:\(?and\s+any\s+(?:attachments?|files?)|(?:is|are|may\s+be)\s+(?:strictly\s+)?(?:confidential|private|intended|privileged|for\s+the\s+(?:sole\s+)?use)|may\s+contain|contains?\s+(?:confidential|information|privileged))`,
      String.raw`if\s+you\s+(?:are\s+not\s+the\s+intended|have\s+received\s+this\s+(?:e-?mail|message|communication|transmission)\s+in\s+error)`,
      String.raw`any\s+(?:views\s+or\s+opinions|views|opinions)\s+(?:expressed|presented|contained)`,
      String.raw`(?:incoming\s+and\s+outgoing\s+)?e-?mails?\s+(?:to\s+and\s+from|sent\s+to\s+(?:and|or)\s+from)\b`,
      String.raw`this\s+(?:e-?mail|message)\s+has\s+been\s+(?:scanned|checked|swept)\s+for\s+(?:viruses|malware)`,
      String.raw`(?:warning\s*:\s*)?(?:computer\s+)?viruses\s+can\s+be\s+transmitted`,
      String.raw`privacy\s+notice\s*:`,
      String.raw`data\s+protection\s*:`,
    ].join('|') +
    ')',
  'i',
);

/** Wording that only a disclaimer has: a first line that opens like one is one only when its paragraph says this. */
const DISCLAIMER_WORDING =
  /intended\s+recipient|received\s+(?:this|it)\s+(?:[^\s]+\s+){0,2}?in\s+error|may\s+contain\s+(?:confidential|privileged|information)|legally\s+privileged|(?:solely|only)\s+for\s+the\s+(?:use|attention)|addressee|views\s+(?:or\s+opinions\s+)?expressed|viruses|monitored|unauthori[sz]ed|disclaimer|confidentiality\s+notice|and\s+any\s+(?:attachments?|files)/i;
/** How many lines of a paragraph are read for DISCLAIMER_WORDING. */
const DISCLAIMER_PARAGRAPH_LINES = 20;

/** The first line of a newsletter or mailing-list footer. */
const FOOTER_START = new RegExp(
  String.raw`^\s*(?:[*=_#-]+\s*)?(?:` +
    [
      String.raw`to\s+unsubscribe\b`,
      String.raw`unsubscribe\s*(?:$|[|:<[(•·-])`,
      String.raw`click\s+here\s+to\s+unsubscribe`,
      String.raw`you\s+(?:are\s+receiving|received|have\s+received|receive)\s+this\s+(?:e-?mail\s+|message\s+|newsletter\s+|bulletin\s+|update\s+)?(?:because|as\s+(?:you|a)\b|since)`,
      String.raw`if\s+you\s+(?:no\s+longer\s+wish|do\s+not\s+wish|would\s+(?:prefer|rather)\s+not|don['’]t\s+want)\s+to\s+receive`,
      String.raw`this\s+(?:e-?mail|message|newsletter)\s+was\s+sent\s+to\s+\S+@`,
      String.raw`(?:manage|update|change)\s+(?:your\s+)?(?:subscription|(?:e-?mail\s+)?preferences)\b`,
      String.raw`want\s+to\s+change\s+how\s+you\s+receive\s+these`,
      String.raw`(?:you\s+can\s+)?opt\s+out\s+of\s+(?:these|future)\s+(?:e-?mails|messages|updates)`,
    ].join('|') +
    ')',
  'i',
);

/** The first line of a delivery-failure report: it and the returned message under it are nobody's request. */
const BOUNCE_START = new RegExp(
  String.raw`^\s*(?:` +
    [
      String.raw`this\s+is\s+the\s+mail\s+(?:system|delivery\s+agent)\s+at\b`,
      String.raw`this\s+message\s+was\s+created\s+automatically\s+by\s+mail\s+delivery\s+software`,
      String.raw`i['’]m\s+sorry\s+to\s+have\s+to\s+inform\s+you\s+that\s+your\s+message\s+could\s+not`,
      String.raw`delivery\s+has\s+failed\s+to\s+these\s+recipients`,
      String.raw`your\s+message\s+(?:couldn['’]t|could\s+not|wasn['’]t|was\s+not)\s+(?:be\s+)?delivered\b`,
      String.raw`(?:the\s+)?following\s+message\s+to\s+\S+\s+was\s+undeliverable`,
      String.raw`delivery\s+to\s+the\s+following\s+recipients?\s+failed`,
      String.raw`mail\s+delivery\s+failed\s*:`,
      String.raw`undelivered\s+mail\s+returned\s+to\s+sender`,
      String.raw`a\s+message\s+that\s+you\s+sent\s+could\s+not\s+be\s+delivered`,
      String.raw`your\s+message\s+did\s+not\s+reach\s+some\s+or\s+all\s+of\s+the\s+intended\s+recipients`,
      String.raw`delivery\s+status\s+notification\s*\(failure\)`,
      String.raw`diagnostic\s+information\s+for\s+administrators\s*:`,
    ].join('|') +
    ')',
  'i',
);

/** A banner a mail gateway puts over a message; only its paragraph is left out. */
const BANNER =
  /^\s*(?:[[*(]+\s*)?(?:external\s+(?:e-?mail|sender|message)\b|caution\s*:\s*(?:external\b|this\s+(?:e-?mail|message)\s+(?:originated|came|was\s+sent)\s+from\s+outside)|warning\s*:\s*this\s+(?:e-?mail|message)\s+(?:originated|came)\s+from\s+outside|this\s+(?:e-?mail|message)\s+(?:originated|came)\s+from\s+outside\s+(?:of\s+)?(?:the|your|our)\s+organi[sz]ation|you\s+don['’]t\s+often\s+get\s+e-?mail\s+from)/i;

/** A line a newsletter or mail system adds on its own; only the line is left out. */
const BOILERPLATE_LINE =
  /^\s*(?:view\s+(?:this\s+(?:e-?mail|newsletter|message)|it)\s+(?:in|on)\s+(?:your|a|the)\s+(?:web\s+)?browser|(?:please\s+)?(?:consider|think\s+of)\s+the\s+environment\s+before\s+printing|having\s+trouble\s+(?:viewing|reading)\s+this\s+(?:e-?mail|message))/i;

/** The RFC 3676 signature delimiter ("-- "), and the same without its space as many clients write it. */
const SIGNATURE_DELIMITER = /^-- ?$/;

/** A closing that opens a sign-off block ("Kind regards,", "Many thanks Sam", "Yours sincerely"). */
const CLOSING =
  /^\s*(?:(?:with\s+)?(?:kind(?:est)?|best|warm(?:est)?|many|good|fond|all\s+good)\s+(?:regards|wishes|thanks)|(?:with\s+)?(?:many\s+)?thanks(?:\s+(?:again|so\s+much|in\s+advance|very\s+much|and\s+regards))?|thank\s+you(?:\s+(?:again|so\s+much|in\s+advance|very\s+much))?|regards|yours(?:\s+(?:sincerely|faithfully|truly|ever))?|sincerely|cheers|all\s+the\s+best|best|take\s+care|speak\s+soon|respectfully|cordially)(?![a-z])[ \t]*([,.!;:–—-]*)[ \t]*/i;
/** Closings after which a name may follow without a comma ("Thanks Sam", "Many thanks Tom"). */
const THANKS = /^\s*(?:with\s+)?(?:many\s+)?thank/i;
/** A name after a closing on the same line: up to four capitalised words. */
const NAME_AFTER_CLOSING = /^[A-ZÀ-Þ][^\s\d,;:!?]*(?:\s+[A-ZÀ-Þ][^\s\d,;:!?]*){0,3}$/;
/** A line a mobile client adds, which ends the author's words as a closing does. */
const DEVICE_LINE = /^\s*(?:sent\s+from\s+(?:my\s+|mail\s+for\s+|outlook\b|yahoo\b|samsung\b)|get\s+outlook\s+for\s+(?:ios|android)|sent\s+via\s+)/i;

/** A sign-off block holds at most this many non-empty lines after its closing. */
const MAX_SIGNATURE_LINES = 15;
/** A signature line is short. */
const MAX_SIGNATURE_LINE = 120;
/** A signature line may hold this many words. */
const MAX_SIGNATURE_WORDS = 14;
const EMAIL = /[^\s@]@[^\s@]+\.[^\s@]/;
const WEB = /(?:https?:\/\/|www\.)\S/i;
const PHONE = /\+?\d[\d ()-]{7,}\d/;
const POSTCODE = /\b[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}\b/;
/** Small words that stand in lower case in a title or an address ("Clerk to the Council", "he/him"). */
const MINOR_WORDS = new Set([
  'of', 'and', 'the', 'for', 'to', 'at', 'in', 'on', 'by', 'with', 'de', 'la', 'le', 'van', 'von', 'der', 'den', 'upon', 'under', 'over',
  'he', 'him', 'his', 'she', 'her', 'hers', 'they', 'them', 'theirs', 'ext', 'tel', 'mob', 'fax', 'email', 'e-mail', 'web',
]);

/**
 * The words the patterns above can start with (after spaces and marks such as "*", "=", "[").
 * A line opening with any other word is none of them, and is passed over with one look.
 */
const OPENING_WORDS = new Set([
  // disclaimers
  'e', 'email', 'emails', 'disclaimer', 'confidentiality', 'legal', 'important', 'this', 'the', 'any', 'if', 'incoming',
  'warning', 'computer', 'viruses', 'privacy', 'data',
  // footers
  'to', 'unsubscribe', 'click', 'you', 'manage', 'update', 'change', 'want', 'opt',
  // bounces
  'i', 'delivery', 'your', 'following', 'mail', 'undelivered', 'a', 'diagnostic',
  // lines and banners
  'view', 'please', 'consider', 'think', 'having', 'external', 'caution',
]);
const OPENING_WORD = /^[\s*=_#[(-]*([A-Za-z]+)/;

function mayBeBoilerplate(line: string): boolean {
  const word = OPENING_WORD.exec(line)?.[1];
  return word !== undefined && OPENING_WORDS.has(word.toLowerCase());
}

function isBlank(line: string): boolean {
  return line.trim().length === 0;
}

/** Names, titles and addresses: every word of three letters or more capitalised, small words apart. */
function titleLike(line: string): boolean {
  const words = line.split(/[\s,|/•·–—:;()&+]+/).filter((w) => w.length > 0);
  if (words.length > MAX_SIGNATURE_WORDS) return false;
  for (const word of words) {
    const letters = word.replace(/^[^A-Za-zÀ-ÿ]+/, '');
    const first = letters.charAt(0);
    if (first === '' || letters.length < 3) continue;
    if (first !== first.toUpperCase() && !MINOR_WORDS.has(letters.toLowerCase().replace(/[.'’]+$/, ''))) return false;
  }
  return true;
}

/** A line a signature is made of: a name, a title, an address, a telephone number, an e-mail or web address. */
function signatureLine(line: string): boolean {
  const text = line.trim();
  if (text.length > MAX_SIGNATURE_LINE) return false;
  return EMAIL.test(text) || WEB.test(text) || PHONE.test(text) || POSTCODE.test(text) || DEVICE_LINE.test(text) || titleLike(text);
}

/** Is the line a closing, alone or followed by the author's name? */
export function isClosing(line: string): boolean {
  if (DEVICE_LINE.test(line)) return line.trim().length <= MAX_SIGNATURE_LINE;
  const m = CLOSING.exec(line);
  if (!m) return false;
  const rest = line.slice(m[0].length).trim();
  if (rest.length === 0) return true;
  const punctuated = (m[1] ?? '').length > 0;
  return (punctuated || THANKS.test(line)) && NAME_AFTER_CLOSING.test(rest);
}

/**
 * Where the sign-off block at the end of `lines` starts: the closing, when only signature lines
 * follow it; otherwise -1. Read backwards from the end, at most MAX_SIGNATURE_LINES lines.
 */
export function signOffStart(lines: readonly string[]): number {
  let seen = 0;
  for (let j = lines.length - 1; j >= 0; j--) {
    const line = lines[j] ?? '';
    if (isBlank(line)) continue;
    if (isClosing(line)) return j;
    if (++seen > MAX_SIGNATURE_LINES || !signatureLine(line)) return -1;
  }
  return -1;
}

/** Does the paragraph starting at `i` read as a disclaimer? */
function disclaimerParagraph(lines: readonly string[], i: number): boolean {
  for (let j = i; j < lines.length && j < i + DISCLAIMER_PARAGRAPH_LINES; j++) {
    const line = lines[j] ?? '';
    if (j > i && isBlank(line)) return false;
    if (DISCLAIMER_WORDING.test(line)) return true;
  }
  return false;
}

interface RunWords {
  lines: string[];
  /** A delivery-failure report began: nothing after it is the author's. */
  bounced: boolean;
}

/** The author's words in one run of own lines: boilerplate left out, and the signature unless `keepSignature`. */
function wordsOfRun(run: readonly string[], keepSignature: boolean, hadWords: boolean): RunWords {
  const out: string[] = [];
  let words = hadWords;
  let bounced = false;
  for (let i = 0; i < run.length; i++) {
    const line = run[i] ?? '';
    if (isBlank(line)) {
      out.push(line);
      continue;
    }
    if (!keepSignature && SIGNATURE_DELIMITER.test(line)) break;
    if (mayBeBoilerplate(line)) {
      if (BOUNCE_START.test(line)) {
        bounced = true;
        break;
      }
      if (FOOTER_START.test(line)) break;
      // A disclaimer under the author's words; or, with nothing above it, one that reads as a disclaimer
      // throughout ("This email is confidential: the Part II report" heading a message is a marking).
      if (DISCLAIMER_START.test(line) && (words || disclaimerParagraph(run, i))) break;
      if (BOILERPLATE_LINE.test(line)) continue;
      if (BANNER.test(line) && (i === 0 || isBlank(run[i - 1] ?? ''))) {
        while (i + 1 < run.length && !isBlank(run[i + 1] ?? '')) i++;
        continue;
      }
    }
    out.push(line);
    words = true;
  }
  if (!keepSignature) {
    const start = signOffStart(out);
    if (start >= 0) out.length = start;
  }
  return { lines: out, bounced };
}

/** The author's words from a split message, runs joined with a blank line between them. */
export function authorWords(split: QuotedSplit, keepSignature: boolean): string {
  const out: string[] = [];
  let hadWords = false;
  for (const run of split.runs) {
    const { lines, bounced } = wordsOfRun(run, keepSignature, hadWords);
    if (lines.some((l) => !isBlank(l))) {
      // Words on either side of a quoted block are separate paragraphs, never one sentence.
      if (out.length > 0 && !isBlank(out[out.length - 1] ?? '')) out.push('');
      out.push(...lines);
      hadWords = true;
    }
    if (bounced) break;
  }
  return out.join('\n');
}

/**
 * The author's own words in a message's plain text: no quoted or forwarded history, no
 * disclaimer, footer or bounce text, and no signature or sign-off block unless `keepSignature`.
 */
export function authorText(text: string, keepSignature: boolean): string {
  return authorWords(splitQuoted(text), keepSignature);
}

/**
 * `text` without the council's own address block at its end: trailing paragraphs made only of
 * signature lines (names, titles, address, telephone, web address), one of which names the
 * council (`marks`: its name, its mail domains). A signature with no closing above it, such as an
 * Outlook one, is left in the own words; where a message is placed in a ward, the council's own
 * address in it must not count. Each trailing paragraph is read once.
 */
export function withoutCouncilAddress(text: string, marks: readonly string[]): string {
  const needles = marks.map((m) => m.trim().toLowerCase()).filter((m) => m.length > 0);
  if (needles.length === 0) return text;
  const lines = text.split('\n');
  let end = lines.length;
  for (;;) {
    while (end > 0 && isBlank(lines[end - 1] ?? '')) end--;
    let start = end;
    while (start > 0 && !isBlank(lines[start - 1] ?? '')) start--;
    if (start === end || end - start > MAX_SIGNATURE_LINES) break;
    const paragraph = lines.slice(start, end);
    if (!paragraph.every(signatureLine)) break;
    const lower = paragraph.join('\n').toLowerCase();
    if (!needles.some((n) => lower.includes(n))) break;
    end = start;
  }
  return end === lines.length ? text : lines.slice(0, end).join('\n');
}
