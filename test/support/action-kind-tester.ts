/**
 * A table-driven tester for an action kind's spec, in the manner of the rule tester: what a
 * finding with every target set plans for the kind (whom it goes to, on which calendar, with which
 * template), when an officer's copy may go out and which daily cap it counts against, what
 * `check` says of it, and which of the executor's ways of carrying out it chooses.
 */
import { describe, expect, test } from 'vitest';
import type { ActionCarrier, ActionSpec } from '../../src/actions/kinds/types.js';
import type { ActionKind } from '../../src/config/parts.js';
import { decideActions } from '../../src/engine/decide.js';
import { planDelivery, type DeliveryContext } from '../../src/outbox/schedule.js';
import type { Hit } from '../../src/rules/types.js';
import type { EffectRow } from '../../src/store/types.js';
import { A, council, directory, event } from './council.js';

export interface ActionKindCase {
  /** Whom it goes to, from a finding whose targets name an offender (Cllr Tom Brown), people to notify (Sam), to invite (Sue) and a room. */
  to: string[] | 'not planned';
  calendarId?: string;
  /** Its template, for a rule with no templates of its own. */
  template?: string;
  /** To an officer (Sam) late on a Friday: waits for Monday morning. */
  waitsForWorkingHours: boolean;
  /** The daily limit it counts against, sent to Sam and to the Clerk; undefined when it counts against none. */
  limitForOfficer?: number;
  limitForClerk?: number;
  /** `check`'s words for it, as planned above. */
  check: string;
  carriedOutBy: keyof ActionCarrier;
}

const meeting = event({ summary: 'Riverside play area: public meeting', location: 'Riverside Park', start: '2027-04-22T18:00:00Z', organizer: A.priya, calendarId: 'council-events' });
const hit: Hit = {
  messageId: 'm',
  data: {},
  people: [A.tom],
  evidence: [],
  targets: { offender: A.tom, notify: [A.sam], invite: [A.sue], room: { calendarId: 'council-chamber' } },
};
const planning: DeliveryContext = { timeZone: council.council.timezone, limits: council.limits, people: directory };
const fridayEvening = new Date('2026-01-16T18:30:00Z');

export function actionKindTester<K extends ActionKind>(spec: ActionSpec<K>, expected: ActionKindCase): void {
  describe(`action kind ${spec.kind}`, () => {
    test('plans an action for the people its spec addresses', () => {
      const actions = decideActions({ rule: { id: 'no-blind-copies' }, kinds: [spec.kind], hit, item: meeting, directory, digestTo: council.digest.to });
      if (expected.to === 'not planned') {
        expect(actions).toEqual([]);
        return;
      }
      expect(actions).toHaveLength(1);
      expect(actions[0]?.to).toEqual(expected.to);
      expect(actions[0]?.calendarId).toBe(expected.calendarId);
      expect(actions[0]?.template).toBe(expected.template);
      expect(spec.describe(actions[0] ?? { to: [] })).toBe(expected.check);
    });

    test('waits for working hours and counts against a daily cap as its spec says', () => {
      const officer = planDelivery(spec.kind, A.sam, fridayEvening, planning);
      expect(officer.notBefore.getTime() > fridayEvening.getTime()).toBe(expected.waitsForWorkingHours);
      expect(officer.cap?.limit).toBe(expected.limitForOfficer);
      expect(planDelivery(spec.kind, A.clerk, fridayEvening, planning).cap?.limit).toBe(expected.limitForClerk);
    });

    test('is carried out the way its spec says', async () => {
      const used: string[] = [];
      const record = (name: keyof ActionCarrier) => async (): Promise<void> => {
        used.push(name);
      };
      const carrier: ActionCarrier = {
        message: record('message'),
        routedCopy: record('routedCopy'),
        invitation: record('invitation'),
        declineBooking: record('declineBooking'),
        refuse: record('refuse'),
      };
      await spec.execute({ kind: spec.kind } as EffectRow, carrier);
      expect(used).toEqual([expected.carriedOutBy]);
      expect(spec.noun[0].length).toBeGreaterThan(2);
    });
  });
}
