/**
 * The promise every fault is checked against, in one place: for each consumer, no
 * expected event lost, none applied twice, none applied against its filter, none both
 * applied and parked, no valid event parked and no invalid one left unparked (a DLQ
 * entry or a stale skip must not pass for handling when it is wrong). Listed by id, so a
 * failure names the events.
 */
import { expect } from 'vitest';
import type { RunReport } from '../../../local/report';

/** Asserts nothing was lost or applied twice by `consumers` (all of the report's when omitted). */
export function expectNothingLostOrTwice(report: RunReport, consumers: readonly string[] = Object.keys(report.consumers)): void {
  for (const name of consumers) {
    const c = report.consumers[name]!;
    expect({
      name,
      lost: c.problems.lost,
      duplicateEffects: c.problems.duplicateEffects,
      unexpected: c.problems.unexpected,
      contradictory: c.problems.contradictory,
      validDeadLettered: c.problems.validDeadLettered,
      invalidNotDeadLettered: c.problems.invalidNotDeadLettered,
    }).toEqual({ name, lost: [], duplicateEffects: [], unexpected: [], contradictory: [], validDeadLettered: [], invalidNotDeadLettered: [] });
  }
}
