import { createServer, type Server } from 'node:net';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { runService, type StopSignals } from '../../src/cli/run.js';
import { createLogger } from '../../src/service/logger.js';
import { capacityMail, dropMail, makeCouncil, readOutbox, waitFor, type TestCouncil } from './helpers.js';

let council: TestCouncil | undefined;
let blocker: Server | undefined;
afterEach(() => {
  council?.remove();
  council = undefined;
  blocker?.close();
  blocker = undefined;
});

/** Signals the test sends by hand. */
class HandSignals implements StopSignals {
  private onStop: ((signal: string) => void) | undefined;
  private onForce: ((signal: string) => void) | undefined;
  listening = false;
  /** Send the stop signal as soon as the command listens (a signal during start-up). */
  constructor(private readonly early = false) {}
  listen(onStop: (signal: string) => void, onForce: (signal: string) => void): () => void {
    this.onStop = onStop;
    this.onForce = onForce;
    this.listening = true;
    if (this.early) onStop('SIGTERM');
    return () => {
      this.listening = false;
    };
  }
  send(times = 1): void {
    this.onStop?.('SIGTERM');
    for (let i = 1; i < times; i++) this.onForce?.('SIGTERM');
  }
}

function capture(): { io: { out: (t: string) => void; err: (t: string) => void }; text: () => string } {
  let text = '';
  return { io: { out: (t) => (text += t), err: (t) => (text += t) }, text: () => text };
}

function logLines(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return {
    stream,
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe('wardwatch run', () => {
  it('runs until told to stop, then stops cleanly with exit 0; a second signal leaves at once', async () => {
    council = makeCouncil();
    const c = council;
    const signals = new HandSignals();
    const logs = logLines();
    let forced = 0;
    const exit = runService(
      { config: c.configFile },
      { io: capture().io, signals, logger: createLogger({ destination: logs.stream }), forceExit: () => (forced += 1) },
    );
    await waitFor('the service to listen for signals', () => signals.listening);
    const m = capacityMail(1);
    dropMail(c, m.member, 'sent', 'one.eml', m.content);
    await waitFor('the nudge', async () => (await readOutbox(c.outboxDir)).some((o) => o.to.includes(m.member)));

    signals.send(2);
    expect(await exit).toBe(0);
    expect(forced).toBe(1);
    const messages = logs.lines().map((l) => l['msg']);
    expect(messages).toContain('Wardwatch is starting');
    expect(messages).toContain('Wardwatch has stopped');
    // The logs name items and effects, never what the messages say.
    const all = JSON.stringify(logs.lines());
    expect(all).toContain(m.messageId);
    expect(all).not.toContain('I share some of your concerns');
  });

  it('says what is missing when there is no source to watch (exit 2)', async () => {
    council = makeCouncil({ connectors: {} });
    const out = capture();
    expect(await runService({ config: council.configFile }, { io: out.io, signals: new HandSignals() })).toBe(2);
    expect(out.text()).toMatch(/No source to watch: give --source DIR, or set connectors.folder.dir/);
  });

  it('reports an invalid config with its line (exit 2)', async () => {
    council = makeCouncil({ dryRun: 'sometimes' });
    const out = capture();
    expect(await runService({ config: council.configFile }, { io: out.io, signals: new HandSignals() })).toBe(2);
    expect(out.text()).toMatch(/dryRun/);
  });

  it('cannot start when its port is taken, and says so (exit 1)', async () => {
    blocker = createServer();
    const port = await new Promise<number>((resolve) => {
      blocker?.listen(0, '127.0.0.1', () => {
        const address = blocker?.address();
        resolve(typeof address === 'object' && address !== null ? address.port : 0);
      });
    });
    council = makeCouncil({ server: { host: '127.0.0.1', port } });
    const out = capture();
    const logs = logLines();
    const code = await runService({ config: council.configFile, source: council.sourceDir }, { io: out.io, signals: new HandSignals(), logger: createLogger({ destination: logs.stream }) });
    expect(code).toBe(1);
    expect(out.text()).toMatch(new RegExp(`Cannot listen on 127.0.0.1:${port}.*choose another server.port`));
  });

  it('stops cleanly when the stop signal comes during start-up, before doing anything (exit 0)', async () => {
    council = makeCouncil();
    const m = capacityMail(2);
    dropMail(council, m.member, 'sent', 'two.eml', m.content);
    const logs = logLines();
    const code = await runService({ config: council.configFile }, { io: capture().io, signals: new HandSignals(true), logger: createLogger({ destination: logs.stream }) });
    expect(code).toBe(0);
    expect(await readOutbox(council.outboxDir)).toEqual([]);
    expect(logs.lines().map((l) => l['msg'])).not.toContain('Wardwatch is starting');
  });
});
