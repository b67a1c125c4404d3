/**
 * Runs every consumer of a materialized stack: for each event source mapping, the
 * function it invokes (its cdk.out asset in child processes, with the environment the
 * template gives it plus what the Lambda service would set) and a poller with the
 * mapping's settings.
 *
 * The environment is the template's (names resolved to the emulator's) plus the
 * variables Lambda itself sets (AWS_LAMBDA_FUNCTION_NAME, AWS_REGION, ...), the
 * emulator as AWS_ENDPOINT_URL and dummy credentials. Tracing is off: there is no X-Ray
 * daemon locally, so POWERTOOLS_TRACE_ENABLED=false.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { ConsumerEnv } from '../contracts/consumer-environment';
import { ChaosEnv } from '../lambdas/downstream/chaos';
import { KitMetric } from '../lambdas/kit/telemetry';
import { emulatorEndpointEnvironment } from './emulator';
import { EventSourcePoller } from './event-source-poller';
import { buildEnvironmentRuntime, LocalFunction, type FunctionStartError, type InvocationProblem } from './function-runtime';
import type { LocalFunctionSpec, MaterializedStack } from './materialize';
import { ConsumerTelemetry, readDeadLetters, readEffects } from './observe';
import type { ConsumerObservations, ConsumerTarget } from './report';

/** Transient downstream failures for one consumer, for a while. */
export interface ChaosPlan {
  readonly consumer: string;
  /** 0 to 1: the share of downstream writes that fail before writing. */
  readonly rate: number;
  /**
   * 0 to 1: the share of committed downstream writes whose call fails afterwards, the
   * fault that would apply an event twice if the downstream write were not once-only.
   * @default 0
   */
  readonly afterWriteRate?: number;
  /** Failures stop at this time. */
  readonly until: Date;
}

/** One running consumer. */
export interface RunningConsumer {
  readonly name: string;
  readonly function: LocalFunction;
  readonly poller: EventSourcePoller;
  readonly telemetry: ConsumerTelemetry;
  readonly target: ConsumerTarget;
  readonly queueUrl: string;
  readonly deadLetterQueueUrl?: string;
  readonly downstreamTableName?: string;
  readonly logFile: string;
}

/** Options of {@link startConsumers}. */
export interface ConsumerFleetOptions {
  readonly stack: MaterializedStack;
  readonly endpoint: string;
  /** Where DynamoDB is served, when not at `endpoint`. @default endpoint */
  readonly dynamodbEndpoint?: string;
  readonly sqs: SQSClient;
  /** Where the consumers' logs go (one file each, truncated at start). */
  readonly logDir: string;
  /** Where the environment runtime is built. */
  readonly runtimeDir: string;
  readonly chaos?: ChaosPlan;
  /**
   * Variables set on top of the template's, per consumer name: chaos tests use them to
   * scale a retry budget down in time or to route one service through a fault proxy
   * (`AWS_ENDPOINT_URL_DYNAMODB`). The stack never sees them.
   */
  readonly environmentOverrides?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** A consumer could not start (crashes at import again and again). */
  readonly onFatal?: (error: FunctionStartError) => void;
  /** An invocation timed out or crashed, or an environment failed to initialize (each is also in the consumer's log). */
  readonly onInvocationProblem?: (problem: InvocationProblem) => void;
  readonly onPollError?: (consumer: string, error: Error) => void;
}

