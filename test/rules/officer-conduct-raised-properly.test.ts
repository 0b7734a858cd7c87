import { describe, expect, test } from 'vitest';
import rule from '../../src/rules/officer-conduct-raised-properly.js';
import { formatMessage } from '../../src/signals/match.js';
import { A, mail, runRule } from '../support/council.js';
import { ruleTester } from '../support/rule-tester.js';

ruleTester(rule, {
  valid: [
    {
      name: 'an officer praises a colleague to a member',
      item: mail({
        from: A.sam,
        to: [A.tom],
        subject: 'Mill Lane flooding – thank you',
        text: 'Dear Mayor,\n\nI wanted to let you know how well Dan handled the flooding on Mill Lane last week. He was out until midnight with the sandbags, and he is never rude even when people are upset. Residents have written in to thank him.\n\nSam',
      }),
    },
    {
      name: 'an officer tells a member a colleague will deal with it',
      item: mail({
        from: A.priya,
        to: [A.alice],
        subject: 'Re: Broken bench in Market Square',
        text: 'Dear Cllr Green,\n\nThank you for reporting the broken bench in Market Square. Dan will deal with this tomorrow morning and I will let you know once it is fixed.\n\nKind regards,\nPriya',
      }),
    },
    {
      name: 'an officer raises a colleague’s conduct with the Clerk',
      item: mail({
        from: A.sam,
        to: [A.clerk],
        subject: 'A staffing matter',
        sensitivity: 'confidential',
        text: 'Helen,\n\nI am afraid Dan was rude to a resident at the allotments again on Tuesday. I think we need to look at this formally, and I would value ten minutes with you tomorrow.\n\nSam',
      }),
    },
    {
      name: 'an officer raises a colleague’s capability with their line manager',
      item: mail({
        from: A.dan,
        to: [A.sam],
        subject: 'Hall bookings',
        text: 'Sam,\n\nCan we talk about the hall bookings? Priya keeps making mistakes with the invoices and I am spending half of each Monday putting them right.\n\nDan',
      }),
    },
    {
      name: 'a member raises a concern about an officer privately with the Clerk',
      item: mail({
        from: A.tom,
        to: [A.clerk],
        subject: 'A concern – in confidence',
        text: 'Dear Helen,\n\nI am sorry to say that I found Dan Okafor quite rude when I rang about the Castle Street bins on Monday. I would rather you dealt with it than me, and I have not raised it anywhere else.\n\nTom',
      }),
    },
    {
      name: 'a member criticises a contractor to the press',
      item: mail({
        from: A.alice,
        to: [A.gazette],
        cc: [A.clerk],
        subject: 'Market Square grass cutting',
        text: 'Dear newsdesk,\n\nGreenway Landscapes have been hopeless this summer. I raised it with Dan Okafor, our grounds officer, but the contractor has simply not turned up for six weeks.\n\nCllr Alice Green',
      }),
    },
    {
      name: 'a member criticises the council’s policy in the press',
      item: mail({
        from: A.sue,
        to: [A.gazette],
        subject: 'Riverside Park toilets',
        text: 'Dear newsdesk,\n\nThe council’s decision to close the Riverside Park toilets over the winter is a disgrace, and I will be asking for it to be reversed at the next meeting.\n\nCllr Sue Taylor',
      }),
    },
    {
      name: 'an officer tells a member that a resident was rude to a colleague',
      item: mail({
        from: A.sam,
        to: [A.raj],
        subject: 'Incident at the counter',
        text: 'Dear Raj,\n\nI should let you know that a resident was very rude to Priya at the counter this morning about the Weir Road parking permits. She handled it calmly.\n\nSam',
      }),
    },
    {
      name: 'a member tells traders an officer has had rude calls from stallholders (the officer was wronged)',
      item: mail({
        from: A.tom,
        to: ['market.traders@example.org'],
        subject: 'Market pitch fees',
        text: 'Dear all,\n\nDan Okafor has had some very rude calls from stallholders about the new pitch fees. Please bring any concerns to me rather than to him.\n\nTom Brown',
      }),
    },
    {
      name: 'a member tells a resident an officer has put up with unacceptable behaviour',
      item: mail({
        from: A.ben,
        to: [A.resident],
        subject: 'Re: Hall booking',
        text: 'Dear Mr Smith,\n\nPriya Shah has put up with unacceptable behaviour at the hall counter for weeks, and the council is taking it seriously.\n\nBen Hughes',
      }),
    },
    ...[
      'A couple of stallholders were really rude to Priya at the market on Saturday.',
      'Some callers were rude to Dan at the counter this morning.',
      'Visitors to the library were rude to Dan this week.',
      'Priya has been fielding rude calls from stallholders all week.',
      'Priya took some rude calls from traders about the pitch fees.',
      'Dan was sent some really rude emails by a resident.',
      'Priya keeps getting sent rude emails by one of the stallholders.',
      'Residents have told me that the contractor was rude to Dan.',
    ].map((sentence) => ({
      name: `an officer tells a member a colleague was treated rudely: "${sentence}"`,
      item: mail({
        from: A.sam,
        to: [A.alice],
        subject: 'Market update',
        text: `Dear Cllr Green,\n\n${sentence} They handled it calmly.\n\nSam`,
      }),
    })),
    {
      name: 'the Clerk writes to the Mayor about a staffing review',
      item: mail({
        from: A.clerk,
        to: [A.tom],
        subject: 'Staffing Committee',
        text: 'Dear Tom,\n\nThe Staffing Committee will need to consider a capability review at its next meeting. I will brief you in person.\n\nHelen',
      }),
    },
    {
      name: 'a forged message in an officer’s name',
      item: mail({
        from: A.priya,
        to: [A.ben],
        authFailed: true,
        subject: 'Dan',
        text: 'Dan is incompetent and should be sacked.',
      }),
    },
  ],
  invalid: [
    {
      name: 'an officer tells the Mayor a colleague is not up to the job',
      item: mail({
        from: A.sam,
        to: [A.tom],
        subject: 'Allotment invoices',
        text: 'Tom,\n\nBetween ourselves, Dan is not up to the job. He keeps making mistakes with the allotment invoices and I have had to redo half of them.\n\nSam',
      }),
      hits: [{ messageId: 'officerRaisedWithMember', offender: A.sam, evidence: ['Dan Okafor', 'not up to the job', 'keeps making mistakes'] }],
    },
    {
      name: 'an officer tells two members a colleague is unprofessional and cannot be trusted',
      item: mail({
        from: A.priya,
        to: [A.alice, A.raj],
        subject: 'Budget working group',
        text: 'Dear Alice and Raj,\n\nI am worried about Sam. Frankly, he has been unprofessional with the auditors and I think he can’t be trusted with the budget papers.\n\nPriya',
      }),
      hits: [{ messageId: 'officerRaisedWithMember', offender: A.priya, evidence: ['Sam Patel', 'unprofessional', 'can’t be trusted'] }],
    },
    {
      name: 'an officer complains of a colleague’s conduct to a member, the Clerk copied',
      item: mail({
        from: A.dan,
        to: [A.ben],
        cc: [A.clerk],
        subject: 'Northfield site meeting',
        text: 'Cllr Hughes,\n\nI must say Mr Patel’s conduct at the Northfield site meeting was unacceptable, and I am not the only one who thinks so.\n\nDan Okafor',
      }),
      hits: [{ messageId: 'officerRaisedWithMember', offender: A.dan, evidence: ['Sam Patel', 'Patel’s conduct'] }],
    },
    {
      name: 'a member tells the press the Town Clerk is incompetent',
      item: mail({
        from: A.tom,
        to: [A.gazette],
        subject: 'Castle Street parking fiasco',
        text: 'Dear newsdesk,\n\nYou asked for my comment. Frankly the Town Clerk is incompetent and should resign over the Castle Street parking fiasco.\n\nTom Brown',
      }),
      hits: [{ messageId: 'memberCriticisedOfficerPublicly', offender: A.tom, evidence: ['Helen Ashworth', 'incompetent', 'should resign', 'is a media address'] }],
    },
    {
      name: 'a member criticises an officer to a resident',
      item: mail({
        from: A.ben,
        to: [A.resident],
        subject: 'Re: Hall booking',
        text: 'Dear Mr Smith,\n\nI am sorry you were kept waiting for a reply about the hall booking. Priya Shah is frankly lazy, and this is not the first complaint I have had.\n\nBen Hughes',
      }),
      hits: [{ messageId: 'memberCriticisedOfficerPublicly', offender: A.ben, evidence: ['Priya Shah', 'lazy', 'j.smith@example.com is outside the council'] }],
    },
    {
      name: 'a member tells traders an officer had been rude to stallholders (“had been” is not receiving)',
      item: mail({
        from: A.tom,
        to: ['market.traders@example.org'],
        subject: 'Market pitch fees',
        text: 'Dear all,\n\nI hear Dan Okafor had been rude to several of you about the new pitch fees.\n\nTom Brown',
      }),
      hits: [{ messageId: 'memberCriticisedOfficerPublicly', offender: A.tom, evidence: ['Dan Okafor', 'rude'] }],
    },
    {
      name: '“had a really unprofessional attitude” is the officer’s own conduct',
      item: mail({
        from: A.tom,
        to: ['market.traders@example.org'],
        subject: 'Saturday market',
        text: 'Dear all,\n\nI agree that Dan Okafor had a really unprofessional attitude at the market on Saturday.\n\nTom Brown',
      }),
      hits: [{ messageId: 'memberCriticisedOfficerPublicly', offender: A.tom, evidence: ['Dan Okafor', 'unprofessional'] }],
    },
    {
      name: '“sent rude emails from the office account”: the officer sent them',
      item: mail({
        from: A.tom,
        to: ['market.traders@example.org'],
        subject: 'Saturday market',
        text: 'Dear all,\n\nI understand Dan Okafor sent rude emails from the office account to two of you.\n\nTom Brown',
      }),
      hits: [{ messageId: 'memberCriticisedOfficerPublicly', offender: A.tom, evidence: ['Dan Okafor', 'rude'] }],
    },
    {
      name: 'stallholders report that “he was rude”: he is still the officer named before',
      item: mail({
        from: A.tom,
        to: ['market.traders@example.org'],
        subject: 'Saturday market',
        text: 'Dear all,\n\nDan Okafor was on the market desk on Saturday. Several stallholders told me he was rude and unhelpful.\n\nTom Brown',
      }),
      hits: [{ messageId: 'memberCriticisedOfficerPublicly', offender: A.tom, evidence: ['Dan Okafor', 'rude'] }],
    },
    ...[
      ['Frankly Dan Okafor is useless at answering calls from residents.', 'useless'],
      ['Several traders have complained to me about the rudeness of Dan Okafor.', 'rudeness'],
    ].map(([sentence, phrase]) => ({
      name: `a member tells the press: "${sentence}"`,
      item: mail({
        from: A.tom,
        to: [A.gazette],
        subject: 'Market',
        text: `Dear newsdesk,\n\n${sentence}\n\nTom Brown`,
      }),
      hits: [{ messageId: 'memberCriticisedOfficerPublicly', offender: A.tom, evidence: ['Dan Okafor', phrase as string] }],
    })),
    {
      name: 'the press blind-copied into a demand that an officer be sacked',
      item: mail({
        from: A.raj,
        to: [A.clerk],
        bcc: [A.gazette],
        subject: 'Riverside Park',
        text: 'Helen,\n\nThe state of Riverside Park is shameful. Dan Okafor should be sacked for letting it get this bad.\n\nRaj',
      }),
      hits: [{ messageId: 'memberCriticisedOfficerPublicly', offender: A.raj, evidence: ['Dan Okafor', 'should be sacked', 'is a media address'] }],
    },
    {
      name: 'an officer named by address, then “he”',
      item: mail({
        from: A.priya,
        to: [A.tom],
        subject: 'Grounds queries',
        text: 'Dear Tom,\n\nYou may have had mail from dan.okafor@millbrook-tc.gov.uk this week – he has been rude to several councillors lately.\n\nPriya',
      }),
      hits: [{ messageId: 'officerRaisedWithMember', offender: A.priya, evidence: ['dan.okafor@millbrook-tc.gov.uk', 'rude'] }],
    },
    {
      name: 'a phrase the council added',
      options: { extraConductPhrases: ['not pulling his weight'] },
      item: mail({
        from: A.sue,
        to: ['chair@riverside-allotments.org.uk'],
        subject: 'Allotment waiting list',
        text: 'Dear Margaret,\n\nI am afraid Sam is not pulling his weight on the allotments, which is why the waiting list has not moved.\n\nSue',
      }),
      hits: [{ messageId: 'memberCriticisedOfficerPublicly', offender: A.sue, evidence: ['Sam Patel', 'not pulling his weight'] }],
    },
  ],
});

