import { describe, expect, it } from 'vitest';
import { ContractViolationError } from '../../contracts/errors';
// The kit writes the failure context; the operator tools read it through the contract module.
import { FAILURE_ATTRIBUTE_PREFIX, FailureAttribute, readFailureContext } from '../../contracts/failure-context';
import * as kitFailureContext from '../../lambdas/kit/failure-context';
import { deadLetterAttributes, failureContextOf, MAX_ERROR_MESSAGE_LENGTH, MAX_MESSAGE_ATTRIBUTES } from '../../lambdas/kit/failure-context';
import { envelope, sqsRecord } from './kit-fakes';

describe('failure context', () => {
  it('has one definition of its attribute names and reader, in the contract module', () => {
    expect(kitFailureContext.FailureAttribute).toBe(FailureAttribute);
    expect(kitFailureContext.readFailureContext).toBe(readFailureContext);
  });

  it('describes the error, the consumer and the delivery', () => {
    const record = sqsRecord(envelope(), { messageId: 'm-1', receiveCount: 3, firstReceiveMs: Date.parse('2026-11-28T09:30:01Z') });
    const error = new ContractViolationError('user.signed-up', 2, [{ path: '/email', rule: 'format', message: 'must match format "email"' }]);
    expect(failureContextOf(record, error, 'crm-sync')).toEqual({
      errorName: 'ContractViolationError',
      errorMessage: 'user.signed-up v2: data violates the contract: /email must match format "email" (format)',
      consumer: 'crm-sync',
      originalMessageId: 'm-1',
      receiveCount: 3,
      firstSeen: '2026-11-28T09:30:01.000Z',
    });
  });

  it('copes with a thrown non-error, a long message and missing delivery attributes', () => {
    const record = sqsRecord('x');
    (record.attributes as unknown as Record<string, unknown>).ApproximateFirstReceiveTimestamp = undefined;
    (record.attributes as unknown as Record<string, unknown>).ApproximateReceiveCount = undefined;
    expect(failureContextOf(record, 'boom', 'c')).toMatchObject({ errorName: 'Error', errorMessage: 'boom', receiveCount: 1, firstSeen: 'unknown' });
    const long = failureContextOf(record, new Error('x'.repeat(5000)), 'c');
    expect(long.errorMessage).toHaveLength(MAX_ERROR_MESSAGE_LENGTH);
  });

  it('puts the failure context first and keeps the original attributes, within SQS’s limit of 10', () => {
    const event = envelope();
    const record = sqsRecord(event);
    record.messageAttributes.blob = { dataType: 'Binary', binaryValue: Buffer.from('hi').toString('base64'), stringListValues: [], binaryListValues: [] };
    for (let i = 0; i < 5; i += 1) {
      record.messageAttributes[`extra${i}`] = { dataType: 'String', stringValue: `v${i}`, stringListValues: [], binaryListValues: [] };
    }
    const failure = failureContextOf(record, new Error('bad'), 'crm-sync');
    const attributes = deadLetterAttributes(record, failure);
    expect(Object.keys(attributes)).toHaveLength(MAX_MESSAGE_ATTRIBUTES);
    expect(attributes[FailureAttribute.ErrorName]).toEqual({ DataType: 'String', StringValue: 'Error' });
    expect(attributes[FailureAttribute.ReceiveCount]).toEqual({ DataType: 'Number', StringValue: '1' });
    expect(attributes.type).toEqual({ DataType: 'String', StringValue: 'user.signed-up' });
    expect(attributes.correlationid).toEqual({ DataType: 'String', StringValue: 'corr-1' });
    expect(Buffer.from(attributes.blob!.BinaryValue!).toString()).toBe('hi');
  });

  it('never lets an original attribute overwrite the failure context, nor sends empty values', () => {
    const record = sqsRecord(envelope());
    record.messageAttributes[FailureAttribute.Consumer] = { dataType: 'String', stringValue: 'someone-else', stringListValues: [], binaryListValues: [] };
    const attributes = deadLetterAttributes(record, { ...failureContextOf(record, new Error(''), 'crm-sync') });
    expect(attributes[FailureAttribute.Consumer]?.StringValue).toBe('crm-sync');
    expect(attributes[FailureAttribute.ErrorMessage]?.StringValue).toBe('(no message)');
  });

  it('replaces an incoming failure context: no `fanout-*` attribute of the record is kept, also names this kit does not write', () => {
    // A redriven message that still carried an earlier failure's context, with a name an
    // older or newer kit wrote (SQS's move task brings every attribute back to the queue).
    const record = sqsRecord(envelope(), { receiveCount: 4 });
    const old = (value: string) => ({ dataType: 'String', stringValue: value, stringListValues: [], binaryListValues: [] });
    record.messageAttributes[FailureAttribute.ErrorName] = old('OldError');
    record.messageAttributes[FailureAttribute.ErrorMessage] = old('the CRM was down last week');
    record.messageAttributes['fanout-error-stack'] = old('at oldFrame (old.js:1:1)');
    record.messageAttributes['fanout-retry-after'] = old('2026-01-01T00:00:00.000Z');
    const failure = failureContextOf(record, new TypeError('new reason'), 'crm-sync');
    const attributes = deadLetterAttributes(record, failure);
    const fanout = Object.keys(attributes).filter((name) => name.startsWith(FAILURE_ATTRIBUTE_PREFIX));
    expect(fanout.sort()).toEqual(Object.values(FailureAttribute).sort());
    expect(attributes[FailureAttribute.ErrorName]?.StringValue).toBe('TypeError');
    expect(attributes[FailureAttribute.ErrorMessage]?.StringValue).toBe('new reason');
    expect(attributes[FailureAttribute.ReceiveCount]?.StringValue).toBe('4');
    expect(attributes.type?.StringValue).toBe('user.signed-up');
    // The prefix is what tells them apart: every failure-context name has it.
    for (const name of Object.values(FailureAttribute)) expect(name.startsWith(FAILURE_ATTRIBUTE_PREFIX)).toBe(true);
  });

  it('never cuts a message inside a surrogate pair (SQS refuses a lone surrogate)', () => {
    const cut = kitFailureContext.truncateErrorMessage('🚧'.repeat(600), 1024);
    // No high surrogate without its low one (String.prototype.isWellFormed, without the ES2024 lib).
    expect(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/.test(cut)).toBe(false);
    expect(cut.endsWith('🚧…')).toBe(true);
    expect(cut.length).toBeLessThanOrEqual(1024);
  });

  it('reads back what it wrote', () => {
    const record = sqsRecord(envelope(), { receiveCount: 2 });
    const failure = failureContextOf(record, new TypeError('nope'), 'crm-sync');
    expect(readFailureContext(deadLetterAttributes(record, failure))).toEqual(failure);
    expect(readFailureContext({})).toEqual({});
  });
});
