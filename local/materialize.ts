/**
 * Creates on the emulator what a synthesized stack template declares, so the local
 * pipeline is the deployed one: SNS topics, SQS queues with their redrive
 * (and redrive-allow) policies, subscriptions with raw delivery, filter policy and
 * scope and their own redrive policy, DynamoDB tables with TTL and PITR, the Glue
 * registry with its schemas and versions in order, and CloudWatch alarms and dashboards.
 *
 * KMS keys get a stable local id (the emulator records key ids but encrypts nothing).
 * Lambda functions and event source mappings are not created on the emulator (it cannot
 * run Lambda without Docker): they are returned, resolved, for the local runner to run.
 * IAM, resource policies, log groups and X-Ray settings have no effect on the emulator
 * and are skipped; their Ref/GetAtt resolve to placeholders so what names them still resolves.
 *
 * Resources are created one at a time in dependency order (Ref, Fn::GetAtt, Fn::Sub,
 * DependsOn), each Properties resolved by {@link IntrinsicResolver} against what was
 * already created. Running it again against the same emulator reuses what exists.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CloudWatchClient, PutDashboardCommand, PutMetricAlarmCommand, type PutMetricAlarmCommandInput } from '@aws-sdk/client-cloudwatch';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  UpdateContinuousBackupsCommand,
  UpdateTimeToLiveCommand,
  type CreateTableCommandInput,
} from '@aws-sdk/client-dynamodb';
import {
  CreateRegistryCommand,
  CreateSchemaCommand,
  GetRegistryCommand,
  GetSchemaByDefinitionCommand,
  GetSchemaCommand,
  GlueClient,
  RegisterSchemaVersionCommand,
  type Compatibility,
  type DataFormat,
} from '@aws-sdk/client-glue';
import { CreateTopicCommand, GetTopicAttributesCommand, SetTopicAttributesCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, GetQueueUrlCommand, SetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { FanoutError } from '../contracts/errors';
import { SDK_TIMEOUTS, withSdkTimeouts } from '../contracts/sdk-client-config';
import { IntrinsicResolver, pseudoParameters, referencedLogicalIds, TemplateResolutionError, type CfnResource, type CfnTemplate } from './intrinsics';

/** A resource could not be created on the emulator. */
export class MaterializeError extends FanoutError {
  readonly logicalId: string;
  constructor(logicalId: string, message: string, options?: { cause?: unknown }) {
    super(`${logicalId}: ${message}`, options);
    this.name = 'MaterializeError';
    this.logicalId = logicalId;
  }
}

/** The AWS SDK clients the materializer uses, all pointed at the emulator. */
export interface EmulatorClients {
  readonly sns: SNSClient;
  readonly sqs: SQSClient;
  readonly dynamodb: DynamoDBClient;
  readonly glue: GlueClient;
  readonly cloudwatch: CloudWatchClient;
}

/** SDK client settings for the emulator: its endpoint, a region and dummy credentials. */
export function emulatorClientSettings(endpoint: string, region: string) {
  return { endpoint, region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 3 };
}

/** Creates every client the materializer needs. Call {@link destroyClients} when done. */
export function createEmulatorClients(endpoint: string, region: string): EmulatorClients {
  // The long timeouts of the local world: the poller's long polls, a loaded single-threaded emulator.
  const settings = withSdkTimeouts(emulatorClientSettings(endpoint, region), SDK_TIMEOUTS.local);
  return {
    sns: new SNSClient(settings),
    sqs: new SQSClient(settings),
    dynamodb: new DynamoDBClient(settings),
    glue: new GlueClient(settings),
    cloudwatch: new CloudWatchClient(settings),
  };
}

/** Closes the clients' connections. */
export function destroyClients(clients: EmulatorClients): void {
  for (const client of Object.values(clients)) (client as { destroy(): void }).destroy();
}

/** What happened to one template resource. */
export type ResourceStatus =
  /** Created on the emulator by this run. */
  | 'created'
  /** Already there (an earlier run on the same emulator): reused. */
  | 'reused'
  /** Run by the local runner itself (Lambda functions, event source mappings). */
  | 'local'
  /** No effect on the emulator; not created. */
  | 'skipped';

/** One template resource, as it exists locally. */
export interface MaterializedResource {
  readonly logicalId: string;
  readonly type: string;
  /** What `Ref` returns. */
  readonly ref: string;
  /** What `Fn::GetAtt` returns, by attribute. */
  readonly attributes: Readonly<Record<string, string>>;
  readonly status: ResourceStatus;
}

