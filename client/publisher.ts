/**
 * The publisher producers use (a web app, a Lambda, a script): typed `publish` and
 * `publishBatch` that validate `data` against the contract version the producer was
 * built against (the generated types' version, {@link LATEST_VERSIONS}) before anything
 * is sent, wrap it in the CloudEvents envelope with its message attributes, and send it
 * with SNS PublishBatch (up to 10 events and 256 KB a request), retrying throttling and
 * server failures with exponential backoff and full jitter. The publisher owns the
 * retries: its SNS client makes one attempt per request ({@link createPublisherSnsClient}).
 *
 * On a FIFO topic a message group's events go out strictly in order: at most one event
 * of a group per request, and once one fails, the group's later events are held back.
 *
 * What finally failed is returned (`publishBatch`) or thrown (`publish`), never swallowed.
 *
 * This module makes the SNS calls and owns the retry loop; what an entry looks like, how
 * entries are packed into requests, how an answer is sorted and which FIFO groups are
 * held back are pure functions in client/batching.ts.
 */
import { PublishBatchCommand, SNSClient, type PublishBatchResponse, type SNSClientConfig } from '@aws-sdk/client-sns';
import { randomUUID } from 'node:crypto';
import type { ContractResolver } from '../contracts/contract-resolver';
import { isTraceparent } from '../contracts/envelope';
import { isPermanent } from '../contracts/errors';
import { LATEST_VERSIONS, type EventDataMap } from '../contracts/event-types.generated';
import type { ResolvedPipeline } from '../model/pipeline-definition';
import { SDK_TIMEOUTS, withSdkTimeouts, type SdkTimeouts } from '../contracts/sdk-client-config';
import { OutputKey, type StackOutputs } from '../model/stack-outputs';
import {
  ContractLookupFailedError,
  ContractLookupRejectedError,
  EventContractViolationError,
  HeldBackError,
  InvalidEventError,
  NoContractVersionError,
  NoTopicError,
  PublishFailedError,
  PublishRejectedError,
  PublisherConfigError,
  isPublishError,
  type EventRef,
  type PublishError,
} from './errors';
import {
  batchEntryId,
  buildPublishEntry,
  FifoGroupBlockers,
  isFifoTopicArn,
  packBatches,
  SNS_BATCH_LIMITS,
  sortBatchResponse,
  type PublishBatchEntry,
} from './batching';
import { DEFAULT_RETRY_POLICY, fullJitterDelayMs, isRetryableSnsError, type RetryPolicy } from './retry';

// Where a producer looks for it: next to the `id` option it fills.
export { deterministicEventId, FANOUT_EVENT_ID_NAMESPACE } from './event-id';
// The pure batching moved to client/batching.ts; what the publisher exported before is
// still exported from here, so producers and tools need one import.
export {
  buildPublishEntry,
  isFifoTopicArn,
  packBatches,
  SNS_BATCH_LIMITS,
  SNS_MAX_BATCH_BYTES,
  SNS_MAX_BATCH_ENTRIES,
  SNS_MAX_MESSAGE_BYTES,
  snsMessageBytes,
  type BatchLimits,
  type PublishEntry,
  type PublishEntryInput,
} from './batching';

/**
 * SDK attempts per HTTP request of the publisher's SNS client. The publisher retries
 * with its own policy (per entry, with full jitter); SDK retries under it would multiply
 * both the requests (3 SDK attempts x 5 publisher attempts = 15 per batch) and the waits.
 */
export const PUBLISHER_SDK_MAX_ATTEMPTS = 1;

/**
 * An SNS client for a publisher: `config` as given (region, endpoint, credentials), with
 * the SDK's own retries turned off ({@link PUBLISHER_SDK_MAX_ATTEMPTS}), since the
 * publisher owns them, and the publisher's connection and request timeouts
 * (contracts/sdk-client-config.ts, `publisher`), so a stalled SNS becomes a retry and then
 * a reported failure instead of a wait as long as the stall. Any `maxAttempts` in
 * `config` is overridden; a `requestHandler` in it is kept (its timeouts are then yours).
 * @param timeouts per HTTP attempt; a whole publish may take up to `retry.maxAttempts` of them plus the backoff
 */
