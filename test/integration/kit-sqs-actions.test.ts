/**
 * The kit's two SQS adapters against the emulator: a permanently failed record parked in
 * the DLQ (standard and FIFO) and the backoff of failed records (ChangeMessageVisibilityBatch).
 * Their error paths are unit tests (test/unit/kit-sqs-actions.test.ts).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { FailureAttribute } from '../../contracts/failure-context';
import { failureContextOf } from '../../lambdas/kit/failure-context';
import { delayRetries, sendToDeadLetterQueue } from '../../lambdas/kit/sqs-actions';
import { emulatorClientConfig, uniqueName } from '../support/aws';
import { contractExample, envelopeOf, receiveAtLeast, receiveMessages, sendEnvelope, sqsEventOf } from './kit-harness';

/** An SQS client that records the name of every command it sends (one per HTTP request). */
function countingSqs() {
  const sqs = new SQSClient(emulatorClientConfig());
  const commands: string[] = [];
  sqs.middlewareStack.add(
    (next, context) => async (args) => {
      commands.push(context.commandName ?? 'unknown');
      return next(args);
    },
    { step: 'deserialize', name: 'countSqsRequests' },
  );
  return { sqs, commands };
}

const { sqs, commands } = countingSqs();
afterAll(() => sqs.destroy());

async function createQueue(fifo = false): Promise<{ url: string; arn: string }> {
  const name = `${uniqueName('kit-sqs')}${fifo ? '.fifo' : ''}`;
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: { ...(fifo && { FifoQueue: 'true' }), VisibilityTimeout: '60' } }));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: QueueUrl!, AttributeNames: ['QueueArn'] }));
  return { url: QueueUrl!, arn: Attributes!.QueueArn! };
}

/** Delivers `count` envelopes through `queue` and returns them as Lambda's records. */
async function delivered(queue: { url: string; arn: string }, count: number, fifo?: { groupId: string }): Promise<SQSRecord[]> {
  for (let i = 0; i < count; i += 1) {
    await sendEnvelope(sqs, queue.url, envelopeOf('user.signed-up', 2, contractExample('user.signed-up', 2), { id: randomUUID() }), fifo);
  }
  const messages = await receiveAtLeast(sqs, queue.url, count);
  expect(messages).toHaveLength(count);
  return sqsEventOf(messages, queue.arn).Records;
}

describe('sendToDeadLetterQueue on the emulator', () => {
  it('parks the record in a standard DLQ with its body unchanged and the failure context', async () => {
    const source = await createQueue();
    const dlq = await createQueue();
    const [record] = await delivered(source, 1);
    await sendToDeadLetterQueue(sqs, { queueUrl: dlq.url, fifo: false }, record!, failureContextOf(record!, new Error('bad'), 'crm-sync'));

    const [parked] = await receiveAtLeast(sqs, dlq.url, 1);
    expect(parked?.Body).toBe(record!.body);
    const attributes = parked!.MessageAttributes!;
    expect(attributes[FailureAttribute.OriginalMessageId]?.StringValue).toBe(record!.messageId);
    expect(attributes[FailureAttribute.Consumer]?.StringValue).toBe('crm-sync');
    expect(attributes[FailureAttribute.ErrorMessage]?.StringValue).toBe('bad');
    // The event's own attributes travel along.
    expect(attributes.type?.StringValue).toBe('user.signed-up');
  });

  it('keeps the message group in a FIFO DLQ and sends a repeated failure only once', async () => {
    const source = await createQueue(true);
    const dlq = await createQueue(true);
    const [record] = await delivered(source, 1, { groupId: 'acct_1' });
    const failure = failureContextOf(record!, new Error('bad'), 'billing-sync');
    await sendToDeadLetterQueue(sqs, { queueUrl: dlq.url, fifo: true }, record!, failure);
    // A retried invocation parks the same record again: deduplicated on its message id.
    await sendToDeadLetterQueue(sqs, { queueUrl: dlq.url, fifo: true }, record!, failure);

    const parked = await receiveAtLeast(sqs, dlq.url, 2, 3_000);
    expect(parked).toHaveLength(1);
    expect(parked[0]!.Attributes?.MessageGroupId).toBe('acct_1');
    expect(parked[0]!.Body).toBe(record!.body);
  });
});

describe('delayRetries on the emulator', () => {
  it('sets each failed record’s own visibility, ten records a call', async () => {
    const queue = await createQueue();
    const records = await delivered(queue, 12);
    // Two records retry at once, the other ten wait 30 s.
    const delays = records.map((record, i) => ({ messageId: record.messageId, receiptHandle: record.receiptHandle, delaySeconds: i === 3 || i === 11 ? 0 : 30 }));
    commands.length = 0;
    expect(await delayRetries(sqs, queue.url, delays)).toEqual([]);
    expect(commands).toEqual(['ChangeMessageVisibilityBatchCommand', 'ChangeMessageVisibilityBatchCommand']);

    const again = await receiveMessages(sqs, queue.url, 10, 1);
    expect(again.map((m) => m.MessageId).sort()).toEqual([records[3]!.messageId, records[11]!.messageId].sort());
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queue.url, AttributeNames: ['ApproximateNumberOfMessagesNotVisible'] }));
    // The ten delayed ones, plus the two just received again.
    expect(Attributes?.ApproximateNumberOfMessagesNotVisible).toBe('12');
  });

  it('makes no call for nothing', async () => {
    commands.length = 0;
    expect(await delayRetries(sqs, 'https://sqs.invalid/000000000000/none', [])).toEqual([]);
    expect(commands).toEqual([]);
  });

  it('reports a record whose receipt handle SQS no longer accepts', async () => {
    const queue = await createQueue();
    const [record] = await delivered(queue, 1);
    const stale = { messageId: record!.messageId, receiptHandle: 'not-a-receipt-handle', delaySeconds: 5 };
    const fine = { messageId: 'ok', receiptHandle: record!.receiptHandle, delaySeconds: 5 };
    expect(await delayRetries(sqs, queue.url, [stale, fine])).toEqual([record!.messageId]);
  });
});
