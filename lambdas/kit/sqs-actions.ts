/**
 * The kit's two SQS calls, as small adapters that take their client: parking a
 * permanently failed message in the DLQ, and delaying the retry of failed ones.
 */
import { ChangeMessageVisibilityBatchCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import {
  deadLetterAttributes,
  fitDeadLetterAttributes,
  LEGACY_SQS_MESSAGE_BYTES,
  MAX_SQS_MESSAGE_BYTES,
  messageSizeBytes,
  type FailureContext,
  type OutgoingAttribute,
} from './failure-context';

/** Where permanently failed messages go. */
export interface DeadLetterTarget {
  readonly queueUrl: string;
  /** A FIFO DLQ needs a message group and a deduplication id. */
  readonly fifo: boolean;
}

/**
 * Sends a copy of `record` (its body unchanged, so a redrive delivers the same envelope)
 * to the DLQ with the failure context as message attributes, cut to fit SQS's 1 MiB
 * (the error text first, never the body). Should that copy be over 256 KiB and the send
 * fail, it is sent once more cut to 256 KiB, for a DLQ still at SQS's old limit.
 * @throws the SDK's error when the send fails: the caller must then not acknowledge the record
 */
export async function sendToDeadLetterQueue(sqs: SQSClient, target: DeadLetterTarget, record: SQSRecord, failure: FailureContext): Promise<void> {
  const attributes = fitDeadLetterAttributes(record.body, deadLetterAttributes(record, failure), MAX_SQS_MESSAGE_BYTES);
  try {
    await send(sqs, target, record, attributes);
  } catch (error) {
    if (messageSizeBytes(record.body, attributes) <= LEGACY_SQS_MESSAGE_BYTES) throw error;
    // Which limit the DLQ has is not known here, and SQS says "too long" only in words.
    await send(sqs, target, record, fitDeadLetterAttributes(record.body, attributes, LEGACY_SQS_MESSAGE_BYTES));
  }
}

async function send(sqs: SQSClient, target: DeadLetterTarget, record: SQSRecord, attributes: Record<string, OutgoingAttribute>): Promise<void> {
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: target.queueUrl,
      MessageBody: record.body,
      MessageAttributes: attributes,
      ...(target.fifo && {
        // Keep the original group so a redrive restores per-group order.
        MessageGroupId: record.attributes?.MessageGroupId ?? 'dead-letters',
        // The source message id: a repeated send of the same failure is deduplicated.
        MessageDeduplicationId: record.messageId,
      }),
    }),
  );
}

/** One failed record and how long it should stay invisible. */
export interface RetryDelay {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly delaySeconds: number;
}

/**
 * Sets the visibility timeout of failed records (ChangeMessageVisibilityBatch, 10 a call),
 * so each next try waits its backoff instead of the queue's full visibility timeout.
 * @returns the message ids whose visibility could not be changed (they simply retry
 *   after the queue's visibility timeout: a slower retry, never a lost message)
 */
export async function delayRetries(sqs: SQSClient, queueUrl: string, delays: readonly RetryDelay[]): Promise<string[]> {
  const failed: string[] = [];
  for (let start = 0; start < delays.length; start += 10) {
    const chunk = delays.slice(start, start + 10);
    try {
      const result = await sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: queueUrl,
          Entries: chunk.map((entry, index) => ({
            // Batch entry ids allow only alphanumerics, '-' and '_', and message ids are not guaranteed to.
            Id: `r${start + index}`,
            ReceiptHandle: entry.receiptHandle,
            VisibilityTimeout: entry.delaySeconds,
          })),
        }),
      );
      for (const failure of result.Failed ?? []) {
        const entry = chunk[Number(failure.Id?.slice(1)) - start];
        if (entry) failed.push(entry.messageId);
      }
    } catch {
      failed.push(...chunk.map((entry) => entry.messageId));
    }
  }
  return failed;
}
