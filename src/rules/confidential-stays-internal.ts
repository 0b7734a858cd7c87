/**
 * Confidential stays internal: a message marked confidential is not sent to an address outside
 * the council's domains (003 5; 002 8.2; 004 10.7; 001 7.3). A council person's personal address
 * (a member's gmail) is outside too: the information leaves the council's systems.
 */
import { z } from 'zod';
import type { Directory } from '../directory/directory.js';
import { domainOf } from '../directory/directory.js';
import { forwardedBlocks, hasForwardMarker, isForwardSubject, parseAuthorLine } from '../items/forwarded.js';
import { firstLineMarking, forwardedMarking, labelMarking, markingTerms, subjectMarking, unmarkedMention, type MarkingTerms } from '../signals/confidentiality.js';
import { fact } from '../signals/match.js';
import { ownTextOf } from '../signals/text-views.js';
import { defineMailRule, missExplainedWhenRead, type Evidence, type Evaluation, type MailRuleInput } from './types.js';
import { mailInput } from './mail-input.js';
import { andList } from '../signals/wording.js';

const SENSITIVITY_LEVELS = ['personal', 'private', 'confidential'] as const;

const options = z
  .object({
    /** Sensitivity header values that count as a confidentiality marking. 'personal' is left out: it marks a personal message, not a confidential one. */
    sensitivities: z.array(z.enum(SENSITIVITY_LEVELS)).default(['private', 'confidential']),
    /** Further marking words the council uses ("Staff in Confidence"); they count where a marking stands. */
    extraMarkings: z.array(z.string()).default([]),
    /** Outside domains that may receive confidential mail (the council's solicitors, its auditors). */
    trustedDomains: z.array(z.string().trim().toLowerCase()).default([]),
  })
  .strict();

/** The marking terms for one council's extra markings, built once per (unchanging) options list. */
const termsByExtra = new WeakMap<readonly string[], MarkingTerms>();

function termsFor(extra: readonly string[]): MarkingTerms {
  let terms = termsByExtra.get(extra);
  if (!terms) {
    terms = markingTerms(extra);
    termsByExtra.set(extra, terms);
  }
  return terms;
}


interface Recipient {
  address: string;
  field: 'To' | 'Cc' | 'Bcc' | 'blind copy';
}

function recipientsOf({ item, facts }: MailRuleInput): Recipient[] {
  const out: Recipient[] = [];
  const seen = new Set<string>();
  const add = (address: string, field: Recipient['field']): void => {
    if (seen.has(address)) return;
    seen.add(address);
    out.push({ address, field });
  };
  for (const a of item.to) add(a.address, 'To');
  for (const a of item.cc) add(a.address, 'Cc');
  for (const a of item.bcc) add(a.address, 'Bcc');
  for (const a of facts.blind) add(a, 'blind copy');
  return out;
}

function onDomain(address: string, domains: readonly string[]): boolean {
  const d = domainOf(address);
  return domains.some((t) => d === t || d.endsWith(`.${t}`));
}

/** How to name an outside recipient in a summary, and the fact that puts it outside. */
function describeOutside(r: Recipient, dir: Directory): { label: string; why: string } {
  const person = dir.person(r.address);
  if (person) {
    return {
      label: `${person.name}'s personal address (${r.address})`,
      why: `${r.address} (${r.field}) is ${person.name}'s personal address, outside the council's domains`,
    };
  }
  if (dir.isMedia(r.address)) {
    return { label: r.address, why: `${r.address} (${r.field}) is a media address, outside the council's domains` };
  }
  return { label: r.address, why: `${r.address} (${r.field}) is outside the council's domains` };
}

