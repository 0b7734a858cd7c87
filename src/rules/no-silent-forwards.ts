/**
 * No silent forwards: an officer does not pass one member's message on to another member
 * without the original member among the recipients (002 9.1 "silent copies"; 004 12.1).
 */
import { z } from 'zod';
import { nameTokens, type Person } from '../directory/directory.js';
import { forwardedBlocks, hasForwardMarker, isForwardSubject } from '../items/forwarded.js';
import { letterRegExp } from '../signals/letters.js';
import { fact } from '../signals/match.js';
import { splitSentences } from '../signals/sentences.js';
import { ownTextOf } from '../signals/text-views.js';
import { defineRule, type Evaluation, type Hit } from './types.js';
import { mailInput } from './mail-input.js';
import { andList, commaList } from '../signals/wording.js';

const options = z.object({}).strict();


/**
 * The author's own words saying the member agreed to the message being passed on: "Tom asked me to
 * pass this on", "with Cllr Brown's permission", "at his request", "she is happy for me to share
 * it". The member must be named in the same sentence, or be the "he"/"she"/"they" who agreed.
 */
const CONSENT = letterRegExp(
  String.raw`(?<![\p{L}])(?:(?:asked|agreed|wanted|happy|content|keen)\s+(?:for\s+)?(?:me|us)\s+to\s+(?:pass|forward|share|send|copy)|(?:with|has\s+given|gave)\s+(?:(?:\p{L}+\s+)?\p{L}+['’]s?|his|her|their)\s+(?:permission|agreement|consent|blessing)|at\s+(?:(?:\p{L}+\s+)?\p{L}+['’]s?|his|her|their)\s+request|(?:is|are)\s+happy\s+for\s+(?:this|it)\s+to\s+be\s+(?:passed|forwarded|shared))(?![\p{L}])`,
  'iu',
);
/** The member meant by a pronoun in the consent itself: "he asked me to", "she is happy for", "with her permission". */
const BY_PRONOUN = letterRegExp(
  String.raw`(?<![\p{L}])(?:(?:he|she|they)\s+(?:(?:has|have|had|is|are|was|were)\s+)?(?:asked|agreed|wanted|happy|content|keen)|(?:his|her|their)\s+(?:permission|agreement|consent|blessing|request))(?![\p{L}])`,
  'iu',
);

/** A consent said not to have been given: "wasn't happy for me to", "did not ask me to", "never agreed". */
const NEGATED_BEFORE = letterRegExp(String.raw`(?:\bnot|n['’]t|\bnever|\bno)\s+(?!(?:only|just)\s)(?:\p{L}+\s+)?$`, 'iu');

/** How many sentences back "he"/"she" may reach for the member it means. */
const PRONOUN_REACH = 3;

/** Someone "he"/"she" could mean besides a member: "Mr Jones", "the stallholder", "a resident". */
const SOMEONE_ELSE = letterRegExp(
  String.raw`(?<![\p{L}])(?:(?:mr|mrs|ms|miss|mx|dr)\.?\s+\p{L}|(?:the|a|an|one)\s+(?:resident|stallholder|trader|caller|customer|neighbour|tenant|contractor|landlord|volunteer|member\s+of\s+the\s+public|gentleman|lady|man|woman)s?(?![\p{L}]))`,
  'iu',
);

/** The member's name as written (capitalised words, titles aside): "Tom", "Brown". */
function nameWords(member: Person): string[] {
  return nameTokens(member.name).filter((w) => w.length > 1);
}

/** Does the sentence name the member (as a proper noun: "Tom", "Cllr Brown's", not "the green team")? */
function names(sentence: string, member: Person): boolean {
  const words = sentence.split(/[^\p{L}'’-]+/u).map((w) => w.replace(/['’]s?$/u, ''));
  return nameWords(member).some((n) => words.includes(n));
}

