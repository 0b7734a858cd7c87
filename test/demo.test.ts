/**
 * The demo council (config/demo) covers every rule with cases that fire and near-misses that
 * must not. This asserts its findings exactly, item by item, and that the demo's unreadable
 * files and the spoofed message are reported rather than acted on.
 */
import path from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { readFolderSource } from '../connectors/folder/read.js';
import { setupEngine } from '../src/cli/engine-setup.js';
import { RULE_IDS } from '../src/config/schema.js';
import { checkSource, type CheckResult } from '../src/pipeline/check.js';

const root = path.resolve(import.meta.dirname, '..');
const demo = path.join(root, 'config/demo');
const NOW = '2027-04-12T09:00:00.000Z';

/** item key → the rule/message pairs it must produce, in rule order. Items not listed must produce none. */
const expected: Record<string, string[]> = {
  '<demo-01-potholes@millbrook-tc.gov.uk>': ['no-blind-copies/blindCopy'],
  '<demo-04-lights@millbrook-tc.gov.uk>': ['no-silent-forwards/silentForward'],
  '<demo-06-benches@millbrook-tc.gov.uk>': ['requests-via-clerk/requestNotViaClerk'],
  '<demo-09-planters@millbrook-tc.gov.uk>': ['official-letters-from-officers/createsObligation'],
  '<demo-11-weir-road@millbrook-tc.gov.uk>': ['state-capacity/capacityNotStated'],
  '<demo-13-kiosk@millbrook-tc.gov.uk>': ['confidential-stays-internal/sentOutside'],
  '<demo-15-printing@millbrook-tc.gov.uk>': ['no-party-political-use/askedOfficerForPartyWork'],
  '<demo-17-crossing@millbrook-tc.gov.uk>': ['press-via-clerk/mediaInPreElection'],
  '<demo-18-flood@millbrook-tc.gov.uk>': ['press-via-clerk/mediaWithoutClerk'],
  '<demo-20-invoices@millbrook-tc.gov.uk>': ['officer-conduct-raised-properly/officerRaisedWithMember'],
  '<demo-22-play-area@millbrook-tc.gov.uk>': ['notify-ward-members-of-consultations/consultationStarting'],
  'demo-31-castle-traffic@millbrook-tc.gov.uk': ['invite-ward-members/missingWardMembers'],
  'demo-34-northfield-extension@millbrook-tc.gov.uk': ['notify-ward-members-of-consultations/consultationStarting'],
  'demo-35-alice-surgery@millbrook-tc.gov.uk': ['no-ward-meetings-before-elections/meetingInPreElection'],
  'demo-37-footbridge@millbrook-tc.gov.uk': ['clerk-informed-of-member-meetings/clerkNotInformed'],
  'demo-38-ben-surgery@millbrook-tc.gov.uk': ['no-officers-at-surgeries/officerInvitedToSurgery'],
  'demo-39-labour-group@millbrook-tc.gov.uk': [
    'party-group-attendance-authorised/authorisationNeeded',
    'party-group-attendance-authorised/nonMembersPresent',
  ],
  'demo-41-depot-visit@millbrook-tc.gov.uk': ['notify-ward-members-of-visits/visitInOtherWard'],
};

/** Near-misses and other items that must produce no finding at all. */
const quiet = [
  '<demo-02-agenda@millbrook-tc.gov.uk>',
  '<demo-03-toilets@millbrook-tc.gov.uk>',
  '<demo-05-swing@millbrook-tc.gov.uk>',
  '<demo-07-precept@millbrook-tc.gov.uk>',
  '<demo-08-site-meeting@millbrook-tc.gov.uk>',
  '<demo-10-thanks@millbrook-tc.gov.uk>',
  '<demo-12-parking@millbrook-tc.gov.uk>',
  '<demo-14-staffing@millbrook-tc.gov.uk>',
  '<demo-16-nominations@millbrook-tc.gov.uk>',
  '<demo-19-bandstand@millbrook-tc.gov.uk>',
  '<demo-21-concern@millbrook-tc.gov.uk>',
  '<demo-23-urgent@millbrook-tc.gov.uk>',
  'demo-32-flood-defences@millbrook-tc.gov.uk',
  'demo-33-parking@millbrook-tc.gov.uk',
  'demo-36-sue-surgery@millbrook-tc.gov.uk',
  'demo-40-conservative-group@millbrook-tc.gov.uk',
  'demo-42-library-visit@millbrook-tc.gov.uk',
];