/** Is a forwarded block's From (an address, or a name only) one of the council's own people or addresses? */
function fromCouncil(from: string | undefined, dir: Directory): boolean {
  if (from === undefined) return false;
  const address = parseAuthorLine(from)?.address;
  if (address !== undefined) return dir.isInternal(address) || dir.person(address) !== undefined;
  return dir.personNamed(from) !== undefined;
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** How a summary names the marking: “CONFIDENTIAL”, private (Sensitivity header), confidential (labelled “Restricted”). */
function markingLabel(e: Evidence, sensitivity: string): string {
  if (e.field === 'sensitivity') return `${sensitivity} (Sensitivity header)`;
  if (e.field === 'labels') return `confidential (${e.text})`;
  if (e.field === 'forwarded subject' || e.field === 'forwarded message') return `“${e.text}” (in the message it forwards)`;
  return `“${e.text}”`;
}

export default defineMailRule({
  meta: {
    id: 'confidential-stays-internal',
    kind: 'mail',
    description: 'A message marked confidential is not sent to any address outside the council’s domains, including council people’s personal addresses.',
    clauses: { '003': ['5'], '002': ['8.2'], '004': ['10.7'], '001': ['7.3'] },
    defaults: { severity: 'error', actions: ['warn', 'notify-clerk', 'digest'] },
    options,
    messages: {
      sentOutside: '{author} sent a message marked {marking} to {outside}, outside the council’s domains.',
    },
    guidance: {
      title: 'Confidential information sent outside the Council',
      advice: 'Keep confidential material to Council addresses unless someone authorised has agreed to its disclosure; if it went out by mistake, please tell the Town Clerk.',
    },
    sample: {
      recipient: 'dan',
      severity: 'error',
      clauses: ['10.7'],
      item: { kind: 'mail', subject: 'CONFIDENTIAL: staffing review', date: 'Tuesday 13 April 2027 at 08:47', from: 'dan' },
      summary: "A message marked confidential was sent to an address outside the Council's domains (d.okafor1987@example.com).",
      why: ['the word “CONFIDENTIAL” (in the subject)', 'd.okafor1987@example.com is not a Council address'],
    },
  },
  evaluate(input, ctx): Evaluation {
    const mail = mailInput(input);
    if ('hits' in mail) return mail;
    const { item, facts } = mail;
    const dir = ctx.directory;
    const author = facts.author;
    if (!author) {
      return {
        hits: [],
        reason: `the sender ${facts.authorAddress ?? '(none)'} is not a council member, officer or Clerk; only mail sent by council people is checked`,
      };
    }

    const terms = termsFor(ctx.options.extraMarkings);
    const levels = new Set<string>(ctx.options.sensitivities);
    const trusted = ctx.options.trustedDomains;
    const recipients = recipientsOf(mail);
    const outside = recipients.filter((r) => !dir.isInternal(r.address) && !dir.isService(r.address) && !onDomain(r.address, trusted));
    /** What marks the message confidential, strongest first (read only when it matters: mail sent outside, or an explanation). */
    const markingsOf = (): Evidence[] => {
      const body = ownTextOf(item);
      const sensitivity: Evidence | undefined = levels.has(item.sensitivity)
        ? { kind: 'fact', text: `Sensitivity: ${capitalise(item.sensitivity)} (message header)`, field: 'sensitivity' }
        : undefined;
      const markings = [sensitivity, labelMarking(item.labels, terms), subjectMarking(item.subject, terms), firstLineMarking(body, terms)].filter(
        (e): e is Evidence => e !== undefined,
      );
      // What a forward forwards is read too, and in any message the council's own earlier mail in it
      // (an Outlook forward under a new subject looks like a reply); not another sender's message a
      // reply quotes back to them.
      if (markings.length === 0 && item.hasForwardedContent) {
        const forward = isForwardSubject(item.subject) || hasForwardMarker(item.text);
        const blocks = forwardedBlocks(item.text).filter((b) => forward || fromCouncil(b.headers.get('from'), dir));
        const forwarded = forwardedMarking(blocks, terms);
        if (forwarded) markings.push(forwarded);
      }
      return markings;
    };
    const notMarked = (): string => {
      const mention = unmarkedMention(item.subject, terms) ?? unmarkedMention(ownTextOf(item), terms);
      const personal = item.sensitivity === 'personal' && !levels.has('personal') ? '; Sensitivity: Personal marks a personal message, not a confidential one' : '';
      const words = mention ? `; the wording “${mention}” is ordinary text, not a marking` : '';
      return `the message from ${author.name} is not marked confidential (no Sensitivity header, label, or marking in the subject or first line, nor in a message it forwards)${personal}${words}`;
    };

    if (outside.length === 0) {
      // Nothing went outside: whether it was marked matters only to explain the verdict, when asked.
      return missExplainedWhenRead(() => {
        const first = markingsOf()[0];
        if (first === undefined) return notMarked();
        const trustedNote = recipients.some((r) => !dir.isInternal(r.address) && onDomain(r.address, trusted))
          ? ' or on a domain the council trusts with confidential mail'
          : '';
        return `${author.name}'s message is marked ${markingLabel(first, item.sensitivity)}, but every recipient is on the council's domains${trustedNote}`;
      });
    }

    const markings = markingsOf();
    const first = markings[0];
    if (first === undefined) {
      // Explained only when asked (`wardwatch explain`): finding the wording that is not a marking reads the whole text.
      return missExplainedWhenRead(notMarked);
    }
    const marking = markingLabel(first, item.sensitivity);

    const described = outside.map((r) => describeOutside(r, dir));
    const involved = outside.map((r) => dir.person(r.address)?.id).filter((id): id is string => id !== undefined && id !== author.id);
    return {
      hits: [
        {
          messageId: 'sentOutside',
          data: { author: author.name, marking, outside: andList(described.map((d) => d.label)) },
          people: [author.id, ...new Set(involved)],
          evidence: [...markings, ...described.map((d) => fact(d.why))],
          targets: { offender: author.id },
        },
      ],
      reason: `${author.name} sent a message marked ${marking} to ${andList(outside.map((r) => r.address))}, outside the council's domains`,
    };
  },
});