/** The word just before `index` in `sentence`, without a possessive "'s". */
function wordBefore(sentence: string, index: number): string {
  return (sentence.slice(0, index).trimEnd().split(/[^\p{L}'’-]+/u).pop() ?? '').replace(/['’]s?$/u, '');
}

/**
 * The words in `text` saying `member` agreed to their message being passed on, or undefined. The
 * member is named in the sentence (straight before the consent in any case: "tom asked me to"), or
 * is the member last named in the few sentences before and meant by the "he"/"she" who agreed. A
 * negated consent ("wasn't happy for me to share it") is none.
 */
function consentOf(text: string, member: Person, members: readonly Person[]): string | undefined {
  const sentences = splitSentences(text);
  for (let i = 0; i < sentences.length; i++) {
    const sentence = sentences[i] ?? '';
    const m = CONSENT.exec(sentence);
    if (!m) continue;
    if (NEGATED_BEFORE.test(sentence.slice(0, m.index))) continue;
    const before = wordBefore(sentence, m.index).toLowerCase();
    if (names(sentence, member) || nameWords(member).some((n) => n.toLowerCase() === before)) return m[0];
    if (!BY_PRONOUN.test(sentence)) continue;
    for (let j = i - 1; j >= Math.max(0, i - PRONOUN_REACH); j--) {
      const earlier = sentences[j] ?? '';
      const named = members.filter((p) => names(earlier, p));
      // Anyone else named on the way back may be who "he"/"she" means: no consent read.
      if (SOMEONE_ELSE.test(earlier) || named.length > 1) break;
      if (named.length === 0) continue;
      if (named[0] === member) return m[0];
      break;
    }
  }
  return undefined;
}

interface Recipient {
  address: string;
  person: Person | undefined;
  how: 'To' | 'Cc' | 'Bcc';
}

export default defineRule({
  meta: {
    id: 'no-silent-forwards',
    kind: 'mail',
    description: "An officer does not forward a member's message to another member without the original member among the recipients.",
    clauses: { '002': ['9.1'], '004': ['12.1'] },
    defaults: { severity: 'warning', actions: ['nudge', 'digest'] },
    options,
    messages: {
      silentForward: '{author} forwarded a message from {original} to {recipients} without copying {original} in.',
    },
  },
  evaluate(input, ctx): Evaluation {
    const mail = mailInput(input);
    if ('hits' in mail) return mail;
    const { item, facts } = mail;
    const dir = ctx.directory;
    const author = facts.author;
    if (!author) return { hits: [], reason: `the sender ${facts.authorAddress ?? '(none)'} is not a council officer or the Clerk` };
    if (author.role === 'member') return { hits: [], reason: `${author.name} is a member, not an officer: the rule concerns officers passing members' messages on` };
    if (!item.hasForwardedContent) return { hits: [], reason: `${author.name}'s message carries no forwarded content` };

    const forwardedMembers: { address: string; person: Person; byName?: string }[] = [];
    for (const a of item.forwardedAuthors) {
      const person = dir.person(a.address);
      if (person?.role === 'member' && !forwardedMembers.some((f) => f.person === person)) forwardedMembers.push({ address: a.address, person });
    }
    // Exchange often shows the forwarded author by name only ("From: Cllr Tom Brown"): in a forward,
    // the top block's name counts when it is one member's. (Under a reply the blocks are the
    // conversation so far, and who forwarded what to whom in it cannot be read from names.)
    // A forward: a "Fw:" subject or a forward marker, or an Outlook forward whose subject was
    // changed (it answers no message: no In-Reply-To, no "Re:").
    const forward =
      isForwardSubject(item.subject) || hasForwardMarker(item.text) || (item.inReplyTo === undefined && !/^\s*(?:re|aw|sv)\s*:/i.test(item.subject));
    const top = forward ? forwardedBlocks(item.text)[0] : undefined;
    const from = top?.headers.get('from');
    if (from !== undefined && !from.includes('@')) {
      const person = dir.personNamed(from);
      if (person?.role === 'member' && !forwardedMembers.some((f) => f.person === person)) forwardedMembers.push({ address: person.id, person, byName: from });
    }
    if (forwardedMembers.length === 0) {
      const authors = item.forwardedAuthors.map((a) => a.address);
      return {
        hits: [],
        reason:
          authors.length > 0
            ? `the forwarded content was written by ${commaList(authors)}, who is not a member`
            : 'the forwarded content has no identifiable author',
      };
    }

    const recipients: Recipient[] = [];
    const add = (address: string, how: Recipient['how']): void => {
      if (!recipients.some((r) => r.address === address)) recipients.push({ address, person: dir.person(address), how });
    };
    for (const a of item.to) add(a.address, 'To');
    for (const a of item.cc) add(a.address, 'Cc');
    for (const a of item.bcc) add(a.address, 'Bcc');
    for (const a of facts.blind) add(a, 'Bcc');

    const hits: Hit[] = [];
    const reasons: string[] = [];
    for (const original of forwardedMembers) {
      const m = original.person;
      const present = recipients.find((r) => r.person === m);
      const others = recipients.filter((r) => r.person?.role === 'member' && r.person !== m);
      const otherPeople = [...new Set(others.map((r) => r.person).filter((p): p is Person => p !== undefined))];
      if (otherPeople.length === 0) {
        reasons.push(`${author.name} forwarded ${m.name}'s message to no other member`);
        continue;
      }
      if (present) {
        reasons.push(`${author.name} forwarded ${m.name}'s message openly: ${m.name} is among the recipients (${present.how})`);
        continue;
      }
      const consent = consentOf(ownTextOf(item), m, dir.members());
      if (consent) {
        reasons.push(`${author.name} passed ${m.name}'s message on with ${m.name}'s agreement (“${consent}”)`);
        continue;
      }
      const recipientNames = andList(otherPeople.map((p) => p.name));
      hits.push({
        messageId: 'silentForward',
        data: { author: author.name, original: m.name, recipients: recipientNames },
        people: [author.id, ...otherPeople.map((p) => p.id), m.id],
        evidence: [
          fact(
            original.byName !== undefined
              ? `${author.name} (${author.role === 'clerk' ? 'the Clerk' : 'officer'}) sent a message carrying forwarded content from “${original.byName}”, which is ${m.name}`
              : `${author.name} (${author.role === 'clerk' ? 'the Clerk' : 'officer'}) sent a message carrying forwarded content written by ${m.name} (${original.address})`,
          ),
          ...others.map((r) => fact(`${r.person?.name ?? r.address} (member, ${r.address}) is a recipient (${r.how})`)),
          fact(`${m.name} is not among the recipients under any of their addresses`),
        ],
        targets: { offender: author.id },
      });
      reasons.push(`${author.name} forwarded ${m.name}'s message to ${recipientNames} without ${m.name} among the recipients`);
    }
    return { hits, reason: reasons.join('; ') };
  },
});
