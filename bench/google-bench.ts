/**
 * Issue 16's figures for the Google Workspace connector, against the Google simulator
 * (test/google-sim/) on loopback, in this process. Millbrook's council from the end-to-end test
 * (test/integration/google-council.ts): six watched Gmail mailboxes (five with inbox and sent, Dan's
 * with inbox only) and two calendars (the Clerk's and the Council Chamber's, both read as the
 * Clerk), so eight targets.
 *   - Gmail quota units and requests per 1,000 messages: 1,000 message copies delivered into the
 *     watched mailboxes (400 internal messages, each in its sender's SENT and its recipient's
 *     INBOX, and 200 from outside, in an INBOX), then the connector's `sync` (every mailbox and
 *     calendar, one round each) with a sink that only counts; then 1,000 more and `sync` again (an
 *     incremental round). Requests and quota units as the simulator logged them (Google's table:
 *     getProfile 1, history.list 2, messages.list 5, messages.get 5), checked against the
 *     transport's own counters; sign-ins apart.
 *   - per idle hour per mailbox: the connector's own `watch` loop, run for real at a short poll
 *     interval (every target is asked at every tick), each mailbox's requests and units a tick
 *     counted from the simulator's log; the hour's figure is the default interval's ticks (120 at
 *     30 s) times that.
 *   - delivery-to-action latency: the whole service (as google-service.test.ts assembles it: the
 *     simulator's addresses through `connectorTuning`, nothing else tuned) with the DEFAULT
 *     pollSeconds (30 s). Blind copies (Sam to Cllr Mehta, Cllr Taylor in Bcc) delivered at random
 *     moments (uniform over N × 4 s, so with no relation to the poll's phase), several in flight at
 *     once; the time from delivering Sam's SENT copy to the simulator recording the nudge's send.
 *     Split into the wait for the poll (delivery → the first history.list of Sam's mailbox after
 *     it) and the rest. No target: the issue asks for the figure.
 * WARDWATCH_BENCH_GOOGLE_MESSAGES changes the number of latency samples (default 24; each adds
 * about 4 s).
 */
import path from 'node:path';
import { pino } from 'pino';
import { GoogleConnectorSchema, googleContextOf, parseGoogleSettings, type GoogleSettings } from '../connectors/google/config.js';
import { GoogleConnector } from '../connectors/google/connector.js';
import { USER_CONCURRENCY } from '../connectors/google/transport.js';
import { setupEngine } from '../src/cli/engine-setup.js';
import { effectKey } from '../src/outbox/idempotency.js';
import { assembleService, type AssembledService } from '../src/service/assemble.js';
import { createLogger } from '../src/service/logger.js';
import type { ConnectorLog } from '../src/sources/connector-module.js';
import type { CursorStore, RecordSink } from '../src/sources/types.js';
import type { RequestRecord } from '../test/google-sim/index.js';
import { startGoogleCouncil, WATCHED, type GoogleCouncil } from '../test/integration/google-council.js';
import { A } from '../test/support/council.js';

/** The default poll interval (connectors.google.pollSeconds). */
const DEFAULT_POLL_SECONDS = 30;
/** The short poll interval the watch loop runs at here, so that many ticks fit in a few seconds. */
const BENCH_POLL_SECONDS = 0.3;
/** Gmail's per-user rate limit: 250 quota units a second (15,000 a minute). */
const GMAIL_USER_UNITS_PER_SECOND = 250;
/** Calendar's per-user limit in Google's current table: 600 requests a minute. */
const CALENDAR_USER_PER_MINUTE = 600;
const COPIES = 1000;
/** Mean spacing of the latency deliveries. */
const LATENCY_SPREAD_MS = 4000;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

