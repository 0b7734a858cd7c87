/**
 * Opening an IMAP session for one mailbox and finding its folders: INBOX, the Sent folder
 * (SPECIAL-USE `\Sent`, or the configured name), or a folder named in the config.
 */
import { ImapFlow, type ListResponse } from 'imapflow';
import type { Credentials, ImapServerSettings } from './config.js';
import { ConnectorError, describeImapError } from './errors.js';
import { errorText, type ConnectorLogger } from './logger.js';

/** How long IMAP waits after a command before it starts IDLE on its own. */
const AUTO_IDLE_DELAY_MS = 100;

export function serverLabel(server: ImapServerSettings): string {
  return `${server.host}:${server.port}`;
}

export function createImapClient(server: ImapServerSettings, credentials: Credentials): ImapFlow {
  return new ImapFlow({
    host: server.host,
    port: server.port,
    secure: server.secure,
    auth: { user: credentials.user, pass: credentials.password },
    tls: { rejectUnauthorized: server.tls.rejectUnauthorized, ...(server.tls.ca ? { ca: server.tls.ca } : {}) },
    socketTimeout: server.socketTimeoutMs,
    connectionTimeout: Math.min(server.socketTimeoutMs, 30_000),
    greetingTimeout: Math.min(server.socketTimeoutMs, 16_000),
    autoIdleDelay: AUTO_IDLE_DELAY_MS,
    clientInfo: { name: 'Wardwatch' },
    // imapflow's own log carries protocol detail; the connector logs what matters itself.
    logger: false,
  });
}

/**
 * Connects and logs in. The client always has an `error` listener (an unheard one would end
 * the process). Failures are ConnectorErrors that name the server and the mailbox.
 */
export async function connectImap(
  server: ImapServerSettings,
  credentials: Credentials,
  mailbox: string,
  logger: ConnectorLogger,
): Promise<ImapFlow> {
  const client = createImapClient(server, credentials);
  client.on('error', (err: Error) => {
    logger.debug({ mailbox, error: errorText(err) }, 'IMAP connection error');
  });
  try {
    await client.connect();
  } catch (err) {
    client.close();
    throw new ConnectorError(`Could not open the mailbox ${mailbox}: ${describeImapError(err, serverLabel(server), mailbox)}.`, { cause: err });
  }
  return client;
}

/** Closes the session politely when it still can, at once otherwise. Never throws. */
export async function closeImap(client: ImapFlow): Promise<void> {
  if (client.usable) {
    const timer = setTimeout(() => client.close(), 2000);
    try {
      await client.logout();
    } catch {
      client.close();
    } finally {
      clearTimeout(timer);
    }
  } else {
    client.close();
  }
}

export interface ResolvedFolder {
  /** The folder's path on the server. */
  path: string;
  /** The folder as records name it: `inbox`, `sent`, or the folder's name in lower case. */
  label: string;
}

/** The label a configured folder name gets in records. */
export function folderLabel(configured: string): string {
  const lower = configured.toLowerCase();
  return lower === 'inbox' ? 'inbox' : lower === 'sent' ? 'sent' : lower;
}

function findSent(list: ListResponse[]): ListResponse | undefined {
  const sent = list.filter((f) => f.specialUse === '\\Sent');
  return sent.find((f) => f.specialUseSource === 'extension') ?? sent.find((f) => f.specialUseSource === 'user') ?? sent[0];
}

/** Finds the server path of a configured folder. Throws a ConnectorError when there is none. */
export async function resolveFolder(client: ImapFlow, configured: string, mailbox: string, sentFolder?: string): Promise<ResolvedFolder> {
  const label = folderLabel(configured);
  if (label === 'inbox') return { path: 'INBOX', label };
  const list = await client.list();
  if (label === 'sent') {
    if (sentFolder) {
      const named = list.find((f) => f.path === sentFolder) ?? list.find((f) => f.path.toLowerCase() === sentFolder.toLowerCase());
      if (!named) {
        throw new ConnectorError(`The Sent folder "${sentFolder}" named in connectors.imap.sentFolder does not exist in the mailbox ${mailbox}.`);
      }
      return { path: named.path, label };
    }
    const sent = findSent(list);
    if (!sent) {
      throw new ConnectorError(
        `No Sent folder was found in the mailbox ${mailbox}: the server marks none as Sent. Name it in connectors.imap.sentFolder (for example "Sent Items").`,
      );
    }
    return { path: sent.path, label };
  }
  const exact = list.find((f) => f.path === configured) ?? list.find((f) => f.path.toLowerCase() === configured.toLowerCase());
  if (!exact) {
    throw new ConnectorError(`The folder "${configured}" does not exist in the mailbox ${mailbox}; check the folder names under mailboxes.`);
  }
  return { path: exact.path, label };
}

/** RFC 5092 IMAP URL of one message, for reports. */
export function imapMessageUrl(server: ImapServerSettings, mailbox: string, path: string, uidValidity: string, uid: number): string {
  const encodedPath = path.split('/').map(encodeURIComponent).join('/');
  return `imap://${encodeURIComponent(mailbox)}@${server.host}:${server.port}/${encodedPath};UIDVALIDITY=${uidValidity}/;UID=${uid}`;
}
