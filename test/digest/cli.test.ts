import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runDigest } from '../../src/cli/digest.js';
import type { CommandIO } from '../../src/cli/io.js';
import { digestMessageId } from '../../src/digest/send.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { A, councilConfigInput } from '../support/council.js';
import { FakeClock, tempDir, type TempDir } from '../outbox/fixtures.js';
import { BODY_MARKER, items, Pipeline } from './fixtures.js';

const NOW = '2026-11-18T08:00:00.000Z';
const DATE = '2026-11-18';

function recorder(): CommandIO & { stdout: string; stderr: string } {
  const rec = {
    stdout: '',
    stderr: '',
    out(text: string) {
      rec.stdout += text;
    },
    err(text: string) {
      rec.stderr += text;
    },
  };
  return rec;
}

describe('wardwatch digest', () => {
  let dir: TempDir;
  let configFile: string;
  let storePath: string;
  let outboxDir: string;

  const writeConfig = (extra: Record<string, unknown> = {}): void => {
    writeFileSync(
      configFile,
      stringify({ ...councilConfigInput, store: { path: './state/wardwatch.sqlite' }, sender: { kind: 'file', dir: './outbox' }, ...extra }),
      'utf8',
    );
  };

  /** Fill the state file as the running service would. */
  const fillStore = async (): Promise<void> => {
    const store = new SqliteStore(storePath);
    try {
      const pipeline = new Pipeline(store, new FakeClock(new Date('2026-11-17T10:00:00.000Z')));
      await pipeline.evaluate(items.blindCopy());
      await pipeline.evaluate(items.conduct());
      await pipeline.runDue();
    } finally {
      await store.close();
    }
  };

  const eml = (): string[] => (existsSync(outboxDir) ? readdirSync(outboxDir).filter((f) => f.endsWith('.eml')) : []);

  beforeEach(() => {
    dir = tempDir();
    configFile = dir.file('council.yaml');
    storePath = dir.file('state/wardwatch.sqlite');
    outboxDir = dir.file('outbox');
    writeConfig();
  });
  afterEach(() => dir.remove());

  it('previews an empty digest without creating a state file when there is none', async () => {
    const io = recorder();
    expect(await runDigest({ config: configFile, preview: true, now: NOW }, io)).toBe(0);
    expect(io.stdout).toContain(`To: ${A.clerk}\nSubject: Protocol digest for Millbrook Town Council, Wednesday 18 November 2026`);
    expect(io.stdout).toContain('Nothing to report: no rule found anything.');
    expect(io.stderr).toContain('There is no state file yet');
    expect(existsSync(storePath)).toBe(false);
  });

  it('previews the digest from the state file, saves the HTML part on request, and sends and records nothing', async () => {
    await fillStore();
    const io = recorder();
    const html = dir.file('digest.html');
    expect(await runDigest({ config: configFile, preview: true, date: DATE, html, now: NOW }, io)).toBe(0);
    expect(io.stdout).toContain('Blind copies in member–officer correspondence');
    expect(io.stdout).toContain('Preview only: nothing has been sent or recorded.');
    expect(io.stdout).not.toContain(BODY_MARKER);
    expect(readFileSync(html, 'utf8')).toContain('<h2 style="font-size: 18px;">Summary (');
    expect(eml()).toEqual([]);
    const store = new SqliteStore(storePath);
    expect(await store.digestSent(DATE)).toBe(false);
    expect(await store.listEffects({ kinds: ['digest'], states: ['pending'] })).toHaveLength(2);
    await store.close();
  });

  it('sends the digest through the configured sender once, and says so when it was already sent', async () => {
    await fillStore();
    const io = recorder();
    expect(await runDigest({ config: configFile, now: NOW }, io)).toBe(0);
    expect(io.stdout).toBe(`The digest for Wednesday 18 November 2026 was sent to ${A.clerk}: 2 findings, 0 items needing attention.\n`);
    const files = eml();
    expect(files).toHaveLength(1);
    const raw = readFileSync(path.join(outboxDir, files[0] ?? ''), 'utf8');
    expect(raw).toContain(`Message-ID: ${digestMessageId(DATE, A.service)}`);
    expect(raw).toContain(`X-Wardwatch-Key: digest;${DATE}`);
    expect(raw).not.toContain(BODY_MARKER);

    const again = recorder();
    expect(await runDigest({ config: configFile, now: NOW }, again)).toBe(0);
    expect(again.stdout).toMatch(/^The digest for Wednesday 18 November 2026 was already sent/);
    expect(eml()).toHaveLength(1);
  });

  it('does not send with dryRun on', async () => {
    writeConfig({ dryRun: true });
    const io = recorder();
    expect(await runDigest({ config: configFile, now: NOW }, io)).toBe(0);
    expect(io.stdout).toContain('dryRun is on');
    expect(eml()).toEqual([]);
  });

  it('explains bad usage and exits 2', async () => {
    const badDate = recorder();
    expect(await runDigest({ config: configFile, date: '2026-02-30', preview: true }, badDate)).toBe(2);
    expect(badDate.stderr).toContain('--date: expected a date as YYYY-MM-DD');

    const htmlAlone = recorder();
    expect(await runDigest({ config: configFile, html: dir.file('x.html') }, htmlAlone)).toBe(2);
    expect(htmlAlone.stderr).toContain('--html FILE goes with --preview');

    writeFileSync(configFile, 'council: {name: Millbrook}\n', 'utf8');
    const badConfig = recorder();
    expect(await runDigest({ config: configFile, preview: true }, badConfig)).toBe(2);
    expect(badConfig.stderr).toContain('council.yaml');
  });
});
