/**
 * The constructs are not tied to the sample: a pipeline with an HTTP downstream, a
 * batching window, its own timeouts, a FIFO topic without archive and a contract with
 * three versions gets each setting where it belongs.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsumerEnv } from '../../contracts/consumer-environment';
import { PROJECT_ROOT } from '../../lib/fanout-stack';
import type { PipelineDefinition } from '../../model/pipeline-definition';
import { OutputKey } from '../../model/stack-outputs';
import { arnOf, jsonSet, refOf, resourcesByAction, roleStatements, synthesize, type Synthesized } from './synth';

const definition: PipelineDefinition = {
  name: 'variants',
  topics: [{ name: 'orders' }, { name: 'ledger', fifo: true }],
  eventTypes: [
    { name: 'order.placed', topic: 'orders', peakEventsPerSecond: 10, latencySlaP95Seconds: 30, compatibility: 'FULL' },
    { name: 'ledger.posted', topic: 'ledger', contract: 'subscription.changed', peakEventsPerSecond: 1, latencySlaP95Seconds: 300 },
  ],
  consumers: [
    {
      name: 'webhook',
      description: 'Posts orders to a partner API.',
      topic: 'orders',
      eventTypes: ['order.placed'],
      batchSize: 50,
      batchingWindowSeconds: 5,
      maxConcurrency: 5,
      // The smallest budget its 200 s visibility timeout allows needs 14 receives; 20 adds margin.
      retryBudgetSeconds: 200,
      maxReceiveCount: 20,
      timeoutSeconds: 10,
      memoryMiB: 512,
      visibilityTimeoutSeconds: 200,
      entry: 'lambdas/consumers/crm-sync/handler.ts',
      downstream: { kind: 'http', url: 'https://partner.example.com/hooks', timeoutMs: 2500 },
    },
    {
      name: 'ledger-sync',
      description: 'Keeps the ledger in order.',
      topic: 'ledger',
      eventTypes: ['ledger.posted'],
      batchSize: 5,
      entry: 'lambdas/consumers/billing-sync/handler.ts',
    },
  ],
  // This account already lets SNS send segments to X-Ray, and has too little concurrency to reserve.
  createXRayResourcePolicy: false,
  reserveConcurrency: false,
  onCall: {
    page: [{ email: 'oncall@example.com' }],
    warn: [{ https: 'https://alerts.example.com/fanout' }, { topicArn: 'arn:aws:sns:eu-west-1:210987654321:chatbot-alerts' }],
  },
};

const schema = (version: number) =>
  JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', title: `OrderPlaced v${version}`, type: 'object', properties: { orderId: { type: 'string' } } }, null, 2);

let schemasDir: string;
let synth: Synthesized;

beforeAll(() => {
  schemasDir = mkdtempSync(join(tmpdir(), 'fanout-schemas-'));
  cpSync(join(PROJECT_ROOT, 'schemas'), schemasDir, { recursive: true });
  // This variant's own order.placed contract, three versions, whatever the project's schemas/ hold under that name.
  rmSync(join(schemasDir, 'order.placed'), { recursive: true, force: true });
  mkdirSync(join(schemasDir, 'order.placed'));
  for (const version of [1, 2, 3]) writeFileSync(join(schemasDir, 'order.placed', `v${version}.json`), schema(version));
  synth = synthesize({ definition, schemasDir, env: { account: '210987654321', region: 'eu-west-1' } });
});
afterAll(() => {
  rmSync(schemasDir, { recursive: true, force: true });
  synth?.dispose();
});

const props = (id: string) => synth.json.Resources[id]!.Properties;

describe('a consumer with an HTTP downstream and its own settings', () => {
  it('gets the URL and timeout in its environment and no downstream table', () => {
    const webhook = synth.stack.consumers.get('webhook')!;
    const variables = props(synth.logicalId(webhook.function)).Environment.Variables;
    expect(variables[ConsumerEnv.DownstreamKind]).toBe('http');
    expect(variables[ConsumerEnv.DownstreamUrl]).toBe('https://partner.example.com/hooks');
    expect(variables[ConsumerEnv.DownstreamTimeoutMs]).toBe('2500');
    expect(variables[ConsumerEnv.DownstreamTableName]).toBeUndefined();
    expect(variables.POWERTOOLS_METRICS_NAMESPACE).toBe('Fanout/variants');
    expect(synth.stack.downstreamTables.has('webhook')).toBe(false);
    expect(synth.json.Outputs[OutputKey.downstreamTableName('webhook')]).toBeUndefined();
    // The idempotency table plus ledger-sync's downstream table.
    synth.template.resourceCountIs('AWS::DynamoDB::Table', 2);
  });

  it('may use the idempotency table but no downstream table', () => {
    const webhook = synth.stack.consumers.get('webhook')!;
    const byAction = resourcesByAction(roleStatements(synth, synth.logicalId(webhook.role)));
    const idempotency = arnOf(synth.logicalId(synth.stack.idempotencyTable.table));
    for (const action of ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem']) {
      expect(byAction.get(action)).toEqual(jsonSet(idempotency));
    }
    expect(byAction.has('dynamodb:ConditionCheckItem')).toBe(false);
  });

  it('takes batch size, window, concurrency, receive count, timeout, memory and visibility from the definition', () => {
    const webhook = synth.stack.consumers.get('webhook')!;
    expect(props(synth.logicalId(webhook.eventSourceMapping))).toMatchObject({
      BatchSize: 50,
      MaximumBatchingWindowInSeconds: 5,
      ScalingConfig: { MaximumConcurrency: 5 },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    expect(props(synth.logicalId(webhook.function))).toMatchObject({ Timeout: 10, MemorySize: 512 });
    expect(props(synth.logicalId(webhook.queue))).toMatchObject({ VisibilityTimeout: 200, RedrivePolicy: { maxReceiveCount: 20 } });
    // The default attribute filter on the event types it handles.
    expect(props(synth.logicalId(webhook.subscription))).toMatchObject({ FilterPolicy: { type: ['order.placed'] }, FilterPolicyScope: 'MessageAttributes' });
  });

  it("alarms follow its settings: 10/s x 30 s, 80% of 10 s", () => {
    const alarms = Object.values(synth.template.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);
    const alarm = (name: string) => alarms.find((a) => a.AlarmName === name)!;
    expect(alarm('variants-webhook-queue-depth').Threshold).toBe(300);
    expect(alarm('variants-webhook-oldest-message-age').Threshold).toBe(30);
    expect(alarm('variants-webhook-function-duration').Threshold).toBe(8000);
    expect(alarm('variants-webhook-dlq-depth').AlarmDescription).toMatch(/retry budget \(200 s from its first try.*was received 20 times.* Runbook: RUNBOOK\.md#webhook-dlq-depth$/);
  });
});

describe('a FIFO topic without archive', () => {
  it('is FIFO with deduplication, no archive policy, and FIFO queues', () => {
    const ledger = synth.stack.topics.get('ledger')!;
    const p = props(synth.logicalId(ledger.topic));
    expect(p).toMatchObject({ TopicName: 'variants-ledger.fifo', FifoTopic: true, ContentBasedDeduplication: true });
    expect(p.ArchivePolicy).toBeUndefined();
    const consumer = synth.stack.consumers.get('ledger-sync')!;
    expect(props(synth.logicalId(consumer.queue)).QueueName).toBe('variants-ledger-sync.fifo');
    expect(props(synth.logicalId(consumer.deadLetterQueue)).QueueName).toBe('variants-ledger-sync-dlq.fifo');
    expect(props(synth.logicalId(consumer.subscriptionDeadLetterQueue)).QueueName).toBe('variants-ledger-sync-subscription-dlq.fifo');
    expect(props(synth.logicalId(consumer.eventSourceMapping)).MaximumBatchingWindowInSeconds).toBeUndefined();
  });

  it('uses the account and region it is given in the ARNs it builds', () => {
    const ledger = synth.stack.topics.get('ledger')!;
    expect(JSON.stringify(props(synth.logicalId(ledger.key)).KeyPolicy)).toContain(':sns:eu-west-1:210987654321:variants-ledger.fifo');
  });
});

describe('topics that list no publishers', () => {
  it('warn at synth, once per topic, naming the topic and the field to set', () => {
    const warnings = Annotations.fromStack(synth.stack).findWarning('*', Match.stringLikeRegexp('lists no publishers'));
    expect(warnings.map((w) => String(w.entry.data).match(/^Topic (\S+)/)?.[1]).sort()).toEqual(['ledger', 'orders']);
    expect(String(warnings[0]!.entry.data)).toContain('topics[].publishers');
  });

  it('still keep other accounts from publishing', () => {
    const topicId = synth.logicalId(synth.stack.topics.get('orders')!.topic);
    synth.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [refOf(topicId)],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Sid: 'DenyPublishExceptListedProducers', Effect: 'Deny', Action: 'sns:Publish', Condition: { StringNotEquals: { 'aws:PrincipalAccount': ['210987654321'] } } }),
        ]),
      },
    });
  });
});

describe('an account that already has an X-Ray resource policy for SNS', () => {
  it('gets none from the stack, and the topics still trace', () => {
    synth.template.resourceCountIs('AWS::XRay::ResourcePolicy', 0);
    for (const topic of synth.stack.topics.values()) expect(props(synth.logicalId(topic.topic)).TracingConfig).toBe('Active');
  });
});

describe('an account with too little concurrency to reserve', () => {
  it('reserves none', () => {
    for (const c of synth.stack.consumers.values()) expect(props(synth.logicalId(c.function)).ReservedConcurrentExecutions).toBeUndefined();
  });
});

describe('on-call targets', () => {
  const alarmTopic = () => refOf(synth.logicalId(synth.stack.monitoring.alarmTopic));
  const pageAlarms = () => synth.stack.alarmSpecs.filter((a) => a.severity === 'page');

  it('page targets receive only the alarms that mean events are parked or lost', () => {
    expect(new Set(pageAlarms().map((a) => a.kind))).toEqual(new Set(['dlq-depth', 'subscription-dlq-depth', 'notifications-failed', 'filtered-no-attributes', 'filtered-invalid-attributes', 'failed-to-redrive-to-dlq']));
    const pageTopic = refOf(synth.logicalId(synth.stack.monitoring.pageTopic));
    const email = synth.template.findResources('AWS::SNS::Subscription', { Properties: { Protocol: 'email' } });
    expect(Object.values(email).map((r) => r.Properties)).toEqual([{ TopicArn: pageTopic, Protocol: 'email', Endpoint: 'oncall@example.com' }]);
    const alarms = synth.template.findResources('AWS::CloudWatch::Alarm');
    const pageNames = new Set(pageAlarms().map((a) => a.alarmName));
    for (const alarm of Object.values(alarms)) {
      expect(alarm.Properties.AlarmActions.some((a: unknown) => JSON.stringify(a) === JSON.stringify(pageTopic))).toBe(pageNames.has(alarm.Properties.AlarmName));
    }
  });

  it('warn targets receive every alarm: an HTTPS subscription without a filter, an existing topic as an action of each alarm', () => {
    const https = synth.template.findResources('AWS::SNS::Subscription', { Properties: { Protocol: 'https' } });
    expect(Object.values(https).map((r) => r.Properties)).toEqual([{ TopicArn: alarmTopic(), Protocol: 'https', Endpoint: 'https://alerts.example.com/fanout' }]);
    const alarms = synth.template.findResources('AWS::CloudWatch::Alarm');
    expect(Object.keys(alarms)).toHaveLength(synth.stack.alarmSpecs.length);
    for (const alarm of Object.values(alarms)) {
      expect(alarm.Properties.AlarmActions).toContain('arn:aws:sns:eu-west-1:210987654321:chatbot-alerts');
      expect(alarm.Properties.OKActions).toContain('arn:aws:sns:eu-west-1:210987654321:chatbot-alerts');
    }
  });

  it('no warning that alarms page nobody', () => {
    expect(Annotations.fromStack(synth.stack).findWarning('*', Match.stringLikeRegexp('pages anyone'))).toEqual([]);
  });
});

describe('a contract with three versions', () => {
  it('registers v2 after v1 and v3 after v2, with its compatibility mode', () => {
    const contracts = synth.stack.contracts;
    const schemaId = synth.logicalId(contracts.schemas.get('order.placed')!);
    expect(props(schemaId)).toMatchObject({ Name: 'order.placed', Compatibility: 'FULL', DataFormat: 'JSON', SchemaDefinition: schema(1) });
    const [v2, v3] = contracts.laterVersions.get('order.placed')!.map((v) => synth.logicalId(v));
    expect(props(v2!)).toEqual({ Schema: { SchemaArn: arnOf(schemaId) }, SchemaDefinition: schema(2) });
    expect(props(v3!)).toEqual({ Schema: { SchemaArn: arnOf(schemaId) }, SchemaDefinition: schema(3) });
    expect(synth.json.Resources[v2!]!.DependsOn).toEqual([schemaId]);
    expect(synth.json.Resources[v3!]!.DependsOn).toEqual([v2]);
  });

  it('an event type whose contract folder differs from its name is registered under its own name', () => {
    const ledger = synth.stack.contracts.schemas.get('ledger.posted')!;
    expect(props(synth.logicalId(ledger)).Name).toBe('ledger.posted');
    expect(synth.json.Outputs[OutputKey.schemaRegistryName()].Value).toBe('variants-contracts');
    expect(synth.json.Outputs[OutputKey.topicArn('ledger')].Value).toEqual(refOf(synth.logicalId(synth.stack.topics.get('ledger')!.topic)));
  });
});

describe('cdk-nag AwsSolutions', () => {
  it('finds nothing unacknowledged in this pipeline either', () => {
    const report = new AwsSolutionsChecks(undefined).validateScope(synth.app);
    expect(report.violations.map((v) => v.ruleName)).toEqual([]);
  });
});