/** A Lambda function of the template, resolved, for the local runner to run. */
export interface LocalFunctionSpec {
  readonly logicalId: string;
  readonly functionName: string;
  /** The bundled asset's entry file in the cloud assembly (e.g. cdk.out/asset.<hash>/index.mjs). */
  readonly assetFile: string;
  /** The export the template's Handler names (`index.handler` → `handler`). */
  readonly handlerExport: string;
  readonly handler: string;
  readonly runtime: string;
  /** Environment.Variables, every intrinsic resolved to the emulator's resources. */
  readonly environment: Readonly<Record<string, string>>;
  readonly timeoutSeconds: number;
  readonly memoryMiB: number;
  /** The log group the template gives it, if any. */
  readonly logGroupName?: string;
}

/**
 * Most batches one mapping runs at once locally. Lambda starts an SQS mapping with 5
 * pollers and scales up only under sustained load; a template without ScalingConfig
 * would otherwise mean 1000 polling loops against the single-threaded emulator.
 */
export const LOCAL_MAX_CONCURRENCY = 5;

/** An event source mapping of the template, resolved. */
export interface LocalEventSourceMappingSpec {
  readonly logicalId: string;
  readonly uuid: string;
  readonly functionLogicalId: string;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly batchSize: number;
  readonly maximumBatchingWindowSeconds: number;
  /** ScalingConfig.MaximumConcurrency (Lambda's default without one: 1000). */
  readonly maximumConcurrency: number;
  /**
   * Batches in flight at once locally: maximumConcurrency, at most
   * {@link LOCAL_MAX_CONCURRENCY}. Each is a polling loop and an execution environment
   * on this machine, and Lambda itself starts a mapping with 5 pollers.
   */
  readonly localConcurrency: number;
  readonly reportBatchItemFailures: boolean;
  readonly enabled: boolean;
  readonly fifo: boolean;
}

/** A subscription as created (for evaluating its filter policy locally). */
export interface LocalSubscriptionSpec {
  readonly logicalId: string;
  readonly subscriptionArn: string;
  readonly topicArn: string;
  readonly protocol: string;
  readonly endpoint: string;
  readonly rawMessageDelivery: boolean;
  readonly filterPolicy?: Record<string, unknown>;
  readonly filterPolicyScope: 'MessageAttributes' | 'MessageBody';
}

/** The stack, as it now exists on the emulator. */
export interface MaterializedStack {
  readonly stackName: string;
  readonly region: string;
  readonly accountId: string;
  readonly resources: ReadonlyMap<string, MaterializedResource>;
  /** The template's Outputs, resolved to the emulator's resources. */
  readonly outputs: Readonly<Record<string, string>>;
  readonly functions: readonly LocalFunctionSpec[];
  readonly eventSourceMappings: readonly LocalEventSourceMappingSpec[];
  readonly subscriptions: readonly LocalSubscriptionSpec[];
  /** Settings the emulator refused or ignores (e.g. a topic attribute it does not know), one line each. */
  readonly notes: readonly string[];
}

/** Options of {@link materializeStack}. */
export interface MaterializeOptions {
  readonly stackName: string;
  readonly template: CfnTemplate;
  /** The cloud assembly directory (assets are found there). */
  readonly assemblyDir: string;
  readonly region: string;
  readonly accountId: string;
  readonly clients: EmulatorClients;
  /** Progress, one line per resource. @default silent */
  readonly log?: (line: string) => void;
}

/** Resource types with no effect on the emulator. */
const SKIPPED_TYPES = new Set([
  'AWS::CDK::Metadata',
  'AWS::IAM::Role',
  'AWS::IAM::Policy',
  'AWS::IAM::ManagedPolicy',
  'AWS::SQS::QueuePolicy',
  'AWS::SNS::TopicPolicy',
  'AWS::KMS::Alias',
  'AWS::Logs::LogGroup',
  'AWS::XRay::ResourcePolicy',
  'AWS::Lambda::Permission',
]);

const TYPE_ORDER = [
  'AWS::KMS::Key',
  'AWS::SQS::Queue',
  'AWS::SNS::Topic',
  'AWS::SNS::Subscription',
  'AWS::DynamoDB::Table',
  'AWS::Glue::Registry',
  'AWS::Glue::Schema',
  'AWS::Glue::SchemaVersion',
];

type Props = Record<string, unknown>;

function errorName(error: unknown): string {
  return (error as { name?: string } | undefined)?.name ?? '';
}

const str = (value: unknown): string | undefined => (value === undefined || value === null ? undefined : typeof value === 'string' ? value : JSON.stringify(value));
const bool = (value: unknown): boolean => value === true || value === 'true';

/** A UUID-shaped id derived from a name: the same on every run. */
function stableUuid(name: string): string {
  return createHash('sha256').update(name).digest('hex').replace(/^(.{8})(.{4})(.{3})(.{3})(.{12}).*$/, '$1-$2-4$3-8$4-$5');
}

