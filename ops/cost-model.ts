/**
 * The monthly cost of a synthesized pipeline, from its resolved definition: what each
 * AWS service bills for the requests, compute, storage and monitoring the pipeline
 * makes at a given volume, and the cheaper settings that stay safe at that volume.
 *
 * Pure: no AWS SDK, no clock. Prices come from the one dated table in
 * ./cost-prices; every modelling assumption is a named, documented field of
 * {@link CostAssumptions} so an estimate can be questioned line by line.
 */
import type { ResolvedConsumer, ResolvedPipeline } from '../model/pipeline-definition';
import { FanoutError } from '../contracts/errors';
import { PRICES, PRICES_AS_OF, PRICES_REGION, type PriceTable } from './cost-prices';

/** Hours in a billing month, as AWS prices monthly resources (365 x 24 / 12). */
export const MONTH_HOURS = 730;
/** Seconds in a billing month. */
export const MONTH_SECONDS = MONTH_HOURS * 3600;
/** SQS and SNS bill each started 64 KB chunk of a request's payload as one request. */
export const BILLING_CHUNK_BYTES = 64 * 1024;
/** SQS batch actions (DeleteMessageBatch, SendMessageBatch) take at most 10 entries. */
export const SQS_BATCH_ENTRIES = 10;
/** SNS PublishBatch takes at most 10 messages. */
export const SNS_PUBLISH_BATCH_ENTRIES = 10;
/** SNS reuses a topic's data key for up to 5 minutes; unlike SQS it has no setting for it. */
export const SNS_DATA_KEY_REUSE_SECONDS = 300;
const GIB = 1024 ** 3;

/** The services the estimate breaks down by. */
export const CostService = {
  Sns: 'SNS',
  Sqs: 'SQS',
  Lambda: 'Lambda',
  DynamoDb: 'DynamoDB',
  XRay: 'X-Ray',
  Kms: 'KMS',
  CloudWatch: 'CloudWatch',
  Glue: 'Glue',
} as const;

/** One of {@link CostService}. */
export type CostServiceName = (typeof CostService)[keyof typeof CostService];

/** X-Ray sampling: the first `reservoirPerSecond` requests each second, then `fixedRate` of the rest. */
export interface TraceSampling {
  readonly reservoirPerSecond: number;
  readonly fixedRate: number;
}

/** The idempotency table's capacity mode. */
export type IdempotencyCapacity =
  | { readonly mode: 'on-demand' }
  | { readonly mode: 'provisioned'; readonly writeUnits: number; readonly readUnits: number };

/**
 * What the cost depends on in the synthesized stack, counted from its template
 * ({@link designFromTemplate}) rather than restated here.
 */
export interface StackDesign {
  /**
   * Customer-managed KMS keys (AWS::KMS::Key): in Fanout's stack one per event topic,
   * shared by that topic's queues and DLQs, plus the alarm topic's own key.
   */
  readonly kmsKeys: number;
  /** CloudWatch alarm metrics: each AWS::CloudWatch::Alarm on one metric, each metric of a metric-math alarm. */
  readonly alarmMetrics: number;
  /** CloudWatch dashboards (AWS::CloudWatch::Dashboard). */
  readonly dashboards: number;
  /**
   * The shortest KmsDataKeyReusePeriodSeconds among the stack's queues (AWS's 300 for a
   * queue that sets none): the cost's default for that setting, so the stack is priced as built.
   * @default absent: {@link DEFAULT_COST_SETTINGS}'s
   */
  readonly kmsDataKeyReusePeriodSeconds?: number;
}

/** A CloudFormation template, as far as {@link designFromTemplate} reads it. */
export interface TemplateLike {
  readonly Resources?: Readonly<Record<string, { readonly Type: string; readonly Properties?: Readonly<Record<string, unknown>> }>>;
}

/** SQS's data key reuse period for a queue that sets none, seconds. */
const AWS_KMS_DATA_KEY_REUSE_SECONDS = 300;

/** Counts the billed parts of a synthesized stack's template. Pure. */
export function designFromTemplate(template: TemplateLike): StackDesign {
  const resources = Object.values(template.Resources ?? {});
  const ofType = (type: string) => resources.filter((r) => r.Type === type);
  const alarmMetrics = ofType('AWS::CloudWatch::Alarm').reduce((sum, alarm) => {
    // A metric-math alarm lists its metrics (and expressions, not billed) under Metrics.
    const metrics = alarm.Properties?.Metrics as readonly { readonly MetricStat?: unknown }[] | undefined;
    return sum + (metrics ? metrics.filter((m) => m.MetricStat !== undefined).length : 1);
  }, 0);
  const reusePeriods = ofType('AWS::SQS::Queue').map((queue) => {
    const period = queue.Properties?.KmsDataKeyReusePeriodSeconds;
    return typeof period === 'number' ? period : AWS_KMS_DATA_KEY_REUSE_SECONDS;
  });
  return {
    kmsKeys: ofType('AWS::KMS::Key').length,
    alarmMetrics,
    dashboards: ofType('AWS::CloudWatch::Dashboard').length,
    ...(reusePeriods.length > 0 && { kmsDataKeyReusePeriodSeconds: Math.min(...reusePeriods) }),
  };
}

