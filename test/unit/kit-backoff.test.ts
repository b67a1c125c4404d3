import { describe, expect, it } from 'vitest';
import { BACKOFF_DEFAULTS, backoffCeilingSeconds, backoffDelaySeconds, SQS_MAX_VISIBILITY_SECONDS } from '../../lambdas/kit/backoff';

describe('backoff', () => {
  it('doubles the ceiling per receive from the base, up to the cap', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((n) => backoffCeilingSeconds(n))).toEqual([2, 4, 8, 16, 32, 64, 120, 120]);
    expect(BACKOFF_DEFAULTS).toEqual({ baseSeconds: 2, capSeconds: 120 });
  });

  it('never exceeds SQS’s 12 h visibility limit, whatever the cap', () => {
    expect(backoffCeilingSeconds(100, { capSeconds: 10 * SQS_MAX_VISIBILITY_SECONDS })).toBe(SQS_MAX_VISIBILITY_SECONDS);
    expect(backoffCeilingSeconds(10_000, { baseSeconds: 60, capSeconds: Number.MAX_SAFE_INTEGER })).toBe(SQS_MAX_VISIBILITY_SECONDS);
  });

  it('treats a missing or garbled receive count as the first receive', () => {
    expect(backoffCeilingSeconds(Number.NaN)).toBe(2);
    expect(backoffCeilingSeconds(0)).toBe(2);
    expect(backoffCeilingSeconds(-3)).toBe(2);
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