/** A CloudFormation-style generated name, deterministic so a second run finds the first's resources. */
function generatedName(stackName: string, logicalId: string, maxLength: number, suffix = ''): string {
  const base = `${stackName}-${logicalId}`;
  if (base.length + suffix.length <= maxLength) return `${base}${suffix}`;
  const digest = createHash('sha256').update(base).digest('hex').slice(0, 8);
  return `${base.slice(0, maxLength - suffix.length - 9)}-${digest}${suffix}`;
}

/**
 * Orders resources so each comes after what it refers to; among independent ones the
 * template's order stands, per type group, so runs are repeatable.
 * @throws TemplateResolutionError on a dependency cycle
 */
export function creationOrder(template: CfnTemplate): string[] {
  const resources = template.Resources ?? {};
  const ids = Object.keys(resources);
  const rank = (id: string) => {
    const index = TYPE_ORDER.indexOf(resources[id]!.Type);
    return index < 0 ? TYPE_ORDER.length : index;
  };
  const dependencies = new Map<string, Set<string>>();
  for (const id of ids) {
    const resource = resources[id]!;
    const deps = referencedLogicalIds(resource.Properties ?? {});
    const dependsOn = resource.DependsOn === undefined ? [] : typeof resource.DependsOn === 'string' ? [resource.DependsOn] : resource.DependsOn;
    for (const dep of dependsOn) deps.add(dep);
    for (const dep of [...deps]) if (!(dep in resources) || dep === id) deps.delete(dep);
    dependencies.set(id, deps);
  }
  const order: string[] = [];
  const done = new Set<string>();
  const remaining = [...ids].sort((a, b) => rank(a) - rank(b) || ids.indexOf(a) - ids.indexOf(b));
  while (remaining.length > 0) {
    const next = remaining.findIndex((id) => [...dependencies.get(id)!].every((dep) => done.has(dep)));
    if (next < 0) throw new TemplateResolutionError('Resources', `dependency cycle among ${remaining.join(', ')}`);
    const [id] = remaining.splice(next, 1) as [string];
    order.push(id);
    done.add(id);
  }
  return order;
}

/**
 * Creates the template's resources on the emulator and resolves its outputs.
 * @throws MaterializeError naming the resource that could not be created
 * @throws TemplateResolutionError naming the template path that could not be resolved
 */
export async function materializeStack(options: MaterializeOptions): Promise<MaterializedStack> {
  const { template, stackName, region, accountId, clients } = options;
  const log = options.log ?? (() => {});
  const resources = new Map<string, MaterializedResource>();
  const notes: string[] = [];
  const functions: LocalFunctionSpec[] = [];
  const mappings: LocalEventSourceMappingSpec[] = [];
  const subscriptions: LocalSubscriptionSpec[] = [];
  const partition = pseudoParameters(stackName, region, accountId)['AWS::Partition'] as string;

  const placeholder = (logicalId: string): MaterializedResource => {
    const type = template.Resources![logicalId]!.Type;
    const [, service = 'unknown', kind = 'resource'] = type.split('::');
    const name = generatedName(stackName, logicalId, 64);
    const arn = `arn:${partition}:${service.toLowerCase()}:${service === 'IAM' ? '' : region}:${accountId}:${kind.toLowerCase()}/${name}`;
    return { logicalId, type, ref: name, attributes: { Arn: arn }, status: 'skipped' };
  };
  const lookup = (logicalId: string, path: string): MaterializedResource => {
    const found = resources.get(logicalId);
    if (found) return found;
    const resource = template.Resources?.[logicalId];
    if (resource && SKIPPED_TYPES.has(resource.Type)) return placeholder(logicalId);
    throw new TemplateResolutionError(path, `${logicalId} is not created yet (or its type ${resource?.Type ?? 'unknown'} is not supported locally)`);
  };
  const resolver = new IntrinsicResolver(template, {
    parameters: pseudoParameters(stackName, region, accountId),
    ref: (logicalId, path) => lookup(logicalId, path).ref,
    getAtt: (logicalId, attribute, path) => {
      const value = lookup(logicalId, path).attributes[attribute];
      if (value === undefined) throw new TemplateResolutionError(path, `${logicalId} (${template.Resources![logicalId]!.Type}) has no attribute ${attribute} locally`);
      return value;
    },
  });

  const add = (resource: MaterializedResource) => {
    resources.set(resource.logicalId, resource);
    if (resource.status === 'created' || resource.status === 'reused') log(`${resource.status === 'created' ? 'created' : 'reused '} ${resource.type} ${resource.ref}`);
  };

  for (const logicalId of creationOrder(template)) {
    const resource = template.Resources![logicalId]!;
    if (resource.Condition && !resolver.condition(resource.Condition, `Resources.${logicalId}.Condition`)) continue;
    if (SKIPPED_TYPES.has(resource.Type)) {
      add(placeholder(logicalId));
      continue;
    }
    const props = (resolver.resolve(resource.Properties ?? {}, `Resources.${logicalId}.Properties`) ?? {}) as Props;
    const context = { logicalId, props, stackName, region, accountId, partition, clients, notes };
    try {
      switch (resource.Type) {
        case 'AWS::KMS::Key':
          add(localKey(context));
          break;
        case 'AWS::SNS::Topic':
          add(await createTopic(context));
          break;
        case 'AWS::SQS::Queue':
          add(await createQueue(context));
          break;
        case 'AWS::SNS::Subscription': {
          const { resource: created, spec } = await createSubscription(context);
          add(created);
          subscriptions.push(spec);
          break;
        }
        case 'AWS::DynamoDB::Table':
          add(await createTable(context));
          break;
        case 'AWS::Glue::Registry':
          add(await createRegistry(context));
          break;
        case 'AWS::Glue::Schema':
          add(await createSchema(context));
          break;
        case 'AWS::Glue::SchemaVersion':
          add(await registerSchemaVersion(context));
          break;
        case 'AWS::CloudWatch::Alarm':
          add(await putAlarm(context));
          break;
        case 'AWS::CloudWatch::Dashboard':
          add(await putDashboard(context));
          break;
        case 'AWS::Lambda::Function': {
          const spec = localFunction(context, resource, options.assemblyDir);
          functions.push(spec);
          add({
            logicalId,
            type: resource.Type,
            ref: spec.functionName,
            attributes: { Arn: `arn:${partition}:lambda:${region}:${accountId}:function:${spec.functionName}` },
            status: 'local',
          });
          break;
        }
        case 'AWS::Lambda::EventSourceMapping': {
          const spec = await localMapping(context, resources, template);
          mappings.push(spec);
          add({ logicalId, type: resource.Type, ref: spec.uuid, attributes: { Id: spec.uuid }, status: 'local' });
          break;
        }
        default:
          notes.push(`${logicalId}: ${resource.Type} is not emulated locally; skipped`);
          add(placeholder(logicalId));
      }
    } catch (error) {
      if (error instanceof FanoutError) throw error;
      throw new MaterializeError(logicalId, `could not create ${resource.Type}: ${(error as Error).message}`, { cause: error });
    }
  }

  const outputs: Record<string, string> = {};
  for (const [key, output] of Object.entries(template.Outputs ?? {})) {
    if (output.Condition && !resolver.condition(output.Condition, `Outputs.${key}.Condition`)) continue;
    outputs[key] = String(resolver.resolve(output.Value, `Outputs.${key}.Value`));
  }
  return { stackName, region, accountId, resources, outputs, functions, eventSourceMappings: mappings, subscriptions, notes };
}

