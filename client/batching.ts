/**
 * The pure part of publishing: what one event looks like as a PublishBatch entry
 * (envelope body, mirrored attributes, FIFO message group and deduplication id), how
 * entries are packed into requests (10 entries and 256 KiB at most, one event of a FIFO
 * group per request), how a PublishBatch answer is sorted into published, refused and
 * to-retry, and which FIFO groups are held back behind a failed event.
 *
 * No AWS SDK and no I/O here: client/publisher.ts makes the SNS calls and owns the
 * retry loop, and everything in this module is tested without a client.
 */
import { createEnvelope, envelopeAttributes } from '../contracts/envelope';
import { MessageTooLargeError } from './errors';
import { isRetryableSnsCode } from './retry';

/** SNS's limit on one message, body and attributes together (256 KiB). */
export const SNS_MAX_MESSAGE_BYTES = 262_144;
/** SNS's limit on the sum of all messages in one PublishBatch request. */
export const SNS_MAX_BATCH_BYTES = 262_144;
/** SNS's limit on entries in one PublishBatch request. */
export const SNS_MAX_BATCH_ENTRIES = 10;

/** The most a batch request (SNS PublishBatch, SQS SendMessageBatch) may carry. */
export interface BatchLimits {
  readonly maxEntries: number;
  /** Sum of the entries' sizes (body and attributes). */
  readonly maxBytes: number;
}

/** The limits of one SNS PublishBatch request. */
export const SNS_BATCH_LIMITS: BatchLimits = { maxEntries: SNS_MAX_BATCH_ENTRIES, maxBytes: SNS_MAX_BATCH_BYTES };

/** A string message attribute as SNS and SQS take it (all Fanout sets are strings). */
export interface StringAttributeValue {
  readonly DataType: string;
  readonly StringValue: string;
}

/** Bytes SNS (and SQS) count for a message: the body plus every attribute's name, type and value. */
export function snsMessageBytes(body: string, attributes: Readonly<Record<string, StringAttributeValue>>): number {
  let size = Buffer.byteLength(body, 'utf8');
  for (const [name, value] of Object.entries(attributes)) {
    size += Buffer.byteLength(name, 'utf8') + Buffer.byteLength(value.DataType, 'utf8') + Buffer.byteLength(value.StringValue, 'utf8');
  }
  return size;
}

/** True for a FIFO topic (its ARN, like its name, ends in `.fifo`). */
export function isFifoTopicArn(topicArn: string): boolean {
  return topicArn.endsWith('.fifo');
}

/** What {@link buildPublishEntry} needs: one event, already validated against `version`. */
export interface PublishEntryInput {
  readonly type: string;
  readonly version: number;
  readonly data: unknown;
  readonly subject: string;
  readonly source: string;
  readonly id: string;
  readonly correlationId: string;
  readonly time: Date;
  /** W3C trace context of the producer's span. @default none */
  readonly traceparent?: string;
  /** The topic is FIFO: set the message group (the subject) and the deduplication id (the event id). */
  readonly fifo: boolean;
}

/**
 * One PublishBatch entry without its request-local `Id`: the fields of SNS's
 * PublishBatchRequestEntry that Fanout sets, written out here so this module needs no
 * AWS SDK (the publisher's `PublishBatchCommand` checks that it still fits).
 */
export interface PublishBatchEntry {
  readonly Message: string;
  readonly MessageAttributes: Readonly<Record<string, StringAttributeValue>>;
  /** FIFO topics only: the subject. */
  readonly MessageGroupId?: string;
  /** FIFO topics only: the event id. */
  readonly MessageDeduplicationId?: string;
}

/** One event as a PublishBatch entry (without the request-local `Id`), and its size as SNS counts it. */
export interface PublishEntry {
  readonly entry: PublishBatchEntry;
  readonly sizeBytes: number;
}

/**
 * The PublishBatch entry of one event: the CloudEvents envelope as the body, the message
 * attributes that mirror it, and on a FIFO topic the message group and deduplication id.
 * Pure: ids and time come from the caller.
 * @throws MessageTooLargeError when the message is over {@link SNS_MAX_MESSAGE_BYTES}
 */
export function buildPublishEntry(input: PublishEntryInput): PublishEntry {
  const envelope = createEnvelope({
    type: input.type,
    version: input.version,
    data: input.data,
    subject: input.subject,
    source: input.source,
    id: input.id,
    correlationId: input.correlationId,
    time: input.time,
    ...(input.traceparent !== undefined && { traceparent: input.traceparent }),
  });
  const body = JSON.stringify(envelope);
  const attributes = envelopeAttributes(envelope);
  const sizeBytes = snsMessageBytes(body, attributes);
  if (sizeBytes > SNS_MAX_MESSAGE_BYTES) {
    throw new MessageTooLargeError({ eventType: input.type, eventId: input.id, correlationId: input.correlationId }, sizeBytes, SNS_MAX_MESSAGE_BYTES);
  }
  return {
    sizeBytes,
    entry: {
      Message: body,
      MessageAttributes: attributes,
      // FIFO: order per entity, and SNS drops a producer's retry of the same event id within its 5-minute window.
      ...(input.fifo && { MessageGroupId: input.subject, MessageDeduplicationId: input.id }),
    },
  };
}

/**
 * Packs items into as few batch requests as `limits` allow. Each item goes into the
 * first request with room for it (entries and bytes); one over `maxBytes` on its own
 * gets a request of its own. Items that share a group (a FIFO message group) go one per
 * request, each in a later request than the one before it: requests sent one after
 * another then keep each group's order, and a failed entry never has a later entry of
 * its group beside it in the same request, already sent. Within a request, items keep
 * the order they were given in. Pure.
 * @param groupOf the item's group, or undefined when its order does not matter
 */
