/**
 * Shared set-up of the kit and consumer integration tests: a consumer's world on the
 * emulator (its queue and DLQ, the idempotency table, its downstream table, a Glue
 * registry holding the repository's contracts), and Lambda's event source mapping
 * reduced to what the tests need (receive a batch, invoke, delete what succeeded).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import {
  DynamoDBClient,
  GetItemCommand,
  UpdateTimeToLiveCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { GetSchemaVersionCommand, GlueClient } from '@aws-sdk/client-glue';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
  type Message,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { inject } from 'vitest';
import { createTable } from '../support/dynamodb-tables';
import { ConsumerEnv } from '../../contracts/consumer-environment';
import { createEnvelope, envelopeAttributes, type CloudEvent } from '../../contracts/envelope';
import { loadContractVersions } from '../../contracts/schema-files';
import { toSqsEvent } from '../../local/sqs-event';
import { emulatorClientConfig, TEST_REGION, uniqueName } from '../support/aws';

const SCHEMAS_DIR = join(import.meta.dirname, '../../schemas');

/** Every AWS client a test needs, on the emulator. */
export interface Clients {
  readonly sqs: SQSClient;
  readonly dynamodb: DynamoDBClient;
  readonly glue: GlueClient;
}

/** Clients on the test emulator. */
export function emulatorClients(): Clients {
  const config = emulatorClientConfig();
  return { sqs: new SQSClient(config), dynamodb: new DynamoDBClient(config), glue: new GlueClient(config) };
}

/**
 * The Glue registry holding every contract in schemas/ (schema name = event type,
 * versions in order), as the stack and `fanout contracts register` create it. The
 * integration set-up registers it once for the whole run (moto allows only 10
 * registries), so this checks the event types are there and returns its name.
 */
export async function createContractRegistry(glue: GlueClient, eventTypes: readonly string[]): Promise<string> {
  const registryName = inject('contractRegistryName');
  for (const eventType of eventTypes) {
    const versions = loadContractVersions(SCHEMAS_DIR, eventType);
    await glue.send(
      new GetSchemaVersionCommand({ SchemaId: { RegistryName: registryName, SchemaName: eventType }, SchemaVersionNumber: { VersionNumber: versions.length } }),
    );
  }
  return registryName;
}

/** A consumer's resources on the emulator, and the environment its Lambda would get. */
export interface ConsumerWorld {
  readonly env: Record<string, string>;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly dlqUrl: string;
  readonly idempotencyTable: string;
  readonly downstreamTable: string;
}

/** Options of {@link createConsumerWorld}. */
export interface WorldOptions {
  readonly consumer: string;
  readonly registryName: string;
  readonly fifo?: boolean;
  /** The queue's own visibility timeout, seconds. @default 60 (long, so a backoff shorter than it is visible) */
  readonly visibilityTimeoutSeconds?: number;
  readonly extraEnv?: Record<string, string>;
}


/** Creates a consumer's queue, DLQ, idempotency table and downstream table. */
export async function createConsumerWorld(clients: Clients, options: WorldOptions): Promise<ConsumerWorld> {
  const fifo = options.fifo ?? false;
  const suffix = fifo ? '.fifo' : '';
  const base = uniqueName(options.consumer);
  const fifoAttributes = fifo ? { FifoQueue: 'true' } : {};
  const dlq = await clients.sqs.send(new CreateQueueCommand({ QueueName: `${base}-dlq${suffix}`, Attributes: { ...fifoAttributes } }));
  const dlqArn = (await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl!, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
  const queue = await clients.sqs.send(
    new CreateQueueCommand({
      QueueName: `${base}${suffix}`,
      Attributes: {
        ...fifoAttributes,
        VisibilityTimeout: String(options.visibilityTimeoutSeconds ?? 60),
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 5 }),
      },
    }),
  );
  const queueArn = (await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: queue.QueueUrl!, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
  const idempotencyTable = `${base}-idempotency`;
  const downstreamTable = `${base}-downstream`;
  await createTable(clients.dynamodb, idempotencyTable, ['id']);
  await clients.dynamodb.send(
    new UpdateTimeToLiveCommand({ TableName: idempotencyTable, TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true } }),
  );
  await createTable(clients.dynamodb, downstreamTable, ['pk', 'sk']);
  return {
    queueUrl: queue.QueueUrl!,
    queueArn,
    dlqUrl: dlq.QueueUrl!,
    idempotencyTable,
    downstreamTable,
    env: {
      [ConsumerEnv.ConsumerName]: options.consumer,
      [ConsumerEnv.QueueUrl]: queue.QueueUrl!,
      [ConsumerEnv.DeadLetterQueueUrl]: dlq.QueueUrl!,
      [ConsumerEnv.IdempotencyTableName]: idempotencyTable,
      [ConsumerEnv.IdempotencyExpirySeconds]: String(15 * 24 * 3600),
      [ConsumerEnv.SchemaRegistryName]: options.registryName,
      [ConsumerEnv.DownstreamKind]: 'dynamodb',
      [ConsumerEnv.DownstreamTableName]: downstreamTable,
      [ConsumerEnv.Fifo]: String(fifo),
      POWERTOOLS_SERVICE_NAME: options.consumer,
      POWERTOOLS_METRICS_NAMESPACE: 'Fanout/test',
      ...options.extraEnv,
    },
  };
}

