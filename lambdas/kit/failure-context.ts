/**
 * The context a permanently failed message carries into the DLQ, as SQS message
 * attributes next to its original ones, so an operator (and `fanout dlq`) can see why it
 * is there without searching logs. Pure: the SQS call lives in sqs-actions.ts.
 */
import type { SQSRecord } from 'aws-lambda';

/** Names of the failure-context message attributes on a DLQ message. */
export const FailureAttribute = {
  /** The error's `name`, e.g. `ContractViolationError`. */
  ErrorName: 'fanout-error-name',
  /** The error's message (truncated to {@link MAX_ERROR_MESSAGE_LENGTH}). */
  ErrorMessage: 'fanout-error-message',
  /** The consumer that gave up on it. */
  Consumer: 'fanout-consumer',
  /** The SQS message id on the consumer's queue. */
  OriginalMessageId: 'fanout-original-message-id',
  /** ApproximateReceiveCount when it failed (DataType Number). */
  ReceiveCount: 'fanout-receive-count',
  /** When the consumer's queue first delivered it (ISO 8601). */
  FirstSeen: 'fanout-first-seen',
} as const;

/** SQS accepts at most 10 message attributes per message. */
export const MAX_MESSAGE_ATTRIBUTES = 10;

/** Error messages are cut to this length: the whole message must stay under SQS's size limit. */
export const MAX_ERROR_MESSAGE_LENGTH = 1024;

/** Why and when a record failed. */
export interface FailureContext {
  readonly errorName: string;
  readonly errorMessage: string;
  readonly consumer: string;
  readonly originalMessageId: string;
  readonly receiveCount: number;
  /** ISO 8601, or `unknown` when the record does not say. */
  readonly firstSeen: string;
}

/** An SQS `SendMessage` message attribute value. */
export interface OutgoingAttribute {
  readonly DataType: string;
  readonly StringValue?: string;
  readonly BinaryValue?: Uint8Array;
}

/** The failure context of `record`, which failed with `error` in `consumer`. */
export function failureContextOf(record: SQSRecord, error: unknown, consumer: string): FailureContext {
  const err = error instanceof Error ? error : new Error(String(error));
  const firstReceive = Number(record.attributes?.ApproximateFirstReceiveTimestamp);
  return {
    errorName: err.name,
    errorMessage: err.message.length > MAX_ERROR_MESSAGE_LENGTH ? `${err.message.slice(0, MAX_ERROR_MESSAGE_LENGTH - 1)}…` : err.message,
    consumer,
    originalMessageId: record.messageId,
    receiveCount: receiveCountOf(record),
    firstSeen: Number.isFinite(firstReceive) && firstReceive > 0 ? new Date(firstReceive).toISOString() : 'unknown',
  };
}

/** The record's ApproximateReceiveCount; 1 when absent (a first delivery). */
export function receiveCountOf(record: SQSRecord): number {
  const count = Number(record.attributes?.ApproximateReceiveCount);
  return Number.isFinite(count) && count >= 1 ? count : 1;
}

/**
 * The message attributes of the DLQ copy: the failure context first, then as many of
 * the original attributes as fit SQS's limit of 10 (the original `type`,
 * `correlationid` and `schemaversion` always fit).
 */
export function deadLetterAttributes(record: SQSRecord, failure: FailureContext): Record<string, OutgoingAttribute> {
  const attributes: Record<string, OutgoingAttribute> = {
    [FailureAttribute.ErrorName]: { DataType: 'String', StringValue: failure.errorName || 'Error' },
    // SQS rejects empty string values.
    [FailureAttribute.ErrorMessage]: { DataType: 'String', StringValue: failure.errorMessage || '(no message)' },
    [FailureAttribute.Consumer]: { DataType: 'String', StringValue: failure.consumer },
    [FailureAttribute.OriginalMessageId]: { DataType: 'String', StringValue: failure.originalMessageId },
    [FailureAttribute.ReceiveCount]: { DataType: 'Number', StringValue: String(failure.receiveCount) },
    [FailureAttribute.FirstSeen]: { DataType: 'String', StringValue: failure.firstSeen },
  };
  for (const [name, value] of Object.entries(record.messageAttributes ?? {})) {
    if (Object.keys(attributes).length >= MAX_MESSAGE_ATTRIBUTES) break;
    if (name in attributes) continue;
    if (value.stringValue !== undefined) {
      attributes[name] = { DataType: value.dataType, StringValue: value.stringValue };
    } else if (value.binaryValue !== undefined) {
      attributes[name] = { DataType: value.dataType, BinaryValue: Buffer.from(value.binaryValue, 'base64') };
    }
  }
  return attributes;
}

/** Reads a failure context back from a DLQ message's attributes (for tools such as `fanout dlq`). */
export function readFailureContext(attributes: Readonly<Record<string, { StringValue?: string } | undefined>>): Partial<FailureContext> {
  const get = (name: string) => attributes[name]?.StringValue;
  const receiveCount = get(FailureAttribute.ReceiveCount);
  return {
    ...(get(FailureAttribute.ErrorName) !== undefined && { errorName: get(FailureAttribute.ErrorName) }),
    ...(get(FailureAttribute.ErrorMessage) !== undefined && { errorMessage: get(FailureAttribute.ErrorMessage) }),
    ...(get(FailureAttribute.Consumer) !== undefined && { consumer: get(FailureAttribute.Consumer) }),
    ...(get(FailureAttribute.OriginalMessageId) !== undefined && { originalMessageId: get(FailureAttribute.OriginalMessageId) }),
    ...(receiveCount !== undefined && { receiveCount: Number(receiveCount) }),
    ...(get(FailureAttribute.FirstSeen) !== undefined && { firstSeen: get(FailureAttribute.FirstSeen) }),
  };
}