let result: CheckResult;

beforeAll(async () => {
  const { engine } = setupEngine(path.join(demo, 'council.yaml'));
  result = await checkSource(engine, readFolderSource(path.join(demo, 'source')), { now: NOW });
});

describe('the demo council', () => {
  test('finds exactly the expected findings, item by item', () => {
    const got: Record<string, string[]> = {};
    for (const f of result.findings) (got[f.item.key] ??= []).push(`${f.rule}/${f.messageId}`);
    expect(got).toEqual(expected);
  });

  test('every rule in the catalogue fires at least once in the demo', () => {
    const fired = new Set(result.findings.map((f) => f.rule));
    expect([...RULE_IDS].filter((r) => !fired.has(r))).toEqual([]);
  });

  test('the near-misses were read and produce nothing', () => {
    const keys = new Set(result.findings.map((f) => f.item.key));
    for (const k of quiet) expect(keys.has(k), k).toBe(false);
    expect(result.counts.mailItems).toBe(23);
    expect(result.counts.eventItems).toBe(12);
  });

  test('the blind copy seen in two mailboxes is one item with one finding', () => {
    expect(result.findings.filter((f) => f.item.key === '<demo-01-potholes@millbrook-tc.gov.uk>')).toHaveLength(1);
    expect(result.counts.mailCopies).toBe(24);
  });

  test('findings cite the adopted protocol (Knutsford) and say who acts', () => {
    const blind = result.findings.find((f) => f.rule === 'no-blind-copies');
    expect(blind?.clauses).toEqual(['12.1']);
    expect(blind?.actions.map((a) => [a.kind, a.to])).toEqual([
      ['nudge', ['sam.patel@millbrook-tc.gov.uk']],
      ['digest', ['clerk@millbrook-tc.gov.uk']],
    ]);
    const surgery = result.findings.find((f) => f.rule === 'no-ward-meetings-before-elections');
    expect(surgery?.actions.map((a) => a.kind)).toEqual(['block', 'notify-clerk']);
    expect(surgery?.actions[0]?.calendarId).toBe('community-room');
    const invite = result.findings.find((f) => f.rule === 'invite-ward-members');
    expect(invite?.actions.find((a) => a.kind === 'invite')?.to).toEqual(['alice.green@millbrook-tc.gov.uk']);
  });

  test('the spoofed message is reported and nothing is done in the councillor’s name', () => {
    const spoof = result.notices.filter((n) => n.kind === 'possible-spoofing');
    expect(spoof.map((n) => n.item.key)).toEqual(['<demo-23-urgent@millbrook-tc.gov.uk>']);
    expect(result.findings.some((f) => f.item.key === '<demo-23-urgent@millbrook-tc.gov.uk>')).toBe(false);
  });

  test('an event whose ward cannot be told goes to a human', () => {
    const human = result.notices.filter((n) => n.kind === 'needs-human');
    expect(human.map((n) => [n.item.key, n.rule])).toEqual([['demo-33-parking@millbrook-tc.gov.uk', 'invite-ward-members']]);
  });

  test('unreadable files are reported with their path and reason, and the rest went on', () => {
    const origins = result.problems.map((p) => path.basename(p.origin));
    expect(origins).toContain('24-unreadable--not-an-email.eml');
    expect(origins).toContain('43-unreadable--broken-calendar.ics');
    for (const p of result.problems) expect(p.reason.length).toBeGreaterThan(10);
  });
});
