import { describe, expect, it } from 'vitest';
import { backoffCeiling, fullJitterDelay } from '../../contracts/backoff';
import {
  BACKOFF_DEFAULTS,
  backoffCeilingSeconds,
  backoffDelaySeconds,
  decideRetry,
  defaultRetryBudget,
  GiveUpReason,
  MAX_BACKOFF_SECONDS,
  RETRY_BUDGET_DEFAULT_SECONDS,
  SQS_MAX_VISIBILITY_SECONDS,
  type RetryBudgetOptions,
} from '../../lambdas/kit/backoff';
import { seededRandom } from './kit-fakes';

describe('full jitter (contracts/backoff, shared by the publisher and the kit)', () => {
  it('grows the ceiling from the base, doubling per attempt, up to the max', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffCeiling(n, { base: 100, max: 1000 }))).toEqual([100, 200, 400, 800, 1000, 1000]);
    // A fractional growth is rounded up to a whole unit.
    expect(backoffCeiling(2, { base: 0.3, max: 10 })).toBe(1);
  });

  it('counts a missing or garbled attempt as the first, and never overflows', () => {
    for (const attempt of [Number.NaN, 0, -3, Number.NEGATIVE_INFINITY]) expect(backoffCeiling(attempt, { base: 7, max: 100 })).toBe(7);
    expect(backoffCeiling(1e9, { base: 7, max: 100 })).toBe(100);
    expect(backoffCeiling(Number.MAX_SAFE_INTEGER, { base: 7, max: Number.MAX_SAFE_INTEGER })).toBe(7 * 2 ** 40);
  });

  it('draws a whole number from 0 to the ceiling, both included', () => {
    const backoff = { base: 100, max: 1000 };
    expect(fullJitterDelay(1, backoff, () => 0)).toBe(0);
    expect(fullJitterDelay(1, backoff, () => 0.5)).toBe(50);
    expect(fullJitterDelay(1, backoff, () => 0.999_999)).toBe(100);
    expect(fullJitterDelay(9, backoff, () => 0.999_999)).toBe(1000);
    // Even a ceiling of one unit is reachable (an exclusive draw would always give 0).
    expect(fullJitterDelay(1, { base: 1, max: 1 }, () => 0.75)).toBe(1);
  });
});

describe('kit backoff (seconds of SQS visibility)', () => {
  it('defaults to a 10 s base and a 300 s cap, doubling per receive', () => {
    expect(BACKOFF_DEFAULTS).toEqual({ baseSeconds: 10, capSeconds: 300 });
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => backoffCeilingSeconds(n))).toEqual([10, 20, 40, 80, 160, 300, 300]);
    // maxReceiveCount 5: five failed receives may wait up to 10 + 20 + 40 + 80 + 160 s before the DLQ, not 62 s.
    expect([1, 2, 3, 4, 5].reduce((sum, n) => sum + backoffCeilingSeconds(n), 0)).toBe(310);
  });

  it('takes the base and the cap it is given', () => {
    expect([1, 2, 3, 4].map((n) => backoffCeilingSeconds(n, { baseSeconds: 2, capSeconds: 5 }))).toEqual([2, 4, 5, 5]);
  });

  it('stays below SQS’s 12 h visibility limit, whatever the cap', () => {
    expect(MAX_BACKOFF_SECONDS).toBeLessThan(SQS_MAX_VISIBILITY_SECONDS);
    expect(backoffCeilingSeconds(100, { capSeconds: SQS_MAX_VISIBILITY_SECONDS })).toBe(MAX_BACKOFF_SECONDS);
    expect(backoffCeilingSeconds(10_000, { baseSeconds: 60, capSeconds: Number.MAX_SAFE_INTEGER })).toBe(MAX_BACKOFF_SECONDS);
    expect(backoffDelaySeconds(100, { capSeconds: 10 * SQS_MAX_VISIBILITY_SECONDS, random: () => 0.999_999 })).toBe(MAX_BACKOFF_SECONDS);
  });

  it('treats a missing or garbled receive count as the first receive', () => {
    expect(backoffCeilingSeconds(Number.NaN)).toBe(10);
    expect(backoffCeilingSeconds(0)).toBe(10);
    expect(backoffCeilingSeconds(-3)).toBe(10);
  });

  it('draws every delay from 0 to the ceiling inclusive (full jitter), in whole seconds', () => {
    for (let receive = 1; receive <= 12; receive += 1) {
      const ceiling = backoffCeilingSeconds(receive);
      expect(backoffDelaySeconds(receive, { random: () => 0 })).toBe(0);
      expect(backoffDelaySeconds(receive, { random: () => 0.999_999 })).toBe(ceiling);
      for (let i = 0; i < 50; i += 1) {
        const delay = backoffDelaySeconds(receive);
        expect(Number.isInteger(delay)).toBe(true);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThanOrEqual(ceiling);
      }
    }
  });

  it('spreads retries: draws across the range, not a fixed value', () => {
    const seen = new Set(Array.from({ length: 400 }, () => backoffDelaySeconds(5)));
    expect(seen.size).toBeGreaterThan(10);
  });
});

