/**
 * Phrases by which a member says in what capacity they write (004 12.5, 11.5a): as ward member,
 * personally, on behalf of the Council, or on behalf of a party group. Signatures count here, so
 * the text is cut only at quoted replies, never at the signature.
 */
import { letterRegExp } from './letters.js';
import { ownLines, words, type PhrasePattern } from './match.js';
import { memoizeList } from './memo.js';
import { escapeRegExp } from './regex.js';


const NOT_LETTER = '(?![\\p{L}])';

/** Capacity phrases; `wardNames` makes signature lines such as "Councillor, Castle Ward" count. */
export function capacityPatterns(wardNames: readonly string[]): PhrasePattern[] {
  return [...capacityPatternsOf(wardNames)];
}

const patternsByWards = new WeakMap<readonly { name: string }[], readonly PhrasePattern[]>();

/** `capacityPatterns` for a directory's (unchanging) list of wards, built once per list. */
export function councilCapacityPatterns(wards: readonly { name: string }[]): readonly PhrasePattern[] {
  let patterns = patternsByWards.get(wards);
  if (!patterns) {
    patterns = capacityPatternsOf(wards.map((w) => w.name));
    patternsByWards.set(wards, patterns);
  }
  return patterns;
}

const capacityPatternsOf = memoizeList((wardNames: readonly string[]): readonly PhrasePattern[] => {
  const patterns: PhrasePattern[] = [
    words('as ward member', `as\\s+(?:your\\s+|a\\s+|the\\s+|one\\s+of\\s+your\\s+)?(?:local\\s+)?ward\\s+(?:member|councillor)s?`, 'ward\\s+councillors?'),
    words('as councillor for', `as\\s+(?:your\\s+|a\\s+|the\\s+|one\\s+of\\s+the\\s+)?(?:local\\s+)?(?:town\\s+)?councillors?\\s+for`),
    words(
      'personal capacity',
      `in\\s+(?:a|my)\\s+(?:personal|private|individual)\\s+capacity`,
      'my\\s+(?:own\\s+)?personal\\s+(?:view|opinion)',
      'speaking\\s+personally',
      'personally\\s+speaking',
      'as\\s+a\\s+(?:private\\s+individual|resident)',
    ),
    words('stated capacity', 'in\\s+my\\s+capacity\\s+as', `writing\\s+as${NOT_LETTER}(?!\\s+(?:soon|quickly|promised|agreed|requested|discussed)${NOT_LETTER})`),
    words('as Mayor', `as\\s+(?:the\\s+)?(?:town\\s+)?mayor`, '(?:town\\s+)?mayor\\s+of\\s+\\p{L}+'),
    words('as chairman or leader', `as\\s+(?:the\\s+)?(?:chairman|chair|vice-chairman|leader)\\s+of`, 'leader\\s+of\\s+the\\s+council'),
    words('on behalf of a party group', `on\\s+behalf\\s+of\\s+(?:the\\s+)?(?:[\\p{L}'’-]+\\s+){1,3}(?:group|party)${NOT_LETTER}`),
    words('on behalf of the Council', `on\\s+behalf\\s+of\\s+(?:the\\s+)?(?:[\\p{L}'’-]+\\s+){0,2}council${NOT_LETTER}`),
  ];
  const names = wardNames.map((n) => n.trim()).filter((n) => n.length > 0);
  if (names.length > 0) {
    const ward = `(?:${names.map((n) => n.split(/\s+/).map(escapeRegExp).join('\\s+')).join('|')})`;
    patterns.push(
      words(
        'ward signature',
        `councillor\\s*[,–—-]?\\s*(?:for\\s+)?(?:the\\s+)?${ward}(?:\\s+ward)?`,
        `(?:member|councillor)\\s+for\\s+(?:the\\s+)?${ward}`,
        `${ward}\\s+ward\\s+(?:member|councillor)`,
      ),
    );
    // "Cllr Sue Taylor / Riverside Ward": the title, a name in capitals, then the ward. Case matters
    // here, so that "Cllr Tom Brown and the Castle ward" in a sentence is not a signature.
    patterns.push({
      label: 'ward signature',
      re: letterRegExp(
        String.raw`(?<![\p{L}\p{N}])(?:Cllr|CLLR|Councillor|COUNCILLOR)\.?\s+(?:\p{Lu}[\p{L}'’.-]*\s+){1,3}?[,/|–—-]?\s*(?:[Tt]he\s+)?` +
          ward +
          String.raw`\s+(?:[Ww]ard|WARD)(?![\p{L}\p{N}])`,
        'u',
      ),
    });
  }
  // "Town Mayor" or "Deputy Mayor" standing alone on a signature line.
  patterns.push({
    label: 'as Mayor',
    re: letterRegExp(String.raw`(?<![^\n])[ \t]*(?:deputy\s+)?(?:town\s+)?mayor(?:\s+of\s+\p{L}+(?:\s+\p{L}+)?)?[ \t]*(?![^\r\n])`, 'iu'),
  });
  return patterns;
});

/** Subjects of automatic replies, which say nothing about capacity and need not. */
export const AUTO_REPLY_SUBJECT = /^\s*(?:automatic\s+reply|auto(?:matic)?[\s-]*reply|auto:|out\s+of\s+(?:the\s+)?office)/i;

/**
 * The message's own text including its signature and sign-off block: quoted and forwarded
 * history, disclaimers, footers and bounce text are dropped (see quoting.ts and signature.ts).
 */
export function withoutQuotedReplies(text: string): string {
  return ownLines(text, true);
}
