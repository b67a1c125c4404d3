import { describe, expect, it } from 'vitest';
import type { Message } from '@aws-sdk/client-sqs';
import { interpretResponse, toSqsEvent, toSqsRecord } from '../../local/sqs-event';

const queueArn = 'arn:aws:sqs:us-east-1:123456789012:orders.fifo';

const received: Message = {
  MessageId: 'm-1',
  ReceiptHandle: 'rh-1',
  MD5OfBody: 'bb6cb5c68df4652941caf652a366f2d8',
  Body: '{"a":1}',
  Attributes: {
    SenderId: 'AIDAIT2UOQQY3AUEKVGXU',
    SentTimestamp: '1795824847066',
    ApproximateReceiveCount: '2',
    ApproximateFirstReceiveTimestamp: '1795824847072',
    MessageGroupId: 'g1',
    MessageDeduplicationId: 'd1',
  },
  MD5OfMessageAttributes: 'd48cb58c8ccc31bbc219db21f58739ff',
  MessageAttributes: {
    type: { DataType: 'String', StringValue: 'user.signed-up' },
    n: { DataType: 'Number', StringValue: '3' },
    bin: { DataType: 'Binary', BinaryValue: new Uint8Array([1, 2, 3]) },
  },
};

describe('toSqsRecord', () => {
  it('produces the record shape Lambda hands an SQS-triggered function', () => {
    expect(toSqsRecord(received, queueArn, 'us-east-1')).toEqual({
      messageId: 'm-1',
      receiptHandle: 'rh-1',
      body: '{"a":1}',
      attributes: {
        SenderId: 'AIDAIT2UOQQY3AUEKVGXU',
        SentTimestamp: '1795824847066',
        ApproximateReceiveCount: '2',
        ApproximateFirstReceiveTimestamp: '1795824847072',
        MessageGroupId: 'g1',
        MessageDeduplicationId: 'd1',
      },
      messageAttributes: {
        type: { stringValue: 'user.signed-up', stringListValues: [], binaryListValues: [], dataType: 'String' },
        n: { stringValue: '3', stringListValues: [], binaryListValues: [], dataType: 'Number' },
        bin: { binaryValue: 'AQID', stringListValues: [], binaryListValues: [], dataType: 'Binary' },
      },
      md5OfMessageAttributes: 'd48cb58c8ccc31bbc219db21f58739ff',
      md5OfBody: 'bb6cb5c68df4652941caf652a366f2d8',
      eventSource: 'aws:sqs',
      eventSourceARN: queueArn,
      awsRegion: 'us-east-1',
    });
  });

  it('leaves md5OfMessageAttributes out when there are no attributes', () => {
    const record = toSqsRecord({ MessageId: 'm', ReceiptHandle: 'r', Body: 'x', MD5OfBody: 'h' }, queueArn, 'us-east-1');
    expect(record).not.toHaveProperty('md5OfMessageAttributes');
    expect(record.messageAttributes).toEqual({});
  });
});

describe('interpretResponse', () => {
  const event = toSqsEvent([received, { ...received, MessageId: 'm-2', ReceiptHandle: 'rh-2' }], queueArn, 'us-east-1');

  it('treats no response, null, an empty object and an empty or null failure list as all succeeded', () => {
    for (const response of [undefined, null, {}, { batchItemFailures: [] }, { batchItemFailures: null }]) {
      expect(interpretResponse(response, event, true)).toEqual({ kind: 'all-succeeded' });
    }
  });

  it('fails the whole batch on a response that is not an object (as Lambda does with invalid JSON)', () => {
    for (const response of ['ok', '', 0, 42, true, [], [{ itemIdentifier: 'm-2' }]]) {
      expect(interpretResponse(response, event, true).kind, JSON.stringify(response)).toBe('all-failed');
    }
  });

  it('returns the listed failures', () => {
    expect(interpretResponse({ batchItemFailures: [{ itemIdentifier: 'm-2' }] }, event, true)).toEqual({
      kind: 'partial',
      failedMessageIds: new Set(['m-2']),
    });
  });

  it('fails the whole batch when an identifier is missing, empty or not in the batch', () => {
    for (const failure of [{}, { itemIdentifier: '' }, { itemIdentifier: 'other' }, { itemIdentifier: null }, { itemIdentifier: 2 }, { ItemIdentifier: 'm-2' }, null, 'm-2']) {
      expect(interpretResponse({ batchItemFailures: [failure] }, event, true).kind).toBe('all-failed');
    }
    expect(interpretResponse({ batchItemFailures: 'm-1' }, event, true).kind).toBe('all-failed');
  });

  it('ignores batchItemFailures when the mapping does not report them (as Lambda does)', () => {
    expect(interpretResponse({ batchItemFailures: [{ itemIdentifier: 'm-2' }] }, event, false)).toEqual({ kind: 'all-succeeded' });
  });
});
