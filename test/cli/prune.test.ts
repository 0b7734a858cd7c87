import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runPrune } from '../../src/cli/prune.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import { makeCouncil, REPO_ROOT, type TestCouncil } from '../service/helpers.js';

let council: TestCouncil | undefined;
afterEach(() => {
  council?.remove();
  council = undefined;
});

function recorder(): { out: (t: string) => void; err: (t: string) => void; stdout: string; stderr: string } {
  const rec = { stdout: '', stderr: '', out: (t: string) => void (rec.stdout += t), err: (t: string) => void (rec.stderr += t) };
  return rec;
}

/** A state file with one message seen on 1 March 2026 and nothing else. */
async function seededCouncil(overrides: Record<string, unknown> = {}): Promise<TestCouncil> {
  const c = makeCouncil(overrides);
  const store = openSqliteStore(c.storePath);
  await store.markSeen('<allotments-7@millbrook-tc.gov.uk>', 'h1', '2026-03-01T09:00:00.000Z');
  await store.close();
  return c;
}

async function seen(c: TestCouncil): Promise<string> {
  const store = openSqliteStore(c.storePath);
  try {
    return await store.checkSeen('<allotments-7@millbrook-tc.gov.uk>', 'h1');
  } finally {
    await store.close();
  }
}

describe('wardwatch prune', () => {
  it('counts in a dry run, then prunes by the configured periods', async () => {
    council = await seededCouncil();
    const dry = recorder();
    expect(await runPrune({ config: council.configFile, dryRun: true, now: '2026-07-01T00:00:00Z' }, dry)).toBe(0);
    expect(dry.stdout).toBe('Would prune (dry run, nothing removed):\n  seen items: 1\n');
    const store = openSqliteStore(council.storePath);
    expect(await store.listFindings()).toEqual([]);
    await store.close();

    const real = recorder();
    expect(await runPrune({ config: council.configFile, now: '2026-07-01T00:00:00Z' }, real)).toBe(0);
    expect(real.stdout).toBe('Pruned:\n  seen items: 1\n');
    // Forgotten, but remembered as judged: the same content is not judged again.
    expect(await seen(council)).toBe('unchanged');
    const again = recorder();
    expect(await runPrune({ config: council.configFile, now: '2026-07-01T00:00:00Z' }, again)).toBe(0);
    expect(again.stdout).toBe('Nothing is older than its retention period: nothing to prune.\n');
  });

  it('keeps what is within a longer period set in the configuration', async () => {
    council = await seededCouncil({ retention: { items: '1y' } });
    const rec = recorder();
    expect(await runPrune({ config: council.configFile, now: '2026-07-01T00:00:00Z' }, rec)).toBe(0);
    expect(rec.stdout).toBe('Nothing is older than its retention period: nothing to prune.\n');
  });

  it('says what is wrong with a period it cannot read, and with --now', async () => {
    council = await seededCouncil({ retention: { items: '3 months' } });
    const rec = recorder();
    expect(await runPrune({ config: council.configFile }, rec)).toBe(2);
    expect(rec.stderr).toMatch(/retention\.items/);
    expect(rec.stderr).toMatch(/30d \(days\), 12w \(weeks\) or 2y \(years\)/);
    const bad = recorder();
    expect(await runPrune({ config: council.configFile, now: 'yesterday' }, bad)).toBe(2);
    expect(bad.stderr).toMatch(/--now: expected an ISO 8601 instant/);
  });

  it('is a command of the wardwatch program', async () => {
    council = await seededCouncil();
    const out = execFileSync(process.execPath, [path.join(REPO_ROOT, 'bin/wardwatch.js'), 'prune', '--config', council.configFile, '--dry-run', '--now', '2026-07-01T00:00:00Z'], {
      encoding: 'utf8',
    });
    expect(out).toContain('seen items: 1');
  });
});
