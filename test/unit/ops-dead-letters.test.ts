/**
 * The pure parts of operating DLQs: reading failure context, unwrapping SNS
 * notifications, building what a redrive sends, pacing and the progress bar, replay
 * windows.
 */
import { describe, expect, it } from 'vitest';
import { envelopeAttributes } from '../../contracts/envelope';
import { FailureAttribute } from '../../lambdas/kit/failure-context';
import { isUnsupportedOperation } from '../../ops/adapters/sqs-dead-letters';
import { DeadLetterFormatError, describeDeadLetter, parseSnsNotification, redriveMessage, type QueueMessage } from '../../ops/dead-letters';
import { createRateLimiter, progressBar, type Timer } from '../../ops/pacing';
import { checkReplayWindow, parseTime, replayPolicy, ReplayInputError } from '../../ops/replay';
import { signedUpEvent } from './ops-fixtures';

const event = signedUpEvent();
const attrs = Object.fromEntries(Object.entries(envelopeAttributes(event)).map(([k, v]) => [k, { DataType: v.DataType, StringValue: v.StringValue }]));

describe('describeDeadLetter', () => {
  it('reads the kit’s failure context and the envelope', () => {
    const message: QueueMessage = {
      MessageId: 'm1',
      Body: JSON.stringify(event),
      MessageAttributes: {
        ...attrs,
        [FailureAttribute.ErrorName]: { DataType: 'String', StringValue: 'ContractViolationError' },
        [FailureAttribute.ErrorMessage]: { DataType: 'String', StringValue: '/email must match format "email"' },
        [FailureAttribute.ReceiveCount]: { DataType: 'Number', StringValue: '1' },
        [FailureAttribute.FirstSeen]: { DataType: 'String', StringValue: '2026-01-15T09:00:01.000Z' },
      },
    };
    expect(describeDeadLetter(message, 'queue-dlq', 5)).toEqual({
      messageId: 'm1',
      reason: 'ContractViolationError: /email must match format "email"',
      errorName: 'ContractViolationError',
      errorMessage: '/email must match format "email"',
      firstSeen: '2026-01-15T09:00:01.000Z',
      receiveCount: 1,
      correlationId: event.correlationid,
      eventId: event.id,
      eventType: 'user.signed-up',
      subject: event.subject,
    });
  });

  it('explains a message SQS moved after maxReceiveCount, with its sent time as first seen', () => {
    const view = describeDeadLetter({ MessageId: 'm2', Body: 'garbage', Attributes: { SentTimestamp: '1768467600000' } }, 'queue-dlq', 5);
    expect(view.reason).toMatch(/^moved by SQS after 5 receives/);
    expect(view.firstSeen).toBe('2026-01-15T09:00:00.000Z');
    expect(view.receiveCount).toBe(5);
    expect(view.eventId).toBeUndefined();
  });

  it('on a FIFO DLQ, says the message may never have run: held behind a failing message of its group', () => {
    const fifo = describeDeadLetter({ MessageId: 'm3', Body: 'garbage', Attributes: { SentTimestamp: '1768467600000', MessageGroupId: 'acct-1' } }, 'queue-dlq', 15);
    expect(fifo.reason).toBe("moved by SQS after 15 receives (failed, timed out, or was held behind a failing message of its group; see the function's logs)");
    const standard = describeDeadLetter({ MessageId: 'm4', Body: 'garbage', Attributes: { SentTimestamp: '1768467600000' } }, 'queue-dlq', 5);
    expect(standard.reason).toBe("moved by SQS after 5 receives (failed or timed out every time; see the function's logs)");
  });
});

describe('describeDeadLetter of a message with an earlier failure’s context', () => {
  const stale: QueueMessage = {
    MessageId: 'm5',
    Body: JSON.stringify(event),
    // Brought back to the queue by SQS's move task with the attributes the kit set on its first failure.
    MessageAttributes: {
      ...attrs,
      [FailureAttribute.ErrorName]: { DataType: 'String', StringValue: 'DownstreamUnavailableError' },
      [FailureAttribute.ErrorMessage]: { DataType: 'String', StringValue: 'CRM 503' },
      [FailureAttribute.OriginalMessageId]: { DataType: 'String', StringValue: 'orig-1' },
      [FailureAttribute.ReceiveCount]: { DataType: 'Number', StringValue: '2' },
      [FailureAttribute.FirstSeen]: { DataType: 'String', StringValue: '2026-01-10T08:00:00.000Z' },
    },
  };

  it('when SQS itself moved it (DeadLetterQueueSourceArn), shows SQS’s reason, and the old context only as earlier', () => {
    const moved = { ...stale, Attributes: { SentTimestamp: '1768467600000', DeadLetterQueueSourceArn: 'arn:aws:sqs:us-east-1:1:q' } };
    const view = describeDeadLetter(moved, 'queue-dlq', 5);
    expect(view.reason).toMatch(/^moved by SQS after 5 receives/);
    expect(view.errorName).toBeUndefined();
    expect(view.originalMessageId).toBeUndefined();
    expect(view.receiveCount).toBe(5);
    expect(view.firstSeen).toBe('2026-01-15T09:00:00.000Z');
    expect(view.earlierFailure).toBe('DownstreamUnavailableError: CRM 503 (receive 2, first seen 2026-01-10T08:00:00.000Z)');
  });

  it('when the kit sent it (no DeadLetterQueueSourceArn), its context is the reason', () => {
    const view = describeDeadLetter({ ...stale, Attributes: { SentTimestamp: '1768467600000' } }, 'queue-dlq', 5);
    expect(view.reason).toBe('DownstreamUnavailableError: CRM 503');
    expect(view.receiveCount).toBe(2);
    expect(view.earlierFailure).toBeUndefined();
  });
});

