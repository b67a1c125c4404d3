/**
 * Typed errors shared by producers, consumers and the CLI.
 *
 * Whether a failure is worth retrying is carried by the type, never by matching
 * message strings: a consumer's kit sends {@link PermanentError}s straight to the
 * dead-letter queue and retries everything else with backoff.
 */

/** Base class of every error Fanout raises on purpose. */
export class FanoutError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FanoutError';
  }
}

/** A failure that will fail the same way on every retry: bad input, a 4xx, an unknown type. */
export class PermanentError extends FanoutError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentError';
  }
}

/** A failure that may pass on a later try: a 5xx, a timeout, throttling. */
export class TransientError extends FanoutError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransientError';
  }
}

/** The body of a message is not a Fanout CloudEvents envelope. */
export class InvalidEnvelopeError extends PermanentError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InvalidEnvelopeError';
  }
}

/** One violation of a contract, as ajv reports it, in words a person can act on. */
export interface ContractViolation {
  /** JSON pointer into `data`, e.g. `/email`; empty for the root. */
  readonly path: string;
  /** The JSON Schema keyword that failed, e.g. `format`, `required`. */
  readonly rule: string;
  /** What is wrong, e.g. `must match format "email"`. */
  readonly message: string;
}

/** `data` does not satisfy its event type's contract. */
export class ContractViolationError extends PermanentError {
  readonly violations: readonly ContractViolation[];
  constructor(eventType: string, version: number, violations: readonly ContractViolation[]) {
    const detail = violations.map((v) => `${v.path || '/'} ${v.message} (${v.rule})`).join('; ');
    super(`${eventType} v${version}: data violates the contract: ${detail}`);
    this.name = 'ContractViolationError';
    this.violations = violations;
  }
}

/** The event type or contract version is not known to the registry or the definition. */
export class UnknownContractError extends PermanentError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UnknownContractError';
  }
}

/** True when retrying cannot help. Anything not known to be permanent is treated as transient. */
export function isPermanent(error: unknown): error is PermanentError {
  return error instanceof PermanentError;
}
