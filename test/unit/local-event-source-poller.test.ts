/**
 * Error paths of the local event source mapping that the emulator cannot be made to
 * produce on demand: a ReceiveMessage that fails in the middle of a batching window.
 * The SQS client is a stub (unit test of an error path); the happy paths run against
 * the emulator in test/integration/local-event-source.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { EventSourcePoller, type InvocationResult } from '../../local/event-source-poller';

const message = (id: string): Message => ({ MessageId: id, ReceiptHandle: `rh-${id}`, Body: id, Attributes: { ApproximateReceiveCount: '1' } });

describe('EventSourcePoller', () => {
  it('invokes with the messages already gathered when a receive fails mid-window, instead of stranding them', async () => {
    const receives: (() => Message[])[] = [
      () => [message('a'), message('b')],
      () => {
        throw new Error('socket hang up');
      },
    ];
    const deleted: string[] = [];
    const sqs = {
      send: async (command: unknown) => {
        if (command instanceof ReceiveMessageCommand) {
          const next = receives.shift();
          if (next) return { Messages: next() };
          await new Promise((resolve) => setTimeout(resolve, 20));
          return { Messages: [] };
        }
        if (command instanceof DeleteMessageBatchCommand) {
          const entries = command.input.Entries ?? [];
          deleted.push(...entries.map((e) => e.ReceiptHandle!));
          return { Successful: entries.map((e) => ({ Id: e.Id })) };
        }
        throw new Error(`unexpected command ${(command as object).constructor.name}`);
      },
    } as unknown as SQSClient;
    const invoked: string[][] = [];
    const errors: string[] = [];
    const poller = new EventSourcePoller(
      { queueUrl: 'q', queueArn: 'arn:aws:sqs:us-east-1:123456789012:q', region: 'us-east-1', batchSize: 10, maximumBatchingWindowSeconds: 30, maximumConcurrency: 1, reportBatchItemFailures: true, fifo: false },
      sqs,
      {
        invoke: async (event: SQSEvent): Promise<InvocationResult> => {
          invoked.push(event.Records.map((r) => r.messageId));
          return { ok: true, response: { batchItemFailures: [] } };
        },
      },
      { onError: (error) => errors.push(error.message) },
    );
    const startedAt = Date.now();
    poller.start();
    for (const deadline = Date.now() + 5000; deleted.length < 2 && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 10));
    await poller.stop();
    // Well before the 30 s window would have closed: the failure ended the window.
    expect(Date.now() - startedAt).toBeLessThan(5000);
    expect(invoked).toEqual([['a', 'b']]);
    expect(deleted).toEqual(['rh-a', 'rh-b']);
    expect(errors).toEqual(['socket hang up']);
  });
});
