/** Shared set-up for the simulator's own tests: a domain, a service account with delegation, the council's users. */
import type { JWT } from 'google-auth-library';
import type { calendar_v3 } from 'googleapis/build/src/apis/calendar/v3.js';
import type { gmail_v1 } from 'googleapis/build/src/apis/gmail/v1.js';
import { SCOPES } from './auth.js';
import { calendarClient, gmailClient, makeServiceAccountKey, serviceAccountAuth, type ServiceAccountKey } from './client.js';
import { ManualClock, startGoogleSimulator, type GoogleSimulator } from './server.js';

export const CLIENT_EMAIL = 'wardwatch@millbrook-wardwatch.iam.gserviceaccount.com';
export const U = {
  clerk: 'clerk@millbrook-tc.gov.uk',
  service: 'protocol@millbrook-tc.gov.uk',
  sue: 'sue.taylor@millbrook-tc.gov.uk',
  sam: 'sam.patel@millbrook-tc.gov.uk',
} as const;
export const ROOM = 'c_1888chamber0millbrook@resource.calendar.google.com';
export const GRANTED = [SCOPES.gmailReadonly, SCOPES.gmailSend, SCOPES.calendar, SCOPES.gmailMetadata];

export interface Harness {
  sim: GoogleSimulator;
  clock: ManualClock;
  key: ServiceAccountKey;
  auth(subject: string, scopes?: string[]): JWT;
  gmail(subject: string, scopes?: string[]): gmail_v1.Gmail;
  calendar(subject: string, scopes?: string[]): calendar_v3.Calendar;
  close(): Promise<void>;
}

export async function startHarness(): Promise<Harness> {
  const clock = new ManualClock(Date.parse('2027-04-12T08:00:00Z'));
  const sim = await startGoogleSimulator({ clock });
  const key = makeServiceAccountKey(CLIENT_EMAIL);
  sim.addServiceAccount({ clientEmail: CLIENT_EMAIL, publicKeyPem: key.publicKeyPem, grants: { scopes: GRANTED } });
  for (const [name, address] of Object.entries(U)) sim.addUser(address, name);
  sim.addCalendar(ROOM, { delegates: [U.clerk], summary: 'Council Chamber' });
  const auth = (subject: string, scopes: string[] = [SCOPES.gmailReadonly, SCOPES.gmailSend, SCOPES.calendar]): JWT =>
    serviceAccountAuth(sim, key, { subject, scopes });
  return {
    sim, clock, key, auth,
    gmail: (subject, scopes) => gmailClient(sim, auth(subject, scopes)),
    calendar: (subject, scopes) => calendarClient(sim, auth(subject, scopes)),
    close: () => sim.close(),
  };
}

/** The error a failing SDK call rejects with (a GaxiosError). */
export interface SdkError extends Error {
  status?: number;
  code?: string | number;
  response?: { status: number; data: unknown; headers: Headers | Record<string, string> };
}

export const fail = (p: Promise<unknown>): Promise<SdkError> => p.then(
  () => { throw new Error('expected the request to fail'); },
  (e: unknown) => e as SdkError,
);

/** The `error` object of a Google JSON error body. */
export function googleErrorOf(e: SdkError): { code: number; message: string; status: string; errors: Array<{ domain: string; reason: string; message: string }> } {
  return (e.response?.data as { error: ReturnType<typeof googleErrorOf> }).error;
}

export interface EmlSpec {
  from: string;
  to: string[];
  cc?: string[];
  bcc?: string[];
  subject: string;
  body?: string;
  messageId?: string;
  headers?: Record<string, string>;
}

export function eml(spec: EmlSpec): string {
  return [
    `From: ${spec.from}`,
    `To: ${spec.to.join(', ')}`,
    ...(spec.cc?.length ? [`Cc: ${spec.cc.join(', ')}`] : []),
    ...(spec.bcc?.length ? [`Bcc: ${spec.bcc.join(', ')}`] : []),
    `Subject: ${spec.subject}`,
    'Date: Mon, 12 Apr 2027 09:00:00 +0100',
    ...(spec.messageId === '' ? [] : [`Message-ID: ${spec.messageId ?? `<${Math.random().toString(36).slice(2)}@millbrook-tc.gov.uk>`}`]),
    ...Object.entries(spec.headers ?? {}).map(([k, v]) => `${k}: ${v}`),
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    spec.body ?? 'Dear colleague,\r\n\r\nPlease see the agenda for Thursday.\r\n\r\nKind regards',
    '',
  ].join('\r\n');
}

export const b64url = (s: string): string => Buffer.from(s, 'utf8').toString('base64url');
