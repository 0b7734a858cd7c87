import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { A, council, event } from '../support/council.js';

describe('Engine.evaluate', () => {
  const engine = new Engine(council);
  // A council public meeting in Castle ward that leaves out one of the ward's members.
  const meeting = event({
    summary: 'Public meeting: Castle Street parking',
    location: 'Castle Street',
    start: '2026-12-03T18:30:00.000Z',
    organizer: A.clerk,
    attendees: [A.tom],
  });

  it('gives every rule the `now` of the call, call after call', () => {
    const before = engine.evaluate(meeting, '2026-11-20T09:00:00.000Z');
    const after = engine.evaluate(meeting, '2026-12-10T09:00:00.000Z');
    const again = engine.evaluate(meeting, '2026-11-20T09:00:00.000Z');
    const invite = (e: typeof before) => e.verdicts.find((v) => v.rule === 'invite-ward-members');
    expect(invite(before)?.fired).toBe(true);
    expect(invite(after)?.fired).toBe(false);
    expect(invite(after)?.reason).toContain('is over');
    expect(invite(again)).toEqual(invite(before));
  });

  it('lists a rule the council turned off as off, in catalogue order', () => {
    const off = new Engine({ ...council, rules: { ...council.rules, 'invite-ward-members': 'off' } });
    const verdicts = off.evaluate(meeting, '2026-11-20T09:00:00.000Z').verdicts;
    expect(verdicts.map((v) => v.rule)).toEqual(engine.rules.map((r) => r.meta.id));
    expect(verdicts.find((v) => v.rule === 'invite-ward-members')).toEqual({
      rule: 'invite-ward-members',
      enabled: false,
      fired: false,
      reason: 'turned off for this council',
      findings: [],
    });
  });
});
