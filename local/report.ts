/**
 * The end-of-run report: per consumer, what should have happened (from the
 * subscriptions' filter policies over what was published) against what did (from what
 * the downstream recorded and what sits in the dead-letter queue), and the end-to-end
 * latency. Pure: the observations are gathered elsewhere (observe.ts).
 *
 * Per consumer, every expected event ends in exactly one of: applied (an effect-log
 * item), stale skipped (the ordering guard refused it: nothing to write), dead-lettered,
 * or lost. So `expected = applied + staleSkipped + deadLettered + lost` when nothing
 * was applied that should not have been.
 */
import { matchesFilterPolicy, type FilterPolicyScope } from '../model/filter-policy';
import type { PublicationRecord } from './demo-workload';

/** What the template says about one consumer (resolved to local names). */
export interface ConsumerTarget {
  readonly name: string;
  /** The topic its subscription listens to. */
  readonly topicArn: string;
  readonly filterPolicy?: Record<string, unknown>;
  readonly filterPolicyScope: FilterPolicyScope;
}

/** One effect-log item of a downstream table. */
export interface EffectRecord {
  readonly applications: number;
  /** When it was first applied, epoch ms. */
  readonly appliedAtMs: number;
}

/** One message found in a dead-letter queue. */
export interface DeadLetter {
  /** The error name and message the consumer recorded; undefined when it carries none (moved by the queue's redrive policy). */
  readonly reason?: string;
  readonly errorName?: string;
}

/**
 * How a consumer's execution environments fared: invocations that ran past the function
 * timeout, environments that died under an invocation, and environments that failed to
 * initialize. Each lost its batch to the visibility timeout, not to the DLQ.
 * `LocalFunction.stats` has this shape.
 */
export interface InvocationCounts {
  readonly timeouts: number;
  readonly crashes: number;
  readonly initFailures: number;
}

/** What was observed of one consumer during and after the run. */
export interface ConsumerObservations {
  /** Effect-log items by event id, for this run's events. */
  readonly effects: ReadonlyMap<string, EffectRecord>;
  /** DLQ messages by event id, for this run's events. */
  readonly deadLetters: ReadonlyMap<string, DeadLetter>;
  /**
   * DLQ messages that could not be read (e.g. FIFO groups held by others), of this run
   * or not: no id is known, so they are a note beside the counts, never one of them.
   */
  readonly unreadDeadLetters: number;
  /** Events the consumer reported skipping as stale (its logs). */
  readonly staleIds: ReadonlySet<string>;
  /** Deliveries the consumer absorbed as duplicates (its Duplicate metric). */
  readonly duplicatesSuppressed: number;
  /** Deliveries that were retries (ApproximateReceiveCount > 1, seen by the poller). */
  readonly retried: number;
  /** Timeouts, crashes and init failures of its environments (its `LocalFunction.stats`). @default none */
  readonly invocations?: InvocationCounts;
  /**
   * Attempts that failed and left the event for a retry, epoch ms, by event id (the
   * consumer's own log, see {@link failedAttemptsInLog}): what tells an effect applied
   * after a retry from one applied at its first attempt. @default none known
   */
  readonly failedAttempts?: ReadonlyMap<string, readonly number[]>;
}

/** The ids behind any count that is not as it should be. */
export interface ConsumerProblems {
  /** Expected, and neither applied, stale skipped nor dead-lettered. */
  readonly lost: readonly string[];
  /** Applied although the filter policy does not select them. */
  readonly unexpected: readonly string[];
  /** Applied more than once. */
  readonly duplicateEffects: readonly string[];
  /** Schema-invalid events that are not in the DLQ, or are there without a reason. */
  readonly invalidNotDeadLettered: readonly string[];
  /** Valid events that ended in the DLQ, with why. */
  readonly validDeadLettered: readonly { readonly id: string; readonly reason: string }[];
  /** Both applied and reported stale, or applied and dead-lettered. */
  readonly contradictory: readonly string[];
}

/** One consumer's line of the report. */
export interface ConsumerReport {
  readonly expected: number;
  readonly applied: number;
  readonly duplicatesSuppressed: number;
  readonly staleSkipped: number;
  readonly retried: number;
  /** This run's events found in the DLQ (read, so known by id). */
  readonly deadLettered: number;
  /** Messages in the DLQ that could not be read; see {@link ConsumerObservations.unreadDeadLetters}. */
  readonly unreadDeadLetters: number;
  readonly lost: number;
  readonly duplicateEffects: number;
  /** Of `expected`, how many were schema-invalid (and so belong in the DLQ). */
  readonly expectedInvalid: number;
  /** Dead-lettered messages by error name. */
  readonly deadLetterReasons: Readonly<Record<string, number>>;
  /**
   * Timeouts, crashes and init failures of its execution environments. Always set by
   * {@link reconcileConsumer}; optional so that reports written before it was counted still read.
   */
  readonly invocations?: InvocationCounts;
  readonly problems: ConsumerProblems;
}

