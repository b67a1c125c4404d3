import { describe, expect, it } from 'vitest';
import type { Context, SQSRecord } from 'aws-lambda';
import { PermanentError, TransientError } from '../../contracts/errors';
import { createBatchHandler } from '../../lambdas/kit/batch-handler';
import { Outcome, type ConsumerHandlers } from '../../lambdas/kit/consumer';
import { RecordProcessor } from '../../lambdas/kit/record-processor';
import type { RetryDelay } from '../../lambdas/kit/sqs-actions';
import { KitMetric } from '../../lambdas/kit/telemetry';
import { envelope, fileResolver, MemoryGate, RecordingLogger, RecordingMetrics, RecordingTracer, sqsRecord } from './kit-fakes';

const context = { functionName: 'f', awsRequestId: 'req-1', getRemainingTimeInMillis: () => 30_000 } as unknown as Context;

/** Failure plan by envelope subject: what applying each event does. */
type Plan = Record<string, 'ok' | 'transient' | 'permanent'>;

function setup(fifo: boolean, plan: Plan, options: { notDelayed?: string[]; onApply?: (subject: string) => void } = {}) {
  const gate = new MemoryGate();
  const logger = new RecordingLogger();
  const contexts: Context[] = [];
  const metrics = new RecordingMetrics();
  const appliedSubjects: string[] = [];
  const delayed: RetryDelay[][] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const handlers = {
    'user.signed-up': {
      apply: async (event) => {
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((r) => setTimeout(r, 2));
        inFlight -= 1;
        options.onApply?.(event.subject);
        const what = plan[event.subject] ?? 'ok';
        if (what === 'transient') throw new TransientError(`${event.subject} unavailable`);
        if (what === 'permanent') throw new PermanentError(`${event.subject} rejected`);
        appliedSubjects.push(event.subject);
        return Outcome.Applied;
      },
    },
  } as ConsumerHandlers<{ 'user.signed-up': unknown }>;
  const processor = new RecordProcessor({
    consumer: 'c',
    handlers,
    resolver: fileResolver(),
    gate,
    deadLetter: async () => {},
    logger,
    metrics,
    tracer: new RecordingTracer(),
    backoff: { baseSeconds: 2, random: () => 0.999 },
  });
  const handler = createBatchHandler({
    processor: processor as RecordProcessor<unknown>,
    fifo,
    gate,
    delayRetries: async (delays) => {
      delayed.push([...delays]);
      return options.notDelayed ?? [];
    },
    logger: Object.assign(logger, { addContext: (c: Context) => contexts.push(c) }),
    metrics,
    backoff: { baseSeconds: 2, random: () => 0.999 },
  });
  return { handler, gate, logger, metrics, appliedSubjects, delayed, contexts, maxInFlight: () => maxInFlight };
}

function record(subject: string, options: { groupId?: string; receiveCount?: number } = {}): SQSRecord {
  return sqsRecord(envelope({ subject }), { messageId: `m-${subject}`, ...options });
}

