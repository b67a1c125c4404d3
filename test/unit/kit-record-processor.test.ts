import { describe, expect, it, vi } from 'vitest';
import type { SQSRecord } from 'aws-lambda';
import { IdempotencyPersistenceLayerError } from '@aws-lambda-powertools/idempotency';
import type { ContractResolver } from '../../contracts/contract-resolver';
import { PermanentError, TransientError } from '../../contracts/errors';
import { Outcome, type ConsumerEvent, type ConsumerHandlers } from '../../lambdas/kit/consumer';
import type { RetryBudgetOptions } from '../../lambdas/kit/backoff';
import { DeadLetterSendError } from '../../lambdas/kit/errors';
import type { FailureContext } from '../../lambdas/kit/failure-context';
import { createIdempotencyGate, type IdempotencyGate } from '../../lambdas/kit/idempotency';
import { RecordProcessor, RecordResult, RetryLaterError } from '../../lambdas/kit/record-processor';
import { KitMetric } from '../../lambdas/kit/telemetry';
import type { UserProfileUpdated, UserSignedUp } from '../../contracts/event-types.generated';
import { envelope, fileResolver, MemoryGate, MemoryPersistence, RecordingLogger, RecordingMetrics, RecordingTracer, signUpData, sqsRecord } from './kit-fakes';

interface Events {
  'user.signed-up': UserSignedUp;
  'user.profile-updated': UserProfileUpdated;
}

const NOW = Date.parse('2026-11-28T09:30:02.500Z');

function setup(
  options: {
    apply?: (event: ConsumerEvent<unknown>) => Promise<Outcome>;
    deadLetter?: (record: SQSRecord, failure: FailureContext) => Promise<void>;
    resolver?: ContractResolver;
    gate?: MemoryGate;
    /** Another gate than the in-memory one, e.g. the Powertools one on a failing store. */
    otherGate?: IdempotencyGate;
    retryBudget?: RetryBudgetOptions;
  } = {},
) {
  const logger = new RecordingLogger();
  const metrics = new RecordingMetrics();
  const tracer = new RecordingTracer();
  const gate = options.gate ?? new MemoryGate();
  const applied: ConsumerEvent<unknown>[] = [];
  const apply = options.apply ?? (async () => Outcome.Applied);
  const parked: { record: SQSRecord; failure: FailureContext }[] = [];
  const handlers: ConsumerHandlers<Events> = {
    'user.signed-up': {
      apply: async (event) => {
        applied.push(event);
        return apply(event);
      },
    },
    'user.profile-updated': {
      sequenceField: 'revision',
      apply: async (event) => {
        applied.push(event);
        return apply(event);
      },
    },
  };
  const processor = new RecordProcessor<Events>({
    consumer: 'crm-sync',
    handlers,
    resolver: options.resolver ?? fileResolver(),
    gate: options.otherGate ?? gate,
    deadLetter:
      options.deadLetter ??
      (async (record, failure) => {
        parked.push({ record, failure });
      }),
    logger,
    metrics,
    tracer,
    backoff: { baseSeconds: 2, capSeconds: 120, random: () => 0.999 },
    ...(options.retryBudget && { retryBudget: options.retryBudget }),
    now: () => NOW,
  });
  return { processor, logger, metrics, tracer, gate, applied, parked };
}

async function retryError(promise: Promise<unknown>): Promise<RetryLaterError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RetryLaterError);
  return error as RetryLaterError;
}

