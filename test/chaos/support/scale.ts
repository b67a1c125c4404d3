/**
 * How big each fault is. `npm test` (and so CI) runs every fault at a size that keeps
 * the whole suite within a few minutes on 2 cores; `npm run test:chaos` sets
 * FANOUT_CHAOS_FULL=1 for the full sizes, the 10,000-event load run among them.
 */
export const FULL = process.env.FANOUT_CHAOS_FULL === '1';

/** `ci` in CI-sized runs, `full` in full ones. */
export function size<T>(ci: T, full: T): T {
  return FULL ? full : ci;
}
