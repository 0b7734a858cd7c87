/**
 * A lost or emptied state file. `wardwatch run` (the real CLI in a child process) must not read
 * every source as new and send everything again: it refuses to start, exit 2, saying what it
 * found, unless `--fresh-start` is given; a fresh start acts only on what is newer than itself.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { markerPathFor } from '../../src/service/fresh-start.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { CLI, capacityMail, dropMail, makeCouncil, readOutbox, waitFor, type TestCouncil } from './helpers.js';

let council: TestCouncil | undefined;
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  council?.remove();
  council = undefined;
});

function startCli(configFile: string, extra: string[] = []): { child: ChildProcess; exited: Promise<number | null>; output: () => string } {
  const child = spawn(process.execPath, [CLI, 'run', '--config', configFile, ...extra], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, WARDWATCH_LOG_LEVEL: 'info' } });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

async function nudgesDone(storePath: string): Promise<number> {
  const store = new SqliteStore(storePath);
  try {
    return (await store.listEffects({ kinds: ['nudge'], states: ['done'] })).length;
  } finally {
    await store.close();
  }
}

function removeStateFile(storePath: string): void {
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${storePath}${suffix}`, { force: true });
}

describe('a lost state file', () => {
  it('refuses to start and send everything again (exit 2, saying what it found); --fresh-start acts only on what is newer', async () => {
    council = makeCouncil();
    const c = council;
    for (let i = 0; i < 4; i++) {
      const m = capacityMail(i);
      dropMail(c, m.member, 'sent', `capacity-${i}.eml`, m.content);
    }
    const first = startCli(c.configFile);
    await waitFor('the service to start', () => first.output().includes('listening for /healthz'), 30_000);
    await waitFor('four nudges', async () => existsSync(c.storePath) && await nudgesDone(c.storePath) === 4, 30_000, 200);
    first.child.kill('SIGTERM');
    expect(await first.exited, first.output().slice(-2000)).toBe(0);
    const before = await readOutbox(c.outboxDir);
    expect(before.filter((m) => m.key.startsWith('ww1;state-capacity;'))).toHaveLength(4);
    expect(existsSync(markerPathFor(c.storePath))).toBe(true);

    // The state file is lost: starting again must not send the four nudges a second time.
    removeStateFile(c.storePath);
    const refused = startCli(c.configFile);
    expect(await refused.exited, refused.output().slice(-2000)).toBe(2);
    expect(refused.output()).toContain('Wardwatch has not started: its state file');
    expect(refused.output()).toContain(`the outbox folder ${c.outboxDir} holds`);
    expect(refused.output()).toContain('--fresh-start');
    // A refused start leaves an empty file behind; the next start is refused all the same.
    const again = startCli(c.configFile);
    expect(await again.exited, again.output().slice(-2000)).toBe(2);
    // Even with the outbox folder emptied, the marker beside the state file remembers.
    const outboxCopy = await readOutbox(c.outboxDir);
    for (const m of outboxCopy) rmSync(m.file);
    const markerOnly = startCli(c.configFile);
    expect(await markerOnly.exited, markerOnly.output().slice(-2000)).toBe(2);
    expect(markerOnly.output()).toContain(`${markerPathFor(c.storePath)} records that a state file created on`);

    // A fresh start: the four old messages are seen, not acted on; a new one is.
    const fresh = startCli(c.configFile, ['--fresh-start']);
    await waitFor('the fresh start', () => fresh.output().includes('listening for /healthz'), 30_000);
    await waitFor('the old messages to be read', () => (fresh.output().match(/dated before the fresh start/g) ?? []).length === 4, 30_000, 100);
    const m = capacityMail(10);
    dropMail(c, m.member, 'sent', 'capacity-10.eml', m.content);
    await waitFor('the new nudge', async () => await nudgesDone(c.storePath) === 1, 30_000, 200);
    fresh.child.kill('SIGTERM');
    expect(await fresh.exited, fresh.output().slice(-2000)).toBe(0);
    const after = await readOutbox(c.outboxDir);
    expect(after.map((x) => x.key)).toEqual([expect.stringContaining(m.messageId)]);
    // No digest for a day before the fresh start.
    expect(after.filter((x) => x.key.startsWith('digest;'))).toEqual([]);

    // And it starts normally from then on.
    const normal = startCli(c.configFile);
    await waitFor('a normal start', () => normal.output().includes('listening for /healthz'), 30_000);
    normal.child.kill('SIGTERM');
    expect(await normal.exited, normal.output().slice(-2000)).toBe(0);
  }, 120_000);
});