function countFrom(name: string, fallback: number): number {
  const raw = process.env[name];
  const n = raw === undefined ? fallback : Number(raw);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

async function waitFor<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 30_000, intervalMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

const silent: ConnectorLog = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

class MemoryCursors implements CursorStore {
  private readonly values = new Map<string, string>();
  getCursor(source: string, key: string): Promise<string | undefined> {
    return Promise.resolve(this.values.get(`${source}|${key}`));
  }
  setCursor(source: string, key: string, value: string): Promise<void> {
    this.values.set(`${source}|${key}`, value);
    return Promise.resolve();
  }
}

/** Takes every record at once and counts it: the connector's cost alone. */
class CountingSink implements RecordSink {
  records = 0;
  problems = 0;
  record(): Promise<void> {
    this.records++;
    return Promise.resolve();
  }
  removed(): Promise<void> {
    return Promise.resolve();
  }
  problem(): void {
    this.problems++;
  }
}

/** The connector's settings as the service would resolve them from the council's file. */
function settingsOf(council: GoogleCouncil): GoogleSettings {
  const { loaded } = setupEngine(council.configFile);
  const section = GoogleConnectorSchema.parse(loaded.config.connectors['google']);
  return parseGoogleSettings(section, googleContextOf(loaded.config, council.configFile), process.env);
}

/** Gmail and Calendar requests (token requests apart). */
function apiRequests(records: readonly RequestRecord[]): RequestRecord[] {
  return records.filter((r) => r.api !== 'oauth');
}

function kindOf(r: RequestRecord): string {
  if (r.api === 'oauth') return 'token';
  if (r.api === 'calendar') return `${r.method} events${r.method === 'GET' && /\/events$/.test(r.canonicalPath) ? '.list' : ''}`;
  const rest = /\/gmail\/v1\/users\/[^/]+\/(.+)$/.exec(r.canonicalPath)?.[1] ?? r.canonicalPath;
  if (rest === 'profile') return 'getProfile';
  if (rest === 'history') return 'history.list';
  if (rest === 'messages') return 'messages.list';
  if (rest === 'messages/send') return 'messages.send';
  if (rest.startsWith('messages/')) return 'messages.get';
  return `${r.method} ${rest}`;
}

function breakdown(records: readonly RequestRecord[]): string {
  const kinds = new Map<string, number>();
  for (const r of records) kinds.set(kindOf(r), (kinds.get(kindOf(r)) ?? 0) + 1);
  return [...kinds].map(([k, n]) => `${n} ${k}`).join(', ');
}

/** The target a request was for: the Gmail mailbox in its path, or the calendar. */
function targetOf(r: RequestRecord): string | undefined {
  if (r.api === 'gmail') return /\/gmail\/v1\/users\/([^/]+)\//.exec(r.canonicalPath)?.[1]?.toLowerCase();
  if (r.api === 'calendar') return `calendar ${/\/calendar\/v3\/calendars\/([^/]+)\//.exec(r.canonicalPath)?.[1] ?? '?'}`;
  return undefined;
}

/** Requests in bursts: a gap longer than `gapMs` starts a new one (one burst a tick). */
function bursts(records: readonly RequestRecord[], gapMs: number): RequestRecord[][] {
  const sorted = [...records].sort((a, b) => a.at - b.at);
  const out: RequestRecord[][] = [];
  let last = Number.NEGATIVE_INFINITY;
  for (const r of sorted) {
    if (r.at - last > gapMs || out.length === 0) out.push([]);
    out[out.length - 1]?.push(r);
    last = r.at;
  }
  return out;
}

function spread(values: readonly number[]): string {
  if (values.length === 0) return 'none';
  const min = Math.min(...values);
  const max = Math.max(...values);
  return min === max ? `${min}` : `${min}–${max}`;
}

function localPart(address: string): string {
  return address.split('@')[0] ?? address;
}

/* ------------------------------------------------------------------------ council mail */

const SENDERS = WATCHED.filter((w) => w.folders.includes('sent')).map((w) => w.address);
const RECIPIENTS = WATCHED.map((w) => w.address);

function mime(spec: { from: string; to: string; bcc?: string | undefined; subject: string; messageId: string; body: string }): string {
  return [
    `From: ${spec.from}`,
    `To: ${spec.to}`,
    ...(spec.bcc !== undefined ? [`Bcc: ${spec.bcc}`] : []),
    `Subject: ${spec.subject}`,
    `Date: ${new Date().toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: ${spec.messageId}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    spec.body.replace(/\n/g, '\r\n'),
    '',
  ].join('\r\n');
}

/**
 * `copies` message copies into the watched mailboxes, spread as a council's mail is: two thirds
 * internal (each in its sender's SENT and its recipient's INBOX), a third from outside (INBOX).
 */
async function deliverCouncilMail(council: GoogleCouncil, copies: number, tag: string): Promise<void> {
  let delivered = 0;
  for (let n = 0; delivered < copies; n++) {
    const messageId = `<bench-${tag}-${n}@millbrook-tc.gov.uk>`;
    const to = RECIPIENTS[n % RECIPIENTS.length] ?? A.clerk;
    if (n % 3 === 2 || copies - delivered === 1) {
      await council.sim.deliver(to, mime({ from: A.resident, to, subject: `Report ${n}: potholes on Hazel Avenue`, messageId, body: `Dear Council,\n\nThere are potholes outside number ${n} on Hazel Avenue.\n\nThank you` }), ['INBOX']);
      delivered += 1;
      continue;
    }
    const from = SENDERS[n % SENDERS.length] ?? A.clerk;
    const rcpt = to === from ? (RECIPIENTS[(n + 1) % RECIPIENTS.length] ?? A.clerk) : to;
    const m = mime({ from, to: rcpt, subject: `Allotments (${n})`, messageId, body: `Dear colleague,\n\nThe agenda item ${n} on allotments is attached to the minutes.\n\nKind regards` });
    await council.sim.deliver(rcpt, m, ['INBOX']);
    await council.sim.deliver(from, m, ['SENT']);
    delivered += 2;
  }
}

/* ------------------------------------------------------------------------ figures 1 and 2 (the connector) */

interface SyncFigures {
  records: number;
  problems: number;
  /** Gmail and Calendar requests the simulator logged. */
  requests: number;
  gmailRequests: number;
  /** Gmail quota units the simulator charged. */
  units: number;
  /** The same, as the connector's transport counted them. */
  transportRequests: number;
  transportUnits: number;
  tokens: number;
  detail: string;
  seconds: number;
  /** The most Gmail quota units one user spent in any one second (sliding), and whose. */
  peakUnitsPerSecond: { user: string; units: number };
}

/** The most Gmail quota units any one user was charged within one second (a sliding window over the log). */
function peakUnitsPerSecond(records: readonly RequestRecord[]): { user: string; units: number } {
  const byUser = new Map<string, RequestRecord[]>();
  for (const r of records) {
    if (r.quotaUnits === 0 || r.user === undefined) continue;
    const list = byUser.get(r.user) ?? [];
    list.push(r);
    byUser.set(r.user, list);
  }
  let best = { user: '', units: 0 };
  for (const [user, list] of byUser) {
    list.sort((a, b) => a.at - b.at);
    let start = 0;
    let sum = 0;
    for (const r of list) {
      sum += r.quotaUnits;
      while ((list[start]?.at ?? r.at) <= r.at - 1000) sum -= list[start++]?.quotaUnits ?? 0;
      if (sum > best.units) best = { user, units: sum };
    }
  }
  return best;
}

async function measuredSync(council: GoogleCouncil, connector: GoogleConnector): Promise<SyncFigures> {
  const sink = new CountingSink();
  const from = council.sim.state.requests.length;
  const requestsBefore = connector.transport.requestCount;
  const unitsBefore = connector.transport.quotaUnits();
  const started = performance.now();
  await connector.sync(sink);
  const seconds = (performance.now() - started) / 1000;
  const all = council.sim.state.requests.slice(from);
  const api = apiRequests(all);
  return {
    records: sink.records,
    problems: sink.problems,
    requests: api.length,
    gmailRequests: api.filter((r) => r.api === 'gmail').length,
    units: all.reduce((n, r) => n + r.quotaUnits, 0),
    transportRequests: connector.transport.requestCount - requestsBefore,
    transportUnits: connector.transport.quotaUnits() - unitsBefore,
    tokens: all.length - api.length,
    detail: breakdown(api),
    seconds,
    peakUnitsPerSecond: peakUnitsPerSecond(all),
  };
}

interface TargetLoad {
  target: string;
  requests: number;
  units: number;
}

interface IdleFigures {
  seconds: number;
  ticks: number;
  /** Requests and units of each tick. */
  perTickRequests: number[];
  perTickUnits: number[];
  /** Each target's requests and units a tick (over the whole ticks seen). */
  targets: TargetLoad[];
  /** Ticks in which some target was asked other than exactly once. */
  irregular: number;
  tokens: number;
  detail: string;
}

/** The connector's watch loop, idle, at a short interval: what each tick asks of each target. */
async function idleTicks(council: GoogleCouncil, connector: GoogleConnector, settings: GoogleSettings, seconds: number): Promise<IdleFigures> {
  const sink = new CountingSink();
  const controller = new AbortController();
  const from = council.sim.state.requests.length;
  const started = performance.now();
  const watching = connector.watch(sink, controller.signal);
  await sleep(seconds * 1000);
  controller.abort();
  await watching;
  const elapsed = (performance.now() - started) / 1000;
  if (sink.records > 0) throw new Error(`the idle watch handed over ${sink.records} records`);
  const all = council.sim.state.requests.slice(from);
  const api = apiRequests(all);
  const groups = bursts(api, (settings.pollMs * 2) / 3);
  // A tick cut by the window's end (the abort) is left out.
  const expected = settings.mailboxes.length + settings.calendars.length;
  const whole = groups.filter((g) => g.length >= expected);
  const byTarget = new Map<string, { requests: number; units: number }>();
  let irregular = 0;
  for (const g of whole) {
    const seen = new Map<string, number>();
    for (const r of g) {
      const t = targetOf(r) ?? '?';
      seen.set(t, (seen.get(t) ?? 0) + 1);
      const l = byTarget.get(t) ?? { requests: 0, units: 0 };
      l.requests++;
      l.units += r.quotaUnits;
      byTarget.set(t, l);
    }
    if (seen.size !== expected || [...seen.values()].some((n) => n !== 1)) irregular++;
  }
  const ticks = whole.length;
  return {
    seconds: elapsed,
    ticks,
    perTickRequests: whole.map((g) => g.length),
    perTickUnits: whole.map((g) => g.reduce((n, r) => n + r.quotaUnits, 0)),
    targets: [...byTarget].map(([target, l]) => ({ target, requests: l.requests / Math.max(1, ticks), units: l.units / Math.max(1, ticks) })),
    irregular,
    tokens: all.length - api.length,
    detail: breakdown(whole.flat()),
  };
}

async function connectorFigures(): Promise<{ first: SyncFigures; incremental: SyncFigures; idle: IdleFigures; settings: GoogleSettings }> {
  // The connector's defaults (page size 100, backfill 30 days), but for the poll interval, shortened so that many ticks fit.
  const council = await startGoogleCouncil({ google: { pageSize: undefined, pollSeconds: BENCH_POLL_SECONDS } });
  try {
    const settings = settingsOf(council);
    const cursors = new MemoryCursors();
    const connector = new GoogleConnector(settings, cursors, silent, { tuning: council.tuning.google });
    try {
      await deliverCouncilMail(council, COPIES, 'first');
      const first = await measuredSync(council, connector);
      await deliverCouncilMail(council, COPIES, 'again');
      const incremental = await measuredSync(council, connector);
      for (const f of [first, incremental]) {
        if (f.records !== COPIES || f.problems > 0) throw new Error(`a sync handed over ${f.records} of ${COPIES} messages (${f.problems} problems)`);
      }
      const idle = await idleTicks(council, connector, settings, 4);
      return { first, incremental, idle, settings };
    } finally {
      await connector.close();
    }
  } finally {
    await council.stop();
  }
}

/* ------------------------------------------------------------------------ figure 3 (the service) */

async function startService(council: GoogleCouncil): Promise<AssembledService> {
  const setup = setupEngine(council.configFile);
  const logger = createLogger({ level: 'info', destination: pino.destination({ dest: path.join(council.dir, 'wardwatch.log'), sync: true }) });
  // As google-service.test.ts assembles it, but with the service's default tuning: only the simulator's addresses are given.
  const running = await assembleService(setup, { logger, connectorTuning: council.tuning });
  await running.service.start();
  await waitFor('the first round over every mailbox and calendar', async () => {
    const res = await fetch(`http://127.0.0.1:${council.port}/healthz`);
    const body: unknown = await res.json();
    if (typeof body !== 'object' || body === null || !('sources' in body) || !Array.isArray(body.sources)) return false;
    const first: unknown = body.sources[0];
    return typeof first === 'object' && first !== null && 'state' in first && first.state === 'ok';
  }, 60_000, 50);
  return running;
}

