/**
 * A self-contained Radicale (CalDAV): plain htpasswd users (the same addresses and passwords
 * as the mail users), owner-only rights, storage under the stack's directory. It can be
 * stopped and started again on the same port to test outages.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnDaemon, stopDaemon, type Daemon } from './daemon.js';
import { waitForHttp } from './wait.js';

/** Debian's launcher; the python3 first on PATH may not be the one Radicale is installed for. */
export const RADICALE_BINARY = '/usr/bin/radicale';

export interface RadicaleOptions {
  root: string;
  port: number;
  users: { address: string; password: string }[];
}

export interface RadicalePaths {
  dir: string;
  config: string;
  output: string;
}

export function writeRadicaleConfig(opts: RadicaleOptions): RadicalePaths {
  const dir = join(opts.root, 'radicale');
  const collections = join(dir, 'collections');
  mkdirSync(collections, { recursive: true });
  const users = join(dir, 'users');
  for (const u of opts.users) {
    if (/[:\r\n]/.test(u.address) || /[\r\n]/.test(u.password)) {
      throw new Error(`The test user ${u.address} cannot be written to an htpasswd file.`);
    }
  }
  writeFileSync(users, opts.users.map((u) => `${u.address.toLowerCase()}:${u.password}`).join('\n') + '\n', { mode: 0o600 });
  const config = join(dir, 'config');
  writeFileSync(
    config,
    [
      '# Written by scripts/test-servers for one test stack; not for production.',
      '[server]',
      `hosts = 127.0.0.1:${opts.port}`,
      '[auth]',
      'type = htpasswd',
      `htpasswd_filename = ${users}`,
      'htpasswd_encryption = plain',
      'delay = 0',
      '[rights]',
      'type = owner_only',
      '[storage]',
      `filesystem_folder = ${collections}`,
      '[web]',
      'type = none',
      '[logging]',
      'level = warning',
      'mask_passwords = True',
      '',
    ].join('\n'),
    { mode: 0o644 },
  );
  return { dir, config, output: join(dir, 'output.log') };
}

export class RadicaleServer {
  private daemon: Daemon | undefined;

  constructor(
    readonly paths: RadicalePaths,
    readonly port: number,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}/`;
  }

  async start(): Promise<void> {
    if (this.daemon && !this.daemon.hasExited()) return;
    this.daemon = spawnDaemon({
      name: 'Radicale',
      command: RADICALE_BINARY,
      args: ['--config', this.paths.config],
      outputFile: this.paths.output,
    });
    await waitForHttp({ daemon: this.daemon, logs: [this.paths.output] }, this.url);
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
