/**
 * Press via the Clerk: a member's statement to the media goes with the Clerk's knowledge (002 10.1,
 * 10.3; 004 11.5c; 001 9.3), except a statement that is party political in nature (004 11.5c). In
 * the pre-election period of an election covering the member's ward, any member's mail to the
 * media is a warning, Clerk or no Clerk (004 11.5g: avoid any impression of electioneering).
 */
import { formatShortDate, formatShortDay } from '../wording/dates.js';
import { z } from 'zod';
import type { Directory, Person } from '../directory/directory.js';
import type { PreElectionPeriod } from '../elections/types.js';
import { partyStatementPatterns } from '../signals/media.js';
import { fact } from '../signals/match.js';
import { findPhrasesFiltered } from '../signals/prefilter.js';
import { ownTextOf } from '../signals/text-views.js';
import { councilPartyNames } from '../signals/political.js';
import { defineMailRule, type Evaluation, type Evidence, type MailRuleInput } from './types.js';
import { mailInput } from './mail-input.js';
import { andList } from '../signals/wording.js';

const options = z
  .object({
    /** Whether a statement that is party political in nature may go to the press without the Clerk (004 11.5c). */
    partyStatementsExempt: z.boolean().default(true),
  })
  .strict();


/** Every recipient, visible or blind, once. */
function recipients({ item, facts }: MailRuleInput): string[] {
  return [...new Set([...facts.visible, ...item.bcc.map((a) => a.address), ...facts.blind])];
}

function wardNames(period: PreElectionPeriod, member: Person, dir: Directory): string {
  const electionWards = period.wards;
  const covered = electionWards === 'all' ? member.wards : member.wards.filter((w) => electionWards.includes(w));
  const names = covered.map((w) => dir.ward(w)?.name ?? w);
  return names.length > 0 ? andList(names) : 'every ward';
}

function electionName(period: PreElectionPeriod): string {
  return period.name ?? `election of ${period.poll}`;
}

export default defineMailRule({
  meta: {
    id: 'press-via-clerk',
    kind: 'mail',
    description: 'A member’s statement to the media goes with the Clerk copied in, and in a pre-election period any member’s mail to the media is flagged.',
    clauses: { '002': ['10.1', '10.3'], '004': ['11.5c', '11.5g'], '001': ['9.3'] },
    defaults: { severity: 'warning', actions: ['nudge', 'digest'] },
    options,
    messages: {
      mediaWithoutClerk: '{author} wrote to the press ({media}) without copying the Clerk.',
      mediaInPreElection: '{author} wrote to the press ({media}) during the pre-election period before the {election} on {poll}.',
    },
    guidance: {
      title: 'Statements to the media',
      advice: 'Involve the Town Clerk when you would like a statement or press release issued, and take particular care with the media in the run-up to elections.',
    },
    sample: {
      recipient: 'tom',
      severity: 'warning',
      clauses: ['11.5c', '11.5g'],
      item: { kind: 'mail', subject: 'Statement on library opening hours', date: 'Tuesday 13 April 2027 at 12:15', from: 'tom' },
      summary: 'Cllr Tom Brown sent a statement to the Millbrook Gazette without the Town Clerk, during the pre-election period.',
      why: ['news@millbrookgazette.co.uk is a media address', 'the pre-election period for polling day on Thursday 6 May 2027 has begun'],
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
      return { hits: [], reason: `${author.name} is ${role}, not a member; officers' dealings with the press are outside this rule` };
    }

    const media = recipients(mail).filter((a) => dir.isMedia(a));
    if (media.length === 0) {
      return { hits: [], reason: `${author.name} wrote to no media address (none of the recipients is on a media domain)` };
    }
    const mediaList = andList(media);
    const mediaEvidence = media.map((a) => fact(`${a} is a media address`));

    const when = item.date ?? ctx.now;
    const period = ctx.elections.periodCovering(when, author.wards);
    if (period) {
      const periodFact = fact(
        `sent on ${formatShortDay(when, ctx.council.timezone)}, inside the pre-election period for the ${electionName(period)} (from ${formatShortDate(period.startDate)}, polling day ${formatShortDate(period.poll)}), which covers ${wardNames(period, author, dir)}`,
      );
      return {
        hits: [
          {
            messageId: 'mediaInPreElection',
            data: { author: author.name, media: mediaList, election: electionName(period), poll: formatShortDate(period.poll) },
            people: [author.id],
            evidence: [...mediaEvidence, periodFact],
            targets: { offender: author.id },
            actions: ['warn', 'digest'],
            severity: 'warning',
          },
        ],
        reason: `${author.name} wrote to ${mediaList} inside the pre-election period before the ${electionName(period)} (polling day ${formatShortDate(period.poll)})`,
      };
    }

    const clerks = facts.visible.map((a) => dir.person(a)).filter((p): p is Person => p?.role === 'clerk');
    if (clerks.length > 0) {
      return { hits: [], reason: `${author.name} wrote to ${mediaList} with the Clerk (${clerks[0]?.name ?? 'the Clerk'}) copied in, outside any pre-election period` };
    }

    if (ctx.options.partyStatementsExempt) {
      const patterns = partyStatementPatterns(councilPartyNames(dir.people));
      const party: Evidence[] = [...findPhrasesFiltered(item.subject, patterns, 'subject'), ...findPhrasesFiltered(ownTextOf(item), patterns, 'body')];
      if (party.length > 0) {
        return {
          hits: [],
          reason: `${author.name}'s statement to ${mediaList} is party political in nature (“${party[0]?.text ?? ''}”), which needs no Clerk (004 11.5c)`,
        };
      }
    }

    return {
      hits: [
        {
          messageId: 'mediaWithoutClerk',
          data: { author: author.name, media: mediaList },
          people: [author.id],
          evidence: [...mediaEvidence, fact('no Clerk in To or Cc')],
          targets: { offender: author.id },
          actions: ['nudge', 'digest'],
        },
      ],
      reason: `${author.name} wrote to ${mediaList} without the Clerk in To or Cc`,
    };
  },
});
