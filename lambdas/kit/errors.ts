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

/** The Lambda environment lacks a variable the kit needs, or holds a wrong value. */
export class ConsumerConfigurationError extends FanoutError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConsumerConfigurationError';
  }
}