/** The variables the Lambda service sets in every execution environment, for a local one. */
export function lambdaServiceEnvironment(spec: LocalFunctionSpec, stack: MaterializedStack, endpoint: string, dynamodbEndpoint = endpoint): Record<string, string> {
  const date = new Date().toISOString().slice(0, 10).replaceAll('-', '/');
  return {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    LANG: 'en_US.UTF-8',
    TZ: 'UTC',
    AWS_REGION: stack.region,
    AWS_DEFAULT_REGION: stack.region,
    ...emulatorEndpointEnvironment({ endpoint, dynamodbEndpoint }),
    // The emulator accepts any credentials; the SDK only needs some to sign with.
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_SESSION_TOKEN: 'local',
    AWS_EXECUTION_ENV: `AWS_Lambda_${spec.runtime}`,
    AWS_LAMBDA_FUNCTION_NAME: spec.functionName,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(spec.memoryMiB),
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_LAMBDA_LOG_GROUP_NAME: spec.logGroupName ?? `/aws/lambda/${spec.functionName}`,
    AWS_LAMBDA_LOG_STREAM_NAME: `${date}/[$LATEST]${randomBytes(16).toString('hex')}`,
    LAMBDA_TASK_ROOT: join(spec.assetFile, '..'),
    _HANDLER: spec.handler,
    // No X-Ray daemon locally: Powertools' Tracer is switched off rather than left to fail.
    POWERTOOLS_TRACE_ENABLED: 'false',
    AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR',
    // Lambda runs the function on Node 24; run here on a Node older than 22, the SDK would warn
    // about its own future support in every consumer's log.
    ...(Number(process.versions.node.split('.')[0]) < 22 && { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' }),
  };
}

/**
 * Starts every consumer: warms one execution environment each (so a consumer that
 * cannot even load fails the run before anything is published), then its poller.
 * @throws FunctionStartError when a consumer's code fails to initialize repeatedly
 */
export async function startConsumers(options: ConsumerFleetOptions): Promise<RunningConsumer[]> {
  const { stack, endpoint, dynamodbEndpoint = endpoint } = options;
  const runtime = buildEnvironmentRuntime(options.runtimeDir);
  mkdirSync(options.logDir, { recursive: true });
  const consumers: RunningConsumer[] = [];
  for (const mapping of stack.eventSourceMappings) {
    if (!mapping.enabled) continue;
    const spec = stack.functions.find((f) => f.logicalId === mapping.functionLogicalId)!;
    const name = spec.environment[ConsumerEnv.ConsumerName] ?? spec.functionName;
    const subscription = stack.subscriptions.find((s) => s.protocol === 'sqs' && s.endpoint === mapping.queueArn);
    const chaos: Record<string, string> =
      options.chaos && options.chaos.consumer === name && options.chaos.rate > 0
        ? {
            [ChaosEnv.TransientFailureRate]: String(options.chaos.rate),
            ...(options.chaos.afterWriteRate && { [ChaosEnv.FailAfterWriteRate]: String(options.chaos.afterWriteRate) }),
            [ChaosEnv.TransientFailureUntil]: options.chaos.until.toISOString(),
          }
        : {};
    const logFile = join(options.logDir, `${name}.log`);
    writeFileSync(logFile, '');
    const telemetry = new ConsumerTelemetry();
    const fn = new LocalFunction(
      {
        name,
        functionName: spec.functionName,
        assetFile: spec.assetFile,
        handlerExport: spec.handlerExport,
        environment: { ...lambdaServiceEnvironment(spec, stack, endpoint, dynamodbEndpoint), ...spec.environment, ...chaos, ...options.environmentOverrides?.[name] },
        timeoutMs: spec.timeoutSeconds * 1000,
        memoryMiB: spec.memoryMiB,
        region: stack.region,
        accountId: stack.accountId,
        logFile,
        onLogLine: (line) => telemetry.read(line),
        ...(options.onFatal && { onFatal: options.onFatal }),
        ...(options.onInvocationProblem && { onInvocationProblem: options.onInvocationProblem }),
      },
      runtime,
    );
    const poller = new EventSourcePoller(
      {
        queueUrl: mapping.queueUrl,
        queueArn: mapping.queueArn,
        region: stack.region,
        batchSize: mapping.batchSize,
        maximumBatchingWindowSeconds: mapping.maximumBatchingWindowSeconds,
        maximumConcurrency: mapping.localConcurrency,
        reportBatchItemFailures: mapping.reportBatchItemFailures,
        fifo: mapping.fifo,
      },
      options.sqs,
      fn,
      options.onPollError ? { onError: (error: Error) => options.onPollError!(name, error) } : {},
    );
    consumers.push({
      name,
      function: fn,
      poller,
      telemetry,
      target: {
        name,
        topicArn: subscription?.topicArn ?? '',
        ...(subscription?.filterPolicy && { filterPolicy: subscription.filterPolicy }),
        filterPolicyScope: subscription?.filterPolicyScope ?? 'MessageAttributes',
      },
      queueUrl: mapping.queueUrl,
      ...(spec.environment[ConsumerEnv.DeadLetterQueueUrl] && { deadLetterQueueUrl: spec.environment[ConsumerEnv.DeadLetterQueueUrl] }),
      ...(spec.environment[ConsumerEnv.DownstreamTableName] && { downstreamTableName: spec.environment[ConsumerEnv.DownstreamTableName] }),
      logFile,
    });
  }
  try {
    await Promise.all(consumers.map((consumer) => consumer.function.warmUp()));
  } catch (error) {
    await stopConsumers(consumers);
    throw error;
  }
  for (const consumer of consumers) consumer.poller.start();
  return consumers;
}

/** Stops polling, lets batches in flight finish (bounded by their timeout), then stops every environment. */
export async function stopConsumers(consumers: readonly RunningConsumer[], options: { graceMs?: number } = {}): Promise<void> {
  const graceMs = options.graceMs ?? 5000;
  const pollersStopped = Promise.all(consumers.map((c) => c.poller.stop()));
  // Batches still running after the grace period are cut short: their messages come back
  // after the visibility timeout, as with a Lambda that is stopped mid-batch.
  // The timer is cleared either way: left pending, it alone would keep the process alive.
  let graceTimer: NodeJS.Timeout | undefined;
  await Promise.race([pollersStopped, new Promise((resolve) => (graceTimer = setTimeout(resolve, graceMs)))]);
  clearTimeout(graceTimer);
  await Promise.all(consumers.map((c) => c.function.stop()));
  await pollersStopped;
}

/**
 * What each consumer did with the events `ids`: their effect-log items, their DLQ
 * messages (others' are left out), and what only the consumer itself can tell (stale
 * skips, duplicates absorbed, redeliveries, invocation counts). All consumers at once:
 * reading a DLQ ends with one empty long poll (a second) each.
 */
export async function observeConsumers(
  consumers: readonly RunningConsumer[],
  clients: { readonly dynamodb: DynamoDBClient; readonly sqs: SQSClient },
  ids: ReadonlySet<string>,
): Promise<Map<string, ConsumerObservations>> {
  const observed = await Promise.all(
    consumers.map(async (consumer): Promise<[string, ConsumerObservations]> => {
      const [effects, { letters, unread }] = await Promise.all([
        consumer.downstreamTableName ? readEffects(clients.dynamodb, consumer.downstreamTableName, ids) : new Map(),
        consumer.deadLetterQueueUrl ? readDeadLetters(clients.sqs, consumer.deadLetterQueueUrl) : { letters: new Map(), unread: 0 },
      ]);
      for (const id of [...letters.keys()]) if (!ids.has(id)) letters.delete(id);
      return [
        consumer.name,
        {
          effects,
          deadLetters: letters,
          unreadDeadLetters: unread,
          staleIds: consumer.telemetry.staleIds,
          duplicatesSuppressed: consumer.telemetry.metric(KitMetric.Duplicate),
          retried: consumer.poller.stats.redelivered,
          invocations: consumer.function.stats,
        },
      ];
    }),
  );
  return new Map(observed);
}