describe('officer-conduct-raised-properly: details', () => {
  test('every hit is private and its summary data carry no content', () => {
    const ev = runRule(
      rule,
      mail({ from: A.sam, to: [A.tom], subject: 'Invoices', text: 'Tom, Dan is not up to the job.' }),
    );
    expect(ev.hits).toHaveLength(1);
    expect(ev.hits[0]?.private).toBe(true);
    expect(Object.values(ev.hits[0]?.data ?? {}).join(' ')).not.toContain('not up to the job');
    expect(ev.reason).not.toContain('not up to the job');
    expect(ev.hits[0]?.people).toEqual([A.sam, A.tom, A.dan]);
  });

  test('mail from outside the council is not checked', () => {
    const ev = runRule(rule, mail({ from: A.resident, to: [A.tom], subject: 'Grounds', text: 'Dan Okafor is rude and lazy.', copies: [`${A.tom}:inbox`] }));
    expect(ev.hits).toEqual([]);
    expect(ev.reason).toContain('not a council member or officer');
  });

  test('an officer criticised in quoted earlier mail does not count', () => {
    const ev = runRule(
      rule,
      mail({
        from: A.sam,
        to: [A.tom],
        subject: 'Re: Invoices',
        text: 'Tom, I will look into it and come back to you.\n\n> Is Dan not up to the job?',
      }),
    );
    expect(ev.hits).toEqual([]);
  });

  test('the summary reads as one courteous sentence with every placeholder filled', () => {
    const hit = runRule(rule, mail({ from: A.tom, to: [A.gazette], subject: 'Parking', text: 'Frankly the Town Clerk is incompetent.' })).hits[0];
    expect(hit).toBeDefined();
    const template = rule.meta.messages[hit?.messageId ?? ''] ?? '';
    expect(formatMessage(template, hit?.data ?? {})).toBe('Cllr Tom Brown criticised a council officer in mail to newsdesk@millbrookgazette.co.uk.');
  });
});
