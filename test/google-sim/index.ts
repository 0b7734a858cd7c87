/** The Google simulator's public surface, for the connector's tests. See README.md beside this file. */
export { startGoogleSimulator, GoogleSimulator, ManualClock, insufficientScopes, type GoogleSimulatorOptions } from './server.js';
export { DROP, type Fault, type FaultRule, type FaultStats, type RateReason } from './faults.js';
export {
  GOOGLE_TOKEN_URL, JWT_BEARER, SCOPES, SCOPES_FOR, TOKEN_LIFETIME_SECONDS, UNAUTHORIZED_CLIENT_MESSAGE,
  type IssuedToken, type ServiceAccount, type TokenAttempt,
} from './auth.js';
export { DEFAULT_LIST_PAGE_SIZE, GMAIL_QUOTA_UNITS, MAX_LIST_PAGE_SIZE, matchesQuery, type GmailQuirks } from './gmail.js';
export { DEFAULT_EVENT_PAGE_SIZE, MAX_EVENT_PAGE_SIZE, SYNC_TOKEN_EXCLUSIVE, type CalendarQuirks } from './calendar.js';
export {
  FIRST_HISTORY_ID, SYSTEM_LABELS, GoogleState,
  type Api, type Clock, type HistoryEntry, type Mailbox, type RequestRecord, type SentKind, type SentRecord, type SimCalendar, type StoredEvent, type StoredMessage,
} from './state.js';
export { calendarClient, gmailClient, makeServiceAccountKey, serviceAccountAuth, simTransporter, type ServiceAccountKey, type SimulatorEndpoint } from './client.js';