/** Latency percentiles, milliseconds. */
export interface LatencySummary {
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly samples: number;
}

/** The report `--report` writes. */
export interface RunReport {
  /** Publications SNS accepted (a duplicate counts twice: it was published twice). */
  readonly published: number;
  readonly consumers: Readonly<Record<string, ConsumerReport>>;
  /** From each event's envelope `time` to its effect being recorded downstream. */
  readonly latencyMs: LatencySummary;
  /**
   * The same latencies apart by attempt: effects applied at their first attempt, and
   * effects applied after a failed one (see {@link effectLatencyRecords}). Always set by
   * {@link buildReport}; optional so that reports written before it was measured still read.
   */
  readonly latencyByAttemptMs?: { readonly firstTry: LatencySummary; readonly retried: LatencySummary };
}

/** Nearest-rank percentile of unsorted values; 0 for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/** The events (by id) a consumer's subscription delivers: valid and invalid. */
export function expectedEvents(publications: readonly PublicationRecord[], target: ConsumerTarget): { valid: Set<string>; invalid: Set<string> } {
  const valid = new Set<string>();
  const invalid = new Set<string>();
  for (const publication of publications) {
    if (publication.topicArn !== target.topicArn) continue;
    if (!matchesFilterPolicy(target.filterPolicy, target.filterPolicyScope, publication.message)) continue;
    (publication.event.valid ? valid : invalid).add(publication.event.id);
  }
  return { valid, invalid };
}

/** Reconciles one consumer's expectations with what was observed. */
export function reconcileConsumer(publications: readonly PublicationRecord[], target: ConsumerTarget, observed: ConsumerObservations): ConsumerReport {
  const { valid, invalid } = expectedEvents(publications, target);
  const expected = new Set([...valid, ...invalid]);
  // An effect-log item counts as applied only when it records an application: an item
  // with its keys alone is a write half lost, and the event is not applied.
  const isApplied = (id: string) => (observed.effects.get(id)?.applications ?? 0) >= 1;
  const applied = [...observed.effects.keys()].filter(isApplied);
  const handled = (id: string) => isApplied(id) || observed.staleIds.has(id) || observed.deadLetters.has(id);
  const lost = [...expected].filter((id) => !handled(id));
  const unexpected = applied.filter((id) => !expected.has(id));
  const duplicateEffects = applied.filter((id) => observed.effects.get(id)!.applications > 1);
  const invalidNotDeadLettered = [...invalid].filter((id) => !observed.deadLetters.get(id)?.reason);
  const validDeadLettered = [...valid]
    .filter((id) => observed.deadLetters.has(id))
    .map((id) => ({ id, reason: observed.deadLetters.get(id)!.reason ?? 'moved by the redrive policy (maxReceiveCount reached)' }));
  const contradictory = [...expected].filter(
    (id) => Number(isApplied(id)) + Number(observed.staleIds.has(id)) + Number(observed.deadLetters.has(id)) > 1,
  );
  const deadLetterReasons: Record<string, number> = {};
  for (const letter of observed.deadLetters.values()) {
    const name = letter.errorName ?? 'redrive policy';
    deadLetterReasons[name] = (deadLetterReasons[name] ?? 0) + 1;
  }
  return {
    expected: expected.size,
    applied: applied.length,
    duplicatesSuppressed: observed.duplicatesSuppressed,
    staleSkipped: [...observed.staleIds].filter((id) => expected.has(id) && !isApplied(id)).length,
    retried: observed.retried,
    deadLettered: observed.deadLetters.size,
    unreadDeadLetters: observed.unreadDeadLetters,
    lost: lost.length,
    duplicateEffects: duplicateEffects.length,
    expectedInvalid: invalid.size,
    deadLetterReasons,
    // Copied, not referenced: the function's live counters keep counting after the report.
    invocations: {
      timeouts: observed.invocations?.timeouts ?? 0,
      crashes: observed.invocations?.crashes ?? 0,
      initFailures: observed.invocations?.initFailures ?? 0,
    },
    problems: { lost, unexpected, duplicateEffects, invalidNotDeadLettered, validDeadLettered, contradictory },
  };
}

