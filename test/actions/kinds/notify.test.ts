import notify from '../../../src/actions/kinds/notify.js';
import { actionKindTester } from '../../support/action-kind-tester.js';
import { A } from '../../support/council.js';

actionKindTester(notify, { to: [A.sam], template: 'clerk-notice', waitsForWorkingHours: true, check: `notify ${A.sam}`, carriedOutBy: 'message' });