describe('RecordProcessor: applied, duplicate, stale', () => {
  it('applies a valid event with typed data, its contract version and its order', async () => {
    const { processor, applied, metrics, logger, tracer } = setup();
    const event = envelope();
    await expect(processor.process(sqsRecord(event))).resolves.toBe(RecordResult.Applied);
    expect(applied).toHaveLength(1);
    expect(applied[0]).toMatchObject({ id: event.id, version: 2, data: signUpData(), order: { sequence: 0, timeMs: Date.parse(event.time) } });
    expect(metrics.count(KitMetric.Processed)).toBe(1);
    expect(metrics.values(KitMetric.EndToEndLatency)).toEqual([2500]);
    expect(tracer.records[0]!.annotations.at(-1)).toEqual({ consumer: 'crm-sync', eventType: 'user.signed-up', correlationId: 'corr-1' });
    const line = logger.lines.find((l) => l.message === 'event applied')!;
    expect(line.keys).toMatchObject({ correlation_id: 'corr-1', event_id: event.id, event_type: 'user.signed-up' });
    // Keys of one record never leak onto the next one's lines.
    expect(logger.currentKeys).toEqual({});
  });

  it('applies a plain CloudEvent without correlationid, correlating it by its id', async () => {
    const { processor, applied, logger, tracer } = setup();
    const { correlationid: _c, ...plain } = envelope();
    await expect(processor.process(sqsRecord(JSON.stringify(plain)))).resolves.toBe(RecordResult.Applied);
    expect(applied[0]!.correlationid).toBe(plain.id);
    expect(tracer.records[0]!.annotations.at(-1)).toMatchObject({ correlationId: plain.id });
    expect(logger.lines.find((l) => l.message === 'event applied')!.keys).toMatchObject({ correlation_id: plain.id, event_id: plain.id });
  });

  it('logs the producer’s traceparent and annotates the trace with its trace id', async () => {
    const { processor, logger, tracer } = setup();
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    await processor.process(sqsRecord(JSON.stringify({ ...envelope(), traceparent })));
    expect(tracer.records[0]!.annotations.at(-1)).toMatchObject({ producerTraceId: '4bf92f3577b34da6a3ce929d0e0e4736' });
    expect(logger.lines.find((l) => l.message === 'event applied')!.keys).toMatchObject({ traceparent });
    expect(logger.currentKeys).toEqual({});
  });

  it('applies an event whose traceparent is not W3C trace context, without linking it', async () => {
    const { processor, applied, tracer } = setup();
    await expect(processor.process(sqsRecord(JSON.stringify({ ...envelope(), traceparent: 'not-a-trace' })))).resolves.toBe(RecordResult.Applied);
    expect(applied[0]).not.toHaveProperty('traceparent');
    expect(tracer.records[0]!.annotations.at(-1)).not.toHaveProperty('producerTraceId', expect.anything());
  });

  it('orders by the handler’s sequence field when it has one', async () => {
    const { processor, applied } = setup();
    const event = envelope({ type: 'user.profile-updated', version: 1, data: { userId: 'usr_9f2c1a7b', revision: 7, updatedAt: '2026-11-28T10:00:00Z' } });
    await processor.process(sqsRecord(event));
    expect(applied[0]!.order.sequence).toBe(7);
  });

  it('acknowledges a second delivery of the same event id without applying it again', async () => {
    const { processor, applied, metrics } = setup();
    const event = envelope();
    await processor.process(sqsRecord(event, { messageId: 'm-1' }));
    await expect(processor.process(sqsRecord(event, { messageId: 'm-2' }))).resolves.toBe(RecordResult.Duplicate);
    expect(applied).toHaveLength(1);
    expect(metrics.count(KitMetric.Duplicate)).toBe(1);
    expect(metrics.count(KitMetric.Processed)).toBe(1);
  });

  it('counts a stale event and acknowledges it', async () => {
    const { processor, metrics } = setup({ apply: async () => Outcome.Stale });
    await expect(processor.process(sqsRecord(envelope()))).resolves.toBe(RecordResult.Stale);
    expect(metrics.count(KitMetric.Stale)).toBe(1);
    expect(metrics.count(KitMetric.Processed)).toBe(0);
    expect(metrics.count(KitMetric.EndToEndLatency)).toBe(0);
  });
});

