import { describe, expect, it } from 'vitest';
import { ChangeMessageVisibilityBatchCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { FailureAttribute, failureContextOf } from '../../lambdas/kit/failure-context';
import { delayRetries, sendToDeadLetterQueue, type RetryDelay } from '../../lambdas/kit/sqs-actions';
import { envelope, sqsRecord } from './kit-fakes';

/** An SQS client stub recording commands; `answer` decides each reply. */
function stubSqs(answer: (command: unknown, index: number) => unknown = () => ({})) {
  const sent: unknown[] = [];
  const client = {
    send: async (command: unknown) => {
      sent.push(command);
      const reply = answer(command, sent.length - 1);
      if (reply instanceof Error) throw reply;
      return reply;
    },
  } as unknown as SQSClient;
  return { client, sent };
}

describe('sendToDeadLetterQueue', () => {
  it('sends the original body with the failure context to a standard DLQ', async () => {
    const { client, sent } = stubSqs();
    const event = envelope();
    const record = sqsRecord(event, { messageId: 'm-1' });
    await sendToDeadLetterQueue(client, { queueUrl: 'https://q/dlq', fifo: false }, record, failureContextOf(record, new Error('bad'), 'crm-sync'));
    const command = sent[0] as SendMessageCommand;
    expect(command).toBeInstanceOf(SendMessageCommand);
    expect(command.input.QueueUrl).toBe('https://q/dlq');
    expect(command.input.MessageBody).toBe(record.body);
    expect(command.input.MessageAttributes?.[FailureAttribute.OriginalMessageId]?.StringValue).toBe('m-1');
    expect(command.input.MessageGroupId).toBeUndefined();
    expect(command.input.MessageDeduplicationId).toBeUndefined();
  });

  it('keeps the message group and deduplicates on the source message id for a FIFO DLQ', async () => {
    const { client, sent } = stubSqs();
    const record = sqsRecord(envelope(), { messageId: 'm-2', groupId: 'acct_1' });
    await sendToDeadLetterQueue(client, { queueUrl: 'https://q/dlq.fifo', fifo: true }, record, failureContextOf(record, new Error('bad'), 'billing-sync'));
    expect((sent[0] as SendMessageCommand).input).toMatchObject({ MessageGroupId: 'acct_1', MessageDeduplicationId: 'm-2' });
  });

  it('lets a failed send surface, so the caller keeps the record', async () => {
    const { client } = stubSqs(() => Object.assign(new Error('Service Unavailable'), { name: 'ServiceUnavailable' }));
    const record = sqsRecord(envelope());
    await expect(sendToDeadLetterQueue(client, { queueUrl: 'u', fifo: false }, record, failureContextOf(record, new Error('x'), 'c'))).rejects.toThrow('Service Unavailable');
  });
});

describe('delayRetries', () => {
  const delays: RetryDelay[] = Array.from({ length: 12 }, (_, i) => ({ messageId: `m-${i}`, receiptHandle: `rh-${i}`, delaySeconds: i }));

  it('changes visibility in batches of 10 with safe entry ids', async () => {
    const { client, sent } = stubSqs(() => ({ Successful: [], Failed: [] }));
    expect(await delayRetries(client, 'https://q/main', delays)).toEqual([]);
    expect(sent).toHaveLength(2);
    const first = sent[0] as ChangeMessageVisibilityBatchCommand;
    expect(first).toBeInstanceOf(ChangeMessageVisibilityBatchCommand);
    expect(first.input.Entries).toHaveLength(10);
    expect(first.input.Entries![3]).toEqual({ Id: 'r3', ReceiptHandle: 'rh-3', VisibilityTimeout: 3 });
    expect((sent[1] as ChangeMessageVisibilityBatchCommand).input.Entries!.map((e) => e.Id)).toEqual(['r10', 'r11']);
  });

  it('returns the messages SQS refused or could not be asked about', async () => {
    const { client } = stubSqs((_command, index) =>
      index === 0 ? { Failed: [{ Id: 'r4', Code: 'ReceiptHandleIsInvalid', SenderFault: true }] } : new Error('timeout'),
    );
    expect(await delayRetries(client, 'https://q/main', delays)).toEqual(['m-4', 'm-10', 'm-11']);
  });

  it('makes no call for nothing', async () => {
    const { client, sent } = stubSqs();
    expect(await delayRetries(client, 'u', [])).toEqual([]);
    expect(sent).toEqual([]);
  });
});