interface Sample {
  key: string;
  deliveredAt: number;
  sentAt?: number;
  pickedUpAt?: number;
  judgedAt?: number;
}

interface LatencyFigures {
  count: number;
  spanSeconds: number;
  total: number[];
  wait: number[];
  rest: number[];
  judged: number[];
  pollRounds: number;
  gmailUnitsPerMessage: number;
  requestsPerMessage: number;
  detail: string;
}

function stats(values: readonly number[]): { p50: number; p95: number; max: number; mean: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), max: sorted.at(-1) ?? Number.NaN, mean: sorted.reduce((n, v) => n + v, 0) / Math.max(1, sorted.length) };
}

/** The service at the default 30 s poll; blind copies at random moments, each until its nudge is sent. */
async function latency(count: number): Promise<LatencyFigures> {
  const council = await startGoogleCouncil({ google: { pageSize: undefined, pollSeconds: undefined } });
  const sim = council.sim;
  try {
    if (settingsOf(council).pollMs !== DEFAULT_POLL_SECONDS * 1000) throw new Error(`the council's poll interval is not the default ${DEFAULT_POLL_SECONDS} s`);
    const running = await startService(council);
    try {
      const run = Date.now();
      const samPath = `/gmail/v1/users/${A.sam}/history`;
      /** Sam writes to Cllr Mehta with Cllr Taylor in Bcc: the recipients' INBOX copies, then Sam's SENT copy. */
      const blindCopy = async (n: number): Promise<Sample> => {
        const messageId = `<latency-${n}-${run}@millbrook-tc.gov.uk>`;
        const spec = { from: A.sam, to: A.raj, messageId, subject: `New bins for Mill Lane (${n})`, body: `Dear Cllr Mehta,\n\nThe new bins for Mill Lane (${n}) will be installed on Thursday morning.\n\nKind regards,\nSam Patel` };
        await sim.deliver(A.raj, mime(spec), ['INBOX']);
        await sim.deliver(A.sue, mime(spec), ['INBOX']);
        const deliveredAt = Date.now();
        await sim.deliver(A.sam, mime({ ...spec, bcc: A.sue }), ['SENT']);
        return { key: effectKey({ rule: 'no-blind-copies', itemKey: messageId, recipient: A.sam, kind: 'nudge' }), deliveredAt };
      };
      const sentAt = (key: string): number | undefined => sim.state.sent.find((s) => s.kind === 'mail' && s.headers['x-wardwatch-key'] === key)?.at;
      const explain = async (err: unknown, key: string): Promise<never> => {
        throw new Error(`${err instanceof Error ? err.message : String(err)} (its effect: ${(await running.store.getEffect(key))?.state ?? 'never recorded'}; see ${path.join(council.dir, 'wardwatch.log')}, kept with WARDWATCH_KEEP_TEST_DIR=1)`);
      };
      // One message through the whole path first (and the start-up digest out of the way), so that start-up costs are not counted.
      const warm = await blindCopy(0);
      await waitFor('the warm-up nudge', () => sentAt(warm.key), 90_000, 20).catch((err: unknown) => explain(err, warm.key));

      // Deliveries at random moments over the span: their phase against the 30 s poll is uniform.
      const span = count * LATENCY_SPREAD_MS;
      const offsets = Array.from({ length: count }, () => Math.random() * span).sort((a, b) => a - b);
      const from = sim.state.requests.length;
      const sentBefore = sim.state.sent.length;
      const started = Date.now();
      const samples: Sample[] = [];
      for (let n = 1; n <= count; n++) {
        await sleep(Math.max(0, started + (offsets[n - 1] ?? 0) - Date.now()));
        samples.push(await blindCopy(n));
      }
      for (const s of samples) {
        s.sentAt = await waitFor(`the nudge for a blind copy`, () => sentAt(s.key), 120_000, 20).catch((err: unknown) => explain(err, s.key));
        const created = (await running.store.getEffect(s.key))?.createdAt;
        if (created !== undefined) s.judgedAt = Date.parse(created);
        s.pickedUpAt = sim.state.requests.find((r) => r.api === 'gmail' && r.canonicalPath === samPath && r.at >= s.deliveredAt)?.at;
      }
      const requests = apiRequests(sim.state.requests.slice(from));
      const gmailUnits = requests.reduce((n, r) => n + r.quotaUnits, 0);
      const total = samples.map((s) => (s.sentAt ?? Number.NaN) - s.deliveredAt);
      const wait = samples.filter((s) => s.pickedUpAt !== undefined).map((s) => (s.pickedUpAt ?? 0) - s.deliveredAt);
      const rest = samples.filter((s) => s.pickedUpAt !== undefined).map((s) => (s.sentAt ?? Number.NaN) - (s.pickedUpAt ?? 0));
      const judged = samples.filter((s) => s.judgedAt !== undefined).map((s) => (s.judgedAt ?? 0) - s.deliveredAt);
      if (sim.state.sent.length - sentBefore < count) throw new Error(`${sim.state.sent.length - sentBefore} sends for ${count} blind copies`);
      return {
        count,
        spanSeconds: (Date.now() - started) / 1000,
        total,
        wait,
        rest,
        judged,
        pollRounds: requests.filter((r) => r.canonicalPath === samPath).length,
        gmailUnitsPerMessage: gmailUnits / count,
        requestsPerMessage: requests.length / count,
        detail: breakdown(requests),
      };
    } finally {
      await running.service.stop();
    }
  } finally {
    await council.stop();
  }
}

