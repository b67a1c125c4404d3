/**
 * The failure context a permanently failed message carries in its dead-letter queue: the
 * contract between the consumer kit, which writes it as SQS message attributes next to
 * the message's own (lambdas/kit/failure-context.ts), and the operator tools that read
 * it back (`fanout dlq`, redrive, the local runner's report). Names only and a reader:
 * what is written, and how, stays the kit's business.
 */

/**
 * The prefix every failure-context attribute name has, reserved for them: an attribute
 * with it on an incoming message is some earlier failure's context (a redriven message),
 * whatever kit version wrote it.
 */
export const FAILURE_ATTRIBUTE_PREFIX = 'fanout-';

/** True for a failure-context attribute (one the kit adds when it dead-letters). */
export function isFailureAttribute(name: string): boolean {
  return name.startsWith(FAILURE_ATTRIBUTE_PREFIX);
}

/** Names of the failure-context message attributes on a DLQ message. */
export const FailureAttribute = {
  /** The error's `name`, e.g. `ContractViolationError`. */
  ErrorName: 'fanout-error-name',
  /** The error's message (truncated by the kit to keep the message under SQS's size limit). */
  ErrorMessage: 'fanout-error-message',
  /** The consumer that gave up on it. */
  Consumer: 'fanout-consumer',
  /** The SQS message id on the consumer's queue. */
  OriginalMessageId: 'fanout-original-message-id',
  /** ApproximateReceiveCount when it failed (DataType Number). */
  ReceiveCount: 'fanout-receive-count',
  /** When the consumer's queue first delivered it (ISO 8601). */
  FirstSeen: 'fanout-first-seen',
} as const;

/** Why and when a record failed. */
export interface FailureContext {
  readonly errorName: string;
  readonly errorMessage: string;
  readonly consumer: string;
  readonly originalMessageId: string;
  readonly receiveCount: number;
  /** ISO 8601, or `unknown` when the record does not say. */
  readonly firstSeen: string;
}

/**
 * Reads a failure context back from a DLQ message's attributes (as ReceiveMessage returns
 * them). Only what is there: a message SQS itself moved after maxReceiveCount has none.
 */
export function readFailureContext(attributes: Readonly<Record<string, { StringValue?: string } | undefined>>): Partial<FailureContext> {
  const get = (name: string) => attributes[name]?.StringValue;
  const receiveCount = get(FailureAttribute.ReceiveCount);
  return {
    ...(get(FailureAttribute.ErrorName) !== undefined && { errorName: get(FailureAttribute.ErrorName) }),
    ...(get(FailureAttribute.ErrorMessage) !== undefined && { errorMessage: get(FailureAttribute.ErrorMessage) }),
    ...(get(FailureAttribute.Consumer) !== undefined && { consumer: get(FailureAttribute.Consumer) }),
    ...(get(FailureAttribute.OriginalMessageId) !== undefined && { originalMessageId: get(FailureAttribute.OriginalMessageId) }),
    ...(receiveCount !== undefined && { receiveCount: Number(receiveCount) }),
    ...(get(FailureAttribute.FirstSeen) !== undefined && { firstSeen: get(FailureAttribute.FirstSeen) }),
  };
}
