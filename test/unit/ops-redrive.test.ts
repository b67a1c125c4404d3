/**
 * ops/redrive.ts on its own: the move task's outcome as data, and the fall-back to the
 * portable move when the endpoint refuses to start a move task (an answer the emulator
 * gives differently: tested with a stand-in SQS client).
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { redrive, type RedriveRequest } from '../../ops/redrive';

/** An SQS client answering from a table of command name → response (or error). */
function stub(answers: Record<string, (input: Record<string, unknown>) => unknown>) {
  const sent: string[] = [];
  const client = {
    async send(command: { constructor: { name: string }; input: Record<string, unknown> }) {
      const name = command.constructor.name;
      sent.push(name);
      const answer = answers[name];
      if (!answer) throw new Error(`unexpected ${name}`);
      return answer(command.input);
    },
  };
  return { client: client as unknown as SQSClient, sent };
}

const depth = (inFlight: number) => () => ({ Attributes: { ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: String(inFlight), QueueArn: 'arn:dlq' } });
const request: RedriveRequest = {
  from: { url: 'https://sqs/dlq', arn: 'arn:dlq' },
  to: { url: 'https://sqs/q', arn: 'arn:q' },
  kind: 'queue-dlq',
  fifo: false,
  timer: { now: () => 0, sleep: async () => {} },
};

describe('redrive', () => {
  it('falls back to the portable move, and says so once, when the endpoint will not start a move task', async () => {
    const unsupported = Object.assign(new Error('not implemented'), { name: 'UnsupportedOperation' });
    const { client, sent } = stub({
      StartMessageMoveTaskCommand: () => {
        throw unsupported;
      },
      ReceiveMessageCommand: () => ({ Messages: [] }),
      GetQueueAttributesCommand: depth(0),
    });
    let fallbacks = 0;
    const outcome = await redrive(client, { ...request, onFallback: () => fallbacks++ });
    expect(fallbacks).toBe(1);
    expect(outcome).toEqual({ method: 'portable', status: 'COMPLETED', moved: 0, inFlight: 0, failed: [], stoppedBySignal: false });
    expect(sent).toEqual(['StartMessageMoveTaskCommand', 'ReceiveMessageCommand', 'GetQueueAttributesCommand']);
  });

  it('uses only the portable move without a destination ARN (a subscription DLQ)', async () => {
    const { client, sent } = stub({ ReceiveMessageCommand: () => ({ Messages: [] }), GetQueueAttributesCommand: depth(3) });
    const outcome = await redrive(client, { ...request, kind: 'subscription-dlq', to: { url: 'https://sqs/q' } });
    expect(sent).not.toContain('StartMessageMoveTaskCommand');
    // Nothing it could see, three held by someone else: not done.
    expect(outcome).toMatchObject({ method: 'portable', status: 'IN_FLIGHT', inFlight: 3 });
  });

  it('returns a failed move task with SQS’s status and reason', async () => {
    const progress: number[] = [];
    const { client } = stub({
      StartMessageMoveTaskCommand: () => ({ TaskHandle: 't' }),
      ListMessageMoveTasksCommand: () => ({ Results: [{ TaskHandle: 't', Status: 'FAILED', ApproximateNumberOfMessagesMoved: 4, FailureReason: 'AccessDenied' }] }),
    });
    const outcome = await redrive(client, { ...request, onProgress: (n) => progress.push(n) });
    expect(outcome).toEqual({ method: 'move-task', status: 'FAILED', moved: 4, inFlight: 0, failed: [], stoppedBySignal: false, taskStatus: 'FAILED', failureReason: 'AccessDenied' });
    expect(progress).toEqual([4]);
  });
});
