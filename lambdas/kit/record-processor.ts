/**
 * What the kit does with one SQS record, in order: parse the envelope, resolve and
 * validate its contract version, apply it at most once (idempotency), let the consumer's
 * function apply it (the ordering guard sits in the downstream write), and classify a
 * failure: permanent goes to the DLQ and is acknowledged, transient is retried with
 * backoff until the record's retry budget is spent, and then goes to the DLQ with its
 * last error as the reason. Free of AWS SDK calls: those come in as functions.
 */
import type { SQSRecord } from 'aws-lambda';
import type { ContractResolver } from '../../contracts/contract-resolver';
import { MessageAttribute, parseDataSchemaUri, parseEnvelope, type CloudEvent } from '../../contracts/envelope';
import { ContractViolationError, InvalidEnvelopeError, TransientError } from '../../contracts/errors';
import { backoffDelaySeconds, decideRetry, defaultRetryBudget, GiveUpReason, type BackoffOptions, type RetryBudgetOptions } from './backoff';
import { Outcome, type ConsumerEvent, type ConsumerHandlers, type EventHandler } from './consumer';
import { DeadLetterSendError, permanentFailureOf, UnhandledEventTypeError } from './errors';
import { failureContextOf, firstReceiveOf, receiveCountOf, type FailureContext } from './failure-context';
import type { IdempotencyGate } from './idempotency';
import { orderOf } from './ordering';
import { KitMetric, type KitLogger, type MetricSink, type RecordTracer } from './telemetry';

/** How one record ended. */
export const RecordResult = {
  Applied: 'applied',
  Duplicate: 'duplicate',
  Stale: 'stale',
  /** Failed permanently and parked in the DLQ: acknowledged. */
  DeadLettered: 'dead-lettered',
  /** Kept failing transiently until its retry budget was spent, then parked in the DLQ: acknowledged. */
  RetryBudgetSpent: 'retry-budget-spent',
} as const;

/** One of {@link RecordResult}. */
export type RecordResult = (typeof RecordResult)[keyof typeof RecordResult];

