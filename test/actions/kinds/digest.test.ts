import digest from '../../../src/actions/kinds/digest.js';
import { actionKindTester } from '../../support/action-kind-tester.js';
import { A } from '../../support/council.js';

actionKindTester(digest, { to: [A.clerk], waitsForWorkingHours: false, check: 'list in the digest', carriedOutBy: 'refuse' });
