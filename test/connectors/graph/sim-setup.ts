/**
 * A Microsoft 365 tenant in the Graph simulator for the connector's tests: the app registered
 * with a certificate and a secret, the council's mailboxes, and the connector's settings pointing
 * at it (through `endpoints` and `tls.caFile`, as a national cloud or a TLS-inspecting proxy would).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GraphConnectorSection, GraphContext, GraphSettings } from '../../../connectors/graph/config.js';
import { GraphConnectorSchema, parseGraphSettings } from '../../../connectors/graph/config.js';
import type { TransportOptions } from '../../../connectors/graph/transport.js';
import { makeClientCertificate, ManualClock, startGraphSimulator, type ClientCertificate, type GraphSimulator } from '../../graph-sim/index.js';

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

export interface Tenant {
  sim: GraphSimulator;
  clock: ManualClock;
  cert: ClientCertificate;
  dir: string;
  certPath: string;
  caPath: string;
  /** `connectors.graph` as a council would write it, pointed at the simulator. */
  section(extra?: Partial<GraphConnectorSection> & Record<string, unknown>): GraphConnectorSection;
  /** Resolved settings, with the config's mailboxes and calendars. */
  settings(extra?: Record<string, unknown>, context?: Partial<GraphContext>, env?: Record<string, string>): GraphSettings;
  /** Transport options whose sleep moves the simulator's clock instead of waiting. */
  transportOptions(): TransportOptions & { slept: number[] };
  close(): Promise<void>;
}

export const DEFAULT_CONTEXT: GraphContext = {
  councilName: 'Millbrook Town Council',
  timeZone: 'Europe/London',
  serviceAddress: MB.service,
  mailboxes: [
    { address: MB.clerk, folders: ['inbox', 'sent'] },
    { address: MB.sue, folders: ['inbox', 'sent'] },
    { address: MB.sam, folders: ['inbox', 'sent'] },
  ],
  calendars: [
    { id: 'council-events', role: 'council' },
    { id: 'council-chamber', role: 'room' },
  ],
  baseDir: '/',
};

export async function startTenant(options: { realClock?: boolean } = {}): Promise<Tenant> {
  const clock = new ManualClock(Date.now());
  const sim = await startGraphSimulator(options.realClock ? {} : { clock });
  const cert = makeClientCertificate();
  const dir = mkdtempSync(join(tmpdir(), 'graph-tenant-'));
  const certPath = join(dir, 'wardwatch-graph.pem');
  writeFileSync(certPath, cert.combinedPem);
  const caPath = join(dir, 'sim-ca.pem');
  writeFileSync(caPath, sim.caPem);
  sim.registerApp({ clientId: CLIENT_ID, secrets: [{ value: SECRET }, { value: EXPIRED_SECRET, expired: true }], certificates: [cert.certificatePem] });
  for (const [name, address] of Object.entries(MB)) sim.state.addMailbox(address, name);
  const section = (extra: Record<string, unknown> = {}): GraphConnectorSection =>
    GraphConnectorSchema.parse({
      tenantId: sim.tenantId,
      clientId: CLIENT_ID,
      certificatePath: certPath,
      calendars: { 'council-events': MB.clerk, 'council-chamber': MB.chamber },
      endpoints: { authority: sim.authorityHost, graph: `${sim.origin}/v1.0` },
      tls: { caFile: caPath },
      ...extra,
    });
  return {
    sim,
    clock,
    cert,
    dir,
    certPath,
    caPath,
    section,
    settings: (extra = {}, context = {}, env = {}) => parseGraphSettings(section(extra), { ...DEFAULT_CONTEXT, ...context }, env),
    transportOptions() {
      const slept: number[] = [];
      return {
        slept,
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
