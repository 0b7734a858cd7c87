/**
 * Phrases that speak for the Council, and phrases that create obligations or give instructions.
 * Used by official-letters-from-officers: official letters go in an officer's name (002 9.2,
 * 004 12.2) and letters creating obligations never go in a member's name (004 12.4).
 */
import { letterRegExp } from './letters.js';
import { words, type PhrasePattern } from './match.js';
import { memoize } from './memo.js';
import { escapeRegExp } from './regex.js';


function spaced(s: string): string {
  return s.trim().split(/\s+/).map(escapeRegExp).join('\\s+');
}

/**
 * Regex source naming the Council: its full name ("Millbrook Town Council"), the name without
 * its type ("Millbrook Council"), "the Town Council" or "the Council".
 */
export function councilNameSource(councilName: string): string {
  const alternatives = new Set<string>();
  if (councilName.trim()) alternatives.add(spaced(councilName));
  const short = councilName.replace(/\s+(?:town|parish|borough|district|city|county)\s+council\s*$/i, ' Council');
  if (short.trim() && short !== councilName) alternatives.add(spaced(short));
  alternatives.add('(?:the\\s+)?(?:town|parish|borough|district|city|county)\\s+council');
  alternatives.add('the\\s+council');
  return `(?:${[...alternatives].join('|')})`;
}

/** Not preceded by a negation within three words ("I am not writing on behalf of the Council"). */
const NOT_NEGATED = "(?<!(?:not|never|cannot|can['’]t|rather\\s+than)\\s+(?:[\\p{L}'’]+\\s+){0,3})";

/** After "the Council will …": verbs that only inform (the Council will consider it at its next meeting). */
const INFORMATIONAL_VERB =
  '(?:consider|discuss|debate|look|review|receive|hear|decide|meet|be|respond|reply|write|let|publish|consult|note|need|want|have|hold|host|make\\s+a\\s+decision)(?![\\p{L}])';

/** Phrases that speak on behalf of the Council. */
export function onBehalfPatterns(councilName: string): PhrasePattern[] {
  return [...onBehalfPatternsOf(councilName)];
}

const onBehalfPatternsOf = memoize(String, (councilName: string): readonly PhrasePattern[] => {
  const council = councilNameSource(councilName);
  return [
    words('on behalf of the Council', `${NOT_NEGATED}(?:for\\s+and\\s+)?on\\s+behalf\\s+of\\s+(?:the\\s+)?${council}(?!['’]s)`),
    words(
      'speaks for the Council',
      `${NOT_NEGATED}${council}\\s+(?:has|have)\\s+(?:now\\s+|formally\\s+)?(?:decided|agreed|resolved|approved|instructed|authori[sz]ed)`,
      `${NOT_NEGATED}${council}\\s+(?:agrees|accepts|approves|confirms|undertakes)(?!\\s+(?:no|none|any)(?![\\p{L}]))`,
    ),
    words('speaks for the Council', `${NOT_NEGATED}${council}\\s+will\\s+(?!not(?![\\p{L}])|${INFORMATIONAL_VERB})\\p{L}+`),
    words(
      'the Council’s representative',
      `as\\s+(?:the\\s+)?${council}['’]s\\s+(?:representative|nominee|delegate)`,
      `(?:I\\s+am|I['’]m|we\\s+are|we['’]re)\\s+authori[sz]ed\\s+by\\s+(?:the\\s+)?${council}`,
    ),
  ];
});

/** "The Council will consider this at its next meeting": information, not a commitment. */
export function informationalPatterns(councilName: string): PhrasePattern[] {
  return [...informationalPatternsOf(councilName)];
}

const informationalPatternsOf = memoize(String, (councilName: string): readonly PhrasePattern[] => [
  words('informs about the Council', `${councilNameSource(councilName)}\\s+will\\s+${INFORMATIONAL_VERB}`),
]);

/** Phrases that create obligations or give instructions. */
export function obligationPatterns(councilName: string): PhrasePattern[] {
  return [...obligationPatternsOf(councilName)];
}

const obligationPatternsOf = memoize(String, (councilName: string): readonly PhrasePattern[] => {
  const council = councilNameSource(councilName);
  return [
    words(
      'accepts a quotation',
      '(?:we|I)\\s+(?:are\\s+|am\\s+)?(?:pleased\\s+to\\s+|happy\\s+to\\s+|hereby\\s+)?accept\\s+your\\s+(?:quotation|quote|tender|estimate|offer|proposal|price|terms)',
    ),
    words('instruction to proceed', 'please\\s+(?:now\\s+)?(?:proceed|go\\s+ahead)', 'you\\s+(?:may|can|should)\\s+(?:now\\s+)?(?:proceed|go\\s+ahead)'),
    words('instruction', 'you\\s+are\\s+(?:hereby\\s+)?instructed\\s+to', '(?:we|I)\\s+(?:hereby\\s+)?instruct\\s+you'),
    words('authorisation', '(?:we|I)\\s+(?:hereby\\s+)?authori[sz]e'),
    words('commitment to pay', `${council}\\s+will\\s+(?:pay|reimburse|refund|cover|fund|meet\\s+the\\s+costs?|compensate|contribute)`),
    words('commitment to pay', 'we\\s+will\\s+(?:pay|reimburse|refund|cover\\s+the\\s+costs?|meet\\s+the\\s+costs?|compensate|settle)'),
    words(
      'order',
      '(?:we|I)\\s+(?:can\\s+|hereby\\s+)?confirm\\s+(?:the|our|this|my)\\s+order',
      'please\\s+treat\\s+this\\s+(?:(?:e-?mail|letter|message)\\s+)?as\\s+(?:an?|our|the)\\s+(?:official\\s+|formal\\s+)?(?:order|instruction|purchase\\s+order)',
    ),
    words('instruction to start work', 'please\\s+(?:start|begin|commence)\\s+(?:the\\s+)?works?'),
  ];
});

const SPEAKS_FOR_A_BODY = letterRegExp(String.raw`(?<![\p{L}])(?:we|our|council)(?![\p{L}])`, 'iu');

/** True when an obligation phrase itself speaks for a body ("we accept …", "the Council will pay …"). */
export function speaksForABody(phrase: string): boolean {
  return SPEAKS_FOR_A_BODY.test(phrase);
}