/** The whole report. */
export function buildReport(
  publications: readonly PublicationRecord[],
  targets: readonly ConsumerTarget[],
  observations: ReadonlyMap<string, ConsumerObservations>,
): RunReport {
  const consumers: Record<string, ConsumerReport> = {};
  for (const target of targets) consumers[target.name] = reconcileConsumer(publications, target, observations.get(target.name)!);
  const records = effectLatencyRecords(
    publications,
    new Map(targets.map((target) => [target.name, observations.get(target.name)!])),
  );
  const summary = (latencies: readonly number[]): LatencySummary => ({
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    samples: latencies.length,
  });
  return {
    published: publications.length,
    consumers,
    latencyMs: summary(records.map((r) => r.latencyMs)),
    latencyByAttemptMs: {
      firstTry: summary(records.filter((r) => !r.retried).map((r) => r.latencyMs)),
      retried: summary(records.filter((r) => r.retried).map((r) => r.latencyMs)),
    },
  };
}

/**
 * True when every consumer handled every expected event exactly once, as it should:
 * valid events applied or skipped as stale, invalid ones dead-lettered with a reason.
 * A valid event in a DLQ is not lost, but the run did not do what it should.
 */
export function reportIsClean(report: RunReport): boolean {
  return Object.values(report.consumers).every(
    (c) =>
      c.lost === 0 &&
      c.duplicateEffects === 0 &&
      c.problems.unexpected.length === 0 &&
      c.problems.invalidNotDeadLettered.length === 0 &&
      c.problems.validDeadLettered.length === 0 &&
      c.problems.contradictory.length === 0,
  );
}

/** The report's columns: key of {@link ConsumerReport} and heading (the text and HTML reports share them). */
export const REPORT_COLUMNS = [
  ['expected', 'expected'],
  ['applied', 'applied'],
  ['duplicatesSuppressed', 'dup. suppressed'],
  ['staleSkipped', 'stale skipped'],
  ['retried', 'retried'],
  ['deadLettered', 'dead-lettered'],
  ['lost', 'lost'],
  ['duplicateEffects', 'dup. effects'],
] as const;

/** One effect's end-to-end latency, and whether it took more than one attempt. */
export interface EffectLatency {
  readonly consumer: string;
  readonly eventId: string;
  /** From the envelope time to the effect being recorded downstream, ms. */
  readonly latencyMs: number;
  /** When the downstream recorded it, epoch ms. */
  readonly appliedAtMs: number;
  /** An attempt of this consumer failed with this event before its effect was recorded. */
  readonly retried: boolean;
}

/**
 * Every effect of this run's events, with its end-to-end latency from the envelope time,
 * per consumer (buildReport's percentiles and the HTML report's charts use the same).
 *
 * An effect counts as retried when one of the consumer's attempts failed with its event
 * at or before the moment the effect was recorded: the effect is then the work of a later
 * attempt, after the backoff. A failure logged after the effect (a call that failed once
 * its write had committed) leaves it a first-try effect: that is when it was applied.
 * The records of a batch that crashed or timed out carry no failure line of their own,
 * so an effect applied on their redelivery counts as first-try.
 */
export function effectLatencyRecords(publications: readonly PublicationRecord[], observations: ReadonlyMap<string, ConsumerObservations>): EffectLatency[] {
  const eventTime = new Map(publications.map((p) => [p.event.id, p.eventTimeMs]));
  const records: EffectLatency[] = [];
  for (const [consumer, observed] of observations) {
    for (const [eventId, effect] of observed.effects) {
      const time = eventTime.get(eventId);
      if (time === undefined) continue;
      const retried = (observed.failedAttempts?.get(eventId) ?? []).some((failedAtMs) => failedAtMs <= effect.appliedAtMs);
      records.push({ consumer, eventId, latencyMs: Math.max(0, effect.appliedAtMs - time), appliedAtMs: effect.appliedAtMs, retried });
    }
  }
  return records;
}

/**
 * The attempts a consumer's log says failed and left their event for a retry, epoch ms by
 * event id: the kit logs each with its `event_id` and `destination: "retry"` (a
 * transient failure, or a DLQ send that failed). Lines that are not the kit's JSON are
 * skipped, as CloudWatch Logs Insights would.
 */
export function failedAttemptsInLog(log: string): Map<string, number[]> {
  const attempts = new Map<string, number[]>();
  for (const line of log.split('\n')) {
    if (!line.startsWith('{') || !line.includes('"destination":"retry"')) continue;
    let document: { event_id?: unknown; destination?: unknown; timestamp?: unknown };
    try {
      document = JSON.parse(line) as typeof document;
    } catch {
      continue;
    }
    if (document.destination !== 'retry' || typeof document.event_id !== 'string' || typeof document.timestamp !== 'string') continue;
    const at = Date.parse(document.timestamp);
    if (Number.isNaN(at)) continue;
    const list = attempts.get(document.event_id) ?? [];
    list.push(at);
    attempts.set(document.event_id, list);
  }
  return attempts;
}