/* ------------------------------------------------------------------------ the section */

/** One part of the section: its lines; a failure is reported, and the other parts still run. */
async function part(lines: string[], name: string, run: (lines: string[]) => Promise<boolean>): Promise<boolean> {
  try {
    return await run(lines);
  } catch (err) {
    lines.push(`  ${name.padEnd(17)} could not be measured: ${err instanceof Error ? err.message : String(err)}`);
    return false;
  }
}

async function quotaAndIdle(lines: string[]): Promise<boolean> {
  const { first, incremental, idle, settings } = await connectorFigures();
  const per1000 = (n: number, f: SyncFigures): string => ((n * 1000) / f.records).toLocaleString('en-GB', { maximumFractionDigits: 0 });
  const agree = (f: SyncFigures): boolean => f.transportRequests === f.requests && f.transportUnits === f.units;
  const syncLine = (what: string, f: SyncFigures): string =>
    `${what} ${f.records.toLocaleString('en-GB')} messages: ${per1000(f.units, f)} Gmail quota units and ${per1000(f.requests, f)} requests per 1,000 (${f.gmailRequests} Gmail: ${f.detail}; ${f.tokens} sign-in${f.tokens === 1 ? '' : 's'}) in ${f.seconds.toFixed(2)} s; the transport counted ${f.transportRequests} requests, ${f.transportUnits} units${agree(f) ? ' (the same)' : ' (NOT the simulator\'s count)'}`;
  lines.push(
    `  quota/1,000       ${syncLine('first sync of', first)}`,
    `                    ${syncLine('incremental round,', incremental)}`,
    `                    each message is one messages.get format=raw (5 units): 5,000 units and 1,000 requests per 1,000 is the floor; page size ${settings.pageSize}`,
    `                    the most Gmail units one user spent in any one second: ${first.peakUnitsPerSecond.units} in the first sync (${localPart(first.peakUnitsPerSecond.user)}), ${incremental.peakUnitsPerSecond.units} in the incremental round (${localPart(incremental.peakUnitsPerSecond.user)}), on loopback with ${USER_CONCURRENCY} requests in flight per user (Gmail allows ${GMAIL_USER_UNITS_PER_SECOND})`,
  );
  const mail = idle.targets.filter((t) => !t.target.startsWith('calendar '));
  const calendars = idle.targets.filter((t) => t.target.startsWith('calendar '));
  const mostMail = mail.reduce((a, b) => (b.units > a.units || (b.units === a.units && b.requests > a.requests) ? b : a), { target: '', requests: 0, units: 0 });
  const ticksPerHour = 3600 / DEFAULT_POLL_SECONDS;
  const expectedTicks = idle.seconds / BENCH_POLL_SECONDS;
  const regular = idle.irregular === 0 && idle.tokens === 0;
  lines.push(
    `  idle hour         the connector's watch loop at ${BENCH_POLL_SECONDS} s for ${idle.seconds.toFixed(1)} s: ${idle.ticks} whole ticks (at most ${Math.floor(expectedTicks)} if a round took no time), ${spread(idle.perTickRequests)} requests and ${spread(idle.perTickUnits)} Gmail units a tick for ${settings.mailboxes.length} mailboxes and ${settings.calendars.length} calendars (in all ${idle.detail}; ${idle.tokens} sign-ins)`,
    `                    every target asked exactly once a tick: ${idle.irregular === 0 ? 'yes' : `NO, in ${idle.irregular} ticks`}; a mailbox a tick: ${mostMail.requests.toFixed(2)} request, ${mostMail.units.toFixed(2)} units at most (${localPart(mostMail.target)}); a calendar a tick: ${spread(calendars.map((c) => Number(c.requests.toFixed(2))))} request`,
    `                    at the default ${DEFAULT_POLL_SECONDS} s (${ticksPerHour} ticks): ${(ticksPerHour * mostMail.requests).toFixed(0)} requests and ${(ticksPerHour * mostMail.units).toFixed(0)} Gmail quota units per idle hour per mailbox; ${(ticksPerHour * (calendars[0]?.requests ?? 0)).toFixed(0)} Calendar requests per idle hour per calendar; sign-ins apart (a token lasts an hour: about one per user and scope an hour)`,
  );
  return agree(first) && agree(incremental) && regular;
}