interface Context {
  readonly logicalId: string;
  readonly props: Props;
  readonly stackName: string;
  readonly region: string;
  readonly accountId: string;
  readonly partition: string;
  readonly clients: EmulatorClients;
  readonly notes: string[];
}

/**
 * KMS keys are not created: the emulator stores a topic's or queue's KmsMasterKeyId
 * without checking or using it (nothing is encrypted locally), so a key only needs a
 * stable id and ARN for what refers to it.
 */
function localKey({ logicalId, stackName, region, accountId, partition }: Context): MaterializedResource {
  const keyId = stableUuid(`${stackName}/${logicalId}`);
  return { logicalId, type: 'AWS::KMS::Key', ref: keyId, attributes: { Arn: `arn:${partition}:kms:${region}:${accountId}:key/${keyId}`, KeyId: keyId }, status: 'local' };
}

async function createTopic({ logicalId, props, stackName, clients, notes }: Context): Promise<MaterializedResource> {
  const fifo = bool(props.FifoTopic);
  const name = str(props.TopicName) ?? generatedName(stackName, logicalId, 256, fifo ? '.fifo' : '');
  const attributes: Record<string, string> = {};
  if (fifo) attributes.FifoTopic = 'true';
  if (props.ContentBasedDeduplication !== undefined) attributes.ContentBasedDeduplication = String(bool(props.ContentBasedDeduplication));
  if (props.KmsMasterKeyId !== undefined) attributes.KmsMasterKeyId = str(props.KmsMasterKeyId)!;
  if (props.DisplayName !== undefined) attributes.DisplayName = str(props.DisplayName)!;
  if (props.SignatureVersion !== undefined) attributes.SignatureVersion = str(props.SignatureVersion)!;
  const { TopicArn } = await clients.sns.send(new CreateTopicCommand({ Name: name, Attributes: attributes }));
  // Attributes moto may not know, set one by one so a refusal is a note, not a failure.
  const optional: Record<string, string | undefined> = {
    TracingConfig: str(props.TracingConfig),
    ArchivePolicy: props.ArchivePolicy === undefined ? undefined : JSON.stringify(props.ArchivePolicy),
  };
  for (const [attribute, value] of Object.entries(optional)) {
    if (value === undefined) continue;
    try {
      await clients.sns.send(new SetTopicAttributesCommand({ TopicArn, AttributeName: attribute, AttributeValue: value }));
    } catch (error) {
      notes.push(`${logicalId}: the emulator does not support topic attribute ${attribute}=${value} (${(error as Error).message}); created without it`);
    }
  }
  const { Attributes: stored } = await clients.sns.send(new GetTopicAttributesCommand({ TopicArn }));
  for (const attribute of [...Object.keys(attributes), ...Object.keys(optional).filter((a) => optional[a] !== undefined)]) {
    if (stored?.[attribute] === undefined) notes.push(`${logicalId}: the emulator ignores topic attribute ${attribute} (set in the template, not emulated)`);
  }
  return { logicalId, type: 'AWS::SNS::Topic', ref: TopicArn!, attributes: { TopicArn: TopicArn!, TopicName: name }, status: 'created' };
}

