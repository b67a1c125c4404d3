import { describe, expect, it } from 'vitest';
import { isNewer, orderOf } from '../../lambdas/kit/ordering';
import { envelope } from './kit-fakes';

describe('event order', () => {
  const time = new Date('2026-11-28T10:00:00Z');

  it('takes the sequence from the named field and the time from the envelope', () => {
    const event = envelope({ type: 'user.profile-updated', version: 1, data: { revision: 4 } as never, time });
    expect(orderOf(event, 'revision')).toEqual({ sequence: 4, timeMs: time.getTime() });
  });

  it('falls back to sequence 0 without a field, or when the field is not a non-negative integer', () => {
    expect(orderOf(envelope({ time }))).toEqual({ sequence: 0, timeMs: time.getTime() });
    for (const revision of ['4', -1, 1.5, null]) {
      expect(orderOf(envelope({ data: { revision } as never, time }), 'revision').sequence).toBe(0);
    }
  });

  it('compares the sequence first, then the time', () => {
    expect(isNewer({ sequence: 2, timeMs: 1 }, { sequence: 1, timeMs: 99 })).toBe(true);
    expect(isNewer({ sequence: 1, timeMs: 99 }, { sequence: 2, timeMs: 1 })).toBe(false);
    expect(isNewer({ sequence: 0, timeMs: 2 }, { sequence: 0, timeMs: 1 })).toBe(true);
    expect(isNewer({ sequence: 0, timeMs: 1 }, { sequence: 0, timeMs: 1 })).toBe(false);
  });
});