/** Deployment settings the cost depends on that are not in the pipeline definition. */
export interface CostSettings {
  /**
   * The X-Ray sampling rule that decides, once at the head of each publish request,
   * whether it is traced. Its reservoir is per rule (X-Ray shares it across the fleet),
   * so it is counted once for the pipeline, not per topic or per function.
   * @default X-Ray's default rule: 1 request a second plus 5% of the rest
   */
  readonly traceSampling: TraceSampling;
  /** The SQS queues' KmsDataKeyReusePeriodSeconds (SNS topics have no such setting). @default 300 (the AWS default; the stack leaves it) */
  readonly kmsDataKeyReusePeriodSeconds: number;
  /** @default on-demand, as the stack creates it */
  readonly idempotencyCapacity: IdempotencyCapacity;
  /** Batching window per consumer name, overriding the definition (what-if). @default none */
  readonly batchingWindowSeconds: Readonly<Record<string, number>>;
  /** Filter policy scope per consumer name, overriding the definition (what-if). @default none */
  readonly filterScope: Readonly<Record<string, 'MessageAttributes' | 'MessageBody'>>;
}

/** What the model assumes about traffic and code; each one is a number to question. */
export interface CostAssumptions {
  /** Envelope + attributes, bytes. @default 1024 */
  readonly eventBytes: number;
  /**
   * Events per SNS PublishBatch request (batch fill). SNS bills a PublishBatch as one
   * request per 64 KB chunk of its whole payload, so fuller batches cost less, up to 10x.
   * The publisher sends up to 10 a request when the producer hands it that many at once
   * (publishBatch); a producer that calls publish() once per event fills 1. On a FIFO
   * topic the publisher puts one event per message group in a request, so fill needs 10
   * groups' events at hand. @default 10
   */
  readonly publishBatchFill: number;
  /** IAM principals publishing to each topic (SNS SSE: a data key per principal per 5 minutes). @default 1 */
  readonly publishingPrincipalsPerTopic: number;
  /**
   * A consumer's invocations start X-Ray traces of their own, beside the publish's trace.
   * True on AWS: for SQS-triggered Lambda, X-Ray records each invocation as its own trace
   * under Lambda's sampling and links it to the producers' traces ("Tracing event-driven
   * applications", X-Ray developer guide). False would model one trace end to end.
   * @default true
   */
  readonly invocationsStartOwnTraces: boolean;
  /** Lambda time per record (parse, validate, idempotency, downstream), ms. @default 25 */
  readonly recordMilliseconds: number;
  /** Lambda time per invocation outside the records (batch set-up, metrics flush), ms. @default 5 */
  readonly invocationOverheadMilliseconds: number;
  /** Share of deliveries that fail transiently once and are retried. @default 0.01 */
  readonly transientFailureRate: number;
  /** Share of deliveries that fail permanently and go to the DLQ. @default 0.001 */
  readonly permanentFailureRate: number;
  /** Concurrent long polls a Lambda SQS event source mapping keeps open on an idle queue. @default 5 */
  readonly pollersPerQueue: number;
  /** Wait time of those long polls, seconds. @default 20 */
  readonly longPollSeconds: number;
  /**
   * Without a batching window a receive returns what arrived during about one receive
   * round trip; records per batch ≈ rate x this, at least 1. @default 0.05
   */
  readonly noWindowGatherSeconds: number;
  /** Log bytes per record (Powertools JSON lines), ingested into CloudWatch Logs. @default 500 */
  readonly logBytesPerRecord: number;
  /** Log bytes per invocation (START, END, REPORT, EMF blob). @default 600 */
  readonly logBytesPerInvocation: number;
  /** EMF metric names x dimension sets per consumer (Processed, Duplicate, Stale, PermanentFailure, TransientFailure, EndToEndLatency). @default 6 */
  readonly customMetricsPerConsumer: number;
  /** Idempotency writes per attempt: Powertools puts INPROGRESS, then updates COMPLETED (or deletes on failure). @default 2 */
  readonly idempotencyWritesPerAttempt: number;
  /** Writes per record on a DynamoDB downstream: the state item and the effect-log item. @default 2 */
  readonly downstreamWritesPerRecord: number;
  /** Provisioned capacity is sized so the contracts' peak uses this share of it. @default 0.7 */
  readonly provisionedTargetUtilization: number;
}

/** Defaults of {@link CostSettings}. */
export const DEFAULT_COST_SETTINGS: CostSettings = {
  traceSampling: { reservoirPerSecond: 1, fixedRate: 0.05 },
  kmsDataKeyReusePeriodSeconds: 300,
  idempotencyCapacity: { mode: 'on-demand' },
  batchingWindowSeconds: {},
  filterScope: {},
};

/** Defaults of {@link CostAssumptions}. */
export const DEFAULT_COST_ASSUMPTIONS: CostAssumptions = {
  eventBytes: 1024,
  publishBatchFill: SNS_PUBLISH_BATCH_ENTRIES,
  publishingPrincipalsPerTopic: 1,
  invocationsStartOwnTraces: true,
  recordMilliseconds: 25,
  invocationOverheadMilliseconds: 5,
  transientFailureRate: 0.01,
  permanentFailureRate: 0.001,
  pollersPerQueue: 5,
  longPollSeconds: 20,
  noWindowGatherSeconds: 0.05,
  logBytesPerRecord: 500,
  logBytesPerInvocation: 600,
  customMetricsPerConsumer: 6,
  idempotencyWritesPerAttempt: 2,
  downstreamWritesPerRecord: 2,
  provisionedTargetUtilization: 0.7,
};

