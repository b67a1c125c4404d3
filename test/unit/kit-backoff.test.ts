import { describe, expect, it } from 'vitest';
import { backoffCeiling, fullJitterDelay } from '../../contracts/backoff';
import { BACKOFF_DEFAULTS, backoffCeilingSeconds, backoffDelaySeconds, MAX_BACKOFF_SECONDS, SQS_MAX_VISIBILITY_SECONDS } from '../../lambdas/kit/backoff';

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
