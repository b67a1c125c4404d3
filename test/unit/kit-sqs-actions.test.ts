/**
 * The kit's SQS adapters on their error paths, with a stubbed client (what the emulator
 * cannot be made to do on demand). Their happy paths run against the emulator in
 * test/integration/kit-sqs-actions.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { SendMessageCommandInput, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import {
  deadLetterAttributes,
  FailureAttribute,
  failureContextOf,
  fitDeadLetterAttributes,
  messageSizeBytes,
  type FailureContext,
  type OutgoingAttribute,
} from '../../lambdas/kit/failure-context';
import { delayRetries, sendToDeadLetterQueue, type RetryDelay } from '../../lambdas/kit/sqs-actions';
import { envelope, signUpData, sqsRecord } from './kit-fakes';

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

// Issue 9, break 7: a near-limit event plus its failure context must fit the DLQ.

const KiB = 1024;
const LEGACY_LIMIT = 256 * KiB;

/**
 * What SQS counts against its size limit, written out here apart from the kit's own
 * counting: the body, and for every message attribute its name, its data type and its
 * value, all in UTF-8 bytes (binary values by their length).
 */
function sqsCountedBytes(body: string, attributes: Readonly<Record<string, OutgoingAttribute>> = {}): number {
  const utf8 = (text: string) => new TextEncoder().encode(text).length;
  let total = utf8(body);
  for (const [name, value] of Object.entries(attributes)) {
    total += utf8(name) + utf8(value.DataType) + (value.StringValue === undefined ? 0 : utf8(value.StringValue)) + (value.BinaryValue?.length ?? 0);
  }
  return total;
}

/** A `user.signed-up` record whose body is exactly `bytes` long, with the envelope's attributes. */
function recordOfSize(bytes: number): SQSRecord {
  const empty = envelope({ data: signUpData({ name: '' }) });
  const padding = bytes - JSON.stringify(empty).length;
  const record = sqsRecord({ ...empty, data: { ...empty.data, name: 'x'.repeat(padding) } });
  expect(Buffer.byteLength(record.body)).toBe(bytes);
  return record;
}

/** The failure context of `record` with an error message of 4 KB: more than the kit itself writes, as a worst case. */
function longFailure(record: SQSRecord, message = 'e'.repeat(4 * KiB)): FailureContext {
  return { ...failureContextOf(record, new Error('x'), 'crm-sync'), errorMessage: message };
}

const FAILURE_NAMES = Object.values(FailureAttribute) as string[];

describe('messageSizeBytes', () => {
  it('counts as SQS does: body, and each attribute’s name, data type and value, in UTF-8 bytes', () => {
    const attributes = {
      a: { DataType: 'String', StringValue: 'héllo' },
      bin: { DataType: 'Binary', BinaryValue: new Uint8Array([1, 2, 3]) },
      n: { DataType: 'Number', StringValue: '42' },
    };
    // 'bödy' is 5 bytes, 'héllo' 6.
    expect(messageSizeBytes('bödy', attributes)).toBe(5 + (1 + 6 + 6) + (3 + 6 + 3) + (1 + 6 + 2));
    expect(messageSizeBytes('bödy', attributes)).toBe(sqsCountedBytes('bödy', attributes));
    expect(messageSizeBytes('', {})).toBe(0);
  });
});

