import { describe, expect, it } from 'vitest';
import { createEnvelope, envelopeAttributes } from '../../contracts/envelope';
import type { PlannedEvent, PublicationRecord } from '../../local/demo-workload';
import {
  buildReport,
  effectLatencyRecords,
  failedAttemptsInLog,
  describeInvocations,
  describeNotes,
  describeProblems,
  expectedEvents,
  percentile,
  reconcileConsumer,
  renderReport,
  reportIsClean,
  type ConsumerObservations,
  type ConsumerTarget,
} from '../../local/report';

const TOPIC = 'arn:aws:sns:us-east-1:123456789012:user-events';

function publication(id: string, type: string, data: Record<string, unknown>, valid = true, eventTimeMs = 1_000): PublicationRecord {
  const event: PlannedEvent = { kind: valid ? 'valid' : 'invalid', id, type: type as PlannedEvent['type'], version: 2, subject: 'usr_abcdef', data, via: 'publisher', valid };
  const envelope = createEnvelope({ type, version: 2, data, subject: 'usr_abcdef', source: 'urn:test', id, correlationId: id, time: new Date(eventTimeMs) });
  return { event, message: { body: JSON.stringify(envelope), attributes: envelopeAttributes(envelope) }, topicArn: TOPIC, publishedAtMs: eventTimeMs, eventTimeMs };
}

const crm: ConsumerTarget = { name: 'crm', topicArn: TOPIC, filterPolicy: { type: ['user.signed-up'] }, filterPolicyScope: 'MessageAttributes' };
const email: ConsumerTarget = {
  name: 'email',
  topicArn: TOPIC,
  filterPolicy: { type: ['user.signed-up'], data: { marketingOptIn: [true] } },
  filterPolicyScope: 'MessageBody',
};

const publications = [
  publication('a', 'user.signed-up', { marketingOptIn: true }),
  publication('b', 'user.signed-up', { marketingOptIn: false }),
  publication('c', 'user.signed-up', { marketingOptIn: true }, false),
  publication('d', 'user.profile-updated', {}),
  // A duplicate: the same event published twice.
  publication('a', 'user.signed-up', { marketingOptIn: true }),
];

function observed(overrides: Partial<ConsumerObservations> = {}): ConsumerObservations {
  return { effects: new Map(), deadLetters: new Map(), unreadDeadLetters: 0, staleIds: new Set(), duplicatesSuppressed: 0, retried: 0, ...overrides };
}

describe('expectedEvents', () => {
  it('selects by each subscription’s filter policy and scope, counting a duplicate once', () => {
    expect(expectedEvents(publications, crm)).toEqual({ valid: new Set(['a', 'b']), invalid: new Set(['c']) });
    expect(expectedEvents(publications, email)).toEqual({ valid: new Set(['a']), invalid: new Set(['c']) });
    expect(expectedEvents(publications, { ...crm, topicArn: 'arn:other' })).toEqual({ valid: new Set(), invalid: new Set() });
  });
});

describe('reconcileConsumer', () => {
  it('accounts each expected event as applied, stale skipped or dead-lettered', () => {
    const report = reconcileConsumer(
      publications,
      crm,
      observed({
        effects: new Map([['a', { applications: 1, appliedAtMs: 1_500 }]]),
        staleIds: new Set(['b']),
        deadLetters: new Map([['c', { errorName: 'ContractViolationError', reason: 'ContractViolationError: /email bad' }]]),
        duplicatesSuppressed: 1,
        retried: 2,
      }),
    );
    expect(report).toMatchObject({ expected: 3, applied: 1, staleSkipped: 1, deadLettered: 1, lost: 0, duplicateEffects: 0, expectedInvalid: 1, duplicatesSuppressed: 1, retried: 2 });
    expect(report.deadLetterReasons).toEqual({ ContractViolationError: 1 });
  });

  it('finds lost events, duplicate effects, events applied against the filter, and invalid ones not dead-lettered', () => {
    const report = reconcileConsumer(
      publications,
      email,
      observed({
        effects: new Map([
          ['a', { applications: 2, appliedAtMs: 1_500 }],
          ['d', { applications: 1, appliedAtMs: 1_500 }],
        ]),
        // In the DLQ, but moved by the redrive policy: no reason attached.
        deadLetters: new Map([['c', {}]]),
      }),
    );
    expect(report.duplicateEffects).toBe(1);
    expect(report.problems.duplicateEffects).toEqual(['a']);
    expect(report.problems.unexpected).toEqual(['d']);
    expect(report.problems.invalidNotDeadLettered).toEqual(['c']);
    expect(report.deadLetterReasons).toEqual({ 'redrive policy': 1 });
    const lost = reconcileConsumer(publications, email, observed());
    expect(lost.lost).toBe(2);
    expect([...lost.problems.lost].sort()).toEqual(['a', 'c']);
  });

  it('counts an effect-log item with no application (a write half lost) as lost, not applied', () => {
    const report = reconcileConsumer(publications, crm, observed({ effects: new Map([['a', { applications: 0, appliedAtMs: 0 }], ['b', { applications: 1, appliedAtMs: 2 }]]) }));
    expect(report).toMatchObject({ applied: 1, lost: 2 });
    expect([...report.problems.lost].sort()).toEqual(['a', 'c']);
  });

  it('flags an event both applied and dead-lettered', () => {
    const report = reconcileConsumer(
      publications,
      crm,
      observed({ effects: new Map([['a', { applications: 1, appliedAtMs: 2 }]]), deadLetters: new Map([['a', { errorName: 'X', reason: 'X: y' }]]) }),
    );
    expect(report.problems.contradictory).toEqual(['a']);
    expect(report.problems.validDeadLettered).toEqual([{ id: 'a', reason: 'X: y' }]);
  });
});

