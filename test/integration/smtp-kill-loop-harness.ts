/**
 * The kill loop shared by the SMTP kill-loop tests: `wardwatch run` (the real CLI in a child
 * process) sending over SMTP to a real Postfix, which delivers into a real Dovecot, through a
 * deliberately slow relay that holds back the server's answer to the end of each message — so
 * that the SIGKILLs, at random points, land mid-send. Afterwards every recipient's INBOX is read
 * over IMAP and each message counted by its X-Wardwatch-Key: none may arrive twice, and none may
 * be lost — each one arrived exactly once, or is held in doubt for the Clerk.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { expect } from 'vitest';
import { effectKey } from '../../src/outbox/idempotency.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { headerOf } from '../connectors/imap/helpers.js';
import { folderSources } from '../connectors/imap/helpers.js';
import { A } from '../support/council.js';
import type { MailStack } from '../support/servers.js';
import { CLI, capacityMail, dropMail, makeCouncil, waitFor, type TestCouncil } from '../service/helpers.js';

export const D = 'millbrook-tc.gov.uk';
export const PASSWORD = 'Service-Pa55';
/** Everyone at the council has a mailbox (the nudges go to members, the digest to the Clerk). */
export const users = [...new Set(Object.values(A).filter((address) => address.endsWith(`@${D}`)))].map((address) => ({ address, password: PASSWORD }));
/** How long the relay holds back the server's answer to the end of a message. */
export const ANSWER_DELAY_MS = 700;
export const MESSAGES = 14;
export const KILLS = 9;

