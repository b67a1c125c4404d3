/**
 * Pacing and progress for moves of many messages: a rate limiter that spaces sends to
 * at most N messages a second, and the one-line progress bar both redrive paths print.
 * Pure apart from the clock and sleep they are given.
 */

/** Clock and sleep, injectable so tests need not wait. */
export interface Timer {
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** The real clock. */
export const realTimer: Timer = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** Spaces work to at most `perSecond` units a second, on average, from the first call. */
export interface RateLimiter {
  /** Waits until `units` more may go. */
  take(units: number): Promise<void>;
}

/**
 * A limiter that lets `units` go at once and then waits until the running average is
 * back at `perSecond` (so a batch of 10 at 5/s waits 2 s before the next batch).
 * `perSecond` Infinity (or 0) means no limit.
 */
export function createRateLimiter(perSecond: number, timer: Timer = realTimer): RateLimiter {
  if (!(perSecond > 0) || !Number.isFinite(perSecond)) return { take: async () => {} };
  let start: number | undefined;
  let sent = 0;
  return {
    async take(units) {
      start ??= timer.now();
      // When may unit number `sent + 1` go: sent / perSecond seconds after the start.
      const due = start + (sent / perSecond) * 1000;
      const wait = due - timer.now();
      if (wait > 0) await timer.sleep(wait);
      sent += units;
    },
  };
}

/** `[#########-----------]  45/100 moved (45%)` */
export function progressBar(done: number, total: number | undefined, label: string, width = 30): string {
  if (total === undefined || total <= 0) return `${done} ${label}`;
  const share = Math.min(1, done / total);
  const filled = Math.round(share * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total} ${label} (${Math.round(share * 100)}%)`;
}