export function packBatches<T>(items: readonly T[], limits: BatchLimits, sizeOf: (item: T) => number, groupOf: (item: T) => string | undefined = () => undefined): T[][] {
  const batches: { items: T[]; bytes: number }[] = [];
  const nextFor = new Map<string, number>();
  // Batches only fill up, so the first one with a free entry only moves forward.
  let firstOpen = 0;
  for (const item of items) {
    const size = sizeOf(item);
    const group = groupOf(item);
    let i = Math.max(firstOpen, group === undefined ? 0 : (nextFor.get(group) ?? 0));
    for (; i < batches.length; i += 1) {
      const batch = batches[i]!;
      if (batch.items.length < limits.maxEntries && batch.bytes + size <= limits.maxBytes) break;
    }
    if (i === batches.length) batches.push({ items: [], bytes: 0 });
    const batch = batches[i]!;
    batch.items.push(item);
    batch.bytes += size;
    if (group !== undefined) nextFor.set(group, i + 1);
    while (firstOpen < batches.length && batches[firstOpen]!.items.length >= limits.maxEntries) firstOpen += 1;
  }
  return batches.map((b) => b.items);
}

/**
 * The request-local id of the entry at `position` in a PublishBatch request. Entry ids
 * only need to be unique within the request; event ids may not fit SNS's id alphabet.
 */
export function batchEntryId(position: number): string {
  return `e${position}`;
}

/** The parts of SNS's PublishBatch answer that {@link sortBatchResponse} reads. */
export interface BatchResponse {
  readonly Successful?: readonly { readonly Id?: string; readonly MessageId?: string; readonly SequenceNumber?: string }[];
  readonly Failed?: readonly { readonly Id?: string; readonly Code?: string; readonly Message?: string; readonly SenderFault?: boolean }[];
}

/** An entry SNS did not take, with its last answer. */
export interface BatchEntryFailure<T> {
  readonly item: T;
  readonly code: string;
  readonly message: string;
}

/** A PublishBatch answer, entry by entry. */
export interface SortedBatchResponse<T> {
  /** Taken by SNS, in the answer's order. */
  readonly published: readonly { readonly item: T; readonly messageId: string; readonly sequenceNumber?: string }[];
  /** Refused for a reason another try cannot fix (the sender's fault, not throttling), in the answer's order. */
  readonly rejected: readonly BatchEntryFailure<T>[];
  /** Worth another try: throttled or a server fault (in the answer's order), then every entry SNS answered neither way. */
  readonly retryable: readonly BatchEntryFailure<T>[];
}

/**
 * Sorts a PublishBatch answer for the request built from `pending` (entry ids from
 * {@link batchEntryId}). An entry answered twice counts once, by its first answer; an
 * entry not answered at all is retried: its fate is unknown, and the event id
 * deduplicates.
 */
export function sortBatchResponse<T>(pending: readonly T[], response: BatchResponse): SortedBatchResponse<T> {
  const byEntryId = new Map(pending.map((item, i) => [batchEntryId(i), item]));
  const published: { item: T; messageId: string; sequenceNumber?: string }[] = [];
  for (const ok of response.Successful ?? []) {
    const item = byEntryId.get(ok.Id ?? '');
    if (item === undefined) continue;
    byEntryId.delete(ok.Id!);
    published.push({ item, messageId: ok.MessageId ?? '', ...(ok.SequenceNumber !== undefined && { sequenceNumber: ok.SequenceNumber }) });
  }
  const rejected: BatchEntryFailure<T>[] = [];
  const retryable: BatchEntryFailure<T>[] = [];
  for (const bad of response.Failed ?? []) {
    const item = byEntryId.get(bad.Id ?? '');
    if (item === undefined) continue;
    byEntryId.delete(bad.Id!);
    const failure = { item, code: bad.Code ?? 'Unknown', message: bad.Message ?? '' };
    // SenderFault says whose fault it is; a throttling code is retryable whatever the flag says.
    if (bad.SenderFault && !isRetryableSnsCode(failure.code)) rejected.push(failure);
    else retryable.push(failure);
  }
  for (const item of byEntryId.values()) retryable.push({ item, code: 'NoResult', message: 'SNS returned no result for this entry' });
  return { published, rejected, retryable };
}

/** The first event of a FIFO message group that failed: the group's later events wait behind it. */
export interface GroupBlocker {
  /** Its position in the batch given to the publisher. */
  readonly index: number;
  readonly id: string;
}

/**
 * Per FIFO topic and message group, the first event that failed, so the group's later
 * events in the same batch are held back instead of overtaking it.
 */
export class FifoGroupBlockers {
  private readonly blockers = new Map<string, GroupBlocker>();

  /** Records that `event` of the group failed; the earliest failed event of a group is the one kept. */
  block(topicArn: string, group: string, event: GroupBlocker): void {
    const key = FifoGroupBlockers.key(topicArn, group);
    const current = this.blockers.get(key);
    if (!current || current.index > event.index) this.blockers.set(key, { index: event.index, id: event.id });
  }

  /** The failed event the event at `index` of the group must wait behind, if one comes before it. */
  blockerOf(topicArn: string, group: string, index: number): GroupBlocker | undefined {
    const blocker = this.blockers.get(FifoGroupBlockers.key(topicArn, group));
    return blocker && blocker.index < index ? blocker : undefined;
  }

  private static key(topicArn: string, group: string): string {
    return `${topicArn}\n${group}`;
  }
}