describe('describeDeadLetter in a subscription DLQ', () => {
  it('reads a raw-delivered message (the shape AWS writes with raw delivery)', () => {
    const view = describeDeadLetter({ MessageId: 's1', Body: JSON.stringify(event), MessageAttributes: attrs, Attributes: { SentTimestamp: '1768467600000' } }, 'subscription-dlq', 5);
    expect(view).toMatchObject({ eventId: event.id, eventType: 'user.signed-up', correlationId: event.correlationid, firstSeen: '2026-01-15T09:00:00.000Z' });
    expect(view.reason).toMatch(/^SNS could not deliver it/);
    expect(view.receiveCount).toBeUndefined();
  });
});

describe('redriveMessage', () => {
  it('keeps body and attributes of a queue-DLQ message', () => {
    const out = redriveMessage({ Body: 'b', MessageAttributes: { ...attrs, empty: { DataType: 'String' } } }, 'queue-dlq', false);
    expect(out).toEqual({ body: 'b', attributes: attrs });
  });

  it('unwraps an SNS notification: raw body, attributes from {Type, Value}, binary decoded', () => {
    const body = JSON.stringify({
      Type: 'Notification',
      MessageId: 'sns-1',
      Message: JSON.stringify(event),
      MessageAttributes: { type: { Type: 'String', Value: 'user.signed-up' }, blob: { Type: 'Binary', Value: Buffer.from('hi').toString('base64') } },
    });
    const out = redriveMessage({ Body: body, Attributes: { MessageGroupId: 'g1' } }, 'subscription-dlq', true);
    expect(JSON.parse(out.body)).toEqual(event);
    expect(out.attributes.type).toEqual({ DataType: 'String', StringValue: 'user.signed-up' });
    expect(Buffer.from(out.attributes.blob!.BinaryValue!).toString()).toBe('hi');
    // FIFO: the group from the DLQ message, the SNS message id as deduplication id.
    expect(out.messageGroupId).toBe('g1');
    expect(out.messageDeduplicationId).toBe('sns-1');
  });

  it('puts back a raw-delivered subscription-DLQ message (what AWS writes with raw delivery) as it is: envelope body, published attributes', () => {
    // SNS with raw delivery: body = the envelope, MessageAttributes = the published ones as SQS String attributes.
    const raw: QueueMessage = { MessageId: 'sub-1', Body: JSON.stringify(event), MessageAttributes: attrs, Attributes: { SentTimestamp: '1768467600000' } };
    expect(redriveMessage(raw, 'subscription-dlq', false)).toEqual({ body: JSON.stringify(event), attributes: attrs });
    expect(Object.keys(attrs).sort()).toEqual(['correlationid', 'schemaversion', 'type']);
    // FIFO: the DLQ message's group, and a redrive deduplication id of its own.
    const fifo = redriveMessage({ ...raw, Attributes: { MessageGroupId: 'acct-1', MessageDeduplicationId: 'orig' } }, 'subscription-dlq', true);
    expect(fifo).toEqual({ body: JSON.stringify(event), attributes: attrs, messageGroupId: 'acct-1', messageDeduplicationId: 'redrive-sub-1' });
    // Not an envelope either (a producer's own body): SNS would have delivered it as it is, so it goes back as it is.
    expect(redriveMessage({ MessageId: 'sub-2', Body: '{"Message":"not SNS","x":1}' }, 'subscription-dlq', false).body).toBe('{"Message":"not SNS","x":1}');
  });

  it('never carries a failure context back to the queue', () => {
    const withContext: QueueMessage = {
      Body: JSON.stringify(event),
      MessageAttributes: {
        ...attrs,
        [FailureAttribute.ErrorName]: { DataType: 'String', StringValue: 'TransientError' },
        [FailureAttribute.ReceiveCount]: { DataType: 'Number', StringValue: '3' },
        'fanout-error-stack': { DataType: 'String', StringValue: 'from another kit version' },
      },
    };
    expect(redriveMessage(withContext, 'queue-dlq', false).attributes).toEqual(attrs);
    expect(redriveMessage(withContext, 'subscription-dlq', false).attributes).toEqual(attrs);
  });

  it('refuses what it cannot put back: a FIFO message without a group', () => {
    expect(() => redriveMessage({ MessageId: 'y', Body: 'b' }, 'queue-dlq', true)).toThrow(DeadLetterFormatError);
    expect(() => redriveMessage({ MessageId: 'x', Body: JSON.stringify(event) }, 'subscription-dlq', true)).toThrow(/no MessageGroupId/);
  });

  it('takes a body for an SNS notification only when SNS says so (Type=Notification)', () => {
    expect(parseSnsNotification(JSON.stringify({ Type: 'SubscriptionConfirmation', Message: 'm' }))).toBeUndefined();
    expect(parseSnsNotification(JSON.stringify({ Message: 'a producer’s own field' }))).toBeUndefined();
    expect(parseSnsNotification(JSON.stringify(event))).toBeUndefined();
    expect(parseSnsNotification('[]')).toBeUndefined();
    expect(parseSnsNotification(JSON.stringify({ Type: 'Notification', Message: 'm' }))?.Message).toBe('m');
  });
});