describe('fitDeadLetterAttributes', () => {
  it('fits a ~255 KiB body with a 4 KB error message into 256 KiB by cutting the error message alone', () => {
    const record = recordOfSize(255 * KiB);
    const failure = longFailure(record);
    const attributes = deadLetterAttributes(record, failure);
    const before = structuredClone(attributes);
    expect(sqsCountedBytes(record.body, attributes)).toBeGreaterThan(LEGACY_LIMIT);

    const fitted = fitDeadLetterAttributes(record.body, attributes, LEGACY_LIMIT);
    const size = sqsCountedBytes(record.body, fitted);
    expect(size).toBeLessThanOrEqual(LEGACY_LIMIT);
    // Cut only as far as needed: the rest of the 1 KiB of room is used.
    expect(size).toBeGreaterThan(LEGACY_LIMIT - 16);
    const message = fitted[FailureAttribute.ErrorMessage]!.StringValue!;
    expect(message.endsWith('…')).toBe(true);
    expect(failure.errorMessage.startsWith(message.slice(0, -1))).toBe(true);
    expect(message.length).toBeGreaterThan(500);
    // Every other attribute as it was, the originals included, in the same order.
    expect(Object.keys(fitted)).toEqual(Object.keys(attributes));
    for (const name of Object.keys(attributes)) if (name !== FailureAttribute.ErrorMessage) expect(fitted[name]).toEqual(attributes[name]);
    // What it was given is not changed (the body it cannot change: it returns attributes only).
    expect(attributes).toEqual(before);
  });

  // Fails on e641f94 and later (a bug in fitDeadLetterAttributes, reported in issue 9's
  // break 7): its first cut subtracts the excess in bytes from the length in characters,
  // so a multi-byte message is cut to '…' though hundreds of bytes are free (a 600-char
  // 'é' message keeps 180 of the 390 that fit). The result fits; the reason is lost.
  it('counts bytes, not characters: a multi-byte error message is cut only as far as needed', () => {
    const record = recordOfSize(255 * KiB);
    for (const message of ['Störung 🚧 '.repeat(400), 'é'.repeat(600)]) {
      const fitted = fitDeadLetterAttributes(record.body, deadLetterAttributes(record, longFailure(record, message)), LEGACY_LIMIT);
      const size = sqsCountedBytes(record.body, fitted);
      expect(size).toBeLessThanOrEqual(LEGACY_LIMIT);
      const kept = fitted[FailureAttribute.ErrorMessage]!.StringValue!;
      expect(message.startsWith(kept.slice(0, -1))).toBe(true);
      // As with an ASCII message: the room left by the body is used, bar a character or two.
      expect(size, `kept ${kept.length} characters of ${message.slice(0, 12)}…`).toBeGreaterThan(LEGACY_LIMIT - 16);
    }
  });

  it('drops the original attributes last, last first, after the error message is cut to nothing; the failure context stays', () => {
    const probe = recordOfSize(1000);
    const attributes = deadLetterAttributes(probe, longFailure(probe));
    const withEllipsis: Record<string, OutgoingAttribute> = { ...attributes, [FailureAttribute.ErrorMessage]: { DataType: 'String', StringValue: '…' } };
    const { schemaversion: _dropped, ...withoutLast } = withEllipsis;
    // A body 5 bytes too big for the context with '…' and every original attribute: one must go.
    const bodyBytes = LEGACY_LIMIT - sqsCountedBytes('', withEllipsis) + 5;
    expect(sqsCountedBytes('', withEllipsis) - sqsCountedBytes('', withoutLast)).toBeGreaterThan(5);
    const record = recordOfSize(bodyBytes);
    const fitted = fitDeadLetterAttributes(record.body, deadLetterAttributes(record, longFailure(record)), LEGACY_LIMIT);
    expect(sqsCountedBytes(record.body, fitted)).toBeLessThanOrEqual(LEGACY_LIMIT);
    expect(fitted[FailureAttribute.ErrorMessage]!.StringValue).toBe('…');
    expect(Object.keys(fitted)).toEqual([...FAILURE_NAMES, 'type', 'correlationid']);
  });

  it('keeps the failure context even when the body alone is at the limit (the send then fails and the record is retried)', () => {
    const record = recordOfSize(LEGACY_LIMIT);
    const fitted = fitDeadLetterAttributes(record.body, deadLetterAttributes(record, longFailure(record)), LEGACY_LIMIT);
    expect(Object.keys(fitted)).toEqual(FAILURE_NAMES);
    expect(fitted[FailureAttribute.ErrorMessage]!.StringValue).toBe('…');
  });

  it('leaves what fits alone, and fits 1 MiB by default', () => {
    const record = recordOfSize(255 * KiB);
    const attributes = deadLetterAttributes(record, longFailure(record));
    expect(fitDeadLetterAttributes(record.body, attributes)).toEqual(attributes);
    const big = recordOfSize(1024 * KiB - 1000);
    const fitted = fitDeadLetterAttributes(big.body, deadLetterAttributes(big, longFailure(big)));
    expect(sqsCountedBytes(big.body, fitted)).toBeLessThanOrEqual(1_048_576);
    expect(fitted[FailureAttribute.ErrorName]).toEqual(attributes[FailureAttribute.ErrorName]);
  });
});

/** An SQS client stand-in whose DLQ refuses messages over `limit`, as SQS does; records what it was sent. */
function dlqWithLimit(limit: number, options: { failAll?: Error } = {}) {
  const sent: SendMessageCommandInput[] = [];
  const client = {
    send: async (command: { input: SendMessageCommandInput }) => {
      const input = command.input;
      sent.push(input);
      if (options.failAll) throw options.failAll;
      if (sqsCountedBytes(input.MessageBody ?? '', (input.MessageAttributes ?? {}) as Record<string, OutgoingAttribute>) > limit) {
        throw Object.assign(new Error(`One or more parameters are invalid. Reason: Message must be shorter than ${limit} bytes.`), { name: 'InvalidParameterValue' });
      }
      return { MessageId: `dlq-${sent.length}` };
    },
  } as unknown as SQSClient;
  return { client, sent };
}

