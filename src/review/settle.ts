/**
 * Settled findings: a finding the Clerk dismissed (not a breach) or authorised, or that a
 * standing exception covers, plans no effects; what it had planned and is not yet sent is
 * withdrawn. Used when an item is evaluated (the pipeline) and when the Clerk settles a finding
 * (src/review/clerk-actions.ts), always inside the store transaction that records the change.
 */
import type { Item } from '../items/types.js';
import type { Finding } from '../model/finding.js';
import type { SettleFindings } from '../outbox/outbox.js';
import type { EffectRow, PersonChange, Repositories, Settlement, StandingException } from '../store/types.js';
import { exceptionSubjectOf, ExceptionMatcher, type ExceptionSubject } from './exceptions.js';

/**
 * Who makes the changes Wardwatch makes by itself (a finding a standing exception covers, settled
 * and its messages withdrawn), in the settlement and the audit. Reserved: no console account may
 * take this name, and the Clerk's actions refuse a person acting under it.
 */
export const AUTOMATIC_ACTOR = 'wardwatch';

/**
 * The states of an effect that has not gone and can still be withdrawn by a person. A `folded`
 * one only while the daily summary carrying it is still pending: it stays `folded` after the
 * summary has gone, and the store refuses to withdraw it then (withdrawEffect).
 */
export const UNSENT_STATES = ['awaiting-review', 'pending', 'folded'] as const;

/** A person's words (a reason, a note) inside a one-line sentence of an audit log: line breaks become spaces. */
export function oneLine(text: string): string {
  return text.replace(/[ \t]*\n\s*/g, ' ').trim();
}

/** True when the settlement covers the finding: same rule and item, and its message id when it names one. */
export function settles(settlement: Pick<Settlement, 'rule' | 'itemKey' | 'messageId'>, finding: Pick<Finding, 'rule' | 'item' | 'messageId'>): boolean {
  return (
    settlement.rule === finding.rule &&
    settlement.itemKey === finding.item.key &&
    (settlement.messageId === undefined || settlement.messageId === finding.messageId)
  );
}

/** The settlement covering the finding, if any (the first in the order given: the store lists newest first). */
export function settlementOf(settlements: readonly Settlement[], finding: Pick<Finding, 'rule' | 'item' | 'messageId'>): Settlement | undefined {
  return settlements.find((s) => settles(s, finding));
}

/**
 * Withdraw what a rule planned about an item and has not sent (awaiting review, queued, or folded
 * into a daily summary that has yet to go), with `change` in each effect's audit, except the
 * effects whose keys are in `keep` (what findings not settled still need). A reminder whose
 * summary is being sent or has gone is left as it is. Returns the effects withdrawn.
 */
export async function withdrawUnsent(
  tx: Repositories,
  rule: string,
  itemKey: string,
  now: string,
  change: PersonChange,
  keep?: ReadonlySet<string>,
): Promise<EffectRow[]> {
  const withdrawn: EffectRow[] = [];
  for (const effect of await tx.listEffects({ itemKey, rule, states: UNSENT_STATES })) {
    // The filter's rule is checked again: an adapter that ignored it must not withdraw another rule's effects.
    if (effect.rule !== rule || keep?.has(effect.key) === true) continue;
    if (await tx.withdrawEffect(effect.id, now, change)) withdrawn.push(effect);
  }
  return withdrawn;
}

/** What the pipeline learns from settling an item's findings (for its log). */
export interface SettlingReport {
  /** Findings already settled by a person (or an earlier exception). */
  settled: number;
  /** Findings a standing exception now covers: recorded as settled `excepted`. */
  excepted: { rule: string; exceptionId: number }[];
  /** Effects withdrawn because an exception now covers their finding. */
  withdrawn: string[];
}

/**
 * How the outbox learns which of an item's findings are settled: those covered by a settlement,
 * and those a standing exception in force covers (recorded as settled `excepted`, their unsent
 * effects withdrawn). `report` is filled in as it goes.
 */
export function settlingFor(item: Item | { key: string; subject: ExceptionSubject }, report?: SettlingReport): SettleFindings {
  const itemKey = item.key;
  const subject = 'kind' in item ? exceptionSubjectOf(item) : item.subject;
  return async (tx, findings, now) => {
    const settled = new Set<Finding>();
    if (findings.length === 0) return settled;
    const settlements = await tx.listSettlements({ itemKey });
    const matcher = new ExceptionMatcher(subject);
    let exceptions: StandingException[] | undefined;
    for (const finding of findings) {
      if (settlementOf(settlements, finding) !== undefined) {
        settled.add(finding);
        if (report) report.settled += 1;
        continue;
      }
      exceptions ??= await tx.listExceptions({ activeAt: now });
      const exception = matcher.covering(exceptions, finding.rule, now);
      if (exception === undefined) continue;
      const settlement = await tx.settleFinding({
        rule: finding.rule,
        itemKey,
        kind: 'excepted',
        reason: `Covered by standing exception ${exception.id}: ${oneLine(exception.reason)}`,
        actor: AUTOMATIC_ACTOR,
        at: now,
        exceptionId: exception.id,
      });
      settlements.push(settlement);
      const withdrawn = await withdrawUnsent(tx, finding.rule, itemKey, now, {
        actor: AUTOMATIC_ACTOR,
        outcome: `Withdrawn before it was sent: standing exception ${exception.id} covers this finding (${oneLine(exception.reason)}).`,
      });
      settled.add(finding);
      if (report) {
        report.excepted.push({ rule: finding.rule, exceptionId: exception.id });
        report.withdrawn.push(...withdrawn.map((e) => e.key));
      }
    }
    return settled;
  };
}