async function latencyPart(lines: string[], count: number): Promise<boolean> {
  const l = await latency(count);
  const t = stats(l.total);
  const w = stats(l.wait);
  const r = stats(l.rest);
  const j = stats(l.judged);
  const s = (x: number): string => (x / 1000).toFixed(1);
  lines.push(
    `  latency           SENT copy delivered → nudge sent, default poll ${DEFAULT_POLL_SECONDS} s and default tuning, ${l.count} blind copies at random moments over ${l.spanSeconds.toFixed(0)} s: p50 ${s(t.p50)} s, p95 ${s(t.p95)} s, max ${s(t.max)} s (mean ${s(t.mean)} s)`,
    `                    of which the wait for the poll (delivery → the next history.list of Sam's mailbox): p50 ${s(w.p50)} s, p95 ${s(w.p95)} s, max ${s(w.max)} s (mean ${s(w.mean)} s; uniform over 30 s would be mean 15 s, p95 28.5 s); the rest: p50 ${(r.p50).toFixed(0)} ms, p95 ${r.p95.toFixed(0)} ms, max ${r.max.toFixed(0)} ms`,
    `                    judged and queued: p50 ${s(j.p50)} s, p95 ${s(j.p95)} s after delivery; ${l.pollRounds} rounds of Sam's mailbox in the window; ${l.requestsPerMessage.toFixed(1)} requests and ${l.gmailUnitsPerMessage.toFixed(0)} Gmail units a blind copy, idle polling of the window included (${l.detail})`,
  );
  return l.wait.length === l.count;
}

export async function googleBench(): Promise<{ ok: boolean; lines: string[] }> {
  const messages = Math.max(20, countFrom('WARDWATCH_BENCH_GOOGLE_MESSAGES', 24));
  const lines: string[] = [
    'Google Workspace connector (the Google simulator on loopback, in this process; Millbrook: 6 watched Gmail mailboxes, 2 calendars)',
  ];
  const connectorOk = await part(lines, 'quota/1,000', quotaAndIdle);
  const latencyOk = await part(lines, 'latency', (l) => latencyPart(l, messages));
  lines.push(
    `  for a council     Gmail allows ${GMAIL_USER_UNITS_PER_SECOND} quota units a second per user; Calendar ${CALENDAR_USER_PER_MINUTE} requests a minute per user (see docs/benchmarks.md)`,
    `  ${connectorOk && latencyOk ? 'measured (no targets for Google: the issue asks for the figures)' : 'SOME FIGURES COULD NOT BE MEASURED OR DID NOT ADD UP'}`,
  );
  return { ok: connectorOk && latencyOk, lines };
}