describe('buildReport', () => {
  it('measures latency from the envelope time to the first application, across consumers', () => {
    const report = buildReport(
      publications,
      [crm, email],
      new Map([
        ['crm', observed({ effects: new Map([['a', { applications: 1, appliedAtMs: 1_100 }], ['b', { applications: 1, appliedAtMs: 1_300 }]]), deadLetters: new Map([['c', { errorName: 'E', reason: 'E: m' }]]) })],
        ['email', observed({ effects: new Map([['a', { applications: 1, appliedAtMs: 1_200 }]]), deadLetters: new Map([['c', { errorName: 'E', reason: 'E: m' }]]) })],
      ]),
    );
    expect(report.published).toBe(5);
    expect(report.latencyMs).toEqual({ p50: 200, p95: 300, p99: 300, samples: 3 });
    expect(reportIsClean(report)).toBe(true);
    const table = renderReport(report);
    expect(table).toMatch(/^consumer\s+expected\s+applied/);
    expect(table.split('\n').find((line) => line.startsWith('crm '))).toMatch(/^crm\s+3\s+2\s+0\s+0\s+0\s+1\s+0\s+0$/);
    expect(table).toMatch(/p50 200 ms, p95 300 ms, p99 300 ms/);
    // Nothing timed out or crashed: no line about it.
    expect(table).not.toMatch(/^invocations:/m);
    expect(describeProblems(report)).toEqual([]);
  });

  it('is not clean when something was lost, and says what', () => {
    const report = buildReport(publications, [crm], new Map([['crm', observed()]]));
    expect(reportIsClean(report)).toBe(false);
    expect(describeProblems(report)[0]).toMatch(/^crm: 3 expected event\(s\) neither applied, skipped as stale nor dead-lettered: a, b, c$/);
  });
});

describe('timeouts and crashes in the report', () => {
  it('counts them per consumer, in the JSON and in one line under the table, without changing the columns', () => {
    const report = buildReport(
      publications,
      [crm, email],
      new Map([
        ['crm', observed({ effects: new Map([['a', { applications: 1, appliedAtMs: 1_100 }], ['b', { applications: 1, appliedAtMs: 1_300 }]]), deadLetters: new Map([['c', { errorName: 'E', reason: 'E: m' }]]), invocations: { timeouts: 2, crashes: 1, initFailures: 0 } })],
        ['email', observed({ effects: new Map([['a', { applications: 1, appliedAtMs: 1_200 }]]), deadLetters: new Map([['c', { errorName: 'E', reason: 'E: m' }]]), invocations: { timeouts: 0, crashes: 0, initFailures: 3 } })],
      ]),
    );
    expect(report.consumers.crm!.invocations).toEqual({ timeouts: 2, crashes: 1, initFailures: 0 });
    expect(JSON.parse(JSON.stringify(report)).consumers.email.invocations).toEqual({ timeouts: 0, crashes: 0, initFailures: 3 });
    // Environments replaced are not a problem by themselves: every event is accounted for.
    expect(reportIsClean(report)).toBe(true);
    const line =
      "invocations: crm 2 timed out, 1 crashed; email 3 failed to initialize (each environment replaced; the batch's messages returned after the visibility timeout)";
    expect(describeInvocations(report)).toBe(line);
    const table = renderReport(report).split('\n');
    expect(table[0]).toMatch(/^consumer\s+expected\s+applied\s+dup\. suppressed\s+stale skipped\s+retried\s+dead-lettered\s+lost\s+dup\. effects$/);
    // Right under the table's closing rule, before the latency.
    expect(table[4]).toMatch(/^-+$/);
    expect(table[5]).toBe(line);
    expect(table[6]).toMatch(/^end-to-end latency/);
  });

  it('reads observations without counts as none', () => {
    const report = buildReport(publications, [crm], new Map([['crm', observed()]]));
    expect(report.consumers.crm!.invocations).toEqual({ timeouts: 0, crashes: 0, initFailures: 0 });
    expect(describeInvocations(report)).toBeUndefined();
  });
});