/** The volume to price: the contracts' peak rates all month long, or N events a day. */
export type CostVolume = { readonly kind: 'peak' } | { readonly kind: 'per-day'; readonly eventsPerDay: number };

/** What to estimate. */
export interface CostInput {
  readonly pipeline: ResolvedPipeline;
  readonly volume: CostVolume;
  /** The synthesized stack's billed parts ({@link designFromTemplate}). */
  readonly design: StackDesign;
  readonly settings?: Partial<CostSettings>;
  readonly assumptions?: Partial<CostAssumptions>;
  /** @default PRICES */
  readonly prices?: PriceTable;
}

/** One billed quantity. */
export interface CostLine {
  readonly service: CostServiceName;
  /** What is billed, e.g. `crm-sync: receives`. */
  readonly item: string;
  readonly quantity: number;
  /** Unit of `quantity`, e.g. `requests`, `GB-s`. */
  readonly unit: string;
  /** Price per `per` units, USD. */
  readonly priceUsd: number;
  /** How many units `priceUsd` is for (1, 10,000, 1,000,000). */
  readonly per: number;
  readonly monthlyUsd: number;
}

/** Monthly traffic of one consumer, as the model derives it. */
export interface ConsumerTraffic {
  readonly consumer: string;
  /** Messages delivered to its queue (an upper bound: filters are assumed to pass everything). */
  readonly messages: number;
  /** Deliveries including transient retries. */
  readonly attempts: number;
  /** Records per Lambda invocation. */
  readonly recordsPerBatch: number;
  readonly invocations: number;
  /** Long polls that return nothing. */
  readonly emptyReceives: number;
}

/** A whole estimate. */
export interface CostEstimate {
  readonly pricesAsOf: string;
  readonly region: string;
  readonly volume: CostVolume & { readonly eventsPerMonth: number; readonly eventsPerDay: number };
  readonly lines: readonly CostLine[];
  /** Per service, largest first. */
  readonly services: readonly { readonly service: CostServiceName; readonly monthlyUsd: number }[];
  readonly totalMonthlyUsd: number;
  readonly traffic: readonly ConsumerTraffic[];
  readonly design: StackDesign;
  readonly settings: CostSettings;
  readonly assumptions: CostAssumptions;
  /**
   * Lambda concurrency the functions reserve (each its mapping's maximum; 0 when the
   * definition turns reserving off). Free of charge: it is taken from the account's
   * unreserved pool, which Lambda keeps at 100 or more.
   */
  readonly reservedConcurrency: number;
}

/** A cheaper setting, with what it saves at the estimated volume. */
export interface CostRecommendation {
  readonly id: string;
  /** What to change, in words, e.g. `crm-sync: batching window 0 s → 6 s`. */
  readonly change: string;
  /** Why it stays safe (or what it costs in latency/observability). */
  readonly safety: string;
  /** Monthly USD saved (negative: it would cost more). */
  readonly monthlySavingsUsd: number;
  /** True when it saves money at this volume. */
  readonly recommended: boolean;
  /** The settings it changes, to price several together ({@link priceTogether}). */
  readonly settings: Partial<CostSettings>;
}

/** Recommendations priced as one change: what they save together is not the sum of what each saves alone. */
export interface CombinedRecommendation {
  /** The ids applied, in order. */
  readonly ids: readonly string[];
  readonly totalMonthlyUsd: number;
  readonly monthlySavingsUsd: number;
}

/**
 * The estimate with every `recommended` setting applied at once: they overlap (fewer
 * invocations leave fewer traces to sample), so this, not the sum, is what they save.
 */
export function priceTogether(input: CostInput, baseline: CostEstimate, recommendations: readonly CostRecommendation[]): CombinedRecommendation {
  const chosen = recommendations.filter((r) => r.recommended);
  let settings: CostSettings = baseline.settings;
  for (const r of chosen) {
    settings = {
      ...settings,
      ...r.settings,
      batchingWindowSeconds: { ...settings.batchingWindowSeconds, ...r.settings.batchingWindowSeconds },
      filterScope: { ...settings.filterScope, ...r.settings.filterScope },
    };
  }
  const total = estimateCost({ ...input, settings }).totalMonthlyUsd;
  return { ids: chosen.map((r) => r.id), totalMonthlyUsd: total, monthlySavingsUsd: baseline.totalMonthlyUsd - total };
}

/** The cost input is not usable (e.g. a negative volume). */
export class CostInputError extends FanoutError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CostInputError';
  }
}

function chunks(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / BILLING_CHUNK_BYTES));
}

/**
 * Expected reuse periods in which at least one of `events` falls, out of `periods`, with
 * arrivals spread at random (Poisson): KMS is called once per principal per such period.
 */
export function activePeriods(events: number, periods: number): number {
  if (periods <= 0 || events <= 0) return 0;
  return periods * -Math.expm1(-events / periods);
}

/** Requests a second that X-Ray records under a sampling rule, at `rate` requests a second. */
export function sampledPerSecond(rate: number, sampling: TraceSampling): number {
  return Math.min(rate, sampling.reservoirPerSecond) + sampling.fixedRate * Math.max(0, rate - sampling.reservoirPerSecond);
}

