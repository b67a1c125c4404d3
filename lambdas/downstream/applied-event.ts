/**
 * What a downstream adapter needs to know about the event it applies: enough to key the
 * effect log, guard ordering and pass correlation on. A consumer event (lambdas/kit)
 * satisfies it as is.
 */
import type { EventOrder } from '../kit/ordering';

/** The event behind a downstream change. */
export interface AppliedEvent {
  /** The envelope id: the effect-log key and the HTTP Idempotency-Key. */
  readonly id: string;
  readonly type: string;
  readonly subject: string;
  /** The envelope time (ISO 8601). */
  readonly time: string;
  readonly correlationid: string;
  /** Position among the events of its subject, for the ordering guard. */
  readonly order: EventOrder;
}
