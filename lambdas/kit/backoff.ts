/**
 * How long a transiently failed message waits before its next try: exponential backoff
 * with full jitter ("Exponential Backoff And Jitter", AWS Architecture Blog), driven by
 * the message's own ApproximateReceiveCount so it needs no state of its own.
 */

/** SQS refuses a visibility timeout above 12 hours. */
export const SQS_MAX_VISIBILITY_SECONDS = 12 * 60 * 60;

/** Backoff settings. */
export interface BackoffOptions {
  /** Ceiling of the first retry's delay, seconds. @default 2 */
  readonly baseSeconds?: number;
  /**
   * Largest delay, seconds; clamped to SQS's 12 h. Kept below the queue's default
   * visibility timeout (6 x the 30 s function timeout) so backoff never waits longer than
   * a crashed invocation would have.
   * @default 120
   */
  readonly capSeconds?: number;
  /** Uniform random number in [0, 1). @default Math.random */
  readonly random?: () => number;
}

/** The defaults of {@link BackoffOptions}. */
export const BACKOFF_DEFAULTS = { baseSeconds: 2, capSeconds: 120 } as const;

/**
 * The upper bound of the delay after the `receiveCount`-th receive failed:
 * `min(cap, base * 2^(receiveCount - 1))`, whole seconds.
 */
export function backoffCeilingSeconds(receiveCount: number, options: BackoffOptions = {}): number {
  const base = options.baseSeconds ?? BACKOFF_DEFAULTS.baseSeconds;
  const cap = Math.min(options.capSeconds ?? BACKOFF_DEFAULTS.capSeconds, SQS_MAX_VISIBILITY_SECONDS);
  // A missing or garbled count is treated as the first try rather than failing the record.
  const attempt = Number.isFinite(receiveCount) && receiveCount >= 1 ? Math.floor(receiveCount) : 1;
  // Exponents past 40 overflow nothing but are pointless: the cap has long been reached.
  return Math.max(0, Math.min(cap, Math.ceil(base * 2 ** Math.min(attempt - 1, 40))));
}

/**
 * Full-jitter delay: uniform in [0, ceiling], whole seconds (what ChangeMessageVisibility takes).
 * Full jitter spreads retries of a failed batch so they do not hit a recovering downstream together.
 */
export function backoffDelaySeconds(receiveCount: number, options: BackoffOptions = {}): number {
  const ceiling = backoffCeilingSeconds(receiveCount, options);
  const random = options.random ?? Math.random;
  return Math.min(ceiling, Math.floor(random() * (ceiling + 1)));
}
