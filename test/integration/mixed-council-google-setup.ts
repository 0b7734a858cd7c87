/**
 * A mixed Millbrook Town Council (issue 16): the officers on Google Workspace, a councillor on
 * hosted mail. The Google simulator holds Sam Patel's mailbox (an officer: INBOX and SENT), the
 * Clerk's (the digest goes there) and the protocol mailbox Wardwatch sends from; a real Dovecot
 * (with Postfix and Radicale, as the IMAP tests start them) holds Cllr Raj Mehta's. The config
 * lists both under `mailboxes`; `connectors.google.mailboxes` claims Sam's, so `connectors.imap`
 * has a login for Raj only, and Wardwatch sends through Google. The simulator's addresses reach
 * the connector through the service's `connectorTuning.google`, never through the config.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { A } from '../support/council.js';
import { startMailStack, type MailStack } from '../support/servers.js';
import type { GoogleSimulator } from '../google-sim/index.js';
import { startGoogleCouncil, type GoogleCouncil } from './google-council.js';
import { account } from './imap-council.js';
import { RAJ_PASSWORD_VARIABLE, rajImapSection } from './mixed-council-setup.js';

export { RAJ_PASSWORD_VARIABLE };

export interface MixedGoogleCouncil {
  sim: GoogleSimulator;
  stack: MailStack;
  dir: string;
  configFile: string;
  /** The same council without `connectors.google.mailboxes`: Google then claims no mailbox from IMAP. */
  unclaimedConfigFile: string;
  /** The service's `connectorTuning`: the simulator's addresses. */
  tuning: GoogleCouncil['tuning'];
  /** Raj's IMAP password, as `${WW_MIXED_RAJ_PASSWORD}` resolves. */
  rajPassword: string;
  stop(): Promise<void>;
}

export async function startMixedGoogleCouncil(): Promise<MixedGoogleCouncil> {
  const raj = account('raj');
  // Dovecot first: the config written with the Google council names its port.
  const stack = await startMailStack({ users: [raj] });
  let google: GoogleCouncil;
  try {
    google = await startGoogleCouncil({
      overrides: {
        mailboxes: [
          { address: A.sam, folders: ['inbox', 'sent'] }, // on Google Workspace
          { address: A.raj, folders: ['inbox'] }, // a councillor on hosted mail
        ],
        connectors: {
          google: { keyFile: './google-key.json', mailboxes: [A.sam], pollSeconds: 0.5, pageSize: 20 },
          imap: rajImapSection(stack),
        },
        server: { host: '127.0.0.1', port: 0 },
      },
    });
  } catch (err) {
    await stack.stop();
    throw err;
  }
  process.env[RAJ_PASSWORD_VARIABLE] = raj.password;

  // The unclaimed variant: the same file without `connectors.google.mailboxes`.
  const config = parse(readFileSync(google.configFile, 'utf8')) as { connectors: { google: Record<string, unknown> } };
  delete config.connectors.google['mailboxes'];
  const unclaimedConfigFile = path.join(google.dir, 'council-unclaimed.yaml');
  writeFileSync(unclaimedConfigFile, stringify(config));

  return {
    sim: google.sim,
    stack,
    dir: google.dir,
    configFile: google.configFile,
    unclaimedConfigFile,
    tuning: google.tuning,
    rajPassword: raj.password,
    async stop() {
      await Promise.allSettled([google.stop(), stack.stop()]);
    },
  };
}
