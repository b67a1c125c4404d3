/**
 * The composition root of a consumer Lambda: everything heavy is created here, once per
 * container, at module scope of the handler (clients, the idempotency persistence layer,
 * the Glue contract resolver with its cache, Powertools' Logger, Metrics and Tracer).
 * Nothing in here runs per record.
 *
 * A handler file is then three lines:
 * ```ts
 * const runtime = createConsumerRuntime();
 * const contacts = createContactsPort(process.env, runtime.clients);
 * export const handler = runtime.handler(crmSyncHandlers(contacts));
 * ```
 */
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GlueClient } from '@aws-sdk/client-glue';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { ContractResolver } from '../../contracts/contract-resolver';
import { GlueContractResolver } from '../../contracts/glue-registry';
import { CONSUMER_SDK_TIMEOUTS, withSdkTimeouts } from '../../contracts/sdk-client-config';
import { DEFAULT_METRICS_NAMESPACE } from '../../contracts/consumer-defaults';
import type { BackoffOptions } from './backoff';
import { createBatchHandler, type SqsBatchHandler } from './batch-handler';
import type { ConsumerHandlers } from './consumer';
import { readConsumerSettings, type ConsumerSettings } from './environment';
import { createIdempotencyGate } from './idempotency';
import { RecordProcessor } from './record-processor';
import { delayRetries, sendToDeadLetterQueue } from './sqs-actions';
import { powertoolsKitLogger, powertoolsMetricSink, powertoolsRecordTracer } from './telemetry';

/** The AWS clients a consumer's downstream adapters may share (already traced). */
export interface ConsumerClients {
  readonly dynamodb: DynamoDBClient;
}

/** What {@link createConsumerRuntime} builds once per container. */
export interface ConsumerRuntime {
  readonly settings: ConsumerSettings;
  readonly clients: ConsumerClients;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly tracer: Tracer;
  /** The Lambda handler running `handlers` through the kit. */
  handler<TEvents>(handlers: ConsumerHandlers<TEvents>): SqsBatchHandler;
}

/** Overrides for tests and tools; Lambda uses the defaults. */
export interface ConsumerRuntimeOptions {
  /** @default a GlueContractResolver on FANOUT_SCHEMA_REGISTRY_NAME */
  readonly resolver?: ContractResolver;
  /**
   * Overrides field by field the backoff the environment sets (e.g. a fixed `random` in tests).
   * @default FANOUT_RETRY_BASE_DELAY_SECONDS / FANOUT_RETRY_MAX_DELAY_SECONDS, full jitter from Math.random
   */
  readonly backoff?: BackoffOptions;
  /**
   * Passed to every AWS client (endpoint, region, credentials), for tests and tools.
   * @default from the environment (AWS_REGION, AWS_ENDPOINT_URL, and credentials: in a
   * consumer bundle from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN only, see
   * environment-credentials.ts; imported directly, as tests and tools do, the SDK's full chain)
   */
  readonly clientConfig?: AwsClientConfig;
}

/** The client settings {@link ConsumerRuntimeOptions.clientConfig} may override. */
export interface AwsClientConfig {
  readonly endpoint?: string;
  readonly region?: string;
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  readonly maxAttempts?: number;
}

/**
 * Builds a consumer's runtime from its environment.
 * @throws ConsumerConfigurationError when a variable is missing or invalid (the container fails to start, loudly)
 */
export function createConsumerRuntime(env: Readonly<Record<string, string | undefined>> = process.env, options: ConsumerRuntimeOptions = {}): ConsumerRuntime {
  const settings = readConsumerSettings(env);
  const serviceName = settings.consumer;
  const logger = new Logger({ serviceName });
  const tracer = new Tracer({ serviceName });
  const metrics = new Metrics({ serviceName, namespace: env.POWERTOOLS_METRICS_NAMESPACE ?? DEFAULT_METRICS_NAMESPACE });
  // Region, credentials and endpoint (AWS_ENDPOINT_URL locally) come from the environment.
  // Bounded calls: a stalled dependency becomes a retry inside the function timeout, not a timed-out invocation.
  const clientConfig = withSdkTimeouts({ ...options.clientConfig }, CONSUMER_SDK_TIMEOUTS);
  const sqs = tracer.captureAWSv3Client(new SQSClient(clientConfig));
  const dynamodb = tracer.captureAWSv3Client(new DynamoDBClient(clientConfig));
  const resolver =
    options.resolver ??
    new GlueContractResolver({ glue: tracer.captureAWSv3Client(new GlueClient(clientConfig)), registryName: settings.schemaRegistryName });
  const gate = createIdempotencyGate({
    persistenceStore: new DynamoDBPersistenceLayer({ tableName: settings.idempotencyTableName, awsSdkV3Client: dynamodb }),
    consumer: settings.consumer,
    expiresAfterSeconds: settings.idempotencyExpirySeconds,
  });
  const kitLogger = powertoolsKitLogger(logger);
  const metricSink = powertoolsMetricSink(metrics);
  const deadLetterTarget = { queueUrl: settings.deadLetterQueueUrl, fifo: settings.fifo || settings.deadLetterQueueUrl.endsWith('.fifo') };
  const backoff: BackoffOptions = { baseSeconds: settings.retryBaseDelaySeconds, capSeconds: settings.retryMaxDelaySeconds, ...options.backoff };

  return {
    settings,
    clients: { dynamodb },
    logger,
    metrics,
    tracer,
    handler<TEvents>(handlers: ConsumerHandlers<TEvents>) {
      const processor = new RecordProcessor<TEvents>({
        consumer: settings.consumer,
        handlers,
        resolver,
        gate,
        deadLetter: (record, failure) => sendToDeadLetterQueue(sqs, deadLetterTarget, record, failure),
        logger: kitLogger,
        metrics: metricSink,
        tracer: powertoolsRecordTracer(tracer),
        backoff,
        retryBudget: { budgetSeconds: settings.retryBudgetSeconds, maxReceiveCount: settings.maxReceiveCount },
      });
      return createBatchHandler({
        processor: processor as RecordProcessor<unknown>,
        fifo: settings.fifo,
        gate,
        delayRetries: (delays) => delayRetries(sqs, settings.queueUrl, delays),
        logger,
        metrics: metricSink,
        backoff,
      });
    },
  };
}
