/**
 * What the runner reads back from the emulator at the end of a run: effect logs from a
 * downstream table, and dead-letter queues read without losing anything.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { createPkSkTable, emulatorClientConfig, uniqueName } from '../support/aws';
import { readDeadLetters, readEffects } from '../../local/observe';

let sqs: SQSClient;
let dynamodb: DynamoDBClient;

beforeAll(() => {
  sqs = new SQSClient(emulatorClientConfig());
  dynamodb = new DynamoDBClient(emulatorClientConfig());
});
afterAll(() => {
  sqs.destroy();
  dynamodb.destroy();
});

const failure = (name: string, message: string) => ({
  'fanout-error-name': { DataType: 'String', StringValue: name },
  'fanout-error-message': { DataType: 'String', StringValue: message },
});

describe('readEffects', () => {
  it('returns the effect-log items of the given events only, with their application count and time', async () => {
    const table = uniqueName('downstream');
    await createPkSkTable(dynamodb, table);
    const put = (pk: string, sk: string, extra: Record<string, { N: string } | { S: string }> = {}) =>
      dynamodb.send(new PutItemCommand({ TableName: table, Item: { pk: { S: pk }, sk: { S: sk }, ...extra } }));
    await put('effect#a', 'effect', { applications: { N: '1' }, appliedAt: { S: '2026-11-28T10:00:00.500Z' } });
    await put('effect#b', 'effect', { applications: { N: '2' }, appliedAt: { S: '2026-11-28T10:00:01.000Z' } });
    await put('effect#earlier-run', 'effect', { applications: { N: '1' }, appliedAt: { S: '2026-11-28T09:00:00.000Z' } });
    await put('contact#usr_1', 'state');
    const effects = await readEffects(dynamodb, table, new Set(['a', 'b', 'never-applied']));
    expect(effects).toEqual(
      new Map([
        ['a', { applications: 1, appliedAtMs: Date.parse('2026-11-28T10:00:00.500Z') }],
        ['b', { applications: 2, appliedAtMs: Date.parse('2026-11-28T10:00:01.000Z') }],
      ]),
    );
  });
});

describe('readDeadLetters', () => {
  it('reads every message with its reason and leaves them all in the queue, visible', async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('dlq') }));
    for (const id of ['e1', 'e2', 'e3']) {
      await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: JSON.stringify({ id }), MessageAttributes: failure('ContractViolationError', `bad ${id}`) }));
    }
    // Moved by a redrive policy: no failure attributes.
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: JSON.stringify({ id: 'e4' }) }));
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'not json' }));

    const { letters, unread } = await readDeadLetters(sqs, QueueUrl!);
    expect(unread).toBe(0);
    expect(letters.get('e2')).toEqual({ errorName: 'ContractViolationError', reason: 'ContractViolationError: bad e2' });
    expect(letters.get('e4')).toEqual({});
    expect([...letters.keys()].sort()).toEqual(['e1', 'e2', 'e3', 'e4']);

    const again = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }));
    expect(again.Messages).toHaveLength(5);
  });

  it('counts what a FIFO queue withholds behind a message group being read', async () => {
    const { QueueUrl } = await sqs.send(
      new CreateQueueCommand({ QueueName: `${uniqueName('dlq')}.fifo`, Attributes: { FifoQueue: 'true', ContentBasedDeduplication: 'true' } }),
    );
    // One group of 13: a receive returns at most 10, and the rest of the group is
    // withheld while those are hidden.
    const ids = Array.from({ length: 13 }, (_, i) => `f${i + 1}`);
    for (const id of ids) {
      await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: JSON.stringify({ id }), MessageGroupId: 'g1', MessageAttributes: failure('E', id) }));
    }
    const { letters, unread } = await readDeadLetters(sqs, QueueUrl!);
    expect(unread).toBeGreaterThan(0);
    expect(letters.size + unread).toBe(13);
    // The read ones are the group's first, in order.
    expect([...letters.keys()]).toEqual(ids.slice(0, letters.size));
    // And nothing was lost: the whole group is there to receive again.
    const again = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }));
    expect(again.Messages?.map((m) => (JSON.parse(m.Body!) as { id: string }).id)).toEqual(ids.slice(0, 10));
  });
});
