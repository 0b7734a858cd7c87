/**
 * No party-political use of council resources: a member does not ask officers for party, campaign
 * or electioneering work, and does not use a council mailbox to organise party business with
 * anyone beyond council staff (004 14.1, 14.3; 001 4.2; 002 7.1). Council campaigns ("Keep
 * Millbrook Tidy") and factual questions about the election timetable are council business and
 * do not count.
 */
import { z } from 'zod';
import type { Person } from '../directory/directory.js';
import { fact } from '../signals/match.js';
import { ownTextOf } from '../signals/text-views.js';
import { analysePartyWork, councilPartyNames, councilPhrases, findPartyBusiness, type PartySignals } from '../signals/political.js';
import { defineMailRule, missExplainedWhenRead, type Evaluation, type Evidence } from './types.js';
import { mailInput } from './mail-input.js';
import { andList } from '../signals/wording.js';

const options = z
  .object({
    /** Further phrases that mark party or campaign matters in this council ("Focus newsletter", "Riverside Labour"). */
    extraPartyPhrases: z.array(z.string()).default([]),
  })
  .strict();


function quoted(list: readonly Evidence[]): string {
  return list.map((e) => `“${e.text}”`).join(', ');
}

export default defineMailRule({
  meta: {
    id: 'no-party-political-use',
    kind: 'mail',
    description: 'A member does not ask officers for party, campaign or electioneering work, nor use a council mailbox for party business.',
    clauses: { '004': ['14.1', '14.3'], '001': ['4.2'], '002': ['7.1'] },
    defaults: { severity: 'warning', actions: ['nudge', 'digest'] },
    options,
    messages: {
      askedOfficerForPartyWork: '{author} asked {officers} for party or campaign work ({topic}).',
      councilMailboxForParty: '{author} used the council mailbox {mailbox} for party or campaign business ({topic}).',
    },
    guidance: {
      title: 'Council resources and party political work',
      advice: 'Use personal or party channels for party, campaign or election work, and please do not ask officers to help with it.',
    },
    sample: {
      recipient: 'sue',
      severity: 'warning',
      clauses: ['14.1', '14.3'],
      item: { kind: 'mail', subject: 'Leaflets for Saturday', date: 'Monday 12 April 2027 at 19:02', from: 'sue' },
      summary: 'Cllr Sue Taylor asked Sam Patel for help with campaign work.',
      why: ['the words “our campaign leaflets” (in the body)'],
    },
  },
  evaluate(input, ctx): Evaluation {
    const mail = mailInput(input);
    if ('hits' in mail) return mail;
    const { item, facts } = mail;
    const dir = ctx.directory;
    const author = facts.author;
    if (!author) return { hits: [], reason: `the sender ${facts.authorAddress ?? '(none)'} is not a council member` };
    if (author.role !== 'member') {
      const role = author.role === 'clerk' ? 'the Clerk' : 'an officer';
      return { hits: [], reason: `${author.name} is ${role}, not a member; this rule concerns members' use of council resources` };
    }

    const signals: PartySignals = {
      parties: councilPartyNames(dir.people),
      extra: councilPhrases('party or campaign matter (council phrase)', ctx.options.extraPartyPhrases),
    };
    const text = ownTextOf(item);
    const officers = [...new Set(facts.visible.map((a) => dir.person(a)).filter((p): p is Person => p !== undefined && p.role !== 'member'))];

    // Asking for party work needs someone to ask: with no officer or Clerk in To/Cc the request
    // analysis is not needed (its civic campaigns are the ones `findPartyBusiness` reports too).
    const work = officers.length > 0 ? analysePartyWork(item.subject, text, signals) : undefined;
    if (work?.request) {
      const officerNames = andList(officers.map((o) => o.name));
      return {
        hits: [
          {
            messageId: 'askedOfficerForPartyWork',
            data: { author: author.name, officers: officerNames, topic: quoted(work.topics) },
            people: [author.id, ...officers.map((o) => o.id)],
            evidence: [work.request, ...work.topics, fact(`${officerNames} ${officers.length > 1 ? 'are' : 'is'} council staff (To/Cc)`)],
            targets: { offender: author.id },
          },
        ],
        reason: `${author.name} asked ${officerNames} (“${work.request.text}”) for work on party or campaign matters (${quoted(work.topics)})`,
      };
    }

    const fromAddress = item.from[0]?.address ?? facts.authorAddress ?? '';
    const councilMailbox = fromAddress !== '' && dir.isInternal(fromAddress);
    const business = findPartyBusiness(item.subject, text, signals);
    // Mail to council staff alone is judged by whether it asks them for party work (above): a
    // passing mention ("I'll be at party conference that weekend") is not party business.
    const recipients = [...facts.visible, ...item.bcc.map((a) => a.address)];
    const beyondStaff = recipients.filter((a) => {
      const role = dir.person(a)?.role;
      return role !== 'officer' && role !== 'clerk' && !dir.isService(a);
    });
    if (councilMailbox && business.phrases.length > 0 && beyondStaff.length > 0) {
      return {
        hits: [
          {
            messageId: 'councilMailboxForParty',
            data: { author: author.name, mailbox: fromAddress, topic: quoted(business.phrases) },
            people: [author.id],
            evidence: [...business.phrases, fact(`sent from ${fromAddress}, a council mailbox`)],
            targets: { offender: author.id },
          },
        ],
        reason: `${author.name} used the council mailbox ${fromAddress} for party or campaign business (${quoted(business.phrases)})`,
      };
    }

    // Explained only when asked (`wardwatch explain`): most messages are misses, and explaining one reads the text again.
    return missExplainedWhenRead(() => explainMiss(author, officers, councilMailbox, fromAddress, work, business, beyondStaff.length > 0));
  },
});

function explainMiss(
  author: Person,
  officers: readonly Person[],
  councilMailbox: boolean,
  fromAddress: string,
  work: ReturnType<typeof analysePartyWork> | undefined,
  business: ReturnType<typeof findPartyBusiness>,
  beyondStaff: boolean,
): string {
  const parts: string[] = [];
  const officerNames = andList(officers.map((o) => o.name));
  if (officers.length === 0) parts.push(`${author.name} asked no officer or Clerk for anything (none in To or Cc)`);
  else if (!work || work.requests.length === 0) parts.push(`${author.name} made no request for work of ${officerNames}`);
  else if (work.mentions.length === 0) parts.push(`${author.name} asked ${officerNames} for work (${quoted(work.requests)}) on no party or campaign matter`);
  else parts.push(`${author.name}'s request to ${officerNames} (${quoted(work.requests)}) is not about the party or campaign matter mentioned (${quoted(work.mentions)})`);
  const civic = work?.civic ?? business.civic;
  if (civic.length > 0) parts.push(`the campaign mentioned is a council or community one (${quoted(civic)})`);
  if (!councilMailbox) parts.push(`sent from ${fromAddress || 'an unknown address'}, a personal address rather than a council mailbox`);
  else if (business.phrases.length === 0) parts.push('no party or campaign business in the message');
  else if (!beyondStaff) parts.push(`the party matters mentioned (${quoted(business.phrases)}) went to council staff only and asked them for nothing party-political`);
  return parts.join('; ');
}
