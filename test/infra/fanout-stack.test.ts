/**
 * The sample pipeline's stack, synthesized once with real bundling, asserted property
 * by property (no snapshot): what each construct must get right.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsumerEnv } from '../../contracts/consumer-environment';
import { EXPIRES_AT } from '../../lambdas/downstream/dynamodb-effects';
import { alarmCatalog } from '../../model/alarm-catalog';
import { PROJECT_ROOT } from '../../model/project-root';
import { OutputKey } from '../../model/stack-outputs';
import { asyncApiInput } from '../../cli/asyncapi';
import { buildAsyncApi } from '../../ops/asyncapi';
import { pipeline as samplePipeline } from '../../pipeline';
import { arnOf, jsonSet, refOf, resourcesByAction, roleStatements, synthesize, type Synthesized } from './synth';

let synth: Synthesized;

beforeAll(() => {
  synth = synthesize({ bundle: true, cloudFormationValidation: true });
});
afterAll(() => synth?.dispose());

// Every consumer and topic of the pipeline synthesized (the project's own, which
// `fanout new` adds to): each is held to the same properties, and the counts follow.
const CONSUMERS = samplePipeline.consumers.map((c) => c.name);
const TOPICS = samplePipeline.topics.map((t) => t.name);

function consumer(name: string) {
  const c = synth.stack.consumers.get(name);
  if (!c) throw new Error(`no consumer ${name}`);
  return c;
}
function resolved(name: string) {
  return synth.pipeline.consumers.find((c) => c.name === name)!;
}
function topicOf(consumerName: string) {
  return synth.stack.topics.get(resolved(consumerName).topic)!;
}
function props(logicalId: string) {
  const resource = synth.json.Resources[logicalId];
  if (!resource) throw new Error(`no resource ${logicalId}`);
  return resource.Properties;
}

describe('topics', () => {
  it.each(TOPICS)('%s: encrypted with its own customer-managed key, rotation on', (name) => {
    const topic = synth.stack.topics.get(name)!;
    const keyId = synth.logicalId(topic.key);
    expect(synth.json.Resources[keyId]!.Type).toBe('AWS::KMS::Key');
    expect(props(keyId).EnableKeyRotation).toBe(true);
    expect(props(synth.logicalId(topic.topic)).KmsMasterKeyId).toEqual(arnOf(keyId));
  });

  it.each(TOPICS)('%s: key policy lets SNS (for this topic only) generate data keys and decrypt', (name) => {
    const topic = synth.stack.topics.get(name)!;
    const statements = props(synth.logicalId(topic.key)).KeyPolicy.Statement as any[];
    const sns = statements.filter((s) => s.Principal?.Service === 'sns.amazonaws.com');
    expect(sns).toHaveLength(1);
    expect(sns[0].Effect).toBe('Allow');
    expect([sns[0].Action].flat().sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey*']);
    expect(sns[0].Condition.StringEquals).toEqual({ 'aws:SourceAccount': '123456789012' });
    const sourceArn = JSON.stringify(sns[0].Condition.ArnEquals['aws:SourceArn']);
    const physicalName = props(synth.logicalId(topic.topic)).TopicName as string;
    expect(sourceArn).toContain(`:sns:us-east-1:123456789012:${physicalName}"`);
  });

  it.each(TOPICS)('%s: asyncapi.json names the topic and its queues as the template creates them', async (name) => {
    // ops/asyncapi.ts spells the physical names out for producers; the stack is what creates them.
    const document = buildAsyncApi(await asyncApiInput()) as { channels: Record<string, { bindings: { sns: { name: string } } }>; operations: Record<string, { channel: { $ref: string }; bindings?: { sns: { consumers: { endpoint: { name: string } }[] } } }> };
    const topic = synth.stack.topics.get(name)!;
    expect(document.channels[name]!.bindings.sns.name).toBe(props(synth.logicalId(topic.topic)).TopicName);
    const queueNames = new Set(Object.values(synth.template.findResources('AWS::SQS::Queue')).map((q) => q.Properties.QueueName));
    const operation = Object.values(document.operations).find((o) => o.channel.$ref === `#/channels/${name}`)!;
    for (const subscription of operation.bindings!.sns.consumers) expect(queueNames).toContain(subscription.endpoint.name);
  });

  it('the subscribed queues are encrypted with their topic\'s key', () => {
    for (const name of CONSUMERS) {
      const c = consumer(name);
      const keyArn = arnOf(synth.logicalId(topicOf(name).key));
      for (const queue of [c.queue, c.deadLetterQueue, c.subscriptionDeadLetterQueue]) {
        expect(props(synth.logicalId(queue)).KmsMasterKeyId).toEqual(keyArn);
      }
    }
  });

  it.each(TOPICS)('%s: topic policy denies every request not over TLS', (name) => {
    const topicId = synth.logicalId(synth.stack.topics.get(name)!.topic);
    synth.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [refOf(topicId)],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Principal: '*',
            Resource: refOf(topicId),
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it.each(TOPICS)("%s: topic policy denies publishing to all but the definition's producers", (name) => {
    const topicId = synth.logicalId(synth.stack.topics.get(name)!.topic);
    const roleName = name === 'user-events' ? 'fanout-sample-web-app' : 'fanout-sample-billing';
    synth.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [refOf(topicId)],
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Sid: 'DenyPublishExceptListedProducers',
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: 'sns:Publish',
            Resource: refOf(topicId),
            Condition: { ArnNotLike: { 'aws:PrincipalArn': [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::123456789012:role/${roleName}`]] }] } },
          },
        ]),
      },
    });
  });

  it.each(TOPICS)("%s: topic policy denies subscribing to all but SQS subscriptions of the stack's own queues", (name) => {
    const topicId = synth.logicalId(synth.stack.topics.get(name)!.topic);
    const ownQueues = CONSUMERS.filter((c) => topicOf(c) === synth.stack.topics.get(name)).map((c) => arnOf(synth.logicalId(consumer(c).queue)));
    expect(ownQueues.length).toBeGreaterThan(0);
    synth.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [refOf(topicId)],
      PolicyDocument: {
        Statement: Match.arrayWith([
          { Sid: 'DenySubscribeExceptSqs', Effect: 'Deny', Principal: { AWS: '*' }, Action: 'sns:Subscribe', Resource: refOf(topicId), Condition: { StringNotEquals: { 'sns:Protocol': 'sqs' } } },
          {
            Sid: 'DenySubscribeExceptOwnQueues',
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: 'sns:Subscribe',
            Resource: refOf(topicId),
            Condition: { StringNotEquals: { 'sns:Endpoint': ownQueues } },
          },
        ]),
      },
    });
  });

  it.each(TOPICS)('%s: X-Ray active tracing, and X-Ray lets SNS send segments for it', (name) => {
    const topic = synth.stack.topics.get(name)!;
    const topicId = synth.logicalId(topic.topic);
    expect(props(topicId).TracingConfig).toBe('Active');
    const policies = synth.template.findResources('AWS::XRay::ResourcePolicy');
    expect(Object.keys(policies)).toHaveLength(1);
    const [policyId, policy] = Object.entries(policies)[0]!;
    expect(JSON.stringify(policy.Properties.PolicyDocument)).toContain(`:sns:us-east-1:123456789012:${props(topicId).TopicName}`);
    expect(JSON.stringify(policy.Properties.PolicyDocument)).toContain('\\"Service\\":\\"sns.amazonaws.com\\"');
    // The topic waits for the policy, or its first traces would be refused.
    expect(synth.json.Resources[topicId]!.DependsOn).toContain(policyId);
  });

  it('user-events is a standard topic: no FIFO settings, no archive', () => {
    const p = props(synth.logicalId(synth.stack.topics.get('user-events')!.topic));
    expect(p.TopicName).toBe('fanout-sample-user-events');
    expect(p.FifoTopic).toBeUndefined();
    expect(p.ContentBasedDeduplication).toBeUndefined();
    expect(p.ArchivePolicy).toBeUndefined();
  });

  it('billing-events is FIFO with content-based deduplication and a 7-day archive', () => {
    const p = props(synth.logicalId(synth.stack.topics.get('billing-events')!.topic));
    expect(p.TopicName).toBe('fanout-sample-billing-events.fifo');
    expect(p.FifoTopic).toBe(true);
    expect(p.ContentBasedDeduplication).toBe(true);
    expect(p.ArchivePolicy).toEqual({ MessageRetentionPeriod: 7 });
  });
});

describe.each(CONSUMERS)('consumer %s', (name) => {
  it('queue: visibility timeout from the definition, redrive to its DLQ after maxReceiveCount', () => {
    const c = consumer(name);
    const r = resolved(name);
    const p = props(synth.logicalId(c.queue));
    expect(p.VisibilityTimeout).toBe(r.visibilityTimeoutSeconds);
    expect(p.VisibilityTimeout).toBeGreaterThanOrEqual(6 * r.timeoutSeconds + r.batchingWindowSeconds);
    expect(p.RedrivePolicy).toEqual({ deadLetterTargetArn: arnOf(synth.logicalId(c.deadLetterQueue)), maxReceiveCount: r.maxReceiveCount });
  });

  it('queue: keeps messages 7 days (not SQS\'s 4-day default), less than its DLQ\'s 14, so dead letters, which keep their enqueue time, do not expire at once', () => {
    const c = consumer(name);
    const queueRetention = props(synth.logicalId(c.queue)).MessageRetentionPeriod;
    expect(queueRetention).toBe(7 * 24 * 60 * 60);
    expect(queueRetention).toBeLessThan(props(synth.logicalId(c.deadLetterQueue)).MessageRetentionPeriod);
  });

  it('queue: maxReceiveCount covers the 1 h retry budget, plus the batch size on FIFO (held messages count receives too)', () => {
    const r = resolved(name);
    const redrive = props(synth.logicalId(consumer(name).queue)).RedrivePolicy;
    expect(redrive.maxReceiveCount).toBe(r.fifo ? 49 + r.batchSize : 49);
    if (r.fifo) expect(redrive.maxReceiveCount).toBeGreaterThan(r.batchSize);
  });

  it('DLQ: keeps messages 14 days and allows redrive from its source queue only', () => {
    const c = consumer(name);
    const dlq = props(synth.logicalId(c.deadLetterQueue));
    expect(dlq.MessageRetentionPeriod).toBe(14 * 24 * 60 * 60);
    expect(dlq.RedriveAllowPolicy.redrivePermission).toBe('byQueue');
    expect(dlq.RedriveAllowPolicy.sourceQueueArns).toHaveLength(1);
    const queueName = props(synth.logicalId(c.queue)).QueueName as string;
    expect(JSON.stringify(dlq.RedriveAllowPolicy.sourceQueueArns[0])).toContain(`:sqs:us-east-1:123456789012:${queueName}"`);
  });

  it('subscription DLQ: no queue may make it its DLQ', () => {
    expect(props(synth.logicalId(consumer(name).subscriptionDeadLetterQueue)).RedriveAllowPolicy).toEqual({ redrivePermission: 'denyAll' });
  });

  it('queue, DLQ and subscription DLQ deny requests not over TLS', () => {
    const c = consumer(name);
    for (const queue of [c.queue, c.deadLetterQueue, c.subscriptionDeadLetterQueue]) {
      const id = synth.logicalId(queue);
      synth.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [refOf(id)],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Action: 'sqs:*', Resource: arnOf(id), Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    }
  });

  it('queue, DLQ and subscription DLQ take SQS\'s largest message, 1 MiB, so a near-limit event plus its failure context fits the DLQ', () => {
    const c = consumer(name);
    for (const queue of [c.queue, c.deadLetterQueue, c.subscriptionDeadLetterQueue]) {
      expect(props(synth.logicalId(queue)).MaximumMessageSize).toBe(1_048_576);
    }
  });

  it('FIFO topic gives FIFO queues, a standard topic standard ones', () => {
    const c = consumer(name);
    const fifo = resolved(name).fifo;
    for (const queue of [c.queue, c.deadLetterQueue, c.subscriptionDeadLetterQueue]) {
      const p = props(synth.logicalId(queue));
      expect(p.FifoQueue).toBe(fifo ? true : undefined);
      expect((p.QueueName as string).endsWith('.fifo')).toBe(fifo);
    }
  });

  it('subscription: raw delivery, the filter policy and its scope, and a subscription DLQ', () => {
    const c = consumer(name);
    const r = resolved(name);
    const p = props(synth.logicalId(c.subscription));
    expect(p).toEqual({
      TopicArn: refOf(synth.logicalId(topicOf(name).topic)),
      Protocol: 'sqs',
      Endpoint: arnOf(synth.logicalId(c.queue)),
      RawMessageDelivery: true,
      FilterPolicy: r.filter.policy,
      FilterPolicyScope: r.filter.scope,
      RedrivePolicy: { deadLetterTargetArn: arnOf(synth.logicalId(c.subscriptionDeadLetterQueue)) },
    });
  });

  it('SNS may send into the queue and the subscription DLQ, for its topic only', () => {
    const c = consumer(name);
    const topicRef = refOf(synth.logicalId(topicOf(name).topic));
    for (const queue of [c.queue, c.subscriptionDeadLetterQueue]) {
      const id = synth.logicalId(queue);
      synth.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [refOf(id)],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Allow',
              Principal: { Service: 'sns.amazonaws.com' },
              Action: 'sqs:SendMessage',
              Resource: arnOf(id),
              Condition: { ArnEquals: { 'aws:SourceArn': topicRef } },
            }),
          ]),
        },
      });
    }
    // The subscription DLQ keeps messages as long as the DLQ does.
    expect(props(synth.logicalId(c.subscriptionDeadLetterQueue)).MessageRetentionPeriod).toBe(14 * 24 * 60 * 60);
  });

  it('function: Node.js 24 on arm64, tracing active, timeout and memory from the definition, own log group kept 1 month', () => {
    const c = consumer(name);
    const r = resolved(name);
    const p = props(synth.logicalId(c.function));
    expect(p.Runtime).toBe('nodejs24.x');
    expect(p.Architectures).toEqual(['arm64']);
    expect(p.TracingConfig).toEqual({ Mode: 'Active' });
    expect(p.Timeout).toBe(r.timeoutSeconds);
    expect(p.MemorySize).toBe(r.memoryMiB);
    expect(p.Handler).toBe('index.handler');
    expect(p.Role).toEqual(arnOf(synth.logicalId(c.role)));
    const logGroupId = synth.logicalId(c.logGroup);
    expect(p.LoggingConfig).toEqual({ LogGroup: refOf(logGroupId) });
    expect(props(logGroupId).RetentionInDays).toBe(30);
  });

  it('function environment: exactly the agreed names, resolved to its own resources', () => {
    const c = consumer(name);
    const variables = props(synth.logicalId(c.function)).Environment.Variables;
    expect(variables).toEqual({
      [ConsumerEnv.ConsumerName]: name,
      [ConsumerEnv.QueueUrl]: refOf(synth.logicalId(c.queue)),
      [ConsumerEnv.DeadLetterQueueUrl]: refOf(synth.logicalId(c.deadLetterQueue)),
      [ConsumerEnv.IdempotencyTableName]: refOf(synth.logicalId(synth.stack.idempotencyTable.table)),
      [ConsumerEnv.IdempotencyExpirySeconds]: String(22 * 24 * 60 * 60),
      [ConsumerEnv.SchemaRegistryName]: 'fanout-sample-contracts',
      [ConsumerEnv.DownstreamKind]: 'dynamodb',
      [ConsumerEnv.DownstreamTableName]: refOf(synth.logicalId(synth.stack.downstreamTables.get(name)!.table)),
      [ConsumerEnv.DownstreamRetentionDays]: '90',
      [ConsumerEnv.Fifo]: String(resolved(name).fifo),
      [ConsumerEnv.RetryBaseDelaySeconds]: '10',
      [ConsumerEnv.RetryMaxDelaySeconds]: '300',
      [ConsumerEnv.RetryBudgetSeconds]: '3600',
      [ConsumerEnv.MaxReceiveCount]: String(resolved(name).maxReceiveCount),
      POWERTOOLS_SERVICE_NAME: name,
      POWERTOOLS_METRICS_NAMESPACE: 'Fanout/fanout-sample',
    });
  });

  it('event source mapping: batch item failures, batch size, window, maximum concurrency', () => {
    const c = consumer(name);
    const r = resolved(name);
    const p = props(synth.logicalId(c.eventSourceMapping));
    expect(p.EventSourceArn).toEqual(arnOf(synth.logicalId(c.queue)));
    expect(p.FunctionName).toEqual(refOf(synth.logicalId(c.function)));
    expect(p.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    expect(p.BatchSize).toBe(r.batchSize);
    expect(p.ScalingConfig).toEqual({ MaximumConcurrency: r.maxConcurrency });
    // Lambda accepts no batching window on FIFO queues.
    expect(p.MaximumBatchingWindowInSeconds).toBe(r.fifo ? undefined : r.batchingWindowSeconds);
  });

  it("its resources carry its owner's team and contact as tags", () => {
    const c = consumer(name);
    const owner = resolved(name).owner!;
    for (const resource of [c.queue, c.deadLetterQueue, c.subscriptionDeadLetterQueue, c.function, c.role]) {
      const tags = props(synth.logicalId(resource)).Tags as { Key: string; Value: string }[];
      expect(tags).toEqual(expect.arrayContaining([{ Key: 'fanout:owner-team', Value: owner.team }, { Key: 'fanout:owner-contact', Value: owner.contact }]));
    }
  });

  it("the function reserves the mapping's maximum concurrency, so other functions cannot throttle it into the DLQ", () => {
    const c = consumer(name);
    expect(props(synth.logicalId(c.function)).ReservedConcurrentExecutions).toBe(resolved(name).maxConcurrency);
    expect(props(synth.logicalId(c.function)).ReservedConcurrentExecutions).toBeGreaterThanOrEqual(props(synth.logicalId(c.eventSourceMapping)).ScalingConfig.MaximumConcurrency);
  });

  it('bundle: minified ESM with the require shim and the AWS SDK inside', () => {
    const c = consumer(name);
    const metadata = synth.json.Resources[synth.logicalId(c.function)]!.Metadata;
    expect(metadata['aws:asset:is-bundled']).toBe(true);
    const file = join(synth.outdir, metadata['aws:asset:path'], 'index.mjs');
    expect(existsSync(file)).toBe(true);
    const code = readFileSync(file, 'utf8');
    expect(code.startsWith("import { createRequire as __fanoutCreateRequire } from 'node:module';const require = __fanoutCreateRequire(import.meta.url);")).toBe(true);
    // Bundled, not imported from the runtime's copy.
    expect(code).not.toMatch(/from\s*["']@aws-sdk\//);
    expect(code).toContain('GetSchemaVersion');
    expect(code).toMatch(/export\s*\{[^}]*\bhandler\b/);
    // Minified: a ~570 kB bundle on a few dozen lines.
    expect(code.length).toBeGreaterThan(50_000);
    expect(code.split('\n').length).toBeLessThan(code.length / 2000);
  });
});

describe('least privilege', () => {
  it.each(CONSUMERS)('%s: each action only on its own resources, no wildcard but X-Ray', (name) => {
    const c = consumer(name);
    const statements = roleStatements(synth, synth.logicalId(c.role));
    const byAction = resourcesByAction(statements);

    for (const statement of statements) {
      for (const action of statement.actions) expect(action, 'wildcard action').not.toContain('*');
      if (statement.resources.includes('*')) {
        expect(statement.actions.sort()).toEqual(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
      }
    }

    const queue = arnOf(synth.logicalId(c.queue));
    const dlq = arnOf(synth.logicalId(c.deadLetterQueue));
    const topicKey = arnOf(synth.logicalId(topicOf(name).key));
    const idempotency = arnOf(synth.logicalId(synth.stack.idempotencyTable.table));
    const downstream = arnOf(synth.logicalId(synth.stack.downstreamTables.get(name)!.table));
    const registry = arnOf(synth.logicalId(synth.stack.contracts.registry));
    const schemas = resolved(name).eventTypes.map((e) => arnOf(synth.logicalId(synth.stack.contracts.schemas.get(e)!)));

    const expected: Record<string, string[]> = {
      'sqs:ReceiveMessage': jsonSet(queue),
      'sqs:DeleteMessage': jsonSet(queue),
      'sqs:ChangeMessageVisibility': jsonSet(queue),
      'sqs:GetQueueAttributes': jsonSet(queue),
      'sqs:SendMessage': jsonSet(dlq),
      'kms:Decrypt': jsonSet(topicKey),
      'kms:GenerateDataKey': jsonSet(topicKey),
      // Powertools idempotency: claim (Put), complete (Update), release (Delete), read back (Get).
      'dynamodb:GetItem': jsonSet(idempotency),
      'dynamodb:PutItem': jsonSet(idempotency),
      'dynamodb:UpdateItem': jsonSet(idempotency, downstream),
      'dynamodb:DeleteItem': jsonSet(idempotency),
      // The kit resolves the version the envelope names; it never asks for the latest (GetSchema).
      'glue:GetSchemaVersion': jsonSet(registry, ...schemas),
      'logs:CreateLogStream': jsonSet(arnOf(synth.logicalId(c.logGroup))),
      'logs:PutLogEvents': jsonSet(arnOf(synth.logicalId(c.logGroup))),
      'xray:PutTraceSegments': jsonSet('*'),
      'xray:PutTelemetryRecords': jsonSet('*'),
    };
    expect(Object.fromEntries(byAction)).toEqual(expected);
  });

  it('email-marketing may read user.signed-up only, not user.profile-updated', () => {
    const byAction = resourcesByAction(roleStatements(synth, synth.logicalId(consumer('email-marketing').role)));
    const profileUpdated = JSON.stringify(arnOf(synth.logicalId(synth.stack.contracts.schemas.get('user.profile-updated')!)));
    expect(byAction.get('glue:GetSchemaVersion')).not.toContain(profileUpdated);
  });

  it('no role carries a managed policy (no AWSLambdaBasicExecutionRole on every log group)', () => {
    for (const role of Object.values(synth.template.findResources('AWS::IAM::Role'))) {
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
      expect(role.Properties.AssumeRolePolicyDocument.Statement[0].Principal).toEqual({ Service: 'lambda.amazonaws.com' });
    }
  });
});

describe('tables', () => {
  it('idempotency table: pk id, TTL expiration, on-demand, PITR, encrypted', () => {
    const p = props(synth.logicalId(synth.stack.idempotencyTable.table));
    expect(p.KeySchema).toEqual([{ AttributeName: 'id', KeyType: 'HASH' }]);
    expect(p.AttributeDefinitions).toEqual([{ AttributeName: 'id', AttributeType: 'S' }]);
    expect(p.TimeToLiveSpecification).toEqual({ AttributeName: 'expiration', Enabled: true });
    expect(p.BillingMode).toBe('PAY_PER_REQUEST');
    expect(p.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(p.SSESpecification).toEqual({ SSEEnabled: true });
  });

  it.each(CONSUMERS)('%s: own downstream table, pk/sk strings, on-demand, PITR, encrypted', (name) => {
    const p = props(synth.logicalId(synth.stack.downstreamTables.get(name)!.table));
    expect(p.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    expect(p.AttributeDefinitions).toEqual([
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
    ]);
    expect(p.BillingMode).toBe('PAY_PER_REQUEST');
    expect(p.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(p.SSESpecification).toEqual({ SSEEnabled: true });
  });

  it.each(CONSUMERS)("%s: its downstream items expire by TTL after the definition's retention", (name) => {
    expect(props(synth.logicalId(synth.stack.downstreamTables.get(name)!.table)).TimeToLiveSpecification).toEqual({ AttributeName: EXPIRES_AT, Enabled: true });
    expect(props(synth.logicalId(consumer(name).function)).Environment.Variables[ConsumerEnv.DownstreamRetentionDays]).toBe('90');
  });

  it('the idempotency table has a fixed name, so a re-created stack meets the retained one', () => {
    expect(props(synth.logicalId(synth.stack.idempotencyTable.table)).TableName).toBe('fanout-sample-idempotency');
  });

  it('every table has deletion protection and is kept when the stack is deleted', () => {
    const tables = synth.template.findResources('AWS::DynamoDB::Table');
    expect(Object.keys(tables)).toHaveLength(CONSUMERS.length + 1);
    for (const [id, table] of Object.entries(tables)) {
      expect({ id, protection: table.Properties.DeletionProtectionEnabled, policy: table.DeletionPolicy }).toEqual({ id, protection: true, policy: 'Retain' });
    }
  });

  it('one downstream table per consumer plus the idempotency table', () => {
    synth.template.resourceCountIs('AWS::DynamoDB::Table', CONSUMERS.length + 1);
  });
});

describe('contracts', () => {
  const schemaFile = (eventType: string, version: number) => readFileSync(join(PROJECT_ROOT, 'schemas', eventType, `v${version}.json`), 'utf8');

  it('one registry named after the pipeline', () => {
    synth.template.resourceCountIs('AWS::Glue::Registry', 1);
    synth.template.hasResourceProperties('AWS::Glue::Registry', { Name: 'fanout-sample-contracts' });
  });

  it.each(['user.signed-up', 'user.profile-updated', 'subscription.changed'])('%s: JSON schema, BACKWARD, v1 from schemas/', (eventType) => {
    const p = props(synth.logicalId(synth.stack.contracts.schemas.get(eventType)!));
    expect(p).toEqual({
      Name: eventType,
      Registry: { Arn: arnOf(synth.logicalId(synth.stack.contracts.registry)) },
      DataFormat: 'JSON',
      Compatibility: 'BACKWARD',
      SchemaDefinition: schemaFile(eventType, 1),
      Description: expect.any(String),
    });
  });

  it('user.signed-up v2 is a schema version registered after its schema', () => {
    synth.template.resourceCountIs('AWS::Glue::SchemaVersion', 1);
    const schemaId = synth.logicalId(synth.stack.contracts.schemas.get('user.signed-up')!);
    const [version] = synth.stack.contracts.laterVersions.get('user.signed-up')!;
    const resource = synth.json.Resources[synth.logicalId(version!)]!;
    expect(resource.Properties).toEqual({ Schema: { SchemaArn: arnOf(schemaId) }, SchemaDefinition: schemaFile('user.signed-up', 2) });
    expect(resource.DependsOn).toContain(schemaId);
  });
});

describe('monitoring', () => {
  const alarmsByName = () =>
    new Map(Object.values(synth.template.findResources('AWS::CloudWatch::Alarm')).map((a) => [a.Properties.AlarmName as string, a.Properties]));

  it('seven alarms per consumer and four per topic, as the catalog says', () => {
    const specs = alarmCatalog(synth.pipeline);
    expect(specs).toHaveLength(7 * CONSUMERS.length + 4 * TOPICS.length);
    synth.template.resourceCountIs('AWS::CloudWatch::Alarm', specs.length);
    const alarms = alarmsByName();
    for (const spec of specs) {
      const alarm = alarms.get(spec.alarmName);
      expect(alarm, spec.alarmName).toBeDefined();
      expect(alarm!.Namespace).toBe(spec.metric.namespace);
      expect(alarm!.MetricName).toBe(spec.metric.metricName);
      expect(alarm!.Threshold).toBe(spec.threshold);
      expect(alarm!.ComparisonOperator).toBe(spec.comparison);
      expect(alarm!.Period).toBe(spec.metric.periodSeconds);
      expect(alarm!.EvaluationPeriods).toBe(spec.evaluationPeriods);
      expect(alarm!.TreatMissingData).toBe('notBreaching');
    }
  });

  it('every alarm acts on the alarm topic, page alarms on the page topic too, on alarm and on recovery', () => {
    const alarmTopic = refOf(synth.logicalId(synth.stack.monitoring.alarmTopic));
    const pageTopic = refOf(synth.logicalId(synth.stack.monitoring.pageTopic));
    const severity = new Map(synth.stack.alarmSpecs.map((s) => [s.alarmName, s.severity]));
    for (const [name, alarm] of alarmsByName()) {
      const expected = severity.get(name) === 'page' ? [alarmTopic, pageTopic] : [alarmTopic];
      expect({ name, actions: alarm.AlarmActions, ok: alarm.OKActions }).toEqual({ name, actions: expected, ok: expected });
    }
    expect([...severity.values()].filter((s) => s === 'page')).toHaveLength(CONSUMERS.length * 2 + TOPICS.length * 4);
  });

  it('every description says what it means and ends with its runbook link', () => {
    for (const [name, alarm] of alarmsByName()) {
      const anchor = name.replace(/^fanout-sample-/, '');
      expect(alarm.AlarmDescription).toMatch(new RegExp(`^.{40,}\\. Runbook: RUNBOOK\\.md#${anchor}$`));
    }
  });

  it.each(CONSUMERS)('%s: each alarm watches the right resource', (name) => {
    const c = consumer(name);
    const alarms = alarmsByName();
    const dimension = (kind: string) => alarms.get(`fanout-sample-${name}-${kind}`)!.Dimensions;
    const queueName = (q: typeof c.queue) => [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [synth.logicalId(q), 'QueueName'] } }];
    expect(dimension('dlq-depth')).toEqual(queueName(c.deadLetterQueue));
    expect(dimension('subscription-dlq-depth')).toEqual(queueName(c.subscriptionDeadLetterQueue));
    expect(dimension('oldest-message-age')).toEqual(queueName(c.queue));
    expect(dimension('queue-depth')).toEqual(queueName(c.queue));
    for (const kind of ['function-errors', 'function-throttles', 'function-duration']) {
      expect(dimension(kind)).toEqual([{ Name: 'FunctionName', Value: refOf(synth.logicalId(c.function)) }]);
    }
  });

  it('thresholds of the sample (worked out by hand from the definition)', () => {
    const alarms = alarmsByName();
    const alarm = (id: string) => alarms.get(`fanout-sample-${id}`)!;
    // DLQs: one message is one too many.
    expect(alarm('crm-sync-dlq-depth')).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', Statistic: 'Maximum' });
    expect(alarm('billing-sync-subscription-dlq-depth')).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
    // Age above the tightest SLA of its event types: crm-sync handles 60 s and 120 s events.
    expect(alarm('crm-sync-oldest-message-age')).toMatchObject({ MetricName: 'ApproximateAgeOfOldestMessage', Threshold: 60, ComparisonOperator: 'GreaterThanThreshold' });
    // Depth above peak x SLA: (50 + 20)/s x 60 s; 50/s x 60 s; 5/s x 60 s.
    expect(alarm('crm-sync-queue-depth').Threshold).toBe(4200);
    expect(alarm('email-marketing-queue-depth').Threshold).toBe(3000);
    expect(alarm('billing-sync-queue-depth').Threshold).toBe(300);
    // p99 duration above 80% of the 30 s timeout.
    expect(alarm('crm-sync-function-duration')).toMatchObject({ ExtendedStatistic: 'p99', Threshold: 24_000, ComparisonOperator: 'GreaterThanThreshold' });
    expect(alarm('crm-sync-function-errors')).toMatchObject({ MetricName: 'Errors', Statistic: 'Sum', Threshold: 1 });
    expect(alarm('crm-sync-function-throttles')).toMatchObject({ MetricName: 'Throttles', Statistic: 'Sum', Threshold: 1 });
  });

  it.each(TOPICS)('%s: NumberOfNotificationsFailed alarm on the topic', (name) => {
    const topic = synth.stack.topics.get(name)!;
    expect(alarmsByName().get(`fanout-sample-${name}-notifications-failed`)).toMatchObject({
      Namespace: 'AWS/SNS',
      MetricName: 'NumberOfNotificationsFailed',
      Statistic: 'Sum',
      Threshold: 1,
      Dimensions: [{ Name: 'TopicName', Value: { 'Fn::GetAtt': [synth.logicalId(topic.topic), 'TopicName'] } }],
    });
  });

  it('the sample names no on-call target, so synth warns that alarms page nobody, and nothing subscribes', () => {
    const warnings = Annotations.fromStack(synth.stack).findWarning('*', Match.stringLikeRegexp('pages anyone'));
    expect(warnings).toHaveLength(1);
    expect(String(warnings[0]!.entry.data)).toContain('onCall.page');
    const subscriptions = Object.values(synth.template.findResources('AWS::SNS::Subscription')).map((r) => r.Properties.Protocol);
    expect(subscriptions.every((p) => p === 'sqs')).toBe(true);
  });

  it('alarm topic: own rotating key CloudWatch may use, TLS-only, CloudWatch may publish', () => {
    const monitoring = synth.stack.monitoring;
    const topicId = synth.logicalId(monitoring.alarmTopic);
    const keyId = synth.logicalId(monitoring.alarmTopicKey);
    expect(props(topicId).KmsMasterKeyId).toEqual(arnOf(keyId));
    expect(props(keyId).EnableKeyRotation).toBe(true);
    const cloudwatch = (props(keyId).KeyPolicy.Statement as any[]).filter((s) => s.Principal?.Service === 'cloudwatch.amazonaws.com');
    expect(cloudwatch).toHaveLength(1);
    expect(cloudwatch[0].Effect).toBe('Allow');
    expect([cloudwatch[0].Action].flat().sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey*']);
    // This pipeline's alarms only, not every alarm of the account (confused deputy).
    const ownAlarms = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':cloudwatch:us-east-1:123456789012:alarm:fanout-sample-*']] };
    // The key by account only (KMS may not see the alarm's ARN); the topics by this pipeline's alarms.
    expect(cloudwatch[0].Condition).toEqual({ StringEquals: { 'aws:SourceAccount': '123456789012' } });
    expect(props(synth.logicalId(monitoring.pageTopic)).KmsMasterKeyId).toEqual(arnOf(keyId));
    for (const id of [topicId, synth.logicalId(monitoring.pageTopic)]) {
      synth.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        Topics: [refOf(id)],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
            Match.objectLike({
              Effect: 'Allow',
              Principal: { Service: 'cloudwatch.amazonaws.com' },
              Action: 'sns:Publish',
              Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' }, ArnLike: { 'aws:SourceArn': ownAlarms } },
            }),
          ]),
        },
      });
    }
  });

  it('one dashboard showing every topic, queue, DLQ, function and the kit metrics', () => {
    const dashboards = Object.values(synth.template.findResources('AWS::CloudWatch::Dashboard'));
    expect(dashboards).toHaveLength(1);
    expect(dashboards[0]!.Properties.DashboardName).toBe('fanout-sample');
    // The body is a Fn::Join of JSON text and references: references become {{LogicalId.Attr}}.
    const [, parts] = dashboards[0]!.Properties.DashboardBody['Fn::Join'] as [string, unknown[]];
    const text = parts
      .map((part) => {
        if (typeof part === 'string') return part;
        const p = part as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
        return p.Ref ? `{{${p.Ref}}}` : `{{${p['Fn::GetAtt']![0]}.${p['Fn::GetAtt']![1]}}}`;
      })
      .join('');
    const widgets = JSON.parse(text).widgets as { type: string; properties: { title?: string; metrics?: unknown[][]; alarms?: string[] } }[];
    const metricsOf = (title: string) => {
      const widget = widgets.find((w) => w.properties.title === title);
      expect(widget, title).toBeDefined();
      return JSON.stringify(widget!.properties.metrics);
    };
    for (const name of TOPICS) {
      const topic = synth.logicalId(synth.stack.topics.get(name)!.topic);
      expect(metricsOf(`Topic ${name}: published, delivered, failed`)).toContain(`{{${topic}.TopicName}}`);
    }
    for (const name of CONSUMERS) {
      const c = consumer(name);
      expect(metricsOf(`${name}: backlog`)).toContain(`{{${synth.logicalId(c.queue)}.QueueName}}`);
      expect(metricsOf(`${name}: dead-letter queues`)).toContain(`{{${synth.logicalId(c.deadLetterQueue)}.QueueName}}`);
      expect(metricsOf(`${name}: dead-letter queues`)).toContain(`{{${synth.logicalId(c.subscriptionDeadLetterQueue)}.QueueName}}`);
      expect(metricsOf(`${name}: function`)).toContain(`{{${synth.logicalId(c.function)}}}`);
      // The kit's own EMF metrics, found by Powertools' `service` dimension.
      const outcomes = JSON.parse(metricsOf(`${name}: outcomes per minute (processed, duplicate, stale, failures)`));
      expect(outcomes[0][0].expression).toBe(`SEARCH('{"Fanout/fanout-sample",service} service="${name}" NOT MetricName="EndToEndLatency"', 'Sum', 60)`);
      const latency = JSON.parse(metricsOf(`${name}: end-to-end latency p95 (ms)`));
      expect(latency[0][0].expression).toBe(`SEARCH('{"Fanout/fanout-sample",service} service="${name}" MetricName="EndToEndLatency"', 'p95', 60)`);
    }
    // The alarm status widget lists every alarm.
    const statusWidget = widgets.find((w) => w.type === 'alarm')!;
    expect(statusWidget.properties.alarms!.sort()).toEqual([...synth.stack.monitoring.alarms.values()].map((a) => `{{${synth.logicalId(a)}.Arn}}`).sort());
  });
});

describe('template validity', () => {
  it("the CDK's built-in CloudFormation validation finds nothing (schema, best practices)", () => {
    const report = JSON.parse(readFileSync(join(synth.outdir, 'validation-report.json'), 'utf8'));
    const findings = (report.pluginReports as any[]).flatMap((p) => (p.violations ?? []).map((v: any) => `${p.pluginName}: ${v.ruleName} ${v.description}`));
    expect(findings).toEqual([]);
  });
});

describe('stack outputs', () => {
  it('one output for every OutputKey, pointing at the right resource', () => {
    const o = synth.json.Outputs;
    const value = (key: string) => {
      expect(o[key], `output ${key}`).toBeDefined();
      return o[key].Value;
    };
    for (const name of TOPICS) expect(value(OutputKey.topicArn(name))).toEqual(refOf(synth.logicalId(synth.stack.topics.get(name)!.topic)));
    for (const name of CONSUMERS) {
      const c = consumer(name);
      expect(value(OutputKey.queueUrl(name))).toEqual(refOf(synth.logicalId(c.queue)));
      expect(value(OutputKey.queueArn(name))).toEqual(arnOf(synth.logicalId(c.queue)));
      expect(value(OutputKey.dlqUrl(name))).toEqual(refOf(synth.logicalId(c.deadLetterQueue)));
      expect(value(OutputKey.dlqArn(name))).toEqual(arnOf(synth.logicalId(c.deadLetterQueue)));
      expect(value(OutputKey.subscriptionDlqUrl(name))).toEqual(refOf(synth.logicalId(c.subscriptionDeadLetterQueue)));
      expect(value(OutputKey.subscriptionArn(name))).toEqual(refOf(synth.logicalId(c.subscription)));
      expect(value(OutputKey.functionName(name))).toEqual(refOf(synth.logicalId(c.function)));
      expect(value(OutputKey.eventSourceMappingId(name))).toEqual(refOf(synth.logicalId(c.eventSourceMapping)));
      expect(value(OutputKey.downstreamTableName(name))).toEqual(refOf(synth.logicalId(synth.stack.downstreamTables.get(name)!.table)));
    }
    expect(value(OutputKey.idempotencyTableName())).toEqual(refOf(synth.logicalId(synth.stack.idempotencyTable.table)));
    expect(value(OutputKey.schemaRegistryName())).toBe('fanout-sample-contracts');
    expect(value(OutputKey.alarmTopicArn())).toEqual(refOf(synth.logicalId(synth.stack.monitoring.alarmTopic)));
    expect(value(OutputKey.pageTopicArn())).toEqual(refOf(synth.logicalId(synth.stack.monitoring.pageTopic)));
    expect(value(OutputKey.dashboardName())).toEqual(refOf(synth.logicalId(synth.stack.monitoring.dashboard)));
    // Nothing else: every output is one of the agreed keys.
    expect(Object.keys(o)).toHaveLength(TOPICS.length + 9 * CONSUMERS.length + 5);
  });
});
