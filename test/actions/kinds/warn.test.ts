import warn from '../../../src/actions/kinds/warn.js';
import { actionKindTester } from '../../support/action-kind-tester.js';
import { A } from '../../support/council.js';

actionKindTester(warn, { to: [A.tom], template: 'no-blind-copies', waitsForWorkingHours: true, limitForOfficer: 3, limitForClerk: 20, check: `warn ${A.tom}`, carriedOutBy: 'message' });
