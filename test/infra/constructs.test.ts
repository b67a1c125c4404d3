/**
 * The constructs on their own, outside the pipeline stack: their defaults, their
 * grant methods and the wiring mistakes they refuse.
 */
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { CfnElement } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConsumerEnv } from '../../contracts/consumer-environment';
import { Consumer, CONSUMER_BUNDLING, ESM_REQUIRE_SHIM, type ConsumerProps, type ConsumerSettings } from '../../lib/constructs/consumer';
import { ContractRegistry } from '../../lib/constructs/contract-registry';
import { DownstreamTable } from '../../lib/constructs/downstream-table';
import { EventTopic } from '../../lib/constructs/event-topic';
import { IdempotencyTable } from '../../lib/constructs/idempotency-table';
import { InfrastructureError } from '../../lib/constructs/infrastructure-error';
import { PipelineMonitoring } from '../../lib/constructs/monitoring';
import { resolvePipeline, type PipelineDefinition, type ResolvedConsumer } from '../../model/pipeline-definition';
import { PROJECT_ROOT } from '../../model/project-root';
import { arnOf, jsonSet, refOf, resourcesByAction } from './synth';

interface Fixture {
  readonly stack: Stack;
  readonly topic: EventTopic;
  readonly fifoTopic: EventTopic;
  readonly contracts: ContractRegistry;
  readonly idempotency: IdempotencyTable;
  readonly downstream: DownstreamTable;
  readonly consumer: Consumer;
  readonly monitoring: PipelineMonitoring;
  readonly operator: iam.Role;
  readonly publisher: iam.Role;
}

function newStack(): Stack {
  // Bundling skipped: these tests look at the template, not the code.
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false });
  return new Stack(app, 'Constructs', { env: { account: '111122223333', region: 'eu-central-1' } });
}

/** A one-consumer definition with every setting left to its default: resolvePipeline applies them. */
function defaultsDefinition(fifo: boolean): PipelineDefinition {
  return {
    name: 'demo',
    topics: [{ name: 'events', fifo }],
    eventTypes: [{ name: 'user.signed-up', topic: 'events', peakEventsPerSecond: 1, latencySlaP95Seconds: 60 }],
    consumers: [{ name: 'minimal', description: 'All defaults.', topic: 'events', eventTypes: ['user.signed-up'], entry: 'lambdas/consumers/crm-sync/handler.ts' }],
  };
}

/** The consumer's settings as resolvePipeline resolves them: the one place defaults are applied. */
function resolvedSettings(fifo: boolean, change: Partial<PipelineDefinition['consumers'][number]> = {}): ResolvedConsumer {
  const definition = defaultsDefinition(fifo);
  return resolvePipeline({ ...definition, consumers: [{ ...definition.consumers[0]!, ...change }] }, join(PROJECT_ROOT, 'schemas')).consumers[0]!;
}

function baseConsumerProps(f: Omit<Fixture, 'consumer' | 'monitoring' | 'operator' | 'publisher' | 'stack'>, settings: ConsumerSettings = resolvedSettings(f.topic.fifo)): ConsumerProps {
  return {
    consumerName: 'minimal',
    pipelineName: 'demo',
    topic: f.topic,
    eventTypes: ['user.signed-up'],
    filter: { scope: 'MessageAttributes', policy: { type: ['user.signed-up'] } },
    entry: `${PROJECT_ROOT}/lambdas/consumers/crm-sync/handler.ts`,
    projectRoot: PROJECT_ROOT,
    contracts: f.contracts,
    idempotencyTable: f.idempotency,
    downstream: { kind: 'dynamodb', table: f.downstream },
    settings,
  };
}

let f: Fixture;
let template: Template;
let json: any;
const id = (construct: IConstruct) => f.stack.getLogicalId((construct.node.defaultChild ?? construct) as CfnElement);
const statementsOf = (role: iam.Role) =>
  Object.values(json.Resources as Record<string, any>)
    .filter((r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties.Roles) === JSON.stringify([refOf(id(role))]))
    .flatMap((r) => r.Properties.PolicyDocument.Statement as any[])
    .map((s) => ({ actions: [s.Action].flat(), resources: [s.Resource].flat() }));

