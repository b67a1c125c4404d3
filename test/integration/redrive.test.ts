/**
 * `fanout redrive` against the emulator, which has no SQS move tasks: the portable move
 * puts every message back and loses none, also when it dies half way and runs again;
 * the copy that can then go twice is absorbed by the consumer kit's idempotency.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { CreateTableCommand, DynamoDBClient, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { SendMessageCommand, SQSClient, type SendMessageBatchCommandInput } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { redriveCommand, type RedriveReport } from '../../cli/redrive';
import { createIdempotencyGate } from '../../lambdas/kit/idempotency';
import { Outcome } from '../../lambdas/kit/consumer';
import { FailureAttribute } from '../../lambdas/kit/failure-context';
import { PROJECT_ROOT } from '../../local/emulator';
import { portableMove, SQS_SEND_BATCH_LIMITS } from '../../ops/adapters/sqs-dead-letters';
import { emulatorClientConfig, TEST_REGION, uniqueName } from '../support/aws';
import { captureIo, counts, createConsumerQueues, drain, receiveAll, sendEnvelope, signedUp, writeOutputs } from './ops-world';

const sqs = new SQSClient(emulatorClientConfig());
const dynamodb = new DynamoDBClient(emulatorClientConfig());
afterAll(() => {
  sqs.destroy();
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

  it('says so and exits 0 when the DLQ is empty; exits 2 on a bad --rate', async () => {
    const q = await createConsumerQueues(sqs, false);
    const { outputsFile, stack } = writeOutputs({ 'crm-sync': q });
    const io = captureIo();
    expect(await redriveCommand('crm-sync', { outputsFile, stack }, { sqs, io })).toBe(0);
    expect(io.stdout.join('\n')).toContain('DLQ is empty');
    expect(await redriveCommand('crm-sync', { outputsFile, stack, rate: 0 }, { sqs, io: captureIo() })).toBe(2);
  });
});
