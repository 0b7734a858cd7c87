/**
 * A Google Workspace in the Google simulator for the connector's tests: the council's service
 * account (a fresh RSA key, its JSON key file written as Google Cloud console gives it) with
 * domain-wide delegation for the scopes Wardwatch needs, the council's users and a room, and the
 * connector's settings pointing at it. The simulator's addresses come through the transport's
 * options (as `ConnectorContext.tuning` carries them), never through the council's config.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GoogleConnectorSection, GoogleContext, GoogleSettings } from '../../../connectors/google/config.js';
import { GoogleConnectorSchema, parseGoogleSettings, SCOPES } from '../../../connectors/google/config.js';
import type { GoogleTransportOptions } from '../../../connectors/google/transport.js';
import { ManualClock, startGoogleSimulator, type GoogleSimulator } from '../../google-sim/index.js';

export const CLIENT_EMAIL = 'wardwatch@millbrook-wardwatch.iam.gserviceaccount.com';
export const CLIENT_ID = '104829365501234567890';
export const ALL_SCOPES = [SCOPES.gmailRead, SCOPES.gmailSend, SCOPES.calendar];

export const USER = {
  clerk: 'clerk@millbrook-tc.gov.uk',
  service: 'protocol@millbrook-tc.gov.uk',
  sue: 'sue.taylor@millbrook-tc.gov.uk',
  sam: 'sam.patel@millbrook-tc.gov.uk',
  raj: 'raj.mehta@millbrook-tc.gov.uk',
} as const;

/** The council chamber: a resource calendar the Clerk may make changes to. */
export const ROOM = 'c_1888chamber0millbrook@resource.calendar.google.com';

export interface ServiceAccountKeyJson {
  type: 'service_account';
  project_id: string;
  private_key_id: string;
  private_key: string;
  client_email: string;
  client_id: string;
  token_uri: string;
}

export interface Workspace {
  sim: GoogleSimulator;
  clock: ManualClock;
  keyJson: ServiceAccountKeyJson;
  keyPath: string;
  dir: string;
  /** `connectors.google` as a council would write it. */
  section(extra?: Record<string, unknown>): GoogleConnectorSection;
  /** Resolved settings, with the config's mailboxes and calendars. */
  settings(extra?: Record<string, unknown>, context?: Partial<GoogleContext>, env?: Record<string, string>): GoogleSettings;
  /** Transport options pointing at the simulator, whose sleep moves the simulator's clock instead of waiting. */
  transportOptions(): GoogleTransportOptions & { slept: number[] };
  close(): Promise<void>;
}

export const DEFAULT_CONTEXT: GoogleContext = {
  councilName: 'Millbrook Town Council',
  timeZone: 'Europe/London',
  serviceAddress: USER.service,
  mailboxes: [
    { address: USER.clerk, folders: ['inbox', 'sent'] },
    { address: USER.sue, folders: ['inbox', 'sent'] },
    { address: USER.sam, folders: ['inbox', 'sent'] },
  ],
  calendars: [
    { id: 'council-events', role: 'council' },
    { id: 'council-chamber', role: 'room' },
  ],
  sends: true,
  baseDir: '/',
};

/** A service account key as Google Cloud console gives it. */
export function makeServiceAccountKey(clientEmail = CLIENT_EMAIL, clientId = CLIENT_ID): { json: ServiceAccountKeyJson; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    json: {
      type: 'service_account',
      project_id: 'millbrook-wardwatch',
      private_key_id: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678',
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      client_email: clientEmail,
      client_id: clientId,
      token_uri: 'https://oauth2.googleapis.com/token',
    },
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

export async function startWorkspace(options: { scopes?: string[] } = {}): Promise<Workspace> {
  const clock = new ManualClock(Date.now());
  const sim = await startGoogleSimulator({ clock });
  const key = makeServiceAccountKey();
  sim.addServiceAccount({ clientEmail: CLIENT_EMAIL, publicKeyPem: key.publicKeyPem, grants: { scopes: options.scopes ?? ALL_SCOPES } });
  for (const [name, address] of Object.entries(USER)) sim.addUser(address, name);
  sim.addCalendar(ROOM, { delegates: [USER.clerk], summary: 'Council Chamber' });
  const dir = mkdtempSync(join(tmpdir(), 'google-workspace-'));
  const keyPath = join(dir, 'wardwatch-google.json');
  writeFileSync(keyPath, JSON.stringify(key.json, null, 2));
  const section = (extra: Record<string, unknown> = {}): GoogleConnectorSection =>
    GoogleConnectorSchema.parse({
      keyFile: keyPath,
      calendars: { 'council-events': USER.clerk, 'council-chamber': { id: ROOM, actAs: USER.clerk } },
      ...extra,
    });
  return {
    sim,
    clock,
    keyJson: key.json,
    keyPath,
    dir,
    section,
    settings: (extra = {}, context = {}, env = {}) => parseGoogleSettings(section(extra), { ...DEFAULT_CONTEXT, ...context }, env),
    transportOptions() {
      const slept: number[] = [];
      return {
        slept,
        rootUrl: sim.rootUrl,
        tokenUrl: sim.tokenUrl,
        now: () => new Date(clock.now()),
        sleep: async (ms: number) => {
          slept.push(ms);
          clock.advance(ms);
        },
        backoffMs: 10,
      };
    },
    async close() {
      await sim.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
