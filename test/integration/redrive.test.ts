/**
 * `fanout redrive` against the emulator, which has no SQS move tasks: the portable move
 * puts every message back and loses none, also when it dies half way and runs again;
 * the copy that can then go twice is absorbed by the consumer kit's idempotency.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { CreateTableCommand, DynamoDBClient, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { CreateTopicCommand, PublishCommand, SetSubscriptionAttributesCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient, type Message, type SendMessageBatchCommandInput } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { redriveCommand } from '../../cli/redrive';
import type { RedriveReport } from '../../ops/redrive';
import { createIdempotencyGate } from '../../lambdas/kit/idempotency';
import { Outcome } from '../../lambdas/kit/consumer';
import { dlqCommand } from '../../cli/dlq';
import { envelopeAttributes } from '../../contracts/envelope';
import { failureContextOf, FailureAttribute } from '../../lambdas/kit/failure-context';
import { sendToDeadLetterQueue } from '../../lambdas/kit/sqs-actions';
import type { DeadLetterView } from '../../ops/dead-letters';
import { PROJECT_ROOT } from '../../local/emulator';
import { matchesFilterPolicy } from '../../model/filter-policy';
import { portableMove, SQS_SEND_BATCH_LIMITS } from '../../ops/adapters/sqs-dead-letters';
import { emulatorClientConfig, TEST_REGION, uniqueName } from '../support/aws';
import { captureIo, counts, createConsumerQueues, drain, receiveAll, sendEnvelope, signedUp, writeOutputs } from './ops-world';

const sqs = new SQSClient(emulatorClientConfig());
const sns = new SNSClient(emulatorClientConfig());
const dynamodb = new DynamoDBClient(emulatorClientConfig());
afterAll(() => {
  sqs.destroy();
  sns.destroy();
  dynamodb.destroy();
});

const ids = (messages: { Body?: string }[]) => messages.map((m) => (JSON.parse(m.Body!) as { id: string }).id);

async function fillDlq(dlqUrl: string, n: number, groupId?: string): Promise<string[]> {
  const events = Array.from({ length: n }, (_, i) => signedUp(i));
  for (const event of events) {
    await sendEnvelope(sqs, dlqUrl, event, { [FailureAttribute.ErrorName]: { DataType: 'String', StringValue: 'TransientError' } }, groupId);
  }
  return events.map((e) => e.id);
}

/**
 * Applies every message of the queue through the kit's idempotency gate (Powertools on
 * a DynamoDB table, keyed on the envelope id): how many applied, how many absorbed.
 */
async function applyThroughKit(queueUrl: string): Promise<{ applied: string[]; duplicates: number }> {
  const tableName = uniqueName('idempotency');
  await dynamodb.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
    }),
  );
  await waitUntilTableExists({ client: dynamodb, maxWaitTime: 30 }, { TableName: tableName });
  const gate = createIdempotencyGate({
    persistenceStore: new DynamoDBPersistenceLayer({ tableName, awsSdkV3Client: dynamodb }),
    consumer: 'crm-sync',
    expiresAfterSeconds: 15 * 86_400,
  });
  // As in Lambda: in-progress records expire with the invocation.
  gate.registerContext({ getRemainingTimeInMillis: () => 60_000 } as Context);
  const applied: string[] = [];
  let duplicates = 0;
  for (const message of await receiveAll(sqs, queueUrl)) {
    const id = (JSON.parse(message.Body!) as { id: string }).id;
    const result = await gate.once(id, async () => {
      applied.push(id);
      return Outcome.Applied;
    });
    if (result.duplicate) duplicates += 1;
  }
  return { applied, duplicates };
}

/** A message's attributes as SendMessage takes them (what ReceiveMessage returned, values only). */
function sendable(message: Message): Record<string, { DataType: string; StringValue: string }> {
  return Object.fromEntries(Object.entries(message.MessageAttributes ?? {}).map(([name, v]) => [name, { DataType: v.DataType!, StringValue: v.StringValue! }]));
}

