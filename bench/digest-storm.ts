/**
 * The digest after a storm (issue 13: 20,000 findings made a 5.46 MB digest that took 20 s and
 * 500 MB to preview). `fillDigestStorm` records that many findings through the real outbox, with
 * the subject lines the service keeps; run on its own it measures a preview in a fresh process:
 *
 *   node dist/bench/digest-storm.js fill DIR 20000   # a store in DIR/state/wardwatch.sqlite
 *   node dist/bench/digest-storm.js preview DIR      # build and render the digest; prints size, time, peak RSS
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigSchema, type Config, type RuleId } from '../src/config/schema.js';
import { buildDigest } from '../src/digest/build.js';
import { composeDigest } from '../src/digest/send.js';
import { Engine } from '../src/engine/engine.js';
import type { Finding } from '../src/engine/types.js';
import { Outbox, planningContextFrom } from '../src/outbox/outbox.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import { benchCouncil } from './council.js';

const MEMBERS = ['alice.green@millbrook-tc.gov.uk', 'tom.brown@millbrook-tc.gov.uk', 'raj.mehta@millbrook-tc.gov.uk', 'sue.taylor@millbrook-tc.gov.uk'];
const RULES: readonly { rule: RuleId; clauses: string[]; summary: (who: string, n: number) => string }[] = [
  { rule: 'requests-via-clerk', clauses: ['4.6', '2.9'], summary: (who, n) => `${who} asked Sam Patel for work on the Castle Street bins (round ${n}) without copying in the Town Clerk.` },
  { rule: 'no-blind-copies', clauses: ['12.1'], summary: (who, n) => `${who} copied Cllr Raj Mehta blind on a message to Priya Shah about Market Square benches (round ${n}).` },
  { rule: 'state-capacity', clauses: ['004 11.5a'], summary: (who, n) => `${who} wrote to residents of Weir Road (round ${n}) without saying in what capacity.` },
];

export function stormConfig(): Config {
  return ConfigSchema.parse(benchCouncil);
}

/** Record `count` findings (one per message), as the service would after a storm of mail. */
export async function fillDigestStorm(store: SqliteStore, config: Config, count: number, start: Date): Promise<void> {
  const engine = new Engine(config);
  let now = start;
  const outbox = new Outbox(store, { planning: planningContextFrom(config, engine.directory), clock: () => now });
  for (let n = 0; n < count; n++) {
    now = new Date(start.getTime() + n * 20);
    const spec = RULES[n % RULES.length];
    const author = MEMBERS[n % MEMBERS.length];
    if (spec === undefined || author === undefined) continue;
    const who = engine.directory.person(author)?.name ?? author;
    const key = `<storm-${n}@millbrook-tc.gov.uk>`;
    const subject = `Castle Street bins, round ${n}`;
    await store.saveOriginal(key, Buffer.from(`Subject: ${subject}\r\n\r\nstorm\r\n`), now.toISOString(), {
      subject,
      date: now.toISOString(),
      from: [{ address: author, name: who }],
      to: [{ address: 'sam.patel@millbrook-tc.gov.uk', name: 'Sam Patel' }],
      cc: [],
    });
    const finding: Finding = {
      rule: spec.rule,
      severity: 'warning',
      clauses: spec.clauses,
      item: { kind: 'mail', key },
      people: [author],
      summary: spec.summary(who, n),
      actions: [
        { kind: 'nudge', to: [author] },
        { kind: 'digest', to: [] },
      ],
      why: [{ kind: 'fact', text: `${who} (member) wrote to Sam Patel (officer)` }],
      messageId: 'storm',
      targets: { offender: author },
    };
    await outbox.record({ key, contentHash: `storm-${n}` }, [finding]);
  }
}

async function main(argv: readonly string[]): Promise<void> {
  const [mode, dir, countText] = argv;
  if (dir === undefined || (mode !== 'fill' && mode !== 'preview')) {
    process.stderr.write('usage: digest-storm.js fill DIR COUNT | preview DIR\n');
    process.exitCode = 2;
    return;
  }
  const config = stormConfig();
  mkdirSync(path.join(dir, 'state'), { recursive: true });
  const store = new SqliteStore(path.join(dir, 'state', 'wardwatch.sqlite'));
  const start = new Date('2026-11-20T09:00:00.000Z');
  if (mode === 'fill') {
    await fillDigestStorm(store, config, Number(countText ?? '20000'), start);
    await store.close();
    return;
  }
  const began = performance.now();
  const engine = new Engine(config);
  const built = await buildDigest({ store, engine, config }, { date: '2026-11-20', until: '2026-11-21T07:30:00.000Z' });
  const message = composeDigest(built, { engine, config });
  const seconds = (performance.now() - began) / 1000;
  const attached = (message.attachments ?? []).reduce((n, a) => n + Buffer.byteLength(a.content), 0);
  process.stdout.write(
    `${JSON.stringify({
      findings: built.sections.totals.findings,
      textBytes: Buffer.byteLength(message.text),
      htmlBytes: Buffer.byteLength(message.html ?? ''),
      attachmentBytes: attached,
      seconds: Number(seconds.toFixed(2)),
      peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    })}\n`,
  );
  await store.close();
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main(process.argv.slice(2));
