/**
 * Redrive: putting a consumer's dead-lettered messages back on its queue. On AWS,
 * SQS's own message move task does it (started, then polled through
 * ListMessageMoveTasks until it ends, and cancelled when the caller's signal aborts);
 * where the endpoint has no move tasks (the local emulator), and always for a
 * subscription DLQ (a move task takes messages only out of a queue's DLQ), the portable
 * move does it: send to the queue, then delete from the DLQ only what was sent.
 *
 * What `fanout redrive` computes, without what it prints: the AWS calls live in
 * ./adapters/sqs-dead-letters and take their client as a parameter; progress and the
 * fall-back are reported through callbacks so the caller decides how to show them.
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import {
  cancelMoveTask,
  moveTaskProgress,
  MoveTaskUnsupportedError,
  portableMove,
  queueDepth,
  startMoveTask,
} from './adapters/sqs-dead-letters';
import { realTimer, type Timer } from './pacing';

/** How messages were moved: SQS's message move task, or the portable send-then-delete. */
export type RedriveMethod = 'move-task' | 'portable';

/** A message a redrive left in the DLQ, with why. */
export interface RedriveFailure {
  readonly messageId: string;
  readonly reason: string;
}

/** What `fanout redrive --json` prints. */
export interface RedriveReport {
  readonly consumer: string;
  readonly from: string;
  readonly to: string;
  readonly method: RedriveMethod;
  readonly dryRun: boolean;
  /** Visible in the DLQ when the command started. */
  readonly waiting: number;
  /**
   * In flight in the DLQ (hidden by someone else's receive: a `fanout dlq` peek, another
   * redrive): at the start, or, after a move, what is still held and was not moved.
   */
  readonly inFlight: number;
  readonly moved: number;
  /** IN_FLIGHT: everything visible was moved, but messages in flight were not (run again later). */
  readonly status: 'COMPLETED' | 'CANCELLED' | 'FAILED' | 'INTERRUPTED' | 'DRY_RUN' | 'NOTHING_TO_DO' | 'IN_FLIGHT';
  readonly failed: readonly RedriveFailure[];
}

/** What one redrive did. */
export interface RedriveOutcome {
  readonly method: RedriveMethod;
  /** COMPLETED only when nothing is left behind: no failure and nothing still in flight in the DLQ. */
  readonly status: 'COMPLETED' | 'CANCELLED' | 'FAILED' | 'INTERRUPTED' | 'IN_FLIGHT';
  readonly moved: number;
  /**
   * Messages still in flight in the DLQ after the move (someone else's receive holds
   * them, so they were not moved); undefined when the move was cancelled before it could
   * be measured.
   */
  readonly inFlight: number | undefined;
  /** Portable move: the messages it left in the DLQ, with why. */
  readonly failed: readonly RedriveFailure[];
  /** The caller's signal stopped it (the move task was cancelled, or the portable move stopped after its batch in hand). */
  readonly stoppedBySignal: boolean;
  /** Move task: the status SQS reported last (COMPLETED, FAILED, CANCELLED, ...). */
  readonly taskStatus?: string;
  /** Move task: why SQS says it failed. */
  readonly failureReason?: string;
}

/** What to redrive, from where to where, and how. */
export interface RedriveRequest {
  /** The DLQ's URL and ARN. */
  readonly from: { readonly url: string; readonly arn: string };
  /** The consumer's queue. */
  readonly to: {
    readonly url: string;
    /** Set to try SQS's message move task first (a queue's DLQ on an endpoint that has move tasks). */
    readonly arn?: string;
  };
  /** Which kind of DLQ `from` is: a subscription DLQ can only be moved portably. */
  readonly kind: 'queue-dlq' | 'subscription-dlq';
  /** The consumer's queue is FIFO. */
  readonly fifo: boolean;
  /** Most messages a second. @default no limit (the move task's system-optimized rate) */
  readonly maxPerSecond?: number;
  /** Portable move: how long a message being moved stays hidden in the DLQ. @default 60 */
  readonly visibilityTimeoutSeconds?: number;
  /** Move task: how often to poll ListMessageMoveTasks, ms. @default 1000 */
  readonly pollIntervalMs?: number;
  /** Aborted to stop (Ctrl-C): the move task is cancelled, the portable move finishes its batch in hand. */
  readonly signal?: AbortSignal;
  /** Called with the running count of messages moved. */
  readonly onProgress?: (moved: number) => void;
  /** Called when the endpoint refused to start a move task, just before the portable move takes over. */
  readonly onFallback?: () => void;
  readonly timer?: Timer;
}

