/** The engine's output types live in src/model/finding.ts, below everything that reads them. */
export type { Finding, PlannedAction } from '../model/finding.js';