/** Monthly events per event type at the volume. */
function eventsPerType(pipeline: ResolvedPipeline, volume: CostVolume): Map<string, number> {
  const totalPeak = pipeline.eventTypes.reduce((sum, e) => sum + e.peakEventsPerSecond, 0);
  return new Map(
    pipeline.eventTypes.map((e) => [
      e.name,
      volume.kind === 'peak'
        ? e.peakEventsPerSecond * MONTH_SECONDS
        : // N a day, shared among the event types in the proportion of their peak rates.
          volume.eventsPerDay * (e.peakEventsPerSecond / totalPeak) * (MONTH_SECONDS / 86_400),
    ]),
  );
}

function consumerTraffic(consumer: ResolvedConsumer, events: Map<string, number>, settings: CostSettings, a: CostAssumptions): ConsumerTraffic {
  const messages = consumer.eventTypes.reduce((sum, type) => sum + (events.get(type) ?? 0), 0);
  const attempts = messages * (1 + a.transientFailureRate);
  const rate = attempts / MONTH_SECONDS;
  const window = settings.batchingWindowSeconds[consumer.name] ?? consumer.batchingWindowSeconds;
  const gather = window > 0 ? window : a.noWindowGatherSeconds;
  const recordsPerBatch = Math.min(consumer.batchSize, Math.max(1, rate * gather));
  const invocations = attempts / recordsPerBatch;
  // Each poller's 20 s long poll comes back empty when no message reaches it in that
  // time; with arrivals spread over the pollers that happens with probability
  // exp(-rate x wait / pollers) (Poisson arrivals).
  const pollsPerMonth = a.pollersPerQueue * (MONTH_SECONDS / a.longPollSeconds);
  const emptyReceives = pollsPerMonth * Math.exp((-rate * a.longPollSeconds) / a.pollersPerQueue);
  return { consumer: consumer.name, messages, attempts, recordsPerBatch, invocations, emptyReceives };
}

/** One consumer of the pipeline with the monthly traffic the model derives for it. */
export interface PricedConsumer {
  readonly consumer: ResolvedConsumer;
  readonly traffic: ConsumerTraffic;
}

/**
 * What every service's pricing function reads: a {@link CostInput} with its defaults
 * applied, checked, and its traffic derived once ({@link pricingContext}), so the
 * per-service functions agree on one set of numbers.
 */
export interface PricingContext {
  readonly pipeline: ResolvedPipeline;
  /** Monthly events per event type name. */
  readonly eventsPerType: ReadonlyMap<string, number>;
  /** The pipeline's consumers in definition order, each with its traffic. */
  readonly consumers: readonly PricedConsumer[];
  readonly design: StackDesign;
  readonly settings: CostSettings;
  readonly assumptions: CostAssumptions;
  readonly prices: PriceTable;
}

/** Prices one service: pure, its lines in a stable order (per topic, then per consumer, then the stack's own). */
export type ServicePricing = (context: PricingContext) => CostLine[];

const PER_MILLION = 1_000_000;
const PER_10K = 10_000;

/** A line builder for one service; each line's monthly price is computed in one place. */
function linesOf(service: CostServiceName) {
  return (item: string, quantity: number, unit: string, priceUsd: number, per: number): CostLine => ({
    service,
    item,
    quantity,
    unit,
    priceUsd,
    per,
    monthlyUsd: (quantity / per) * priceUsd,
  });
}

/** Monthly events published to a topic. */
function publishedTo(context: PricingContext, topic: string): number {
  return context.pipeline.eventTypes.filter((e) => e.topic === topic).reduce((s, e) => s + (context.eventsPerType.get(e.name) ?? 0), 0);
}

/** PublishBatch requests carrying `published` events at the assumed batch fill (before 64 KB chunks). */
function publishRequests(context: PricingContext, published: number): number {
  return Math.ceil(published / context.assumptions.publishBatchFill);
}

function checkCostInput(input: CostInput, settings: CostSettings, a: CostAssumptions): void {
  const { volume, design } = input;
  if (volume.kind === 'per-day' && !(volume.eventsPerDay >= 0 && Number.isFinite(volume.eventsPerDay))) {
    throw new CostInputError(`events per day must be a non-negative number, got ${volume.eventsPerDay}`);
  }
  if (!(settings.kmsDataKeyReusePeriodSeconds >= 60 && settings.kmsDataKeyReusePeriodSeconds <= 86_400)) {
    throw new CostInputError(`the KMS data key reuse period must be 60 to 86400 seconds, got ${settings.kmsDataKeyReusePeriodSeconds}`);
  }
  for (const [name, value] of Object.entries(design)) {
    if (!(Number.isInteger(value) && value >= 0)) throw new CostInputError(`design.${name} must be a non-negative integer, got ${value}`);
  }
  if (!(Number.isInteger(a.publishBatchFill) && a.publishBatchFill >= 1 && a.publishBatchFill <= SNS_PUBLISH_BATCH_ENTRIES)) {
    throw new CostInputError(`publishBatchFill must be 1 to ${SNS_PUBLISH_BATCH_ENTRIES} events a request, got ${a.publishBatchFill}`);
  }
}

/**
 * Applies the defaults to a cost input, checks it and derives the traffic the
 * per-service pricing functions read.
 * @throws CostInputError when the volume, the design or an assumption is out of range
 */
