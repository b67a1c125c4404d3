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

  it('refuses what it cannot put back: a non-notification in a subscription DLQ, a FIFO message without a group', () => {
    expect(() => redriveMessage({ MessageId: 'x', Body: JSON.stringify(event) }, 'subscription-dlq', false)).toThrow(DeadLetterFormatError);
    expect(() => redriveMessage({ MessageId: 'y', Body: 'b' }, 'queue-dlq', true)).toThrow(/no MessageGroupId/);
    expect(parseSnsNotification(JSON.stringify({ Type: 'SubscriptionConfirmation', Message: 'm' }))).toBeUndefined();
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