beforeAll(() => {
  const stack = newStack();
  const topic = new EventTopic(stack, 'Topic', { topicName: 'demo-events' });
  const fifoTopic = new EventTopic(stack, 'FifoTopic', { topicName: 'demo-ordered', fifo: true });
  const contracts = new ContractRegistry(stack, 'Contracts', {
    registryName: 'demo-contracts',
    contracts: [
      { eventType: 'user.signed-up', compatibility: 'BACKWARD', versionDefinitions: ['{"type":"object"}'] },
      { eventType: 'user.deleted', compatibility: 'NONE', versionDefinitions: ['{"type":"object"}'] },
    ],
  });
  const idempotency = new IdempotencyTable(stack, 'Idempotency');
  const downstream = new DownstreamTable(stack, 'Downstream');
  const consumer = new Consumer(stack, 'Minimal', baseConsumerProps({ topic, fifoTopic, contracts, idempotency, downstream }));
  const monitoring = new PipelineMonitoring(stack, 'Monitoring', { pipelineName: 'demo', alarms: [], consumers: [], topics: [] });
  const operator = new iam.Role(stack, 'Operator', { assumedBy: new iam.AccountRootPrincipal() });
  const publisher = new iam.Role(stack, 'Publisher', { assumedBy: new iam.AccountRootPrincipal() });
  consumer.grantRedrive(operator);
  downstream.grantReadEffects(operator);
  monitoring.grantSubscribeToAlarms(operator);
  topic.grantPublish(publisher);
  f = { stack, topic, fifoTopic, contracts, idempotency, downstream, consumer, monitoring, operator, publisher };
  template = Template.fromStack(stack);
  json = template.toJSON();
});

describe('Consumer defaults (applied once, by resolvePipeline, and rendered as resolved)', () => {
  it('batch 10, window 0, concurrency 2 on the event source mapping', () => {
    expect(json.Resources[id(f.consumer.eventSourceMapping)].Properties).toMatchObject({
      BatchSize: 10,
      MaximumBatchingWindowInSeconds: 0,
      ScalingConfig: { MaximumConcurrency: 2 },
    });
  });

  it('30 s timeout, 256 MiB, 6 x 30 s visibility, a 1 h retry budget and the 49 receives it needs, logs kept a month, 22-day idempotency', () => {
    expect(json.Resources[id(f.consumer.function)].Properties).toMatchObject({ Timeout: 30, MemorySize: 256 });
    expect(json.Resources[id(f.consumer.queue)].Properties).toMatchObject({ VisibilityTimeout: 180, RedrivePolicy: { maxReceiveCount: 49 } });
    expect(f.consumer.environment[ConsumerEnv.RetryBudgetSeconds]).toBe('3600');
    expect(f.consumer.environment[ConsumerEnv.MaxReceiveCount]).toBe('49');
    expect(f.consumer.environment[ConsumerEnv.RetryBaseDelaySeconds]).toBe('10');
    expect(f.consumer.environment[ConsumerEnv.RetryMaxDelaySeconds]).toBe('300');
    expect(json.Resources[id(f.consumer.logGroup)].Properties.RetentionInDays).toBe(30);
    // Longer than the longest way back: 7 days in the queue + 14 in the DLQ + 1.
    expect(f.consumer.environment[ConsumerEnv.IdempotencyExpirySeconds]).toBe(String(22 * 24 * 60 * 60));
    expect(f.consumer.environment.POWERTOOLS_METRICS_NAMESPACE).toBe('Fanout/demo');
  });

  it('bundles as agreed: ESM, minified, node24, SDK inside, module entry points first, require shim', () => {
    expect(CONSUMER_BUNDLING).toEqual({
      format: 'esm',
      minify: true,
      target: 'node24',
      externalModules: [],
      mainFields: ['module', 'main'],
      banner: ESM_REQUIRE_SHIM,
      // The size levers (lib/consumer-bundling.ts; test/infra/consumer-bundling.test.ts checks each).
      esbuildArgs: {
        '--alias': [
          '@aws-sdk/credential-provider-node=./lambdas/kit/environment-credentials.ts',
          '@smithy/core/event-streams=./lambdas/kit/event-streams-unsupported.ts',
          'semver=./lambdas/kit/semver-gte.ts',
        ],
        '--legal-comments': 'none',
      },
    });
    expect(ESM_REQUIRE_SHIM).toMatch(/createRequire.*from 'node:module';const require = .*\(import\.meta\.url\);$/);
  });

  it('the queue keeps messages 7 days (a week-long pause loses nothing), its DLQs 14: every dead letter keeps at least 7 days', () => {
    const day = 24 * 60 * 60;
    expect(json.Resources[id(f.consumer.queue)].Properties.MessageRetentionPeriod).toBe(7 * day);
    for (const queue of [f.consumer.deadLetterQueue, f.consumer.subscriptionDeadLetterQueue]) {
      expect(json.Resources[id(queue)].Properties.MessageRetentionPeriod, queue.node.path).toBe(14 * day);
    }
  });

  it('names its queues after the pipeline and the consumer', () => {
    expect(json.Resources[id(f.consumer.queue)].Properties.QueueName).toBe('demo-minimal');
    expect(json.Resources[id(f.consumer.deadLetterQueue)].Properties.QueueName).toBe('demo-minimal-dlq');
    expect(json.Resources[id(f.consumer.subscriptionDeadLetterQueue)].Properties.QueueName).toBe('demo-minimal-subscription-dlq');
  });

  it('both tables are kept with the stack and protected from deletion (the idempotency table is the memory of what was applied)', () => {
    for (const table of [f.idempotency.table, f.downstream.table]) {
      expect(json.Resources[id(table)].DeletionPolicy).toBe('Retain');
      expect(json.Resources[id(table)].Properties.DeletionProtectionEnabled).toBe(true);
    }
  });
});

