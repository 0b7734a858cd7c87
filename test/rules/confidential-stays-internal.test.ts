import { describe, expect, test } from 'vitest';
import rule from '../../src/rules/confidential-stays-internal.js';
import { formatMessage } from '../../src/signals/match.js';
import { A, mail, runRule } from '../support/council.js';
import { ruleTester } from '../support/rule-tester.js';

const solicitor = 'r.hartley@hartleyandcoe-solicitors.co.uk';
const auditor = 'audit@internal-audit-partners.co.uk';

ruleTester(rule, {
  valid: [
    {
      name: 'a confidential staffing paper sent only to council addresses',
      item: mail({
        from: A.clerk,
        to: [A.tom, A.raj],
        cc: [A.sam],
        subject: 'CONFIDENTIAL: Staffing Committee – restructure proposals',
        sensitivity: 'confidential',
        text: 'Dear Mayor, dear Leader,\n\nPlease find attached the restructure proposals for the Staffing Committee on 2 December. The paper is exempt under paragraph 1 of Schedule 12A and will be taken in Part II.\n\nKind regards,\nHelen',
      }),
    },
    {
      name: '"not confidential" in an ordinary sentence, sent to a resident',
      item: mail({
        from: A.sam,
        to: [A.resident],
        subject: 'Your allotment application',
        text: 'Dear Mr Smith,\n\nThank you for your application for a plot at the Weir Road allotments. The waiting list itself is not confidential, so I can tell you that you are fourth on it.\n\nBest wishes,\nSam Patel\nAssistant Clerk',
      }),
    },
    {
      name: 'confidential waste bins mentioned to a contractor',
      item: mail({
        from: A.priya,
        to: [A.contractor],
        subject: 'Confidential waste collection on Tuesday',
        text: 'Hello,\n\nJust to confirm that the confidential waste bins will be ready for collection from the back office on Tuesday morning. Please ask your driver to report to reception.\n\nThanks,\nPriya Shah',
      }),
    },
    {
      name: 'a marked message from an outside law firm to the Clerk',
      item: mail({
        from: solicitor,
        to: [A.clerk],
        subject: 'PRIVATE AND CONFIDENTIAL – Market Square lease',
        sensitivity: 'confidential',
        text: 'Dear Ms Ashworth,\n\nFurther to our call, I attach our advice on the break clause in the Market Square lease. This advice is legally privileged.\n\nYours sincerely,\nRichard Hartley',
        copies: [`${A.clerk}:inbox`],
      }),
    },
    {
      name: 'a press release under embargo ("not for publication before …") sent to the Gazette',
      item: mail({
        from: A.clerk,
        to: [A.gazette],
        subject: 'Press release: Christmas lights switch-on',
        text: 'EMBARGOED – NOT FOR PUBLICATION BEFORE 00:01 ON TUESDAY 1 DECEMBER\n\nThe Mayor will switch on the Christmas lights in Market Square on Saturday.\n\nHelen Ashworth\nTown Clerk',
      }),
    },
    {
      name: 'an unmarked message to outside recipients',
      item: mail({
        from: A.dan,
        to: [A.contractor],
        cc: [A.resident],
        subject: 'Riverside Park – hedge cutting dates',
        text: 'Good morning,\n\nCould your team cut the hedges along the Riverside Park boundary in the week of 7 December? Mr Smith, who lives opposite, has asked to be kept informed.\n\nMany thanks,\nDan Okafor\nGrounds Officer',
      }),
    },
    {
      name: 'Sensitivity: Personal is a personal message, not a confidential one',
      item: mail({
        from: A.sue,
        to: ['suetaylor.home@btinternet.com'],
        subject: 'Dentist on Friday',
        sensitivity: 'personal',
        text: 'Reminder to self: dentist on Friday at 3pm, so leave the planning meeting early.',
      }),
    },
    {
      name: 'a marked message to the council’s trusted solicitors',
      options: { trustedDomains: ['hartleyandcoe-solicitors.co.uk'] },
      item: mail({
        from: A.clerk,
        to: [solicitor],
        subject: '[Confidential] Market Square lease – instructions',
        text: 'Dear Richard,\n\nThe council resolved last night to exercise the break clause. Please proceed as advised.\n\nKind regards,\nHelen Ashworth\nTown Clerk',
      }),
    },
    {
      name: 'a marked message forged in a member’s name',
      item: mail({
        from: A.tom,
        to: [A.resident],
        subject: 'CONFIDENTIAL – council tenders',
        authFailed: true,
        text: 'Here are the tender figures you asked for.',
      }),
    },
    {
      name: 'a member of the public marks their own message to a resident group',
      item: mail({
        from: A.resident,
        to: ['chair@millbrook-residents.org.uk'],
        subject: 'Confidential: notes from the library meeting',
        text: 'Notes attached. Please keep them within the committee for now.',
        copies: [`${A.clerk}:inbox`],
      }),
    },
    {
      name: 'a reply to a resident that quotes the resident’s own “Private and Confidential” (a reply, not a forward)',
      item: mail({
        from: A.sam,
        to: [A.resident],
        subject: 'RE: My neighbour',
        text:
          'Dear Mr Smith,\n\nThank you. I have passed this to the environmental health team.\n\nSam Patel\n\n-----Original Message-----\nFrom: John Smith <j.smith@example.com>\nSent: 08 March 2027 09:12\nTo: Sam Patel <sam.patel@millbrook-tc.gov.uk>\nSubject: My neighbour\n\nPRIVATE AND CONFIDENTIAL\n\nThe noise from number 12 has started again.',
        hasForwardedContent: true,
      }),
    },
  ],
  invalid: [
    {
      name: 'a confidential paper forwarded to a personal address under a new subject: the marking is in the forwarded message',
      item: mail({
        from: A.tom,
        to: [A.tomPersonal],
        subject: 'for the weekend',
        text:
          'Reading this at home.\n\n---------- Forwarded message ---------\nFrom: Helen Ashworth <clerk@millbrook-tc.gov.uk>\nDate: Mon, 8 Mar 2027 at 09:12\nSubject: CONFIDENTIAL: Staffing Committee – restructure proposals\nTo: Tom Brown <tom.brown@millbrook-tc.gov.uk>\n\nDear Tom,\n\nThe restructure proposals are attached.',
        hasForwardedContent: true,
      }),
      hits: [{ messageId: 'sentOutside', offender: A.tom, evidence: ['CONFIDENTIAL', 'personal address'] }],
    },
    {
      name: 'an Outlook forward under a new subject: the Clerk’s marked message below a line of underscores',
      item: mail({
        from: A.tom,
        to: [A.tomPersonal],
        subject: 'for the weekend',
        text:
          'Home copy.\n\n________________________________\nFrom: Helen Ashworth <clerk@millbrook-tc.gov.uk>\nSent: 08 March 2027 09:12\nTo: Cllr Tom Brown <tom.brown@millbrook-tc.gov.uk>\nSubject: CONFIDENTIAL - Part II report on the Weir Road land\n\nTom, the report is attached.',
        hasForwardedContent: true,
      }),
      hits: [{ messageId: 'sentOutside', offender: A.tom, evidence: ['CONFIDENTIAL', 'personal address'] }],
    },
    {
      name: 'an Outlook forward whose forwarded message is marked on its first line',
      item: mail({
        from: A.sue,
        to: ['riverside.residents@example.org'],
        subject: 'FW: papers',
        text:
          'For your next meeting.\n\n________________________________\nFrom: Helen Ashworth <clerk@millbrook-tc.gov.uk>\nSent: 08 March 2027 09:12\nTo: Cllr Sue Taylor <sue.taylor@millbrook-tc.gov.uk>;\n Cllr Raj Mehta <raj.mehta@millbrook-tc.gov.uk>\nSubject: Weir Road land\n\nPRIVATE AND CONFIDENTIAL\n\nThe valuation of the Weir Road land is below.',
        hasForwardedContent: true,
      }),
      hits: [{ messageId: 'sentOutside', offender: A.sue, evidence: ['PRIVATE AND CONFIDENTIAL', 'riverside.residents@example.org'] }],
    },
    {
      name: 'a Part II report forwarded to a member’s personal gmail',
      item: mail({
        from: A.tom,
        to: [A.tomPersonal],
        subject: 'Fwd: CONFIDENTIAL: Staffing Committee – restructure proposals',
        text: 'Sending to my home address so I can read it over the weekend.\n\n---------- Forwarded message ---------\nFrom: Helen Ashworth',
        hasForwardedContent: true,
      }),
      hits: [
        {
          messageId: 'sentOutside',
          offender: A.tom,
          evidence: ['CONFIDENTIAL', "tombrown1960@gmail.com (To) is Cllr Tom Brown's personal address, outside the council's domains"],
        },
      ],
    },
    {
      name: 'Sensitivity: Confidential header, sent to a resident in Cc',
      item: mail({
        from: A.raj,
        to: [A.sue],
        cc: [A.resident],
        subject: 'Mill Lane flooding claim',
        sensitivity: 'confidential',
        text: 'Sue,\n\nThe insurers’ assessment of the Mill Lane claim is attached. I have copied in Mr Smith as he is the neighbour most affected.\n\nRaj',
      }),
      hits: [{ messageId: 'sentOutside', offender: A.raj, evidence: ['Sensitivity: Confidential', 'j.smith@example.com (Cc) is outside'] }],
    },
    {
      name: 'a marked message to the trusted solicitors and also to auditors the council does not trust with confidential mail',
      options: { trustedDomains: ['hartleyandcoe-solicitors.co.uk'] },
      item: mail({
        from: A.clerk,
        to: [solicitor],
        cc: [auditor],
        subject: '[Confidential] Market Square lease – instructions',
        text: 'Dear Richard,\n\nThe council resolved last night to exercise the break clause. Please proceed as advised.\n\nKind regards,\nHelen Ashworth\nTown Clerk',
      }),
      hits: [{ messageId: 'sentOutside', offender: A.clerk, evidence: ['[Confidential]', `${auditor} (Cc) is outside`] }],
    },
    {
      name: 'a "[Restricted]" subject marking, blind-copied to a contractor',
      item: mail({
        from: A.sam,
        to: [A.clerk],
        bcc: [A.contractor],
        subject: 'Grounds maintenance tender evaluation [Restricted]',
        text: 'Helen,\n\nHere is my scoring of the three grounds maintenance bids ahead of Thursday.\n\nSam',
      }),
      hits: [{ messageId: 'sentOutside', offender: A.sam, evidence: ['[Restricted]', 'accounts@greenway-landscapes.co.uk (Bcc)'] }],
    },
    {
      name: 'a marking on the first line of the body, sent to the press',
      item: mail({
        from: A.ben,
        to: [A.gazette],
        subject: 'Northfield Community Centre lease',
        text: 'NOT FOR CIRCULATION\n\nDear editor,\n\nI thought your readers should know what the council is being asked to pay for the Northfield Community Centre lease.\n\nBen Hughes',
      }),
      hits: [{ messageId: 'sentOutside', offender: A.ben, evidence: ['NOT FOR CIRCULATION', 'is a media address'] }],
    },
    {
      name: 'a "Confidential" label, sent to an outside consultant',
      item: mail({
        from: A.priya,
        to: ['mark@parkdesign-consultants.co.uk'],
        subject: 'Play area refurbishment – budget figures',
        labels: ['Confidential'],
        text: 'Hi Mark,\n\nAs promised, the budget envelope agreed by the Finance Committee is £48,000. Please use this to shape your proposals.\n\nPriya',
      }),
      hits: [{ messageId: 'sentOutside', offender: A.priya, evidence: ['labelled “Confidential”', 'mark@parkdesign-consultants.co.uk'] }],
    },
    {
      name: 'Sensitivity: Private header, the Clerk writing to a councillor’s personal address',
      item: mail({
        from: A.clerk,
        to: [A.tomPersonal],
        subject: 'Code of conduct complaint',
        sensitivity: 'private',
        text: 'Dear Tom,\n\nI am writing to let you know that a code of conduct complaint has been received. I will call you tomorrow to talk it through.\n\nHelen',
      }),
      hits: [{ messageId: 'sentOutside', offender: A.clerk, evidence: ['Sensitivity: Private', "Cllr Tom Brown's personal address"] }],
    },
    {
      name: 'a council-defined marking word',
      options: { extraMarkings: ['Staff in Confidence'] },
      item: mail({
        from: A.dan,
        to: ['dan.okafor.home@outlook.com'],
        subject: 'Staff in Confidence: my appraisal notes',
        text: 'Notes for my appraisal next week.',
      }),
      hits: [{ messageId: 'sentOutside', offender: A.dan, evidence: ['Staff in Confidence'] }],
    },
  ],
});

