/** Shared fixtures for the store and outbox tests: a temp directory, a store, findings, a clock. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ActionKind, RuleId } from '../../src/config/schema.js';
import type { Finding, PlannedAction } from '../../src/engine/types.js';
import { planningContextFrom, type PlanningContext } from '../../src/outbox/outbox.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { council, directory } from '../support/council.js';

export interface TempDir {
  path: string;
  file(name: string): string;
  remove(): void;
}

export function tempDir(): TempDir {
  const path = mkdtempSync(join(tmpdir(), 'wardwatch-store-'));
  return {
    path,
    file: (name) => join(path, name),
    remove: () => rmSync(path, { recursive: true, force: true }),
  };
}

/** Opens stores in a temp dir and closes them all at the end of a test. */
export class StoreBench {
  readonly dir = tempDir();
  private readonly open: SqliteStore[] = [];
  readonly dbPath = this.dir.file('state/wardwatch.sqlite');

  store(): SqliteStore {
    const s = new SqliteStore(this.dbPath);
    this.open.push(s);
    return s;
  }

  async dispose(): Promise<void> {
    for (const s of this.open) await s.close();
    this.dir.remove();
  }
}

export function action(kind: ActionKind, to: string[] = [], extra: Partial<PlannedAction> = {}): PlannedAction {
  return { kind, to, ...extra };
}

export function finding(spec: { rule?: RuleId; itemKey: string; actions: PlannedAction[]; summary?: string; private?: boolean; topic?: string }): Finding {
  const f: Finding = {
    rule: spec.rule ?? 'no-blind-copies',
    severity: 'warning',
    clauses: ['12.1'],
    item: { kind: 'mail', key: spec.itemKey },
    people: spec.actions.flatMap((a) => a.to),
    summary: spec.summary ?? `A member was copied blind on ${spec.itemKey}.`,
    actions: spec.actions,
    why: [{ kind: 'fact', text: 'Bcc: alice.green@millbrook-tc.gov.uk' }],
    messageId: 'bcc-member',
    targets: {},
  };
  if (spec.private !== undefined) f.private = spec.private;
  if (spec.topic !== undefined) f.topic = spec.topic;
  return f;
}

/** A clock the test moves by hand. */
export class FakeClock {
  constructor(private instant: Date) {}
  now = (): Date => new Date(this.instant.getTime());
  set(iso: string): void {
    this.instant = new Date(iso);
  }
  advance(ms: number): void {
    this.instant = new Date(this.instant.getTime() + ms);
  }
}

export const planning: PlanningContext = planningContextFrom(council, directory);