describe('RecordProcessor: permanent failures go to the DLQ and are acknowledged', () => {
  const cases: { name: string; record: () => SQSRecord; errorName: string; message: RegExp }[] = [
    { name: 'a body that is not JSON', record: () => sqsRecord('not json'), errorName: 'InvalidEnvelopeError', message: /not JSON/ },
    {
      name: 'an envelope missing a field',
      record: () => {
        const { subject: _s, ...rest } = envelope();
        return sqsRecord(JSON.stringify(rest));
      },
      errorName: 'InvalidEnvelopeError',
      message: /"subject"/,
    },
    {
      name: 'a type that contradicts its dataschema',
      record: () => sqsRecord(JSON.stringify({ ...envelope(), type: 'user.profile-updated' })),
      errorName: 'InvalidEnvelopeError',
      message: /does not match its dataschema/,
    },
    {
      name: 'an event type the consumer has no handler for',
      record: () =>
        sqsRecord(
          envelope({
            type: 'subscription.changed',
            version: 1,
            data: { accountId: 'acct_123456', sequence: 1, action: 'created', plan: 'pro', seats: 1, effectiveAt: '2026-11-28T09:31:00Z' } as never,
          }),
        ),
      errorName: 'UnhandledEventTypeError',
      message: /no handler for event type "subscription.changed"/,
    },
    { name: 'an unknown contract version', record: () => sqsRecord(envelope({ version: 9 })), errorName: 'UnknownContractError', message: /no contract version 9/ },
    {
      name: 'data violating the contract',
      record: () => sqsRecord(envelope({ data: signUpData({ email: 'nope', plan: 'gold' }) })),
      errorName: 'ContractViolationError',
      message: /\/email must match format "email".*\/plan/,
    },
  ];

  for (const { name, record, errorName, message } of cases) {
    it(`parks ${name} as ${errorName}`, async () => {
      const { processor, parked, applied, metrics, logger } = setup();
      const input = record();
      await expect(processor.process(input)).resolves.toBe(RecordResult.DeadLettered);
      expect(applied).toEqual([]);
      expect(parked).toHaveLength(1);
      expect(parked[0]!.record).toBe(input);
      expect(parked[0]!.failure).toMatchObject({ errorName, consumer: 'crm-sync', originalMessageId: input.messageId, receiveCount: 1 });
      expect(parked[0]!.failure.errorMessage).toMatch(message);
      expect(metrics.count(KitMetric.PermanentFailure)).toBe(1);
      // The failure context is logged once, at error level, with the correlation id.
      const errors = logger.lines.filter((l) => l.level === 'error' || l.level === 'warn');
      expect(errors).toHaveLength(1);
      expect(errors[0]!.extra).toMatchObject({ destination: 'dlq', failure: parked[0]!.failure });
      expect(errors[0]!.keys.correlation_id).toBe('corr-1');
    });
  }

  it('parks an event the consumer rejects with its own PermanentError (e.g. a 4xx)', async () => {
    const { processor, parked, gate } = setup({ apply: async () => Promise.reject(new PermanentError('CRM answered 422')) });
    const event = envelope();
    await expect(processor.process(sqsRecord(event, { receiveCount: 2 }))).resolves.toBe(RecordResult.DeadLettered);
    expect(parked[0]!.failure).toMatchObject({ errorName: 'PermanentError', errorMessage: 'CRM answered 422', receiveCount: 2 });
    // Not recorded as applied: a redrive after a fix applies it.
    expect(gate.completed.has(event.id)).toBe(false);
  });

  it('reports the record for retry when the DLQ send fails, so nothing is lost', async () => {
    const { processor, logger, metrics } = setup({ deadLetter: async () => Promise.reject(new Error('SQS unavailable')) });
    const error = await retryError(processor.process(sqsRecord('not json', { receiveCount: 1 })));
    expect(error.cause).toBeInstanceOf(DeadLetterSendError);
    expect(error.delaySeconds).toBe(2);
    expect(metrics.count(KitMetric.PermanentFailure)).toBe(1);
    const errors = logger.lines.filter((l) => l.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]!.extra).toMatchObject({ destination: 'retry', dead_letter_error: 'Error: SQS unavailable' });
  });
});

describe('RecordProcessor: transient failures are retried with backoff', () => {
  const failures: { name: string; options: Parameters<typeof setup>[0] }[] = [
    { name: 'a TransientError from the consumer (5xx)', options: { apply: async () => Promise.reject(new TransientError('CRM answered 503')) } },
    { name: 'an unknown error from the consumer', options: { apply: async () => Promise.reject(new TypeError('fetch failed')) } },
    {
      name: 'a registry that cannot be reached',
      options: {
        resolver: { resolve: async () => Promise.reject(new TransientError('Glue throttled')), latestVersion: async () => 1 },
      },
    },
    {
      name: 'the same event in progress elsewhere',
      options: {
        gate: Object.assign(new MemoryGate(), {
          once: async () => Promise.reject(Object.assign(new Error('in progress'), { name: 'IdempotencyAlreadyInProgressError' })),
        }),
      },
    },
  ];

  for (const { name, options } of failures) {
    it(`retries ${name}`, async () => {
      const { processor, metrics, logger, parked, tracer } = setup(options);
      const error = await retryError(processor.process(sqsRecord(envelope(), { receiveCount: 3 })));
      // Receive 3: ceiling min(120, 2 * 2^2) = 8 s; the fake random draws the top.
      expect(error.delaySeconds).toBe(8);
      expect(parked).toEqual([]);
      expect(metrics.count(KitMetric.TransientFailure)).toBe(1);
      const warnings = logger.lines.filter((l) => l.level === 'warn' || l.level === 'error');
      expect(warnings).toHaveLength(1);
      expect(warnings[0]!.extra).toMatchObject({ destination: 'retry', retry_in_seconds: 8 });
      expect(tracer.records[0]!.failed).toBe(true);
      expect(logger.currentKeys).toEqual({});
    });
  }

  it('draws the delay with full jitter, from 0 to the ceiling', async () => {
    const delays: number[] = [];
    for (const random of [0, 0.5, 0.999]) {
      const processor = new RecordProcessor<Events>({
        consumer: 'c',
        handlers: { 'user.signed-up': { apply: async () => Promise.reject(new TransientError('x')) } } as unknown as ConsumerHandlers<Events>,
        resolver: fileResolver(),
        gate: new MemoryGate(),
        deadLetter: vi.fn(),
        logger: new RecordingLogger(),
        metrics: new RecordingMetrics(),
        tracer: new RecordingTracer(),
        backoff: { baseSeconds: 2, random: () => random },
      });
      delays.push((await retryError(processor.process(sqsRecord(envelope(), { receiveCount: 4 })))).delaySeconds);
    }
    expect(delays).toEqual([0, 8, 16]);
  });
});

