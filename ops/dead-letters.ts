/**
 * Dead-lettered messages as an operator needs them: why each one is there (the
 * failure context the consumer kit attached), and how to put it back on the consumer's
 * queue exactly as it first arrived. Pure: the SQS calls live in ops/adapters.
 *
 * Two kinds of DLQ hold a consumer's messages:
 * - its queue's DLQ: the raw-delivered envelope as body, the event's attributes plus
 *   the kit's failure context (or none, when SQS moved it after maxReceiveCount);
 * - its subscription's DLQ: what SNS could not deliver, as an SNS notification
 *   envelope (JSON with `Message` and `MessageAttributes` {Type, Value}), which must be
 *   unwrapped before it goes to the consumer's queue, where raw delivery is the rule.
 */
import { MessageAttribute, parseEnvelope } from '../contracts/envelope';
import { FanoutError } from '../contracts/errors';
import { FailureAttribute, readFailureContext } from '../contracts/failure-context';

/** An SQS message attribute value (the shape ReceiveMessage returns and SendMessage takes). */
export interface QueueMessageAttribute {
  readonly DataType?: string;
  readonly StringValue?: string;
  readonly BinaryValue?: Uint8Array;
}

/** A received SQS message: the fields of the SDK's `Message` this module reads. */
export interface QueueMessage {
  readonly MessageId?: string;
  readonly ReceiptHandle?: string;
  readonly Body?: string;
  /** System attributes: ApproximateReceiveCount, SentTimestamp, MessageGroupId, ... */
  readonly Attributes?: Partial<Record<string, string>>;
  readonly MessageAttributes?: Record<string, QueueMessageAttribute>;
}

/** An attribute as SendMessage takes it (the data type is required there). */
export interface SendableAttribute {
  readonly DataType: string;
  readonly StringValue?: string;
  readonly BinaryValue?: Uint8Array;
}

/** A message ready to send back to the consumer's queue. */
export interface RedriveMessage {
  readonly body: string;
  readonly attributes: Record<string, SendableAttribute>;
  /** FIFO only. */
  readonly messageGroupId?: string;
  /** FIFO only: the original's, so a re-sent copy inside the 5-minute window is dropped by SQS. */
  readonly messageDeduplicationId?: string;
}

/** A DLQ message cannot be put back (e.g. a subscription DLQ message that is not an SNS notification). */
export class DeadLetterFormatError extends FanoutError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DeadLetterFormatError';
  }
}

interface SnsNotification {
  readonly Type?: string;
  readonly MessageId?: string;
  readonly Message: string;
  readonly MessageAttributes?: Record<string, { readonly Type: string; readonly Value: string }>;
  readonly MessageGroupId?: string;
  readonly MessageDeduplicationId?: string;
}

/** The SNS notification inside a subscription-DLQ body, or undefined when the body is not one. */
export function parseSnsNotification(body: string): SnsNotification | undefined {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  if (typeof record.Message !== 'string') return undefined;
  // SNS writes Type=Notification; a raw Fanout envelope never has a top-level `Message`.
  if (record.Type !== undefined && record.Type !== 'Notification') return undefined;
  return record as unknown as SnsNotification;
}

/** SNS `{Type, Value}` attributes → SQS `{DataType, StringValue | BinaryValue}` attributes. */
export function snsToSqsAttributes(attributes: SnsNotification['MessageAttributes']): Record<string, SendableAttribute> {
  const out: Record<string, SendableAttribute> = {};
  for (const [name, { Type, Value }] of Object.entries(attributes ?? {})) {
    // SNS base64-encodes binary values in the JSON envelope; SQS wants the bytes.
    out[name] = Type === 'Binary' ? { DataType: 'Binary', BinaryValue: Buffer.from(Value, 'base64') } : { DataType: Type, StringValue: Value };
  }
  return out;
}

function copyAttributes(attributes: QueueMessage['MessageAttributes']): Record<string, SendableAttribute> {
  const out: Record<string, SendableAttribute> = {};
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (!value.DataType) continue;
    if (value.StringValue !== undefined) out[name] = { DataType: value.DataType, StringValue: value.StringValue };
    else if (value.BinaryValue !== undefined) out[name] = { DataType: value.DataType, BinaryValue: value.BinaryValue };
  }
  return out;
}

/**
 * What to send to the consumer's queue for one DLQ message: body and message
 * attributes kept as they are (as SQS's own move task does), the FIFO group and
 * deduplication ids carried over, an SNS notification unwrapped first.
 * @param from `queue-dlq` or `subscription-dlq`
 * @throws DeadLetterFormatError when a subscription-DLQ message is not an SNS notification
 */
