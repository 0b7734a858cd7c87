import nudge from '../../../src/actions/kinds/nudge.js';
import { actionKindTester } from '../../support/action-kind-tester.js';
import { A } from '../../support/council.js';

actionKindTester(nudge, { to: [A.tom], template: 'no-blind-copies', waitsForWorkingHours: true, limitForOfficer: 3, limitForClerk: 20, check: `nudge ${A.tom}`, carriedOutBy: 'message' });