const QUEUE_ATTRIBUTES = [
  'DelaySeconds',
  'MaximumMessageSize',
  'MessageRetentionPeriod',
  'ReceiveMessageWaitTimeSeconds',
  'VisibilityTimeout',
  'KmsMasterKeyId',
  'KmsDataKeyReusePeriodSeconds',
  'SqsManagedSseEnabled',
  'ContentBasedDeduplication',
  'DeduplicationScope',
  'FifoThroughputLimit',
] as const;

async function createQueue({ logicalId, props, stackName, clients, notes }: Context): Promise<MaterializedResource> {
  const fifo = bool(props.FifoQueue);
  const name = str(props.QueueName) ?? generatedName(stackName, logicalId, 80, fifo ? '.fifo' : '');
  const attributes: Record<string, string> = {};
  if (fifo) attributes.FifoQueue = 'true';
  for (const attribute of QUEUE_ATTRIBUTES) if (props[attribute] !== undefined) attributes[attribute] = String(props[attribute]);
  // The template carries these as JSON objects; SQS takes JSON text.
  if (props.RedrivePolicy !== undefined) attributes.RedrivePolicy = str(props.RedrivePolicy)!;
  if (props.RedriveAllowPolicy !== undefined) attributes.RedriveAllowPolicy = str(props.RedriveAllowPolicy)!;
  let queueUrl: string;
  let status: ResourceStatus = 'created';
  try {
    ({ QueueUrl: queueUrl } = (await clients.sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }))) as { QueueUrl: string });
  } catch (error) {
    if (!/QueueAlreadyExists|QueueNameExists/.test(errorName(error))) throw error;
    // An earlier run made it with other settings: bring it in line with the template.
    ({ QueueUrl: queueUrl } = (await clients.sqs.send(new GetQueueUrlCommand({ QueueName: name }))) as { QueueUrl: string });
    const { FifoQueue: _fifo, ...changeable } = attributes;
    await clients.sqs.send(new SetQueueAttributesCommand({ QueueUrl: queueUrl, Attributes: changeable }));
    status = 'reused';
  }
  const { Attributes } = await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['All'] }));
  // The emulator drops attributes it does not implement without an error: say so.
  for (const attribute of Object.keys(attributes)) {
    if ((Attributes as Record<string, string> | undefined)?.[attribute] === undefined) notes.push(`${logicalId}: the emulator ignores queue attribute ${attribute} (set in the template, not emulated)`);
  }
  return { logicalId, type: 'AWS::SQS::Queue', ref: queueUrl, attributes: { Arn: Attributes!.QueueArn!, QueueName: name, QueueUrl: queueUrl }, status };
}

async function createSubscription({ logicalId, props, clients }: Context): Promise<{ resource: MaterializedResource; spec: LocalSubscriptionSpec }> {
  const topicArn = str(props.TopicArn)!;
  const protocol = str(props.Protocol)!;
  const endpoint = str(props.Endpoint)!;
  const attributes: Record<string, string> = {};
  if (props.RawMessageDelivery !== undefined) attributes.RawMessageDelivery = String(bool(props.RawMessageDelivery));
  if (props.FilterPolicy !== undefined) attributes.FilterPolicy = str(props.FilterPolicy)!;
  if (props.FilterPolicyScope !== undefined) attributes.FilterPolicyScope = str(props.FilterPolicyScope)!;
  if (props.RedrivePolicy !== undefined) attributes.RedrivePolicy = str(props.RedrivePolicy)!;
  if (props.DeliveryPolicy !== undefined) attributes.DeliveryPolicy = str(props.DeliveryPolicy)!;
  const { SubscriptionArn } = await clients.sns.send(
    new SubscribeCommand({ TopicArn: topicArn, Protocol: protocol, Endpoint: endpoint, Attributes: attributes, ReturnSubscriptionArn: true }),
  );
  const filterPolicy = props.FilterPolicy === undefined ? undefined : typeof props.FilterPolicy === 'string' ? (JSON.parse(props.FilterPolicy) as Props) : (props.FilterPolicy as Props);
  return {
    resource: { logicalId, type: 'AWS::SNS::Subscription', ref: SubscriptionArn!, attributes: { Arn: SubscriptionArn! }, status: 'created' },
    spec: {
      logicalId,
      subscriptionArn: SubscriptionArn!,
      topicArn,
      protocol,
      endpoint,
      rawMessageDelivery: bool(props.RawMessageDelivery),
      ...(filterPolicy && { filterPolicy }),
      filterPolicyScope: str(props.FilterPolicyScope) === 'MessageBody' ? 'MessageBody' : 'MessageAttributes',
    },
  };
}