export function pricingContext(input: CostInput): PricingContext {
  const built = input.design.kmsDataKeyReusePeriodSeconds;
  const settings: CostSettings = { ...DEFAULT_COST_SETTINGS, ...(built !== undefined && { kmsDataKeyReusePeriodSeconds: built }), ...input.settings };
  const assumptions: CostAssumptions = { ...DEFAULT_COST_ASSUMPTIONS, ...input.assumptions };
  checkCostInput(input, settings, assumptions);
  const events = eventsPerType(input.pipeline, input.volume);
  return {
    pipeline: input.pipeline,
    eventsPerType: events,
    consumers: input.pipeline.consumers.map((consumer) => ({ consumer, traffic: consumerTraffic(consumer, events, settings, assumptions) })),
    design: input.design,
    settings,
    assumptions,
    prices: input.prices ?? PRICES,
  };
}

/**
 * SNS: publish requests per topic (billed per PublishBatch request and 64 KB chunk of
 * it, not per message), deliveries (free to SQS from a standard topic), FIFO payload,
 * and the payload each body filter scans.
 */
export function priceSns(context: PricingContext): CostLine[] {
  const { pipeline, settings, assumptions: a, prices: p } = context;
  const line = linesOf(CostService.Sns);
  const eventGb = a.eventBytes / GIB;
  const fill = a.publishBatchFill;
  const publishChunks = chunks(fill * a.eventBytes);
  const lines: CostLine[] = [];
  for (const topic of pipeline.topics) {
    const published = publishedTo(context, topic.name);
    const delivered = context.consumers.filter((c) => c.consumer.topic === topic.name).reduce((s, c) => s + c.traffic.messages, 0);
    const requests = publishRequests(context, published) * publishChunks;
    const item = `${topic.name}: publish requests (PublishBatch, ${fill} events each${publishChunks > 1 ? `, ${publishChunks} x 64 KB chunks` : ''})`;
    if (topic.fifo) {
      lines.push(
        line(`${item} (FIFO)`, requests, 'requests', p.sns.fifoPublishPerMillion, PER_MILLION),
        line(`${topic.name}: payload published (FIFO)`, published * eventGb, 'GB', p.sns.fifoPublishPayloadPerGb, 1),
        line(`${topic.name}: deliveries to SQS (FIFO)`, delivered, 'messages', p.sns.fifoDeliveryPerMillion, PER_MILLION),
        line(`${topic.name}: payload delivered (FIFO)`, delivered * eventGb, 'GB', p.sns.fifoDeliveryPayloadPerGb, 1),
      );
    } else {
      lines.push(
        line(item, requests, 'requests', p.sns.standardPublishPerMillion, PER_MILLION),
        line(`${topic.name}: deliveries to SQS (free)`, delivered, 'messages', p.sns.standardSqsDeliveryPerMillion, PER_MILLION),
      );
    }
    // A body filter scans every message published to its topic, matching or not.
    for (const consumer of pipeline.consumers.filter((c) => c.topic === topic.name && (settings.filterScope[c.name] ?? c.filter.scope) === 'MessageBody')) {
      lines.push(line(`${consumer.name}: payload scanned by its body filter`, published * eventGb, 'GB', p.sns.payloadFilteringPerGb, 1));
    }
  }
  return lines;
}

/**
 * SQS, per consumer queue: SNS's sends, the Lambda pollers' receives (full and empty),
 * batch deletes, backoff visibility changes and sends to the DLQ.
 */
export function priceSqs(context: PricingContext): CostLine[] {
  const { assumptions: a, prices: p } = context;
  const line = linesOf(CostService.Sqs);
  const eventChunks = chunks(a.eventBytes);
  return context.consumers.flatMap(({ consumer, traffic: t }) => {
    const price = consumer.fifo ? p.sqs.fifoRequestsPerMillion : p.sqs.standardRequestsPerMillion;
    const n = consumer.name;
    return [
      // SNS's SendMessage into the queue is a request billed to the queue's owner.
      line(`${n}: sends by SNS`, t.messages * eventChunks, 'requests', price, PER_MILLION),
      line(`${n}: receives (${round(t.recordsPerBatch, 2)} records each)`, t.invocations * chunks(t.recordsPerBatch * a.eventBytes), 'requests', price, PER_MILLION),
      line(`${n}: empty long polls of the Lambda pollers`, t.emptyReceives, 'requests', price, PER_MILLION),
      line(`${n}: deletes (DeleteMessageBatch)`, t.invocations * Math.ceil(t.recordsPerBatch / SQS_BATCH_ENTRIES), 'requests', price, PER_MILLION),
      line(`${n}: visibility changes (transient backoff)`, t.messages * a.transientFailureRate, 'requests', price, PER_MILLION),
      line(`${n}: sends to the DLQ (permanent failures)`, t.messages * a.permanentFailureRate * eventChunks, 'requests', price, PER_MILLION),
    ];
  });
}

/** Lambda, per consumer: one invocation per batch, and its duration billed per ms at the configured memory (arm64). */
export function priceLambda(context: PricingContext): CostLine[] {
  const { assumptions: a, prices: p } = context;
  const line = linesOf(CostService.Lambda);
  return context.consumers.flatMap(({ consumer, traffic: t }) => {
    const durationSeconds = (a.invocationOverheadMilliseconds + t.recordsPerBatch * a.recordMilliseconds) / 1000;
    return [
      line(`${consumer.name}: invocations`, t.invocations, 'requests', p.lambda.requestsPerMillion, PER_MILLION),
      line(`${consumer.name}: duration (${consumer.memoryMiB} MiB, arm64)`, t.invocations * durationSeconds * (consumer.memoryMiB / 1024), 'GB-s', p.lambda.arm64PerGbSecond, 1),
    ];
  });
}

