/**
 * An end-to-end bench for the executor: a real SQLite store in a temp folder, the real Engine with
 * the Millbrook fixture, the real outbox and templates, and the file sender writing .eml files.
 * Items are recorded the way the service records them (original kept, event summarised), and the
 * messages written are parsed back with mailparser.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import { createExecutor, type ExecutorDeps } from '../../src/actions/executor.js';
import { FileSender } from '../../src/actions/file-sender.js';
import { ConfigSchema, type Config } from '../../src/config/schema.js';
import { Engine } from '../../src/engine/engine.js';
import type { Finding } from '../../src/engine/types.js';
import { headlineOf } from '../../src/items/headline.js';
import { parseMail } from '../../src/items/mail-parse.js';
import type { Address, EventItem, MailItem } from '../../src/items/types.js';
import { Outbox, planningContextFrom, type RunReport } from '../../src/outbox/outbox.js';
import { eventSummaryOf } from '../../src/service/pipeline.js';
import type { EventRef, MailSender, OutgoingMessage, RecordSink, SourceCapabilities, SourceConnector } from '../../src/sources/types.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import type { EffectRow, EvaluationOutcome } from '../../src/store/types.js';
import { councilConfigInput } from '../support/council.js';

/** A calendar source held in memory: records what it was asked to do. */
export class FakeCalendarSource implements SourceConnector {
  readonly addAttendeesCalls: { ref: EventRef; attendees: Address[] }[] = [];
  readonly declineCalls: { ref: EventRef; roomAddress: string | undefined; reason: string }[] = [];
  failNext: Error | undefined;

  constructor(
    readonly name: string,
    readonly capabilities: SourceCapabilities,
  ) {}

  async sync(_sink: RecordSink): Promise<void> {}
  async watch(_sink: RecordSink, _signal: AbortSignal): Promise<void> {}

  async addAttendees(ref: EventRef, attendees: Address[]): Promise<void> {
    this.throwIfAsked();
    this.addAttendeesCalls.push({ ref, attendees });
  }

  async declineBooking(ref: EventRef, roomAddress: string | undefined, reason: string): Promise<void> {
    this.throwIfAsked();
    this.declineCalls.push({ ref, roomAddress, reason });
  }

  async close(): Promise<void> {}

  private throwIfAsked(): void {
    const err = this.failNext;
    this.failNext = undefined;
    if (err) throw err;
  }
}

/** Wraps a sender: fails the sends the test asks for, counts the rest. */
export class ScriptedSender implements MailSender {
  readonly name = 'scripted';
  readonly sent: OutgoingMessage[] = [];
  /** Errors to throw on the next sends, in order. */
  readonly failures: Error[] = [];

  constructor(private readonly inner: FileSender) {}

  async send(message: OutgoingMessage): Promise<void> {
    const failure = this.failures.shift();
    if (failure) throw failure;
    await this.inner.send(message);
    this.sent.push(message);
  }

  alreadySent(messageId: string): Promise<boolean> {
    return this.inner.alreadySent(messageId);
  }

  async close(): Promise<void> {}
}

export interface RawMailSpec {
  messageId: string;
  from: string;
  to: string[];
  cc?: string[];
  bcc?: string[];
  /** The Subject header as written (may be an encoded word). */
  subject: string;
  body: string;
  date?: string;
  extraHeaders?: string[];
}

export function rawMail(spec: RawMailSpec): Buffer {
  const lines = [
    `From: ${spec.from}`,
    `To: ${spec.to.join(', ')}`,
    ...(spec.cc && spec.cc.length > 0 ? [`Cc: ${spec.cc.join(', ')}`] : []),
    ...(spec.bcc && spec.bcc.length > 0 ? [`Bcc: ${spec.bcc.join(', ')}`] : []),
    `Subject: ${spec.subject}`,
    `Date: ${spec.date ?? 'Fri, 20 Nov 2026 09:30:00 +0000'}`,
    `Message-ID: ${spec.messageId}`,
    ...(spec.extraHeaders ?? []),
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    ...spec.body.split('\n'),
    '',
  ];
  return Buffer.from(lines.join('\r\n'), 'utf8');
}

function addresses(value: AddressObject | AddressObject[] | undefined): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).flatMap((a) => a.value.map((v) => v.address ?? ''));
}

export interface Written {
  file: string;
  raw: string;
  mail: ParsedMail;
  to: string[];
  cc: string[];
  bcc: string[];
  key: string | undefined;
}

export class ActionBench {
  readonly dir = mkdtempSync(path.join(tmpdir(), 'wardwatch-actions-'));
  readonly outboxDir = path.join(this.dir, 'outbox');
  readonly config: Config;
  readonly store: SqliteStore;
  readonly engine: Engine;
  readonly outbox: Outbox;
  readonly fileSender = new FileSender(this.outboxDir);
  readonly sender = new ScriptedSender(this.fileSender);
  readonly sources = new Map<string, FakeCalendarSource>();
  private instant: Date;

