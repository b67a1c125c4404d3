/**
 * Dead-lettered messages as an operator needs them: why each one is there (the
 * failure context the consumer kit attached), and how to put it back on the consumer's
 * queue exactly as it first arrived. Pure: the SQS calls live in ops/adapters.
 *
 * Two kinds of DLQ hold a consumer's messages:
 * - its queue's DLQ: the raw-delivered envelope as body, the event's attributes plus
 *   the kit's failure context (or none, when SQS moved it after maxReceiveCount);
 * - its subscription's DLQ: what SNS could not deliver. Every Fanout subscription uses
 *   raw delivery, so SNS writes there what it would have put on the queue: the raw body
 *   (the envelope) with the published message attributes as SQS message attributes.
 *   A subscription without raw delivery writes an SNS notification instead (JSON with
 *   `Message` and `MessageAttributes` {Type, Value}), which is unwrapped first.
 *
 * The failure context belongs to one failure: it never goes back to the consumer's
 * queue with a redriven message, or a later failure would show it as its own.
 */
import { MessageAttribute, parseEnvelope } from '../contracts/envelope';
import { FanoutError } from '../contracts/errors';
import { FailureAttribute, isFailureAttribute, readFailureContext, type FailureContext } from '../contracts/failure-context';

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

/** A DLQ message cannot be put back (e.g. a message without a group for a FIFO queue). */
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

/**
 * The SNS notification inside a subscription-DLQ body, or undefined when the body is
 * not one (with raw delivery, the rule in Fanout, it never is).
 */
export function parseSnsNotification(body: string): SnsNotification | undefined {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const record = value as Record<string, unknown>;
  // SNS always writes Type=Notification. Required, because with raw delivery the body is
  // whatever the producer published, and a producer's own JSON may have a `Message`.
  if (record.Type !== 'Notification' || typeof record.Message !== 'string') return undefined;
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

/** The message's own attributes, without the failure context of an earlier failure. */
function copyAttributes(attributes: QueueMessage['MessageAttributes']): Record<string, SendableAttribute> {
  const out: Record<string, SendableAttribute> = {};
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (!value.DataType || isFailureAttribute(name)) continue;
    if (value.StringValue !== undefined) out[name] = { DataType: value.DataType, StringValue: value.StringValue };
    else if (value.BinaryValue !== undefined) out[name] = { DataType: value.DataType, BinaryValue: value.BinaryValue };
  }
  return out;
}

/**
 * What to send to the consumer's queue for one DLQ message: the body and the event's
 * own message attributes (`type`, `correlationid`, `schemaversion`, ...) as they are,
 * so the consumer gets what SNS delivered or would have delivered through the
 * subscription's filter policy; the failure context left out; the FIFO group carried
 * over. From a subscription DLQ, a raw-delivered message (Fanout's rule) goes as it is,
 * and an SNS notification (a subscription without raw delivery) is unwrapped first.
 * @param from `queue-dlq` or `subscription-dlq`
 * @throws DeadLetterFormatError when a message for a FIFO queue has no message group
 */
export function redriveMessage(message: QueueMessage, from: 'queue-dlq' | 'subscription-dlq', fifo: boolean): RedriveMessage {
  const system = message.Attributes ?? {};
  let body = message.Body ?? '';
  let attributes = copyAttributes(message.MessageAttributes);
  let groupId = system.MessageGroupId;
  let dedupId = system.MessageDeduplicationId;
  const notification = from === 'subscription-dlq' ? parseSnsNotification(body) : undefined;
  if (notification) {
    body = notification.Message;
    attributes = copyAttributes(snsToSqsAttributes(notification.MessageAttributes));
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
  /**
   * A failure context from an earlier failure, carried along by a redrive (SQS's move
   * task keeps every attribute) onto a message SQS has since moved again on its own:
   * history, not the reason it is here now.
   */
  readonly earlierFailure?: string;
}

function isoFromMillis(value: string | undefined): string | undefined {
  const n = Number(value);
  return value !== undefined && Number.isFinite(n) && n > 0 ? new Date(n).toISOString() : undefined;
}

/**
 * Reads a DLQ message for an operator: the kit's failure context when present and
 * its own, otherwise what SQS says (moved after maxReceiveCount, or undeliverable by
 * SNS), with an earlier failure's context, if one came along, as `earlierFailure`.
 * Raw-delivered and SNS-notification subscription-DLQ messages are both read.
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
  const found = readFailureContext(attributes);
  // SQS sets DeadLetterQueueSourceArn only on a message it moved itself after
  // maxReceiveCount; the kit's dead-letter copy is a new message, sent without it. So a
  // failure context on a message SQS moved is an earlier failure's, brought back to the
  // queue by a redrive, and showing it as the reason would blame the wrong failure.
  const movedBySqs = from === 'queue-dlq' && system.DeadLetterQueueSourceArn !== undefined;
  const context: Partial<FailureContext> = movedBySqs ? {} : found;
  const earlierFailure = movedBySqs && (found.errorName !== undefined || found.errorMessage !== undefined) ? describeEarlier(found) : undefined;
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
    ...(earlierFailure !== undefined && { earlierFailure }),
  };
}

function describeEarlier(context: Partial<FailureContext>): string {
  const when = [
    context.receiveCount !== undefined && Number.isFinite(context.receiveCount) ? `receive ${context.receiveCount}` : undefined,
    context.firstSeen !== undefined && context.firstSeen !== 'unknown' ? `first seen ${context.firstSeen}` : undefined,
  ].filter((part) => part !== undefined);
  return `${context.errorName ?? 'Error'}: ${context.errorMessage ?? '(no message)'}${when.length > 0 ? ` (${when.join(', ')})` : ''}`;
}

/** The failure-context attribute names, re-exported so tests and tools need one import. */
export { FailureAttribute };
