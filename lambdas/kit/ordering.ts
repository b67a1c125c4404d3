/**
 * The ordering guard's key: where an event stands among the events of its subject.
 *
 * Events carry a per-subject counter when the producer has one (a profile's `revision`,
 * a subscription's `sequence`); events without one are ordered by the envelope `time`.
 * Both are kept, compared counter first and time second, so a consumer can mix event
 * types that carry a counter with ones that do not (a sign-up precedes every profile
 * change of the same user). The comparison itself runs in the downstream adapter, as a
 * conditional write, where it is atomic with the state it protects.
 */
import type { CloudEvent } from '../../contracts/envelope';

/** Position of an event among the events of its subject. */
export interface EventOrder {
  /** The producer's per-subject counter; 0 when the event type has none. */
  readonly sequence: number;
  /** The envelope `time`, epoch milliseconds. */
  readonly timeMs: number;
}

/**
 * The order of an event.
 * @param sequenceField field of `data` holding the per-subject counter (e.g. `revision`);
 *   when absent, or the field is not a non-negative integer, the counter is 0 and time alone decides
 */
export function orderOf(event: CloudEvent, sequenceField?: string): EventOrder {
  const data = event.data as Record<string, unknown> | null;
  const value = sequenceField && typeof data === 'object' && data !== null ? data[sequenceField] : undefined;
  const sequence = typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : 0;
  return { sequence, timeMs: Date.parse(event.time) };
}

/** True when `candidate` is strictly newer than `applied` (counter first, then time). */
export function isNewer(candidate: EventOrder, applied: EventOrder): boolean {
  return candidate.sequence > applied.sequence || (candidate.sequence === applied.sequence && candidate.timeMs > applied.timeMs);
}
