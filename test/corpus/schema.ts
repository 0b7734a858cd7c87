/**
 * The labelled corpus of phrasings: sentences and short messages as Millbrook's councillors and
 * officers write them, each labelled for the three signals the rules read.
 *
 * Labelling rules
 *
 * request — what the author asks of the reader (or of a team, a department, "someone"):
 * - `work`: to do something — arrange, repair, chase, book, draft, print, deliver, cut back,
 *   empty — however it is phrased: a modal or conditional question ("could you…", "would it be
 *   possible to…", "is there any chance the grounds staff might…"), a hedged wish ("I'd
 *   appreciate it if the office could…", "it would be great if…"), a passive ("can the bins be
 *   emptied"), an imperative with "please", "I need you to…". A text with both work and a
 *   question is `work`.
 * - `factual`: only to be told or sent something that already exists — an answer, a date, a
 *   document ("could you send me the agenda / the minutes", "when is…", "do you know whether…",
 *   "can you confirm the date", "could I have a copy of…", "will you be at…").
 * - `none`: statements, thanks, offers, invitations, courtesies ("please send my apologies"),
 *   suggestions ("you could always ring the County"), boilerplate (signatures, disclaimers,
 *   newsletter footers, bounce text), and appeals to voters ("please support me on 6 May"), which
 *   ask for a vote, not for work.
 *
 * electioneering — the text appeals for votes or support at an election in any wording,
 * organises or reports canvassing, leafleting or other campaigning for a candidate or party, or
 * handles election or party literature (leaflets, election addresses, party newsletters), or
 * organises a party's own business (branch meetings, fighting fund). Council business about the
 * election itself (the notice of election, polling stations, the electoral register and annual
 * canvass, postal vote registration, the count), civic campaigns and council leaflets are not.
 *
 * partyWork — a request for work (request `work`) whose object is electioneering or party
 * material: what no-party-political-use reports when the reader is council staff.
 */
export type RequestLabel = 'work' | 'factual' | 'none';

export interface CorpusEntry {
  text: string;
  request: RequestLabel;
  electioneering: boolean;
  partyWork: boolean;
}

/** E: electioneering; P: a request for party work (implies E for the matter, and request `work`). */
type Tag = 'E' | 'P';

function entry(request: RequestLabel, text: string, tags: readonly Tag[]): CorpusEntry {
  return { text, request, electioneering: tags.includes('E') || tags.includes('P'), partyWork: tags.includes('P') };
}

/** Asks for work. */
export const w = (text: string, ...tags: Tag[]): CorpusEntry => entry('work', text, tags);
/** Asks only for facts or a document. */
export const f = (text: string, ...tags: Tag[]): CorpusEntry => entry('factual', text, tags);
/** Asks for nothing. */
export const n = (text: string, ...tags: Tag[]): CorpusEntry => entry('none', text, tags);