/** Default interval between ListMessageMoveTasks polls, ms. */
export const MOVE_TASK_POLL_INTERVAL_MS = 1000;

/**
 * Moves a DLQ's messages back to the consumer's queue: by SQS's move task when
 * `request.to.arn` is given and the endpoint starts one, else (or when it refuses) by
 * the portable move.
 */
export async function redrive(sqs: SQSClient, request: RedriveRequest): Promise<RedriveOutcome> {
  if (request.to.arn !== undefined) {
    const outcome = await redriveByMoveTask(sqs, request, request.to.arn);
    if (outcome !== undefined) return outcome;
    request.onFallback?.();
  }
  return redrivePortably(sqs, request);
}

/**
 * Starts SQS's message move task from the DLQ to the queue and polls it until it ends,
 * cancelling it when the signal aborts.
 * @returns undefined when the endpoint has no move tasks (nothing was moved)
 */
export async function redriveByMoveTask(sqs: SQSClient, request: RedriveRequest, destinationArn: string): Promise<RedriveOutcome | undefined> {
  const timer = request.timer ?? realTimer;
  let handle: string;
  try {
    handle = await startMoveTask(sqs, request.from.arn, destinationArn, request.maxPerSecond);
  } catch (error) {
    if (error instanceof MoveTaskUnsupportedError) return undefined;
    throw error;
  }
  let cancelled = false;
  const onAbort = () => {
    cancelled = true;
  };
  request.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for (;;) {
      // Checked before each poll, so an abort during the wait cancels at the next turn.
      if (cancelled) {
        const moved = await cancelMoveTask(sqs, handle);
        return { method: 'move-task', status: 'CANCELLED', moved, inFlight: undefined, failed: [], stoppedBySignal: true };
      }
      const progress = await moveTaskProgress(sqs, request.from.arn);
      request.onProgress?.(progress?.moved ?? 0);
      if (progress && progress.status !== 'RUNNING') {
        const ok = progress.status === 'COMPLETED';
        // The task moves what is visible; a message someone else holds stays behind.
        const held = ok ? (await queueDepth(sqs, request.from.url)).inFlight : 0;
        const status = !ok ? (progress.status === 'CANCELLED' ? 'CANCELLED' : 'FAILED') : held > 0 ? 'IN_FLIGHT' : 'COMPLETED';
        return {
          method: 'move-task',
          status,
          moved: progress.moved,
          inFlight: held,
          failed: [],
          stoppedBySignal: false,
          taskStatus: progress.status,
          ...(progress.failureReason !== undefined && { failureReason: progress.failureReason }),
        };
      }
      await timer.sleep(request.pollIntervalMs ?? MOVE_TASK_POLL_INTERVAL_MS);
    }
  } finally {
    request.signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * Moves the DLQ's messages with the portable move (receive, send, delete only what was
 * sent), then counts what it could not see.
 */
export async function redrivePortably(sqs: SQSClient, request: RedriveRequest): Promise<RedriveOutcome> {
  const result = await portableMove(sqs, {
    from: request.from.url,
    to: request.to.url,
    kind: request.kind,
    fifo: request.fifo,
    ...(request.maxPerSecond !== undefined && { maxPerSecond: request.maxPerSecond }),
    ...(request.visibilityTimeoutSeconds !== undefined && { visibilityTimeoutSeconds: request.visibilityTimeoutSeconds }),
    ...(request.signal && { signal: request.signal }),
    ...(request.onProgress && { onProgress: request.onProgress }),
    timer: request.timer ?? realTimer,
  });
  // The move stops at the first empty receive; what someone else still holds was never
  // seen. The messages it left behind itself are hidden too, and are counted as failed.
  const held = result.interrupted ? 0 : Math.max(0, (await queueDepth(sqs, request.from.url)).inFlight - result.failed.length);
  const status = result.interrupted ? 'INTERRUPTED' : result.failed.length > 0 ? 'FAILED' : held > 0 ? 'IN_FLIGHT' : 'COMPLETED';
  return { method: 'portable', status, moved: result.moved, inFlight: held, failed: result.failed, stoppedBySignal: result.interrupted };
}