describe('batch handler on a standard queue', () => {
  it('reports only the failed records, one at a time, and gives them their backoff', async () => {
    const { handler, delayed, metrics, appliedSubjects, gate, contexts, maxInFlight } = setup(false, { b: 'transient', c: 'permanent' });
    const records = [record('a'), record('b', { receiveCount: 2 }), record('c'), record('d')];
    const response = await handler({ Records: records }, context);
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-b' }] });
    expect(appliedSubjects).toEqual(['a', 'd']);
    // Receive 2: ceiling 4 s, drawn at its top.
    expect(delayed).toEqual([[{ messageId: 'm-b', receiptHandle: 'rh-m-b', delaySeconds: 4 }]]);
    expect(metrics.count(KitMetric.Processed)).toBe(2);
    expect(metrics.count(KitMetric.TransientFailure)).toBe(1);
    expect(metrics.count(KitMetric.PermanentFailure)).toBe(1);
    expect(metrics.flushes).toBe(1);
    expect(gate.contexts).toBe(1);
    expect(contexts).toEqual([context]);
    expect(maxInFlight()).toBe(1);
  });

  it('reports every record of a batch that failed entirely instead of throwing', async () => {
    const { handler, delayed } = setup(false, { a: 'transient', b: 'transient' });
    const response = await handler({ Records: [record('a'), record('b')] }, context);
    expect(response.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(['m-a', 'm-b']);
    expect(delayed[0]!.map((d) => d.delaySeconds)).toEqual([2, 2]);
  });

  it('makes no SQS call when everything succeeded, and still flushes metrics', async () => {
    const { handler, delayed, metrics } = setup(false, {});
    expect(await handler({ Records: [record('a')] }, context)).toEqual({ batchItemFailures: [] });
    expect(await handler({ Records: [] }, context)).toEqual({ batchItemFailures: [] });
    expect(delayed).toEqual([]);
    expect(metrics.flushes).toBe(2);
  });

  it('starts no record once the invocation is too near its timeout: the rest go back with their backoff, unrun', async () => {
    // A dependency that hangs: the first record takes 16 s of the 30 s, leaving less than
    // the 16 s (3 SDK attempts x 5 s + 1 s) a record may take.
    let remainingMs = 30_000;
    const clock = { ...context, getRemainingTimeInMillis: () => remainingMs } as Context;
    const { handler, appliedSubjects, delayed, logger, metrics } = setup(false, {}, { onApply: () => (remainingMs -= 16_000) });
    const response = await handler({ Records: [record('a'), record('b', { receiveCount: 2 }), record('c')] }, clock);
    expect(appliedSubjects).toEqual(['a']);
    expect(response.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(['m-b', 'm-c']);
    // Their backoff by receive count, as for a transient failure: ceilings 4 s and 2 s, drawn at the top.
    expect(delayed).toEqual([
      [
        { messageId: 'm-b', receiptHandle: 'rh-m-b', delaySeconds: 4 },
        { messageId: 'm-c', receiptHandle: 'rh-m-c', delaySeconds: 2 },
      ],
    ]);
    expect(logger.lines.find((l) => l.message.startsWith('invocation near its timeout'))?.extra).toEqual({ records_left: 2, reserve_ms: 15_000 });
    // Not failures of the records themselves.
    expect(metrics.count(KitMetric.TransientFailure)).toBe(0);
  });

  it('logs the records whose backoff could not be set, and still reports them', async () => {
    const { handler, logger } = setup(false, { a: 'transient' }, { notDelayed: ['m-a'] });
    const response = await handler({ Records: [record('a')] }, context);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm-a' }]);
    expect(logger.lines.find((l) => l.message.startsWith('could not set the backoff'))?.extra).toEqual({ message_ids: ['m-a'] });
  });
});

describe('batch handler on a FIFO queue', () => {
  it('holds back the rest of a failed group only; other groups go on', async () => {
    const { handler, appliedSubjects, delayed } = setup(true, { a2: 'transient' });
    const records = [
      record('a1', { groupId: 'A' }),
      record('b1', { groupId: 'B' }),
      record('a2', { groupId: 'A' }),
      record('b2', { groupId: 'B' }),
      record('a3', { groupId: 'A' }),
    ];
    const response = await handler({ Records: records }, context);
    expect(response.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(['m-a2', 'm-a3']);
    expect(appliedSubjects).toEqual(['a1', 'b1', 'b2']);
    // The failed head waits its backoff; the record behind it is released at once and
    // waits behind its head (SQS holds a group while any of it is in flight).
    expect(delayed).toEqual([
      [
        { messageId: 'm-a2', receiptHandle: 'rh-m-a2', delaySeconds: 2 },
        { messageId: 'm-a3', receiptHandle: 'rh-m-a3', delaySeconds: 0 },
      ],
    ]);
  });

  it('does not hold back a group whose failure was parked in the DLQ', async () => {
    const { handler, appliedSubjects } = setup(true, { a1: 'permanent' });
    const response = await handler({ Records: [record('a1', { groupId: 'A' }), record('a2', { groupId: 'A' })] }, context);
    expect(response.batchItemFailures).toEqual([]);
    expect(appliedSubjects).toEqual(['a2']);
  });
});