/**
 * DynamoDB: the writes of each DynamoDB downstream, then the idempotency table, on
 * demand (per write) or provisioned (per capacity unit-hour).
 */
export function priceDynamoDb(context: PricingContext): CostLine[] {
  const { settings, assumptions: a, prices: p } = context;
  const line = linesOf(CostService.DynamoDb);
  const lines = context.consumers
    .filter(({ consumer }) => consumer.downstream.kind === 'dynamodb')
    .map(({ consumer, traffic: t }) =>
      line(`${consumer.name}: downstream table writes (on-demand)`, t.messages * a.downstreamWritesPerRecord, 'write units', p.dynamodb.onDemandWritePerMillion, PER_MILLION),
    );
  if (settings.idempotencyCapacity.mode === 'on-demand') {
    const idempotencyWrites = context.consumers.reduce((s, { traffic: t }) => s + t.attempts * a.idempotencyWritesPerAttempt, 0);
    lines.push(
      line('idempotency table writes (on-demand)', idempotencyWrites, 'write units', p.dynamodb.onDemandWritePerMillion, PER_MILLION),
      // Powertools reads nothing on the happy path: a duplicate is detected by the
      // conditional put, which returns the stored record (ReturnValuesOnConditionCheckFailure).
      line('idempotency table reads (on-demand)', 0, 'read units', p.dynamodb.onDemandReadPerMillion, PER_MILLION),
    );
  } else {
    const { writeUnits, readUnits } = settings.idempotencyCapacity;
    lines.push(
      line(`idempotency table: ${writeUnits} provisioned WCU`, writeUnits * MONTH_HOURS, 'WCU-hours', p.dynamodb.provisionedWcuHour, 1),
      line(`idempotency table: ${readUnits} provisioned RCU`, readUnits * MONTH_HOURS, 'RCU-hours', p.dynamodb.provisionedRcuHour, 1),
    );
  }
  return lines;
}

/**
 * X-Ray: the traces each consumer's invocations start (when
 * {@link CostAssumptions.invocationsStartOwnTraces}), then one trace per sampled publish
 * request, SNS and SQS adding segments to it.
 */
export function priceXRay(context: PricingContext): CostLine[] {
  const { pipeline, settings, assumptions: a, prices: p } = context;
  const line = linesOf(CostService.XRay);
  const lines = a.invocationsStartOwnTraces
    ? context.consumers.map(({ consumer, traffic: t }) => {
        const traces = sampledPerSecond(t.invocations / MONTH_SECONDS, settings.traceSampling) * MONTH_SECONDS;
        return line(`${consumer.name}: traces started by invocations`, traces, 'traces', p.xray.tracesRecordedPerMillion, PER_MILLION);
      })
    : [];
  // One sampling rule for the publishes: its reservoir is shared, not one per topic.
  const allRequests = pipeline.topics.reduce((s, topic) => s + publishRequests(context, publishedTo(context, topic.name)), 0);
  const traces = sampledPerSecond(allRequests / MONTH_SECONDS, settings.traceSampling) * MONTH_SECONDS;
  lines.push(line('traces of publish requests (SNS → SQS → Lambda, one trace each)', traces, 'traces', p.xray.tracesRecordedPerMillion, PER_MILLION));
  return lines;
}

/**
 * KMS: the data key requests of each consumer's queue and DLQ (SQS SSE), of each
 * topic (SNS SSE), and the customer-managed keys themselves.
 */
export function priceKms(context: PricingContext): CostLine[] {
  const { pipeline, design, settings, assumptions: a, prices: p } = context;
  const line = linesOf(CostService.Kms);
  const queuePeriods = MONTH_SECONDS / settings.kmsDataKeyReusePeriodSeconds;
  const topicPeriods = MONTH_SECONDS / SNS_DATA_KEY_REUSE_SECONDS;
  // SQS SSE-KMS, per queue: in each reuse period with traffic, each producing principal
  // calls GenerateDataKey and Decrypt and each consuming principal Decrypt, AWS's
  // B/D x (2P + C).
  const lines = context.consumers.flatMap(({ consumer, traffic: t }) => [
    // The queue: P = SNS, C = the function's role.
    line(`${consumer.name}: queue data keys (SNS sends, the function receives)`, activePeriods(t.messages, queuePeriods) * (2 * 1 + 1), 'requests', p.kms.requestsPer10k, PER_10K),
    // The DLQ: P = the function's role (permanent failures); C = nobody until a redrive.
    line(`${consumer.name}: DLQ data keys (permanent failures)`, activePeriods(t.messages * a.permanentFailureRate, queuePeriods) * 2, 'requests', p.kms.requestsPer10k, PER_10K),
  ]);
  for (const topic of pipeline.topics) {
    // SNS SSE, per topic: B/D x 2P, D fixed at 5 minutes, P the publishing principals.
    const topicKms = activePeriods(publishRequests(context, publishedTo(context, topic.name)), topicPeriods) * 2 * a.publishingPrincipalsPerTopic;
    lines.push(line(`${topic.name}: topic data keys (publishers)`, topicKms, 'requests', p.kms.requestsPer10k, PER_10K));
  }
  // The alarm topic's key is called only when an alarm fires: its requests are left out.
  lines.push(line('customer-managed keys (event topics and their queues, the alarm topic)', design.kmsKeys, 'keys', p.kms.keyMonth, 1));
  return lines;
}

