/** The Graph simulator's public surface, for the connector's tests. See README.md beside this file. */
export { startGraphSimulator, GraphSimulator, ManualClock, type GraphSimulatorOptions } from './server.js';
export { Gate, MAILBOX_CONCURRENCY, EARLY_RETRY_PENALTY_SECONDS, type Fault, type FaultRule, type RetryAfter, type FaultStats } from './faults.js';
export { TOKEN_LIFETIME_SECONDS, type AppRegistration } from './auth.js';
export { MAX_CUSTOM_HEADERS, DEFAULT_MESSAGE_PAGE_SIZE, type MailDeltaQuirks } from './mail.js';
export { DEFAULT_EVENT_PAGE_SIZE } from './calendar.js';
export { MAX_SUBSCRIPTION_MINUTES, type Delivery, type LifecycleEvent } from './subscriptions.js';
export { MAX_BATCH_REQUESTS } from './batch.js';
export { type Clock, type RequestRecord, type SentRecord, type SentKind, type StoredMessage, type StoredEvent } from './state.js';
export { makeClientCertificate, makeTestPki, type ClientCertificate, type TestPki } from './tls.js';
export { CaTrustingHttpHandler, GRAPH_SCOPE, certificateCredential, graphClient, secretCredential, type SimulatorEndpoint } from './client.js';
export { readCsdl, schemaProblems, propertyType, type CsdlType } from './csdl.js';