describe('pacing', () => {
  it('spaces batches to the rate: 10 at 5/s waits 2 s before the next 10', async () => {
    let now = 0;
    const waits: number[] = [];
    const timer: Timer = { now: () => now, sleep: async (ms) => { waits.push(ms); now += ms; } };
    const limiter = createRateLimiter(5, timer);
    await limiter.take(10);
    await limiter.take(10);
    await limiter.take(3);
    expect(waits).toEqual([2000, 2000]);
  });

  it('draws the progress bar', () => {
    expect(progressBar(5, 10, 'moved', 10)).toBe('[#####-----] 5/10 moved (50%)');
    expect(progressBar(3, undefined, 'moved')).toBe('3 moved');
  });
});

describe('move-task support detection', () => {
  it('tells an unimplemented action from a refusal', () => {
    expect(isUnsupportedOperation({ name: 'UnsupportedOperation' })).toBe(true);
    expect(isUnsupportedOperation({ $metadata: { httpStatusCode: 501 } })).toBe(true);
    // moto: an HTML error page the SDK cannot parse
    expect(isUnsupportedOperation({ name: 'SyntaxError', message: 'Unexpected token \'<\', "<!doctype "... is not valid JSON', $metadata: { httpStatusCode: 500 } })).toBe(true);
    expect(isUnsupportedOperation({ name: 'AccessDenied', message: 'not authorized', $metadata: { httpStatusCode: 403 } })).toBe(false);
    expect(isUnsupportedOperation({ name: 'InternalError', message: 'We encountered an internal error', $metadata: { httpStatusCode: 500 } })).toBe(false);
  });
});

describe('replay windows', () => {
  const now = new Date('2026-01-16T00:00:00Z');
  const fifo = { name: 'billing-events', fifo: true, archiveRetentionDays: 7 };

  it('parses ISO times with a zone and durations ago, and refuses local times', () => {
    expect(parseTime('6h', now).toISOString()).toBe('2026-01-15T18:00:00.000Z');
    expect(parseTime('90m', now).toISOString()).toBe('2026-01-15T22:30:00.000Z');
    expect(parseTime('2026-01-15T09:00:00+01:00', now).toISOString()).toBe('2026-01-15T08:00:00.000Z');
    expect(() => parseTime('2026-01-15T09:00:00', now)).toThrow(ReplayInputError);
    expect(() => parseTime('yesterday', now)).toThrow(/not a time/);
  });

  it('checks the topic and the window against the archive', () => {
    expect(() => checkReplayWindow({ name: 'user-events', fifo: false }, parseTime('1h', now), undefined, now)).toThrow(/standard topic/);
    expect(() => checkReplayWindow({ name: 'b', fifo: true }, parseTime('1h', now), undefined, now)).toThrow(/no message archive/);
    expect(() => checkReplayWindow(fifo, parseTime('8d', now), undefined, now)).toThrow(/older than the archive keeps/);
    expect(() => checkReplayWindow(fifo, parseTime('1h', now), parseTime('2h', now), now)).toThrow(/must be after/);
    const window = checkReplayWindow(fifo, parseTime('2d', now), parseTime('1d', now), now);
    expect(JSON.parse(replayPolicy(window))).toEqual({ PointType: 'Timestamp', StartingPoint: '2026-01-14T00:00:00.000Z', EndingPoint: '2026-01-15T00:00:00.000Z' });
  });
});
