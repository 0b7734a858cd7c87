/**
 * Runs the connectors' scheduled jobs (subscription renewal, say) while the service runs: each on
 * its own interval, never two runs of one job at once, a failure logged and the job run again at
 * its next time. `stop` waits for a run under way, which is told to stop through its signal.
 */
import type { ScheduledJob } from '../sources/connector-module.js';
import { errorMessage, type ServiceLogger } from './logger.js';
import { pause } from '../sources/retry-timing.js';

export class ScheduledJobs {
  private readonly controller = new AbortController();
  private readonly loops: Promise<void>[] = [];

  constructor(
    private readonly jobs: readonly { connector: string; job: ScheduledJob }[],
    private readonly logger: ServiceLogger,
    private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void> = pause,
  ) {}

  start(): void {
    if (this.loops.length > 0) return;
    for (const entry of this.jobs) this.loops.push(this.loop(entry.connector, entry.job));
  }

  private async loop(connector: string, job: ScheduledJob): Promise<void> {
    const signal = this.controller.signal;
    const interval = Math.max(1000, job.intervalMs);
    if (job.runAtStart !== true) await this.sleep(interval, signal);
    while (!signal.aborted) {
      try {
        await job.run(signal);
        this.logger.debug({ connector, job: job.name }, 'scheduled job done');
      } catch (err) {
        if (signal.aborted) break;
        this.logger.warn({ connector, job: job.name, error: errorMessage(err), retryInMs: interval }, 'a scheduled job failed; it will run again at its next time');
      }
      await this.sleep(interval, signal);
    }
  }

  async stop(): Promise<void> {
    this.controller.abort();
    await Promise.all(this.loops);
  }
}
