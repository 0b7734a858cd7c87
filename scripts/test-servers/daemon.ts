/**
 * Starts one server program in its own process group, with its output captured to a file,
 * and stops it again: SIGTERM first, then SIGKILL to the whole group for anything left over.
 * Every group still running when the Node process exits is killed, so a crashed test run
 * leaves no daemons behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync, readdirSync, existsSync } from 'node:fs';

export interface Daemon {
  readonly name: string;
  readonly pid: number;
  /** Resolves when the process has exited (with its exit code or signal). */
  readonly exited: Promise<string>;
  /** True once the process has exited. */
  hasExited(): boolean;
}

interface LiveDaemon extends Daemon {
  child: ChildProcess;
  /** Further process groups the program created itself (Postfix's master calls setsid). */
  extraGroups: Set<number>;
}

const live = new Set<LiveDaemon>();
let exitHookInstalled = false;

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // The group is already gone.
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const d of live) {
      for (const g of d.extraGroups) killGroup(g, 'SIGKILL');
      killGroup(d.pid, 'SIGKILL');
    }
  });
}

export interface SpawnOptions {
  name: string;
  command: string;
  args: string[];
  /** File receiving the program's stdout and stderr. */
  outputFile: string;
  env?: NodeJS.ProcessEnv;
}

export function spawnDaemon(opts: SpawnOptions): Daemon {
  installExitHook();
  const fd = openSync(opts.outputFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(opts.command, opts.args, {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: opts.env ?? process.env,
    });
  } finally {
    closeSync(fd);
  }
  const pid = child.pid;
  if (pid === undefined) {
    throw new Error(`${opts.name} could not be started (${opts.command}).`);
  }
  let done = false;
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => {
      done = true;
      resolve(signal ? `signal ${signal}` : `exit code ${String(code)}`);
    });
    child.once('error', (err) => {
      done = true;
      resolve(`failed to start: ${err.message}`);
    });
  });
  const daemon: LiveDaemon = {
    name: opts.name,
    pid,
    exited,
    hasExited: () => done,
    child,
    extraGroups: new Set(),
  };
  live.add(daemon);
  void exited.then(() => {
    // Keep the entry while extra groups may still hold processes; they are cleared on stop.
    if (daemon.extraGroups.size === 0) live.delete(daemon);
  });
  return daemon;
}

/** Remember another process group that belongs to this daemon (killed with it). */
export function adoptGroup(daemon: Daemon, pgid: number): void {
  for (const d of live) {
    if (d === daemon) d.extraGroups.add(pgid);
  }
}

/**
 * True while a process of the group is still running. Zombies do not count: orphans are
 * re-parented to an init that may never reap them, and they hold nothing.
 */
function groupAlive(pgid: number): boolean {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return false;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // "pid (comm) state ppid pgrp ..." where comm may itself contain spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const state = fields[0];
    const pgrp = Number(fields[2]);
    if (pgrp === pgid && state !== 'Z' && state !== 'X') return true;
  }
  return false;
}

async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

/**
 * Stops the daemon: SIGTERM to its process group (or to `stopPid` when the real server is a
 * different process, as with Postfix's master), waits up to `graceMs`, then SIGKILLs whatever
 * is left in its groups.
 */
export async function stopDaemon(daemon: Daemon, opts: { graceMs?: number; stopPid?: number } = {}): Promise<void> {
  const grace = opts.graceMs ?? 5000;
  let groups: number[] = [daemon.pid];
  for (const d of live) {
    if (d === daemon) groups = [daemon.pid, ...d.extraGroups];
  }
  if (opts.stopPid !== undefined) {
    try {
      process.kill(opts.stopPid, 'SIGTERM');
    } catch {
      // Already gone.
    }
  } else {
    // The whole group at once: the children need not wait for their parent to tell them.
    killGroup(daemon.pid, 'SIGTERM');
  }
  const deadline = Date.now() + grace;
  while (!daemon.hasExited() && Date.now() < deadline) {
    await sleep(25);
  }
  // Give the children a moment to follow their parent out, then make sure.
  const childDeadline = Date.now() + 1000;
  while (groups.some(groupAlive) && Date.now() < childDeadline) {
    await sleep(25);
  }
  for (const g of groups) killGroup(g, 'SIGKILL');
  if (!daemon.hasExited()) {
    await Promise.race([daemon.exited, sleep(2000)]);
  }
  for (const d of live) {
    if (d === daemon) live.delete(d);
  }
}

/** The last `lines` lines of a log file, for error messages. */
export function tail(file: string, lines = 20): string {
  if (!existsSync(file)) return '';
  const text = readFileSync(file, 'utf8');
  return text.split('\n').slice(-lines - 1).join('\n').trim();
}
