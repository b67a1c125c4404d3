/**
 * What a consumer author writes: one function per event type, given typed data, saying
 * whether it applied the event or found it stale. Everything else (parsing, contracts,
 * idempotency, retries, DLQ, telemetry) is the kit's.
 */
import type { CloudEvent } from '../../contracts/envelope';
import type { EventOrder } from './ordering';

/** What applying one event did. */
export const Outcome = {
  /** The effect was written downstream. */
  Applied: 'applied',
  /** The downstream already holds a newer state for the subject: nothing was written. */
  Stale: 'stale',
} as const;

/** One of {@link Outcome}. */
export type Outcome = (typeof Outcome)[keyof typeof Outcome];

/** An event as a consumer function receives it: the envelope, its contract version and its order. */
export interface ConsumerEvent<TData = unknown> extends CloudEvent<TData> {
  /** The contract version `data` was validated against. */
  readonly version: number;
  /** Its position among the events of its subject (see {@link EventOrder}). */
  readonly order: EventOrder;
}

/** How a consumer handles one event type. */
export interface EventHandler<TData> {
  /**
   * Field of `data` holding a per-subject counter (e.g. `revision`) for the ordering guard.
   * @default none: the envelope `time` alone orders events of this type
   */
  readonly sequenceField?: Extract<keyof TData, string>;
  /**
   * Applies the event downstream. Throw a PermanentError (e.g. a 4xx) to send it to the
   * DLQ, anything else to have it retried with backoff.
   */
  apply(event: ConsumerEvent<TData>): Promise<Outcome>;
}

/** A consumer's handlers, by event type. `TEvents` maps each event type to its data type. */
export type ConsumerHandlers<TEvents> = { readonly [K in keyof TEvents]: EventHandler<TEvents[K]> };

/**
 * Identity function that checks a consumer's handlers against its event map, so each
 * handler receives the data type of its own event type.
 */
export function defineHandlers<TEvents>(handlers: ConsumerHandlers<TEvents>): ConsumerHandlers<TEvents> {
  return handlers;
}
