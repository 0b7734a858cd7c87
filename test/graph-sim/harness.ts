/** Shared set-up for the simulator's own tests: a tenant, an app, the council's mailboxes. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@microsoft/microsoft-graph-client';
import { certificateCredential, graphClient, secretCredential } from './client.js';
import { ManualClock, startGraphSimulator, type GraphSimulator } from './server.js';
import { makeClientCertificate, type ClientCertificate } from './tls.js';

export const CLIENT_ID = '6f1c4a52-9b8e-4d3a-a1f0-3c2d7e9b5a10';
export const SECRET = 'Mtc~8Q~simulated-secret-value';
export const EXPIRED_SECRET = 'Mtc~8Q~expired-secret-value';

export const MB = {
  clerk: 'clerk@millbrook-tc.gov.uk',
  service: 'protocol@millbrook-tc.gov.uk',
  sue: 'sue.taylor@millbrook-tc.gov.uk',
  sam: 'sam.patel@millbrook-tc.gov.uk',
  raj: 'raj.mehta@millbrook-tc.gov.uk',
  chamber: 'chamber@millbrook-tc.gov.uk',
} as const;

export interface Harness {
  sim: GraphSimulator;
  clock: ManualClock;
  cert: ClientCertificate;
  certPath: string;
  client: Client;
  close(): Promise<void>;
}

export async function startHarness(): Promise<Harness> {
  const clock = new ManualClock(Date.now());
  const sim = await startGraphSimulator({ clock });
  const cert = makeClientCertificate();
  const dir = mkdtempSync(join(tmpdir(), 'graph-sim-app-'));
  const certPath = join(dir, 'wardwatch.pem');
  writeFileSync(certPath, cert.combinedPem);
  sim.registerApp({ clientId: CLIENT_ID, secrets: [{ value: SECRET }, { value: EXPIRED_SECRET, expired: true }], certificates: [cert.certificatePem] });
  for (const [name, address] of Object.entries(MB)) sim.state.addMailbox(address, name);
  const client = graphClient(sim, secretCredential(sim, CLIENT_ID, SECRET));
  return {
    sim, clock, cert, certPath, client,
    async close() {
      await sim.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export { certificateCredential, graphClient, secretCredential };

export interface EmlSpec {
  from: string;
  to: string[];
  cc?: string[];
  bcc?: string[];
  subject: string;
  body?: string;
  messageId?: string;
  date?: string;
  headers?: Record<string, string>;
}

export function eml(spec: EmlSpec): string {
  const lines = [
    `From: ${spec.from}`,
    `To: ${spec.to.join(', ')}`,
    ...(spec.cc?.length ? [`Cc: ${spec.cc.join(', ')}`] : []),
    ...(spec.bcc?.length ? [`Bcc: ${spec.bcc.join(', ')}`] : []),
    `Subject: ${spec.subject}`,
    `Date: ${spec.date ?? 'Mon, 12 Apr 2027 09:00:00 +0100'}`,
    `Message-ID: ${spec.messageId ?? `<${Math.random().toString(36).slice(2)}@millbrook-tc.gov.uk>`}`,
    ...Object.entries(spec.headers ?? {}).map(([k, v]) => `${k}: ${v}`),
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    spec.body ?? 'Dear colleague,\r\n\r\nPlease see the agenda for Thursday.\r\n\r\nKind regards',
    '',
  ];
  return lines.join('\r\n');
}