describe('confidential-stays-internal: details', () => {
  test('the summary data name the person whose personal address received it', () => {
    const ev = runRule(
      rule,
      mail({
        from: A.clerk,
        to: [A.tomPersonal, A.resident],
        subject: 'Strictly confidential: Mayor’s allowance review',
        text: 'Tom, the review is attached.',
      }),
    );
    expect(ev.hits).toHaveLength(1);
    const hit = ev.hits[0]!;
    expect(hit.data.outside).toBe("Cllr Tom Brown's personal address (tombrown1960@gmail.com) and j.smith@example.com");
    expect(hit.data.marking).toBe('“Strictly confidential”');
    expect(hit.people).toEqual([A.clerk, A.tom]);
  });

  test('a marking found in a forwarded message says so in the summary', () => {
    const ev = runRule(
      rule,
      mail({
        from: A.tom,
        to: [A.tomPersonal],
        subject: 'Fwd: papers',
        text: 'Home copy.\n\n---------- Forwarded message ---------\nFrom: Helen Ashworth <clerk@millbrook-tc.gov.uk>\nSubject: Budget [Restricted]\n\nTom, see below.',
        hasForwardedContent: true,
      }),
    );
    expect(ev.hits).toHaveLength(1);
    expect(ev.hits[0]?.data.marking).toBe('“[Restricted]” (in the message it forwards)');
    expect(ev.hits[0]?.evidence[0]?.field).toBe('forwarded subject');
  });

  test('a marked message among council addresses explains why it did not fire', () => {
    const ev = runRule(rule, mail({ from: A.sam, to: [A.clerk], subject: 'CONFIDENTIAL – grievance', text: 'Helen, see attached.' }));
    expect(ev.reason).toContain('every recipient is on the council');
  });

  test('ordinary wording is named in the reason', () => {
    const ev = runRule(
      rule,
      mail({ from: A.priya, to: [A.contractor], subject: 'Bins', text: 'The confidential waste bins will be collected on Tuesday.' }),
    );
    expect(ev.reason).toContain('“The confidential waste bins will be collected');
    expect(ev.reason).toContain('not a marking');
  });

  test('Sensitivity: Personal counts only when the council says so', () => {
    const item = mail({ from: A.sue, to: [A.resident], subject: 'A personal note', sensitivity: 'personal', text: 'Thank you for your kind card.' });
    expect(runRule(rule, item).hits).toEqual([]);
    expect(runRule(rule, item, { options: { sensitivities: ['personal', 'private', 'confidential'] } }).hits).toHaveLength(1);
  });

  test('the summary reads as one courteous sentence with every placeholder filled', () => {
    const hit = runRule(rule, mail({ from: A.tom, to: [A.tomPersonal], subject: 'CONFIDENTIAL: lease', text: 'For the weekend.' })).hits[0];
    expect(hit).toBeDefined();
    const template = rule.meta.messages[hit?.messageId ?? ''] ?? '';
    expect(formatMessage(template, hit?.data ?? {})).toBe("Cllr Tom Brown sent a message marked “CONFIDENTIAL” to Cllr Tom Brown's personal address (tombrown1960@gmail.com), outside the council’s domains.");
  });
});
