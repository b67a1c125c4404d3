/**
 * How long a transiently failed message waits before its next try: exponential backoff
 * with full jitter (contracts/backoff.ts, the convention shared with the publisher),
 * driven by the message's own ApproximateReceiveCount so it needs no state of its own,
 * and whether it may wait at all: its retry budget.
 *
 * The budget is time, not a count (FANOUT_RETRY_BUDGET_SECONDS, 1 hour by default,
 * counted from the record's ApproximateFirstReceiveTimestamp): a record is retried with
 * backoff (FANOUT_RETRY_BASE_DELAY_SECONDS doubling up to FANOUT_RETRY_MAX_DELAY_SECONDS)
 * until its budget is spent, the last delay cut so its last try falls at the budget's
 * end, and then the kit dead-letters it with its failure context. The queue's
 * maxReceiveCount (FANOUT_MAX_RECEIVE_COUNT) is derived so that it is almost never
 * reached first (contracts/retry-budget.ts); when it is, the kit dead-letters on that
 * last receive too, so SQS never moves a record the kit saw without a reason.
 */
import { backoffCeiling, fullJitterDelay } from '../../contracts/backoff';
import { ConsumerDefaults, SQS_MAX_VISIBILITY_TIMEOUT_SECONDS } from '../../contracts/consumer-defaults';
import { receivesToCoverBudget } from '../../contracts/retry-budget';

/** SQS refuses a visibility timeout above 12 hours. */
export const SQS_MAX_VISIBILITY_SECONDS = SQS_MAX_VISIBILITY_TIMEOUT_SECONDS;

/**
 * The longest delay the kit asks for: below 12 h, because SQS counts those 12 h from the
 * receive, and by the time the kit sets the delay the record has waited out the batching
 * window (up to 5 min) and the invocation (up to 15 min). A request past the limit is
 * refused, and the record would fall back to the queue's visibility timeout.
 */
export const MAX_BACKOFF_SECONDS = SQS_MAX_VISIBILITY_SECONDS - 30 * 60;

/** Backoff settings. */
export interface BackoffOptions {
  /** Ceiling of the first retry's delay, seconds (FANOUT_RETRY_BASE_DELAY_SECONDS). @default 10 */
  readonly baseSeconds?: number;
  /**
   * Largest delay, seconds (FANOUT_RETRY_MAX_DELAY_SECONDS); clamped to {@link MAX_BACKOFF_SECONDS}.
   * @default 300
   */
  readonly capSeconds?: number;
  /** Uniform random number in [0, 1). @default Math.random */
  readonly random?: () => number;
}

/** The defaults of {@link BackoffOptions}, the kit's when the environment sets nothing. */
export const BACKOFF_DEFAULTS = { baseSeconds: ConsumerDefaults.retryBaseDelaySeconds, capSeconds: ConsumerDefaults.retryMaxDelaySeconds } as const;

function growth(options: BackoffOptions): { base: number; max: number } {
  return {
    base: options.baseSeconds ?? BACKOFF_DEFAULTS.baseSeconds,
    max: Math.min(options.capSeconds ?? BACKOFF_DEFAULTS.capSeconds, MAX_BACKOFF_SECONDS),
  };
}

/**
 * The upper bound of the delay after the `receiveCount`-th receive failed:
 * `min(cap, base * 2^(receiveCount - 1))`, whole seconds, below 12 h. A missing or
 * garbled count is treated as the first receive rather than failing the record.
 */
export function backoffCeilingSeconds(receiveCount: number, options: BackoffOptions = {}): number {
  return backoffCeiling(receiveCount, growth(options));
}

/**
 * Full-jitter delay: uniform in [0, ceiling], whole seconds (what ChangeMessageVisibility takes).
 * Full jitter spreads retries of a failed batch so they do not hit a recovering downstream together.
 */
export function backoffDelaySeconds(receiveCount: number, options: BackoffOptions = {}): number {
  return fullJitterDelay(receiveCount, growth(options), options.random);
}

/** The kit's retry budget when the environment sets none, seconds (1 hour). */
export const RETRY_BUDGET_DEFAULT_SECONDS = ConsumerDefaults.retryBudgetSeconds;

/** How long, and how many receives, a record may keep failing transiently. */
export interface RetryBudgetOptions {
  /** Seconds from the record's first receive (FANOUT_RETRY_BUDGET_SECONDS). */
  readonly budgetSeconds: number;
  /** The queue's maxReceiveCount (FANOUT_MAX_RECEIVE_COUNT): the last receive the kit may use. */
  readonly maxReceiveCount: number;
}

/** What a record's retry budget allows, as far as the record itself says. */
export interface RetryState {
  /** Its ApproximateReceiveCount. */
  readonly receiveCount: number;
  /** When it was first received (epoch ms), if the record says. */
  readonly firstReceiveMs?: number;
}

/** Why the kit stops retrying a record that failed transiently. */
export const GiveUpReason = {
  /** Its retry budget (time since the first receive) is spent. */
  BudgetSpent: 'budget-spent',
  /** This was its last allowed receive: SQS would move it to the DLQ, without context, on the next. */
  LastReceive: 'last-receive',
} as const;

/** One of {@link GiveUpReason}. */
export type GiveUpReason = (typeof GiveUpReason)[keyof typeof GiveUpReason];

/** Retry after `delaySeconds`, or give up (dead-letter with the failure context). */
export type RetryDecision =
  | { readonly kind: 'retry'; readonly delaySeconds: number; readonly elapsedSeconds?: number }
  | { readonly kind: 'give-up'; readonly reason: GiveUpReason; readonly elapsedSeconds?: number };

/** The budget used when none is given: 1 hour, and the receives derived for it. */
export function defaultRetryBudget(options: BackoffOptions = {}): RetryBudgetOptions {
  const { base, max } = growth(options);
  return {
    budgetSeconds: RETRY_BUDGET_DEFAULT_SECONDS,
    maxReceiveCount: Math.min(1000, receivesToCoverBudget({ budgetSeconds: RETRY_BUDGET_DEFAULT_SECONDS, baseSeconds: base, capSeconds: max })),
  };
}

/**
 * Decides what happens to a record that just failed transiently at `nowMs`: give up when
 * this is its last allowed receive or its budget is spent; otherwise retry after a
 * full-jitter delay, cut to what is left of the budget (rounded up, so the next try
 * starts at or after the budget's end and, if it fails again, gives up). An unknown
 * first receive leaves only the receive count to go by.
 */
export function decideRetry(state: RetryState, nowMs: number, budget: RetryBudgetOptions, options: BackoffOptions = {}): RetryDecision {
  const elapsedSeconds = state.firstReceiveMs === undefined ? undefined : Math.max(0, nowMs - state.firstReceiveMs) / 1000;
  const known = elapsedSeconds === undefined ? {} : { elapsedSeconds };
  if (state.receiveCount >= budget.maxReceiveCount) return { kind: 'give-up', reason: GiveUpReason.LastReceive, ...known };
  if (elapsedSeconds !== undefined && elapsedSeconds >= budget.budgetSeconds) return { kind: 'give-up', reason: GiveUpReason.BudgetSpent, ...known };
  const drawn = backoffDelaySeconds(state.receiveCount, options);
  const delaySeconds = elapsedSeconds === undefined ? drawn : Math.min(drawn, Math.ceil(budget.budgetSeconds - elapsedSeconds));
  return { kind: 'retry', delaySeconds, ...known };
}