function sentBytes(input: SendMessageCommandInput): number {
  return sqsCountedBytes(input.MessageBody ?? '', (input.MessageAttributes ?? {}) as Record<string, OutgoingAttribute>);
}

describe('sendToDeadLetterQueue: near the size limit', () => {
  it('sends a second copy cut to 256 KiB when a DLQ still at the old limit refuses the first', async () => {
    const { client, sent } = dlqWithLimit(LEGACY_LIMIT);
    const record = recordOfSize(255 * KiB);
    const failure = longFailure(record);
    await expect(sendToDeadLetterQueue(client, { queueUrl: 'https://q/dlq', fifo: false }, record, failure)).resolves.toBeUndefined();
    expect(sent).toHaveLength(2);
    // The first copy has the whole context, and is over the old limit.
    expect(sent[0]!.MessageAttributes![FailureAttribute.ErrorMessage]!.StringValue).toBe(failure.errorMessage);
    expect(sentBytes(sent[0]!)).toBeGreaterThan(LEGACY_LIMIT);
    // The second fits, with the body unchanged and the error text cut.
    expect(sentBytes(sent[1]!)).toBeLessThanOrEqual(LEGACY_LIMIT);
    for (const input of sent) expect(input.MessageBody).toBe(record.body);
    const cut = sent[1]!.MessageAttributes![FailureAttribute.ErrorMessage]!.StringValue!;
    expect(cut.endsWith('…')).toBe(true);
    expect(failure.errorMessage.startsWith(cut.slice(0, -1))).toBe(true);
    expect(sent[1]!.MessageAttributes!.type!.StringValue).toBe('user.signed-up');
  });

  it('keeps the FIFO group and deduplication id on the second copy', async () => {
    const { client, sent } = dlqWithLimit(LEGACY_LIMIT);
    const record = recordOfSize(255 * KiB);
    record.attributes.MessageGroupId = 'acct_1';
    await sendToDeadLetterQueue(client, { queueUrl: 'https://q/dlq.fifo', fifo: true }, record, longFailure(record));
    expect(sent).toHaveLength(2);
    expect(sent[1]).toMatchObject({ MessageGroupId: 'acct_1', MessageDeduplicationId: record.messageId });
  });

  it('sends the whole context once to a 1 MiB DLQ', async () => {
    const { client, sent } = dlqWithLimit(1_048_576);
    const record = recordOfSize(255 * KiB);
    const failure = longFailure(record);
    await sendToDeadLetterQueue(client, { queueUrl: 'https://q/dlq', fifo: false }, record, failure);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.MessageAttributes![FailureAttribute.ErrorMessage]!.StringValue).toBe(failure.errorMessage);
  });

  it('rethrows a failed send of a small message, without a second try', async () => {
    const down = Object.assign(new Error('Service Unavailable'), { name: 'ServiceUnavailable' });
    const { client, sent } = dlqWithLimit(LEGACY_LIMIT, { failAll: down });
    const record = sqsRecord(envelope());
    await expect(sendToDeadLetterQueue(client, { queueUrl: 'u', fifo: false }, record, longFailure(record))).rejects.toBe(down);
    expect(sent).toHaveLength(1);
  });

  it('rethrows when the second, fitted copy fails too, so the caller keeps the record', async () => {
    const down = Object.assign(new Error('Service Unavailable'), { name: 'ServiceUnavailable' });
    const { client, sent } = dlqWithLimit(LEGACY_LIMIT, { failAll: down });
    const record = recordOfSize(255 * KiB);
    await expect(sendToDeadLetterQueue(client, { queueUrl: 'u', fifo: false }, record, longFailure(record))).rejects.toBe(down);
    expect(sent).toHaveLength(2);
  });
});

describe('delayRetries (error paths)', () => {
  const delays: RetryDelay[] = Array.from({ length: 12 }, (_, i) => ({ messageId: `m-${i}`, receiptHandle: `rh-${i}`, delaySeconds: i }));

  it('returns the messages SQS refused or could not be asked about', async () => {
    const client = failingSqs((index) => (index === 0 ? { Failed: [{ Id: 'r4', Code: 'ReceiptHandleIsInvalid', SenderFault: true }] } : new Error('timeout')));
    expect(await delayRetries(client, 'https://q/main', delays)).toEqual(['m-4', 'm-10', 'm-11']);
  });
});
