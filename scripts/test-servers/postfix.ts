/**
 * A second, self-contained Postfix instance: one SMTP listener on 127.0.0.1 with SASL AUTH
 * through Dovecot, delivering the council's domain to Dovecot's LMTP and refusing everything
 * else (nothing leaves the machine). Logs go to a file because there is no syslog.
 */
import { chmodSync, chownSync, mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { adoptGroup, spawnDaemon, stopDaemon, type Daemon } from './daemon.js';
import { waitForGreeting } from './wait.js';
import type { Certificate } from './tls.js';

export const POSTFIX_BINARY = '/usr/sbin/postfix';

export interface PostfixOptions {
  root: string;
  domain: string;
  smtpPort: number;
  lmtpPort: number;
  /** Dovecot's auth socket for SMTP AUTH. */
  authSocket: string;
  /** Offer STARTTLS with this certificate. */
  certificate?: Certificate;
  /**
   * Mailboxes whose submitted mail the server files a copy of in their own Sent folder, as
   * Microsoft 365 and Gmail do: each message from one of them is copied to `local+Sent@domain`,
   * which Dovecot saves in that mailbox's Sent folder.
   */
  sentCopies?: string[];
}

export interface PostfixPaths {
  dir: string;
  config: string;
  queue: string;
  log: string;
  output: string;
}

export function postfixPaths(root: string): PostfixPaths {
  const dir = join(root, 'postfix');
  return {
    dir,
    config: join(dir, 'conf'),
    queue: join(dir, 'queue'),
    log: join(dir, 'maillog'),
    output: join(dir, 'output.log'),
  };
}

const SERVICES = [
  'pickup    unix  n - n 60    1 pickup',
  'cleanup   unix  n - n -     0 cleanup',
  'qmgr      unix  n - n 300   1 qmgr',
  'tlsmgr    unix  - - n 1000? 1 tlsmgr',
  'rewrite   unix  - - n -     - trivial-rewrite',
  'bounce    unix  - - n -     0 bounce',
  'defer     unix  - - n -     0 bounce',
  'trace     unix  - - n -     0 bounce',
  'verify    unix  - - n -     1 verify',
  'flush     unix  n - n 1000? 0 flush',
  'proxymap  unix  - - n -     - proxymap',
  'proxywrite unix - - n -     1 proxymap',
  'smtp      unix  - - n -     - smtp',
  'relay     unix  - - n -     - smtp',
  'showq     unix  n - n -     - showq',
  'error     unix  - - n -     - error',
  'retry     unix  - - n -     - error',
  'discard   unix  - - n -     - discard',
  'lmtp      unix  - - n -     - lmtp',
  'anvil     unix  - - n -     1 anvil',
  'scache    unix  - - n -     1 scache',
  'postlog   unix-dgram n - n - 1 postlogd',
];

/** A numeric id from /etc/passwd or /etc/group (field 3 of the line for `name`). */
function systemId(file: '/etc/passwd' | '/etc/group', name: string): number {
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const fields = line.split(':');
    if (fields[0] === name && fields[2] !== undefined) return Number(fields[2]);
  }
  throw new Error(`${file} has no entry for ${name}; is Postfix installed? (apt-get install -y postfix)`);
}

/**
 * The queue directories with the owners and modes of Postfix's postfix-files, made here
 * because `postfix check` takes seconds.
 */
function createQueueDirectories(queue: string, data: string): void {
  const owner = systemId('/etc/passwd', 'postfix');
  const ownerGroup = systemId('/etc/group', 'postfix');
  const postdrop = systemId('/etc/group', 'postdrop');
  const dirs: [string, number, number, number][] = [
    ['active', owner, 0, 0o700],
    ['bounce', owner, 0, 0o700],
    ['corrupt', owner, 0, 0o700],
    ['defer', owner, 0, 0o700],
    ['deferred', owner, 0, 0o700],
    ['flush', owner, 0, 0o700],
    ['hold', owner, 0, 0o700],
    ['incoming', owner, 0, 0o700],
    ['private', owner, 0, 0o700],
    ['maildrop', owner, postdrop, 0o730],
    ['public', owner, postdrop, 0o710],
    ['pid', 0, 0, 0o755],
    ['saved', owner, 0, 0o700],
    ['trace', owner, 0, 0o700],
  ];
  mkdirSync(queue, { recursive: true });
  chmodSync(queue, 0o755);
  for (const [name, uid, gid, mode] of dirs) {
    const dir = join(queue, name);
    mkdirSync(dir, { recursive: true });
    chownSync(dir, uid, gid);
    chmodSync(dir, mode);
  }
  mkdirSync(data, { recursive: true });
  chownSync(data, owner, ownerGroup);
  chmodSync(data, 0o700);
}

