/**
 * Retry policy of the publisher: which SNS failures are worth another try, and how
 * long to wait before it (exponential backoff with full jitter, so that many producers
 * throttled at the same moment do not come back at the same moment).
 */
import { isRetryableAwsError } from '../contracts/aws-errors';
import { fullJitterDelay } from '../contracts/backoff';

/** How the publisher retries. */
export interface RetryPolicy {
  /** Requests per event, the first included. @default 5 */
  readonly maxAttempts: number;
  /** Upper bound of the first wait, milliseconds; doubles per retry. @default 100 */
  readonly baseDelayMs: number;
  /** No wait is longer than this, milliseconds. @default 5000 */
  readonly maxDelayMs: number;
}

/** The default retry policy. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 5000 };

/**
 * The wait before retry number `retry` (1 for the first retry): a uniformly random whole
 * number of milliseconds from 0 to min(maxDelayMs, baseDelayMs x 2^(retry-1)), both
 * included ("full jitter", the convention of contracts/backoff.ts, shared with the
 * consumer kit).
 * @param random a number in [0, 1), `Math.random` unless a test fixes it
 */
export function fullJitterDelayMs(retry: number, policy: RetryPolicy, random: () => number = Math.random): number {
  return fullJitterDelay(retry, { base: policy.baseDelayMs, max: policy.maxDelayMs }, random);
}

// SNS's throttling and server-side codes, for whole requests and for PublishBatch entries.
const RETRYABLE_SNS_CODES: ReadonlySet<string> = new Set([
  'Throttled',
  'ThrottledException',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'KMSThrottlingException',
  'InternalError',
  'InternalErrorException',
  'InternalFailure',
  'ServiceUnavailable',
]);

/** True when an SNS error code names throttling or a server-side failure. */
export function isRetryableSnsCode(code: string | undefined): boolean {
  return code !== undefined && RETRYABLE_SNS_CODES.has(code);
}

/**
 * True when a failed SNS request may pass on a later try: throttling, a 5xx, or no
 * HTTP answer at all (connection refused or reset, timeout). A 4xx that is not
 * throttling (invalid parameter, missing topic, access denied) is permanent.
 */
export function isRetryableSnsError(error: unknown): boolean {
  return isRetryableAwsError(error, RETRYABLE_SNS_CODES);
}