describe('grant methods', () => {
  it('grantRedrive: read and move the DLQs, send to the queue, use the key, nothing else', () => {
    const byAction = resourcesByAction(statementsOf(f.operator));
    const dlqs = jsonSet(arnOf(id(f.consumer.deadLetterQueue)), arnOf(id(f.consumer.subscriptionDeadLetterQueue)));
    const queue = jsonSet(arnOf(id(f.consumer.queue)));
    // ChangeMessageVisibility: `fanout dlq` ends its peek with ChangeMessageVisibilityBatch to 0.
    for (const action of ['sqs:ReceiveMessage', 'sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:StartMessageMoveTask', 'sqs:ListMessageMoveTasks', 'sqs:CancelMessageMoveTask']) {
      expect(byAction.get(action), action).toEqual(dlqs);
    }
    expect([...byAction.keys()].filter((a) => a.startsWith('sqs:')).sort()).toEqual([
      'sqs:CancelMessageMoveTask',
      'sqs:ChangeMessageVisibility',
      'sqs:DeleteMessage',
      'sqs:GetQueueAttributes',
      'sqs:ListMessageMoveTasks',
      'sqs:ReceiveMessage',
      'sqs:SendMessage',
      'sqs:StartMessageMoveTask',
    ]);
    expect(byAction.get('sqs:SendMessage')).toEqual(queue);
    expect(byAction.get('sqs:GetQueueAttributes')).toEqual([...dlqs, ...queue].sort());
    expect(byAction.get('kms:Decrypt')).toEqual(jsonSet(arnOf(id(f.topic.key))));
    expect(byAction.get('kms:GenerateDataKey')).toEqual(jsonSet(arnOf(id(f.topic.key))));
  });

  it('grantReadEffects and grantSubscribeToAlarms scope to their own resource', () => {
    const byAction = resourcesByAction(statementsOf(f.operator));
    expect(byAction.get('dynamodb:Query')).toContain(JSON.stringify(arnOf(id(f.downstream.table))));
    expect(byAction.get('dynamodb:Query')!.filter((r) => r.includes('Fn::GetAtt'))).toEqual(jsonSet(arnOf(id(f.downstream.table))));
    expect(byAction.get('dynamodb:PutItem')).toBeUndefined();
    expect(byAction.get('sns:Subscribe')).toEqual(jsonSet(refOf(id(f.monitoring.alarmTopic))));
  });

  it('grantPublish: publish to the topic and use its key', () => {
    const byAction = resourcesByAction(statementsOf(f.publisher));
    expect(byAction.get('sns:Publish')).toEqual(jsonSet(refOf(id(f.topic.topic))));
    expect(byAction.get('kms:Decrypt')).toEqual(jsonSet(arnOf(id(f.topic.key))));
  });

  it('grantReadSchemas: GetSchemaVersion only, on the named event types only', () => {
    const byAction = resourcesByAction(statementsOf(f.consumer.role));
    expect(byAction.get('glue:GetSchemaVersion')).toEqual(jsonSet(arnOf(id(f.contracts.registry)), arnOf(id(f.contracts.schemas.get('user.signed-up')!))));
    expect([...byAction.keys()].filter((a) => a.startsWith('glue:'))).toEqual(['glue:GetSchemaVersion']);
  });
});

