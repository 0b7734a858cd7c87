/**
 * Prometheus metrics of the service, in a registry of its own (so two services in one process,
 * as in tests, never share counters):
 *
 *   items_processed_total{kind}            items evaluated (mail | event), and skipped unchanged ones (kind="unchanged")
 *   findings_total{rule}                   findings recorded
 *   effects_total{kind,outcome}            effects recorded (enqueued | folded | skipped-dry-run) and carried out
 *                                          (done | retrying | failed | recognised-as-sent)
 *   problems_total                         records that could not be read
 *   source_errors_total{source}            failed syncs or watches
 *   outbox_pending, outbox_failed          effects waiting, and given up on
 *   outbox_in_doubt                        messages held in doubt after a crash, for the Clerk
 *   sender_up                              1 while the mail sender can send, 0 while its server refuses its login
 *   source_last_success_timestamp_seconds{source}
 * plus the default process metrics (memory, CPU, event loop lag, …).
 */
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { MailSender } from '../sources/types.js';
import type { Store } from '../store/types.js';

export class ServiceMetrics {
  readonly registry = new Registry();
  readonly itemsProcessed: Counter<'kind'>;
  readonly findings: Counter<'rule'>;
  readonly effects: Counter<'kind' | 'outcome'>;
  readonly problems: Counter;
  readonly sourceErrors: Counter<'source'>;

  constructor(store: Pick<Store, 'countOutboxEffects' | 'listSourceHealth' | 'listDigestsInDoubt'>, options: { defaultMetrics?: boolean; sender?: Pick<MailSender, 'problem'> } = {}) {
    const registers = [this.registry];
    this.itemsProcessed = new Counter({ name: 'items_processed_total', help: 'Items evaluated, by kind', labelNames: ['kind'], registers });
    this.findings = new Counter({ name: 'findings_total', help: 'Findings recorded, by rule', labelNames: ['rule'], registers });
    this.effects = new Counter({
      name: 'effects_total',
      help: 'Effects recorded or carried out, by action kind and outcome',
      labelNames: ['kind', 'outcome'],
      registers,
    });
    this.problems = new Counter({ name: 'problems_total', help: 'Records that could not be read', registers });
    this.sourceErrors = new Counter({ name: 'source_errors_total', help: 'Failed syncs or watches, by source', labelNames: ['source'], registers });
    new Gauge({
      name: 'outbox_pending',
      help: 'Effects waiting to be carried out',
      registers,
      async collect() {
        this.set(await store.countOutboxEffects(['pending', 'sending']));
      },
    });
    new Gauge({
      name: 'outbox_failed',
      help: 'Effects given up on (listed in the digest)',
      registers,
      async collect() {
        this.set(await store.countOutboxEffects(['failed']));
      },
    });
    new Gauge({
      name: 'outbox_in_doubt',
      help: 'Messages a crash caught mid-send that may or may not have gone, held for the Clerk',
      registers,
      async collect() {
        this.set(await store.countOutboxEffects(['in-doubt']) + (await store.listDigestsInDoubt()).length);
      },
    });
    const sender = options.sender;
    new Gauge({
      name: 'sender_up',
      help: 'Whether the mail sender can send (0 while its server refuses its login)',
      registers,
      collect() {
        this.set(sender?.problem?.() === undefined ? 1 : 0);
      },
    });
    new Gauge({
      name: 'source_last_success_timestamp_seconds',
      help: 'When each source last synced successfully (Unix time)',
      labelNames: ['source'],
      registers,
      async collect() {
        this.reset();
        for (const h of await store.listSourceHealth()) {
          if (h.lastSuccess !== undefined) this.set({ source: h.source }, Date.parse(h.lastSuccess) / 1000);
        }
      },
    });
    // The event-loop lag monitor samples once a second (its 10 ms default would wake an idle service 100 times a second).
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 1000 });
  }

  /** The text exposition format, and its content type. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
