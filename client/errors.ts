/**
 * Errors of the publisher client. Each is a {@link PermanentError} (sending again cannot
 * help: fix the event or the set-up) or a {@link TransientError} (SNS did not take it
 * after every retry: sending again later may work).
 *
 * Every error about one event carries that event's {@link EventRef} as typed fields
 * (`eventId`, `correlationId`, `eventType`), never only inside its message: a producer
 * that retries after a failure, above all an ambiguous one (a timeout: SNS may have taken
 * the event), must send it again under the same `eventId`, or consumers see two events.
 */
import { ContractViolationError, FanoutError, PermanentError, TransientError, type ContractViolation } from '../contracts/errors';

/** Which event an error is about: what a producer needs to publish it again as the same event. */
export interface EventRef {
  /** The event type, e.g. `user.signed-up`. */
  readonly eventType: string;
  /** The event id (the envelope's `id`, the consumers' idempotency key): pass it as `id` when publishing the event again. */
  readonly eventId: string;
  /** The correlation id the event carried (the event id unless the producer set one). */
  readonly correlationId: string;
}

/** An error the publisher reports for one event (a {@link FailedEvent}'s `error`, or what `publish` throws). */
export type PublishError = FanoutError & EventRef;

/** True when `error` names the event it is about ({@link EventRef}): every error the publisher reports for an event does. */
export function isPublishError(error: unknown): error is PublishError {
  if (!(error instanceof FanoutError)) return false;
  const e = error as Partial<EventRef>;
  return typeof e.eventId === 'string' && typeof e.correlationId === 'string' && typeof e.eventType === 'string';
}

/** An event, once wrapped in its envelope, is over the SNS message size limit; nothing was sent for it. */
export class MessageTooLargeError extends PermanentError implements EventRef {
  readonly eventType: string;
  readonly eventId: string;
  readonly correlationId: string;
  readonly sizeBytes: number;
  readonly limitBytes: number;
  constructor(event: EventRef, sizeBytes: number, limitBytes: number) {
    super(
      `${event.eventType} event ${event.eventId} is ${sizeBytes} bytes as an SNS message (envelope and attributes), over the ${limitBytes}-byte SNS limit: send a reference to the data (e.g. an S3 key) instead of the data itself`,
    );
    this.name = 'MessageTooLargeError';
    ({ eventType: this.eventType, eventId: this.eventId, correlationId: this.correlationId } = event);
    this.sizeBytes = sizeBytes;
    this.limitBytes = limitBytes;
  }
}

/** The event itself is malformed (e.g. no subject) before its data is even looked at. */
export class InvalidEventError extends PermanentError implements EventRef {
  readonly eventType: string;
  readonly eventId: string;
  readonly correlationId: string;
  constructor(event: EventRef, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InvalidEventError';
    ({ eventType: this.eventType, eventId: this.eventId, correlationId: this.correlationId } = event);
  }
}

/** No topic is configured for the event type. */
export class NoTopicError extends PermanentError implements EventRef {
  readonly eventType: string;
  readonly eventId: string;
  readonly correlationId: string;
  constructor(event: EventRef, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NoTopicError';
    ({ eventType: this.eventType, eventId: this.eventId, correlationId: this.correlationId } = event);
  }
}

/**
 * The event's data breaks its contract; nothing was sent. A {@link ContractViolationError}
 * (same `name`, same `violations`: code that handles a violation handles this one) that
 * also names the event.
 */
export class EventContractViolationError extends ContractViolationError implements EventRef {
  readonly eventType: string;
  readonly eventId: string;
  readonly correlationId: string;
  constructor(event: EventRef, version: number, violations: readonly ContractViolation[]) {
    super(event.eventType, version, violations);
    // Kept as the parent's: it is the same failure, and dead-letter readers, the CLI and
    // producers match on `ContractViolationError`.
    this.name = 'ContractViolationError';
    ({ eventType: this.eventType, eventId: this.eventId, correlationId: this.correlationId } = event);
  }
}

/**
 * The event's contract could not be used and never will as things stand (the contract
 * resolver's permanent error, e.g. an `UnknownContractError`, is the `cause`); nothing was sent.
 */
