/** `wardwatch outbox release|drop`: the Clerk's decision about messages held in doubt after a crash. */
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { Command } from 'commander';
import { outboxCommand, register } from '../../src/cli/outbox-doubt.js';
import { Outbox } from '../../src/outbox/outbox.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { A } from '../support/council.js';
import { action, finding, planning } from '../outbox/fixtures.js';
import { CLI, makeCouncil, type TestCouncil } from '../service/helpers.js';

let council: TestCouncil | undefined;
afterEach(() => {
  council?.remove();
  council = undefined;
});

function cli(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [CLI, 'outbox', ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Two nudges caught mid-send by a crash, held in doubt. */
async function twoInDoubt(c: TestCouncil): Promise<string[]> {
  const store = new SqliteStore(c.storePath);
  try {
    const outbox = new Outbox(store, { planning });
    await outbox.record({ key: '<m1@x>', contentHash: 'h' }, [finding({ itemKey: '<m1@x>', actions: [action('nudge', [A.tom]), action('notify', [A.alice])] })]);
    await store.claimDue(new Date(Date.now() + 86_400_000).toISOString(), 10);
    await new Outbox(store, { planning, sender: {} }).recoverInFlight();
    return (await store.listEffects({ states: ['in-doubt'] })).map((e) => e.key);
  } finally {
    await store.close();
  }
}

async function stateOf(c: TestCouncil, key: string): Promise<string | undefined> {
  const store = new SqliteStore(c.storePath);
  try {
    return (await store.getEffect(key))?.state;
  } finally {
    await store.close();
  }
}

describe('wardwatch outbox release|drop', () => {
  it('releases one (to be sent once) and drops another (never sent), saying so; a second decision changes nothing', async () => {
    council = makeCouncil();
    const [first, second] = await twoInDoubt(council);
    const released = cli('release', first ?? '', '--config', council.configFile);
    expect(released.code, released.err).toBe(0);
    expect(released.out).toMatch(/^Released the nudge to tom\.brown@millbrook-tc\.gov\.uk: it will be sent once/);
    expect(await stateOf(council, first ?? '')).toBe('pending');
    const dropped = cli('drop', second ?? '', '--config', council.configFile);
    expect(dropped.code, dropped.err).toBe(0);
    expect(await stateOf(council, second ?? '')).toBe('dropped');
    const again = cli('drop', second ?? '', '--config', council.configFile);
    expect(again.code).toBe(1);
    expect(again.err).toContain('is not held in doubt (it is dropped), so nothing was changed');
  });

  it('releases every message held in doubt with --all-in-doubt, and needs a key or that option', async () => {
    council = makeCouncil();
    const keys = await twoInDoubt(council);
    expect(cli('release', '--config', council.configFile).code).toBe(2);
    const all = cli('release', '--all-in-doubt', '--config', council.configFile);
    expect(all.code, all.err).toBe(0);
    expect(await Promise.all(keys.map((k) => stateOf(council as TestCouncil, k)))).toEqual(['pending', 'pending']);
    expect(cli('release', '--all-in-doubt', '--config', council.configFile).out).toBe('Nothing is held in doubt.\n');
  });

  it('shares the outbox command with other files’ subcommands', () => {
    const program = new Command();
    const other = outboxCommand(program);
    other.command('list');
    register(program);
    expect(program.commands.filter((c) => c.name() === 'outbox')).toHaveLength(1);
    expect(other.commands.map((c) => c.name())).toEqual(['list', 'release', 'drop']);
  });
});
