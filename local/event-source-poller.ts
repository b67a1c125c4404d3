/**
 * Lambda's SQS event source mapping, run locally: polls a queue and invokes a function
 * with batches, as AWS does.
 *
 * - ReceiveMessage (at most 10 a call) until the batch size is reached or the batching
 *   window has passed since the first message; system and message attributes: All.
 * - At most `maximumConcurrency` batches in flight (one polling loop per slot).
 * - FIFO: never two batches holding the same message group in flight.
 * - ReportBatchItemFailures: successes are deleted, listed failures are left to the
 *   visibility timeout and the queue's redrive policy. An error, a timeout or a crash
 *   fails the whole batch: nothing is deleted.
 * - The queue's own visibility timeout applies (Lambda does not override it).
 */
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { interpretResponse, toSqsEvent, type BatchOutcome } from './sqs-event';

/** The mapping's settings, as the template's AWS::Lambda::EventSourceMapping declares them. */
export interface EventSourceMappingConfig {
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly region: string;
  /** Records per invocation (BatchSize). */
  readonly batchSize: number;
  /** MaximumBatchingWindowInSeconds. */
  readonly maximumBatchingWindowSeconds: number;
  /** ScalingConfig.MaximumConcurrency: batches in flight at once. */
  readonly maximumConcurrency: number;
  /** FunctionResponseTypes includes ReportBatchItemFailures. */
  readonly reportBatchItemFailures: boolean;
  readonly fifo: boolean;
}

/** How an invocation ended, as the invoker reports it. */
export type InvocationResult =
  | { readonly ok: true; readonly response: unknown }
  | { readonly ok: false; readonly kind: 'error' | 'timeout' | 'crash' | 'init'; readonly message: string };

/** Runs the function on one event (see function-runtime.ts). */
export interface FunctionInvoker {
  invoke(event: SQSEvent): Promise<InvocationResult>;
}

/** What happened to one batch, for progress and statistics. */
export interface BatchReport {
  readonly records: number;
  /** Records received before (ApproximateReceiveCount > 1). */
  readonly redelivered: number;
  readonly outcome: BatchOutcome;
  readonly result: InvocationResult;
  readonly deleted: number;
  readonly durationMs: number;
}

/** Running totals of a poller. */
export interface PollerStats {
  invocations: number;
  records: number;
  redelivered: number;
  deleted: number;
  /** Records left for redelivery: listed failures plus every record of a failed batch. */
  failedRecords: number;
  failedBatches: number;
  timeouts: number;
  crashes: number;
  inFlightBatches: number;
  /** Most batches ever in flight at once. */
  peakInFlightBatches: number;
}

/** Options for {@link EventSourcePoller}. */
export interface PollerOptions {
  /**
   * ReceiveMessage long-poll wait on standard queues, seconds. Lambda uses 20. Here a
   * receive is never abandoned (moto would go on waiting server-side and hand messages
   * that arrive meanwhile to a closed connection, leaving them invisible for the whole
   * visibility timeout), so stop() waits for the one in progress: short keeps it quick.
   * @default 2
   */
  readonly waitTimeSeconds?: number;
  /**
   * FIFO queues are short-polled with this pause between empty receives, milliseconds.
   * moto's long poll busy-loops while the visible messages all belong to message
   * groups in flight, which would starve the emulator's (GIL-bound) process. The pause
   * doubles with each empty receive, up to 1 s, and resets when messages arrive.
   * @default 100
   */
  readonly fifoPollIntervalMs?: number;
  /** Called after each batch. */
  readonly onBatch?: (report: BatchReport) => void;
  /** Called when a receive or delete call fails (the poller retries). */
  readonly onError?: (error: Error) => void;
}

