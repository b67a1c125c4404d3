/**
 * The portable redrive's packing of SendMessageBatch requests (pure), and what it does
 * when SQS refuses an entry of a FIFO group (an error path the emulator cannot produce:
 * tested with a stand-in SQS client).
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { portableMove, redriveBatches, sqsMessageBytes, SQS_SEND_BATCH_LIMITS } from '../../ops/adapters/sqs-dead-letters';
import type { RedriveMessage } from '../../ops/dead-letters';

const entry = (id: string, bodyBytes: number, group?: string) => ({
  id,
  send: { body: 'x'.repeat(bodyBytes), attributes: {}, ...(group !== undefined && { messageGroupId: group }) } satisfies RedriveMessage,
});
const ids = (batches: { id: string }[][]) => batches.map((b) => b.map((e) => e.id));

describe('sqsMessageBytes', () => {
  it('counts the body and each attribute’s name, data type and value, string or binary', () => {
    const message: RedriveMessage = {
      body: 'héllo', // 6 bytes in UTF-8
      attributes: { type: { DataType: 'String', StringValue: 'a.b' }, raw: { DataType: 'Binary', BinaryValue: new Uint8Array(5) } },
    };
    // 6 + (4 + 6 + 3) + (3 + 6 + 5) = 33
    expect(sqsMessageBytes(message)).toBe(33);
  });
});

describe('redriveBatches', () => {
  it('puts small messages 10 to a request', () => {
    const entries = Array.from({ length: 23 }, (_, i) => entry(String(i), 1_000));
    expect(redriveBatches(entries).map((b) => b.length)).toEqual([10, 10, 3]);
  });

  it('splits by bytes: ten 30 KB events are 300 KB, over 256 KiB, so 8 + 2', () => {
    const entries = Array.from({ length: 10 }, (_, i) => entry(String(i), 30_000));
    const batches = redriveBatches(entries);
    // 8 x 30,000 = 240,000 <= 262,144; a 9th would make 270,000.
    expect(batches.map((b) => b.length)).toEqual([8, 2]);
    for (const batch of batches) expect(batch.reduce((s, e) => s + sqsMessageBytes(e.send), 0)).toBeLessThanOrEqual(SQS_SEND_BATCH_LIMITS.maxBytes);
  });

  it('sends a message bigger than the limit alone rather than never', () => {
    expect(ids(redriveBatches([entry('a', 300_000), entry('b', 10)]))).toEqual([['a'], ['b']]);
  });

  it('into a FIFO queue, puts one message of a group per request, in the group’s order', () => {
    const batches = redriveBatches([entry('g1', 10, 'g'), entry('g2', 10, 'g'), entry('h1', 10, 'h'), entry('g3', 10, 'g'), entry('h2', 10, 'h')]);
    expect(ids(batches)).toEqual([
      ['g1', 'h1'],
      ['g2', 'h2'],
      ['g3'],
    ]);
  });
});

describe('portableMove into a FIFO queue when SQS refuses an entry', () => {
  it('holds the rest of that group in the DLQ, behind it, and moves the other groups', async () => {
    const dlq = [
      { MessageId: 'g-1', ReceiptHandle: 'r-g-1', Body: 'g1', Attributes: { MessageGroupId: 'g' } },
      { MessageId: 'g-2', ReceiptHandle: 'r-g-2', Body: 'g2', Attributes: { MessageGroupId: 'g' } },
      { MessageId: 'h-1', ReceiptHandle: 'r-h-1', Body: 'h1', Attributes: { MessageGroupId: 'h' } },
      { MessageId: 'g-3', ReceiptHandle: 'r-g-3', Body: 'g3', Attributes: { MessageGroupId: 'g' } },
    ];
    const sentBodies: string[] = [];
    const deleted: string[] = [];
    let received = false;
    const sqs = {
      async send(command: { constructor: { name: string }; input: any }) {
        switch (command.constructor.name) {
          case 'ReceiveMessageCommand':
            if (received) return { Messages: [] };
            received = true;
            return { Messages: dlq };
          case 'SendMessageBatchCommand': {
            const entries = command.input.Entries as { Id: string; MessageBody: string }[];
            // SQS refuses g1 (say, throttled by KMS); everything else goes.
            const ok = entries.filter((e) => e.MessageBody !== 'g1');
            sentBodies.push(...ok.map((e) => e.MessageBody));
            return {
              Successful: ok.map((e) => ({ Id: e.Id })),
              Failed: entries.filter((e) => e.MessageBody === 'g1').map((e) => ({ Id: e.Id, Code: 'KMS.ThrottlingException', SenderFault: false })),
            };
          }
          case 'DeleteMessageBatchCommand': {
            const entries = command.input.Entries as { Id: string; ReceiptHandle: string }[];
            deleted.push(...entries.map((e) => e.ReceiptHandle));
            return { Successful: entries.map((e) => ({ Id: e.Id })) };
          }
          default:
            throw new Error(`unexpected ${command.constructor.name}`);
        }
      },
    } as unknown as SQSClient;

    const result = await portableMove(sqs, { from: 'dlq', to: 'queue.fifo', kind: 'queue-dlq', fifo: true });
    // g2 and g3 would overtake g1: they stay in the DLQ; h moves.
    expect(sentBodies).toEqual(['h1']);
    expect(deleted).toEqual(['r-h-1']);
    expect(result.moved).toBe(1);
    expect(result.failed).toEqual([
      { messageId: 'g-1', reason: 'send failed: KMS.ThrottlingException' },
      { messageId: 'g-2', reason: 'held behind g-1, an earlier message of its group that was not moved' },
      { messageId: 'g-3', reason: 'held behind g-1, an earlier message of its group that was not moved' },
    ]);
  });
});
