import block from '../../../src/actions/kinds/block.js';
import { actionKindTester } from '../../support/action-kind-tester.js';

actionKindTester(block, { to: [], calendarId: 'council-chamber', template: 'booking-declined', waitsForWorkingHours: false, check: 'decline the booking on council-chamber', carriedOutBy: 'declineBooking' });