/** An envelope for `type` at contract `version`. */
export function envelopeOf<T>(type: string, version: number, data: T, overrides: Partial<{ id: string; subject: string; time: Date }> = {}): CloudEvent<T> {
  return createEnvelope({
    type,
    version,
    data,
    subject: overrides.subject ?? 'subject-1',
    source: 'urn:fanout:test',
    id: overrides.id ?? randomUUID(),
    correlationId: `corr-${randomUUID()}`,
    ...(overrides.time && { time: overrides.time }),
  });
}

/** Sends an envelope as SNS raw delivery would: body = envelope, attributes mirrored. */
export async function sendEnvelope(sqs: SQSClient, queueUrl: string, event: CloudEvent, fifo?: { groupId: string }): Promise<string> {
  const result = await sqs.send(
    new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: JSON.stringify(event),
      MessageAttributes: envelopeAttributes(event),
      ...(fifo && { MessageGroupId: fifo.groupId, MessageDeduplicationId: randomUUID() }),
    }),
  );
  return result.MessageId!;
}

/** Receives up to `max` messages with every attribute, as the event source mapping does. */
export async function receiveMessages(sqs: SQSClient, queueUrl: string, max = 10, waitSeconds = 0): Promise<Message[]> {
  const result = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: max,
      WaitTimeSeconds: waitSeconds,
      MessageSystemAttributeNames: ['All'],
      MessageAttributeNames: ['All'],
    }),
  );
  return result.Messages ?? [];
}

/** Receives until `count` messages arrived (or the deadline passes). */
export async function receiveAtLeast(sqs: SQSClient, queueUrl: string, count: number, timeoutMs = 10_000): Promise<Message[]> {
  const messages: Message[] = [];
  const deadline = Date.now() + timeoutMs;
  while (messages.length < count && Date.now() < deadline) {
    messages.push(...(await receiveMessages(sqs, queueUrl, Math.min(10, count - messages.length), 1)));
  }
  return messages;
}

/** A Lambda context good enough for the kit (30 s left, as a fresh invocation). */
export function lambdaContext(functionName: string): Context {
  const deadline = Date.now() + 30_000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${TEST_REGION}:123456789012:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'test',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

/** The event for `messages`, shaped exactly as Lambda's SQS event source builds it. */
export function sqsEventOf(messages: readonly Message[], queueArn: string): SQSEvent {
  return toSqsEvent(messages, queueArn, TEST_REGION);
}

/** Deletes the records the handler did not report as failed, as the event source mapping does. */
export async function acknowledge(sqs: SQSClient, queueUrl: string, event: SQSEvent, response: SQSBatchResponse): Promise<void> {
  const failed = new Set(response.batchItemFailures.map((failure) => failure.itemIdentifier));
  const done = event.Records.filter((record) => !failed.has(record.messageId));
  for (let start = 0; start < done.length; start += 10) {
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: done.slice(start, start + 10).map((record, index) => ({ Id: `d${index}`, ReceiptHandle: record.receiptHandle })),
      }),
    );
  }
}

/** Every item of a table (small test tables only). */
export async function scanAll(dynamodb: DynamoDBClient, tableName: string) {
  return (await dynamodb.send(new ScanCommand({ TableName: tableName }))).Items ?? [];
}

/** One item by key, or undefined. */
export async function getItem(dynamodb: DynamoDBClient, tableName: string, pk: string, sk: string) {
  return (await dynamodb.send(new GetItemCommand({ TableName: tableName, Key: { pk: { S: pk }, sk: { S: sk } }, ConsistentRead: true }))).Item;
}

/** A contract example, read from the schema file (so tests stay in step with the contracts). */
export function contractExample<T = Record<string, unknown>>(eventType: string, version: number): T {
  const schema = JSON.parse(readFileSync(join(SCHEMAS_DIR, eventType, `v${version}.json`), 'utf8')) as { examples: T[] };
  return structuredClone(schema.examples[0]!);
}
