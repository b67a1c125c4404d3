import { describe, expect, it } from 'vitest';
import { throughputCause } from '../../local/start';

const base = { offeredRate: 15, throughput: 15, lastEffectAfterPublishingSeconds: 1, retried: 0, crashedOrTimedOut: 0 };

describe('what the throughput line blames', () => {
  it('blames crashed batches, not the emulator, for a tail that waited out their visibility timeout', () => {
    expect(throughputCause({ ...base, throughput: 1.5, lastEffectAfterPublishingSeconds: 180, retried: 40, crashedOrTimedOut: 5 })).toBe(
      'the last effects waited out the visibility timeout of 5 crashed or timed-out batch(es): that is the fault, not the emulator',
    );
  });

  it('blames the retry backoff for a tail of retries', () => {
    expect(throughputCause({ ...base, throughput: 9, lastEffectAfterPublishingSeconds: 40, retried: 12 })).toBe(
      'the last effects waited out the retry backoff of 12 retried deliveries: that is the backoff, not the emulator',
    );
  });

  it('names the emulator for a tail of backlog left when publishing ended, retries or not', () => {
    expect(throughputCause({ ...base, throughput: 4.6, lastEffectAfterPublishingSeconds: 155, retried: 36, backlogAtLastPublication: 640 })).toBe(
      '640 messages were still queued when publishing ended: the ceiling is the single-threaded emulator, not Fanout',
    );
  });

  it('names the emulator only when the run fell behind without such a tail', () => {
    expect(throughputCause({ ...base, throughput: 12, retried: 3 })).toBe('the ceiling is the single-threaded emulator, not Fanout');
    expect(throughputCause({ ...base, throughput: 14.9, retried: 3 })).toBe('it kept up with the offered rate');
  });
});
