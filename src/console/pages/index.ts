/** Every page of the console, as the server (src/console/server.ts) mounts them. */
import type { ConsoleRoute } from '../types.js';
import { auditRoutes } from './audit.js';
import { authorisationRoutes } from './authorisations.js';
import { digestRoutes } from './digests.js';
import { effectRoutes } from './effect.js';
import { electionRoutes } from './elections.js';
import { failedRoutes } from './failed.js';
import { historyRoutes } from './history.js';
import { itemRoutes } from './item.js';
import { notABreachRoutes } from './not-a-breach.js';
import { reviewRoutes } from './review.js';
import { ruleRoutes } from './rules.js';
import { sourceRoutes } from './sources.js';
import { todayRoutes } from './today.js';

export const consolePages: ConsoleRoute[] = [
  ...todayRoutes,
  ...reviewRoutes,
  ...effectRoutes,
  ...itemRoutes,
  ...historyRoutes,
  ...failedRoutes,
  ...notABreachRoutes,
  ...ruleRoutes,
  ...authorisationRoutes,
  ...electionRoutes,
  ...sourceRoutes,
  ...digestRoutes,
  ...auditRoutes,
];