export function createPublisherSnsClient(config: SNSClientConfig = {}, timeouts: SdkTimeouts = SDK_TIMEOUTS.publisher): SNSClient {
  return new SNSClient(withSdkTimeouts({ ...config, maxAttempts: PUBLISHER_SDK_MAX_ATTEMPTS }, timeouts));
}

/** Per-event options of {@link Publisher.publish}. */
export interface PublishOptions {
  /** The entity the event is about (e.g. the user id); on a FIFO topic, the message group. */
  readonly subject: string;
  /** Carried through every log line and trace downstream. @default the event id */
  readonly correlationId?: string;
  /**
   * The event id, the consumers' idempotency key: pass the same id when publishing an event
   * again after a failure (every error carries the id it used as `eventId`), or derive it
   * from a business key with {@link deterministicEventId}, so any retry, even after a
   * crash, is the same event and not a new one.
   * @default a new UUID (fresh per call: a retry with the default is a second event)
   */
  readonly id?: string;
  /** When it happened. @default now */
  readonly time?: Date;
  /**
   * The W3C `traceparent` of the span publishing it (with OpenTelemetry:
   * `propagation.inject(context.active(), carrier)` and pass `carrier.traceparent`):
   * consumers log it and link their X-Ray traces to it. @default none
   */
  readonly traceparent?: string;
}

/** One event of a {@link Publisher.publishBatch}: its type, its data (typed by the type) and its options. */
export type PublishEvent<M extends object = EventDataMap> = {
  [T in keyof M & string]: { readonly type: T; readonly data: M[T] } & PublishOptions;
}[keyof M & string];

/** An event SNS accepted. */
export interface PublishedEvent {
  readonly id: string;
  readonly type: string;
  /** The correlation id the event carries. */
  readonly correlationId: string;
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
  /** The event id it was (or would have been) published under; the same as `eventId`. */
  readonly id: string;
  /** The event id: publish the event again with this `id` so consumers see one event, not two. */
  readonly eventId: string;
  /** The correlation id the event carried. */
  readonly correlationId: string;
  readonly type: string;
  /** SNS's error code, or the name of Fanout's error (e.g. `ContractViolationError`, `HeldBackError`). */
  readonly code: string;
  readonly message: string;
  /** True when publishing it again cannot help without a change. */
  readonly permanent: boolean;
  /** The typed error, e.g. a ContractViolationError with its violations; it names the event too ({@link EventRef}). */
  readonly error: PublishError;
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
   * @throws MessageTooLargeError, InvalidEventError, NoTopicError, NoContractVersionError, UnknownContractError (nothing is sent)
   * @throws PublishRejectedError when SNS refused it; PublishFailedError when every retry failed (or timed out)
   * @throws ContractLookupFailedError, ContractLookupRejectedError when its contract could not be fetched (nothing is sent)
   *
   * Every error it throws names the event (`eventId`, `correlationId`, `eventType`,
   * {@link PublishError}): to try again, publish with `id: error.eventId`.
   */
  publish<T extends keyof M & string>(type: T, data: M[T], options: PublishOptions): Promise<PublishedEvent>;
  /**
   * Validates every event, then publishes the valid ones in as few requests as the
   * limits allow (one topic per request, 10 events and 256 KB at most; on a FIFO topic
   * one event of a message group per request, the group's next one in a later request).
   * Events that fail validation, or are too large, are not sent and are reported in `failed`.
   *
   * On a FIFO topic, once an event fails (validation, refusal, or retries exhausted),
   * the later events of its message group in this batch are not sent either: they are
   * reported as failed with a {@link HeldBackError} ("held behind <event id>", not
   * permanent), so the group never skips an event. Publish them again, in order, after it.
   */
  publishBatch(events: readonly PublishEvent<M>[]): Promise<PublishResult>;
}

