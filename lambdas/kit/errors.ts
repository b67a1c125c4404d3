/**
 * Errors the kit raises itself. Everything else it handles comes from
 * contracts/errors.ts: permanent or transient is decided by type, never by message.
 */
import { FanoutError, PermanentError, TransientError } from '../../contracts/errors';

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
