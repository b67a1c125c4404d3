/**
 * The context a permanently failed message carries into the DLQ, as SQS message
 * attributes next to its original ones, so an operator (and `fanout dlq`) can see why it
 * is there without searching logs. Pure: the SQS call lives in sqs-actions.ts.
 * The attribute names are the contract with the operator tools: contracts/failure-context.ts.
 */
import type { SQSRecord } from 'aws-lambda';
import { FailureAttribute, isFailureAttribute, type FailureContext } from '../../contracts/failure-context';

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

/** `message` cut to `max` characters (the last one an ellipsis) when it is longer. */
export function truncateErrorMessage(message: string, max: number = MAX_ERROR_MESSAGE_LENGTH): string {
  if (message.length <= max) return message;
  if (max <= 0) return '';
  let end = max - 1;
  // Never half a surrogate pair: SQS refuses a lone surrogate, and the send would fail.
  const last = message.charCodeAt(end - 1);
  if (end > 0 && last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${message.slice(0, end)}…`;
}

/**
 * The failure context of `record`, which failed with `error` in `consumer`.
 * @param note put before the error's message, e.g. why the kit gave up retrying
 */
export function failureContextOf(record: SQSRecord, error: unknown, consumer: string, note?: string): FailureContext {
  const err = error instanceof Error ? error : new Error(String(error));
  const firstReceive = Number(record.attributes?.ApproximateFirstReceiveTimestamp);
  return {
    errorName: err.name,
    errorMessage: truncateErrorMessage(note === undefined ? err.message : `${note}: ${err.message}`),
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
 * When the record was first received, epoch ms: its ApproximateFirstReceiveTimestamp, or,
 * when a runner leaves that out, its SentTimestamp (earlier: the budget then also counts
 * the time it waited in the queue, so it ends sooner, never later). Undefined when the
 * record says neither.
 */
export function firstReceiveOf(record: SQSRecord): number | undefined {
  for (const value of [record.attributes?.ApproximateFirstReceiveTimestamp, record.attributes?.SentTimestamp]) {
    const ms = Number(value);
    if (value !== undefined && Number.isFinite(ms) && ms > 0) return ms;
  }
  return undefined;
}


/**
 * The message attributes of the DLQ copy: this failure's context first, then as many of
 * the original attributes as fit SQS's limit of 10 (the original `type`,
 * `correlationid` and `schemaversion` always fit). An incoming failure context (a
 * redriven message that still had an earlier one) is replaced, never kept: every
 * `fanout-*` attribute of the record is left out, also names this kit does not write,
 * so the DLQ copy says only why it failed this time.
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
    if (isFailureAttribute(name)) continue;
    if (value.stringValue !== undefined) {
      attributes[name] = { DataType: value.dataType, StringValue: value.stringValue };
    } else if (value.binaryValue !== undefined) {
      attributes[name] = { DataType: value.dataType, BinaryValue: Buffer.from(value.binaryValue, 'base64') };
    }
  }
  return attributes;
}

/** SQS's largest message, bytes (1 MiB, the size every Fanout DLQ is created with). */
export const MAX_SQS_MESSAGE_BYTES = 1_048_576;

/** The limit of queues made before 2025 or by tools that keep SQS's old default, bytes (256 KiB). */
export const LEGACY_SQS_MESSAGE_BYTES = 262_144;

/**
 * The size SQS counts for a message, bytes: the body plus, for every attribute, its
 * name, its data type and its value (UTF-8).
 */
export function messageSizeBytes(body: string, attributes: Readonly<Record<string, OutgoingAttribute>>): number {
  let size = Buffer.byteLength(body, 'utf8');
  for (const [name, value] of Object.entries(attributes)) {
    size += Buffer.byteLength(name, 'utf8') + Buffer.byteLength(value.DataType, 'utf8');
    if (value.StringValue !== undefined) size += Buffer.byteLength(value.StringValue, 'utf8');
    if (value.BinaryValue !== undefined) size += value.BinaryValue.byteLength;
  }
  return size;
}

/**
 * The DLQ copy's attributes made to fit `maxBytes` with `body`: the body is never
 * touched (a redrive must deliver the same envelope). First the error message is cut,
 * down to nothing if need be, then the original attributes copied after the failure
 * context are left out, last first. The failure context's other fields are small and
 * always kept, so the result may still be too big only for a body at the limit itself:
 * the send then fails and the record is retried, never lost.
 */
export function fitDeadLetterAttributes(
  body: string,
  attributes: Readonly<Record<string, OutgoingAttribute>>,
  maxBytes: number = MAX_SQS_MESSAGE_BYTES,
): Record<string, OutgoingAttribute> {
  const fitted: Record<string, OutgoingAttribute> = { ...attributes };
  let excess = messageSizeBytes(body, fitted) - maxBytes;
  if (excess <= 0) return fitted;
  const message = fitted[FailureAttribute.ErrorMessage]?.StringValue;
  if (message !== undefined) {
    // The longest cut that fits, found by bisection over its length in characters: the
    // limit is in bytes, and a multi-byte text has no fixed ratio between the two.
    const withMessage = (keep: number) => ({ ...fitted, [FailureAttribute.ErrorMessage]: { DataType: 'String', StringValue: truncateErrorMessage(message, keep) || '…' } });
    let lo = 0;
    let hi = message.length;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (messageSizeBytes(body, withMessage(mid)) <= maxBytes) lo = mid;
      else hi = mid - 1;
    }
    fitted[FailureAttribute.ErrorMessage] = withMessage(lo)[FailureAttribute.ErrorMessage]!;
    excess = messageSizeBytes(body, fitted) - maxBytes;
    if (excess <= 0) return fitted;
  }
  const context = new Set<string>(Object.values(FailureAttribute));
  for (const name of Object.keys(fitted).reverse()) {
    if (excess <= 0) break;
    if (context.has(name)) continue;
    delete fitted[name];
    excess = messageSizeBytes(body, fitted) - maxBytes;
  }
  return fitted;
}
