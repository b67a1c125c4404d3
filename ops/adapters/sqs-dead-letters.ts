/**
 * SQS calls for operating dead-letter queues: counting, peeking without consuming,
 * SQS's own message move task, and the portable move used where the endpoint has no
 * move task (the local emulator). Each function takes its client as a parameter.
 */
import {
  CancelMessageMoveTaskCommand,
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  StartMessageMoveTaskCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { packBatches, type BatchLimits } from '../../client/batching';
import { FanoutError } from '../../contracts/errors';
import { redriveMessage, type QueueMessage, type RedriveMessage } from '../dead-letters';
import { createRateLimiter, realTimer, type Timer } from '../pacing';

/**
 * What one SendMessageBatch of the portable move may carry: 10 entries and 256 KiB of
 * bodies and attributes together. SQS has taken 1 MiB since 2025, but 256 KiB is what
 * every endpoint and every queue's MaximumMessageSize accepts, and costs no more: SQS
 * bills each 64 KB chunk of a request as one request either way.
 */
export const SQS_SEND_BATCH_LIMITS: BatchLimits = { maxEntries: 10, maxBytes: 262_144 };

/** Bytes SQS counts for a message: the body plus each attribute's name, data type and value. */
export function sqsMessageBytes(message: RedriveMessage): number {
  let size = Buffer.byteLength(message.body, 'utf8');
  for (const [name, value] of Object.entries(message.attributes)) {
    size += Buffer.byteLength(name, 'utf8') + Buffer.byteLength(value.DataType, 'utf8');
    if (value.StringValue !== undefined) size += Buffer.byteLength(value.StringValue, 'utf8');
    if (value.BinaryValue !== undefined) size += value.BinaryValue.byteLength;
  }
  return size;
}

/**
 * Splits the messages of one receive into SendMessageBatch requests within `limits`
 * (the publisher's packing): by count and by bytes, and for a FIFO destination at most
 * one message of a group per request, each after the one before it. Pure.
 */
export function redriveBatches<T extends { readonly send: RedriveMessage }>(entries: readonly T[], limits: BatchLimits = SQS_SEND_BATCH_LIMITS): T[][] {
  return packBatches(entries, limits, (e) => sqsMessageBytes(e.send), (e) => e.send.messageGroupId);
}

/** What a queue holds right now (approximate, as SQS reports it). */
export interface QueueDepth {
  readonly visible: number;
  readonly inFlight: number;
  readonly delayed: number;
  readonly arn: string;
  readonly fifo: boolean;
}

/** Reads a queue's depth and identity. */
export async function queueDepth(sqs: SQSClient, queueUrl: string): Promise<QueueDepth> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed', 'QueueArn', 'FifoQueue'],
    }),
  );
  return {
    visible: Number(Attributes.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
    delayed: Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0),
    arn: Attributes.QueueArn ?? '',
    fifo: Attributes.FifoQueue === 'true' || queueUrl.endsWith('.fifo'),
  };
}

async function receive(sqs: SQSClient, queueUrl: string, max: number, visibilityTimeout: number, waitSeconds: number): Promise<Message[]> {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: Math.min(10, max),
      VisibilityTimeout: visibilityTimeout,
      WaitTimeSeconds: waitSeconds,
      MessageAttributeNames: ['All'],
      MessageSystemAttributeNames: ['All'],
    }),
  );
  return Messages;
}

async function setVisibility(sqs: SQSClient, queueUrl: string, receipts: readonly string[], seconds: number): Promise<void> {
  for (let i = 0; i < receipts.length; i += 10) {
    await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: queueUrl,
        Entries: receipts.slice(i, i + 10).map((ReceiptHandle, j) => ({ Id: String(i + j), ReceiptHandle, VisibilityTimeout: seconds })),
      }),
    );
  }
}

/** Options of {@link peekMessages}. */
export interface PeekOptions {
  /**
   * How long the messages already looked at stay hidden while the peek goes on, so the
   * next receive returns others; all are made visible again as soon as the peek ends
   * (and on their own after this long, if the process dies). @default 30
   */
  readonly holdSeconds?: number;
}

/**
 * Reads up to `max` messages without consuming them: each is received, kept hidden only
 * while the peek walks the queue, then made visible again at once (visibility 0).
 * Nothing is deleted. A peek does count as a receive on the DLQ itself. On a FIFO DLQ a
 * received message group stays locked until the peek ends, so a peek shows the first
 * messages of each group.
 */
export async function peekMessages(sqs: SQSClient, queueUrl: string, max: number, options: PeekOptions = {}): Promise<Message[]> {
  const seen = new Map<string, Message>();
  const receipts: string[] = [];
  try {
    while (seen.size < max) {
      const batch = await receive(sqs, queueUrl, max - seen.size, options.holdSeconds ?? 30, 1);
      if (batch.length === 0) break;
      for (const message of batch) {
        if (message.ReceiptHandle) receipts.push(message.ReceiptHandle);
        if (message.MessageId && !seen.has(message.MessageId)) seen.set(message.MessageId, message);
      }
    }
  } finally {
    await setVisibility(sqs, queueUrl, receipts, 0);
  }
  return [...seen.values()];
}

