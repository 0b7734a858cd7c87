/**
 * No silent forwards: an officer does not pass one member's message on to another member
 * without the original member among the recipients (002 9.1 "silent copies"; 004 12.1).
 */
import { z } from 'zod';
import type { Person } from '../directory/directory.js';
import { fact } from '../signals/match.js';
import { defineRule, type Evaluation, type Hit } from './types.js';
import { mailInput } from './mail-input.js';
import { andList } from '../signals/wording.js';

const options = z.object({}).strict();


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

    const forwardedMembers: { address: string; person: Person }[] = [];
    for (const a of item.forwardedAuthors) {
      const person = dir.person(a.address);
      if (person?.role === 'member' && !forwardedMembers.some((f) => f.person === person)) forwardedMembers.push({ address: a.address, person });
    }
    if (forwardedMembers.length === 0) {
      const authors = item.forwardedAuthors.map((a) => a.address);
      return {
        hits: [],
        reason:
          authors.length > 0
            ? `the forwarded content was written by ${authors.join(', ')}, who is not a member`
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
      const recipientNames = andList(otherPeople.map((p) => p.name));
      hits.push({
        messageId: 'silentForward',
        data: { author: author.name, original: m.name, recipients: recipientNames },
        people: [author.id, ...otherPeople.map((p) => p.id), m.id],
        evidence: [
          fact(`${author.name} (${author.role === 'clerk' ? 'the Clerk' : 'officer'}) sent a message carrying forwarded content written by ${m.name} (${original.address})`),
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
