/**
 * The one price table the cost model uses: AWS list prices for us-east-1, on-demand,
 * without free tiers, savings plans or negotiated discounts.
 *
 * Prices change: when they do, change this table and {@link PRICES_AS_OF} together,
 * and re-check the hand-computed cases in test/unit/cost-model.test.ts (they read
 * these numbers, so a change shows up as a moved total, not a silent drift).
 */

/** When the prices below were read from the AWS pricing pages (us-east-1 list prices). */
export const PRICES_AS_OF = '2025-06-01';

/** The region the prices are for. */
export const PRICES_REGION = 'us-east-1';

/** US dollars per unit, per service. Units are in each key's name. */
export const PRICES = {
  sns: {
    /**
     * Standard topic: per million publish API requests. Each 64 KB chunk of a request's
     * payload is billed as one request; a PublishBatch of up to 10 messages is one request
     * (per 64 KB of the whole batch), which is how batching cuts the publish bill up to 10x.
     */
    standardPublishPerMillion: 0.5,
    /** Standard topic → SQS deliveries are free. */
    standardSqsDeliveryPerMillion: 0,
    /** FIFO topic: per million publish API requests (PublishBatch: one per 64 KB chunk of the batch). */
    fifoPublishPerMillion: 0.3,
    /** FIFO topic: per GB of payload published. */
    fifoPublishPayloadPerGb: 0.017,
    /** FIFO topic: per million messages delivered to subscriptions. */
    fifoDeliveryPerMillion: 0.01,
    /** FIFO topic: per GB of payload delivered to subscriptions. */
    fifoDeliveryPayloadPerGb: 0.001,
    /**
     * Payload-based message filtering: per GB of payload a MessageBody-scoped filter
     * policy scans (each published message, once per such subscription of its topic).
     * Attribute-based filtering is free.
     */
    payloadFilteringPerGb: 0.09,
  },
  sqs: {
    /** Standard queue: per million requests (each 64 KB chunk of a request's payload is one request). */
    standardRequestsPerMillion: 0.4,
    /** FIFO queue: per million requests. */
    fifoRequestsPerMillion: 0.5,
  },
  lambda: {
    /** Per million invocations. */
    requestsPerMillion: 0.2,
    /** arm64 (Graviton) duration, per GB-second (first pricing tier). */
    arm64PerGbSecond: 0.0000133334,
  },
  dynamodb: {
    /** On-demand: per million write request units (1 KB each). */
    onDemandWritePerMillion: 0.625,
    /** On-demand: per million read request units (4 KB strongly consistent each). */
    onDemandReadPerMillion: 0.125,
    /** Provisioned: per write capacity unit-hour. */
    provisionedWcuHour: 0.00065,
    /** Provisioned: per read capacity unit-hour. */
    provisionedRcuHour: 0.00013,
  },
  xray: {
    /** Per million traces recorded. */
    tracesRecordedPerMillion: 5.0,
  },
  kms: {
    /** Per customer-managed key per month. */
    keyMonth: 1.0,
    /** Per 10,000 API requests (GenerateDataKey, Decrypt: what SNS and SQS call for SSE). */
    requestsPer10k: 0.03,
  },
  cloudwatch: {
    /** Per standard-resolution alarm metric per month. */
    alarmMetricMonth: 0.1,
    /** Per dashboard per month (beyond the free three; counted here because the account may already use them). */
    dashboardMonth: 3.0,
    /** Per custom metric per month (first tier): each EMF metric name x dimension set. */
    customMetricMonth: 0.3,
    /** Per GB of log data ingested (standard class). */
    logsIngestPerGb: 0.5,
  },
  glue: {
    /** The Glue Schema Registry has no charge. */
    schemaRegistry: 0,
  },
} as const;

/** The shape of {@link PRICES}, so tests and what-if estimates can pass another table. */
export type PriceTable = {
  readonly [S in keyof typeof PRICES]: { readonly [K in keyof (typeof PRICES)[S]]: number };
};