/** The move task API is not there (the emulator) or refused the queue: use the portable move. */
export class MoveTaskUnsupportedError extends FanoutError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MoveTaskUnsupportedError';
  }
}

/**
 * True when an SDK error says the endpoint does not implement the call, as opposed to
 * refusing it for a reason an operator must fix (permissions, a wrong ARN).
 */
export function isUnsupportedOperation(error: unknown): boolean {
  const e = error as { name?: string; Code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const names = ['UnsupportedOperation', 'UnknownOperationException', 'InvalidAction', 'NotImplemented', 'NotImplementedError', 'UnknownOperation'];
  if (names.includes(e.name ?? '') || names.includes(e.Code ?? '')) return true;
  if (e.$metadata?.httpStatusCode === 501) return true;
  // moto answers actions it does not implement with an HTML 500 page, which the SDK
  // fails to parse as JSON; AWS itself never answers the JSON protocol with HTML.
  if (e.$metadata?.httpStatusCode === 500 && /<!doctype|<html/i.test(e.message ?? '')) return true;
  return /not (yet )?implemented|unknown (action|operation)|is not supported|not a valid action/i.test(e.message ?? '');
}

/**
 * True when the endpoint answers ListMessageMoveTasks for the DLQ, so a move task can
 * be tried; false where it does not implement move tasks (the local emulator).
 */
export async function moveTasksSupported(sqs: SQSClient, sourceArn: string): Promise<boolean> {
  try {
    await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: sourceArn, MaxResults: 1 }));
    return true;
  } catch (error) {
    if (isUnsupportedOperation(error)) return false;
    throw error;
  }
}

/** Progress of a move task, as ListMessageMoveTasks reports it. */
export interface MoveTaskProgress {
  readonly status: string;
  readonly moved: number;
  readonly toMove?: number;
  readonly failureReason?: string;
  readonly taskHandle?: string;
}

/**
 * Starts SQS's own move of every message from a DLQ back to its source queue.
 * @returns the task handle (for cancelling)
 * @throws MoveTaskUnsupportedError where the endpoint has no move tasks
 */
export async function startMoveTask(sqs: SQSClient, sourceArn: string, destinationArn: string, maxPerSecond?: number): Promise<string> {
  try {
    const { TaskHandle } = await sqs.send(
      new StartMessageMoveTaskCommand({
        SourceArn: sourceArn,
        DestinationArn: destinationArn,
        ...(maxPerSecond !== undefined && { MaxNumberOfMessagesPerSecond: maxPerSecond }),
      }),
    );
    if (!TaskHandle) throw new MoveTaskUnsupportedError('the endpoint started no move task (no task handle returned)');
    return TaskHandle;
  } catch (error) {
    if (error instanceof MoveTaskUnsupportedError) throw error;
    if (isUnsupportedOperation(error)) throw new MoveTaskUnsupportedError(`the endpoint has no SQS message move tasks: ${(error as Error).message}`, { cause: error });
    throw error;
  }
}

/** The most recent move task of a DLQ. */
export async function moveTaskProgress(sqs: SQSClient, sourceArn: string): Promise<MoveTaskProgress | undefined> {
  const { Results = [] } = await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: sourceArn, MaxResults: 1 }));
  const task = Results[0];
  if (!task) return undefined;
  return {
    status: task.Status ?? 'UNKNOWN',
    moved: task.ApproximateNumberOfMessagesMoved ?? 0,
    ...(task.ApproximateNumberOfMessagesToMove !== undefined && { toMove: task.ApproximateNumberOfMessagesToMove }),
    ...(task.FailureReason !== undefined && { failureReason: task.FailureReason }),
    ...(task.TaskHandle !== undefined && { taskHandle: task.TaskHandle }),
  };
}

/** Cancels a running move task; messages already moved stay moved. */
export async function cancelMoveTask(sqs: SQSClient, taskHandle: string): Promise<number> {
  const { ApproximateNumberOfMessagesMoved = 0 } = await sqs.send(new CancelMessageMoveTaskCommand({ TaskHandle: taskHandle }));
  return ApproximateNumberOfMessagesMoved;
}

/** Options of {@link portableMove}. */
export interface PortableMoveOptions {
  /** The DLQ to empty. */
  readonly from: string;
  /** The consumer's queue. */
  readonly to: string;
  /** Which kind of DLQ `from` is: a subscription DLQ holds raw-delivered messages, or SNS notifications to unwrap. */
  readonly kind: 'queue-dlq' | 'subscription-dlq';
  /** The destination is a FIFO queue. */
  readonly fifo: boolean;
  /** Most messages a second. @default no limit */
  readonly maxPerSecond?: number;
  /** How long a message being moved stays hidden in the DLQ; after a crash it reappears then. @default 60 */
  readonly visibilityTimeoutSeconds?: number;
  /** Stops after the batch in hand is sent and deleted. */
  readonly signal?: AbortSignal;
  /** Called after each batch with the running count. */
  readonly onProgress?: (moved: number) => void;
  /**
   * Called after a batch was sent and before it is deleted from the DLQ: the one
   * window where a crash leaves a message in both queues (tests use it to crash there).
   */
  readonly afterSend?: (sentIds: readonly string[]) => void | Promise<void>;
  readonly timer?: Timer;
  /** @default {@link SQS_SEND_BATCH_LIMITS} */
  readonly batchLimits?: BatchLimits;
}