type KeySchema = { AttributeName: string; KeyType: string }[];

function indexes(value: unknown) {
  return (value as Props[] | undefined)?.map((index) => ({
    IndexName: index.IndexName as string,
    KeySchema: index.KeySchema as KeySchema as CreateTableCommandInput['KeySchema'],
    Projection: index.Projection as CreateTableCommandInput['GlobalSecondaryIndexes'] extends (infer I)[] | undefined ? (I extends { Projection?: infer P } ? P : never) : never,
    ...(index.ProvisionedThroughput !== undefined && { ProvisionedThroughput: index.ProvisionedThroughput as { ReadCapacityUnits: number; WriteCapacityUnits: number } }),
  }));
}

async function createTable({ logicalId, props, stackName, clients, notes }: Context): Promise<MaterializedResource> {
  const name = str(props.TableName) ?? generatedName(stackName, logicalId, 255);
  const sse = props.SSESpecification as { SSEEnabled?: boolean; SSEType?: string; KMSMasterKeyId?: string } | undefined;
  const input: CreateTableCommandInput = {
    TableName: name,
    KeySchema: props.KeySchema as CreateTableCommandInput['KeySchema'],
    AttributeDefinitions: props.AttributeDefinitions as CreateTableCommandInput['AttributeDefinitions'],
    BillingMode: (str(props.BillingMode) ?? 'PROVISIONED') as 'PAY_PER_REQUEST' | 'PROVISIONED',
    ...(props.ProvisionedThroughput !== undefined && { ProvisionedThroughput: props.ProvisionedThroughput as { ReadCapacityUnits: number; WriteCapacityUnits: number } }),
    ...(props.GlobalSecondaryIndexes !== undefined && { GlobalSecondaryIndexes: indexes(props.GlobalSecondaryIndexes) }),
    ...(props.LocalSecondaryIndexes !== undefined && { LocalSecondaryIndexes: indexes(props.LocalSecondaryIndexes) }),
    ...(props.StreamSpecification !== undefined && { StreamSpecification: { StreamEnabled: true, ...(props.StreamSpecification as { StreamViewType: 'NEW_IMAGE' }) } }),
    ...(sse?.SSEEnabled && { SSESpecification: { Enabled: true, ...(sse.SSEType && { SSEType: sse.SSEType as 'KMS' }), ...(sse.KMSMasterKeyId && { KMSMasterKeyId: sse.KMSMasterKeyId }) } }),
  };
  let status: ResourceStatus = 'created';
  try {
    await clients.dynamodb.send(new CreateTableCommand(input));
  } catch (error) {
    if (errorName(error) !== 'ResourceInUseException') throw error;
    status = 'reused';
  }
  // Deletion protection guards against deleting the table on AWS; the local world is
  // thrown away with its emulator, so it is not passed on.
  if (bool(props.DeletionProtectionEnabled)) notes.push(`${logicalId}: the emulator ignores table attribute DeletionProtectionEnabled (set in the template, not emulated)`);
  const ttl = props.TimeToLiveSpecification as { AttributeName?: string; Enabled?: boolean } | undefined;
  if (ttl?.Enabled && ttl.AttributeName && status === 'created') {
    await clients.dynamodb.send(new UpdateTimeToLiveCommand({ TableName: name, TimeToLiveSpecification: { AttributeName: ttl.AttributeName, Enabled: true } }));
  }
  const pitr = props.PointInTimeRecoverySpecification as { PointInTimeRecoveryEnabled?: boolean } | undefined;
  if (pitr?.PointInTimeRecoveryEnabled && status === 'created') {
    try {
      await clients.dynamodb.send(new UpdateContinuousBackupsCommand({ TableName: name, PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }));
    } catch (error) {
      notes.push(`${logicalId}: the emulator does not support point-in-time recovery (${(error as Error).message})`);
    }
  }
  const { Table } = await clients.dynamodb.send(new DescribeTableCommand({ TableName: name }));
  return {
    logicalId,
    type: 'AWS::DynamoDB::Table',
    ref: name,
    attributes: { Arn: Table!.TableArn!, ...(Table!.LatestStreamArn && { StreamArn: Table!.LatestStreamArn }) },
    status,
  };
}