  constructor(opts: { now: string; config?: Record<string, unknown>; templatesDir?: string }) {
    this.instant = new Date(opts.now);
    this.config = ConfigSchema.parse({ ...councilConfigInput, ...opts.config });
    this.store = new SqliteStore(path.join(this.dir, 'state', 'wardwatch.sqlite'));
    this.engine = new Engine(this.config);
    this.outbox = new Outbox(this.store, {
      planning: planningContextFrom(this.config, this.engine.directory),
      sender: this.sender,
      clock: this.now,
    });
    this.templatesDir = opts.templatesDir;
  }

  private readonly templatesDir: string | undefined;

  now = (): Date => new Date(this.instant.getTime());

  setNow(iso: string): void {
    this.instant = new Date(iso);
  }

  advance(ms: number): void {
    this.instant = new Date(this.instant.getTime() + ms);
  }

  executorDeps(overrides: Partial<ExecutorDeps> = {}): ExecutorDeps {
    return {
      store: this.store,
      engine: this.engine,
      config: this.config,
      sender: this.sender,
      calendarOwner: (id) => this.sources.get(id),
      ...(this.templatesDir !== undefined ? { templatesDir: this.templatesDir } : {}),
      now: this.now,
      ...overrides,
    };
  }

  /** Carry out every due effect. */
  run(overrides: Partial<ExecutorDeps> = {}): Promise<RunReport> {
    return this.outbox.runDue(createExecutor(this.executorDeps(overrides)), 500);
  }

  /** Parse a raw message as the folder source would find it, judge it and record it as the service does. */
  async recordMail(
    source: Buffer,
    copy: { mailbox: string; folder: string },
    opts: { dryRun?: boolean; keepOriginal?: boolean; original?: Buffer; withoutHeadline?: boolean } = {},
  ): Promise<{ item: MailItem; findings: Finding[]; outcome: EvaluationOutcome }> {
    const item = await parseMail(source, { ...copy, origin: `test:${copy.mailbox}/${copy.folder}` });
    const findings = this.engine.evaluate(item, this.now().toISOString()).findings;
    // As the service keeps it: the original with its headline (`withoutHeadline`: as saved before headlines were kept).
    if (opts.keepOriginal !== false) {
      await this.store.saveOriginal(item.key, opts.original ?? source, this.now().toISOString(), opts.withoutHeadline ? undefined : headlineOf(item));
    }
    const outcome = await this.outbox.record({ key: item.key, contentHash: item.contentHash }, findings, opts.dryRun ? { dryRun: true } : {});
    return { item, findings, outcome };
  }

  /** Judge an event and record it, with its summary, as the service does. */
  async recordEvent(item: EventItem, opts: { dryRun?: boolean; keepSummary?: boolean } = {}): Promise<{ findings: Finding[]; outcome: EvaluationOutcome }> {
    const findings = this.engine.evaluate(item, this.now().toISOString()).findings;
    if (opts.keepSummary !== false) await this.store.upsertEvent(eventSummaryOf(item, this.engine, this.now()), this.now().toISOString());
    const outcome = await this.outbox.record({ key: item.key, contentHash: item.contentHash }, findings, opts.dryRun ? { dryRun: true } : {});
    return { findings, outcome };
  }

  async effects(itemKey?: string): Promise<EffectRow[]> {
    return await this.store.listEffects(itemKey !== undefined ? { itemKey } : {});
  }

  async effect(kind: EffectRow['kind'], recipient?: string): Promise<EffectRow> {
    const found = (await this.effects()).find((e) => e.kind === kind && (recipient === undefined || e.recipient === recipient));
    if (!found) throw new Error(`no ${kind} effect${recipient ? ` to ${recipient}` : ''}; have: ${(await this.effects()).map((e) => e.key).join(', ')}`);
    return found;
  }

  files(): string[] {
    try {
      return readdirSync(this.outboxDir).filter((f) => f.endsWith('.eml')).sort();
    } catch {
      return [];
    }
  }

  /** Every message written, parsed back. */
  async written(): Promise<Written[]> {
    const out: Written[] = [];
    for (const file of this.files()) {
      const raw = readFileSync(path.join(this.outboxDir, file), 'utf8');
      const mail = await simpleParser(raw);
      const key = mail.headers.get('x-wardwatch-key');
      out.push({ file, raw, mail, to: addresses(mail.to), cc: addresses(mail.cc), bcc: addresses(mail.bcc), key: typeof key === 'string' ? key : undefined });
    }
    return out;
  }

  /** The one message written to `address` whose Message-ID is `messageId`. */
  async writtenWithId(messageId: string): Promise<Written> {
    const found = (await this.written()).find((w) => w.mail.messageId === messageId);
    if (!found) throw new Error(`no message ${messageId} was written; have: ${this.files().join(', ')}`);
    return found;
  }

  async dispose(): Promise<void> {
    await this.store.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