describe('dead letters in the report', () => {
  it('is not clean when a valid event ended in a DLQ, and says which and why', () => {
    const report = buildReport(
      publications,
      [crm],
      new Map([
        [
          'crm',
          observed({
            effects: new Map([['a', { applications: 1, appliedAtMs: 1_100 }]]),
            deadLetters: new Map([
              ['b', { errorName: 'PermanentError', reason: 'PermanentError: CRM answered 422' }],
              ['c', { errorName: 'ContractViolationError', reason: 'ContractViolationError: /email' }],
            ]),
          }),
        ],
      ]),
    );
    expect(report.consumers.crm!.lost).toBe(0);
    expect(reportIsClean(report)).toBe(false);
    expect(describeProblems(report)).toEqual([
      'crm: 1 valid event(s) ended in its DLQ instead of being applied (not lost: redrive them with `npx fanout redrive`): b (PermanentError: CRM answered 422)',
    ]);
  });

  it('keeps unread DLQ messages out of the dead-lettered count, as a note', () => {
    const report = buildReport(
      publications,
      [crm],
      new Map([
        [
          'crm',
          observed({
            effects: new Map([['a', { applications: 1, appliedAtMs: 1_100 }], ['b', { applications: 1, appliedAtMs: 1_100 }]]),
            deadLetters: new Map([['c', { errorName: 'ContractViolationError', reason: 'ContractViolationError: /email' }]]),
            unreadDeadLetters: 4,
          }),
        ],
      ]),
    );
    expect(report.consumers.crm).toMatchObject({ deadLettered: 1, unreadDeadLetters: 4, lost: 0 });
    expect(reportIsClean(report)).toBe(true);
    expect(describeNotes(report)).toEqual([expect.stringMatching(/^crm: 4 message\(s\) in its DLQ could not be read/)]);
    expect(describeNotes(buildReport(publications, [crm], new Map([['crm', observed()]])))).toEqual([]);
  });
});

describe('percentile', () => {
  it('takes the nearest rank', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 95)).toBe(95);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBe(0);
  });
});

describe('first try apart from retried', () => {
  const log = [
    'START RequestId: 1 Version: $LATEST',
    JSON.stringify({ level: 'WARN', message: 'transient failure: will retry with backoff', timestamp: '1970-01-01T00:00:01.050Z', event_id: 'a', destination: 'retry' }),
    JSON.stringify({ level: 'INFO', message: 'event applied', timestamp: '1970-01-01T00:00:01.100Z', event_id: 'b' }),
    // A call that failed after its write committed: logged after the effect.
    JSON.stringify({ level: 'WARN', message: 'transient failure: will retry with backoff', timestamp: '1970-01-01T00:00:01.400Z', event_id: 'b', destination: 'retry' }),
    JSON.stringify({ level: 'ERROR', message: 'permanent failure: sent to the DLQ', timestamp: '1970-01-01T00:00:01.500Z', event_id: 'c', destination: 'dlq' }),
    '{"not json',
  ].join('\n');

  it('reads the attempts the kit left for a retry from its log, by event', () => {
    expect(failedAttemptsInLog(log)).toEqual(new Map([['a', [1_050]], ['b', [1_400]]]));
  });

  it('counts an effect as retried only when an attempt failed before it was recorded', () => {
    const observations = new Map([
      ['crm', observed({ effects: new Map([['a', { applications: 1, appliedAtMs: 3_000 }], ['b', { applications: 1, appliedAtMs: 1_300 }]]), failedAttempts: failedAttemptsInLog(log) })],
    ]);
    expect(effectLatencyRecords(publications, observations)).toEqual([
      { consumer: 'crm', eventId: 'a', latencyMs: 2_000, appliedAtMs: 3_000, retried: true },
      { consumer: 'crm', eventId: 'b', latencyMs: 300, appliedAtMs: 1_300, retried: false },
    ]);
    const report = buildReport(publications, [crm], observations);
    expect(report.latencyByAttemptMs).toEqual({ firstTry: { p50: 300, p95: 300, p99: 300, samples: 1 }, retried: { p50: 2_000, p95: 2_000, p99: 2_000, samples: 1 } });
    expect(report.latencyMs.samples).toBe(2);
  });
});