async function createRegistry({ logicalId, props, clients }: Context): Promise<MaterializedResource> {
  const name = str(props.Name)!;
  let arn: string;
  let status: ResourceStatus = 'created';
  try {
    ({ RegistryArn: arn } = (await clients.glue.send(
      new CreateRegistryCommand({ RegistryName: name, ...(str(props.Description) && { Description: str(props.Description) }) }),
    )) as { RegistryArn: string });
  } catch (error) {
    if (errorName(error) !== 'AlreadyExistsException') throw error;
    ({ RegistryArn: arn } = (await clients.glue.send(new GetRegistryCommand({ RegistryId: { RegistryName: name } }))) as { RegistryArn: string });
    status = 'reused';
  }
  // Ref of a Glue registry is its ARN.
  return { logicalId, type: 'AWS::Glue::Registry', ref: arn, attributes: { Arn: arn }, status };
}

function registryId(registry: unknown): { RegistryArn?: string; RegistryName?: string } {
  const value = registry as { Arn?: string; Name?: string } | undefined;
  if (value?.Arn) return { RegistryArn: value.Arn };
  if (value?.Name) return { RegistryName: value.Name };
  throw new Error('Registry needs Arn or Name');
}

async function createSchema({ logicalId, props, clients }: Context): Promise<MaterializedResource> {
  const name = str(props.Name)!;
  const registry = registryId(props.Registry);
  const definition = str(props.SchemaDefinition)!;
  let arn: string;
  let versionId: string;
  let status: ResourceStatus = 'created';
  try {
    ({ SchemaArn: arn, SchemaVersionId: versionId } = (await clients.glue.send(
      new CreateSchemaCommand({
        RegistryId: registry,
        SchemaName: name,
        DataFormat: str(props.DataFormat) as DataFormat,
        Compatibility: (str(props.Compatibility) ?? 'BACKWARD') as Compatibility,
        SchemaDefinition: definition,
        ...(str(props.Description) && { Description: str(props.Description) }),
      }),
    )) as { SchemaArn: string; SchemaVersionId: string });
  } catch (error) {
    if (errorName(error) !== 'AlreadyExistsException') throw error;
    // moto looks schemas up by registry name only.
    const registryName = registry.RegistryName ?? registry.RegistryArn!.slice(registry.RegistryArn!.indexOf(':registry/') + ':registry/'.length);
    const schema = await clients.glue.send(new GetSchemaCommand({ SchemaId: { RegistryName: registryName, SchemaName: name } }));
    arn = schema.SchemaArn!;
    const first = await clients.glue.send(new GetSchemaByDefinitionCommand({ SchemaId: { SchemaArn: arn }, SchemaDefinition: definition }));
    versionId = first.SchemaVersionId!;
    status = 'reused';
  }
  return { logicalId, type: 'AWS::Glue::Schema', ref: arn, attributes: { Arn: arn, InitialSchemaVersionId: versionId }, status };
}

async function registerSchemaVersion({ logicalId, props, clients }: Context): Promise<MaterializedResource> {
  const schema = props.Schema as { SchemaArn?: string; RegistryName?: string; SchemaName?: string };
  const schemaId = schema.SchemaArn ? { SchemaArn: schema.SchemaArn } : { RegistryName: schema.RegistryName, SchemaName: schema.SchemaName };
  const definition = str(props.SchemaDefinition)!;
  // Registering a definition Glue already holds returns its existing version, so this is
  // safe on a second run.
  const { SchemaVersionId } = await clients.glue.send(new RegisterSchemaVersionCommand({ SchemaId: schemaId, SchemaDefinition: definition }));
  return { logicalId, type: 'AWS::Glue::SchemaVersion', ref: SchemaVersionId!, attributes: { VersionId: SchemaVersionId! }, status: 'created' };
}

async function putAlarm({ logicalId, props, stackName, clients, notes }: Context): Promise<MaterializedResource> {
  const name = str(props.AlarmName) ?? generatedName(stackName, logicalId, 255);
  const { AlarmName: _ignored, ...rest } = props;
  try {
    await clients.cloudwatch.send(new PutMetricAlarmCommand({ ...(rest as Omit<PutMetricAlarmCommandInput, 'AlarmName'>), AlarmName: name }));
  } catch (error) {
    notes.push(`${logicalId}: the emulator refused alarm ${name} (${(error as Error).message})`);
    return { logicalId, type: 'AWS::CloudWatch::Alarm', ref: name, attributes: { Arn: `arn:aws:cloudwatch:::alarm:${name}` }, status: 'skipped' };
  }
  // Alarms exist locally but never change state: the emulator does not evaluate them.
  return { logicalId, type: 'AWS::CloudWatch::Alarm', ref: name, attributes: { Arn: `arn:aws:cloudwatch:${''}:alarm:${name}` }, status: 'created' };
}

