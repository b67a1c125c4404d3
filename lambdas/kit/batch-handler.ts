/**
 * One SQS batch: records go through the {@link RecordProcessor} one at a time under
 * Powertools' batch processing, which builds the partial batch response. Standard
 * queues report only the failed records; FIFO queues report a failed record and the
 * rest of its message group (skipGroupOnError) while other groups go on. Failed
 * records then get their backoff through one ChangeMessageVisibilityBatch; FIFO records
 * held back behind a failure are released at once and wait behind their group's head.
 *
 * No record is started once the invocation's remaining time is below what one record may
 * take when a dependency hangs ({@link recordReserveMs}): the rest of the batch is
 * reported failed with its backoff, so a stalled dependency costs retries within the
 * retry budget, not a timed-out invocation that leaves every record without either.
 */
import { CONSUMER_SDK_TIMEOUTS } from '../../contracts/sdk-client-config';
import { BatchProcessor, EventType, processPartialResponse, SqsFifoPartialProcessorAsync } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { backoffDelaySeconds, type BackoffOptions } from './backoff';
import { receiveCountOf } from './failure-context';
import type { IdempotencyGate } from './idempotency';
import { DeadlineNearError } from './errors';
import { RetryLaterError, type RecordProcessor } from './record-processor';
import type { RetryDelay } from './sqs-actions';
import type { KitLogger, MetricSink } from './telemetry';

/** What a batch handler needs besides the record processor. */
export interface BatchHandlerOptions {
  readonly processor: RecordProcessor<unknown>;
  /** FIFO: stop a message group at its first failure. */
  readonly fifo: boolean;
  readonly gate: IdempotencyGate;
  /** Applies the backoff of failed records; returns the ids it could not delay. */
  readonly delayRetries: (delays: readonly RetryDelay[]) => Promise<string[]>;
  readonly logger: KitLogger & { addContext?(context: Context): void };
  readonly metrics: MetricSink;
  readonly backoff?: BackoffOptions;
  /**
   * Start no record with less than this left before the invocation's timeout, milliseconds.
   * @default {@link recordReserveMs} of the invocation's time at its start
   */
  readonly recordReserveMs?: number;
}

/** The SDK's attempts per call (its default): each may last a request timeout when a dependency hangs. */
const SDK_ATTEMPTS = 3;

/**
 * The time one record may take when a dependency hangs: one call's every SDK attempt
 * running to its request timeout (contracts/sdk-client-config.ts), plus a second for the
 * SDK's backoff between them, and at most half the invocation, so a short timeout still
 * runs a record per invocation.
 */
export function recordReserveMs(invocationMs: number): number {
  return Math.min(SDK_ATTEMPTS * CONSUMER_SDK_TIMEOUTS.requestTimeoutMs + 1000, invocationMs / 2);
}

/** A Lambda handler for an SQS event source with ReportBatchItemFailures. */
export type SqsBatchHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/**
 * Creates the Lambda handler of a consumer.
 * Invocations must not overlap within one process (as in Lambda): log keys and the
 * trace segment are per process.
 */
export function createBatchHandler(options: BatchHandlerOptions): SqsBatchHandler {
  const { processor, gate, logger, metrics } = options;
  return async (event, context) => {
    logger.addContext?.(context);
    gate.registerContext(context);
    const delays = new Map<string, number>();
    const reserveMs = options.recordReserveMs ?? recordReserveMs(context.getRemainingTimeInMillis());
    let leftForLater = 0;
    const recordHandler = async (record: SQSRecord): Promise<void> => {
      if (context.getRemainingTimeInMillis() < reserveMs) {
        leftForLater += 1;
        // The backoff a transient failure would get: it used a receive all the same.
        delays.set(record.messageId, backoffDelaySeconds(receiveCountOf(record), options.backoff));
        throw new DeadlineNearError(`not started: ${context.getRemainingTimeInMillis()} ms left of the invocation, less than the ${reserveMs} ms a record may take`);
      }
      try {
        await processor.process(record);
      } catch (error) {
        if (error instanceof RetryLaterError) delays.set(record.messageId, error.delaySeconds);
        throw error;
      }
    };
    try {
      // A processor per invocation: it holds the batch's state.
      const response = options.fifo
        ? await processPartialResponse(event, recordHandler, new SqsFifoPartialProcessorAsync(), {
            context,
            skipGroupOnError: true,
            // A fully failed batch is reported like any other, so every record gets its backoff.
            throwOnFullBatchFailure: false,
          })
        : await processPartialResponse(event, recordHandler, new BatchProcessor(EventType.SQS), {
            context,
            // One record at a time: log keys and the trace segment follow the current record.
            processInParallel: false,
            throwOnFullBatchFailure: false,
          });
      if (leftForLater > 0) {
        logger.warn('invocation near its timeout: records left for their next receive', { records_left: leftForLater, reserve_ms: reserveMs });
      }
      await applyBackoff(event.Records, response, delays, options);
      return response;
    } finally {
      metrics.flush();
    }
  };
}

async function applyBackoff(records: readonly SQSRecord[], response: SQSBatchResponse, delays: Map<string, number>, options: BatchHandlerOptions): Promise<void> {
  if (response.batchItemFailures.length === 0) return;
  const byId = new Map(records.map((record) => [record.messageId, record]));
  const retries: RetryDelay[] = [];
  for (const { itemIdentifier } of response.batchItemFailures) {
    const record = byId.get(itemIdentifier);
    if (!record) continue;
    const delay = delays.get(itemIdentifier);
    // A FIFO record held back behind its group's failure never ran: it is released at
    // once, because SQS delivers nothing of a group while its failed head is in flight,
    // so the group resumes, in order, when the head's backoff ends. (Giving it the head's
    // delay instead would make both visible at the same moment, and an emulator that
    // picks the later one first would break the order.)
    const delaySeconds = delay ?? (options.fifo ? 0 : backoffDelaySeconds(receiveCountOf(record), options.backoff));
    retries.push({ messageId: itemIdentifier, receiptHandle: record.receiptHandle, delaySeconds });
  }
  const notDelayed = await options.delayRetries(retries);
  if (notDelayed.length > 0) {
    options.logger.warn('could not set the backoff of some failed records: they retry after the queue visibility timeout', {
      message_ids: notDelayed,
    });
  }
}