/** Postfix copies each message from these senders to their `+Sent` address (see `sentCopies`). */
function sentCopyLines(senders: readonly string[]): string[] {
  if (senders.length === 0) return [];
  const map = senders
    .map((address) => {
      const at = address.lastIndexOf('@');
      return `${address.toLowerCase()}=${address.slice(0, at).toLowerCase()}+Sent${address.slice(at).toLowerCase()}`;
    })
    .join(', ');
  return ['recipient_delimiter = +', `sender_bcc_maps = inline:{ ${map} }`];
}

export function writePostfixConfig(opts: PostfixOptions): PostfixPaths {
  const p = postfixPaths(opts.root);
  const data = join(p.dir, 'data');
  mkdirSync(p.config, { recursive: true });
  createQueueDirectories(p.queue, data);
  const refuse = 'error:the test mail stack delivers nothing outside its own domain';
  const tls = opts.certificate
    ? [
        'smtpd_tls_security_level = may',
        `smtpd_tls_cert_file = ${opts.certificate.certFile}`,
        `smtpd_tls_key_file = ${opts.certificate.keyFile}`,
        'smtpd_tls_received_header = yes',
      ]
    : ['smtpd_tls_security_level = none'];
  const main = [
    '# Written by scripts/test-servers for one test stack; not for production.',
    'compatibility_level = 3.6',
    `queue_directory = ${p.queue}`,
    `data_directory = ${data}`,
    'command_directory = /usr/sbin',
    'daemon_directory = /usr/lib/postfix/sbin',
    'shlib_directory = /usr/lib/postfix',
    'meta_directory = /etc/postfix',
    'mail_owner = postfix',
    'setgid_group = postdrop',
    `maillog_file = ${p.log}`,
    `maillog_file_prefixes = ${opts.root}`,
    `myhostname = mail.${opts.domain}`,
    `mydomain = ${opts.domain}`,
    'myorigin = $mydomain',
    'mydestination =',
    'local_recipient_maps =',
    'alias_maps =',
    'alias_database =',
    'inet_interfaces = 127.0.0.1',
    'inet_protocols = ipv4',
    'mynetworks = 127.0.0.0/8',
    `virtual_mailbox_domains = ${opts.domain}`,
    `virtual_transport = lmtp:inet:127.0.0.1:${opts.lmtpPort}`,
    `default_transport = ${refuse}`,
    `relay_transport = ${refuse}`,
    'smtp_tls_security_level = none',
    ...tls,
    'smtpd_sasl_auth_enable = yes',
    'smtpd_sasl_type = dovecot',
    `smtpd_sasl_path = ${opts.authSocket}`,
    'smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination',
    'smtpd_recipient_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination',
    // Mail deferred while Dovecot is down is retried within a second or two of its return.
    'queue_run_delay = 1s',
    'minimal_backoff_time = 1s',
    'maximal_backoff_time = 2s',
    'biff = no',
    'smtputf8_enable = no',
    ...sentCopyLines(opts.sentCopies ?? []),
    '',
  ].join('\n');
  writeFileSync(join(p.config, 'main.cf'), main, { mode: 0o644 });
  const master = [`127.0.0.1:${opts.smtpPort} inet n - n - - smtpd`, ...SERVICES, ''].join('\n');
  writeFileSync(join(p.config, 'master.cf'), master, { mode: 0o644 });
  return p;
}

export class PostfixServer {
  private daemon: Daemon | undefined;

  constructor(
    readonly paths: PostfixPaths,
    readonly smtpPort: number,
  ) {}

  private masterPid(): number | undefined {
    const file = join(this.paths.queue, 'pid', 'master.pid');
    if (!existsSync(file)) return undefined;
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  }

  async start(): Promise<void> {
    if (this.daemon && !this.daemon.hasExited()) return;
    // Skips postfix-script's slow integrity checks; the directories were made to its rules.
    writeFileSync(join(this.paths.queue, 'quick-start'), '');
    this.daemon = spawnDaemon({
      name: 'Postfix',
      command: POSTFIX_BINARY,
      args: ['-c', this.paths.config, 'start-fg'],
      outputFile: this.paths.output,
    });
    try {
      await waitForGreeting({ daemon: this.daemon, logs: [this.paths.output, this.paths.log] }, this.smtpPort, '220');
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err);
      throw new Error(`${detail}\n(To see Postfix's own complaint: script -qc "postfix -c ${this.paths.config} check" /dev/null)`);
    }
    // The master process starts its own session (setsid): its group is killed with the daemon.
    const master = this.masterPid();
    if (master !== undefined) adoptGroup(this.daemon, master);
  }

  async stop(): Promise<void> {
    if (!this.daemon) return;
    const master = this.masterPid();
    await stopDaemon(this.daemon, master !== undefined ? { stopPid: master } : {});
    this.daemon = undefined;
  }
}