describe('retry budget in time (issue 9, break 3)', () => {
  const T0 = Date.parse('2026-12-01T12:00:00Z');
  const HOUR: RetryBudgetOptions = { budgetSeconds: 3600, maxReceiveCount: 49 };
  const top = { random: () => 0.999_999 };

  it('defaults to 1 h and the 49 receives derived for it from the default backoff', () => {
    expect(RETRY_BUDGET_DEFAULT_SECONDS).toBe(3600);
    expect(defaultRetryBudget()).toEqual({ budgetSeconds: 3600, maxReceiveCount: 49 });
    // A slower backoff needs fewer receives, a faster one more, never above SQS's 1000.
    expect(defaultRetryBudget({ baseSeconds: 60, capSeconds: 900 }).maxReceiveCount).toBeLessThan(49);
    expect(defaultRetryBudget({ baseSeconds: 1, capSeconds: 4 }).maxReceiveCount).toBe(1000);
  });

  it('retries with the drawn delay while the budget and the receives last', () => {
    const decision = decideRetry({ receiveCount: 3, firstReceiveMs: T0 }, T0 + 60_000, HOUR, top);
    expect(decision).toEqual({ kind: 'retry', delaySeconds: 40, elapsedSeconds: 60 });
  });

  it('gives up on the last allowed receive, even with budget left', () => {
    // The bare count of old: the 5th receive of a queue with maxReceiveCount 5.
    expect(decideRetry({ receiveCount: 5, firstReceiveMs: T0 }, T0 + 75_000, { budgetSeconds: 3600, maxReceiveCount: 5 }, top)).toEqual({
      kind: 'give-up',
      reason: GiveUpReason.LastReceive,
      elapsedSeconds: 75,
    });
    expect(decideRetry({ receiveCount: 49 }, T0, HOUR, top)).toEqual({ kind: 'give-up', reason: GiveUpReason.LastReceive });
    // Past it too (a receive SQS counted while the kit did not see it).
    expect(decideRetry({ receiveCount: 50, firstReceiveMs: T0 }, T0, HOUR, top).kind).toBe('give-up');
  });

  it('gives up once the budget is spent, counted from the first receive', () => {
    expect(decideRetry({ receiveCount: 7, firstReceiveMs: T0 }, T0 + 3_600_000, HOUR, top)).toEqual({
      kind: 'give-up',
      reason: GiveUpReason.BudgetSpent,
      elapsedSeconds: 3600,
    });
    expect(decideRetry({ receiveCount: 2, firstReceiveMs: T0 }, T0 + 5 * 3_600_000, HOUR, top)).toMatchObject({ kind: 'give-up', reason: GiveUpReason.BudgetSpent });
  });

  it('cuts the delay so the last try falls at the budget’s end, rounded up', () => {
    // 3595 s spent: the drawn 300 s becomes the 5 s left.
    expect(decideRetry({ receiveCount: 10, firstReceiveMs: T0 }, T0 + 3_595_000, HOUR, top)).toEqual({ kind: 'retry', delaySeconds: 5, elapsedSeconds: 3595 });
    // 3599.2 s spent: 0.8 s left rounds up to 1, so the next try comes after the end and gives up.
    expect(decideRetry({ receiveCount: 10, firstReceiveMs: T0 }, T0 + 3_599_200, HOUR, top)).toMatchObject({ kind: 'retry', delaySeconds: 1 });
    // Never longer than drawn: a short draw is kept.
    expect(decideRetry({ receiveCount: 10, firstReceiveMs: T0 }, T0 + 3_595_000, HOUR, { random: () => 0 })).toMatchObject({ delaySeconds: 0 });
  });

  it('goes by the receive count alone when the first receive is unknown, and by 0 s when the clock is behind it', () => {
    expect(decideRetry({ receiveCount: 3 }, T0, HOUR, top)).toEqual({ kind: 'retry', delaySeconds: 40 });
    expect(decideRetry({ receiveCount: 3, firstReceiveMs: T0 + 10_000 }, T0, HOUR, top)).toEqual({ kind: 'retry', delaySeconds: 40, elapsedSeconds: 0 });
  });

  it('walks a record that always fails from its first receive to a give-up at the budget’s end (seeded)', () => {
    const budget = defaultRetryBudget();
    const random = seededRandom(9);
    let lastReceive = 0;
    const givenUpAt = new Set<number | undefined>();
    const badDelays: string[] = [];
    for (let record = 0; record < 2000; record += 1) {
      let nowMs = T0;
      let receiveCount = 1;
      for (;;) {
        const decision = decideRetry({ receiveCount, firstReceiveMs: T0 }, nowMs, budget, { random });
        if (decision.kind === 'give-up') {
          if (decision.reason === GiveUpReason.LastReceive) lastReceive += 1;
          else givenUpAt.add(decision.elapsedSeconds);
          break;
        }
        if (decision.delaySeconds < 0 || decision.delaySeconds > backoffCeilingSeconds(receiveCount)) badDelays.push(`${receiveCount}: ${decision.delaySeconds}`);
        nowMs += decision.delaySeconds * 1000;
        receiveCount += 1;
      }
    }
    expect(badDelays).toEqual([]);
    // Given up at the budget's end (the tries themselves taking no time here): not before, not after.
    expect([...givenUpAt]).toEqual([budget.budgetSeconds]);
    // The receives almost never run out first (the derived count's risk is 1e-6).
    expect(lastReceive).toBe(0);
  });
});
