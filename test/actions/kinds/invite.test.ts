import invite from '../../../src/actions/kinds/invite.js';
import { actionKindTester } from '../../support/action-kind-tester.js';
import { A } from '../../support/council.js';

actionKindTester(invite, { to: [A.sue], calendarId: 'council-events', template: 'invitation', waitsForWorkingHours: false, check: `invite ${A.sue}`, carriedOutBy: 'invitation' });
