/**
 * HTTP timeouts of every AWS SDK v3 client Fanout builds, set once here.
 *
 * The SDK's Node.js handler waits forever by default: no connection timeout, no request
 * timeout. A frozen dependency (a stalled broker, a half-open connection, an emulator
 * under SIGSTOP) then hangs the call for as long as the freeze lasts, and a publisher
 * reports "published" afterwards instead of retrying and reporting a failure. With a
 * bound, the call fails with a `TimeoutError` that has no HTTP status, which
 * contracts/aws-errors.ts classifies as retryable, so each caller's own retry policy
 * (the SDK's, the publisher's full-jitter backoff, the kit's visibility backoff) applies.
 *
 * The settings use the SDK's `requestHandler` shorthand (the NodeHttpHandler's
 * constructor options, taken by every client since SDK v3.521) rather than a
 * `new NodeHttpHandler(...)`: nothing extra is imported, so a consumer bundle carries no
 * more than the handler every client already has.
 *
 * Pure data and one function, no SDK import: producers, consumers, the CLI and the local
 * world share it.
 */

/** How long one HTTP request of an SDK client may take, per attempt. */
export interface SdkTimeouts {
  /** Longest wait for the TCP (and TLS) connection to be set up, milliseconds. */
  readonly connectionTimeoutMs: number;
  /** Longest wait for the whole request, from sending it to the end of the answer, milliseconds. */
  readonly requestTimeoutMs: number;
}

/**
 * The timeouts per caller. Each request timeout sits well above the slowest answer a
 * healthy service (or the local emulator under load) gives the calls that caller makes,
 * and well below the time the caller can afford to wait:
 *
 * - `consumer` (Lambda): the DynamoDB, SQS and Glue calls of one record answer in tens of
 *   milliseconds on AWS and under half a second on a loaded emulator. 5 s per attempt,
 *   3 SDK attempts with backoff, is ~16 s at worst: a stalled call fails and the record is
 *   retried with backoff inside the 30 s function timeout, instead of the function timing
 *   out with the effect in an unknown state. Connecting takes milliseconds inside a region:
 *   3 s.
 * - `publisher` (SNS PublishBatch, one SDK attempt, the publisher retries 5 times with full
 *   jitter): 5 s per attempt bounds a whole publish at ~27 s, in a producer's request path.
 * - `cli` (an operator waiting at a prompt): the same connect bound; 10 s per request, as
 *   some operator calls (CloudWatch GetMetricData, CloudFormation DescribeStacks, SQS
 *   receives with a 1 s long poll) are slower than a publish.
 * - `local` (the materializer and the local runner's event-source poller, against a
 *   emulator, one Python process per core at most): long polls of up to 20 s (WaitTimeSeconds) must not be cut
 *   short, and creating a stack's resources may queue behind other work: 30 s per request,
 *   5 s to connect to a process on this machine.
 */
export const SDK_TIMEOUTS = {
  consumer: { connectionTimeoutMs: 3_000, requestTimeoutMs: 5_000 },
  publisher: { connectionTimeoutMs: 3_000, requestTimeoutMs: 5_000 },
  cli: { connectionTimeoutMs: 3_000, requestTimeoutMs: 10_000 },
  local: { connectionTimeoutMs: 5_000, requestTimeoutMs: 30_000 },
} as const satisfies Readonly<Record<string, SdkTimeouts>>;

/**
 * {@link SDK_TIMEOUTS}`.consumer` on its own, for the consumer kit: a consumer bundle then
 * carries these two numbers, not the whole table (the bundle has a size budget).
 */
export const CONSUMER_SDK_TIMEOUTS: SdkTimeouts = { connectionTimeoutMs: 3_000, requestTimeoutMs: 5_000 };

/** The SDK's `requestHandler` shorthand: NodeHttpHandler options, in milliseconds. */
export interface SdkRequestHandlerSettings {
  readonly connectionTimeout: number;
  readonly requestTimeout: number;
  /**
   * Always true. Without it the NodeHttpHandler (since @smithy/node-http-handler 4.1) only
   * logs a warning when `requestTimeout` passes and goes on waiting: the bound would not
   * bound anything.
   */
  readonly throwOnRequestTimeout: true;
}

/** The `requestHandler` settings of `timeouts`. */
export function sdkRequestHandler(timeouts: SdkTimeouts): SdkRequestHandlerSettings {
  return { connectionTimeout: timeouts.connectionTimeoutMs, requestTimeout: timeouts.requestTimeoutMs, throwOnRequestTimeout: true };
}

/**
 * `config` (an SDK client's configuration: region, endpoint, credentials, maxAttempts)
 * with the connection and request timeouts of `timeouts`, e.g. `SDK_TIMEOUTS.cli`. A
 * `requestHandler` already in `config` (a handler instance, or its own settings) is kept
 * as given: whoever built it chose its timeouts.
 * @example
 * const sqs = new SQSClient(withSdkTimeouts({ region: 'eu-west-1' }, SDK_TIMEOUTS.cli));
 */
export function withSdkTimeouts<C extends object>(config: C, timeouts: SdkTimeouts): C & { readonly requestHandler?: SdkRequestHandlerSettings } {
  if ((config as { requestHandler?: unknown }).requestHandler !== undefined) return config;
  return { ...config, requestHandler: sdkRequestHandler(timeouts) };
}
