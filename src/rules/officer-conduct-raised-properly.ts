/**
 * Officer conduct raised properly: an officer does not raise another officer's conduct or
 * capability with a member (000 2.4; 002 2.4 — that goes to the line manager or the Clerk), and a
 * member does not criticise an officer to the press or the public (000 2.3; 002 2.3; 003 4.1;
 * 004 15.2 — that goes privately to the officer, the line manager or the Clerk). Every hit is
 * private: the digest shows that it happened, not what was said.
 */
import { z } from 'zod';
import type { Directory, Person } from '../directory/directory.js';
import { findConductAbout, type ConductFinding } from '../signals/conduct.js';
import { fact, words, type PhrasePattern } from '../signals/match.js';
import { memoizeList } from '../signals/memo.js';
import { ownTextOf } from '../signals/text-views.js';
import { defineMailRule, type Evaluation, type Evidence, type MailRuleInput } from './types.js';
import { mailInput } from './mail-input.js';
import { andList } from '../signals/wording.js';
import { escapeRegExp } from '../signals/regex.js';

const options = z
  .object({
    /** Further conduct or capability phrases the council wants recognised ("not pulling her weight"). */
    extraConductPhrases: z.array(z.string()).default([]),
  })
  .strict();



/** The council's own conduct phrases as patterns, built once per list. */
const councilPhrases = memoizeList((phrases: readonly string[]): readonly PhrasePattern[] =>
  phrases
    .map((p) => p.trim())
    .filter((p) => p.length > 0)
    .map((p) => words('conduct (council phrase)', p.split(/\s+/).map(escapeRegExp).join('\\s+'))),
);

function evidenceOf(findings: readonly ConductFinding[]): Evidence[] {
  return findings.flatMap((f) => [fact(f.mention.means), { kind: 'phrase' as const, text: f.mention.text, field: 'body' }, ...f.phrases]);
}

/** Recipients the public or press would be: media addresses and addresses outside the council. */
function publicAudience({ item, facts }: MailRuleInput, dir: Directory): { address: string; why: string }[] {
  const all = [...new Set([...facts.visible, ...item.bcc.map((a) => a.address)])];
  return all
    .filter((a) => dir.isMedia(a) || dir.isExternal(a))
    .map((a) => ({ address: a, why: dir.isMedia(a) ? `${a} is a media address` : `${a} is outside the council` }));
}

const PRIVATE_REASON = 'details are kept out of reports: officer conduct matters are private';

export default defineMailRule({
  meta: {
    id: 'officer-conduct-raised-properly',
    kind: 'mail',
    description: 'Concerns about an officer’s conduct or capability go privately to the line manager or the Clerk, never to members by officers nor to the press or public by members.',
    clauses: { '000': ['2.3', '2.4'], '002': ['2.3', '2.4'], '003': ['4.1'], '004': ['15.2'] },
    defaults: { severity: 'warning', actions: ['nudge', 'digest'] },
    options,
    messages: {
      officerRaisedWithMember: '{author} raised a colleague’s conduct or capability with {members}.',
      memberCriticisedOfficerPublicly: '{author} criticised a council officer in mail to {audience}.',
    },
    guidance: {
      title: 'Raising a concern about an officer',
      advice: "Raise a concern about an officer’s conduct or capability privately, with their line manager or the Town Clerk, rather than with councillors, the press or the public.",
    },
    sample: {
      recipient: 'dan',
      severity: 'warning',
      clauses: ['15.2'],
      item: { kind: 'mail', subject: 'A concern', date: 'Monday 12 April 2027 at 17:55', from: 'dan' },
      summary: "Dan Okafor raised a concern about another officer's conduct with Cllr Ben Hughes.",
      why: ['the message is from an officer to a member', "it discusses another officer's conduct"],
    },
  },
  evaluate(input, ctx): Evaluation {
    const mail = mailInput(input);
    if ('hits' in mail) return mail;
    const { item, facts } = mail;
    const dir = ctx.directory;
    const author = facts.author;
    if (!author) return { hits: [], reason: `the sender ${facts.authorAddress ?? '(none)'} is not a council member or officer` };
    if (author.role === 'clerk') {
      return { hits: [], reason: `${author.name} is the Clerk, who manages the staff: raising an officer's conduct is the Clerk's own role` };
    }

    const extra = councilPhrases(ctx.options.extraConductPhrases);
    const text = ownTextOf(item);

    if (author.role === 'officer') {
      const members = [...new Set(facts.visible.map((a) => dir.person(a)).filter((p): p is Person => p?.role === 'member'))];
      if (members.length === 0) {
        return { hits: [], reason: `${author.name} (an officer) wrote to no member in To or Cc, so any concern went by the right route` };
      }
      const findings = findConductAbout(text, dir.people, [author], extra);
      const memberNames = andList(members.map((m) => m.name));
      if (findings.length === 0) {
        return { hits: [], reason: `${author.name} wrote to ${memberNames} without criticising another officer's conduct or capability` };
      }
      return {
        hits: [
          {
            messageId: 'officerRaisedWithMember',
            data: { author: author.name, members: memberNames, officer: andList(findings.map((f) => f.officer.name)) },
            people: [author.id, ...members.map((m) => m.id), ...findings.map((f) => f.officer.id)],
            evidence: [...evidenceOf(findings), fact(`${memberNames} ${members.length > 1 ? 'are members' : 'is a member'} (To/Cc)`)],
            targets: { offender: author.id },
            private: true,
          },
        ],
        reason: `${author.name} raised another officer's conduct or capability with ${memberNames}; ${PRIVATE_REASON}`,
      };
    }

    const audience = publicAudience(mail, dir);
    if (audience.length === 0) {
      return { hits: [], reason: `${author.name} wrote only within the council (no press or public recipient), which is the right route for a concern about an officer` };
    }
    const findings = findConductAbout(text, dir.people, [author], extra);
    const audienceList = andList(audience.map((a) => a.address));
    if (findings.length === 0) {
      return { hits: [], reason: `${author.name} wrote to ${audienceList} without criticising a named officer` };
    }
    return {
      hits: [
        {
          messageId: 'memberCriticisedOfficerPublicly',
          data: { author: author.name, audience: audienceList, officer: andList(findings.map((f) => f.officer.name)) },
          people: [author.id, ...findings.map((f) => f.officer.id)],
          evidence: [...evidenceOf(findings), ...audience.map((a) => fact(a.why))],
          targets: { offender: author.id },
          private: true,
        },
      ],
      reason: `${author.name} criticised an officer in mail to ${audienceList}; ${PRIVATE_REASON}`,
    };
  },
});
