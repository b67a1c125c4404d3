import { describe, expect, it, vi } from 'vitest';
import type { SQSRecord } from 'aws-lambda';
import type { ContractResolver } from '../../contracts/contract-resolver';
import { PermanentError, TransientError } from '../../contracts/errors';
import { Outcome, type ConsumerEvent, type ConsumerHandlers } from '../../lambdas/kit/consumer';
import { DeadLetterSendError } from '../../lambdas/kit/errors';
import type { FailureContext } from '../../lambdas/kit/failure-context';
import { RecordProcessor, RecordResult, RetryLaterError } from '../../lambdas/kit/record-processor';
import { KitMetric } from '../../lambdas/kit/telemetry';
import type { UserProfileUpdated, UserSignedUp } from '../../contracts/event-types.generated';
import { envelope, fileResolver, MemoryGate, RecordingLogger, RecordingMetrics, RecordingTracer, signUpData, sqsRecord } from './kit-fakes';

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
    gate,
    deadLetter:
      options.deadLetter ??
      (async (record, failure) => {
        parked.push({ record, failure });
      }),
    logger,
    metrics,
    tracer,
    backoff: { baseSeconds: 2, capSeconds: 120, random: () => 0.999 },
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
