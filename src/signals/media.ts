/**
 * Media signals: what makes a member's statement to the press party political in nature, so that it
 * needs no Clerk (004 11.5c: "… except in relation to a statement which is party political in nature").
 */
import { words, type PhrasePattern } from './match.js';
import { memoizeList } from './memo.js';
import { partyPattern } from './political.js';

/** A party statement to the press needs no Clerk (004 11.5c): "on behalf of the Labour group", "as Green group leader", "our party". */
export function partyStatementPatterns(parties: readonly string[]): PhrasePattern[] {
  return [...partyStatementPatternsOf(parties)];
}

const partyStatementPatternsOf = memoizeList((parties: readonly string[]): readonly PhrasePattern[] => {
  const generic = words(
    'party-political statement',
    'on\\s+behalf\\s+of\\s+(?:my|our|the)\\s+party',
    'our\\s+party(?![\\p{L}])(?!\\s+(?:on|for|at)\\s+(?:the|a)\\s+(?:green|park|square|street|hall))',
    'speaking\\s+for\\s+(?:my|our|the)\\s+party',
    'party\\s+political\\s+statement',
  );
  if (parties.length === 0) return [generic];
  return [
    generic,
    partyPattern(
      'party-political statement',
      parties,
      "(?:[Oo]n\\s+behalf\\s+of|[Ss]peaking\\s+for|[Ff]rom|[Bb]y)\\s+(?:the\\s+|my\\s+|our\\s+)?",
      '\\s+(?:[Gg]roup|[Pp]arty|[Cc]ouncillors|[Gg]roup\\s+of\\s+councillors)',
    ),
    partyPattern('party-political statement', parties, '[Aa]s\\s+(?:the\\s+)?', '\\s+(?:[Gg]roup\\s+)?[Ll]eader'),
    partyPattern('party-political statement', parties, '', '\\s+[Gg]roup\\s+statement'),
  ];
});
