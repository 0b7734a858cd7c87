/**
 * Requests for work go through the Clerk: a member who wants an officer's help asks the Clerk,
 * who weighs it against the officer's workload (003 1.4, 4.2; 004 4.6, 2.9; 001 7.2). Purely
 * factual enquiries may go to any officer.
 */
import { z } from 'zod';
import type { Person } from '../directory/directory.js';
import { fact } from '../signals/match.js';
import { ownTextOf } from '../signals/text-views.js';
import { analyseRequests, plainPhrasePatterns } from '../signals/requests.js';
import { defineMailRule, missExplainedWhenRead, type Evaluation } from './types.js';
import { mailInput } from './mail-input.js';
import { andList, commaList } from '../signals/wording.js';

const options = z
  .object({
    /** Further phrases that ask for work, as the council writes them (plain words). */
    extraRequestPhrases: z.array(z.string().min(1)).default([]),
    /** Further phrases that only ask for facts; a request phrase inside one of them does not count. */
    extraFactualPhrases: z.array(z.string().min(1)).default([]),
    /** Officer addresses members may ask directly (e.g. a Deputy Clerk). */
    directContacts: z.array(z.string().trim().toLowerCase()).default([]),
  })
  .strict();


function quoted(texts: readonly string[]): string {
  return texts.map((t) => `"${t}"`).join(', ');
}

export default defineMailRule({
  meta: {
    id: 'requests-via-clerk',
    kind: 'mail',
    description: 'A member asks the Clerk, not an individual officer, for work or assistance; purely factual enquiries may go to any officer.',
    clauses: { '003': ['1.4', '4.2'], '004': ['4.6', '2.9'], '001': ['7.2'] },
    defaults: { severity: 'warning', actions: ['nudge', 'route-to-clerk', 'digest'] },
    options,
    messages: {
      requestNotViaClerk: '{author} asked {officers} for work ("{phrase}") without going through the Clerk.',
    },
    guidance: {
      title: 'Requests for officers’ work go through the Town Clerk',
      advice: 'Send requests for work or assistance to the Town Clerk, or copy the Clerk in; purely factual questions can still go straight to an officer.',
    },
    sample: {
      recipient: 'alice',
      severity: 'warning',
      clauses: ['4.6', '2.9'],
      item: { kind: 'mail', subject: 'Leaflet for the Market Square fair', date: 'Tuesday 13 April 2027 at 09:12', from: 'alice' },
      summary: 'Cllr Alice Green asked Priya Shah for work without copying in the Town Clerk.',
      why: ['the words “could you draft” (in the body)', 'the Town Clerk is not in To or Cc'],
    },
  },
  evaluate(input, ctx): Evaluation {
    const mail = mailInput(input);
    if ('hits' in mail) return mail;
    const { item, facts } = mail;
    const dir = ctx.directory;
    const author = facts.author;
    if (!author) return { hits: [], reason: `the sender ${facts.authorAddress ?? '(none)'} is not a council member` };
    if (author.role !== 'member') return { hits: [], reason: `${author.name} is not a member: the rule concerns members asking officers for work` };

    const clerkCopied = facts.visible.map((a) => dir.person(a)).find((p) => p?.role === 'clerk');
    if (clerkCopied) return { hits: [], reason: `the Clerk (${clerkCopied.name}) is in To/Cc, so the request goes through the Clerk` };

    const direct = ctx.options.directContacts;
    const officers: Person[] = [];
    const skipped: Person[] = [];
    for (const a of item.to) {
      const p = dir.person(a.address);
      if (p?.role !== 'officer') continue;
      if (direct.some((d) => dir.samePerson(d, a.address))) {
        if (!skipped.includes(p)) skipped.push(p);
        continue;
      }
      if (!officers.includes(p)) officers.push(p);
    }
    if (officers.length === 0) {
      return {
        hits: [],
        reason:
          skipped.length > 0
            ? `${andList(skipped.map((p) => p.name))} may be asked directly (a direct contact in the rule's options)`
            : `${author.name} did not write to an officer other than the Clerk (no officer in To)`,
      };
    }

    const analysis = analyseRequests(ownTextOf(item), {
      request: plainPhrasePatterns('request for work (council phrase)', ctx.options.extraRequestPhrases),
      factual: plainPhrasePatterns('factual enquiry (council phrase)', ctx.options.extraFactualPhrases),
    });
    const officerNames = andList(officers.map((p) => p.name));
    if (analysis.requests.length === 0) {
      // Explained only when asked: finding the factual phrases reads the text again.
      return missExplainedWhenRead(() => {
        const factual = analysis.factual.map((e) => e.text);
        return factual.length > 0
          ? `${author.name} asked ${officerNames} a factual question (${quoted(factual)}); no request for work`
          : `${author.name} wrote to ${officerNames} without a request for work in the message's own text`;
      });
    }

    const first = analysis.requests[0]?.text ?? '';
    return {
      hits: [
        {
          messageId: 'requestNotViaClerk',
          data: { author: author.name, officers: officerNames, phrase: first },
          people: [author.id, ...officers.map((p) => p.id)],
          evidence: [
            ...analysis.requests,
            ...analysis.deadlines,
            fact(`${commaList(officers.map((p) => `${p.name} (officer)`))} in To; no Clerk address in To or Cc`),
          ],
          targets: { offender: author.id },
        },
      ],
      reason: `${author.name} asked ${officerNames} for work (${quoted(analysis.requests.map((e) => e.text))}) and the Clerk is not in To or Cc`,
    };
  },
});
