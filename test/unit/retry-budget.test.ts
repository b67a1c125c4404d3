/**
 * The retry budget's arithmetic (contracts/retry-budget.ts, issue 9, break 3): how many
 * receives a queue needs so that a record failing transiently all the time almost never
 * runs out of receives before its budget in time is spent. Checked as properties, and
 * against a seeded Monte-Carlo run of the kit's own full-jitter delays.
 */
import { describe, expect, it } from 'vitest';
import { budgetShortfallBound, receivesToCoverBudget, RETRY_BUDGET_RISK, type RetryBudget } from '../../contracts/retry-budget';
import { backoffDelaySeconds } from '../../lambdas/kit/backoff';
import { seededRandom } from './kit-fakes';

const DEFAULTS: RetryBudget = { budgetSeconds: 3600, baseSeconds: 10, capSeconds: 300 };

/**
 * The share of `trials` records whose first `delays` backoff delays (drawn by the kit,
 * receive 1, 2, ...) add up to less than the budget: their (delays + 1)-th receive, the
 * last one a queue of that maxReceiveCount allows, comes before the budget is spent.
 */
function shortfallRate(budget: RetryBudget, delays: number, trials: number, seed: number): number {
  const random = seededRandom(seed);
  const options = { baseSeconds: budget.baseSeconds, capSeconds: budget.capSeconds, random };
  let short = 0;
  for (let trial = 0; trial < trials; trial += 1) {
    let waited = 0;
    for (let receive = 1; receive <= delays && waited < budget.budgetSeconds; receive += 1) waited += backoffDelaySeconds(receive, options);
    if (waited < budget.budgetSeconds) short += 1;
  }
  return short / trials;
}

describe('receivesToCoverBudget', () => {
  it('gives 49 receives for the defaults (1 h, base 10 s, cap 300 s), and 31 scaled down (20 s, 1 s, 4 s)', () => {
    expect(receivesToCoverBudget(DEFAULTS)).toBe(49);
    expect(receivesToCoverBudget({ budgetSeconds: 20, baseSeconds: 1, capSeconds: 4 })).toBe(31);
  });

  it('is the smallest count whose shortfall bound is within the risk', () => {
    for (const budget of [DEFAULTS, { budgetSeconds: 20, baseSeconds: 1, capSeconds: 4 }, { budgetSeconds: 900, baseSeconds: 5, capSeconds: 60 }]) {
      const receives = receivesToCoverBudget(budget);
      // n receives leave n - 1 delays between them.
      expect(budgetShortfallBound(budget, receives - 1)).toBeLessThanOrEqual(RETRY_BUDGET_RISK);
      expect(budgetShortfallBound(budget, receives - 2)).toBeGreaterThan(RETRY_BUDGET_RISK);
    }
  });

  it('never falls as the budget grows', () => {
    for (const [base, cap] of [
      [10, 300],
      [1, 4],
      [2, 120],
    ] as const) {
      let previous = 0;
      const budgets = [...Array.from({ length: 121 }, (_, i) => i), ...Array.from({ length: 60 }, (_, i) => 180 + i * 120)];
      for (const budgetSeconds of budgets) {
        const receives = receivesToCoverBudget({ budgetSeconds, baseSeconds: base, capSeconds: cap });
        expect(receives, `budget ${budgetSeconds} s, base ${base}, cap ${cap}`).toBeGreaterThanOrEqual(previous);
        previous = receives;
      }
    }
  });

  it('grows as the accepted risk shrinks, and is at least 1', () => {
    const counts = [1e-1, 1e-3, 1e-6, 1e-9].map((risk) => receivesToCoverBudget(DEFAULTS, risk));
    expect([...counts].sort((a, b) => a - b)).toEqual(counts);
    expect(counts[0]).toBeLessThan(counts[3]!);
    expect(receivesToCoverBudget({ budgetSeconds: 0, baseSeconds: 10, capSeconds: 300 })).toBe(1);
  });

  it('needs more than the expected count: the margin that makes a shortfall improbable', () => {
    // Half the ceilings, summed: 5 + 10 + 20 + 40 + 80 = 155 s over the ramp, then 150 s a delay.
    const expectedDelays = 5 + Math.ceil((3600 - 155) / 150);
    expect(expectedDelays).toBe(28);
    expect(receivesToCoverBudget(DEFAULTS) - 1).toBeGreaterThan(expectedDelays);
  });
});

describe('budgetShortfallBound', () => {
  it('is 1 with no delays at all, and falls as delays are added', () => {
    expect(budgetShortfallBound(DEFAULTS, 0)).toBe(1);
    let previous = 1;
    for (let delays = 1; delays <= 80; delays += 1) {
      const bound = budgetShortfallBound(DEFAULTS, delays);
      expect(bound).toBeGreaterThanOrEqual(0);
      expect(bound).toBeLessThanOrEqual(previous + 1e-12);
      previous = bound;
    }
    expect(previous).toBeLessThan(1e-12);
  });

  it('bounds the simulated shortfall from above (it is a Chernoff bound, not an estimate)', () => {
    for (const delays of [30, 34, 36, 38]) {
      const trials = 20_000;
      const rate = shortfallRate(DEFAULTS, delays, trials, 7 + delays);
      // Three standard errors of slack for the sampling.
      const bound = budgetShortfallBound(DEFAULTS, delays);
      expect(rate, `${delays} delays`).toBeLessThanOrEqual(bound + 3 * Math.sqrt((bound * (1 - bound)) / trials) + 1 / trials);
    }
  });
});

describe('Monte-Carlo: full-jitter delays against the derived count (seeded)', () => {
  it('runs out of receives before the budget far less often than 1 in 1000 at the derived count', () => {
    const receives = receivesToCoverBudget(DEFAULTS);
    const trials = 100_000;
    const rate = shortfallRate(DEFAULTS, receives - 1, trials, 20261203);
    // The bound says at most 1e-6: 0.1 records expected in 100,000.
    expect(rate).toBeLessThan(1e-4);
  });

  it('runs out far more often than 1 in 1000 with half the count (as a bare count of 5 did, for almost every record)', () => {
    const receives = Math.floor(receivesToCoverBudget(DEFAULTS) / 2);
    const rate = shortfallRate(DEFAULTS, receives - 1, 20_000, 42);
    expect(rate).toBeGreaterThan(0.5);
    // The old queues: maxReceiveCount 5 cannot cover even a few minutes of outage.
    expect(shortfallRate(DEFAULTS, 4, 5_000, 43)).toBe(1);
  });
});
