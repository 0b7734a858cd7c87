/**
 * A mixed Millbrook Town Council (issue 15): the officers on Microsoft 365, a councillor on hosted
 * mail. The Graph simulator holds Sam Patel's mailbox (an officer: Inbox and Sent Items), the
 * Clerk's (the digest goes there) and the protocol mailbox Wardwatch sends from; a real Dovecot
 * (with Postfix and Radicale, as the IMAP tests start them) holds Cllr Raj Mehta's. The config
 * lists both under `mailboxes`; `connectors.graph.mailboxes` claims Sam's, so `connectors.imap`
 * has a login for Raj only, and Wardwatch sends through Microsoft 365.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { A, councilConfigInput } from '../support/council.js';
import { startMailStack, type MailStack } from '../support/servers.js';
import { makeClientCertificate, startGraphSimulator, type GraphSimulator } from '../graph-sim/index.js';
import { CLIENT_ID } from './graph-council.js';
import { account } from './imap-council.js';

/** The environment variable holding Raj's IMAP password: the only secret the config needs. */
export const RAJ_PASSWORD_VARIABLE = 'WW_MIXED_RAJ_PASSWORD';

/** `connectors.imap` for a mixed council: Dovecot, with a login for Raj's mailbox only. */
export function rajImapSection(stack: MailStack): Record<string, unknown> {
  return {
    host: stack.host,
    port: stack.ports.imap,
    secure: false,
    mailboxes: { [A.raj]: { password: `\${${RAJ_PASSWORD_VARIABLE}}` } },
    // Mail arrives by IDLE; the periodic re-check is left at a minute.
    recheckSeconds: 60,
    backoff: { initialSeconds: 0.2, maxSeconds: 1 },
  };
}

export interface MixedCouncil {
  sim: GraphSimulator;
  stack: MailStack;
  dir: string;
  configFile: string;
  /** The same council without `connectors.graph.mailboxes`: Microsoft 365 then claims no mailbox. */
  unclaimedConfigFile: string;
  /** Raj's IMAP password, as `${WW_MIXED_RAJ_PASSWORD}` resolves. */
  rajPassword: string;
  stop(): Promise<void>;
}

export async function startMixedCouncil(): Promise<MixedCouncil> {
  const raj = account('raj');
  // Both servers take a few seconds to start: start them together.
  const [simResult, stackResult] = await Promise.allSettled([startGraphSimulator(), startMailStack({ users: [raj] })]);
  if (simResult.status === 'rejected' || stackResult.status === 'rejected') {
    if (simResult.status === 'fulfilled') await simResult.value.close();
    if (stackResult.status === 'fulfilled') await stackResult.value.stop();
    throw simResult.status === 'rejected' ? simResult.reason : stackResult.status === 'rejected' ? stackResult.reason : new Error('unreachable');
  }
  const sim = simResult.value;
  const stack = stackResult.value;
  const dir = mkdtempSync(path.join(tmpdir(), 'wardwatch-mixed-it-'));

  const cert = makeClientCertificate();
  writeFileSync(path.join(dir, 'graph-app.pem'), cert.combinedPem, { mode: 0o600 });
  writeFileSync(path.join(dir, 'graph-ca.pem'), sim.caPem);
  sim.registerApp({ clientId: CLIENT_ID, secrets: [], certificates: [cert.certificatePem] });
  // Microsoft 365 holds the officers' side only; Raj has no mailbox there.
  for (const address of [A.sam, A.clerk, A.service]) sim.addMailbox(address);
  process.env[RAJ_PASSWORD_VARIABLE] = raj.password;

  const config = (claim: boolean): Record<string, unknown> => ({
    ...councilConfigInput,
    mailboxes: [
      { address: A.sam, folders: ['inbox', 'sent'] }, // on Microsoft 365
      { address: A.raj, folders: ['inbox'] }, // a councillor on hosted mail
    ],
    connectors: {
      graph: {
        tenantId: sim.tenantId,
        clientId: CLIENT_ID,
        certificatePath: './graph-app.pem',
        ...(claim ? { mailboxes: [A.sam] } : {}),
        pollSeconds: 0.5,
        pageSize: 20,
        endpoints: { authority: sim.authorityHost, graph: `${sim.origin}/v1.0` },
        tls: { caFile: './graph-ca.pem' },
      },
      imap: rajImapSection(stack),
    },
    sender: { kind: 'connector', connector: 'graph' },
    store: { path: './state/wardwatch.sqlite' },
    server: { host: '127.0.0.1', port: 0 },
    limits: { nudgesPerPersonPerDay: 1000, quietHours: { roles: [], weekends: false } },
    digest: { to: [A.clerk], cron: '30 7 * * *' },
  });
  mkdirSync(path.join(dir, 'state'), { recursive: true });
  const configFile = path.join(dir, 'council.yaml');
  writeFileSync(configFile, stringify(config(true)));
  const unclaimedConfigFile = path.join(dir, 'council-unclaimed.yaml');
  writeFileSync(unclaimedConfigFile, stringify(config(false)));

  return {
    sim,
    stack,
    dir,
    configFile,
    unclaimedConfigFile,
    rajPassword: raj.password,
    async stop() {
      await Promise.allSettled([sim.close(), stack.stop()]);
      if (process.env['WARDWATCH_KEEP_TEST_DIR'] !== '1') rmSync(dir, { recursive: true, force: true });
    },
  };
}
