/**
 * Exponential backoff with full jitter ("Exponential Backoff And Jitter", AWS
 * Architecture Blog), shared by the publisher (milliseconds between SNS retries) and the
 * consumer kit (seconds of SQS visibility before a failed record's next try).
 *
 * The one convention: delays are whole units (ms or s, whatever `base` and `max` are in),
 * drawn uniformly from 0 to the ceiling, both ends included. Including the ceiling keeps
 * the mean at half the ceiling, as the blog's continuous formula has it, which matters
 * when the unit is coarse: with a ceiling of 1 s an exclusive draw would always be 0.
 */

/** The growth of the ceiling: `base` for the first retry, doubling up to `max`. */
export interface ExponentialBackoff {
  /** Ceiling of the first retry's delay (same unit as the result). */
  readonly base: number;
  /** No ceiling is above this. */
  readonly max: number;
}

// Past 2^40 the product only overflows towards Infinity: every sane `max` was reached long before.
const MAX_EXPONENT = 40;

/**
 * The ceiling of the delay before retry `attempt` (1 for the first retry):
 * `min(max, ceil(base * 2^(attempt - 1)))`, never negative. A missing or garbled
 * attempt counts as the first.
 */
export function backoffCeiling(attempt: number, backoff: ExponentialBackoff): number {
  const n = Number.isFinite(attempt) && attempt >= 1 ? Math.floor(attempt) : 1;
  const grown = Math.ceil(backoff.base * 2 ** Math.min(n - 1, MAX_EXPONENT));
  return Math.max(0, Math.min(Math.floor(backoff.max), grown));
}

/**
 * Full jitter: the delay before retry `attempt`, a uniformly random whole number from 0 to
 * {@link backoffCeiling} inclusive. Spreading retries keeps callers that failed together
 * from coming back together on a service that is recovering.
 * @param random a number in [0, 1); `Math.random` unless a test fixes it
 */
export function fullJitterDelay(attempt: number, backoff: ExponentialBackoff, random: () => number = Math.random): number {
  const ceiling = backoffCeiling(attempt, backoff);
  return Math.min(ceiling, Math.floor(random() * (ceiling + 1)));
}