/** CloudWatch: each consumer's log ingestion, then the stack's alarms, dashboards and EMF custom metrics. */
export function priceCloudWatch(context: PricingContext): CostLine[] {
  const { pipeline, design, assumptions: a, prices: p } = context;
  const line = linesOf(CostService.CloudWatch);
  return [
    ...context.consumers.map(({ consumer, traffic: t }) => {
      const logBytes = t.attempts * a.logBytesPerRecord + t.invocations * a.logBytesPerInvocation;
      return line(`${consumer.name}: log ingestion`, logBytes / GIB, 'GB', p.cloudwatch.logsIngestPerGb, 1);
    }),
    line('alarms (standard resolution)', design.alarmMetrics, 'alarm metrics', p.cloudwatch.alarmMetricMonth, 1),
    line('dashboard', design.dashboards, 'dashboards', p.cloudwatch.dashboardMonth, 1),
    line('custom metrics (EMF)', pipeline.consumers.length * a.customMetricsPerConsumer, 'metrics', p.cloudwatch.customMetricMonth, 1),
  ];
}

/** Glue: the schema registry's versions, listed so the estimate shows they were counted (no charge). */
export function priceGlue(context: PricingContext): CostLine[] {
  const line = linesOf(CostService.Glue);
  const versions = context.pipeline.eventTypes.reduce((s, e) => s + e.versions.length, 0);
  return [line('schema registry (no charge)', versions, 'schema versions', context.prices.glue.schemaRegistry, 1)];
}

/**
 * The pricing function of every service the estimate breaks down by, in the order its
 * lines are listed. A record over {@link CostService} so a new service cannot be left
 * unpriced.
 */
export const SERVICE_PRICING: Readonly<Record<CostServiceName, ServicePricing>> = {
  [CostService.Sns]: priceSns,
  [CostService.Sqs]: priceSqs,
  [CostService.Lambda]: priceLambda,
  [CostService.DynamoDb]: priceDynamoDb,
  [CostService.XRay]: priceXRay,
  [CostService.Kms]: priceKms,
  [CostService.CloudWatch]: priceCloudWatch,
  [CostService.Glue]: priceGlue,
};

/**
 * Estimates the monthly cost of the pipeline at the volume: every service's lines
 * ({@link SERVICE_PRICING}), their totals per service and in all.
 * @throws CostInputError when the volume or an assumption is out of range
 */
export function estimateCost(input: CostInput): CostEstimate {
  const context = pricingContext(input);
  const lines = Object.values(SERVICE_PRICING).flatMap((price) => price(context));
  const byService = new Map<CostServiceName, number>();
  for (const line of lines) byService.set(line.service, (byService.get(line.service) ?? 0) + line.monthlyUsd);
  const services = [...byService.entries()].map(([service, monthlyUsd]) => ({ service, monthlyUsd })).sort((x, y) => y.monthlyUsd - x.monthlyUsd);
  const eventsPerMonth = [...context.eventsPerType.values()].reduce((s, n) => s + n, 0);
  const { pipeline } = input;
  return {
    pricesAsOf: PRICES_AS_OF,
    region: PRICES_REGION,
    volume: { ...input.volume, eventsPerMonth, eventsPerDay: (eventsPerMonth / MONTH_SECONDS) * 86_400 },
    lines,
    services,
    totalMonthlyUsd: lines.reduce((s, l) => s + l.monthlyUsd, 0),
    traffic: context.consumers.map((c) => c.traffic),
    design: input.design,
    settings: context.settings,
    assumptions: context.assumptions,
    reservedConcurrency: pipeline.reserveConcurrency ? pipeline.consumers.reduce((sum, c) => sum + c.maxConcurrency, 0) : 0,
  };
}