/** Thrown for a record that must be retried; carries the backoff chosen for it and, as `cause`, why. */
export class RetryLaterError extends TransientError {
  readonly delaySeconds: number;
  constructor(delaySeconds: number, cause: unknown) {
    super(`retry in ${delaySeconds}s: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'RetryLaterError';
    this.delaySeconds = delaySeconds;
  }
}

/** What the record processor needs; every side effect is injected. */
export interface RecordProcessorOptions<TEvents> {
  /** The consumer's name (log key, metric dimension, idempotency namespace, DLQ context). */
  readonly consumer: string;
  readonly handlers: ConsumerHandlers<TEvents>;
  readonly resolver: ContractResolver;
  readonly gate: IdempotencyGate;
  /** Sends the record with its failure context to the DLQ; throws when that fails. */
  readonly deadLetter: (record: SQSRecord, failure: FailureContext) => Promise<void>;
  readonly logger: KitLogger;
  readonly metrics: MetricSink;
  readonly tracer: RecordTracer;
  readonly backoff?: BackoffOptions;
  /**
   * How long and how many receives a record may keep failing transiently before the kit
   * dead-letters it (FANOUT_RETRY_BUDGET_SECONDS, FANOUT_MAX_RECEIVE_COUNT).
   * @default 1 hour, and the receives derived for it from the backoff
   */
  readonly retryBudget?: RetryBudgetOptions;
  /** @default Date.now */
  readonly now?: () => number;
}

/** The trace id field of a (validated) W3C `traceparent`. */
const traceIdOf = (traceparent: string | undefined): string | undefined => traceparent?.split('-')[1];

const RECORD_KEYS = ['correlation_id', 'event_id', 'event_type', 'message_id', 'traceparent'];

/** Processes one record at a time (see {@link RecordProcessorOptions}). */
export class RecordProcessor<TEvents> {
  private readonly handlers: Readonly<Record<string, EventHandler<unknown> | undefined>>;
  private readonly now: () => number;
  private readonly retryBudget: RetryBudgetOptions;

  constructor(private readonly options: RecordProcessorOptions<TEvents>) {
    this.handlers = options.handlers as Readonly<Record<string, EventHandler<unknown> | undefined>>;
    this.now = options.now ?? Date.now;
    this.retryBudget = options.retryBudget ?? defaultRetryBudget(options.backoff);
  }

  /**
   * Processes one record.
   * @returns how it ended when it may be acknowledged (applied, duplicate, stale, or parked in the DLQ: failed permanently or spent its retry budget)
   * @throws RetryLaterError when it must stay on the queue, with the backoff delay chosen for it
   */
  async process(record: SQSRecord): Promise<RecordResult> {
    const { logger, tracer, consumer } = this.options;
    // Known before parsing, so even an unparseable body logs with its correlation id.
    const correlationId = record.messageAttributes?.[MessageAttribute.CorrelationId]?.stringValue;
    logger.appendKeys({ correlation_id: correlationId, message_id: record.messageId });
    try {
      return await tracer.traceRecord(record.messageId, async (annotate) => {
        annotate({ consumer, correlationId });
        try {
          const event = parseEnvelope(record.body);
          logger.appendKeys({ correlation_id: event.correlationid, event_id: event.id, event_type: event.type, traceparent: event.traceparent });
          annotate({ consumer, eventType: event.type, correlationId: event.correlationid, producerTraceId: traceIdOf(event.traceparent) });
          return await this.apply(event);
        } catch (error) {
          return await this.fail(record, error);
        }
      });
    } finally {
      logger.removeKeys(RECORD_KEYS);
    }
  }

  private async apply(event: CloudEvent): Promise<RecordResult> {
    const { logger, metrics, gate, resolver } = this.options;
    const { eventType, version } = parseDataSchemaUri(event.dataschema);
    if (eventType !== event.type) {
      throw new InvalidEnvelopeError(`envelope type "${event.type}" does not match its dataschema "${event.dataschema}"`);
    }
    const handler = this.handlers[eventType];
    if (!handler) {
      throw new UnhandledEventTypeError(`${this.options.consumer} has no handler for event type "${eventType}"`);
    }
    const contract = await resolver.resolve(eventType, version);
    const violations = contract.validate(event.data);
    if (violations.length > 0) throw new ContractViolationError(eventType, version, violations);

    const consumerEvent: ConsumerEvent = { ...event, version, order: orderOf(event, handler.sequenceField) };
    const { outcome, duplicate } = await gate.once(event.id, () => handler.apply(consumerEvent));
    if (duplicate) {
      metrics.record(KitMetric.Duplicate, 1);
      logger.info('duplicate event: already applied, acknowledged', { outcome });
      return RecordResult.Duplicate;
    }
    if (outcome === Outcome.Stale) {
      metrics.record(KitMetric.Stale, 1);
      logger.info('stale event: the downstream holds a newer state for its subject, skipped', { subject: event.subject, order: consumerEvent.order });
      return RecordResult.Stale;
    }
    const latencyMs = Math.max(0, this.now() - consumerEvent.order.timeMs);
    metrics.record(KitMetric.Processed, 1);
    metrics.record(KitMetric.EndToEndLatency, latencyMs);
    logger.info('event applied', { end_to_end_latency_ms: latencyMs });
    return RecordResult.Applied;
  }

  private async fail(record: SQSRecord, error: unknown): Promise<RecordResult> {
    const { logger, metrics, consumer } = this.options;
    // A permanent error wrapped by a library (Powertools' idempotency errors) is still permanent.
    const permanent = permanentFailureOf(error);
    if (permanent) {
      metrics.record(KitMetric.PermanentFailure, 1);
      const failure = failureContextOf(record, permanent, consumer);
      await this.deadLetterOrRetry(record, failure, error, 'permanent failure');
      logger.error('permanent failure: sent to the DLQ', { failure, destination: 'dlq', error });
      return RecordResult.DeadLettered;
    }
    metrics.record(KitMetric.TransientFailure, 1);
    const receiveCount = receiveCountOf(record);
    const firstReceiveMs = firstReceiveOf(record);
    const decision = decideRetry({ receiveCount, ...(firstReceiveMs !== undefined && { firstReceiveMs }) }, this.now(), this.retryBudget, this.options.backoff);
    if (decision.kind === 'retry') {
      const failure = failureContextOf(record, error, consumer);
      logger.warn('transient failure: will retry with backoff', { failure, destination: 'retry', retry_in_seconds: decision.delaySeconds, error });
      throw new RetryLaterError(decision.delaySeconds, error);
    }
    // Out of time (or of receives): the kit parks it with its last error, rather than
    // letting SQS move it to the DLQ without a reason.
    const elapsed = decision.elapsedSeconds === undefined ? 'an unknown time' : `${Math.round(decision.elapsedSeconds)}s`;
    const why =
      decision.reason === GiveUpReason.BudgetSpent
        ? `retry budget of ${this.retryBudget.budgetSeconds}s spent (${receiveCount} attempts over ${elapsed})`
        : `last allowed receive (${receiveCount} of ${this.retryBudget.maxReceiveCount}, over ${elapsed}) within the retry budget of ${this.retryBudget.budgetSeconds}s`;
    const failure = failureContextOf(record, error, consumer, why);
    await this.deadLetterOrRetry(record, failure, error, 'retry budget spent');
    metrics.record(KitMetric.RetryBudgetSpent, 1);
    logger.error('retry budget spent: sent to the DLQ', {
      failure,
      destination: 'dlq',
      give_up_reason: decision.reason,
      attempts: receiveCount,
      ...(decision.elapsedSeconds !== undefined && { elapsed_seconds: Math.round(decision.elapsedSeconds) }),
      retry_budget_seconds: this.retryBudget.budgetSeconds,
      error,
    });
    return RecordResult.RetryBudgetSpent;
  }

  // Parks the record; when the DLQ send fails it stays on the queue instead (nothing is lost).
  private async deadLetterOrRetry(record: SQSRecord, failure: FailureContext, error: unknown, what: string): Promise<void> {
    try {
      await this.options.deadLetter(record, failure);
    } catch (sendError) {
      const delaySeconds = this.retryDelay(record);
      this.options.logger.error(`${what}, but the DLQ send failed: left on the queue for retry`, {
        failure,
        destination: 'retry',
        retry_in_seconds: delaySeconds,
        error,
        dead_letter_error: String(sendError),
      });
      throw new RetryLaterError(delaySeconds, new DeadLetterSendError('could not send to the DLQ', { cause: sendError }));
    }
  }

  private retryDelay(record: SQSRecord): number {
    return backoffDelaySeconds(receiveCountOf(record), this.options.backoff);
  }
}
