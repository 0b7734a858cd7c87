/**
 * The service as it really runs: `node dist/src/cli.js run` in a child process (npm test builds
 * dist/ first). It is killed with SIGKILL at random points while it works through 300 findings,
 * started again each time, and in the end every effect must have happened exactly once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { effectKey } from '../../src/outbox/idempotency.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { CLI, capacityMail, dropMail, makeCouncil, readOutbox, waitFor, type TestCouncil } from './helpers.js';

let council: TestCouncil | undefined;
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  council?.remove();
  council = undefined;
});

interface Run {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output: () => string;
}

function startCli(configFile: string): Run {
  const child = spawn(process.execPath, [CLI, 'run', '--config', configFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, WARDWATCH_LOG_LEVEL: 'info' },
  });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
  return { child, exited, output: () => output };
}

/** A small deterministic generator, so a failing run can be replayed from its seed. */
function randomFrom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function dropViolations(c: TestCouncil, count: number): string[] {
  const keys: string[] = [];
  for (let i = 0; i < count; i++) {
    const m = capacityMail(i);
    dropMail(c, m.member, 'sent', `capacity-${String(i).padStart(4, '0')}.eml`, m.content);
    keys.push(effectKey({ rule: 'state-capacity', itemKey: m.messageId, recipient: m.member, kind: 'nudge' }));
  }
  return keys;
}

async function withStore<T>(path: string, read: (store: SqliteStore) => Promise<T>): Promise<T> {
  const store = new SqliteStore(path);
  try {
    return await read(store);
  } finally {
    await store.close();
  }
}

describe('wardwatch run, killed and restarted', () => {
  it('carries out every effect exactly once however often it is killed (SIGKILL at random points)', async () => {
    council = makeCouncil();
    const c = council;
    const expected = dropViolations(c, 300);
    const seed = Date.now() % 1_000_000;
    const random = randomFrom(seed);
    const context = `seed ${seed}`;

    for (let round = 0; round < 6; round++) {
      const run = startCli(c.configFile);
      // From "still starting up" to "well into the work".
      const delay = 150 + Math.floor(random() * 2500);
      await new Promise((r) => setTimeout(r, delay));
      run.child.kill('SIGKILL');
      const exit = await run.exited;
      expect(exit.signal ?? `exited ${String(exit.code)}: ${run.output().slice(-2000)}`, context).toBe('SIGKILL');
    }

    const last = startCli(c.configFile);
    // (Until it listens, the process has not yet taken over SIGTERM from Node's default.)
    await waitFor('the service to start', () => last.output().includes('listening for /healthz'), 30_000);
    await waitFor(
      'every nudge to be carried out',
      async () => await withStore(c.storePath, async (store) => (await store.listEffects({ kinds: ['nudge'], states: ['done'] })).length === expected.length),
      120_000,
      250,
    );
    last.child.kill('SIGTERM');
    expect((await last.exited).code, last.output().slice(-2000)).toBe(0);

    // The outbox: each expected key exactly once, none missing, nothing else twice.
    const messages = await readOutbox(c.outboxDir);
    const counts = new Map<string, number>();
    for (const m of messages) counts.set(m.key, (counts.get(m.key) ?? 0) + 1);
    const missing = expected.filter((k) => !counts.has(k));
    const repeated = [...counts].filter(([, n]) => n > 1);
    expect(missing, context).toEqual([]);
    expect(repeated, context).toEqual([]);
    expect(messages.filter((m) => m.key.startsWith('ww1;state-capacity;')), context).toHaveLength(expected.length);

    // The store: every effect done, each reached `done` exactly once, nothing left half-way.
    await withStore(c.storePath, async (store) => {
      const effects = await store.listEffects({ kinds: ['nudge'] });
      expect(effects.map((e) => e.key).sort(), context).toEqual([...expected].sort());
      expect(effects.filter((e) => e.state !== 'done'), context).toEqual([]);
      expect(await store.listEffects({ states: ['sending', 'failed'] }), context).toEqual([]);
      const doneTransitions = new Map<string, number>();
      for (const entry of await store.listAudit()) {
        if (entry.toState === 'done' && entry.fromState !== 'done') doneTransitions.set(entry.effectKey, (doneTransitions.get(entry.effectKey) ?? 0) + 1);
      }
      expect(expected.filter((k) => doneTransitions.get(k) !== 1), context).toEqual([]);
    });
  }, 240_000);

  it('stops cleanly on SIGTERM in the middle of its work: exit 0, nothing left in sending', async () => {
    council = makeCouncil();
    const c = council;
    const expected = dropViolations(c, 200);
    const run = startCli(c.configFile);
    await waitFor('the service to start', () => run.output().includes('listening for /healthz'), 30_000);
    await waitFor(
      'some effects to be done',
      async () => await withStore(c.storePath, async (store) => (await store.listEffects({ kinds: ['nudge'], states: ['done'] })).length >= 5),
      60_000,
      100,
    );
    run.child.kill('SIGTERM');
    const exit = await run.exited;
    expect(exit.code, run.output().slice(-2000)).toBe(0);
    expect(run.output()).toContain('Wardwatch has stopped');
    await withStore(c.storePath, async (store) => {
      expect(await store.listEffects({ states: ['sending'] })).toEqual([]);
      const done = await store.listEffects({ kinds: ['nudge'], states: ['done'] });
      expect(done.length).toBeGreaterThanOrEqual(5);
      expect(done.length).toBeLessThanOrEqual(expected.length);
    });
  }, 120_000);
});
