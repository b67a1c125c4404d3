/**
 * The context a permanently failed message carries into the DLQ, as SQS message
 * attributes next to its original ones, so an operator (and `fanout dlq`) can see why it
 * is there without searching logs. Pure: the SQS call lives in sqs-actions.ts.
 * The attribute names are the contract with the operator tools: contracts/failure-context.ts.
 */
import type { SQSRecord } from 'aws-lambda';
import { FailureAttribute, type FailureContext } from '../../contracts/failure-context';

/**
 * The attribute names, the {@link FailureContext} type and its reader belong to the
 * contract with the operator tools (contracts/failure-context.ts); re-exported here so the
 * kit's own code and its users need one import.
 */
export { FailureAttribute, readFailureContext, type FailureContext } from '../../contracts/failure-context';

/** SQS accepts at most 10 message attributes per message. */
export const MAX_MESSAGE_ATTRIBUTES = 10;

/** Error messages are cut to this length: the whole message must stay under SQS's size limit. */
export const MAX_ERROR_MESSAGE_LENGTH = 1024;

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
