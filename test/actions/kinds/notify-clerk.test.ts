import notifyClerk from '../../../src/actions/kinds/notify-clerk.js';
import { actionKindTester } from '../../support/action-kind-tester.js';
import { A } from '../../support/council.js';

actionKindTester(notifyClerk, { to: [A.clerk], template: 'clerk-notice', waitsForWorkingHours: true, limitForOfficer: 20, limitForClerk: 20, check: `notify-clerk ${A.clerk}`, carriedOutBy: 'message' });