export class ContractLookupRejectedError extends PermanentError implements EventRef {
  readonly eventType: string;
  readonly eventId: string;
  readonly correlationId: string;
  /** The resolver's error name, e.g. `UnknownContractError`. */
  readonly code: string;
  constructor(event: EventRef, message: string, code: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ContractLookupRejectedError';
    ({ eventType: this.eventType, eventId: this.eventId, correlationId: this.correlationId } = event);
    this.code = code;
  }
}

/** The event's contract could not be fetched this time (e.g. the schema registry did not answer); nothing was sent. */
export class ContractLookupFailedError extends TransientError implements EventRef {
  readonly eventType: string;
  readonly eventId: string;
  readonly correlationId: string;
  /** The resolver's error name, e.g. `TransientError`. */
  readonly code: string;
  constructor(event: EventRef, message: string, code: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ContractLookupFailedError';
    ({ eventType: this.eventType, eventId: this.eventId, correlationId: this.correlationId } = event);
    this.code = code;
  }
}

/** SNS refused the event (a sender fault, e.g. an invalid parameter or a missing topic). */
export class PublishRejectedError extends PermanentError implements EventRef {
  readonly eventType: string;
  readonly eventId: string;
  readonly correlationId: string;
  /** SNS's error code, e.g. `InvalidParameter`, `NotFound`. */
  readonly code: string;
  constructor(event: EventRef, message: string, code: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PublishRejectedError';
    ({ eventType: this.eventType, eventId: this.eventId, correlationId: this.correlationId } = event);
    this.code = code;
  }
}

/**
 * SNS did not take the event after every retry (throttling, 5xx, network, timeout);
 * publishing it again later may work. After a timeout or a lost connection SNS may have
 * taken it after all: publish it again with the same `id` ({@link PublishFailedError.eventId}),
 * so consumers deduplicate it.
 */
export class PublishFailedError extends TransientError implements EventRef {
  readonly eventType: string;
  readonly eventId: string;
  readonly correlationId: string;
  /** SNS's error code of the last attempt, or the SDK error's name (`TimeoutError` for a request that timed out). */
  readonly code: string;
  /** Requests that carried this event. */
  readonly attempts: number;
  constructor(event: EventRef, message: string, code: string, attempts: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PublishFailedError';
    ({ eventType: this.eventType, eventId: this.eventId, correlationId: this.correlationId } = event);
    this.code = code;
    this.attempts = attempts;
  }
}

/** The publisher is set up wrongly (e.g. the stack outputs lack a topic ARN). */
export class PublisherConfigError extends FanoutError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PublisherConfigError';
  }
}

/**
 * The event type has no contract version to write: it has no generated type (so no
 * entry in LATEST_VERSIONS) and the publisher's `versions` option names none.
 */
export class NoContractVersionError extends PermanentError implements EventRef {
  readonly eventType: string;
  readonly eventId: string;
  readonly correlationId: string;
  constructor(event: EventRef, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NoContractVersionError';
    ({ eventType: this.eventType, eventId: this.eventId, correlationId: this.correlationId } = event);
  }
}

/**
 * On a FIFO topic, an earlier event of the same message group in the batch was not
 * published, so this one was not sent either: sending it would let the group skip that
 * event. Not permanent: publish both again, in order, once the earlier one can go.
 */
export class HeldBackError extends TransientError implements EventRef {
  readonly eventType: string;
  readonly eventId: string;
  readonly correlationId: string;
  /** The id of the earlier event of the group that failed. */
  readonly heldBehind: string;
  /** The message group (the events' subject). */
  readonly messageGroupId: string;
  constructor(event: EventRef, heldBehind: string, messageGroupId: string) {
    super(
      `${event.eventType} event ${event.eventId} was not sent: held behind ${heldBehind}, an earlier event of its message group ${messageGroupId} that was not published (FIFO order); publish them again in order`,
    );
    this.name = 'HeldBackError';
    ({ eventType: this.eventType, eventId: this.eventId, correlationId: this.correlationId } = event);
    this.heldBehind = heldBehind;
    this.messageGroupId = messageGroupId;
  }
}
