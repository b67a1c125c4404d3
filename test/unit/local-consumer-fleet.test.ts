import { afterEach, describe, expect, it, vi } from 'vitest';
import { stopConsumers } from '../../local/consumer-fleet';

afterEach(() => {
  vi.useRealTimers();
});

describe('stopConsumers', () => {
  it('leaves no grace timer behind once the pollers have stopped (it would hold the process open)', async () => {
    vi.useFakeTimers();
    await stopConsumers([], { graceMs: 5000 });
    expect(vi.getTimerCount()).toBe(0);
  });
});