/** Options of {@link createPublisher}. */
export interface PublisherOptions {
  /**
   * The SNS client. Build it with {@link createPublisherSnsClient} (or `maxAttempts: 1`):
   * the publisher retries on its own, and SDK retries under it multiply the requests.
   */
  readonly sns: SNSClient;
  /** The topic ARN of each event type: a function or a map. A topic whose ARN ends in `.fifo` is FIFO. */
  readonly topicArnFor: ((eventType: string) => string | undefined) | Readonly<Record<string, string>>;
  /** Where contracts come from (Glue at run time). */
  readonly contracts: ContractResolver;
  /** The producer, a URI reference, e.g. `urn:fanout:web-app`. */
  readonly source: string;
  /**
   * The contract version written per event type, over the default. Not the newest
   * version registered: under FORWARD or NONE compatibility a new registered version may
   * not accept what this producer's code builds, so a producer writes the version its
   * types describe until it is rebuilt. Override an entry to write another version (the
   * data must then satisfy that version), or to name the version of an event type that
   * has no generated type.
   * @default {@link LATEST_VERSIONS}, the versions of the generated {@link EventDataMap}
   */
  readonly versions?: Readonly<Record<string, number>>;
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

/** An event ready to send. */
interface Prepared {
  readonly index: number;
  readonly id: string;
  readonly correlationId: string;
  readonly type: string;
  readonly version: number;
  readonly topicArn: string;
  /** FIFO topics only: the message group (the subject). */
  readonly group?: string;
  readonly entry: PublishBatchEntry;
  readonly sizeBytes: number;
}

type Outcome = { readonly published: PublishedEvent } | { readonly failed: FailedEvent };

/** The error's own `code` (SNS's, or the contract resolver's error name) when it has one, else its name. */
function codeOf(error: PublishError): string {
  const code = (error as { readonly code?: unknown }).code;
  return typeof code === 'string' ? code : error.name;
}

function failure(error: PublishError, code: string = codeOf(error)): FailedEvent {
  return {
    id: error.eventId,
    eventId: error.eventId,
    correlationId: error.correlationId,
    type: error.eventType,
    code,
    message: error.message,
    permanent: isPermanent(error),
    error,
  };
}

/**
 * What `prepare` threw for an event as a {@link PublishError}. Every error it raises on
 * purpose names the event already; anything else (a validator that threw, a bug) is
 * reported as transient with the event named, never thrown past the batch.
 */
function asPublishError(error: unknown, event: EventRef): PublishError {
  if (isPublishError(error)) return error;
  return new ContractLookupFailedError(event, `${event.eventType} event ${event.eventId}: could not check its contract: ${(error as Error | undefined)?.message ?? String(error)}`, error instanceof Error ? error.name : 'Error', { cause: error });
}

const refOf = (event: { readonly type: string; readonly id: string; readonly correlationId: string }): EventRef => ({
  eventType: event.type,
  eventId: event.id,
  correlationId: event.correlationId,
});

/**
 * A contract resolver's failure as an error that names the event, as permanent or as
 * transient as the resolver said (anything it did not type is taken as transient).
 */
function contractLookupError(error: unknown, event: EventRef, version: number): PublishError {
  const code = error instanceof Error ? error.name : 'Error';
  const message = `${event.eventType} event ${event.eventId}: could not get contract v${version}: ${(error as Error | undefined)?.message ?? String(error)}`;
  return isPermanent(error) ? new ContractLookupRejectedError(event, message, code, { cause: error }) : new ContractLookupFailedError(event, message, code, { cause: error });
}

/**
 * Creates a publisher. Give it an SNS client without SDK retries
 * ({@link createPublisherSnsClient}): it retries on its own, per entry.
 * @throws PublisherConfigError on a bad retry policy or version map
 * @example
 * const sns = createPublisherSnsClient({ region: 'eu-west-1' });
 * const publisher = createPublisher({ sns, topicArnFor: { 'user.signed-up': arn }, contracts, source: 'urn:fanout:web-app' });
 * await publisher.publish('user.signed-up', { userId, email, name, plan, signedUpAt }, { subject: userId });
 */
export function createPublisher<M extends object = EventDataMap>(options: PublisherOptions): Publisher<M> {
  const retry: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  if (!Number.isInteger(retry.maxAttempts) || retry.maxAttempts < 1) throw new PublisherConfigError(`retry.maxAttempts must be a positive integer, got ${retry.maxAttempts}`);
  const versions: Readonly<Record<string, number>> = { ...LATEST_VERSIONS, ...options.versions };
  for (const [type, version] of Object.entries(versions)) {
    if (!Number.isInteger(version) || version < 1) throw new PublisherConfigError(`versions["${type}"] must be a positive integer, got ${version}`);
  }
  const newId = options.newId ?? randomUUID;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const random = options.random ?? Math.random;
  const now = options.now ?? (() => new Date());
  const topics = options.topicArnFor;
  const topicArnFor = typeof topics === 'function' ? topics : (eventType: string) => (Object.hasOwn(topics, eventType) ? topics[eventType] : undefined);

  /** Where an event goes; known before its data is looked at, so a FIFO group can be held back on any failure after. */
  function route(event: PublishEvent<Record<string, unknown>>, ref: EventRef): { topicArn: string; group?: string } {
    const { type } = event;
    if (typeof event.subject !== 'string' || event.subject === '') {
      throw new InvalidEventError(ref, `${type} event ${ref.eventId}: subject (the entity the event is about) must be a non-empty string`);
    }
    if (event.traceparent !== undefined && !isTraceparent(event.traceparent)) {
      throw new InvalidEventError(ref, `${type} event ${ref.eventId}: traceparent ${JSON.stringify(event.traceparent)} is not W3C Trace Context (00-<32 hex>-<16 hex>-<2 hex>)`);
    }
    let topicArn: string | undefined;
    try {
      topicArn = topicArnFor(type);
    } catch (cause) {
      throw new NoTopicError(ref, `no topic for event type "${type}": ${(cause as Error).message}`, { cause });
    }
    if (!topicArn) throw new NoTopicError(ref, `no topic is configured for event type "${type}"`);
    return { topicArn, ...(isFifoTopicArn(topicArn) && { group: event.subject }) };
  }

  async function prepare(event: PublishEvent<Record<string, unknown>>, index: number, ref: EventRef, topicArn: string): Promise<Prepared> {
    const { type } = event;
    const { eventId: id, correlationId } = ref;
    const version = Object.hasOwn(versions, type) ? versions[type] : undefined;
    if (version === undefined) {
      throw new NoContractVersionError(ref, `${type} event ${id}: no contract version to write it as (no generated type for "${type}"): pass versions: { "${type}": <n> }`);
    }
    let contract;
    try {
      contract = await options.contracts.resolve(type, version);
    } catch (error) {
      throw contractLookupError(error, ref, version);
    }
    const violations = contract.validate(event.data);
    if (violations.length > 0) throw new EventContractViolationError(ref, version, violations);
    const fifo = isFifoTopicArn(topicArn);
    const { entry, sizeBytes } = buildPublishEntry({
      type,
      version,
      data: event.data,
      subject: event.subject,
      source: options.source,
      id,
      correlationId,
      time: event.time ?? now(),
      ...(event.traceparent !== undefined && { traceparent: event.traceparent }),
      fifo,
    });
    return { index, id, correlationId, type, version, topicArn, ...(fifo && { group: event.subject }), sizeBytes, entry };
  }

  /**
   * Sends one request's worth of events, retrying only the entries that failed retryably.
   * @returns the events that finally failed
   */
  async function send(events: readonly Prepared[], outcomes: Outcome[]): Promise<Prepared[]> {
    const failedEvents: Prepared[] = [];
    const fail = (event: Prepared, error: PublishError, code: string) => {
      outcomes[event.index] = { failed: failure(error, code) };
      failedEvents.push(event);
    };
    let pending = [...events];
    for (let attempt = 1; pending.length > 0; attempt += 1) {
      const last = attempt >= retry.maxAttempts;
      let response: PublishBatchResponse;
      try {
        response = await options.sns.send(
          new PublishBatchCommand({
            TopicArn: pending[0]!.topicArn,
            PublishBatchRequestEntries: pending.map((event, i) => ({ Id: batchEntryId(i), ...event.entry })),
          }),
        );
      } catch (error) {
        const code = (error as Error | undefined)?.name ?? 'Error';
        const message = (error as Error | undefined)?.message ?? String(error);
        if (!isRetryableSnsError(error)) {
          for (const event of pending) fail(event, new PublishRejectedError(refOf(event), `SNS refused ${event.type} event ${event.id} (${code}: ${message})${rejectionHint(code)}`, code, { cause: error }), code);
          return failedEvents;
        }
        if (last) {
          for (const event of pending) {
            fail(event, new PublishFailedError(refOf(event), `SNS did not take ${event.type} event ${event.id} after ${attempt} attempts (${code}: ${message})`, code, attempt, { cause: error }), code);
          }
          return failedEvents;
        }
        await sleep(fullJitterDelayMs(attempt, retry, random));
        continue;
      }

      const sorted = sortBatchResponse(pending, response);
      for (const { item: event, messageId, sequenceNumber } of sorted.published) {
        outcomes[event.index] = {
          published: {
            id: event.id,
            type: event.type,
            correlationId: event.correlationId,
            version: event.version,
            topicArn: event.topicArn,
            messageId,
            ...(sequenceNumber !== undefined && { sequenceNumber }),
          },
        };
      }
      for (const { item: event, code, message } of sorted.rejected) {
        fail(event, new PublishRejectedError(refOf(event), `SNS refused ${event.type} event ${event.id} (${code}: ${message})${rejectionHint(code)}`, code), code);
      }
      const { retryable } = sorted;
      if (retryable.length === 0) return failedEvents;
      if (last) {
        for (const { item: event, code, message } of retryable) {
          fail(event, new PublishFailedError(refOf(event), `SNS did not take ${event.type} event ${event.id} after ${attempt} attempts (${code}: ${message})`, code, attempt), code);
        }
        return failedEvents;
      }
      // On a FIFO topic a request holds one event per group, so retrying only the failed
      // entries never lets a group's later event overtake them.
      pending = retryable.map(({ item }) => item).sort((a, b) => a.index - b.index);
      await sleep(fullJitterDelayMs(attempt, retry, random));
    }
    return failedEvents;
  }

  async function publishBatch(events: readonly PublishEvent<M>[]): Promise<PublishResult> {
    const outcomes: Outcome[] = new Array(events.length);
    const prepared: Prepared[] = [];
    const blockers = new FifoGroupBlockers();
    // Every event is checked before any is sent.
    for (const [index, event] of (events as readonly PublishEvent<Record<string, unknown>>[]).entries()) {
      // The id is fixed first, so an event that is refused is reported under the id it would have had.
      const id = event.id ?? newId();
      const ref: EventRef = { eventType: event.type, eventId: id, correlationId: event.correlationId ?? id };
      let routed: { topicArn: string; group?: string } | undefined;
      try {
        routed = route(event, ref);
        prepared.push(await prepare(event, index, ref, routed.topicArn));
      } catch (error) {
        outcomes[index] = { failed: failure(asPublishError(error, ref)) };
        if (routed?.group !== undefined) blockers.block(routed.topicArn, routed.group, { index, id });
      }
    }
    const byTopic = new Map<string, Prepared[]>();
    for (const event of prepared) {
      const list = byTopic.get(event.topicArn) ?? [];
      list.push(event);
      byTopic.set(event.topicArn, list);
    }
    // One request at a time: a FIFO group's next event goes in a later request, sent only
    // once the one before it was published or given up on.
    for (const [topicArn, topicEvents] of byTopic) {
      for (const request of packBatches(topicEvents, SNS_BATCH_LIMITS, (e) => e.sizeBytes, (e) => e.group)) {
        const ready: Prepared[] = [];
        for (const event of request) {
          const blocker = event.group === undefined ? undefined : blockers.blockerOf(topicArn, event.group, event.index);
          if (blocker) {
            outcomes[event.index] = { failed: failure(new HeldBackError(refOf(event), blocker.id, event.group!)) };
          } else {
            ready.push(event);
          }
        }
        if (ready.length === 0) continue;
        for (const failed of await send(ready, outcomes)) {
          if (failed.group !== undefined) blockers.block(topicArn, failed.group, failed);
        }
      }
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
 * topic's ARN, read from the stack outputs (OutputKey.topicArn). As for
 * {@link createPublisher}, build `options.sns` with {@link createPublisherSnsClient}
 * (`maxAttempts: 1`): the publisher's retries are the only ones.
 * @throws PublisherConfigError when an output is missing or a topic's FIFO-ness disagrees with the pipeline
 * @example
 * const publisher = publisherForPipeline(pipeline, outputs, { sns: createPublisherSnsClient(), contracts, source: 'urn:fanout:web-app' });
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

/**
 * What to do about a refusal, when the code says more than SNS's message: a denied
 * publish is most often a producer missing from the topic's list.
 */
export function rejectionHint(code: string): string {
  if (/^(AuthorizationError|KMSAccessDenied)/.test(code)) {
    return '. The topic lets only the producers listed in the pipeline definition (topics[].publishers) publish, and the caller needs sns:Publish on the topic and kms:GenerateDataKey and kms:Decrypt on its key in IAM (grantPublish gives both to a role of the same app)';
  }
  return '';
}
