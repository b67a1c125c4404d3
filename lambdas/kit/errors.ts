/**
 * Errors the kit raises itself. Everything else it handles comes from
 * contracts/errors.ts: permanent or transient is decided by type, never by message.
 */
import { FanoutError, PermanentError, TransientError } from '../../contracts/errors';

/**
 * The two kinds of failure a consumer function may throw: a {@link PermanentError} (or a
 * subclass) goes straight to the DLQ, a {@link TransientError} (or anything else) is
 * retried with backoff. Re-exported so a consumer imports the kit alone.
 */
export { PermanentError, TransientError };

/** The event's type has no handler in this consumer (its filter policy let it through). */
export class UnhandledEventTypeError extends PermanentError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UnhandledEventTypeError';
  }
}

/**
 * A permanent failure could not be parked in the DLQ, so the record is reported as
 * failed instead: it stays on the queue and nothing is lost.
 */
export class DeadLetterSendError extends TransientError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DeadLetterSendError';
  }
}

/**
 * The invocation is too close to its timeout to start another record: the record is
 * reported as failed without running, and comes back after its backoff like a transient
 * failure. Letting it start could run the invocation past its timeout, and then no
 * record of the batch gets a backoff or a reason: each would come back only after the
 * visibility timeout, one receive spent each time, until SQS dead-letters it without one.
 */
export class DeadlineNearError extends TransientError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DeadlineNearError';
  }
}

/** The Lambda environment lacks a variable the kit needs, or holds a wrong value. */
export class ConsumerConfigurationError extends FanoutError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConsumerConfigurationError';
  }
}

/**
 * The consumer's function failed (the `cause`), and then the idempotency gate could not
 * remove the in-progress record of the failed try (`cleanupError`; Powertools throws an
 * IdempotencyPersistenceLayerError for it, which carries the store's error and not the
 * function's). Neither permanent nor transient by itself: it is as permanent as its
 * cause (see {@link permanentFailureOf}). The left-over record expires with the invocation.
 */
export class IdempotencyCleanupError extends FanoutError {
  readonly cleanupError: unknown;
  constructor(cause: unknown, cleanupError: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    const cleanup = cleanupError instanceof Error ? cleanupError.message : String(cleanupError);
    super(`${reason} (and the idempotency record of the failed try could not be removed: ${cleanup})`, { cause });
    this.name = 'IdempotencyCleanupError';
    this.cleanupError = cleanupError;
  }
}

/**
 * The permanent error that decides how `error` is handled, if any: `error` itself, or
 * the first one in its chain of causes, looked for through errors that are neither
 * permanent nor transient (a library's wrapper such as Powertools' idempotency errors,
 * or {@link IdempotencyCleanupError}). A {@link TransientError} on the way is an explicit
 * decision and ends the search: its cause does not make it permanent.
 */
export function permanentFailureOf(error: unknown): PermanentError | undefined {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current instanceof Error && !seen.has(current)) {
    // The same test as contracts/errors.ts isPermanent, without its narrowing: PermanentError
    // adds no members, so narrowing it away would leave `never` for the rest of the loop.
    if (current instanceof PermanentError) return current;
    if (current instanceof TransientError) return undefined;
    seen.add(current);
    const { cause } = current as Error;
    current = cause;
  }
  return undefined;
}
