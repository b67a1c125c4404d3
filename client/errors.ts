/**
 * Errors of the publisher client. Each is a {@link PermanentError} (sending again cannot
 * help: fix the event or the set-up) or a {@link TransientError} (SNS did not take it
 * after every retry: sending again later may work).
 */
import { FanoutError, PermanentError, TransientError } from '../contracts/errors';

/** An event, once wrapped in its envelope, is over the SNS message size limit; nothing was sent for it. */
export class MessageTooLargeError extends PermanentError {
  readonly sizeBytes: number;
  readonly limitBytes: number;
  constructor(eventType: string, eventId: string, sizeBytes: number, limitBytes: number) {
    super(
      `${eventType} event ${eventId} is ${sizeBytes} bytes as an SNS message (envelope and attributes), over the ${limitBytes}-byte SNS limit: send a reference to the data (e.g. an S3 key) instead of the data itself`,
    );
    this.name = 'MessageTooLargeError';
    this.sizeBytes = sizeBytes;
    this.limitBytes = limitBytes;
  }
}

/** The event itself is malformed (e.g. no subject) before its data is even looked at. */
export class InvalidEventError extends PermanentError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InvalidEventError';
  }
}

/** No topic is configured for the event type. */
export class NoTopicError extends PermanentError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NoTopicError';
  }
}

/** SNS refused the event (a sender fault, e.g. an invalid parameter or a missing topic). */
export class PublishRejectedError extends PermanentError {
  /** SNS's error code, e.g. `InvalidParameter`, `NotFound`. */
  readonly code: string;
  constructor(message: string, code: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PublishRejectedError';
    this.code = code;
  }
}

/** SNS did not take the event after every retry (throttling, 5xx, network); publishing it again later may work. */
export class PublishFailedError extends TransientError {
  /** SNS's error code of the last attempt, or the SDK error's name. */
  readonly code: string;
  /** Requests that carried this event. */
  readonly attempts: number;
  constructor(message: string, code: string, attempts: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PublishFailedError';
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
export class NoContractVersionError extends PermanentError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NoContractVersionError';
  }
}

/**
 * On a FIFO topic, an earlier event of the same message group in the batch was not
 * published, so this one was not sent either: sending it would let the group skip that
 * event. Not permanent: publish both again, in order, once the earlier one can go.
 */
export class HeldBackError extends TransientError {
  /** The id of the earlier event of the group that failed. */
  readonly heldBehind: string;
  /** The message group (the events' subject). */
  readonly messageGroupId: string;
  constructor(eventType: string, eventId: string, heldBehind: string, messageGroupId: string) {
    super(
      `${eventType} event ${eventId} was not sent: held behind ${heldBehind}, an earlier event of its message group ${messageGroupId} that was not published (FIFO order); publish them again in order`,
    );
    this.name = 'HeldBackError';
    this.heldBehind = heldBehind;
    this.messageGroupId = messageGroupId;
  }
}