describe('RecordProcessor: a transient failure gives up when its retry budget is spent (issue 9, break 3)', () => {
  const outage = () => Promise.reject(new TransientError('CRM answered 503'));

  it('dead-letters it on its last allowed receive, with why, and acknowledges it', async () => {
    // The old bare count: maxReceiveCount 5, the 5th receive 75 s after the first.
    const { processor, parked, metrics, logger, gate } = setup({ apply: outage, retryBudget: { budgetSeconds: 3600, maxReceiveCount: 5 } });
    const event = envelope();
    const record = sqsRecord(event, { receiveCount: 5, firstReceiveMs: NOW - 75_000 });
    await expect(processor.process(record)).resolves.toBe(RecordResult.RetryBudgetSpent);
    expect(parked).toHaveLength(1);
    expect(parked[0]!.record).toBe(record);
    expect(parked[0]!.failure).toMatchObject({ errorName: 'TransientError', consumer: 'crm-sync', originalMessageId: record.messageId, receiveCount: 5 });
    expect(parked[0]!.failure.errorMessage).toBe('last allowed receive (5 of 5, over 75s) within the retry budget of 3600s: CRM answered 503');
    expect(metrics.count(KitMetric.RetryBudgetSpent)).toBe(1);
    expect(metrics.count(KitMetric.TransientFailure)).toBe(1);
    expect(metrics.count(KitMetric.PermanentFailure)).toBe(0);
    const errors = logger.lines.filter((l) => l.level === 'error' || l.level === 'warn');
    expect(errors).toHaveLength(1);
    expect(errors[0]!.extra).toMatchObject({ destination: 'dlq', give_up_reason: 'last-receive', attempts: 5, elapsed_seconds: 75, retry_budget_seconds: 3600 });
    expect(errors[0]!.keys.correlation_id).toBe('corr-1');
    // Not recorded as applied: a redrive after the outage applies it.
    expect(gate.completed.has(event.id)).toBe(false);
  });

  it('dead-letters it once its budget is spent, however few receives it took', async () => {
    const { processor, parked, metrics, logger } = setup({
      apply: async () => Promise.reject(new TypeError('fetch failed')),
      retryBudget: { budgetSeconds: 3600, maxReceiveCount: 49 },
    });
    const record = sqsRecord(envelope(), { receiveCount: 12, firstReceiveMs: NOW - 3_601_000 });
    await expect(processor.process(record)).resolves.toBe(RecordResult.RetryBudgetSpent);
    expect(parked[0]!.failure).toMatchObject({ errorName: 'TypeError', receiveCount: 12 });
    expect(parked[0]!.failure.errorMessage).toBe('retry budget of 3600s spent (12 attempts over 3601s): fetch failed');
    expect(metrics.count(KitMetric.RetryBudgetSpent)).toBe(1);
    expect(logger.lines.find((l) => l.level === 'error')!.extra).toMatchObject({ destination: 'dlq', give_up_reason: 'budget-spent', attempts: 12, elapsed_seconds: 3601 });
  });

  it('has a budget of 1 h when none is given, counted from SentTimestamp when the first receive is missing', async () => {
    const { processor, parked } = setup({ apply: outage });
    const record = sqsRecord(envelope(), { receiveCount: 3 });
    delete (record.attributes as Partial<SQSRecord['attributes']>).ApproximateFirstReceiveTimestamp;
    record.attributes.SentTimestamp = String(NOW - 2 * 3_600_000);
    await expect(processor.process(record)).resolves.toBe(RecordResult.RetryBudgetSpent);
    expect(parked[0]!.failure.errorMessage).toMatch(/^retry budget of 3600s spent \(3 attempts over 7200s\): CRM answered 503$/);
  });

  it('retries before that, the delay cut so the last try falls at the budget’s end', async () => {
    const { processor, parked, metrics } = setup({ apply: outage, retryBudget: { budgetSeconds: 3600, maxReceiveCount: 49 } });
    // Receive 10: the ceiling is 120 s and the fake random draws the top, but only 3 s are left.
    const error = await retryError(processor.process(sqsRecord(envelope(), { receiveCount: 10, firstReceiveMs: NOW - 3_597_000 })));
    expect(error.delaySeconds).toBe(3);
    expect(parked).toEqual([]);
    expect(metrics.count(KitMetric.RetryBudgetSpent)).toBe(0);
    // With time left, the full draw.
    const early = await retryError(processor.process(sqsRecord(envelope(), { receiveCount: 10, firstReceiveMs: NOW - 600_000 })));
    expect(early.delaySeconds).toBe(120);
  });

  it('leaves it on the queue for retry when the DLQ send fails, so nothing is lost', async () => {
    const { processor, metrics, logger } = setup({
      apply: outage,
      deadLetter: async () => Promise.reject(new Error('SQS unavailable')),
      retryBudget: { budgetSeconds: 3600, maxReceiveCount: 5 },
    });
    const error = await retryError(processor.process(sqsRecord(envelope(), { receiveCount: 5, firstReceiveMs: NOW - 75_000 })));
    expect(error.cause).toBeInstanceOf(DeadLetterSendError);
    expect(error.delaySeconds).toBeGreaterThan(0);
    expect(metrics.count(KitMetric.RetryBudgetSpent)).toBe(0);
    const errors = logger.lines.filter((l) => l.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toMatch(/retry budget spent, but the DLQ send failed/);
    expect(errors[0]!.extra).toMatchObject({ destination: 'retry', dead_letter_error: 'Error: SQS unavailable' });
    expect((errors[0]!.extra.failure as FailureContext).errorMessage).toMatch(/^last allowed receive/);
  });
});

describe('RecordProcessor: a permanent error wrapped by Powertools stays permanent (issue 9, break 5)', () => {
  it('dead-letters with the function’s reason when the in-progress record cannot be removed', async () => {
    // The real Powertools gate, on a store whose deletes fail: Powertools then throws an
    // IdempotencyPersistenceLayerError that carries only the store's error.
    const store = new MemoryPersistence(undefined, { failDelete: () => new Error('ProvisionedThroughputExceededException') });
    const otherGate = createIdempotencyGate({ persistenceStore: store, consumer: 'crm-sync', expiresAfterSeconds: 60 });
    const { processor, parked, metrics, logger } = setup({ otherGate, apply: async () => Promise.reject(new PermanentError('CRM answered 422')) });
    const record = sqsRecord(envelope(), { receiveCount: 1 });
    await expect(processor.process(record)).resolves.toBe(RecordResult.DeadLettered);
    expect(store.deleteAttempts).toBe(1);
    expect(parked).toHaveLength(1);
    expect(parked[0]!.failure).toMatchObject({ errorName: 'PermanentError', errorMessage: 'CRM answered 422' });
    expect(metrics.count(KitMetric.PermanentFailure)).toBe(1);
    expect(metrics.count(KitMetric.TransientFailure)).toBe(0);
    const line = logger.lines.find((l) => l.level === 'error')!;
    expect(line.extra).toMatchObject({ destination: 'dlq' });
    expect((line.extra.error as Error).name).toBe('IdempotencyCleanupError');
  });

  it('still retries a transient failure in the same spot', async () => {
    const store = new MemoryPersistence(undefined, { failDelete: () => new Error('ProvisionedThroughputExceededException') });
    const otherGate = createIdempotencyGate({ persistenceStore: store, consumer: 'crm-sync', expiresAfterSeconds: 60 });
    const { processor, parked } = setup({ otherGate, apply: async () => Promise.reject(new TransientError('CRM answered 503')) });
    await retryError(processor.process(sqsRecord(envelope(), { receiveCount: 1 })));
    expect(parked).toEqual([]);
  });

  it('finds a PermanentError inside any Powertools error', async () => {
    const wrapped = new IdempotencyPersistenceLayerError('Failed to delete record from idempotency store', { cause: new PermanentError('CRM answered 410') });
    const otherGate: IdempotencyGate = { registerContext: () => undefined, once: async () => Promise.reject(wrapped) };
    const { processor, parked } = setup({ otherGate });
    await expect(processor.process(sqsRecord(envelope()))).resolves.toBe(RecordResult.DeadLettered);
    expect(parked[0]!.failure).toMatchObject({ errorName: 'PermanentError', errorMessage: 'CRM answered 410' });
  });
});
