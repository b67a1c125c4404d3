/**
 * How long a transiently failed message waits before its next try: exponential backoff
 * with full jitter (contracts/backoff.ts, the convention shared with the publisher),
 * driven by the message's own ApproximateReceiveCount so it needs no state of its own.
 *
 * The budget before the DLQ is set per consumer (FANOUT_RETRY_BASE_DELAY_SECONDS and
 * FANOUT_RETRY_MAX_DELAY_SECONDS, from the pipeline definition): with the defaults (base
 * 10 s, max 300 s) and maxReceiveCount 5, the ceilings after the five failed receives are
 * 10, 20, 40, 80 and 160 s, up to about five minutes before SQS moves the message to the
 * DLQ, so a downstream outage of a few minutes costs retries, not dead letters.
 */
import { backoffCeiling, fullJitterDelay } from '../../contracts/backoff';

/** SQS refuses a visibility timeout above 12 hours. */
export const SQS_MAX_VISIBILITY_SECONDS = 12 * 60 * 60;

/**
 * The longest delay the kit asks for: below 12 h, because SQS counts those 12 h from the
 * receive, and by the time the kit sets the delay the record has waited out the batching
 * window (up to 5 min) and the invocation (up to 15 min). A request past the limit is
 * refused, and the record would fall back to the queue's visibility timeout.
 */
export const MAX_BACKOFF_SECONDS = SQS_MAX_VISIBILITY_SECONDS - 30 * 60;

/** Backoff settings. */
export interface BackoffOptions {
  /** Ceiling of the first retry's delay, seconds (FANOUT_RETRY_BASE_DELAY_SECONDS). @default 10 */
  readonly baseSeconds?: number;
  /**
   * Largest delay, seconds (FANOUT_RETRY_MAX_DELAY_SECONDS); clamped to {@link MAX_BACKOFF_SECONDS}.
   * @default 300
   */
  readonly capSeconds?: number;
  /** Uniform random number in [0, 1). @default Math.random */
  readonly random?: () => number;
}

/** The defaults of {@link BackoffOptions}, the kit's when the environment sets nothing. */
export const BACKOFF_DEFAULTS = { baseSeconds: 10, capSeconds: 300 } as const;

function growth(options: BackoffOptions): { base: number; max: number } {
  return {
    base: options.baseSeconds ?? BACKOFF_DEFAULTS.baseSeconds,
    max: Math.min(options.capSeconds ?? BACKOFF_DEFAULTS.capSeconds, MAX_BACKOFF_SECONDS),
  };
}

/**
 * The upper bound of the delay after the `receiveCount`-th receive failed:
 * `min(cap, base * 2^(receiveCount - 1))`, whole seconds, below 12 h. A missing or
 * garbled count is treated as the first receive rather than failing the record.
 */
export function backoffCeilingSeconds(receiveCount: number, options: BackoffOptions = {}): number {
  return backoffCeiling(receiveCount, growth(options));
}

/**
 * Full-jitter delay: uniform in [0, ceiling], whole seconds (what ChangeMessageVisibility takes).
 * Full jitter spreads retries of a failed batch so they do not hit a recovering downstream together.
 */
export function backoffDelaySeconds(receiveCount: number, options: BackoffOptions = {}): number {
  return fullJitterDelay(receiveCount, growth(options), options.random);
}