/**
 * The shape SNS writes into a subscription DLQ when the subscription uses raw delivery, as
 * every Fanout subscription does: the raw body (the envelope) with the published message
 * attributes as SQS String attributes, exactly what raw delivery puts on a queue. The
 * emulator never uses subscription DLQs, so the shape is taken from its own raw delivery
 * through a subscription with an attribute filter policy.
 */
async function rawDeliveryShape(events: readonly ReturnType<typeof signedUp>[], filterPolicy: Record<string, unknown>): Promise<Message[]> {
  const topicArn = (await sns.send(new CreateTopicCommand({ Name: uniqueName('user-events') }))).TopicArn!;
  const probeUrl = (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('raw-probe') }))).QueueUrl!;
  const probeArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: probeUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
  const { SubscriptionArn } = await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: probeArn, ReturnSubscriptionArn: true }));
  await sns.send(new SetSubscriptionAttributesCommand({ SubscriptionArn, AttributeName: 'RawMessageDelivery', AttributeValue: 'true' }));
  await sns.send(new SetSubscriptionAttributesCommand({ SubscriptionArn, AttributeName: 'FilterPolicy', AttributeValue: JSON.stringify(filterPolicy) }));
  for (const event of events) {
    await sns.send(new PublishCommand({ TopicArn: topicArn, Message: JSON.stringify(event), MessageAttributes: envelopeAttributes(event) }));
  }
  const delivered: Message[] = [];
  const deadline = Date.now() + 10_000;
  while (delivered.length < events.length && Date.now() < deadline) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: probeUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 300, MessageAttributeNames: ['All'] }),
    );
    delivered.push(...Messages);
  }
  expect(delivered).toHaveLength(events.length);
  // Raw delivery: the body is the envelope itself, not an SNS notification.
  for (const m of delivered) expect(JSON.parse(m.Body!)).not.toHaveProperty('Type');
  return delivered;
}

/** Receives the queue's messages `times` times without deleting them (each failing at once), so SQS counts the receives. */
async function failReceives(queueUrl: string, times: number): Promise<void> {
  for (let i = 0; i < times; i += 1) {
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 0, WaitTimeSeconds: 0 }));
    expect(Messages.length).toBeGreaterThan(0);
  }
}

