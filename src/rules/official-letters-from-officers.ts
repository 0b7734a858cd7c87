/**
 * Official letters come from officers: a member does not write to outside recipients on behalf
 * of the Council, and never in a way that creates obligations or gives instructions
 * (002 9.2; 004 12.2–12.4). The Mayor may write in his or her own name (004 12.3), without
 * creating obligations.
 */
import { z } from 'zod';
import { fact } from '../signals/match.js';
import { findPhrasesFiltered } from '../signals/prefilter.js';
import { ownTextOf } from '../signals/text-views.js';
import { informationalPatterns, obligationPatterns, onBehalfPatterns, speaksForABody } from '../signals/obligations.js';
import { plainPhrasePatterns } from '../signals/requests.js';
import { defineMailRule, missExplainedWhenRead, type Evaluation, type Evidence } from './types.js';
import { mailInput } from './mail-input.js';
import { andList, commaList } from '../signals/wording.js';

const options = z
  .object({
    /** Further phrases by which a member speaks for the Council (plain words). */
    extraOnBehalfPhrases: z.array(z.string().min(1)).default([]),
    /** Further phrases that create obligations or give instructions (plain words). */
    extraObligationPhrases: z.array(z.string().min(1)).default([]),
  })
  .strict();


function quoted(evidence: readonly Evidence[]): string {
  return evidence.map((e) => `"${e.text}"`).join(', ');
}

function dedupe(evidence: readonly Evidence[]): Evidence[] {
  const seen = new Set<string>();
  return evidence.filter((e) => {
    const key = e.text.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export default defineMailRule({
  meta: {
    id: 'official-letters-from-officers',
    kind: 'mail',
    description:
      "Official letters on the Council's behalf go out in an officer's name, and letters creating obligations or giving instructions never in a member's.",
    clauses: { '002': ['9.2'], '004': ['12.2', '12.3', '12.4'] },
    defaults: { severity: 'warning', actions: ['warn', 'digest'] },
    options,
    messages: {
      onBehalfOfCouncil: "{author} wrote to {recipients} on behalf of the Council (\"{phrase}\"); official letters go in the relevant officer's name.",
      createsObligation: '{author} wrote to {recipients} on behalf of the Council creating an obligation or giving an instruction ("{phrase}"), which must never go in a member\'s name.',
    },
    guidance: {
      title: 'Official letters on behalf of the Council',
      advice: "Ask the Town Clerk to send letters on the Council’s behalf in the name of the relevant officer; letters that create obligations or give instructions should not go out in a councillor’s name.",
    },
    sample: {
      recipient: 'raj',
      severity: 'warning',
      clauses: ['12.2', '12.3', '12.4'],
      item: { kind: 'mail', subject: 'Riverside Park café licence', date: 'Monday 12 April 2027 at 16:40', from: 'raj' },
      summary: 'Cllr Raj Mehta wrote to an outside organisation on behalf of the Council in words that give instructions.',
      why: ['the words “on behalf of the Council” (in the body)', 'the words “you must vacate” (in the body)'],
    },
  },
  evaluate(input, ctx): Evaluation {
    const mail = mailInput(input);
    if ('hits' in mail) return mail;
    const { item, facts } = mail;
    const dir = ctx.directory;
    const author = facts.author;
    if (!author) return { hits: [], reason: `the sender ${facts.authorAddress ?? '(none)'} is not a council member` };
    if (author.role !== 'member') return { hits: [], reason: `${author.name} is not a member: officers write the Council's official letters` };

    const outside = [...new Set([...facts.visible, ...item.bcc.map((a) => a.address)])].filter((a) => dir.isExternal(a));
    if (outside.length === 0) return { hits: [], reason: `${author.name} wrote to council recipients only; no outside recipient` };
    const display = new Map([...item.to, ...item.cc, ...item.bcc].map((a) => [a.address, a.name ? `${a.name} (${a.address})` : a.address]));
    const recipients = andList(outside.map((a) => display.get(a) ?? a));

    const councilName = ctx.council.name;
    const body = ownTextOf(item);
    const onBehalfList = [...onBehalfPatterns(councilName), ...plainPhrasePatterns('on behalf of the Council (council phrase)', ctx.options.extraOnBehalfPhrases)];
    const obligationList = [...obligationPatterns(councilName), ...plainPhrasePatterns('obligation (council phrase)', ctx.options.extraObligationPhrases)];
    const onBehalf = dedupe([...findPhrasesFiltered(item.subject, onBehalfList, 'subject'), ...findPhrasesFiltered(body, onBehalfList, 'body')]);
    const obligationsFound = dedupe([
      ...findPhrasesFiltered(item.subject, obligationList, 'subject'),
      ...findPhrasesFiltered(body, obligationList, 'body'),
    ]);
    const extraObligations = new Set(ctx.options.extraObligationPhrases.map((p) => p.trim().toLowerCase().replace(/\s+/g, ' ')));
    // Obligations count when the letter speaks for the Council, or one of them does itself ("we accept …"),
    // or the council named the phrase; "I accept your quote" alone may be a member's private business.
    const speaksForCouncil =
      onBehalf.length > 0 || obligationsFound.some((e) => speaksForABody(e.text) || extraObligations.has(e.text.toLowerCase()));
    const obligations = speaksForCouncil ? obligationsFound : [];
    const isMayor = author.titles.includes('mayor');
    const outsideFact = fact(`${author.name} (member${isMayor ? ', Mayor' : ''}) wrote to ${commaList(outside)}, outside the council`);

    if (obligations.length > 0) {
      const evidence = [...onBehalf, ...obligations, outsideFact];
      return {
        hits: [
          {
            messageId: 'createsObligation',
            data: { author: author.name, recipients, phrase: obligations[0]?.text ?? '' },
            people: [author.id],
            evidence,
            targets: { offender: author.id },
          },
        ],
        reason: `${author.name} wrote to ${recipients} creating an obligation or giving an instruction (${quoted(obligations)})${onBehalf.length > 0 ? ` on behalf of the Council (${quoted(onBehalf)})` : ''}`,
      };
    }

    if (onBehalf.length === 0) {
      const personal = obligationsFound.length > 0 ? `; ${quoted(obligationsFound)} does not speak for the Council` : '';
      // Explained only when asked: the informational phrases are read for the explanation alone.
      return missExplainedWhenRead(() => {
        const info = findPhrasesFiltered(body, informationalPatterns(councilName), 'body');
        return info.length > 0
          ? `${author.name} only informs ${recipients} about the Council's business (${quoted(info)}); nothing is said on the Council's behalf${personal}`
          : `${author.name} wrote to ${recipients} without speaking on behalf of the Council${personal}`;
      });
    }
    if (isMayor) {
      return {
        hits: [],
        reason: `${author.name} is the Mayor and may write on the Council's behalf in his or her own name (004 12.3); the letter creates no obligation and gives no instruction`,
      };
    }
    return {
      hits: [
        {
          messageId: 'onBehalfOfCouncil',
          data: { author: author.name, recipients, phrase: onBehalf[0]?.text ?? '' },
          people: [author.id],
          evidence: [...onBehalf, outsideFact],
          targets: { offender: author.id },
        },
      ],
      reason: `${author.name} wrote to ${recipients} on behalf of the Council (${quoted(onBehalf)}) and is not the Mayor`,
    };
  },
});