/** A TCP relay in front of Postfix that delays the "250 … queued as" answer to each message. */
export async function startSlowRelay(target: number): Promise<{ port: number; held: () => number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  let held = 0;
  const server: Server = createServer((client) => {
    const upstream = connect(target, '127.0.0.1');
    sockets.add(client);
    sockets.add(upstream);
    client.on('data', (chunk) => upstream.write(chunk));
    let answers = Promise.resolve();
    upstream.on('data', (chunk) => {
      const queued = /^250 [^\r\n]*queued as/m.test(chunk.toString('latin1'));
      answers = answers.then(async () => {
        if (queued) {
          held += 1;
          await new Promise((r) => setTimeout(r, ANSWER_DELAY_MS));
        }
        if (!client.destroyed) client.write(chunk);
      });
    });
    const end = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('The relay has no port.');
  return {
    port: address.port,
    held: () => held,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** The children started, so that `afterAll` can kill any left running. */
export const children: ChildProcess[] = [];

export function killChildren(): void {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

function startCli(configFile: string): { child: ChildProcess; exited: Promise<NodeJS.Signals | number | null>; output: () => string } {
  const child = spawn(process.execPath, [CLI, 'run', '--config', configFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, WARDWATCH_LOG_LEVEL: 'info', WW_KILL_LOOP_PASSWORD: PASSWORD },
  });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
  return { child, exited, output: () => output };
}

function randomFrom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** How many of `keys` pass an asynchronous test. */
async function countAsync(keys: readonly string[], test: (key: string) => Promise<boolean>): Promise<number> {
  let n = 0;
  for (const key of keys) if (await test(key)) n += 1;
  return n;
}

async function withStore<T>(path: string, read: (store: SqliteStore) => Promise<T>): Promise<T> {
  const store = new SqliteStore(path);
  try {
    return await read(store);
  } finally {
    await store.close();
  }
}

/** Deliveries per X-Wardwatch-Key over every INBOX of the stack. */
async function deliveries(stack: MailStack): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const user of users) {
    for (const source of await folderSources(stack.ports.imap, user, 'INBOX')) {
      const key = headerOf(source, 'X-Wardwatch-Key');
      if (key !== '') counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return counts;
}

export interface KillLoopOptions {
  /**
   * `smtp`: plain SMTP (`sender.kind: smtp`); `imap`: SMTP with the service mailbox's Sent
   * folder over IMAP (`sender.kind: connector`), with `smtp` added to the connector's SMTP settings.
   */
  kind: 'smtp' | 'imap';
  /** Marks this run's Message-IDs, so that two runs' keys never meet in the mailboxes. */
  tag: string;
  /** More of the IMAP connector's SMTP settings (`saveToSent`, `sentCopyWaitSeconds`). */
  smtp?: Record<string, unknown>;
  /** The council's `delivery` setting (absent: the default). */
  delivery?: 'at-most-once' | 'at-least-once';
}

export interface KillLoopResult {
  /** Nudges carried out (each arrived exactly once). */
  delivered: number;
  /** Keys held in doubt (nudges, and `digest;DATE` for a digest). */
  inDoubt: string[];
  /** Nudges caught mid-send that a restart recognised as sent (never sent again). */
  recognised: number;
  /** Answers the relay held back (each a message the server had taken). */
  held: number;
  context: string;
}

/**
 * Drop MESSAGES capacity mails (one nudge each), run `wardwatch run` and SIGKILL it KILLS times,
 * run it once more until everything has settled, then count what arrived. Asserts that nothing
 * arrived twice and nothing was lost: every nudge arrived exactly once (done) or is held in doubt,
 * having arrived at most once — a message in doubt is never sent again. Likewise the digest.
 */
export async function killLoop(stack: MailStack, options: KillLoopOptions): Promise<KillLoopResult> {
  const { kind, tag } = options;
  const relay = await startSlowRelay(stack.ports.smtp);
  // The digest's key is its date, the same in every run here: count only this run's copies.
  const baseline = await deliveries(stack);
  const sender =
    kind === 'smtp'
      ? { kind: 'smtp', host: '127.0.0.1', port: relay.port, user: A.service, password: '${WW_KILL_LOOP_PASSWORD}', plainLocal: true }
      : { kind: 'connector', connector: 'imap' };
  const council: TestCouncil = makeCouncil({
    sender,
    // A digest due every minute, so that one is always due for today (a first start never sends
    // one for an earlier day) and the kills can catch it mid-send too, whatever the hour of the run.
    digest: { cron: '* * * * *' },
    ...(options.delivery !== undefined ? { delivery: options.delivery } : {}),
    ...(kind === 'imap'
      ? {
          connectors: {
            folder: { dir: './source' },
            imap: {
              host: '127.0.0.1',
              port: stack.ports.imap,
              secure: false,
              password: '${WW_KILL_LOOP_PASSWORD}',
              smtp: { host: '127.0.0.1', port: relay.port, password: '${WW_KILL_LOOP_PASSWORD}', plainLocal: true, ...options.smtp },
            },
          },
        }
      : {}),
  });
  try {
    const expected: string[] = [];
    for (let i = 0; i < MESSAGES; i++) {
      const m = capacityMail(i);
      const content = m.content.replace(m.messageId, m.messageId.replace('@', `-${tag}@`));
      const itemKey = m.messageId.replace('@', `-${tag}@`);
      dropMail(council, m.member, 'sent', `capacity-${i}.eml`, content);
      expected.push(effectKey({ rule: 'state-capacity', itemKey, recipient: m.member, kind: 'nudge' }));
    }
    const seed = Date.now() % 1_000_000;
    const random = randomFrom(seed);
    const context = `${tag}, seed ${seed}`;
    for (let round = 0; round < KILLS; round++) {
      const run = startCli(council.configFile);
      if (round % 2 === 0) {
        // While Postfix's answer to a message is held back: the message is the server's, the sender does not know.
        const before = relay.held();
        await waitFor('a message in flight', () => relay.held() > before || run.child.exitCode !== null, 15_000, 5).catch(() => undefined);
        await new Promise((r) => setTimeout(r, Math.floor(random() * (ANSWER_DELAY_MS - 100))));
      } else {
        await new Promise((r) => setTimeout(r, 600 + Math.floor(random() * 1800)));
      }
      run.child.kill('SIGKILL');
      expect(await run.exited, `${context}: ${run.output().slice(-1500)}`).toBe('SIGKILL');
    }
    const last = startCli(council.configFile);
    await waitFor('the service to start', () => last.output().includes('listening for /healthz'), 30_000);
    const settled = (): Promise<boolean> =>
      withStore(council.storePath, async (store) => {
        const nudges = await store.listEffects({ kinds: ['nudge'] });
        const digestSettled = await store.lastDigest() !== undefined || (await store.listDigestsInDoubt()).length > 0;
        return digestSettled && nudges.length === expected.length && nudges.every((e) => e.state === 'done' || e.state === 'in-doubt');
      });
    await waitFor('every nudge carried out or held in doubt', settled, 60_000, 250);
    last.child.kill('SIGTERM');
    expect(await last.exited, last.output().slice(-2000)).toBe(0);

    const states = await withStore(council.storePath, async (store) => ({
      byKey: new Map((await store.listEffects({ kinds: ['nudge'] })).map((e) => [e.key, e.state])),
      digestKeys: [...(await store.listDigestsInDoubt()).map((d) => `digest;${d.date}`)],
      recognised: await countAsync(expected, async (key) => (await store.listAudit({ effectKey: key })).some((a) => a.outcome.startsWith('Recognised as already sent after restart'))),
    }));
    // Postfix delivers a moment after it answers: wait until every message marked done has arrived.
    const done = expected.filter((k) => states.byKey.get(k) === 'done');
    await waitFor(
      'the messages sent to arrive',
      async () => {
        const arrived = await deliveries(stack);
        return done.every((k) => arrived.has(k));
      },
      20_000,
      250,
    );
    await new Promise((r) => setTimeout(r, 1000));
    const counts = await deliveries(stack);

    const twice = [...counts].filter(([k, n]) => k.includes(`-${tag}@`) && n > 1);
    expect(twice, context).toEqual([]);
    for (const key of expected) {
      const state = states.byKey.get(key);
      const n = counts.get(key) ?? 0;
      if (state === 'done') expect(n, `${context}: ${key} done`).toBe(1);
      else expect(state, `${context}: ${key} delivered ${n} times`).toBe('in-doubt');
    }
    // The digest: once, or held in doubt.
    const digestDeliveries = [...counts].filter(([k]) => k.startsWith('digest;')).map(([k, n]) => [k, n - (baseline.get(k) ?? 0)] as const);
    expect(digestDeliveries.filter(([, n]) => n > 1), context).toEqual([]);
    if (states.digestKeys.length === 0) expect(digestDeliveries.filter(([, n]) => n === 1), context).toHaveLength(1);
    const inDoubt = expected.filter((k) => states.byKey.get(k) === 'in-doubt');
    process.stdout.write(
      `${context}: ${done.length} delivered exactly once (${states.recognised} recognised as sent after a kill), ${inDoubt.length + states.digestKeys.length} held in doubt, none twice\n`,
    );
    return { delivered: done.length, inDoubt: [...inDoubt, ...states.digestKeys], recognised: states.recognised, held: relay.held(), context };
  } finally {
    await relay.close();
    council.remove();
  }
}