/**
 * One line naming every consumer whose invocations timed out, crashed or failed to
 * initialize, e.g. `invocations: crm-sync 2 timed out, 1 crashed; ...`; undefined when none did.
 */
export function describeInvocations(report: RunReport): string | undefined {
  const parts = Object.entries(report.consumers).flatMap(([name, c]) => {
    const { timeouts = 0, crashes = 0, initFailures = 0 } = c.invocations ?? {};
    const what = [
      ...(timeouts ? [`${timeouts} timed out`] : []),
      ...(crashes ? [`${crashes} crashed`] : []),
      ...(initFailures ? [`${initFailures} failed to initialize`] : []),
    ];
    return what.length ? [`${name} ${what.join(', ')}`] : [];
  });
  if (parts.length === 0) return undefined;
  return `invocations: ${parts.join('; ')} (each environment replaced; the batch's messages returned after the visibility timeout)`;
}

/** The report as a text table, one row per consumer, then timeouts and crashes if any, then latency. */
export function renderReport(report: RunReport): string {
  const names = Object.keys(report.consumers);
  const width = Math.max('consumer'.length, ...names.map((n) => n.length));
  const cell = (text: string, w: number) => text.padStart(w);
  const header = ['consumer'.padEnd(width), ...REPORT_COLUMNS.map(([, label]) => label)].join('  ');
  const rule = '-'.repeat(header.length);
  const rows = names.map((name) => {
    const c = report.consumers[name]!;
    return [name.padEnd(width), ...REPORT_COLUMNS.map(([key, label]) => cell(String(c[key]), label.length))].join('  ');
  });
  const { p50, p95, p99, samples } = report.latencyMs;
  return [
    header,
    rule,
    ...rows,
    rule,
    ...[describeInvocations(report)].filter((line) => line !== undefined),
    `end-to-end latency (event time to effect recorded downstream, ${samples} effects): p50 ${p50} ms, p95 ${p95} ms, p99 ${p99} ms`,
  ].join('\n');
}

/** One line per problem found, naming a few ids each; empty when the run is clean. */
export function describeProblems(report: RunReport, maxIds = 5): string[] {
  const lines: string[] = [];
  const ids = (list: readonly string[]) => `${list.slice(0, maxIds).join(', ')}${list.length > maxIds ? `, ... (${list.length} in all)` : ''}`;
  for (const [name, c] of Object.entries(report.consumers)) {
    const p = c.problems;
    if (p.lost.length) add(`${name}: ${p.lost.length} expected event(s) neither applied, skipped as stale nor dead-lettered: ${ids(p.lost)}`);
    if (p.unexpected.length) add(`${name}: applied ${p.unexpected.length} event(s) its filter policy does not select: ${ids(p.unexpected)}`);
    if (p.duplicateEffects.length) add(`${name}: ${p.duplicateEffects.length} event(s) applied more than once: ${ids(p.duplicateEffects)}`);
    if (p.invalidNotDeadLettered.length) add(`${name}: ${p.invalidNotDeadLettered.length} invalid event(s) not in its DLQ with a reason: ${ids(p.invalidNotDeadLettered)}`);
    if (p.contradictory.length) add(`${name}: ${p.contradictory.length} event(s) both applied and skipped or dead-lettered: ${ids(p.contradictory)}`);
    if (p.validDeadLettered.length) {
      add(
        `${name}: ${p.validDeadLettered.length} valid event(s) ended in its DLQ instead of being applied (not lost: redrive them with \`npx fanout redrive\`): ` +
          `${p.validDeadLettered.slice(0, maxIds).map((v) => `${v.id} (${v.reason})`).join(', ')}${p.validDeadLettered.length > maxIds ? `, ... (${p.validDeadLettered.length} in all)` : ''}`,
      );
    }
  }
  return lines;
  function add(line: string) {
    lines.push(line);
  }
}

/** Remarks that are not problems by themselves: DLQ messages the report could not read. */
export function describeNotes(report: RunReport): string[] {
  return Object.entries(report.consumers)
    .filter(([, c]) => c.unreadDeadLetters > 0)
    .map(
      ([name, c]) =>
        `${name}: ${c.unreadDeadLetters} message(s) in its DLQ could not be read (a FIFO message group held, or an earlier run's); ` +
        'they are not counted as dead-lettered, and any event among them shows as lost',
    );
}
