/**
 * No blind copies: correspondence between a member and an officer is not silently copied to
 * another member (002 9.1; 004 12.1). Copying openly (Cc) is fine; a Bcc to another member is not.
 */
import { z } from 'zod';
import type { Person } from '../directory/directory.js';
import { fact } from '../signals/match.js';
import { defineMailRule, type Evidence, type Evaluation } from './types.js';
import { mailInput } from './mail-input.js';
import { andList, commaList } from '../signals/wording.js';

const options = z.object({}).strict();


function roleLabel(p: Person): string {
  return p.role === 'clerk' ? 'the Clerk' : p.role;
}

export default defineMailRule({
  meta: {
    id: 'no-blind-copies',
    kind: 'mail',
    description: 'Correspondence between a member and an officer is not blind-copied to another member; any copy is made openly.',
    clauses: { '002': ['9.1'], '004': ['12.1'] },
    defaults: { severity: 'warning', actions: ['nudge', 'digest'] },
    options,
    messages: {
      blindCopy: '{author} blind-copied {blind} into correspondence with {visible}.',
    },
    guidance: {
      title: 'Blind copies in member–officer correspondence',
      advice: 'If another councillor should see correspondence, copy them openly (Cc) and say so in the message.',
    },
    sample: {
      recipient: 'tom',
      severity: 'warning',
      clauses: ['12.1'],
      item: { kind: 'mail', subject: 'Street lighting on Castle Street', date: 'Tuesday 13 April 2027 at 10:30', from: 'tom' },
      summary: 'Cllr Tom Brown blind-copied Cllr Alice Green into correspondence with Sam Patel.',
      why: ['Cllr Alice Green received the message as a blind copy (Bcc)', 'the message is between a member and an officer'],
    },
  },
  evaluate(input, ctx): Evaluation {
    const mail = mailInput(input);
    if ('hits' in mail) return mail;
    const { item, facts } = mail;
    const dir = ctx.directory;
    const author = facts.author;
    if (!author) return { hits: [], reason: `the sender ${facts.authorAddress ?? '(none)'} is not a council member, officer or Clerk` };

    const visiblePeople = facts.visible
      .map((a) => ({ address: a, person: dir.person(a) }))
      .filter((v): v is { address: string; person: Person } => v.person !== undefined && v.person !== author);
    const counterparts =
      author.role === 'member'
        ? visiblePeople.filter((v) => v.person.role === 'officer' || v.person.role === 'clerk')
        : visiblePeople.filter((v) => v.person.role === 'member');
    const counterpartPeople = [...new Set(counterparts.map((c) => c.person))];
    if (counterpartPeople.length === 0) {
      const wanted = author.role === 'member' ? 'an officer or the Clerk' : 'a member';
      return {
        hits: [],
        reason: `not member–officer correspondence: ${author.name} (${roleLabel(author)}) wrote to no ${wanted} in To or Cc`,
      };
    }

    const visiblePeopleSet = new Set(visiblePeople.map((v) => v.person));
    const bccHeader = new Set(item.bcc.map((a) => a.address));
    const blind: { address: string; person: Person }[] = [];
    for (const address of facts.blind) {
      const person = dir.person(address);
      if (!person || person.role !== 'member') continue;
      if (person === author || visiblePeopleSet.has(person)) continue;
      if (blind.some((b) => b.person === person)) continue;
      blind.push({ address, person });
    }
    const counterpartNames = andList(counterpartPeople.map((p) => p.name));
    if (blind.length === 0) {
      const openCopies = visiblePeople.filter((v) => v.person.role === 'member' && !counterpartPeople.includes(v.person));
      const open = openCopies.length > 0 ? `; ${andList(openCopies.map((v) => v.person.name))} copied openly` : '';
      return { hits: [], reason: `${author.name} wrote to ${counterpartNames} with no other member as a blind copy${open}` };
    }

    const evidence: Evidence[] = [
      fact(`${author.name} (${roleLabel(author)}) wrote to ${commaList(counterparts.map((c) => `${c.person.name} (${roleLabel(c.person)}, ${c.address})`))} in To/Cc`),
      ...blind.map((b) =>
        fact(
          bccHeader.has(b.address)
            ? `${b.person.name} (member, ${b.address}) is in the Bcc of the sent copy`
            : `a copy was delivered to ${b.person.name}'s mailbox (${b.address}), which is not in To or Cc`,
        ),
      ),
    ];
    const blindNames = andList(blind.map((b) => b.person.name));
    return {
      hits: [
        {
          messageId: 'blindCopy',
          data: { author: author.name, blind: blindNames, visible: counterpartNames },
          people: [author.id, ...blind.map((b) => b.person.id), ...counterpartPeople.map((p) => p.id)],
          evidence,
          targets: { offender: author.id },
        },
      ],
      reason: `${author.name} blind-copied ${blindNames} into correspondence with ${counterpartNames}`,
    };
  },
});
