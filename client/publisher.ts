/**
 * The publisher producers use (a web app, a Lambda, a script): typed `publish` and
 * `publishBatch` that validate `data` against the latest contract version before
 * anything is sent, wrap it in the CloudEvents envelope with its message attributes,
 * and send it with SNS PublishBatch (up to 10 events and 256 KB a request), retrying
 * throttling and server failures with exponential backoff and full jitter.
 *
 * What finally failed is returned (`publishBatch`) or thrown (`publish`), never swallowed.
 */
import { PublishBatchCommand, type PublishBatchRequestEntry, type PublishBatchResponse, type SNSClient } from '@aws-sdk/client-sns';
import { randomUUID } from 'node:crypto';
import type { ContractResolver } from '../contracts/contract-resolver';
import { createEnvelope, envelopeAttributes } from '../contracts/envelope';
import { ContractViolationError, FanoutError, TransientError, isPermanent } from '../contracts/errors';
import type { EventDataMap } from '../contracts/event-types.generated';
import type { ResolvedPipeline } from '../lib/pipeline-definition';
import { OutputKey, type StackOutputs } from '../lib/stack-outputs';
import { InvalidEventError, MessageTooLargeError, NoTopicError, PublishFailedError, PublishRejectedError, PublisherConfigError } from './errors';
import { DEFAULT_RETRY_POLICY, fullJitterDelayMs, isRetryableSnsCode, isRetryableSnsError, type RetryPolicy } from './retry';

/** SNS's limit on one message, body and attributes together (256 KiB). */
export const SNS_MAX_MESSAGE_BYTES = 262_144;
/** SNS's limit on the sum of all messages in one PublishBatch request. */
export const SNS_MAX_BATCH_BYTES = 262_144;
/** SNS's limit on entries in one PublishBatch request. */
export const SNS_MAX_BATCH_ENTRIES = 10;

/** Per-event options of {@link Publisher.publish}. */
export interface PublishOptions {
  /** The entity the event is about (e.g. the user id); on a FIFO topic, the message group. */
  readonly subject: string;
  /** Carried through every log line and trace downstream. @default the event id */
  readonly correlationId?: string;
  /** The event id, the consumers' idempotency key: pass the same id when retrying a publish yourself. @default a new UUID */
  readonly id?: string;
  /** When it happened. @default now */
  readonly time?: Date;
}

/** One event of a {@link Publisher.publishBatch}: its type, its data (typed by the type) and its options. */
export type PublishEvent<M extends object = EventDataMap> = {
  [T in keyof M & string]: { readonly type: T; readonly data: M[T] } & PublishOptions;
}[keyof M & string];

/** An event SNS accepted. */
export interface PublishedEvent {
  readonly id: string;
  readonly type: string;
  /** The contract version the data was validated against and written as. */
  readonly version: number;
  readonly topicArn: string;
  /** SNS's message id (differs per publish: never use it as an idempotency key). */
  readonly messageId: string;
  /** FIFO topics only. */
  readonly sequenceNumber?: string;
}

/** An event that was not published, and why. */
export interface FailedEvent {
  readonly id: string;
  readonly type: string;
  /** SNS's error code, or the name of Fanout's error (e.g. `ContractViolationError`). */
  readonly code: string;
  readonly message: string;
  /** True when publishing it again cannot help without a change. */
  readonly permanent: boolean;
  /** The typed error, e.g. a ContractViolationError with its violations. */
  readonly error: FanoutError;
}

/** What a {@link Publisher.publishBatch} did, event by event, in the order given. */
export interface PublishResult {
  readonly published: readonly PublishedEvent[];
  readonly failed: readonly FailedEvent[];
}

/** A typed publisher; `M` maps each event type to its data type (the generated {@link EventDataMap}). */
export interface Publisher<M extends object = EventDataMap> {
  /**
   * Validates and publishes one event.
   * @returns the event as SNS accepted it
   * @throws ContractViolationError when `data` breaks the contract (nothing is sent)
   * @throws MessageTooLargeError, InvalidEventError, NoTopicError, UnknownContractError (nothing is sent)
   * @throws PublishRejectedError when SNS refused it; PublishFailedError when every retry failed
   */
  publish<T extends keyof M & string>(type: T, data: M[T], options: PublishOptions): Promise<PublishedEvent>;
  /**
   * Validates every event, then publishes the valid ones in as few requests as the
   * limits allow (one topic per request, 10 events and 256 KB at most). Events that
   * fail validation, or are too large, are not sent and are reported in `failed`.
   */
  publishBatch(events: readonly PublishEvent<M>[]): Promise<PublishResult>;
}

