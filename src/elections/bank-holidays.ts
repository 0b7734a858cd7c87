/**
 * England and Wales bank holidays from `date-holidays`' maintained data, worked out in a
 * short-lived worker thread.
 *
 * Why a worker: the parser brings astronomical and lunar-calendar libraries and the world's holiday
 * data with it, some 5 MB of heap that would stay loaded for the life of a service that needs the
 * answer once, at start-up. The worker reads the GB part of the data, answers for the years asked,
 * and ends, taking all of that with it. The caller waits for it, so the function stays synchronous
 * like the date arithmetic that calls it; a caller that knows early which years it will need can
 * start the worker at once (`requestBankHolidays`) and wait only when it needs the answer, as
 * starting the worker and loading the library take a quarter of a second or more.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { z } from 'zod';

/** How long to wait for the worker before giving up with a clear error. */
const WORKER_TIMEOUT_MS = 20_000;

/**
 * The worker, in plain JavaScript (CommonJS): loads the parser and the data from the paths given,
 * keeps only GB, and posts each year's public and bank holidays as YYYY-MM-DD (observances such as
 * Mother's Day are left out), or the error. Then it raises the flag the caller waits on.
 */
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { parserPath, dataFile, years, port, flag } = workerData;
let answer;
try {
  if (!Array.isArray(years)) throw new Error('no years were asked for');
  const parserModule = require(parserPath);
  const HolidaysParser = parserModule.default || parserModule;
  const all = JSON.parse(require('node:fs').readFileSync(dataFile, 'utf8'));
  if (!all || !all.holidays || !all.holidays.GB) throw new Error('the date-holidays data at ' + dataFile + ' has no GB holidays');
  const hd = new HolidaysParser({ version: all.version, license: all.license, holidays: { GB: all.holidays.GB }, names: all.names }, 'GB', 'ENG');
  answer = {
    years: years.map((year) => [
      year,
      hd.getHolidays(year).filter((h) => h.type === 'public' || h.type === 'bank').map((h) => String(h.date).slice(0, 10)),
    ]),
  };
} catch (err) {
  answer = { error: err && err.message ? err.message : String(err) };
}
port.postMessage(answer);
Atomics.store(flag, 0, 1);
Atomics.notify(flag, 0);
`;

const AnswerSchema = z.union([
  z.object({ years: z.array(z.tuple([z.number().int(), z.array(z.string().regex(/^\d{4}-\d{2}-\d{2}$/))])) }),
  z.object({ error: z.string() }),
]);

function paths(): { parserPath: string; dataFile: string } {
  const require = createRequire(import.meta.url);
  return {
    // The CommonJS build: the worker's plain script loads it with require().
    parserPath: require.resolve('date-holidays-parser'),
    dataFile: path.join(path.dirname(require.resolve('date-holidays/package.json')), 'data', 'holidays.json'),
  };
}

/** A worker thread asked for some years' bank holidays, working while the caller does other things. */
export interface BankHolidayRequest {
  readonly years: readonly number[];
  /** The answer, waiting for the worker if it has not finished (throws if it failed or timed out). */
  wait(): Map<number, string[]>;
}

/**
 * Starts a worker for these years' England and Wales bank holidays and returns at once. The worker
 * does not keep the process alive: a command that never asks for the answer ends without waiting.
 */
export function requestBankHolidays(years: readonly number[]): BankHolidayRequest {
  const asked = [...years];
  const { port1, port2 } = new MessageChannel();
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { ...paths(), years: asked, port: port2, flag },
    transferList: [port2],
    // Not the parent's Node options (an --input-type=module, a loader): the script is plain CommonJS.
    execArgv: [],
    // Nothing from the worker should reach the service's own output.
    stdout: true,
    stderr: true,
  });
  worker.unref();
  let settled: { days: Map<number, string[]> } | { error: Error } | undefined;
  return {
    years: asked,
    wait() {
      if (!settled) {
        try {
          const waited = Atomics.wait(flag, 0, 0, WORKER_TIMEOUT_MS);
          const message = receiveMessageOnPort(port1);
          if (waited === 'timed-out' || message === undefined) {
            throw new Error(`date-holidays did not give the bank holidays for ${asked.join(', ')} within ${WORKER_TIMEOUT_MS / 1000} s`);
          }
          const answer = AnswerSchema.parse(message.message);
          if ('error' in answer) throw new Error(`date-holidays could not give the bank holidays for ${asked.join(', ')}: ${answer.error}`);
          settled = { days: new Map(answer.years) };
        } catch (err) {
          settled = { error: err instanceof Error ? err : new Error(String(err)) };
        } finally {
          port1.close();
          void worker.terminate();
        }
      }
      if ('error' in settled) throw settled.error;
      return settled.days;
    },
  };
}

/** Each year's England and Wales bank holidays (YYYY-MM-DD), worked out by date-holidays in a worker thread. */
export function englandAndWalesBankHolidays(years: readonly number[]): Map<number, string[]> {
  return requestBankHolidays(years).wait();
}