describe('fanout redrive (portable move)', () => {
  it('dry run moves nothing; a run moves every message back with body and attributes', async () => {
    const q = await createConsumerQueues(sqs, false);
    const { outputsFile, stack } = writeOutputs({ 'crm-sync': q });
    const sent = await fillDlq(q.dlqUrl, 23);

    const dry = captureIo();
    expect(await redriveCommand('crm-sync', { outputsFile, stack, dryRun: true, json: true }, { sqs, io: dry })).toBe(0);
    expect(dry.json<RedriveReport>()).toMatchObject({ status: 'DRY_RUN', method: 'portable', waiting: 23, moved: 0 });
    expect((await counts(sqs, q.dlqUrl)).visible).toBe(23);

    const io = captureIo();
    expect(await redriveCommand('crm-sync', { outputsFile, stack, rate: 50 }, { sqs, io })).toBe(0);
    expect(io.stdout.join('\n')).toContain('Moved 23 messages back');
    // The progress bar went to stderr, ending full.
    expect(io.stderr.join('\n')).toContain('[##############################] 23/23 moved (100%)');
    expect(io.stderr.join('\n')).toContain('no SQS message move tasks: using the portable move');

    expect(await counts(sqs, q.dlqUrl)).toEqual({ visible: 0, inFlight: 0 });
    const back = await receiveAll(sqs, q.queueUrl);
    expect(ids(back).sort()).toEqual([...sent].sort());
    for (const m of back) {
      expect(m.MessageAttributes?.type?.StringValue).toBe('user.signed-up');
      expect(m.MessageAttributes?.correlationid?.StringValue).toMatch(/^corr-/);
    }
  });

  it('respects --rate: 20 messages at 10/s take at least 1 s (the second batch waits for the first to be paid for)', async () => {
    const q = await createConsumerQueues(sqs, false);
    const { outputsFile, stack } = writeOutputs({ 'crm-sync': q });
    await fillDlq(q.dlqUrl, 20);
    const start = Date.now();
    expect(await redriveCommand('crm-sync', { outputsFile, stack, rate: 10 }, { sqs, io: captureIo() })).toBe(0);
    // Two batches of 10: the second may go 1 s after the first (10 at 10/s), so >= 1 s.
    expect(Date.now() - start).toBeGreaterThanOrEqual(1000);
    expect((await counts(sqs, q.queueUrl)).visible).toBe(20);
  });

  it('unwraps SNS notifications from the subscription DLQ to the raw body and attributes', async () => {
    const q = await createConsumerQueues(sqs, false);
    const { outputsFile, stack } = writeOutputs({ 'crm-sync': q });
    const event = signedUp(9);
    const notification = {
      Type: 'Notification',
      MessageId: 'sns-9',
      Message: JSON.stringify(event),
      MessageAttributes: { type: { Type: 'String', Value: event.type }, correlationid: { Type: 'String', Value: event.correlationid }, schemaversion: { Type: 'String', Value: '2' } },
    };
    await sqs.send(new SendMessageCommand({ QueueUrl: q.subscriptionDlqUrl, MessageBody: JSON.stringify(notification) }));
    const io = captureIo();
    expect(await redriveCommand('crm-sync', { outputsFile, stack, subscription: true, json: true }, { sqs, io })).toBe(0);
    expect(io.json<RedriveReport>()).toMatchObject({ status: 'COMPLETED', method: 'portable', moved: 1 });
    const [back] = await receiveAll(sqs, q.queueUrl);
    expect(JSON.parse(back!.Body!)).toEqual(event);
    expect(back!.MessageAttributes?.type).toMatchObject({ DataType: 'String', StringValue: event.type });
    expect(back!.MessageAttributes?.correlationid?.StringValue).toBe(event.correlationid);
    expect(back!.MessageAttributes?.schemaversion?.StringValue).toBe('2');
  });

  it('keeps FIFO message groups and their order', async () => {
    const q = await createConsumerQueues(sqs, true);
    const { outputsFile, stack } = writeOutputs({ 'billing-sync': q });
    const sent = await fillDlq(q.dlqUrl, 12, 'acct-1');
    expect(await redriveCommand('billing-sync', { outputsFile, stack }, { sqs, io: captureIo() })).toBe(0);
    const back = await drain(sqs, q.queueUrl);
    expect(ids(back)).toEqual(sent); // in order, one group
    expect(back.every((m) => m.Attributes?.MessageGroupId === 'acct-1')).toBe(true);
  });

  it('loses nothing when it dies between send and delete, and the copy sent twice is absorbed by the kit’s idempotency', async () => {
    const q = await createConsumerQueues(sqs, false);
    const { outputsFile, stack } = writeOutputs({ 'crm-sync': q });
    const sent = await fillDlq(q.dlqUrl, 30);

    // Crash at the worst moment: the second batch is in the queue but still in the DLQ.
    let batches = 0;
    const crash = portableMove(sqs, {
      from: q.dlqUrl,
      to: q.queueUrl,
      kind: 'queue-dlq',
      fifo: false,
      visibilityTimeoutSeconds: 1,
      afterSend: () => {
        batches += 1;
        if (batches === 2) throw new Error('killed');
      },
    });
    await expect(crash).rejects.toThrow('killed');
    // 10 moved, 10 sent and not deleted (hidden for 1 s), 10 untouched: nothing lost.
    expect((await counts(sqs, q.queueUrl)).visible).toBe(20);
    await new Promise((r) => setTimeout(r, 1500));
    expect((await counts(sqs, q.dlqUrl)).visible).toBe(20);

    // Run again: everything goes, the 10 in-between ones a second time.
    expect(await redriveCommand('crm-sync', { outputsFile, stack }, { sqs, io: captureIo() })).toBe(0);
    expect(await counts(sqs, q.dlqUrl)).toEqual({ visible: 0, inFlight: 0 });
    const { applied, duplicates } = await applyThroughKit(q.queueUrl);
    expect(applied.sort()).toEqual([...sent].sort()); // every event applied exactly once
    expect(duplicates).toBe(10); // the copies sent twice, skipped by idempotency
  });

  it('a killed CLI process (SIGKILL half way) loses nothing; running it again finishes the move', async () => {
    const q = await createConsumerQueues(sqs, false);
    const { outputsFile, stack } = writeOutputs({ 'crm-sync': q });
    const sent = await fillDlq(q.dlqUrl, 60);
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(PROJECT_ROOT, 'bin/fanout.ts'), 'redrive', 'crm-sync', '--outputs-file', outputsFile, '--stack', stack, '--rate', '10', '--visibility-timeout', '2'],
      {
        cwd: PROJECT_ROOT,
        env: { ...process.env, AWS_ENDPOINT_URL: inject('emulatorEndpoint'), AWS_REGION: TEST_REGION, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_PROFILE: '' },
        stdio: 'ignore',
      },
    );
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      // Kill it once it has moved some but far from all (10 a second: ~6 s in total).
      const deadline = Date.now() + 45_000;
      while (Date.now() < deadline && (await counts(sqs, q.queueUrl)).visible < 15) await new Promise((r) => setTimeout(r, 100));
      child.kill('SIGKILL');
      await exited;
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    const queued = (await counts(sqs, q.queueUrl)).visible;
    expect(queued).toBeGreaterThanOrEqual(15);
    expect(queued).toBeLessThan(60);
    await new Promise((r) => setTimeout(r, 2500)); // any message caught between send and delete reappears
    expect(queued + (await counts(sqs, q.dlqUrl)).visible).toBeGreaterThanOrEqual(60);

    expect(await redriveCommand('crm-sync', { outputsFile, stack }, { sqs, io: captureIo() })).toBe(0);
    expect(await counts(sqs, q.dlqUrl)).toEqual({ visible: 0, inFlight: 0 });
    const { applied } = await applyThroughKit(q.queueUrl);
    expect(applied.sort()).toEqual([...sent].sort());
  });

  it('moves large events in requests that fit (by bytes, not 10 at a time), so a DLQ of big events is not stuck', async () => {
    const q = await createConsumerQueues(sqs, false);
    const { outputsFile, stack } = writeOutputs({ 'crm-sync': q });
    // 12 events of ~120 KB. Ten in one SendMessageBatch are ~1.2 MB: over the emulator's
    // 1 MiB request limit (and AWS's 256 KiB before 2025, where ten ~30 KB events were
    // already too many), so a move 10 at a time failed with BatchRequestTooLong every run.
    const sent: string[] = [];
    for (let i = 0; i < 12; i += 1) {
      const event = signedUp(100 + i);
      const big = { ...event, data: { ...(event.data as object), note: `${i}:`.padEnd(120_000, 'x') } };
      await sendEnvelope(sqs, q.dlqUrl, big);
      sent.push(big.id);
    }
    // Every SendMessageBatch the move makes, as sent over HTTP: its entries' sizes.
    const requests: number[][] = [];
    const counted = new SQSClient(emulatorClientConfig());
    counted.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'SendMessageBatchCommand') {
          requests.push((args.input as SendMessageBatchCommandInput).Entries!.map((e) => Buffer.byteLength(e.MessageBody!, 'utf8')));
        }
        return next(args);
      },
      { step: 'initialize', name: 'recordSendMessageBatch' },
    );
    try {
      const io = captureIo();
      expect(await redriveCommand('crm-sync', { outputsFile, stack, json: true }, { sqs: counted, io })).toBe(0);
      expect(io.json<RedriveReport>()).toMatchObject({ status: 'COMPLETED', method: 'portable', moved: 12 });
    } finally {
      counted.destroy();
    }
    expect(await counts(sqs, q.dlqUrl)).toEqual({ visible: 0, inFlight: 0 });
    const back = await receiveAll(sqs, q.queueUrl);
    expect(ids(back).sort()).toEqual([...sent].sort());
    expect(back.every((m) => Buffer.byteLength(m.Body!, 'utf8') > 120_000)).toBe(true);
    // Two ~120 KB events a request: never a third, never over 256 KiB.
    expect(requests.flat()).toHaveLength(12);
    for (const sizes of requests) {
      expect(sizes.length).toBeLessThanOrEqual(2);
      expect(sizes.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(SQS_SEND_BATCH_LIMITS.maxBytes);
    }
  });

  it('puts raw-delivered messages from the subscription DLQ (the shape AWS writes with raw delivery) back on the queue as SNS delivered them', async () => {
    const q = await createConsumerQueues(sqs, false);
    const { outputsFile, stack } = writeOutputs({ 'crm-sync': q });
    const filterPolicy = { type: ['user.signed-up'] };
    const events = [signedUp(31), signedUp(32), signedUp(33)];
    const raw = await rawDeliveryShape(events, filterPolicy);
    // As SNS writes them into the subscription DLQ: body and attributes, nothing else.
    for (const m of raw) await sqs.send(new SendMessageCommand({ QueueUrl: q.subscriptionDlqUrl, MessageBody: m.Body!, MessageAttributes: sendable(m) }));

    const peek = captureIo();
    expect(await dlqCommand('crm-sync', { outputsFile, stack, subscription: true, json: true }, { sqs, io: peek })).toBe(1);
    const views = peek.json<{ messages: DeadLetterView[] }>().messages;
    expect(views.map((v) => v.eventId).sort()).toEqual(events.map((e) => e.id).sort());
    for (const v of views) expect(v.reason).toMatch(/SNS could not deliver it/);

    const io = captureIo();
    expect(await redriveCommand('crm-sync', { outputsFile, stack, subscription: true, json: true }, { sqs, io })).toBe(0);
    expect(io.json<RedriveReport>()).toMatchObject({ status: 'COMPLETED', method: 'portable', moved: 3, failed: [] });
    expect(await counts(sqs, q.subscriptionDlqUrl)).toEqual({ visible: 0, inFlight: 0 });
    const back = await receiveAll(sqs, q.queueUrl);
    expect(back).toHaveLength(3);
    for (const m of back) {
      const original = raw.find((r) => r.Body === m.Body);
      expect(original).toBeDefined(); // the same envelope, byte for byte
      // The same attributes SNS delivered through the filter policy: type, correlationid, schemaversion.
      expect(sendable(m)).toEqual(sendable(original!));
      expect(Object.keys(sendable(m)).sort()).toEqual(['correlationid', 'schemaversion', 'type']);
      expect(matchesFilterPolicy(filterPolicy, 'MessageAttributes', { body: m.Body!, attributes: sendable(m) })).toBe(true);
    }
  });

  it('brings no old failure context back to the queue; failing again and moved by SQS, fanout dlq does not show the old reason', async () => {
    const q = await createConsumerQueues(sqs, false);
    const { outputsFile, stack } = writeOutputs({ 'crm-sync': q });
    const event = signedUp(41);
    // The kit dead-lettered it once, with its failure context.
    const record = {
      messageId: 'orig-41',
      receiptHandle: 'r',
      body: JSON.stringify(event),
      attributes: { ApproximateReceiveCount: '2', SentTimestamp: '1768467600000', SenderId: 's', ApproximateFirstReceiveTimestamp: String(Date.parse('2026-01-15T09:00:01Z')) },
      messageAttributes: Object.fromEntries(
        Object.entries(envelopeAttributes(event)).map(([k, v]) => [k, { stringValue: v.StringValue, dataType: v.DataType, stringListValues: [], binaryListValues: [] }]),
      ),
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:q',
      awsRegion: 'us-east-1',
    };
    const error = Object.assign(new Error('CRM said 422'), { name: 'PermanentDownstreamError' });
    await sendToDeadLetterQueue(sqs, { queueUrl: q.dlqUrl, fifo: false }, record, failureContextOf(record, error, 'crm-sync'));

    expect(await redriveCommand('crm-sync', { outputsFile, stack }, { sqs, io: captureIo() })).toBe(0);
    // Its first receive back on the queue, which fails at once.
    const { Messages: [back] = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: q.queueUrl, VisibilityTimeout: 0, WaitTimeSeconds: 0, MessageAttributeNames: ['All'] }),
    );
    expect(JSON.parse(back!.Body!)).toEqual(event);
    expect(Object.keys(back!.MessageAttributes ?? {}).sort()).toEqual(['correlationid', 'schemaversion', 'type']);

    // It fails again, this time without the kit (say, it times out every time): SQS moves it after 5 receives.
    await failReceives(q.queueUrl, 4);
    await sqs.send(new ReceiveMessageCommand({ QueueUrl: q.queueUrl, WaitTimeSeconds: 0 }));
    expect((await counts(sqs, q.dlqUrl)).visible).toBe(1);
    const io = captureIo();
    expect(await dlqCommand('crm-sync', { outputsFile, stack, json: true }, { sqs, io })).toBe(1);
    const [view] = io.json<{ messages: DeadLetterView[] }>().messages;
    expect(view!.eventId).toBe(event.id);
    // The count shown is the pipeline definition's, not these hand-made queues' 5.
    expect(view!.reason).toMatch(/^moved by SQS after \d+ receives/);
    expect(view!.errorName).toBeUndefined();
    expect(view!.originalMessageId).toBeUndefined();
  });

  it('says messages are still in flight instead of "empty", and exits 1, when the DLQ holds only hidden messages', async () => {
    const q = await createConsumerQueues(sqs, false);
    const { outputsFile, stack } = writeOutputs({ 'crm-sync': q });
    await fillDlq(q.dlqUrl, 3);
    // Someone holds them (another operator's receive, a concurrent redrive).
    expect(await receiveAll(sqs, q.dlqUrl, 60)).toHaveLength(3);
    const text = captureIo();
    expect(await redriveCommand('crm-sync', { outputsFile, stack }, { sqs, io: text })).toBe(1);
    expect(text.stdout.join('\n')).not.toContain('empty');
    expect(text.stdout.join('\n')).toContain('3 messages still in flight in the DLQ');
    const io = captureIo();
    expect(await redriveCommand('crm-sync', { outputsFile, stack, json: true }, { sqs, io })).toBe(1);
    expect(io.json<RedriveReport>()).toMatchObject({ status: 'IN_FLIGHT', moved: 0, inFlight: 3 });
    expect(await counts(sqs, q.dlqUrl)).toEqual({ visible: 0, inFlight: 3 });
  });

  it('moves what is visible but does not report COMPLETED while others are still in flight in the DLQ', async () => {
    const q = await createConsumerQueues(sqs, false);
    const { outputsFile, stack } = writeOutputs({ 'crm-sync': q });
    await fillDlq(q.dlqUrl, 2);
    expect(await receiveAll(sqs, q.dlqUrl, 60)).toHaveLength(2); // held by someone else
    await fillDlq(q.dlqUrl, 4);
    const io = captureIo();
    expect(await redriveCommand('crm-sync', { outputsFile, stack, json: true }, { sqs, io })).toBe(1);
    expect(io.json<RedriveReport>()).toMatchObject({ status: 'IN_FLIGHT', moved: 4, inFlight: 2, failed: [] });
    const text = captureIo();
    await fillDlq(q.dlqUrl, 1);
    expect(await redriveCommand('crm-sync', { outputsFile, stack }, { sqs, io: text })).toBe(1);
    expect(text.stdout.join('\n')).toContain('Moved 1 message back');
    expect(text.stdout.join('\n')).toContain('2 messages still in flight in the DLQ');
    expect((await counts(sqs, q.queueUrl)).visible).toBe(5);
  });

  it('says so and exits 0 when the DLQ is empty; exits 2 on a bad --rate', async () => {
    const q = await createConsumerQueues(sqs, false);
    const { outputsFile, stack } = writeOutputs({ 'crm-sync': q });
    const io = captureIo();
    expect(await redriveCommand('crm-sync', { outputsFile, stack }, { sqs, io })).toBe(0);
    expect(io.stdout.join('\n')).toContain('DLQ is empty');
    expect(await redriveCommand('crm-sync', { outputsFile, stack, rate: 0 }, { sqs, io: captureIo() })).toBe(2);
  });
});
