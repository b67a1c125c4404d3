/**
 * A consumer: one SQS queue subscribed to one topic, drained by one Lambda function.
 */
import { join } from 'node:path';
import { Duration, Stack, Tags, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { metricsNamespace as pipelineMetricsNamespace } from '../../contracts/consumer-defaults';
import { ConsumerEnv } from '../../contracts/consumer-environment';
import { CONSUMER_BUNDLING } from '../consumer-bundling';
import { PIPELINE_DEFAULTS, type FilterDefinition, type Owner, type ResolvedConsumer } from '../../model/pipeline-definition';
import { consumerQueueNames, MAX_QUEUE_NAME_LENGTH } from '../../model/resource-names';
import type { ContractRegistry } from './contract-registry';
import type { DownstreamTable } from './downstream-table';
import type { EventTopic } from './event-topic';
import type { IdempotencyTable } from './idempotency-table';
import { InfrastructureError } from './infrastructure-error';

/** Where a consumer applies its effects. */
export type ConsumerDownstream =
  | {
      /** A DynamoDB table the stack creates for this consumer. */
      readonly kind: 'dynamodb';
      readonly table: DownstreamTable;
      /** Days state and effect-log items live after their last write (the table's TTL). @default no expiry */
      readonly retentionDays?: number;
    }
  | {
      /** A real HTTP API. */
      readonly kind: 'http';
      readonly url: string;
      /** Per-request timeout. */
      readonly timeout: Duration;
    };

/**
 * A consumer's tunable settings exactly as resolvePipeline (model/pipeline-definition.ts)
 * resolved them. The defaults (the derived ones too: the visibility timeout, FIFO's
 * maxReceiveCount) are applied, and the combinations checked, there and only there; the
 * construct uses these values as they are. On a FIFO queue the batching window is 0 and
 * is not set (Lambda accepts none on FIFO event sources).
 */
export type ConsumerSettings = Pick<
  ResolvedConsumer,
  | 'batchSize'
  | 'batchingWindowSeconds'
  | 'maxConcurrency'
  | 'retryBudgetSeconds'
  | 'maxReceiveCount'
  | 'timeoutSeconds'
  | 'memoryMiB'
  | 'visibilityTimeoutSeconds'
  | 'retryBaseDelaySeconds'
  | 'retryMaxDelaySeconds'
>;

/** Properties of a {@link Consumer}. */
export interface ConsumerProps {
  /** The consumer's name, e.g. `crm-sync`: the Powertools service name and part of the queue names. */
  readonly consumerName: string;
  /** The pipeline's name, e.g. `fanout-sample`: prefixes the queue names and the metrics namespace. */
  readonly pipelineName: string;
  /** The topic it subscribes to. A FIFO topic makes every queue of the consumer FIFO. */
  readonly topic: EventTopic;
  /** The event types it handles: its function may read these contracts and no others. */
  readonly eventTypes: readonly string[];
  /** The subscription's filter policy and where SNS applies it. */
  readonly filter: FilterDefinition;
  /** Absolute path of the handler file. */
  readonly entry: string;
  /** Absolute path of the project root (holds package-lock.json and node_modules). */
  readonly projectRoot: string;
  /** The registry holding the contracts. */
  readonly contracts: ContractRegistry;
  /** The shared idempotency table. */
  readonly idempotencyTable: IdempotencyTable;
  /** Where effects go. */
  readonly downstream: ConsumerDownstream;
  /** Batch size, window, concurrency, retry budget, receives, timeout, memory, visibility timeout and retry backoff, as resolved. */
  readonly settings: ConsumerSettings;
  /** Reserve the mapping's maximum concurrency for the function (see PipelineDefinition.reserveConcurrency). @default true */
  readonly reserveConcurrency?: boolean;
  /** Who answers for the consumer: every resource of it is tagged `fanout:owner-team` and `fanout:owner-contact`. @default no owner tags */
  readonly owner?: Owner;
  /** What it does, in a sentence (the function's description). @default none */
  readonly description?: string;
  /** How long the function's logs are kept. @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /**
   * How long an idempotency record lives. Longer than the DLQ retention, the longest way
   * a message can come back (a redrive from the DLQ), so a redriven event that was in
   * fact applied is still recognised.
   * @default 22 days: queue retention (7) + DLQ retention (14) + 1
   */
  readonly idempotencyExpiry?: Duration;
  /** The EMF metrics namespace. @default `Fanout/<pipelineName>` */
  readonly metricsNamespace?: string;
}

/** How long a dead-letter queue keeps messages: the SQS maximum, so nothing ages out before an operator looks. */
export const DLQ_RETENTION = Duration.days(PIPELINE_DEFAULTS.dlqRetentionDays);

/**
 * How long the consumer's queue keeps messages: 7 days instead of SQS's 4-day default,
 * so a consumer paused for a week loses nothing, and shorter than the DLQ's 14 so every
 * dead letter (which keeps its original enqueue time) still has at least 7 days there.
 */
export const QUEUE_RETENTION = Duration.days(PIPELINE_DEFAULTS.queueRetentionDays);

/**
 * The default idempotency record lifetime: longer than the longest path an event can
 * take back to the consumer. A redriven message is a new message, so after its first
 * application it can wait out a whole queue retention and a whole DLQ retention before
 * it arrives again; one day more covers the clock.
 */
export const DEFAULT_IDEMPOTENCY_EXPIRY = Duration.days(PIPELINE_DEFAULTS.queueRetentionDays + PIPELINE_DEFAULTS.dlqRetentionDays + 1);

/**
 * The largest SQS message, bytes (1 MiB, allowed since 2025), set on every queue of a
 * consumer. The DLQs must hold what the queue holds plus the failure context the kit
 * adds (about 1.3 KB of attributes), which a near-256 KiB event would not fit at the old
 * default. The queue gets it too: SNS delivers at most 256 KiB, but a message redriven
 * from the DLQ comes back with its context attributes on top.
 */
export const MAX_MESSAGE_SIZE_BYTES = 1_048_576;

// The bundling is defined once, in lib/consumer-bundling.ts (the bench and the bundling
// tests build with the same object); re-exported here, where the function is made.
export { CONSUMER_BUNDLING, ESM_REQUIRE_SHIM } from '../consumer-bundling';

/**
 * What `fanout dlq` and `fanout redrive` do on a consumer's DLQs: peek (receive, then
 * ChangeMessageVisibilityBatch to 0 so the peeked messages are visible again at once),
 * delete what was moved, read the depth, and run or follow SQS message move tasks.
 */
export const DLQ_OPERATOR_ACTIONS = [
  'sqs:ReceiveMessage',
  'sqs:ChangeMessageVisibility',
  'sqs:DeleteMessage',
  'sqs:GetQueueAttributes',
  'sqs:StartMessageMoveTask',
  'sqs:ListMessageMoveTasks',
  'sqs:CancelMessageMoveTask',
] as const;

/** Tag keys that name who answers for a consumer's resources. */
export const OWNER_TEAM_TAG = 'fanout:owner-team';
export const OWNER_CONTACT_TAG = 'fanout:owner-contact';

/** The SQS actions a function needs on its own queue as an event source (and for backoff). */
export const QUEUE_CONSUME_ACTIONS = ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes'] as const;

/**
 * Everything one consumer needs, wired safely:
 * - a queue and a dead-letter queue, both encrypted with the topic's key and TLS-only,
 *   the DLQs keeping messages 14 days, the queue 7, all taking messages up to 1 MiB; the
 *   queue redrives to the DLQ after `maxReceiveCount` receives (derived from the retry
 *   budget; the kit dead-letters with context on the last), the DLQ allows console
 *   redrive back to this queue only;
 * - an SNS subscription with raw message delivery, the filter policy and its scope,
 *   and a subscription DLQ (same key, so SNS can encrypt into it) for messages SNS
 *   cannot deliver to the queue;
 * - a Node.js 24 arm64 function bundled as minified ESM with the AWS SDK inside,
 *   tracing active, logs kept for a bounded time, and a role that may do exactly what
 *   the kit does and nothing more;
 * - an event source mapping reporting batch item failures, with the batch size,
 *   batching window and maximum concurrency from the definition, that concurrency
 *   reserved for the function.
 */
export class Consumer extends Construct {
  /** The consumer's name. */
  readonly consumerName: string;
  /** True when its queues are FIFO (the topic is FIFO). */
  readonly fifo: boolean;
  /** The queue SNS delivers into and the function drains. */
  readonly queue: sqs.Queue;
  /** Where the queue moves messages after maxReceiveCount receives, and where the kit sends permanent failures. */
  readonly deadLetterQueue: sqs.Queue;
  /** Where SNS parks messages it cannot deliver to the queue. */
  readonly subscriptionDeadLetterQueue: sqs.Queue;
  /** The topic subscription. */
  readonly subscription: sns.CfnSubscription;
  /** The function's execution role. */
  readonly role: iam.Role;
  /** The function's log group. */
  readonly logGroup: logs.LogGroup;
  /** The function. */
  readonly function: nodejs.NodejsFunction;
  /** The topic it subscribes to (its key encrypts every queue of this consumer). */
  readonly topic: EventTopic;
  /** The event source mapping from the queue to the function. */
  readonly eventSourceMapping: lambda.EventSourceMapping;
  /** The environment the function runs with (names from ConsumerEnv). */
  readonly environment: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: ConsumerProps) {
    super(scope, id);
    const fifo = props.topic.fifo;
    const settings = props.settings;
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;
    const idempotencyExpiry = props.idempotencyExpiry ?? DEFAULT_IDEMPOTENCY_EXPIRY;
    const metricsNamespace = props.metricsNamespace ?? pipelineMetricsNamespace(props.pipelineName);

    const names = consumerQueueNames(props.pipelineName, props.consumerName, fifo);
    for (const name of Object.values(names)) {
      if (name.length > MAX_QUEUE_NAME_LENGTH) {
        throw new InfrastructureError(`consumer ${props.consumerName}: queue name "${name}" is longer than SQS's ${MAX_QUEUE_NAME_LENGTH} characters`);
      }
    }
    this.consumerName = props.consumerName;
    this.fifo = fifo;
    if (props.owner) {
      Tags.of(this).add(OWNER_TEAM_TAG, props.owner.team);
      Tags.of(this).add(OWNER_CONTACT_TAG, props.owner.contact);
    }
    this.topic = props.topic;

    const stack = Stack.of(this);
    const topic = props.topic;
    const encryption = {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: topic.key,
      dataKeyReuse: Duration.seconds(PIPELINE_DEFAULTS.queueKmsDataKeyReuseSeconds),
      enforceSSL: true,
    } as const;
    const fifoProps = fifo ? { fifo: true } : {};
    // aws-cdk-lib validates 1,024 to 1,048,576 bytes, so the L2 prop takes 1 MiB as it is.
    const sizeProps = { maxMessageSizeBytes: MAX_MESSAGE_SIZE_BYTES } as const;

    // The DLQ names its source queue (console redrive is allowed from it alone). The ARN
    // is built from the fixed name: the queue refers to the DLQ in its redrive policy,
    // so a reference back would be circular.
    const queueArn = stack.formatArn({ service: 'sqs', resource: names.queue });
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      queueName: names.deadLetterQueue,
      ...fifoProps,
      ...encryption,
      ...sizeProps,
      retentionPeriod: DLQ_RETENTION,
      redriveAllowPolicy: {
        redrivePermission: sqs.RedrivePermission.BY_QUEUE,
        sourceQueues: [sqs.Queue.fromQueueAttributes(this, 'SourceQueueRef', { queueArn, ...fifoProps })],
      },
    });

    this.queue = new sqs.Queue(this, 'Queue', {
      queueName: names.queue,
      ...fifoProps,
      ...encryption,
      ...sizeProps,
      visibilityTimeout: Duration.seconds(settings.visibilityTimeoutSeconds),
      retentionPeriod: QUEUE_RETENTION,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: settings.maxReceiveCount },
    });

    this.subscriptionDeadLetterQueue = new sqs.Queue(this, 'SubscriptionDeadLetterQueue', {
      queueName: names.subscriptionDeadLetterQueue,
      ...fifoProps,
      ...encryption,
      ...sizeProps,
      retentionPeriod: DLQ_RETENTION,
      // SNS's DLQ only: no queue may make it its own DLQ (`fanout redrive --subscription`
      // moves its messages by receive and send, which this does not restrict).
      redriveAllowPolicy: { redrivePermission: sqs.RedrivePermission.DENY_ALL },
    });
    Validations.of(this.subscriptionDeadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself a dead-letter queue (of the SNS subscription, not of another queue, so cdk-nag cannot see it); a DLQ of a DLQ would only move the problem. Its depth has an alarm.',
    });

    // SNS may deliver into the queue and park undeliverable messages in the subscription
    // DLQ, for this topic only (the confused-deputy guard AWS advises).
    for (const target of [this.queue, this.subscriptionDeadLetterQueue]) {
      target.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'AllowTopicToSend',
          principals: [new iam.ServicePrincipal('sns.amazonaws.com')],
          actions: ['sqs:SendMessage'],
          resources: [target.queueArn],
          conditions: { ArnEquals: { 'aws:SourceArn': topic.topicArn } },
        }),
      );
    }

    this.subscription = new sns.CfnSubscription(this, 'Subscription', {
      topicArn: topic.topicArn,
      protocol: sns.SubscriptionProtocol.SQS,
      endpoint: this.queue.queueArn,
      // The queue gets the CloudEvents envelope itself, with the message attributes as
      // SQS attributes, not wrapped in an SNS notification.
      rawMessageDelivery: true,
      filterPolicy: props.filter.policy,
      filterPolicyScope: props.filter.scope,
      redrivePolicy: { deadLetterTargetArn: this.subscriptionDeadLetterQueue.queueArn },
    });
    // Deliveries before the queue policies exist would fail and land in the subscription DLQ.
    this.subscription.node.addDependency(this.queue, this.subscriptionDeadLetterQueue);

    this.logGroup = new logs.LogGroup(this, 'LogGroup', { retention: logRetention });

    // An own role rather than the default one, which would attach the AWS managed
    // AWSLambdaBasicExecutionRole (logs on every log group of the account).
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs consumer ${props.consumerName} of pipeline ${props.pipelineName}`,
    });
    this.logGroup.grantWrite(this.role);

    const downstreamEnvironment: Record<string, string> =
      props.downstream.kind === 'dynamodb'
        ? {
            [ConsumerEnv.DownstreamTableName]: props.downstream.table.tableName,
            ...(props.downstream.retentionDays !== undefined && { [ConsumerEnv.DownstreamRetentionDays]: String(props.downstream.retentionDays) }),
          }
        : {
            [ConsumerEnv.DownstreamUrl]: props.downstream.url,
            [ConsumerEnv.DownstreamTimeoutMs]: String(props.downstream.timeout.toMilliseconds()),
          };
    this.environment = {
      [ConsumerEnv.ConsumerName]: props.consumerName,
      [ConsumerEnv.QueueUrl]: this.queue.queueUrl,
      [ConsumerEnv.DeadLetterQueueUrl]: this.deadLetterQueue.queueUrl,
      [ConsumerEnv.IdempotencyTableName]: props.idempotencyTable.tableName,
      [ConsumerEnv.IdempotencyExpirySeconds]: String(idempotencyExpiry.toSeconds()),
      [ConsumerEnv.SchemaRegistryName]: props.contracts.registryName,
      [ConsumerEnv.DownstreamKind]: props.downstream.kind,
      ...downstreamEnvironment,
      [ConsumerEnv.Fifo]: String(fifo),
      [ConsumerEnv.RetryBaseDelaySeconds]: String(settings.retryBaseDelaySeconds),
      [ConsumerEnv.RetryMaxDelaySeconds]: String(settings.retryMaxDelaySeconds),
      [ConsumerEnv.RetryBudgetSeconds]: String(settings.retryBudgetSeconds),
      // The same count as the redrive policy: the kit dead-letters on it, with the failure context.
      [ConsumerEnv.MaxReceiveCount]: String(settings.maxReceiveCount),
      POWERTOOLS_SERVICE_NAME: props.consumerName,
      POWERTOOLS_METRICS_NAMESPACE: metricsNamespace,
    };

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      entry: props.entry,
      handler: 'handler',
      projectRoot: props.projectRoot,
      depsLockFilePath: join(props.projectRoot, 'package-lock.json'),
      // Pinned on purpose, not taken as "latest": the bundle targets node24
      // (CONSUMER_BUNDLING.target) and the kit is tested on it, so moving to another runtime
      // is a deliberate change made with a full test run. Node.js 24 because AWS deprecates
      // Node.js 22 on Lambda on 2027-04-30. It is the newest Node.js this aws-cdk-lib knows,
      // so cdk-nag's AwsSolutions-L1 (latest runtime) passes without an acknowledgment; when
      // a CDK upgrade brings a newer one, L1 fails test/infra/cdk-nag.test.ts, and that is
      // the moment to move or to acknowledge the pin here with this reason.
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      timeout: Duration.seconds(settings.timeoutSeconds),
      memorySize: settings.memoryMiB,
      // As many as the event source mapping may run, reserved: when other functions use up
      // the account's concurrency, throttled receives would count toward maxReceiveCount and
      // events would drift into the DLQ. Reserving costs nothing; it only takes these from
      // the account's unreserved pool.
      ...(props.reserveConcurrency !== false && { reservedConcurrentExecutions: settings.maxConcurrency }),
      tracing: lambda.Tracing.ACTIVE,
      role: this.role,
      logGroup: this.logGroup,
      environment: { ...this.environment },
      // Only meaningful for SDK v2; keeps the environment exactly the agreed names.
      awsSdkConnectionReuse: false,
      bundling: CONSUMER_BUNDLING,
      ...(props.description !== undefined && { description: props.description }),
    });

    // Exactly what the kit does, on this consumer's own resources.
    this.role.addToPolicy(
      new iam.PolicyStatement({ sid: 'ConsumeOwnQueue', actions: [...QUEUE_CONSUME_ACTIONS], resources: [this.queue.queueArn] }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({ sid: 'DeadLetterPermanentFailures', actions: ['sqs:SendMessage'], resources: [this.deadLetterQueue.queueArn] }),
    );
    topic.grantQueueKeyUse(this.role, [this.queue.queueArn, this.deadLetterQueue.queueArn]);
    props.idempotencyTable.grantIdempotency(this.role, props.consumerName);
    if (props.downstream.kind === 'dynamodb') props.downstream.table.grantApplyEffects(this.role);
    props.contracts.grantReadSchemas(this.role, props.eventTypes);
    // Acknowledged on the role, so it covers the role's default policy below it; only the
    // `Resource::*` finding, so any other wildcard would still fail the check.
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'Active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions, so they need Resource "*". Every other statement names its resource.',
    });

    this.eventSourceMapping = new lambda.EventSourceMapping(this, 'EventSourceMapping', {
      target: this.function,
      eventSourceArn: this.queue.queueArn,
      batchSize: settings.batchSize,
      // Lambda refuses MaximumBatchingWindowInSeconds on a FIFO source (resolved to 0 there).
      ...(!fifo && { maxBatchingWindow: Duration.seconds(settings.batchingWindowSeconds) }),
      reportBatchItemFailures: true,
      maxConcurrency: settings.maxConcurrency,
    });
  }

  /**
   * Lets `grantee` (an operator, the CLI) inspect the dead-letter queues and move their
   * messages back: {@link DLQ_OPERATOR_ACTIONS} on both DLQs, send to the queue, and the
   * key use that needs.
   */
  grantRedrive(grantee: iam.IGrantable): iam.Grant {
    const dlqArns = [this.deadLetterQueue.queueArn, this.subscriptionDeadLetterQueue.queueArn];
    return iam.Grant.addToPrincipal({
      grantee,
      actions: [...DLQ_OPERATOR_ACTIONS],
      resourceArns: dlqArns,
    })
      .combine(iam.Grant.addToPrincipal({ grantee, actions: ['sqs:SendMessage', 'sqs:GetQueueAttributes'], resourceArns: [this.queue.queueArn] }))
      .combine(this.topic.grantQueueKeyUse(grantee, [this.queue.queueArn, ...dlqArns]));
  }
}