describe('Consumer renders the resolved settings, computing none of its own', () => {
  function consumerIn(stack: Stack, fifo: boolean, settings: ConsumerSettings): Consumer {
    const topic = new EventTopic(stack, 'OwnTopic', { topicName: fifo ? 'demo-ordered' : 'demo-events', fifo });
    const contracts = new ContractRegistry(stack, 'Contracts', {
      registryName: 'demo-contracts',
      contracts: [{ eventType: 'user.signed-up', compatibility: 'BACKWARD', versionDefinitions: ['{}'] }],
    });
    const props = baseConsumerProps(
      { topic, fifoTopic: topic, contracts, idempotency: new IdempotencyTable(stack, 'Idempotency'), downstream: new DownstreamTable(stack, 'Downstream') },
      settings,
    );
    return new Consumer(stack, 'Under', props);
  }
  const rendered = (stack: Stack, consumer: Consumer) => {
    const resources = Template.fromStack(stack).toJSON().Resources;
    const logicalId = (c: IConstruct) => stack.getLogicalId((c.node.defaultChild ?? c) as CfnElement);
    return {
      queue: resources[logicalId(consumer.queue)].Properties,
      mapping: resources[logicalId(consumer.eventSourceMapping)].Properties,
      function: resources[logicalId(consumer.function)].Properties,
    };
  };

  it('FIFO: the resolved maxReceiveCount (49 for the budget + the batch size) and no batching window', () => {
    const settings = resolvedSettings(true);
    expect(settings.maxReceiveCount).toBe(59);
    const stack = newStack();
    const consumer = consumerIn(stack, true, settings);
    const { queue, mapping } = rendered(stack, consumer);
    expect(consumer.fifo).toBe(true);
    expect(queue.RedrivePolicy.maxReceiveCount).toBe(59);
    expect(queue.VisibilityTimeout).toBe(settings.visibilityTimeoutSeconds);
    // Lambda accepts no batching window on FIFO: resolvePipeline refuses one, the construct sets none.
    expect(mapping.MaximumBatchingWindowInSeconds).toBeUndefined();
    expect(mapping.BatchSize).toBe(10);
  });

  it('standard: every setting exactly as resolved, the derived visibility timeout included', () => {
    const settings = resolvedSettings(false, {
      batchSize: 50,
      batchingWindowSeconds: 4,
      maxConcurrency: 7,
      // 124 s (the visibility timeout) with backoff 2..90 s needs 18 receives: 20 adds margin.
      retryBudgetSeconds: 124,
      maxReceiveCount: 20,
      timeoutSeconds: 20,
      memoryMiB: 512,
      retryBaseDelaySeconds: 2,
      retryMaxDelaySeconds: 90,
    });
    // 6 x 20 s + 4 s, computed by resolvePipeline alone.
    expect(settings.visibilityTimeoutSeconds).toBe(124);
    const stack = newStack();
    const consumer = consumerIn(stack, false, settings);
    const { queue, mapping, function: fn } = rendered(stack, consumer);
    expect(queue.VisibilityTimeout).toBe(124);
    expect(queue.RedrivePolicy.maxReceiveCount).toBe(20);
    expect(consumer.environment[ConsumerEnv.RetryBudgetSeconds]).toBe('124');
    expect(consumer.environment[ConsumerEnv.MaxReceiveCount]).toBe('20');
    expect(mapping).toMatchObject({ BatchSize: 50, MaximumBatchingWindowInSeconds: 4, ScalingConfig: { MaximumConcurrency: 7 } });
    expect(fn).toMatchObject({ Timeout: 20, MemorySize: 512 });
    expect(consumer.environment[ConsumerEnv.RetryBaseDelaySeconds]).toBe('2');
    expect(consumer.environment[ConsumerEnv.RetryMaxDelaySeconds]).toBe('90');
  });

  it('a visibility timeout set in the definition is used as given, not recomputed from the timeout', () => {
    const settings = resolvedSettings(false, { timeoutSeconds: 10, visibilityTimeoutSeconds: 900 });
    const stack = newStack();
    const { queue } = rendered(stack, consumerIn(stack, false, settings));
    expect(queue.VisibilityTimeout).toBe(900);
  });
});

describe('wiring mistakes the constructs refuse', () => {
  it('a contract with no version, and a schema ARN for an unknown event type', () => {
    const stack = newStack();
    expect(() => new ContractRegistry(stack, 'Empty', { registryName: 'r', contracts: [{ eventType: 'a.b', compatibility: 'NONE', versionDefinitions: [] }] })).toThrow(
      InfrastructureError,
    );
    const registry = new ContractRegistry(stack, 'One', { registryName: 'r', contracts: [{ eventType: 'a.b', compatibility: 'NONE', versionDefinitions: ['{}'] }] });
    expect(() => registry.schemaArn('c.d')).toThrow(/no contract for event type "c.d" in registry r/);
  });
});