async function putDashboard({ logicalId, props, stackName, clients, notes }: Context): Promise<MaterializedResource> {
  const name = str(props.DashboardName) ?? generatedName(stackName, logicalId, 255);
  try {
    await clients.cloudwatch.send(new PutDashboardCommand({ DashboardName: name, DashboardBody: str(props.DashboardBody) ?? '{}' }));
  } catch (error) {
    notes.push(`${logicalId}: the emulator refused dashboard ${name} (${(error as Error).message})`);
    return { logicalId, type: 'AWS::CloudWatch::Dashboard', ref: name, attributes: {}, status: 'skipped' };
  }
  return { logicalId, type: 'AWS::CloudWatch::Dashboard', ref: name, attributes: {}, status: 'created' };
}

function localFunction({ logicalId, props, stackName }: Context, resource: CfnResource, assemblyDir: string): LocalFunctionSpec {
  const assetPath = resource.Metadata?.['aws:asset:path'];
  if (typeof assetPath !== 'string') {
    throw new MaterializeError(
      logicalId,
      'the function has no aws:asset:path metadata: synthesize with asset metadata on (the CDK CLI does; the local runner does)',
    );
  }
  const handler = str(props.Handler) ?? 'index.handler';
  const dot = handler.lastIndexOf('.');
  const [file, exportName] = [handler.slice(0, dot), handler.slice(dot + 1)];
  const assetDir = join(assemblyDir, assetPath);
  const assetFile = ['.mjs', '.js', '.cjs'].map((ext) => join(assetDir, `${file}${ext}`)).find((candidate) => existsSync(candidate));
  if (!assetFile) throw new MaterializeError(logicalId, `handler file ${file}.mjs/.js not found in ${assetDir}`);
  const variables = ((props.Environment as { Variables?: Props } | undefined)?.Variables ?? {}) as Props;
  const environment = Object.fromEntries(Object.entries(variables).map(([key, value]) => [key, String(value)]));
  const loggingConfig = props.LoggingConfig as { LogGroup?: string } | undefined;
  return {
    logicalId,
    functionName: str(props.FunctionName) ?? generatedName(stackName, logicalId, 64),
    assetFile,
    handlerExport: exportName,
    handler,
    runtime: str(props.Runtime) ?? 'nodejs22.x',
    environment,
    timeoutSeconds: Number(props.Timeout ?? 3),
    memoryMiB: Number(props.MemorySize ?? 128),
    ...(loggingConfig?.LogGroup && { logGroupName: loggingConfig.LogGroup }),
  };
}

async function localMapping(
  { logicalId, props, stackName, clients }: Context,
  resources: ReadonlyMap<string, MaterializedResource>,
  template: CfnTemplate,
): Promise<LocalEventSourceMappingSpec> {
  const queueArn = str(props.EventSourceArn)!;
  const queue = [...resources.values()].find((r) => r.type === 'AWS::SQS::Queue' && r.attributes.Arn === queueArn);
  if (!queue) throw new MaterializeError(logicalId, `event source ${queueArn} is not a queue of this stack (only SQS event sources run locally)`);
  const functionRef = template.Resources![logicalId]!.Properties?.FunctionName as { Ref?: string } | undefined;
  const functionLogicalId = functionRef?.Ref;
  if (!functionLogicalId || resources.get(functionLogicalId)?.type !== 'AWS::Lambda::Function') {
    throw new MaterializeError(logicalId, 'FunctionName must be a Ref to a function of this stack');
  }
  const { Attributes } = await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: queue.ref, AttributeNames: ['FifoQueue'] }));
  // Filtering would change which messages the function sees; our stack never sets it,
  // so one that does is refused rather than run as if it had none.
  if (props.FilterCriteria !== undefined) {
    throw new MaterializeError(logicalId, 'FilterCriteria (event filtering) is not emulated locally: remove it, or filter in the SNS subscription instead');
  }
  const scaling = props.ScalingConfig as { MaximumConcurrency?: number } | undefined;
  const maximumConcurrency = Number(scaling?.MaximumConcurrency ?? 1000);
  return {
    logicalId,
    // Lambda gives each mapping a UUID; a stable one keeps outputs the same across runs.
    uuid: stableUuid(`${stackName}/${logicalId}`),
    functionLogicalId,
    queueUrl: queue.ref,
    queueArn,
    batchSize: Number(props.BatchSize ?? 10),
    maximumBatchingWindowSeconds: Number(props.MaximumBatchingWindowInSeconds ?? 0),
    maximumConcurrency,
    localConcurrency: Math.min(maximumConcurrency, LOCAL_MAX_CONCURRENCY),
    reportBatchItemFailures: ((props.FunctionResponseTypes as string[] | undefined) ?? []).includes('ReportBatchItemFailures'),
    enabled: props.Enabled === undefined ? true : bool(props.Enabled),
    fifo: Attributes?.FifoQueue === 'true',
  };
}