/** The total of one service in an estimate (0 when absent). */
export function serviceTotal(estimate: CostEstimate, service: CostServiceName): number {
  return estimate.services.find((s) => s.service === service)?.monthlyUsd ?? 0;
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** The sampling rule {@link recommendCheaperSettings} proposes: no reservoir, 1% of requests. */
export const RECOMMENDED_TRACE_SAMPLING: TraceSampling = { reservoirPerSecond: 0, fixedRate: 0.01 };
/** The SQS queues' KMS data key reuse period it proposes, seconds (SQS allows up to 86,400). */
export const RECOMMENDED_KMS_REUSE_SECONDS = 3600;

/**
 * The batching window it proposes for a consumer: a tenth of its latency objective,
 * 1 to 20 seconds, so waiting for a fuller batch spends at most 10% of the SLA.
 */
export function recommendedBatchingWindowSeconds(consumer: ResolvedConsumer): number {
  return Math.min(20, Math.max(1, Math.floor(consumer.latencySlaP95Seconds / 10)));
}

/**
 * Provisioned capacity that carries the contracts' peak at the target utilization:
 * write units for every idempotency write a second at peak, one read unit.
 */
export function provisionedIdempotencyCapacity(pipeline: ResolvedPipeline, assumptions: Partial<CostAssumptions> = {}): { writeUnits: number; readUnits: number } {
  const a = { ...DEFAULT_COST_ASSUMPTIONS, ...assumptions };
  const peakWrites = pipeline.consumers.reduce((s, c) => s + c.peakEventsPerSecond * (1 + a.transientFailureRate) * a.idempotencyWritesPerAttempt, 0);
  return { writeUnits: Math.max(1, Math.ceil(peakWrites / a.provisionedTargetUtilization)), readUnits: 1 };
}

/**
 * Cheaper settings that stay safe at the estimate's volume, each priced by
 * re-estimating with only that setting changed: a batching window per consumer
 * (standard queues only), trace sampling, the SQS queues' KMS data key reuse period
 * (SNS topics have none to set), and
 * provisioned vs on-demand capacity for the idempotency table. Ones that would cost
 * more are returned with `recommended: false` so the reader sees they were weighed.
 */
export function recommendCheaperSettings(input: CostInput, baseline: CostEstimate = estimateCost(input)): CostRecommendation[] {
  const withSettings = (settings: Partial<CostSettings>) =>
    estimateCost({ ...input, settings: { ...baseline.settings, ...settings } }).totalMonthlyUsd;
  const saving = (total: number) => baseline.totalMonthlyUsd - total;
  const out: CostRecommendation[] = [];
  const push = (r: Omit<CostRecommendation, 'recommended' | 'monthlySavingsUsd'>) => {
    const monthlySavingsUsd = saving(withSettings(r.settings));
    out.push({ ...r, monthlySavingsUsd, recommended: monthlySavingsUsd > 0.005 });
  };

  for (const consumer of input.pipeline.consumers) {
    const current = baseline.settings.batchingWindowSeconds[consumer.name] ?? consumer.batchingWindowSeconds;
    if (consumer.fifo || current > 0) continue;
    const proposed = recommendedBatchingWindowSeconds(consumer);
    push({
      id: `batching-window:${consumer.name}`,
      change: `${consumer.name}: batching window ${current} s → ${proposed} s (batchingWindowSeconds: ${proposed})`,
      safety: `adds at most ${proposed} s of latency, within 10% of its ${consumer.latencySlaP95Seconds} s p95 objective; fewer, fuller invocations and receives (the queue's visibility timeout grows by ${proposed} s with it)`,
      settings: { batchingWindowSeconds: { ...baseline.settings.batchingWindowSeconds, [consumer.name]: proposed } },
    });
  }

  const sampling = baseline.settings.traceSampling;
  if (sampling.reservoirPerSecond !== RECOMMENDED_TRACE_SAMPLING.reservoirPerSecond || sampling.fixedRate !== RECOMMENDED_TRACE_SAMPLING.fixedRate) {
    push({
      id: 'trace-sampling',
      change: `X-Ray sampling ${sampling.reservoirPerSecond}/s + ${pct(sampling.fixedRate)} → ${RECOMMENDED_TRACE_SAMPLING.reservoirPerSecond}/s + ${pct(RECOMMENDED_TRACE_SAMPLING.fixedRate)} (X-Ray sampling rules matching the publishes and the consumer functions)`,
      safety: 'still a steady sample of traces for latency analysis; every failure stays findable by its correlation id in the logs and in the DLQ',
      settings: { traceSampling: RECOMMENDED_TRACE_SAMPLING },
    });
  }

  const reuse = baseline.settings.kmsDataKeyReusePeriodSeconds;
  if (reuse < RECOMMENDED_KMS_REUSE_SECONDS) {
    push({
      id: 'kms-data-key-reuse',
      change: `SQS KMS data key reuse period ${reuse} s → ${RECOMMENDED_KMS_REUSE_SECONDS} s (KmsDataKeyReusePeriodSeconds on the consumer queues and DLQs; SNS topics have no such setting)`,
      safety: 'messages stay encrypted with the customer-managed key; SQS caches a data key for up to an hour instead of five minutes',
      settings: { kmsDataKeyReusePeriodSeconds: RECOMMENDED_KMS_REUSE_SECONDS },
    });
  }

  // Filtering on the body's `type` would spare raw publishers the attribute, at a price.
  const attributeFiltered = input.pipeline.consumers.filter((c) => (baseline.settings.filterScope[c.name] ?? c.filter.scope) === 'MessageAttributes');
  if (attributeFiltered.length > 0) {
    push({
      id: 'filter-on-body',
      change: `filter ${attributeFiltered.map((c) => c.name).join(', ')} on the body's \`type\` instead of the \`type\` attribute (filter: { scope: 'MessageBody', ... })`,
      safety: 'raw publishers would need no message attributes; attribute filtering is free and a publish without the attribute is paged on (filtered-no-attributes alarm), so it stays the default',
      settings: { filterScope: { ...baseline.settings.filterScope, ...Object.fromEntries(attributeFiltered.map((c) => [c.name, 'MessageBody' as const])) } },
    });
  }

  const capacity = baseline.settings.idempotencyCapacity;
  if (capacity.mode === 'on-demand') {
    const provisioned = provisionedIdempotencyCapacity(input.pipeline, input.assumptions);
    push({
      id: 'idempotency-capacity',
      change: `idempotency table on-demand → provisioned ${provisioned.writeUnits} WCU / ${provisioned.readUnits} RCU (the contracts' peak at ${pct(baseline.assumptions.provisionedTargetUtilization)} utilization, with auto scaling)`,
      safety: 'sized for the contracts\' peak rates; a burst above them is throttled and retried by the kit (transient), so keep the alarms on age of oldest message',
      settings: { idempotencyCapacity: { mode: 'provisioned', ...provisioned } },
    });
  }
  return out.sort((x, y) => y.monthlySavingsUsd - x.monthlySavingsUsd);
}

function pct(rate: number): string {
  return `${round(rate * 100, 2)}%`;
}
