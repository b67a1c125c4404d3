/**
 * Shared set-up of the operating-command integration tests (dlq, redrive, status,
 * replay): one consumer's queues on the emulator, created by hand with the stack's
 * wiring (DLQ after maxReceiveCount, a subscription DLQ), and an outputs file in the
 * shape `cdk deploy --outputs-file` writes, under a stack name of the test's own.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { CreateQueueCommand, DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import { createEnvelope, envelopeAttributes, type CloudEvent } from '../../contracts/envelope';
import { OutputKey } from '../../model/stack-outputs';
import type { CommandIo } from '../../ops/command-output';
import { uniqueName } from '../support/aws';

/** A consumer's queues on the emulator. */
export interface ConsumerQueues {
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly dlqUrl: string;
  readonly dlqArn: string;
  readonly subscriptionDlqUrl: string;
}

async function arnOf(sqs: SQSClient, queueUrl: string): Promise<string> {
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
  return Attributes!.QueueArn!;
}

/** Creates a queue, its DLQ (after 5 receives) and a subscription DLQ. */
export async function createConsumerQueues(sqs: SQSClient, fifo: boolean): Promise<ConsumerQueues> {
  const base = uniqueName('ops');
  const suffix = fifo ? '.fifo' : '';
  const fifoAttributes = fifo ? { FifoQueue: 'true', ContentBasedDeduplication: 'true' } : {};
  const dlqUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `${base}-dlq${suffix}`, Attributes: fifoAttributes }))).QueueUrl!;
  const dlqArn = await arnOf(sqs, dlqUrl);
  const queueUrl = (
    await sqs.send(
      new CreateQueueCommand({
        QueueName: `${base}${suffix}`,
        Attributes: { ...fifoAttributes, RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 5 }) },
      }),
    )
  ).QueueUrl!;
  const subscriptionDlqUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `${base}-sub-dlq${suffix}`, Attributes: fifoAttributes }))).QueueUrl!;
  return { queueUrl, queueArn: await arnOf(sqs, queueUrl), dlqUrl, dlqArn, subscriptionDlqUrl };
}

/** Writes an outputs file naming `queues` as the outputs of `consumer`; returns the file and its stack name. */
export function writeOutputs(entries: Readonly<Record<string, ConsumerQueues>>, extra: Readonly<Record<string, string>> = {}): { outputsFile: string; stack: string } {
  const stack = uniqueName('stack');
  const outputs: Record<string, string> = { ...extra };
  for (const [consumer, q] of Object.entries(entries)) {
    outputs[OutputKey.queueUrl(consumer)] = q.queueUrl;
    outputs[OutputKey.queueArn(consumer)] = q.queueArn;
    outputs[OutputKey.dlqUrl(consumer)] = q.dlqUrl;
    outputs[OutputKey.dlqArn(consumer)] = q.dlqArn;
    outputs[OutputKey.subscriptionDlqUrl(consumer)] = q.subscriptionDlqUrl;
  }
  const outputsFile = join(mkdtempSync(join(tmpdir(), 'fanout-ops-')), 'outputs.json');
  writeFileSync(outputsFile, JSON.stringify({ [stack]: outputs }, null, 2));
  return { outputsFile, stack };
}

/** A valid `user.signed-up` v2 envelope with a fresh id. */
export function signedUp(n: number): CloudEvent {
  return createEnvelope({
    type: 'user.signed-up',
    version: 2,
    id: randomUUID(),
    correlationId: `corr-${n}`,
    subject: `usr_test${String(n).padStart(4, '0')}`,
    source: 'urn:fanout:test',
    time: new Date('2026-01-15T09:00:00Z'),
    data: { userId: `usr_test${String(n).padStart(4, '0')}`, email: `u${n}@example.com`, name: `User ${n}`, plan: 'free', signedUpAt: '2026-01-15T09:00:00Z' },
  });
}

/** Sends an envelope as raw delivery would (body = envelope, attributes mirror it), plus `extra` attributes. */
export async function sendEnvelope(
  sqs: SQSClient,
  queueUrl: string,
  event: CloudEvent,
  extra: Record<string, { DataType: string; StringValue: string }> = {},
  groupId?: string,
): Promise<void> {
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: JSON.stringify(event),
      MessageAttributes: { ...envelopeAttributes(event), ...extra },
      ...(groupId !== undefined && { MessageGroupId: groupId }),
    }),
  );
}

/** Receives and deletes nothing: every message currently visible, each once (hides them for `hideSeconds`). */
export async function receiveAll(sqs: SQSClient, queueUrl: string, hideSeconds = 30): Promise<Message[]> {
  const all: Message[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: hideSeconds,
        WaitTimeSeconds: 0,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
      }),
    );
    if (Messages.length === 0) return all;
    all.push(...Messages);
  }
}

/** Approximate visible and in-flight counts. */
export async function counts(sqs: SQSClient, queueUrl: string): Promise<{ visible: number; inFlight: number }> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
  );
  return { visible: Number(Attributes.ApproximateNumberOfMessages), inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible) };
}

/** A CommandIo that keeps what a command prints. */
export function captureIo(): CommandIo & { readonly stdout: string[]; readonly stderr: string[]; json<T = unknown>(): T } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    stdout,
    stderr,
    interactive: false,
    out: (text) => stdout.push(text),
    err: (text) => stderr.push(text),
    json: <T>() => JSON.parse(stdout.join('\n')) as T,
  };
}

/** Receives and deletes every message, batch by batch (a FIFO group unlocks once its batch is deleted). */
export async function drain(sqs: SQSClient, queueUrl: string): Promise<Message[]> {
  const all: Message[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, MessageAttributeNames: ['All'], MessageSystemAttributeNames: ['All'] }),
    );
    if (Messages.length === 0) return all;
    all.push(...Messages);
    await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
  }
}