/** Options of {@link createPublisher}. */
export interface PublisherOptions {
  readonly sns: SNSClient;
  /** The topic ARN of each event type: a function or a map. A topic whose ARN ends in `.fifo` is FIFO. */
  readonly topicArnFor: ((eventType: string) => string | undefined) | Readonly<Record<string, string>>;
  /** Where contracts come from (Glue at run time). */
  readonly contracts: ContractResolver;
  /** The producer, a URI reference, e.g. `urn:fanout:web-app`. */
  readonly source: string;
  /** @default {@link DEFAULT_RETRY_POLICY} */
  readonly retry?: Partial<RetryPolicy>;
  /** @default crypto.randomUUID */
  readonly newId?: () => string;
  /** @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** For tests of the jitter. @default Math.random */
  readonly random?: () => number;
  /** @default () => new Date() */
  readonly now?: () => Date;
}

interface AttributeValue {
  readonly DataType: string;
  readonly StringValue: string;
}

/** Bytes SNS counts for a message: the body plus every attribute's name, type and value. */
export function snsMessageBytes(body: string, attributes: Readonly<Record<string, AttributeValue>>): number {
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

/** An event ready to send. */
interface Prepared {
  readonly index: number;
  readonly id: string;
  readonly type: string;
  readonly version: number;
  readonly topicArn: string;
  readonly entry: Omit<PublishBatchRequestEntry, 'Id'>;
  readonly sizeBytes: number;
}

type Outcome = { readonly published: PublishedEvent } | { readonly failed: FailedEvent };

function failure(id: string, type: string, error: FanoutError, code: string = error.name): FailedEvent {
  return { id, type, code, message: error.message, permanent: isPermanent(error), error };
}

function asFanoutError(error: unknown, what: string): FanoutError {
  if (error instanceof FanoutError) return error;
  return new TransientError(`${what}: ${(error as Error | undefined)?.message ?? String(error)}`, { cause: error });
}

/** Splits one topic's events into requests of at most 10 entries and 256 KB, keeping their order. */
function chunk(events: readonly Prepared[]): Prepared[][] {
  const chunks: Prepared[][] = [];
  let current: Prepared[] = [];
  let bytes = 0;
  for (const event of events) {
    if (current.length === SNS_MAX_BATCH_ENTRIES || (current.length > 0 && bytes + event.sizeBytes > SNS_MAX_BATCH_BYTES)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(event);
    bytes += event.sizeBytes;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/**
 * Creates a publisher.
 * @example
 * const publisher = createPublisher({ sns, topicArnFor: { 'user.signed-up': arn }, contracts, source: 'urn:fanout:web-app' });
 * await publisher.publish('user.signed-up', { userId, email, name, plan, signedUpAt }, { subject: userId });
 */
export function createPublisher<M extends object = EventDataMap>(options: PublisherOptions): Publisher<M> {
  const retry: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  if (!Number.isInteger(retry.maxAttempts) || retry.maxAttempts < 1) throw new PublisherConfigError(`retry.maxAttempts must be a positive integer, got ${retry.maxAttempts}`);
  const newId = options.newId ?? randomUUID;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const random = options.random ?? Math.random;
  const now = options.now ?? (() => new Date());
  const topics = options.topicArnFor;
  const topicArnFor = typeof topics === 'function' ? topics : (eventType: string) => (Object.hasOwn(topics, eventType) ? topics[eventType] : undefined);

  async function prepare(event: PublishEvent<Record<string, unknown>>, index: number, id: string): Promise<Prepared> {
    const { type } = event;
    if (typeof event.subject !== 'string' || event.subject === '') {
      throw new InvalidEventError(`${type} event: subject (the entity the event is about) must be a non-empty string`);
    }
    let topicArn: string | undefined;
    try {
      topicArn = topicArnFor(type);
    } catch (cause) {
      throw new NoTopicError(`no topic for event type "${type}": ${(cause as Error).message}`, { cause });
    }
    if (!topicArn) throw new NoTopicError(`no topic is configured for event type "${type}"`);
    const version = await options.contracts.latestVersion(type);
    const contract = await options.contracts.resolve(type, version);
    const violations = contract.validate(event.data);
    if (violations.length > 0) throw new ContractViolationError(type, version, violations);

    const envelope = createEnvelope({
      type,
      version,
      data: event.data,
      subject: event.subject,
      source: options.source,
      id,
      correlationId: event.correlationId ?? id,
      time: event.time ?? now(),
    });
    const body = JSON.stringify(envelope);
    const attributes = envelopeAttributes(envelope);
    const sizeBytes = snsMessageBytes(body, attributes);
    if (sizeBytes > SNS_MAX_MESSAGE_BYTES) throw new MessageTooLargeError(type, id, sizeBytes, SNS_MAX_MESSAGE_BYTES);
    const fifo = isFifoTopicArn(topicArn);
    return {
      index,
      id,
      type,
      version,
      topicArn,
      sizeBytes,
      entry: {
        Message: body,
        MessageAttributes: attributes,
        // FIFO: order per entity, and SNS drops a producer's retry of the same event id within its 5-minute window.
        ...(fifo && { MessageGroupId: event.subject, MessageDeduplicationId: id }),
      },
    };
  }

  /** Sends one request's worth of events, retrying only the entries that failed retryably. */
  async function send(events: readonly Prepared[], outcomes: Outcome[]): Promise<void> {
    let pending = [...events];
    for (let attempt = 1; pending.length > 0; attempt += 1) {
      const last = attempt >= retry.maxAttempts;
      let response: PublishBatchResponse;
      try {
        response = await options.sns.send(
          new PublishBatchCommand({
            TopicArn: pending[0]!.topicArn,
            // Entry ids only need to be unique within the request; event ids may not fit SNS's id alphabet.
            PublishBatchRequestEntries: pending.map((event, i) => ({ Id: `e${i}`, ...event.entry })),
          }),
        );
      } catch (error) {
        const code = (error as Error | undefined)?.name ?? 'Error';
        const message = (error as Error | undefined)?.message ?? String(error);
        if (!isRetryableSnsError(error)) {
          for (const event of pending) {
            const rejected = new PublishRejectedError(`SNS refused ${event.type} event ${event.id} (${code}: ${message})`, code, { cause: error });
            outcomes[event.index] = { failed: failure(event.id, event.type, rejected, code) };
          }
          return;
        }
        if (last) {
          for (const event of pending) {
            const failed = new PublishFailedError(
              `SNS did not take ${event.type} event ${event.id} after ${attempt} attempts (${code}: ${message})`,
              code,
              attempt,
              { cause: error },
            );
            outcomes[event.index] = { failed: failure(event.id, event.type, failed, code) };
          }
          return;
        }
        await sleep(fullJitterDelayMs(attempt, retry, random));
        continue;
      }

      const byEntryId = new Map(pending.map((event, i) => [`e${i}`, event]));
      for (const ok of response.Successful ?? []) {
        const event = byEntryId.get(ok.Id ?? '');
        if (!event) continue;
        byEntryId.delete(ok.Id!);
        outcomes[event.index] = {
          published: {
            id: event.id,
            type: event.type,
            version: event.version,
            topicArn: event.topicArn,
            messageId: ok.MessageId ?? '',
            ...(ok.SequenceNumber !== undefined && { sequenceNumber: ok.SequenceNumber }),
          },
        };
      }
      const retryable: Prepared[] = [];
      const lastCodes = new Map<Prepared, { code: string; message: string }>();
      for (const bad of response.Failed ?? []) {
        const event = byEntryId.get(bad.Id ?? '');
        if (!event) continue;
        byEntryId.delete(bad.Id!);
        const code = bad.Code ?? 'Unknown';
        const message = bad.Message ?? '';
        // SenderFault says whose fault it is; a throttling code is retryable whatever the flag says.
        if (bad.SenderFault && !isRetryableSnsCode(code)) {
          const rejected = new PublishRejectedError(`SNS refused ${event.type} event ${event.id} (${code}: ${message})`, code);
          outcomes[event.index] = { failed: failure(event.id, event.type, rejected, code) };
        } else {
          retryable.push(event);
          lastCodes.set(event, { code, message });
        }
      }
      // An entry SNS answered neither way is retried: its fate is unknown, and the event id deduplicates.
      for (const event of byEntryId.values()) {
        retryable.push(event);
        lastCodes.set(event, { code: 'NoResult', message: 'SNS returned no result for this entry' });
      }
      if (retryable.length === 0) return;
      if (last) {
        for (const event of retryable) {
          const { code, message } = lastCodes.get(event)!;
          const failed = new PublishFailedError(`SNS did not take ${event.type} event ${event.id} after ${attempt} attempts (${code}: ${message})`, code, attempt);
          outcomes[event.index] = { failed: failure(event.id, event.type, failed, code) };
        }
        return;
      }
      // Keep the original order, so a FIFO group's retried events stay in sequence.
      pending = retryable.sort((a, b) => a.index - b.index);
      await sleep(fullJitterDelayMs(attempt, retry, random));
    }
  }

  async function publishBatch(events: readonly PublishEvent<M>[]): Promise<PublishResult> {
    const outcomes: Outcome[] = new Array(events.length);
    const prepared: Prepared[] = [];
    // Every event is checked before any is sent.
    for (const [index, event] of (events as readonly PublishEvent<Record<string, unknown>>[]).entries()) {
      // The id is fixed first, so an event that is refused is reported under the id it would have had.
      const id = event.id ?? newId();
      try {
        prepared.push(await prepare(event, index, id));
      } catch (error) {
        const fanoutError = asFanoutError(error, `${event.type} event ${id}: could not check its contract`);
        outcomes[index] = { failed: failure(id, event.type, fanoutError) };
      }
    }
    const byTopic = new Map<string, Prepared[]>();
    for (const event of prepared) {
      const list = byTopic.get(event.topicArn) ?? [];
      list.push(event);
      byTopic.set(event.topicArn, list);
    }
    // One request at a time: a FIFO group's next events never overtake a retried one.
    for (const topicEvents of byTopic.values()) {
      for (const request of chunk(topicEvents)) await send(request, outcomes);
    }
    const published: PublishedEvent[] = [];
    const failed: FailedEvent[] = [];
    for (const outcome of outcomes) {
      if ('published' in outcome) published.push(outcome.published);
      else failed.push(outcome.failed);
    }
    return { published, failed };
  }

  return {
    publishBatch,
    async publish(type, data, publishOptions) {
      const result = await publishBatch([{ ...publishOptions, type, data } as unknown as PublishEvent<M>]);
      if (result.failed.length > 0) throw result.failed[0]!.error;
      return result.published[0]!;
    },
  };
}

/** Options of {@link publisherForPipeline}: everything but the topic map, which the stack outputs give. */
export type PipelinePublisherOptions = Omit<PublisherOptions, 'topicArnFor'>;

/**
 * A publisher for a deployed (or emulated) pipeline: each event type goes to its
 * topic's ARN, read from the stack outputs (OutputKey.topicArn).
 * @throws PublisherConfigError when an output is missing or a topic's FIFO-ness disagrees with the pipeline
 */
export function publisherForPipeline(pipeline: ResolvedPipeline, outputs: StackOutputs, options: PipelinePublisherOptions): Publisher<EventDataMap> {
  const topicArns: Record<string, string> = {};
  for (const eventType of pipeline.eventTypes) {
    const key = OutputKey.topicArn(eventType.topic);
    const arn = outputs[key];
    if (!arn) throw new PublisherConfigError(`the stack outputs have no "${key}" (topic ${eventType.topic} of ${eventType.name}): is the stack deployed and up to date?`);
    const topic = pipeline.topics.find((t) => t.name === eventType.topic);
    if (topic && topic.fifo !== isFifoTopicArn(arn)) {
      throw new PublisherConfigError(`topic ${eventType.topic} is ${topic.fifo ? '' : 'not '}FIFO in the pipeline, but its ARN ${arn} says otherwise`);
    }
    topicArns[eventType.name] = arn;
  }
  return createPublisher<EventDataMap>({ ...options, topicArnFor: topicArns });
}
