/**
 * The materializer on the real synthesized template: what the stack declares exists on
 * the emulator with the template's settings, resolved to local names, and events flow
 * through it as the filter policies say. The template's resource names are fixed, so
 * this file runs its own emulator instead of sharing the suite's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeTableCommand, DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { GetSchemaVersionCommand } from '@aws-sdk/client-glue';
import { GetSubscriptionAttributesCommand, GetTopicAttributesCommand, PublishCommand } from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { startEmulator, PROJECT_ROOT, type Emulator } from '../../local/emulator';
import { synthesize, type SynthesizedStack } from '../../local/synth';
import {
  createEmulatorClients,
  destroyClients,
  LOCAL_MAX_CONCURRENCY,
  MaterializeError,
  materializeStack,
  type EmulatorClients,
  type MaterializedStack,
} from '../../local/materialize';
import { resolvePipeline } from '../../model/pipeline-definition';
import { pipeline as samplePipeline } from '../../pipeline';
import { OutputKey } from '../../model/stack-outputs';
import type { CfnTemplate } from '../../local/intrinsics';
import { emulatorClientConfig, uniqueName } from '../support/aws';

const pipeline = resolvePipeline(samplePipeline, join(PROJECT_ROOT, 'schemas'));
const REGION = 'us-east-1';
const ACCOUNT = '123456789012';

let emulator: Emulator;
let clients: EmulatorClients;
let synthesized: SynthesizedStack;
let stack: MaterializedStack;

beforeAll(async () => {
  [emulator, synthesized] = await Promise.all([
    startEmulator(),
    synthesize({ projectRoot: PROJECT_ROOT, stackName: pipeline.name, outDir: mkdtempSync(join(tmpdir(), 'fanout-cdk-out-')), accountId: ACCOUNT, region: REGION }),
  ]);
  clients = createEmulatorClients(emulator.endpoint, REGION);
  stack = await materializeStack({
    stackName: pipeline.name,
    template: synthesized.template,
    assemblyDir: synthesized.assemblyDir,
    region: REGION,
    accountId: ACCOUNT,
    clients,
  });
}, 180_000);

afterAll(async () => {
  if (clients) destroyClients(clients);
  await emulator?.stop();
});

const queueAttributes = async (url: string) =>
  (await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }))).Attributes!;

describe('materializeStack on the synthesized sample stack', () => {
  it('resolves every output the stack declares, under the keys of model/stack-outputs.ts', () => {
    const expected = [
      ...pipeline.topics.map((t) => OutputKey.topicArn(t.name)),
      ...pipeline.consumers.flatMap((c) => [
        OutputKey.queueUrl(c.name),
        OutputKey.queueArn(c.name),
        OutputKey.dlqUrl(c.name),
        OutputKey.dlqArn(c.name),
        OutputKey.subscriptionDlqUrl(c.name),
        OutputKey.subscriptionArn(c.name),
        OutputKey.functionName(c.name),
        OutputKey.eventSourceMappingId(c.name),
        OutputKey.downstreamTableName(c.name),
      ]),
      OutputKey.idempotencyTableName(),
      OutputKey.schemaRegistryName(),
      OutputKey.alarmTopicArn(),
      OutputKey.pageTopicArn(),
      OutputKey.dashboardName(),
    ];
    expect(Object.keys(stack.outputs).sort()).toEqual(expected.sort());
    for (const value of Object.values(stack.outputs)) expect(value).not.toMatch(/Ref|Fn::|\[object/);
    expect(stack.outputs[OutputKey.queueUrl('crm-sync')]).toMatch(new RegExp(`^${emulator.endpoint}/${ACCOUNT}/`));
  });

  it('gives each consumer queue its visibility timeout and a redrive policy to its own DLQ', async () => {
    for (const consumer of pipeline.consumers) {
      const queue = await queueAttributes(stack.outputs[OutputKey.queueUrl(consumer.name)]!);
      expect(queue.VisibilityTimeout).toBe(String(consumer.visibilityTimeoutSeconds));
      expect(JSON.parse(queue.RedrivePolicy!)).toEqual({
        deadLetterTargetArn: stack.outputs[OutputKey.dlqArn(consumer.name)],
        maxReceiveCount: consumer.maxReceiveCount,
      });
      expect(queue.FifoQueue === 'true').toBe(consumer.fifo);
      const dlq = await queueAttributes(stack.outputs[OutputKey.dlqUrl(consumer.name)]!);
      expect(dlq.MessageRetentionPeriod).toBe(String(14 * 24 * 3600));
    }
  });

  it('says which template settings the emulator ignores (moto drops RedriveAllowPolicy silently)', () => {
    const dlqs = [...stack.resources.values()].filter((r) => r.type === 'AWS::SQS::Queue' && /-dlq(\.fifo)?$/.test(r.attributes.QueueName!) && !/subscription/.test(r.attributes.QueueName!));
    expect(dlqs).toHaveLength(pipeline.consumers.length);
    for (const dlq of dlqs) {
      expect(stack.notes).toContain(`${dlq.logicalId}: the emulator ignores queue attribute RedriveAllowPolicy (set in the template, not emulated)`);
    }
  });

  it('subscribes each queue with raw delivery, the template filter policy and scope, and a subscription DLQ', async () => {
    const template = synthesized.template as Required<CfnTemplate>;
    for (const consumer of pipeline.consumers) {
      const { Attributes } = await clients.sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: stack.outputs[OutputKey.subscriptionArn(consumer.name)] }));
      expect(Attributes!.RawMessageDelivery).toBe('true');
      expect(Attributes!.Endpoint).toBe(stack.outputs[OutputKey.queueArn(consumer.name)]);
      expect(Attributes!.TopicArn).toBe(stack.outputs[OutputKey.topicArn(consumer.topic)]);
      const declared = Object.values(template.Resources).find(
        (r) => r.Type === 'AWS::SNS::Subscription' && JSON.stringify(r.Properties?.Endpoint).includes(`Consumer${consumer.name.replaceAll('-', '')}Queue`),
      )!;
      expect(JSON.parse(Attributes!.FilterPolicy!)).toEqual(declared.Properties!.FilterPolicy);
      expect(Attributes!.FilterPolicyScope).toBe(consumer.filter.scope);
      expect(JSON.parse(Attributes!.RedrivePolicy!).deadLetterTargetArn).toMatch(/subscription-dlq/);
    }
  });

  it('creates the FIFO topic with content-based deduplication', async () => {
    const { Attributes } = await clients.sns.send(new GetTopicAttributesCommand({ TopicArn: stack.outputs[OutputKey.topicArn('billing-events')] }));
    expect(Attributes).toMatchObject({ FifoTopic: 'true', ContentBasedDeduplication: 'true' });
  });

  it('creates the idempotency table with its key and TTL, and one pk/sk downstream table per consumer', async () => {
    const idempotency = stack.outputs[OutputKey.idempotencyTableName()]!;
    const { Table } = await clients.dynamodb.send(new DescribeTableCommand({ TableName: idempotency }));
    expect(Table!.KeySchema).toEqual([{ AttributeName: 'id', KeyType: 'HASH' }]);
    const ttl = await clients.dynamodb.send(new DescribeTimeToLiveCommand({ TableName: idempotency }));
    expect(ttl.TimeToLiveDescription).toMatchObject({ AttributeName: 'expiration', TimeToLiveStatus: 'ENABLED' });
    for (const consumer of pipeline.consumers) {
      const { Table: downstream } = await clients.dynamodb.send(new DescribeTableCommand({ TableName: stack.outputs[OutputKey.downstreamTableName(consumer.name)] }));
      expect(downstream!.KeySchema).toEqual([
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ]);
    }
  });

  it('registers every contract version in order, with the schema files as definitions', async () => {
    const registryName = stack.outputs[OutputKey.schemaRegistryName()]!;
    for (const eventType of pipeline.eventTypes) {
      const schemaId = { RegistryName: registryName, SchemaName: eventType.name };
      for (const version of eventType.versions) {
        const found = await clients.glue.send(new GetSchemaVersionCommand({ SchemaId: schemaId, SchemaVersionNumber: { VersionNumber: version.version } }));
        expect(JSON.parse(found.SchemaDefinition!)).toEqual(version.schema);
      }
      const latest = await clients.glue.send(new GetSchemaVersionCommand({ SchemaId: schemaId, SchemaVersionNumber: { LatestVersion: true } }));
      expect(latest.VersionNumber).toBe(eventType.versions.length);
    }
  });

  it('resolves each function to its cdk.out asset and its template environment, names and all', () => {
    expect(stack.functions).toHaveLength(pipeline.consumers.length);
    for (const consumer of pipeline.consumers) {
      const fn = stack.functions.find((f) => f.environment.FANOUT_CONSUMER_NAME === consumer.name)!;
      expect(existsSync(fn.assetFile)).toBe(true);
      expect(fn.assetFile.startsWith(synthesized.assemblyDir)).toBe(true);
      expect(fn.handlerExport).toBe('handler');
      expect(fn.timeoutSeconds).toBe(consumer.timeoutSeconds);
      expect(fn.functionName).toBe(stack.outputs[OutputKey.functionName(consumer.name)]);
      expect(fn.environment).toMatchObject({
        FANOUT_QUEUE_URL: stack.outputs[OutputKey.queueUrl(consumer.name)],
        FANOUT_DLQ_URL: stack.outputs[OutputKey.dlqUrl(consumer.name)],
        FANOUT_IDEMPOTENCY_TABLE_NAME: stack.outputs[OutputKey.idempotencyTableName()],
        FANOUT_SCHEMA_REGISTRY_NAME: stack.outputs[OutputKey.schemaRegistryName()],
        FANOUT_DOWNSTREAM_TABLE_NAME: stack.outputs[OutputKey.downstreamTableName(consumer.name)],
        POWERTOOLS_SERVICE_NAME: consumer.name,
      });
      const mapping = stack.eventSourceMappings.find((m) => m.functionLogicalId === fn.logicalId)!;
      expect(mapping).toMatchObject({
        uuid: stack.outputs[OutputKey.eventSourceMappingId(consumer.name)],
        queueUrl: stack.outputs[OutputKey.queueUrl(consumer.name)],
        batchSize: consumer.batchSize,
        maximumBatchingWindowSeconds: consumer.batchingWindowSeconds,
        maximumConcurrency: consumer.maxConcurrency,
        reportBatchItemFailures: true,
        fifo: consumer.fifo,
      });
    }
  });

  it('delivers a published event only to the queues whose filter policy selects it', async () => {
    await clients.sns.send(
      new PublishCommand({
        TopicArn: stack.outputs[OutputKey.topicArn('user-events')],
        Message: JSON.stringify({ type: 'user.profile-updated', data: { marketingOptIn: true } }),
        MessageAttributes: { type: { DataType: 'String', StringValue: 'user.profile-updated' } },
      }),
    );
    const receive = (consumer: string) =>
      clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: stack.outputs[OutputKey.queueUrl(consumer)], WaitTimeSeconds: 1, MaxNumberOfMessages: 10 }));
    expect((await receive('crm-sync')).Messages).toHaveLength(1);
    expect((await receive('email-marketing')).Messages ?? []).toHaveLength(0);
  });

  it('reuses what exists when run again on the same emulator, with the same outputs', async () => {
    const again = await materializeStack({
      stackName: pipeline.name,
      template: synthesized.template,
      assemblyDir: synthesized.assemblyDir,
      region: REGION,
      accountId: ACCOUNT,
      clients,
    });
    expect(again.outputs).toEqual(stack.outputs);
    expect([...again.resources.values()].filter((r) => r.type === 'AWS::DynamoDB::Table').every((r) => r.status === 'reused')).toBe(true);
  });

  it('reads the synthesized template from the assembly it wrote', () => {
    expect(JSON.parse(readFileSync(synthesized.templateFile, 'utf8'))).toEqual(synthesized.template);
  });
});

describe('materializeStack on a small template', () => {
  let shared: EmulatorClients;
  beforeAll(() => {
    const config = emulatorClientConfig();
    shared = createEmulatorClients(config.endpoint, REGION);
  });
  afterAll(() => destroyClients(shared));

  it('generates names for unnamed resources, resolves Fn::Sub and skips resources whose condition is false', async () => {
    const stackName = uniqueName('small');
    const template: CfnTemplate = {
      Conditions: { Never: { 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'mars-1'] } },
      Resources: {
        Dlq: { Type: 'AWS::SQS::Queue', Properties: { FifoQueue: true } },
        Queue: {
          Type: 'AWS::SQS::Queue',
          Properties: {
            FifoQueue: true,
            RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': ['Dlq', 'Arn'] }, maxReceiveCount: 3 },
            Tags: [{ Key: 'dlq', Value: { 'Fn::Sub': '${Dlq.QueueName} in ${AWS::Region}' } }],
          },
        },
        Skipped: { Type: 'AWS::SQS::Queue', Condition: 'Never' },
        Role: { Type: 'AWS::IAM::Role', Properties: { AssumeRolePolicyDocument: {} } },
      },
      Outputs: {
        Url: { Value: { Ref: 'Queue' } },
        Name: { Value: { 'Fn::Select': [5, { 'Fn::Split': [':', { 'Fn::GetAtt': ['Queue', 'Arn'] }] }] } },
        RoleArn: { Value: { 'Fn::GetAtt': ['Role', 'Arn'] } },
        Described: { Value: { 'Fn::Sub': '${Dlq.QueueName} in ${AWS::Region} of ${AWS::AccountId}' } },
        WithVariables: { Value: { 'Fn::Sub': ['${Where}/${!Literal}', { Where: { Ref: 'Queue' } }] } },
      },
    };
    const result = await materializeStack({ stackName, template, assemblyDir: tmpdir(), region: REGION, accountId: ACCOUNT, clients: shared });
    expect(result.outputs.Name).toBe(`${stackName}-Queue.fifo`);
    expect(result.resources.has('Skipped')).toBe(false);
    expect(result.resources.get('Role')!.status).toBe('skipped');
    expect(result.outputs.RoleArn).toMatch(/^arn:aws:iam::123456789012:role\//);
    expect(result.outputs.Described).toBe(`${stackName}-Dlq.fifo in ${REGION} of ${ACCOUNT}`);
    expect(result.outputs.WithVariables).toBe(`${result.outputs.Url}/\${Literal}`);
    const queue = await shared.sqs.send(new GetQueueAttributesCommand({ QueueUrl: result.outputs.Url, AttributeNames: ['RedrivePolicy'] }));
    expect(JSON.parse(queue.Attributes!.RedrivePolicy!)).toEqual({ deadLetterTargetArn: result.resources.get('Dlq')!.attributes.Arn, maxReceiveCount: 3 });
  });

  /** A queue, a function from a stand-in asset, and a mapping between them with `mapping` as its extra properties. */
  function mappingTemplate(mapping: Record<string, unknown>): { template: CfnTemplate; assemblyDir: string } {
    const assemblyDir = mkdtempSync(join(tmpdir(), 'fanout-assembly-'));
    mkdirSync(join(assemblyDir, 'asset.fn'));
    writeFileSync(join(assemblyDir, 'asset.fn', 'index.mjs'), 'export const handler = async () => ({});\n');
    return {
      assemblyDir,
      template: {
        Resources: {
          Queue: { Type: 'AWS::SQS::Queue' },
          Fn: { Type: 'AWS::Lambda::Function', Metadata: { 'aws:asset:path': 'asset.fn' }, Properties: { Handler: 'index.handler', Runtime: 'nodejs24.x' } },
          Mapping: {
            Type: 'AWS::Lambda::EventSourceMapping',
            Properties: { EventSourceArn: { 'Fn::GetAtt': ['Queue', 'Arn'] }, FunctionName: { Ref: 'Fn' }, BatchSize: 5, ...mapping },
          },
        },
      },
    };
  }

  it('caps the local concurrency of a mapping without ScalingConfig (Lambda would allow 1000)', async () => {
    const { template, assemblyDir } = mappingTemplate({});
    const result = await materializeStack({ stackName: uniqueName('esm'), template, assemblyDir, region: REGION, accountId: ACCOUNT, clients: shared });
    expect(result.eventSourceMappings).toHaveLength(1);
    expect(result.eventSourceMappings[0]).toMatchObject({ maximumConcurrency: 1000, localConcurrency: LOCAL_MAX_CONCURRENCY, batchSize: 5 });
    expect(LOCAL_MAX_CONCURRENCY).toBe(5);
    const declared = mappingTemplate({ ScalingConfig: { MaximumConcurrency: 3 } });
    const small = await materializeStack({ stackName: uniqueName('esm'), ...declared, region: REGION, accountId: ACCOUNT, clients: shared });
    expect(small.eventSourceMappings[0]).toMatchObject({ maximumConcurrency: 3, localConcurrency: 3 });
  });

  it('refuses a mapping with FilterCriteria rather than run it unfiltered', async () => {
    const { template, assemblyDir } = mappingTemplate({ FilterCriteria: { Filters: [{ Pattern: '{"body":{"type":["x"]}}' }] } });
    const error = await materializeStack({ stackName: uniqueName('esm'), template, assemblyDir, region: REGION, accountId: ACCOUNT, clients: shared }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MaterializeError);
    expect((error as Error).message).toMatch(/^Mapping: FilterCriteria \(event filtering\) is not emulated locally/);
  });
});
