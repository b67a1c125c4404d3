import { describe, expect, it } from 'vitest';
import { awsErrorName, describeAwsError, isAwsError, isRetryableAwsError } from '../../contracts/aws-errors';
import { isRetryableGlueError } from '../../contracts/glue-registry';
import { isRetryableSnsError } from '../../client/retry';

function awsError(name: string, status?: number, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(`${name}: it went wrong`), { name, ...(status !== undefined && { $metadata: { httpStatusCode: status } }), ...extra });
}

const TEMPORARY = new Set(['SlowDown']);

describe('the AWS error classifier (one for SNS and Glue)', () => {
  it.each([
    ['a code the service names temporary', awsError('SlowDown', 400)],
    ['an error the SDK marked retryable', awsError('Whatever', 400, { $retryable: { throttling: true } })],
    ['a 5xx', awsError('InternalFailure', 500)],
    ['a 429', awsError('TooMany', 429)],
    ['no HTTP answer (network error)', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })],
    ['a thrown string', 'socket hang up'],
  ])('retries %s', (_label, error) => {
    expect(isRetryableAwsError(error, TEMPORARY)).toBe(true);
  });

  it.each([
    ['access denied', awsError('AccessDeniedException', 403)],
    ['invalid input', awsError('InvalidParameterException', 400)],
    ['not found', awsError('NotFoundException', 404)],
  ])('does not retry %s', (_label, error) => {
    expect(isRetryableAwsError(error, TEMPORARY)).toBe(false);
  });

  it('is what both the publisher and the Glue adapter use', () => {
    // Each adds only its own temporary codes: Glue's ConcurrentModificationException, SNS's KMSThrottlingException.
    expect(isRetryableGlueError(awsError('ConcurrentModificationException', 400))).toBe(true);
    expect(isRetryableSnsError(awsError('ConcurrentModificationException', 400))).toBe(false);
    expect(isRetryableSnsError(awsError('KMSThrottlingException', 400))).toBe(true);
    expect(isRetryableGlueError(awsError('KMSThrottlingException', 400))).toBe(false);
    for (const error of [awsError('AccessDeniedException', 403), awsError('X', 503), new Error('no answer')]) {
      expect(isRetryableGlueError(error)).toBe(isRetryableSnsError(error));
    }
  });

  it('names and describes an error for messages', () => {
    expect(awsErrorName(awsError('AccessDeniedException', 403))).toBe('AccessDeniedException');
    expect(awsErrorName('boom')).toBeUndefined();
    expect(isAwsError(awsError('EntityNotFoundException', 400), 'EntityNotFoundException')).toBe(true);
    expect(isAwsError(null, 'EntityNotFoundException')).toBe(false);
    expect(describeAwsError(awsError('AccessDeniedException', 403))).toBe('AccessDeniedException: AccessDeniedException: it went wrong');
    expect(describeAwsError('boom')).toBe('Error: boom');
  });
});
