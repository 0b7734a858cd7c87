/** `wardwatch run` as a child process for the benchmarks: started, its /healthz port read from its log, stopped. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src/cli.js');

export interface RunningWardwatch {
  child: ChildProcess;
  /** The port /healthz listens on, once the service says so. */
  port: Promise<number>;
}

/** The processes still running, for an interrupted benchmark to stop. */
export const runningChildren = new Set<ChildProcess>();

/** Starts `wardwatch run --config configFile` with these extra environment variables. */
export function startWardwatch(configFile: string, env: NodeJS.ProcessEnv = {}): RunningWardwatch {
  const child = spawn(process.execPath, [CLI, 'run', '--config', configFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, WARDWATCH_LOG_LEVEL: 'info', ...env },
  });
  let buffered = '';
  const port = new Promise<number>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered = (buffered + chunk.toString()).slice(-20_000);
      const m = /"port":(\d+)[^\n]*listening for \/healthz/.exec(buffered);
      if (m?.[1]) resolve(Number(m[1]));
    });
    child.on('exit', (code) => reject(new Error(`wardwatch run exited (${String(code)}) before listening: ${buffered.slice(-800)}`)));
  });
  child.stderr?.resume();
  runningChildren.add(child);
  child.once('exit', () => runningChildren.delete(child));
  return { child, port };
}

/** Stops it with SIGTERM, as a service manager would, and waits until it has gone. */
export function stopWardwatch(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) {
      resolve();
      return;
    }
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
