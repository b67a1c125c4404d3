/**
 * Builds the `SQSEvent` Lambda's SQS event source mapping hands a function, from the
 * messages ReceiveMessage returned: the exact record shape (camel-cased fields,
 * message attributes as `{ stringValue, stringListValues, binaryListValues, dataType }`,
 * eventSource/eventSourceARN/awsRegion), so consumer code runs locally on the same
 * input it gets in AWS.
 */
import type { Message, MessageAttributeValue } from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSMessageAttribute, SQSRecord, SQSRecordAttributes } from 'aws-lambda';

function toLambdaAttribute(value: MessageAttributeValue): SQSMessageAttribute {
  const attribute: SQSMessageAttribute = {
    // Lambda always includes the (deprecated, always empty) list fields.
    stringListValues: [],
    binaryListValues: [],
    dataType: value.DataType ?? 'String',
  };
  if (value.StringValue !== undefined) attribute.stringValue = value.StringValue;
  if (value.BinaryValue !== undefined) attribute.binaryValue = Buffer.from(value.BinaryValue).toString('base64');
  return attribute;
}

/**
 * One Lambda SQS record from one received message.
 * @param queueArn the queue's ARN (the record's eventSourceARN)
 */
export function toSqsRecord(message: Message, queueArn: string, region: string): SQSRecord {
  const messageAttributes = Object.fromEntries(
    Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [name, toLambdaAttribute(value)]),
  );
  const record: SQSRecord = {
    messageId: message.MessageId!,
    receiptHandle: message.ReceiptHandle!,
    body: message.Body ?? '',
    // Lambda passes the system attributes through as SQS returned them (strings).
    attributes: { ...(message.Attributes ?? {}) } as unknown as SQSRecordAttributes,
    messageAttributes,
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
  if (message.MD5OfMessageAttributes) record.md5OfMessageAttributes = message.MD5OfMessageAttributes;
  return record;
}

/** The event for one invocation. */
export function toSqsEvent(messages: readonly Message[], queueArn: string, region: string): SQSEvent {
  return { Records: messages.map((message) => toSqsRecord(message, queueArn, region)) };
}

/** What a function returned, as the event source mapping interprets it. */
export type BatchOutcome =
  /** Every record succeeded: delete them all. */
  | { readonly kind: 'all-succeeded' }
  /** Delete all but these message ids; they come back after the visibility timeout. */
  | { readonly kind: 'partial'; readonly failedMessageIds: ReadonlySet<string> }
  /** Nothing is deleted (error, timeout, crash, or a malformed response). */
  | { readonly kind: 'all-failed'; readonly reason: string };

/**
 * Interprets a function's response the way Lambda does with ReportBatchItemFailures
 * (the Lambda and SQS developer guides, "partial batch responses"): no response, null,
 * an empty object, or an object whose `batchItemFailures` is missing, null or empty,
 * means all succeeded. Anything else that is not such an object (a string, a number, a
 * list: "an invalid JSON response"), a `batchItemFailures` that is not a list, or an
 * item whose `itemIdentifier` is missing, null, empty, not a string or not a message of
 * the batch, fails the whole batch. Without ReportBatchItemFailures, a response is
 * always success.
 */
export function interpretResponse(response: unknown, event: SQSEvent, reportBatchItemFailures: boolean): BatchOutcome {
  if (!reportBatchItemFailures) return { kind: 'all-succeeded' };
  if (response === null || response === undefined) return { kind: 'all-succeeded' };
  if (typeof response !== 'object' || Array.isArray(response)) {
    return { kind: 'all-failed', reason: `the response ${JSON.stringify(response)?.slice(0, 80)} is not an object with batchItemFailures` };
  }
  const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return { kind: 'all-succeeded' };
  if (!Array.isArray(failures)) return { kind: 'all-failed', reason: 'batchItemFailures is not a list' };
  if (failures.length === 0) return { kind: 'all-succeeded' };
  const ids = new Set(event.Records.map((record) => record.messageId));
  const failed = new Set<string>();
  for (const failure of failures) {
    const id = typeof failure === 'object' && failure !== null ? (failure as { itemIdentifier?: unknown }).itemIdentifier : undefined;
    if (typeof id !== 'string' || id === '' || !ids.has(id)) {
      return { kind: 'all-failed', reason: `batchItemFailures names ${JSON.stringify(id)}, which is not a message of the batch` };
    }
    failed.add(id);
  }
  return { kind: 'partial', failedMessageIds: failed };
}