export function redriveMessage(message: QueueMessage, from: 'queue-dlq' | 'subscription-dlq', fifo: boolean): RedriveMessage {
  const system = message.Attributes ?? {};
  let body = message.Body ?? '';
  let attributes = copyAttributes(message.MessageAttributes);
  let groupId = system.MessageGroupId;
  let dedupId = system.MessageDeduplicationId;
  if (from === 'subscription-dlq') {
    const notification = parseSnsNotification(body);
    if (!notification) {
      throw new DeadLetterFormatError(`message ${message.MessageId ?? '?'} in the subscription DLQ is not an SNS notification: left in place`);
    }
    body = notification.Message;
    attributes = snsToSqsAttributes(notification.MessageAttributes);
    groupId = groupId ?? notification.MessageGroupId;
    dedupId = dedupId ?? notification.MessageDeduplicationId ?? notification.MessageId;
  }
  if (!fifo) return { body, attributes };
  if (!groupId) throw new DeadLetterFormatError(`message ${message.MessageId ?? '?'} has no MessageGroupId to send to a FIFO queue: left in place`);
  // A fresh deduplication id: re-sending the original one within SQS's 5-minute window
  // would be accepted and silently dropped as a duplicate, and the move would then delete
  // the only copy. Derived from the DLQ message id, so a rerun after a crash between send
  // and delete is still deduplicated; the consumers' idempotency absorbs anything else.
  const redriveDedupId = message.MessageId ? `redrive-${message.MessageId}` : dedupId;
  return { body, attributes, messageGroupId: groupId, ...(redriveDedupId && { messageDeduplicationId: redriveDedupId }) };
}

/** One dead-lettered message, as `fanout dlq` shows it. */
export interface DeadLetterView {
  /** The DLQ's message id. */
  readonly messageId: string;
  /** Why it is there, in a line. */
  readonly reason: string;
  readonly errorName?: string;
  readonly errorMessage?: string;
  /** When the consumer's queue first delivered it (ISO), or when it was first sent. */
  readonly firstSeen?: string;
  /** How many times the consumer received it before giving up. */
  readonly receiveCount?: number;
  readonly correlationId?: string;
  /** The envelope's id (the idempotency key), type and subject, when the body is an envelope. */
  readonly eventId?: string;
  readonly eventType?: string;
  readonly subject?: string;
  /** The consumer's SQS message id of the failed delivery. */
  readonly originalMessageId?: string;
}

function isoFromMillis(value: string | undefined): string | undefined {
  const n = Number(value);
  return value !== undefined && Number.isFinite(n) && n > 0 ? new Date(n).toISOString() : undefined;
}

/**
 * Reads a DLQ message for an operator: the kit's failure context when present,
 * otherwise what SQS says (moved after maxReceiveCount, or undeliverable by SNS).
 * @param maxReceiveCount the consumer's, to explain messages SQS moved on its own
 */
export function describeDeadLetter(message: QueueMessage, from: 'queue-dlq' | 'subscription-dlq', maxReceiveCount?: number): DeadLetterView {
  const system = message.Attributes ?? {};
  let body = message.Body ?? '';
  let attributes: Record<string, QueueMessageAttribute> = message.MessageAttributes ?? {};
  if (from === 'subscription-dlq') {
    const notification = parseSnsNotification(body);
    if (notification) {
      body = notification.Message;
      attributes = snsToSqsAttributes(notification.MessageAttributes);
    }
  }
  const context = readFailureContext(attributes);
  let envelope: { id?: string; type?: string; subject?: string; correlationid?: string } = {};
  try {
    envelope = parseEnvelope(body);
  } catch {
    // Not an envelope (that may be the very reason it is here): show what SQS knows.
  }
  const correlationId = attributes[MessageAttribute.CorrelationId]?.StringValue ?? envelope.correlationid;
  let reason: string;
  if (context.errorName !== undefined || context.errorMessage !== undefined) {
    reason = `${context.errorName ?? 'Error'}: ${context.errorMessage ?? '(no message)'}`;
  } else if (from === 'subscription-dlq') {
    reason = 'SNS could not deliver it to the queue (check the queue policy and the KMS key policy)';
  } else {
    reason = `moved by SQS after ${maxReceiveCount !== undefined ? `${maxReceiveCount} receives` : 'the maximum receive count'} (${system.MessageGroupId !== undefined ? 'failed, timed out, or was held behind a failing message of its group' : 'failed or timed out every time'}; see the function's logs)`;
  }
  const firstSeen = context.firstSeen && context.firstSeen !== 'unknown' ? context.firstSeen : isoFromMillis(system.SentTimestamp);
  const receiveCount = context.receiveCount ?? (from === 'queue-dlq' && maxReceiveCount !== undefined ? maxReceiveCount : undefined);
  return {
    messageId: message.MessageId ?? '?',
    reason,
    ...(context.errorName !== undefined && { errorName: context.errorName }),
    ...(context.errorMessage !== undefined && { errorMessage: context.errorMessage }),
    ...(firstSeen !== undefined && { firstSeen }),
    ...(receiveCount !== undefined && Number.isFinite(receiveCount) && { receiveCount }),
    ...(correlationId !== undefined && { correlationId }),
    ...(envelope.id !== undefined && { eventId: envelope.id }),
    ...(envelope.type !== undefined && { eventType: envelope.type }),
    ...(envelope.subject !== undefined && { subject: envelope.subject }),
    ...(context.originalMessageId !== undefined && { originalMessageId: context.originalMessageId }),
  };
}

/** The failure-context attribute names, re-exported so tests and tools need one import. */
export { FailureAttribute };
