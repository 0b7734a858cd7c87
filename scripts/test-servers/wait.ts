/**
 * Waiting until a freshly started server answers: a TCP greeting (IMAP, LMTP, SMTP) or an
 * HTTP response (CalDAV). Each wait gives up when the program exits or the deadline passes,
 * with a message naming the server and quoting its log.
 */
import { connect } from 'node:net';
import type { Daemon } from './daemon.js';
import { tail } from './daemon.js';

/** Connects once and resolves with the first line the server sends (or rejects). */
export function readGreeting(port: number, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let buffer = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no greeting on port ${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      const end = buffer.indexOf('\n');
      if (end >= 0) {
        clearTimeout(timer);
        socket.destroy();
        resolve(buffer.slice(0, end).trim());
      }
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    });
    socket.on('end', () => {
      clearTimeout(timer);
      reject(new Error(`port ${port} closed without a greeting`));
    });
  });
}

async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

export interface WaitTarget {
  daemon: Daemon;
  /** Log files quoted when the server does not come up. */
  logs: string[];
  timeoutMs?: number;
}

async function waitUntil(target: WaitTarget, what: string, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + (target.timeoutMs ?? 15_000);
  let last = '';
  while (Date.now() < deadline) {
    if (target.daemon.hasExited()) {
      const status = await target.daemon.exited;
      throw new Error(`${target.daemon.name} stopped while starting (${status}).\n${target.logs.map((l) => tail(l)).join('\n')}`);
    }
    try {
      if (await probe()) return;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await sleep(50);
  }
  throw new Error(`${target.daemon.name} did not answer ${what} in time (${last}).\n${target.logs.map((l) => tail(l)).join('\n')}`);
}

/** Waits for a greeting line starting with `prefix` (e.g. `* OK`, `220`). */
export async function waitForGreeting(target: WaitTarget, port: number, prefix: string): Promise<void> {
  await waitUntil(target, `on port ${port}`, async () => (await readGreeting(port)).startsWith(prefix));
}

/** Waits for any HTTP response from `url`. */
export async function waitForHttp(target: WaitTarget, url: string): Promise<void> {
  await waitUntil(target, `at ${url}`, async () => {
    const res = await fetch(url, { redirect: 'manual' });
    await res.arrayBuffer();
    return res.status > 0;
  });
}