/** Waits `ms`, or less when `signal` aborts; never rejects. */
export const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolveSleep) => {
    if (signal?.aborted) return resolveSleep();
    const onAbort = () => {
      clearTimeout(timer);
      resolveSleep();
    };
    // The listener goes when the sleep ends, or a long run piles them up on the signal.
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolveSleep();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/** One queue's event source mapping. Call {@link start}, and {@link stop} to end. */
export class EventSourcePoller {
  /** Totals since start. */
  readonly stats: PollerStats = {
    invocations: 0,
    records: 0,
    redelivered: 0,
    deleted: 0,
    failedRecords: 0,
    failedBatches: 0,
    timeouts: 0,
    crashes: 0,
    inFlightBatches: 0,
    peakInFlightBatches: 0,
  };
  private readonly abort = new AbortController();
  private loops: Promise<void>[] = [];
  /** FIFO: message group → the batch holding it, so no second batch of that group starts. */
  private readonly groupsInFlight = new Map<string, Promise<void>>();
  private emptyFifoPolls = 0;

  constructor(
    private readonly config: EventSourceMappingConfig,
    private readonly sqs: SQSClient,
    private readonly invoker: FunctionInvoker,
    private readonly options: PollerOptions = {},
  ) {}

  /** Starts one polling loop per concurrency slot. */
  start(): void {
    if (this.loops.length > 0) return;
    this.loops = Array.from({ length: this.config.maximumConcurrency }, () => this.loop());
  }

  /**
   * Stops receiving and waits for the batches in flight to finish. Messages a receive
   * in progress brings back are made visible again at once, not processed.
   */
  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.all(this.loops);
  }

  private get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      let messages: Message[];
      try {
        messages = await this.gatherBatch();
      } catch (error) {
        if (this.stopped) return;
        this.options.onError?.(error as Error);
        await sleep(1000, this.abort.signal);
        continue;
      }
      if (messages.length === 0) continue;
      if (this.stopped) {
        await this.release(messages);
        return;
      }
      await this.runBatch(messages);
    }
  }

  private async receive(max: number, waitTimeSeconds: number): Promise<Message[]> {
    const { Messages } = await this.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: this.config.queueUrl,
        MaxNumberOfMessages: Math.min(10, max),
        WaitTimeSeconds: waitTimeSeconds,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    );
    return Messages ?? [];
  }

  /** Hands received messages back to the queue (visibility 0) without processing them. */
  private async release(messages: Message[]): Promise<void> {
    for (let i = 0; i < messages.length; i += 10) {
      try {
        await this.sqs.send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: this.config.queueUrl,
            Entries: messages.slice(i, i + 10).map((m, j) => ({ Id: String(i + j), ReceiptHandle: m.ReceiptHandle!, VisibilityTimeout: 0 })),
          }),
        );
      } catch (error) {
        // They come back after the visibility timeout instead: later, never lost.
        this.options.onError?.(error as Error);
      }
    }
  }

  /** Receives until the batch is full or the batching window has passed since the first message. */
  private async gatherBatch(): Promise<Message[]> {
    const { batchSize, maximumBatchingWindowSeconds, fifo } = this.config;
    const first = fifo ? await this.receive(batchSize, 0) : await this.receive(batchSize, this.options.waitTimeSeconds ?? 2);
    if (first.length === 0) {
      if (fifo) {
        const pause = Math.min(1000, (this.options.fifoPollIntervalMs ?? 100) * 2 ** this.emptyFifoPolls);
        this.emptyFifoPolls = Math.min(this.emptyFifoPolls + 1, 10);
        await sleep(pause, this.abort.signal);
      }
      return [];
    }
    this.emptyFifoPolls = 0;
    const batch = [...first];
    const windowEnds = Date.now() + maximumBatchingWindowSeconds * 1000;
    while (batch.length < batchSize && !this.stopped) {
      const remainingMs = windowEnds - Date.now();
      if (remainingMs <= 0) break;
      // Whole seconds only; a short receive with a pause keeps sub-second windows honest.
      const wait = Math.floor(remainingMs / 1000);
      let more: Message[];
      try {
        more = await this.receive(batchSize - batch.length, fifo ? 0 : wait);
      } catch (error) {
        // What is gathered is in hand and hidden: invoke with it now rather than strand
        // it for the whole visibility timeout. The next loop retries the receive.
        this.options.onError?.(error as Error);
        break;
      }
      batch.push(...more);
      if (more.length === 0 && (fifo || wait === 0)) await sleep(Math.min(remainingMs, 200), this.abort.signal);
    }
    return batch;
  }

  private async runBatch(messages: Message[]): Promise<void> {
    // FIFO: wait until no other batch holds any of this batch's groups (moto already
    // withholds groups with messages in flight; other emulators may not).
    const groups = this.config.fifo
      ? [...new Set(messages.map((m) => m.Attributes?.MessageGroupId).filter((g): g is string => g !== undefined))]
      : [];
    while (groups.some((group) => this.groupsInFlight.has(group))) {
      await Promise.all(groups.map((group) => this.groupsInFlight.get(group)));
    }
    let release!: () => void;
    const done = new Promise<void>((resolve) => (release = resolve));
    for (const group of groups) this.groupsInFlight.set(group, done);

    const started = Date.now();
    this.stats.inFlightBatches += 1;
    this.stats.peakInFlightBatches = Math.max(this.stats.peakInFlightBatches, this.stats.inFlightBatches);
    try {
      const event = toSqsEvent(messages, this.config.queueArn, this.config.region);
      const redelivered = messages.filter((m) => Number(m.Attributes?.ApproximateReceiveCount ?? '1') > 1).length;
      this.stats.invocations += 1;
      this.stats.records += messages.length;
      this.stats.redelivered += redelivered;

      const result = await this.invoker.invoke(event);
      const outcome: BatchOutcome = result.ok
        ? interpretResponse(result.response, event, this.config.reportBatchItemFailures)
        : { kind: 'all-failed', reason: `${result.kind}: ${result.message}` };
      if (!result.ok && result.kind === 'timeout') this.stats.timeouts += 1;
      if (!result.ok && (result.kind === 'crash' || result.kind === 'init')) this.stats.crashes += 1;

      const toDelete =
        outcome.kind === 'all-succeeded' ? messages
        : outcome.kind === 'partial' ? messages.filter((m) => !outcome.failedMessageIds.has(m.MessageId!))
        : [];
      const failed = messages.length - toDelete.length;
      this.stats.failedRecords += failed;
      if (outcome.kind === 'all-failed') this.stats.failedBatches += 1;
      const deleted = await this.deleteMessages(toDelete);
      this.options.onBatch?.({ records: messages.length, redelivered, outcome, result, deleted, durationMs: Date.now() - started });
    } finally {
      this.stats.inFlightBatches -= 1;
      for (const group of groups) this.groupsInFlight.delete(group);
      release();
    }
  }

  private async deleteMessages(messages: Message[]): Promise<number> {
    let deleted = 0;
    for (let i = 0; i < messages.length; i += 10) {
      const chunk = messages.slice(i, i + 10);
      // Deleting must not be abandoned on stop(): a processed message left undeleted
      // would be processed again.
      for (let attempt = 1; ; attempt += 1) {
        try {
          const { Successful, Failed } = await this.sqs.send(
            new DeleteMessageBatchCommand({
              QueueUrl: this.config.queueUrl,
              Entries: chunk.map((m, index) => ({ Id: String(index), ReceiptHandle: m.ReceiptHandle! })),
            }),
          );
          deleted += Successful?.length ?? 0;
          for (const failure of Failed ?? []) {
            this.options.onError?.(new Error(`could not delete message ${chunk[Number(failure.Id)]?.MessageId}: ${failure.Code} ${failure.Message ?? ''}`));
          }
          break;
        } catch (error) {
          if (attempt >= 3) {
            this.options.onError?.(error as Error);
            break;
          }
          await sleep(200 * attempt);
        }
      }
    }
    this.stats.deleted += deleted;
    return deleted;
  }
}