/** What a portable move did. */
export interface PortableMoveResult {
  readonly moved: number;
  /** Messages left in the DLQ, with why (they reappear after the visibility timeout). */
  readonly failed: readonly { readonly messageId: string; readonly reason: string }[];
  /** True when the signal stopped it before the DLQ was empty. */
  readonly interrupted: boolean;
}

/**
 * Moves every message from a DLQ back to the consumer's queue without the move-task
 * API (and without the failure context: see {@link redriveMessage}): receive up to 10, send them in SendMessageBatch requests that fit SQS's limits
 * (by bytes as well as count: ten large events do not fit one request), and delete
 * from the DLQ only the entries whose send succeeded. Nothing can be lost: a message is
 * always in at least one of the two queues. A crash between send and delete leaves a
 * copy in both, so it can be delivered twice; the consumer's idempotency (keyed on the
 * envelope id) absorbs that. Into a FIFO queue, once a message of a group fails to
 * send, the group's later messages of the receive stay in the DLQ too ("held behind"),
 * so the group's order survives.
 */
export async function portableMove(sqs: SQSClient, options: PortableMoveOptions): Promise<PortableMoveResult> {
  const limiter = createRateLimiter(options.maxPerSecond ?? Infinity, options.timer ?? realTimer);
  const hold = options.visibilityTimeoutSeconds ?? 60;
  const failed: { messageId: string; reason: string }[] = [];
  let moved = 0;
  while (!options.signal?.aborted) {
    const batch = await receive(sqs, options.from, 10, hold, 1);
    if (batch.length === 0) return { moved, failed, interrupted: false };
    const entries: { id: string; message: Message; send: ReturnType<typeof redriveMessage> }[] = [];
    for (const [i, message] of batch.entries()) {
      try {
        entries.push({ id: String(i), message, send: redriveMessage(message as QueueMessage, options.kind, options.fifo) });
      } catch (error) {
        // Left hidden for the rest of the move, so the loop does not take it again.
        failed.push({ messageId: message.MessageId ?? '?', reason: (error as Error).message });
      }
    }
    if (entries.length === 0) continue;
    // FIFO: per message group, the first message of this receive that did not go.
    const heldBehind = new Map<string, string>();
    for (const request of redriveBatches(entries, options.batchLimits)) {
      const ready = request.filter((e) => {
        const blocker = e.send.messageGroupId === undefined ? undefined : heldBehind.get(e.send.messageGroupId);
        // Left hidden in the DLQ: it reappears after the visibility timeout, behind the one that failed.
        if (blocker !== undefined) failed.push({ messageId: e.message.MessageId ?? '?', reason: `held behind ${blocker}, an earlier message of its group that was not moved` });
        return blocker === undefined;
      });
      if (ready.length === 0) continue;
      await limiter.take(ready.length);
      const sent = await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: options.to,
          Entries: ready.map(({ id, send }) => ({
            Id: id,
            MessageBody: send.body,
            ...(Object.keys(send.attributes).length > 0 && { MessageAttributes: send.attributes }),
            ...(send.messageGroupId !== undefined && { MessageGroupId: send.messageGroupId }),
            ...(send.messageDeduplicationId !== undefined && { MessageDeduplicationId: send.messageDeduplicationId }),
          })),
        }),
      );
      for (const f of sent.Failed ?? []) {
        const entry = ready.find((e) => e.id === f.Id);
        const messageId = entry?.message.MessageId ?? '?';
        failed.push({ messageId, reason: `send failed: ${f.Code ?? ''} ${f.Message ?? ''}`.trim() });
        const group = entry?.send.messageGroupId;
        if (group !== undefined && !heldBehind.has(group)) heldBehind.set(group, messageId);
      }
      const sentIds = new Set((sent.Successful ?? []).map((s) => s.Id!));
      const toDelete = ready.filter((e) => sentIds.has(e.id));
      await options.afterSend?.(toDelete.map((e) => e.message.MessageId ?? '?'));
      if (toDelete.length > 0) {
        const deleted = await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: options.from,
            Entries: toDelete.map((e) => ({ Id: e.id, ReceiptHandle: e.message.ReceiptHandle! })),
          }),
        );
        for (const f of deleted.Failed ?? []) {
          // Sent but still in the DLQ: a later run sends it again, and idempotency absorbs it.
          const entry = toDelete.find((e) => e.id === f.Id);
          failed.push({ messageId: entry?.message.MessageId ?? '?', reason: `sent, but not deleted from the DLQ: ${f.Code ?? ''} ${f.Message ?? ''}`.trim() });
        }
        moved += deleted.Successful?.length ?? 0;
      }
      options.onProgress?.(moved);
    }
  }
  return { moved, failed, interrupted: true };
}
