/**
 * England and Wales bank holidays from `date-holidays`' maintained data, worked out in a
 * short-lived worker thread.
 *
 * Why a worker: the parser brings astronomical and lunar-calendar libraries and the world's holiday
 * data with it, some 5 MB of heap that would stay loaded for the life of a service that needs the
 * answer once, at start-up. The worker reads the GB part of the data, answers for the years asked,
 * and ends, taking all of that with it. The caller waits for it (a few tens of milliseconds), so
 * the function stays synchronous like the date arithmetic that calls it.
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

/** Each year's England and Wales bank holidays (YYYY-MM-DD), worked out by date-holidays in a worker thread. */
export function englandAndWalesBankHolidays(years: readonly number[]): Map<number, string[]> {
  const { port1, port2 } = new MessageChannel();
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { ...paths(), years: [...years], port: port2, flag },
    transferList: [port2],
    // Not the parent's Node options (an --input-type=module, a loader): the script is plain CommonJS.
    execArgv: [],
    // Nothing from the worker should reach the service's own output.
    stdout: true,
    stderr: true,
  });
  try {
    const waited = Atomics.wait(flag, 0, 0, WORKER_TIMEOUT_MS);
    const message = receiveMessageOnPort(port1);
    if (waited === 'timed-out' || message === undefined) {
      throw new Error(`date-holidays did not give the bank holidays for ${years.join(', ')} within ${WORKER_TIMEOUT_MS / 1000} s`);
    }
    const answer = AnswerSchema.parse(message.message);
    if ('error' in answer) throw new Error(`date-holidays could not give the bank holidays for ${years.join(', ')}: ${answer.error}`);
    return new Map(answer.years);
  } finally {
    port1.close();
    void worker.terminate();
  }
}
