/**
 * The retry budget: how long a consumer keeps retrying an event that fails transiently
 * (a downstream outage) before it dead-letters it, and the SQS maxReceiveCount that
 * follows from it. Shared by the pipeline definition (lib/, which derives and validates
 * the count) and the consumer kit (lambdas/kit, which derives the same default when its
 * environment does not say), so both sides do the same arithmetic.
 *
 * The model: after the i-th failed receive the kit waits D_i, drawn uniformly from the
 * whole seconds 0..c_i with c_i = min(cap, base x 2^(i-1)) (full jitter, contracts/backoff.ts).
 * The n-th receive therefore happens S_(n-1) = D_1 + ... + D_(n-1) seconds after the
 * first, or later: the tries themselves take time too, and leaving that out only makes
 * the count larger, never too small. The receives "run out before the budget" when
 * S_(n-1) < budget: the last allowed receive comes while the outage may still be within
 * the budget. The count is the smallest n for which that is nearly impossible.
 *
 * In expectation each delay is c_i / 2, so covering the budget takes about
 * (the ramp, while c_i < cap) + (budget - what the ramp covers) / (cap / 2) delays; the
 * count adds the margin that makes a shortfall improbable, bounded with Chernoff's
 * inequality: for every theta > 0, P(S < B) <= e^(theta B) x prod_i E[e^(-theta D_i)],
 * where E[e^(-theta D)] = (1 - e^(-theta (c + 1))) / ((c + 1)(1 - e^(-theta))) for D
 * uniform on 0..c. The bound is minimised over theta (its logarithm is convex in theta)
 * and the count is the smallest n whose bound is at most {@link RETRY_BUDGET_RISK}.
 * With the defaults (budget 3600 s, base 10 s, cap 300 s) that is 48 delays, 49 receives,
 * against 28 delays in expectation; scaled down (budget 20 s, base 1 s, cap 4 s) it is 31.
 */
import { backoffCeiling } from './backoff';

/** How long a downstream outage may last before events are dead-lettered, and the backoff that spends it. */
export interface RetryBudget {
  /** The budget, seconds from the first receive. */
  readonly budgetSeconds: number;
  /** Ceiling of the first retry's delay, seconds. */
  readonly baseSeconds: number;
  /** Largest delay ceiling, seconds. */
  readonly capSeconds: number;
}

/**
 * The accepted probability that an event's receives run out before its budget is spent
 * (one in a million). Even then nothing is lost: the kit dead-letters the event on its
 * last allowed receive with its failure context, only earlier than the budget allowed.
 */
export const RETRY_BUDGET_RISK = 1e-6;

// ln E[e^(-theta D)] for D uniform on the whole numbers 0..c; expm1 keeps it exact for small theta.
function logMgf(theta: number, c: number): number {
  if (c <= 0 || theta <= 0) return 0;
  return Math.log(-Math.expm1(-theta * (c + 1))) - Math.log(c + 1) - Math.log(-Math.expm1(-theta));
}

/**
 * An upper bound (Chernoff) on the probability that the first `delays` backoff delays
 * add up to less than the budget, i.e. that a record whose every try fails transiently
 * gets its (delays + 1)-th receive before its budget is spent.
 */
export function budgetShortfallBound(budget: RetryBudget, delays: number): number {
  const B = budget.budgetSeconds;
  if (delays <= 0) return B > 0 ? 1 : 0;
  const backoff = { base: budget.baseSeconds, max: budget.capSeconds };
  // The ceilings grow to the cap in a few steps and then stay: sum the ramp term by
  // term and count the rest, so any number of delays costs the same few operations.
  const ramp: number[] = [];
  for (let i = 1; i <= delays; i++) {
    const c = backoffCeiling(i, backoff);
    if (c >= backoff.max || i > 64) break;
    ramp.push(c);
  }
  const flat = delays - ramp.length;
  const flatCeiling = backoffCeiling(ramp.length + 1, backoff);
  const logBound = (theta: number) => theta * B + ramp.reduce((sum, c) => sum + logMgf(theta, c), 0) + flat * logMgf(theta, flatCeiling);
  // Convex in theta; its slope B - (tilted mean of S) is positive by theta = 50 for whole-second delays.
  let lo = 0;
  let hi = 50;
  for (let step = 0; step < 200; step++) {
    const a = lo + (hi - lo) / 3;
    const b = hi - (hi - lo) / 3;
    if (logBound(a) <= logBound(b)) hi = b;
    else lo = a;
  }
  return Math.min(1, Math.exp(logBound((lo + hi) / 2)));
}

/**
 * The fewest receives for which a record failing transiently every time will, except
 * with probability {@link RETRY_BUDGET_RISK}, not run out of receives before its retry
 * budget is spent (see the module comment for the arithmetic). A FIFO queue needs the
 * batch size on top (see the pipeline definition's fifoMaxReceiveCount).
 * @returns at least 1; may exceed SQS's limit of 1000, which the caller must check
 */
export function receivesToCoverBudget(budget: RetryBudget, risk: number = RETRY_BUDGET_RISK): number {
  if (budgetShortfallBound(budget, 0) <= risk) return 1;
  // The bound falls as delays are added: double to bracket, then bisect.
  let hi = 1;
  while (budgetShortfallBound(budget, hi) > risk) {
    hi *= 2;
    if (hi > 1_000_000) return Number.POSITIVE_INFINITY;
  }
  let lo = Math.floor(hi / 2);
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (budgetShortfallBound(budget, mid) > risk) lo = mid;
    else hi = mid;
  }
  return hi + 1;
}
