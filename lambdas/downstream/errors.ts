/**
 * How a downstream's answers map onto the kit's two kinds of failure: a refusal that
 * will repeat (4xx, an invalid write) is permanent and goes to the DLQ; unavailability
 * (5xx, timeouts, throttling, the network) is transient and is retried with backoff.
 */
import { FanoutError, PermanentError, TransientError } from '../../contracts/errors';

/** The downstream refused the change and will refuse it again (HTTP 4xx, DynamoDB ValidationException). */
export class DownstreamRejectedError extends PermanentError {
  /** HTTP status, when the downstream is an HTTP API. */
  readonly status?: number;
  constructor(message: string, options?: { cause?: unknown; status?: number }) {
    super(message, options);
    this.name = 'DownstreamRejectedError';
    if (options?.status !== undefined) this.status = options.status;
  }
}

/** The downstream is failing or overloaded (HTTP 5xx, 429, network errors). */
export class DownstreamUnavailableError extends TransientError {
  /** HTTP status, when there was an answer. */
  readonly status?: number;
  constructor(message: string, options?: { cause?: unknown; status?: number }) {
    super(message, options);
    this.name = 'DownstreamUnavailableError';
    if (options?.status !== undefined) this.status = options.status;
  }
}

/** The downstream did not answer within the timeout. */
export class DownstreamTimeoutError extends TransientError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DownstreamTimeoutError';
  }
}

/** A failure injected on purpose by the local demo's chaos setting (see chaos.ts). */
export class ChaosInjectedError extends TransientError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ChaosInjectedError';
  }
}

/** The downstream environment variables are missing or invalid. */
export class DownstreamConfigurationError extends FanoutError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DownstreamConfigurationError';
  }
}
