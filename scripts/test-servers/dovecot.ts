/**
 * A self-contained Dovecot (IMAP + LMTP) under one directory: passwd-file users, Maildir
 * storage owned by a numeric mail uid, the standard special-use folders, and an auth socket
 * for Postfix's SMTP AUTH.
 */
import { chownSync, mkdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { spawnDaemon, stopDaemon, type Daemon } from './daemon.js';
import { waitForGreeting } from './wait.js';

export const DOVECOT_BINARY = '/usr/sbin/dovecot';
/** Dovecot refuses to deliver as root; this uid/gid needs no passwd entry. */
export const MAIL_UID = 5000;

export interface DovecotOptions {
  root: string;
  users: { address: string; password: string }[];
  imapPort: number;
  lmtpPort: number;
  /** Mail for `local+Folder@domain` is saved in that folder (the server's own Sent copies). */
  detailFolders?: boolean;
}

export interface DovecotPaths {
  dir: string;
  config: string;
  log: string;
  output: string;
  mail: string;
  /** Unix socket Postfix uses for SASL authentication. */
  authSocket: string;
}

export function dovecotPaths(root: string): DovecotPaths {
  const dir = join(root, 'dovecot');
  return {
    dir,
    config: join(dir, 'dovecot.conf'),
    log: join(dir, 'dovecot.log'),
    output: join(dir, 'output.log'),
    mail: join(root, 'mail'),
    authSocket: join(dir, 'auth-postfix'),
  };
}

function passwdLine(user: { address: string; password: string }, mailRoot: string): string {
  if (/[:\r\n]/.test(user.address) || /[:\r\n]/.test(user.password)) {
    throw new Error(`The test user ${user.address} has a ':' or a line break in its address or password; passwd-file cannot hold it.`);
  }
  const address = user.address.toLowerCase();
  return `${address}:{PLAIN}${user.password}:${MAIL_UID}:${MAIL_UID}::${join(mailRoot, address)}::`;
}

export function writeDovecotConfig(opts: DovecotOptions): DovecotPaths {
  const p = dovecotPaths(opts.root);
  mkdirSync(join(p.dir, 'run'), { recursive: true });
  mkdirSync(join(p.dir, 'state'), { recursive: true });
  mkdirSync(p.mail, { recursive: true });
  chownSync(p.mail, MAIL_UID, MAIL_UID);
  const usersFile = join(p.dir, 'users');
  writeFileSync(usersFile, opts.users.map((u) => passwdLine(u, p.mail)).join('\n') + '\n', { mode: 0o644 });
  const conf = `# Written by scripts/test-servers for one test stack; not for production.
instance_name = ww-${basename(opts.root)}
base_dir = ${p.dir}/run
state_dir = ${p.dir}/state
log_path = ${p.log}
listen = 127.0.0.1
protocols = imap lmtp
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
mail_uid = ${MAIL_UID}
mail_gid = ${MAIL_UID}
first_valid_uid = ${MAIL_UID}
mail_location = maildir:~/Maildir
mail_max_userip_connections = 100
shutdown_clients = yes
${opts.detailFolders === true ? 'recipient_delimiter = +\nlmtp_save_to_detail_mailbox = yes\n' : ''}passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%Lu ${usersFile}
}
userdb {
  driver = passwd-file
  args = username_format=%Lu ${usersFile}
}
namespace inbox {
  inbox = yes
  separator = /
  mailbox Sent {
    special_use = \\Sent
    auto = subscribe
  }
  mailbox Drafts {
    special_use = \\Drafts
    auto = subscribe
  }
  mailbox Trash {
    special_use = \\Trash
    auto = subscribe
  }
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${opts.imapPort}
  }
  inet_listener imaps {
    port = 0
  }
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = ${opts.lmtpPort}
  }
}
service auth {
  unix_listener ${p.authSocket} {
    mode = 0666
  }
}
`;
  writeFileSync(p.config, conf, { mode: 0o644 });
  return p;
}

export class DovecotServer {
  private daemon: Daemon | undefined;

  constructor(
    readonly paths: DovecotPaths,
    readonly imapPort: number,
    readonly lmtpPort: number,
  ) {}

  async start(): Promise<void> {
    if (this.daemon && !this.daemon.hasExited()) return;
    // A master.pid left by an earlier run would make Dovecot believe it is still running.
    const pidFile = join(this.paths.dir, 'run', 'master.pid');
    if (existsSync(pidFile)) rmSync(pidFile);
    this.daemon = spawnDaemon({
      name: 'Dovecot',
      command: DOVECOT_BINARY,
      args: ['-F', '-c', this.paths.config],
      outputFile: this.paths.output,
    });
    const target = { daemon: this.daemon, logs: [this.paths.output, this.paths.log] };
    await waitForGreeting(target, this.imapPort, '* OK');
    await waitForGreeting(target, this.lmtpPort, '220');
  }

  async stop(): Promise<void> {
    if (!this.daemon) return;
    await stopDaemon(this.daemon);
    this.daemon = undefined;
  }

  running(): boolean {
    return this.daemon !== undefined && !this.daemon.hasExited();
  }
}
