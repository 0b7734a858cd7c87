/**
 * An effect given up because of a fault on this side (the Clerk's template broke while the
 * service ran) is carried out once after the template is fixed and `wardwatch outbox retry`
 * puts it back; exactly once still holds. And a broken template stops `run` before anything is sent.
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { enqueue } from '../../src/outbox/enqueue.js';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runOutboxList, runOutboxRetry } from '../../src/cli/outbox.js';
import { runService, type StopSignals } from '../../src/cli/run.js';
import { silentLogger } from '../../src/service/logger.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import { assembleForTest, capacityMail, dropMail, makeCouncil, readOutbox, REPO_ROOT, waitFor, type TestCouncil } from '../service/helpers.js';

const builtIn = readFileSync(path.join(REPO_ROOT, 'templates', 'state-capacity.hbs'), 'utf8');
const broken = builtIn.replace(/Dear \{\{recipient\.\w+\}\},/, 'Dear {{recipient.nmae}},');
// The greeting's field may be renamed; the test must still break a template, not copy it.
if (!broken.includes('recipient.nmae')) throw new Error('state-capacity.hbs no longer opens with a Dear {{recipient…}} greeting');
const brokenLine = broken.split('\n').findIndex((l) => l.includes('recipient.nmae')) + 1;

class HandSignals implements StopSignals {
  private onStop: ((signal: string) => void) | undefined;
  listening = false;
  listen(onStop: (signal: string) => void): () => void {
    this.onStop = onStop;
    this.listening = true;
    return () => {
      this.listening = false;
    };
  }
  stop(): void {
    this.onStop?.('SIGTERM');
  }
}

function recorder(): { out: (t: string) => void; err: (t: string) => void; stdout: string; stderr: string } {
  const rec = { stdout: '', stderr: '', out: (t: string) => void (rec.stdout += t), err: (t: string) => void (rec.stderr += t) };
  return rec;
}

let council: TestCouncil | undefined;
afterEach(() => {
  council?.remove();
  council = undefined;
});

function writeTemplate(c: TestCouncil, content: string): void {
  mkdirSync(path.join(c.dir, 'my-templates'), { recursive: true });
  writeFileSync(path.join(c.dir, 'my-templates', 'state-capacity.hbs'), content);
}

/** Run the service until `until` holds, then stop it; returns the exit code. */
async function runUntil(c: TestCouncil, what: string, until: () => Promise<unknown>): Promise<number> {
  const signals = new HandSignals();
  const exit = runService({ config: c.configFile }, { io: recorder(), signals, logger: silentLogger() });
  await waitFor('the service to listen for signals', () => signals.listening);
  try {
    await waitFor(what, async () => (await until()) === true);
  } finally {
    signals.stop();
  }
  return exit;
}

async function effectState(c: TestCouncil, key: string): Promise<string | undefined> {
  const store = openSqliteStore(c.storePath);
  try {
    return (await store.getEffect(key))?.state;
  } finally {
    await store.close();
  }
}

