/**
 * The pipeline's health at a glance, per consumer: backlog, DLQs, age of the oldest
 * message and the states of its alarms; and whether anything needs an operator. Pure:
 * the numbers are read by ops/adapters and passed in.
 */
import type { AlarmSpec } from '../model/alarm-catalog';

/** One alarm and its state; `n/a` when the endpoint has no such alarm. */
export interface AlarmStatus {
  readonly id: string;
  readonly alarmName: string;
  readonly state: string;
  /** Where the runbook explains it. */
  readonly runbook: string;
}

/** A consumer's status. `null` numbers are "n/a": the endpoint has no metrics for them. */
export interface ConsumerStatus {
  readonly consumer: string;
  readonly visible: number;
  readonly inFlight: number;
  readonly dlq: number;
  readonly subscriptionDlq: number | null;
  readonly oldestMessageAgeSeconds: number | null;
  readonly alarms: readonly AlarmStatus[];
}

/** The alarm statuses of one subject, from the catalog and the states read from CloudWatch. */
export function alarmStatuses(specs: readonly AlarmSpec[], subject: string, states: ReadonlyMap<string, string>): AlarmStatus[] {
  return specs
    .filter((s) => s.subject.name === subject)
    .map((s) => ({ id: s.id, alarmName: s.alarmName, state: states.get(s.alarmName) ?? 'n/a', runbook: `RUNBOOK.md#${s.runbookAnchor}` }));
}

/** What needs an operator: messages in a DLQ, an alarm firing. Empty when all is well. */
export function problems(consumers: readonly ConsumerStatus[], topicAlarms: readonly AlarmStatus[]): string[] {
  const out: string[] = [];
  for (const c of consumers) {
    if (c.dlq > 0) out.push(`${c.consumer}: ${c.dlq} message${c.dlq === 1 ? '' : 's'} in the DLQ (fanout dlq ${c.consumer})`);
    if ((c.subscriptionDlq ?? 0) > 0) out.push(`${c.consumer}: ${c.subscriptionDlq} undeliverable in the subscription DLQ (fanout dlq ${c.consumer} --subscription)`);
    for (const a of c.alarms) if (a.state === 'ALARM') out.push(`${a.alarmName} is in ALARM (${a.runbook})`);
  }
  for (const a of topicAlarms) if (a.state === 'ALARM') out.push(`${a.alarmName} is in ALARM (${a.runbook})`);
  return out;
}

function na(value: number | null, unit = ''): string {
  return value === null ? 'n/a' : `${Math.round(value)}${unit}`;
}

/** A table for people: one row per consumer, then the alarms that are not OK, then the problems. */
export function formatStatus(pipeline: string, consumers: readonly ConsumerStatus[], topicAlarms: readonly AlarmStatus[]): string {
  const header = ['consumer', 'visible', 'in flight', 'DLQ', 'sub DLQ', 'oldest', 'alarms'];
  const rows = consumers.map((c) => {
    const counts = new Map<string, number>();
    for (const a of c.alarms) counts.set(a.state, (counts.get(a.state) ?? 0) + 1);
    const alarms = [...counts.entries()].map(([state, n]) => `${n} ${state}`).join(', ') || 'none';
    return [c.consumer, String(c.visible), String(c.inFlight), String(c.dlq), na(c.subscriptionDlq), na(c.oldestMessageAgeSeconds, ' s'), alarms];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const render = (cells: readonly string[]) => cells.map((cell, i) => (i === 0 || i === cells.length - 1 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ').trimEnd();
  const out = [`Pipeline ${pipeline}`, render(header), ...rows.map(render)];
  const notOk = [...consumers.flatMap((c) => c.alarms), ...topicAlarms].filter((a) => a.state !== 'OK' && a.state !== 'n/a');
  if (notOk.length > 0) {
    out.push('', 'Alarms not OK:');
    for (const a of notOk) out.push(`  ${a.state.padEnd(17)} ${a.alarmName}  (${a.runbook})`);
  }
  const all = [...consumers.flatMap((c) => c.alarms), ...topicAlarms];
  if (all.length > 0 && all.every((a) => a.state === 'n/a')) out.push('', 'Alarms: n/a (none found on this endpoint; the local emulator evaluates no alarms).');
  if (consumers.some((c) => c.oldestMessageAgeSeconds === null)) out.push('Oldest message age: n/a where CloudWatch has no datapoint (the local emulator publishes no SQS metrics).');
  const found = problems(consumers, topicAlarms);
  out.push('', found.length === 0 ? 'No problems found.' : `Problems (${found.length}):`);
  for (const p of found) out.push(`  - ${p}`);
  return out.join('\n');
}
