/**
 * The kit's SQS adapters on their error paths, with a stubbed client (what the emulator
 * cannot be made to do on demand). Their happy paths run against the emulator in
 * test/integration/kit-sqs-actions.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { failureContextOf } from '../../lambdas/kit/failure-context';
import { delayRetries, sendToDeadLetterQueue, type RetryDelay } from '../../lambdas/kit/sqs-actions';
import { envelope, sqsRecord } from './kit-fakes';

/** An SQS client stub failing as `answer` says. */
function failingSqs(answer: (index: number) => unknown) {
  let calls = 0;
  const client = {
    send: async () => {
      const reply = answer(calls++);
      if (reply instanceof Error) throw reply;
      return reply;
    },
  } as unknown as SQSClient;
  return client;
}

describe('sendToDeadLetterQueue (error paths)', () => {
  it('lets a failed send surface, so the caller keeps the record', async () => {
    const client = failingSqs(() => Object.assign(new Error('Service Unavailable'), { name: 'ServiceUnavailable' }));
    const record = sqsRecord(envelope());
    await expect(sendToDeadLetterQueue(client, { queueUrl: 'u', fifo: false }, record, failureContextOf(record, new Error('x'), 'c'))).rejects.toThrow('Service Unavailable');
  });
});

describe('delayRetries (error paths)', () => {
  const delays: RetryDelay[] = Array.from({ length: 12 }, (_, i) => ({ messageId: `m-${i}`, receiptHandle: `rh-${i}`, delaySeconds: i }));

  it('returns the messages SQS refused or could not be asked about', async () => {
    const client = failingSqs((index) => (index === 0 ? { Failed: [{ Id: 'r4', Code: 'ReceiptHandleIsInvalid', SenderFault: true }] } : new Error('timeout')));
    expect(await delayRetries(client, 'https://q/main', delays)).toEqual(['m-4', 'm-10', 'm-11']);
  });
});
