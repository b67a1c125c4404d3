/**
 * What a guarded downstream write does when the downstream already holds a newer event
 * of the same entity. Most late events are simply stale; an event that is the only one to
 * carry some fields (a sign-up's plan and sign-up time: no later profile change has them)
 * must still record those, or they are lost for good when events arrive out of order.
 */

/** The policies a guarded write may ask for. */
export const WhenStale = {
  /** Write nothing; the outcome is `stale`. */
  Skip: 'skip',
  /**
   * Write each field only where the entity lacks it, overwrite nothing, and leave its
   * order (the newer event's) as it is; the outcome is `applied`, since the event was
   * recorded (DynamoDB: `if_not_exists`; HTTP: a follow-up PATCH, see http-api.ts).
   */
  FillMissing: 'fill-missing',
} as const;

/** One of {@link WhenStale}. */
export type WhenStale = (typeof WhenStale)[keyof typeof WhenStale];
