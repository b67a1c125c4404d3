/**
 * How a failed AWS SDK v3 call is classified, for every adapter that decides between
 * "try again" and "give up" on its own (the publisher's SNS calls, the Glue registry).
 * One classifier, so the two sides cannot drift apart on what "retryable" means; each
 * service only adds the error codes it knows to be temporary.
 */

/** The fields of an SDK v3 service exception (or of any thrown value) the classifier reads. */
export interface AwsErrorShape {
  readonly name?: string;
  readonly message?: string;
  readonly $fault?: 'client' | 'server';
  /** Set by the SDK on errors it deems retryable (throttling among them). */
  readonly $retryable?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: number };
}

/** The error's `name` (the service's error code for SDK exceptions), if it has one. */
export function awsErrorName(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const name = (error as AwsErrorShape).name;
  return typeof name === 'string' ? name : undefined;
}

/** True when `error` is the service exception named `name`, e.g. `EntityNotFoundException`. */
export function isAwsError(error: unknown, name: string): boolean {
  return awsErrorName(error) === name;
}

/** `Name: message` of a failed call, for error messages a person reads. */
export function describeAwsError(error: unknown): string {
  const message = typeof error === 'object' && error !== null ? (error as AwsErrorShape).message : undefined;
  return `${awsErrorName(error) ?? 'Error'}: ${message ?? String(error)}`;
}

/**
 * True when a failed AWS call may pass on a later try: its code is one of the service's
 * temporary ones (`retryableNames`: throttling, internal errors), the SDK marked it
 * retryable, the answer was a 5xx or a 429, or there was no HTTP answer at all
 * (connection refused or reset, timeout). Any other 4xx (invalid input, missing
 * resource, access denied) fails the same way on every try.
 */
export function isRetryableAwsError(error: unknown, retryableNames: ReadonlySet<string>): boolean {
  const name = awsErrorName(error);
  if (name !== undefined && retryableNames.has(name)) return true;
  const e = (typeof error === 'object' && error !== null ? error : {}) as AwsErrorShape;
  if (e.$retryable) return true;
  const status = e.$metadata?.httpStatusCode;
  if (status === undefined) return true;
  return status >= 500 || status === 429;
}
