/**
 * The environment a consumer Lambda receives: the one agreement between the
 * infrastructure (lib/, which sets these) and the runtime kit (lambdas/, which reads
 * them). The local runner sets the same names, resolved to the emulator's resources.
 */
export const ConsumerEnv = {
  /** The consumer's name in the pipeline definition, e.g. `crm-sync`. */
  ConsumerName: 'FANOUT_CONSUMER_NAME',
  /** URL of the consumer's own queue (for ChangeMessageVisibility backoff). */
  QueueUrl: 'FANOUT_QUEUE_URL',
  /** URL of the consumer's dead-letter queue (permanent failures go straight there). */
  DeadLetterQueueUrl: 'FANOUT_DLQ_URL',
  /** Name of the DynamoDB idempotency table. */
  IdempotencyTableName: 'FANOUT_IDEMPOTENCY_TABLE_NAME',
  /** How long an idempotency record lives, in seconds (longer than the longest redelivery path). */
  IdempotencyExpirySeconds: 'FANOUT_IDEMPOTENCY_EXPIRY_SECONDS',
  /** Name of the Glue schema registry holding the contracts. */
  SchemaRegistryName: 'FANOUT_SCHEMA_REGISTRY_NAME',
  /** `dynamodb` or `http`. */
  DownstreamKind: 'FANOUT_DOWNSTREAM_KIND',
  /** With the DynamoDB downstream: the table effects are written to. */
  DownstreamTableName: 'FANOUT_DOWNSTREAM_TABLE_NAME',
  /** With the DynamoDB downstream: days its state and effect-log items live after their last write (a TTL). */
  DownstreamRetentionDays: 'FANOUT_DOWNSTREAM_RETENTION_DAYS',
  /** With the HTTP downstream: the base URL of the real API. */
  DownstreamUrl: 'FANOUT_DOWNSTREAM_URL',
  /** With the HTTP downstream: per-request timeout in milliseconds. */
  DownstreamTimeoutMs: 'FANOUT_DOWNSTREAM_TIMEOUT_MS',
  /** `true` when the queue is FIFO (ordering per message group matters). */
  Fifo: 'FANOUT_FIFO',
  /**
   * Backoff ceiling of the first retry after a transient failure, seconds (an integer >= 1);
   * it doubles per receive up to RetryMaxDelaySeconds. The kit uses 10 when unset.
   */
  RetryBaseDelaySeconds: 'FANOUT_RETRY_BASE_DELAY_SECONDS',
  /**
   * Largest backoff before a retry, seconds (an integer >= the base; the kit keeps every
   * delay under SQS's 12 h visibility limit). The kit uses 300 when unset.
   */
  RetryMaxDelaySeconds: 'FANOUT_RETRY_MAX_DELAY_SECONDS',
  /**
   * How long a record may keep failing transiently, seconds from its first receive
   * (an integer >= 1): once it is spent, the kit sends the record to the DLQ with its
   * failure context. The kit uses 3600 when unset.
   */
  RetryBudgetSeconds: 'FANOUT_RETRY_BUDGET_SECONDS',
  /**
   * The queue's maxReceiveCount (an integer from 1 to 1000): on this receive the kit
   * dead-letters a failing record itself, with its failure context, before SQS would move
   * it without one. When unset the kit derives it from the budget and the backoff, as
   * the pipeline definition does for a standard queue.
   */
  MaxReceiveCount: 'FANOUT_MAX_RECEIVE_COUNT',
} as const;

/** One of the environment variable names above. */
export type ConsumerEnvName = (typeof ConsumerEnv)[keyof typeof ConsumerEnv];
