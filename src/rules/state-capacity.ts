/**
 * State your capacity: a member writing to people outside the council says in what capacity —
 * as ward member, personally, on behalf of the Council or of a party group (004 12.5, 11.5a).
 * The signature counts: "Councillor, Castle Ward" says it.
 */
import { z } from 'zod';
import { AUTO_REPLY_SUBJECT, councilCapacityPatterns } from '../signals/capacity.js';
import { signedTextOf } from '../signals/text-views.js';
import { fact } from '../signals/match.js';
import { findPhrasesFiltered } from '../signals/prefilter.js';
import { plainPhrasePatterns } from '../signals/requests.js';
import { defineMailRule, type Evaluation } from './types.js';
import { mailInput } from './mail-input.js';
import { andList, commaList } from '../signals/wording.js';

const options = z
  .object({
    /** Further phrases that state a capacity, as the council's members write them (plain words). */
    extraCapacityPhrases: z.array(z.string().min(1)).default([]),
  })
  .strict();


export default defineMailRule({
  meta: {
    id: 'state-capacity',
    kind: 'mail',
    description: 'A member writing to people outside the council says in what capacity: as ward member, personally, for the Council or for a party group.',
    clauses: { '004': ['12.5', '11.5a'] },
    defaults: { severity: 'info', actions: ['nudge'] },
    options,
    messages: {
      capacityNotStated: '{author} wrote to {recipients} without saying in what capacity (as ward member, personally, for the Council or for a party group).',
    },
    guidance: {
      title: 'Saying in what capacity you write',
      advice: 'When writing outside the Council, say in what capacity you write: as ward member, in a personal capacity, for a party group or on behalf of the Council.',
    },
    sample: {
      recipient: 'ben',
      severity: 'info',
      clauses: ['12.5', '11.5a'],
      item: { kind: 'mail', subject: 'Parking on Hazel Avenue', date: 'Monday 12 April 2027 at 14:20', from: 'ben' },
      summary: 'Cllr Ben Hughes wrote to people outside the Council without saying in what capacity.',
      why: ['the recipients are outside the Council', 'no phrase such as “as ward member” or “in a personal capacity” was found'],
    },
  },
  evaluate(input, ctx): Evaluation {
    const mail = mailInput(input);
    if ('hits' in mail) return mail;
    const { item, facts } = mail;
    const dir = ctx.directory;
    const author = facts.author;
    if (!author) return { hits: [], reason: `the sender ${facts.authorAddress ?? '(none)'} is not a council member` };
    if (author.role !== 'member') return { hits: [], reason: `${author.name} is not a member: only members need to state their capacity` };
    const auto = AUTO_REPLY_SUBJECT.exec(item.subject);
    if (auto) return { hits: [], reason: `an automatic reply ("${auto[0].trim()}" in the subject) need not state a capacity` };

    const outside = [...new Set([...facts.visible, ...item.bcc.map((a) => a.address)])].filter((a) => dir.isExternal(a));
    if (outside.length === 0) return { hits: [], reason: `${author.name} wrote to council recipients only; no outside recipient` };

    const patterns = [
      ...councilCapacityPatterns(dir.wards),
      ...plainPhrasePatterns('stated capacity (council phrase)', ctx.options.extraCapacityPhrases),
    ];
    const text = signedTextOf(item);
    const stated = [...findPhrasesFiltered(item.subject, patterns, 'subject'), ...findPhrasesFiltered(text, patterns, 'body')];
    const display = new Map([...item.to, ...item.cc, ...item.bcc].map((a) => [a.address, a.name ? `${a.name} (${a.address})` : a.address]));
    const recipients = andList(outside.map((a) => display.get(a) ?? a));
    if (stated.length > 0) {
      return { hits: [], reason: `${author.name} stated a capacity ("${stated[0]?.text ?? ''}") when writing to ${recipients}` };
    }

    const media = outside.filter((a) => dir.isMedia(a));
    return {
      hits: [
        {
          messageId: 'capacityNotStated',
          data: { author: author.name, recipients },
          people: [author.id],
          evidence: [
            fact(`${author.name} (member) wrote to ${commaList(outside)}, outside the council`),
            ...(media.length > 0 ? [fact(`${commaList(media)} is a media address (004 11.5a)`)] : []),
            fact('no statement of capacity in the message or its signature (e.g. "as ward councillor", "in a personal capacity", "on behalf of the Council")'),
          ],
          targets: { offender: author.id },
        },
      ],
      reason: `${author.name} wrote to ${recipients} without saying in what capacity`,
    };
  },
});