describe('wardwatch outbox retry', () => {
  it('carries out, once, an effect given up because of a broken template, after the template is fixed', async () => {
    council = makeCouncil({ templates: { dir: './my-templates' } });
    const c = council;
    writeTemplate(c, builtIn);
    const m = capacityMail(1);
    const toMember = async (): Promise<number> => (await readOutbox(c.outboxDir)).filter((o) => o.to.includes(m.member)).length;

    // The Clerk breaks the template while the service runs: the nudge is given up, nothing sent.
    const failedList = recorder();
    expect(
      await runUntil(c, 'the nudge to be given up', async () => {
        if (readFileSync(path.join(c.dir, 'my-templates', 'state-capacity.hbs'), 'utf8') !== broken) {
          writeTemplate(c, broken);
          dropMail(c, m.member, 'sent', 'one.eml', m.content);
        }
        failedList.stdout = '';
        await runOutboxList({ config: c.configFile, state: 'failed' }, failedList);
        return Promise.resolve(failedList.stdout.includes('state-capacity'));
      }),
    ).toBe(0);
    expect(await toMember()).toBe(0);
    expect(failedList.stdout).toContain(`can be retried once fixed: The message template could not be used:`);
    expect(failedList.stdout).toContain(`state-capacity.hbs:${brokenLine}`);
    expect(failedList.stdout).toContain('"wardwatch outbox retry --failed" sends it');
    const key = failedList.stdout.split('  ')[0] ?? '';
    expect(await effectState(c, key)).toBe('failed');

    // Fixed, and put back in the queue.
    writeTemplate(c, builtIn);
    const retry = recorder();
    expect(await runOutboxRetry([], { config: c.configFile, failed: true }, retry)).toBe(0);
    expect(retry.stdout).toContain(`Queued again: ${key} (state-capacity, nudge to ${m.member})`);
    expect(await effectState(c, key)).toBe('pending');

    expect(await runUntil(c, 'the nudge to go out', async () => (await toMember()) === 1)).toBe(0);
    expect(await effectState(c, key)).toBe('done');
    const [sent] = (await readOutbox(c.outboxDir)).filter((o) => o.to.includes(m.member));
    expect(sent?.text).toContain('Dear Councillor');

    // Once only: nothing more to retry, and the key itself is refused.
    const again = recorder();
    expect(await runOutboxRetry([], { config: c.configFile, failed: true }, again)).toBe(0);
    expect(again.stdout).toContain('nothing to retry');
    const byKey = recorder();
    expect(await runOutboxRetry([key], { config: c.configFile }, byKey)).toBe(1);
    expect(byKey.stderr).toBe(`${key} was carried out already; it is not sent again.\n`);
    expect(await effectState(c, key)).toBe('done');
    expect(await toMember()).toBe(1);
  });

  it('does not put back an effect the mail system refused, and says why', async () => {
    council = makeCouncil();
    const c = council;
    const store = openSqliteStore(c.storePath);
    const now = new Date().toISOString();
    await enqueue(store, 
      [
        {
          key: 'refused-1',
          kind: 'nudge',
          rule: 'state-capacity',
          itemKey: '<x@millbrook-tc.gov.uk>',
          recipient: 'tom.brown@millbrook-tc.gov.uk',
          payload: { summary: 'A test.', clauses: ['12.5'] },
          messageId: '<refused-1@millbrook-tc.gov.uk>',
          notBefore: now,
        },
      ],
      now,
    );
    const [claimed] = await store.claimDue(now, 1);
    await store.markAttemptFailed(claimed?.id ?? -1, now, { error: 'The mail server refused the message for good: 550 no such user' });
    await store.close();

    const byKey = recorder();
    expect(await runOutboxRetry(['refused-1'], { config: c.configFile }, byKey)).toBe(1);
    expect(byKey.stderr).toContain('refused-1 was not given up because of a fault on this side but by the mail system (The mail server refused the message for good: 550 no such user)');
    const all = recorder();
    expect(await runOutboxRetry([], { config: c.configFile, failed: true }, all)).toBe(0);
    expect(all.stdout).toContain('1 other failed effect was refused by the mail system or kept failing there');
    expect(await effectState(c, 'refused-1')).toBe('failed');

    const unknown = recorder();
    expect(await runOutboxRetry(['no-such-key'], { config: c.configFile }, unknown)).toBe(2);
    expect(unknown.stderr).toContain('There is no effect with key no-such-key');
    expect(await runOutboxRetry([], { config: c.configFile }, recorder())).toBe(2);
  });
});

describe('a broken template of the Clerk stops run at start-up', () => {
  it('exits 2 naming the file and line, and sends nothing', async () => {
    council = makeCouncil({ templates: { dir: './my-templates' } });
    const c = council;
    writeTemplate(c, broken);
    const m = capacityMail(2);
    dropMail(c, m.member, 'sent', 'two.eml', m.content);
    const out = recorder();
    expect(await runService({ config: c.configFile }, { io: out, signals: new HandSignals(), logger: silentLogger() })).toBe(2);
    expect(out.stderr).toContain(`${path.join(c.dir, 'my-templates', 'state-capacity.hbs')}:${brokenLine}: {{recipient.nmae}}: there is no field "nmae" in recipient`);
    expect(await readOutbox(c.outboxDir)).toEqual([]);
  });

  it('also when the service is built without the command (assembleService)', async () => {
    council = makeCouncil({ templates: { dir: './my-templates' } });
    writeTemplate(council, broken);
    await expect(assembleForTest(council, { http: false })).rejects.toMatchObject({
      name: 'AssembleError',
      exitCode: 2,
      message: expect.stringContaining(`state-capacity.hbs:${brokenLine}:`) as unknown,
    });
  });
});
