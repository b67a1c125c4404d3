/**
 * `fanout dlq` against the emulator: counts and shows the failure context of
 * dead-lettered messages, and leaves every one of them in the DLQ, visible.
 */
import { SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { afterAll, describe, expect, it } from 'vitest';
import { dlqCommand } from '../../cli/dlq';
import { sendToDeadLetterQueue } from '../../lambdas/kit/sqs-actions';
import { failureContextOf } from '../../lambdas/kit/failure-context';
import { envelopeAttributes } from '../../contracts/envelope';
import type { DeadLetterView } from '../../ops/dead-letters';
import { emulatorClientConfig } from '../support/aws';
import { captureIo, counts, createConsumerQueues, receiveAll, signedUp, writeOutputs } from './ops-world';

const sqs = new SQSClient(emulatorClientConfig());
afterAll(() => sqs.destroy());

/** A Lambda SQS record of `event` as the consumer's queue delivered it on its 3rd try. */
function record(event: ReturnType<typeof signedUp>, messageId: string): SQSRecord {
  const attributes = envelopeAttributes(event);
  return {
    messageId,
    receiptHandle: 'r',
    body: JSON.stringify(event),
    attributes: {
      ApproximateReceiveCount: '3',
      SentTimestamp: '1768467600000',
      SenderId: 's',
      ApproximateFirstReceiveTimestamp: String(Date.parse('2026-01-15T09:00:01Z')),
    },
    messageAttributes: Object.fromEntries(
      Object.entries(attributes).map(([k, v]) => [k, { stringValue: v.StringValue, dataType: v.DataType, stringListValues: [], binaryListValues: [] }]),
    ),
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:q',
    awsRegion: 'us-east-1',
  };
}

type DlqJson = { visible: number; inFlight: number; messages: (DeadLetterView & { body: string })[] };

describe('fanout dlq', () => {
  it('shows count and failure context of dead letters without consuming them', async () => {
    const q = await createConsumerQueues(sqs, false);
    const { outputsFile, stack } = writeOutputs({ 'crm-sync': q });
    const events = [signedUp(1), signedUp(2), signedUp(3)];
    // Parked by the consumer kit itself, with its failure-context attributes.
    for (const [i, event] of events.entries()) {
      const r = record(event, `orig-${i}`);
      const error = Object.assign(new Error(`data violates the contract #${i}`), { name: 'ContractViolationError' });
      await sendToDeadLetterQueue(sqs, { queueUrl: q.dlqUrl, fifo: false }, r, failureContextOf(r, error, 'crm-sync'));
    }
    // And one moved by SQS after maxReceiveCount: no context of the kit's.
    await sqs.send(new SendMessageCommand({ QueueUrl: q.dlqUrl, MessageBody: 'not an envelope' }));

    const io = captureIo();
    const code = await dlqCommand('crm-sync', { outputsFile, stack, peek: 10, json: true }, { sqs, io });
    expect(code).toBe(1); // messages wait: a problem
    const out = io.json<DlqJson>();
    expect(out.visible).toBe(4);
    expect(out.messages).toHaveLength(4);
    for (const [i, event] of events.entries()) {
      const view = out.messages.find((m) => m.eventId === event.id)!;
      expect(view.reason).toBe(`ContractViolationError: data violates the contract #${i}`);
      expect(view.correlationId).toBe(event.correlationid);
      expect(view.receiveCount).toBe(3);
      expect(view.firstSeen).toBe('2026-01-15T09:00:01.000Z');
      expect(view.originalMessageId).toBe(`orig-${i}`);
    }
    const moved = out.messages.find((m) => m.eventId === undefined)!;
    // The count is the pipeline definition's maxReceiveCount (derived from the retry budget), not these hand-made queues' 5.
    expect(moved.reason).toMatch(/moved by SQS after \d+ receives/);

    // Still there, and visible at once (not hidden for a visibility timeout).
    expect(await counts(sqs, q.dlqUrl)).toEqual({ visible: 4, inFlight: 0 });
    const again = await receiveAll(sqs, q.dlqUrl);
    expect(new Set(again.map((m) => m.MessageId))).toEqual(new Set(out.messages.map((m) => m.messageId)));
  });

  it('peeks beyond one receive (25 messages) and still consumes none', async () => {
    const q = await createConsumerQueues(sqs, false);
    const { outputsFile, stack } = writeOutputs({ 'crm-sync': q });
    for (let i = 0; i < 25; i += 1) await sqs.send(new SendMessageCommand({ QueueUrl: q.dlqUrl, MessageBody: JSON.stringify(signedUp(i)) }));
    const io = captureIo();
    expect(await dlqCommand('crm-sync', { outputsFile, stack, peek: 25, json: true }, { sqs, io })).toBe(1);
    const out = io.json<DlqJson>();
    expect(new Set(out.messages.map((m) => m.messageId)).size).toBe(25);
    expect(await counts(sqs, q.dlqUrl)).toEqual({ visible: 25, inFlight: 0 });
  });

  it('unwraps SNS notifications in the subscription DLQ and prints text', async () => {
    const q = await createConsumerQueues(sqs, false);
    const { outputsFile, stack } = writeOutputs({ 'crm-sync': q });
    const event = signedUp(7);
    const notification = {
      Type: 'Notification',
      MessageId: 'sns-1',
      TopicArn: 'arn:aws:sns:us-east-1:123456789012:t',
      Message: JSON.stringify(event),
      MessageAttributes: { correlationid: { Type: 'String', Value: event.correlationid }, type: { Type: 'String', Value: event.type } },
    };
    await sqs.send(new SendMessageCommand({ QueueUrl: q.subscriptionDlqUrl, MessageBody: JSON.stringify(notification) }));
    const io = captureIo();
    expect(await dlqCommand('crm-sync', { outputsFile, stack, subscription: true }, { sqs, io })).toBe(1);
    const text = io.stdout.join('\n');
    expect(text).toContain('crm-sync subscription DLQ: 1 message waiting');
    expect(text).toContain('SNS could not deliver it');
    expect(text).toContain(`correlation id: ${event.correlationid}`);
    expect(text).toContain(`id=${event.id}`);
    expect(await counts(sqs, q.subscriptionDlqUrl)).toEqual({ visible: 1, inFlight: 0 });
  });

  it('does not call a DLQ empty whose messages are all in flight (held by another receive): exits 1 and says so', async () => {
    const q = await createConsumerQueues(sqs, false);
    const { outputsFile, stack } = writeOutputs({ 'crm-sync': q });
    await sqs.send(new SendMessageCommand({ QueueUrl: q.dlqUrl, MessageBody: JSON.stringify(signedUp(8)) }));
    await sqs.send(new SendMessageCommand({ QueueUrl: q.dlqUrl, MessageBody: JSON.stringify(signedUp(9)) }));
    expect(await receiveAll(sqs, q.dlqUrl, 60)).toHaveLength(2); // say, a concurrent redrive
    const io = captureIo();
    expect(await dlqCommand('crm-sync', { outputsFile, stack }, { sqs, io })).toBe(1);
    const text = io.stdout.join('\n');
    expect(text).toContain('0 messages waiting, 2 in flight');
    expect(text).toContain('not empty: 2 held by another receive');
  });

  it('exits 0 on an empty DLQ and 2 on an unknown consumer or a missing outputs file', async () => {
    const q = await createConsumerQueues(sqs, false);
    const { outputsFile, stack } = writeOutputs({ 'crm-sync': q });
    const io = captureIo();
    expect(await dlqCommand('crm-sync', { outputsFile, stack }, { sqs, io })).toBe(0);
    expect(io.stdout.join('\n')).toContain('0 messages waiting');
    const bad = captureIo();
    expect(await dlqCommand('no-such-consumer', { outputsFile, stack }, { sqs, io: bad })).toBe(2);
    expect(bad.stderr.join('\n')).toContain('its consumers are: crm-sync, email-marketing, billing-sync');
    expect(await dlqCommand('crm-sync', { outputsFile: '/nonexistent/outputs.json', stack }, { sqs, io: captureIo() })).toBe(2);
  });
});
