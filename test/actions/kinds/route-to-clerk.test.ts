import routeToClerk from '../../../src/actions/kinds/route-to-clerk.js';
import { actionKindTester } from '../../support/action-kind-tester.js';
import { A } from '../../support/council.js';

actionKindTester(routeToClerk, { to: [A.clerk], template: 'routed-copy', waitsForWorkingHours: true, limitForOfficer: 20, limitForClerk: 20, check: `route a copy to ${A.clerk}`, carriedOutBy: 'routedCopy' });
