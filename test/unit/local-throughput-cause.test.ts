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
      '640 messages were still queued when publishing ended: the ceiling is the emulator, not Fanout',
    );
  });

  it('names the emulator only when the run fell behind without such a tail', () => {
    expect(throughputCause({ ...base, throughput: 12, retried: 3 })).toBe('the ceiling is the emulator, not Fanout');
    expect(throughputCause({ ...base, throughput: 14.9, retried: 3 })).toBe('it kept up with the offered rate');
  });
});

describe('what bounded a run whose tail was retry backoff', () => {
  // The run: 150 events at 15/s, 8.3 events/s end to end. Its first tries kept
  // pace; the retried effects came seconds later, while the messages waiting out their
  // backoff (in flight) made the queues look full when publishing ended.
  const run = { offeredRate: 15, throughput: 8.3, lastEffectAfterPublishingSeconds: 8, retried: 9, crashedOrTimedOut: 0, backlogAtLastPublication: 90 };

  it('blames the backoff when the first tries caught up and only retried effects came later, however full the queues looked', () => {
    expect(throughputCause({ ...run, lastFirstTryEffectAfterPublishingSeconds: 0.6 })).toBe(
      'the last effects waited out the retry backoff of 9 retried deliveries: that is the backoff, not the emulator',
    );
    // Even a tail shorter than the 5 s that counts as long on its own.
    expect(throughputCause({ ...run, throughput: 11, lastEffectAfterPublishingSeconds: 4, lastFirstTryEffectAfterPublishingSeconds: 0.5 })).toMatch(/retry backoff/);
  });

  it('still names the emulator when the first tries themselves trailed far behind publishing', () => {
    expect(throughputCause({ ...run, lastFirstTryEffectAfterPublishingSeconds: 7.5 })).toBe(
      '90 messages were still queued when publishing ended: the ceiling is the emulator, not Fanout',
    );
  });

  it('names the emulator when publishing itself fell behind the offered rate', () => {
    expect(throughputCause({ ...run, publishedPerSecond: 9.1, lastFirstTryEffectAfterPublishingSeconds: 0.6 })).toBe(
      'publishing itself reached only 9.1/s: the ceiling is the emulator, not Fanout',
    );
  });

  it('names the offered rate when every effect came within moments and the run was short', () => {
    expect(throughputCause({ offeredRate: 15, throughput: 10, lastEffectAfterPublishingSeconds: 1.2, lastFirstTryEffectAfterPublishingSeconds: 1.2, retried: 0, crashedOrTimedOut: 0, publishedPerSecond: 15.2 })).toBe(
      "the offered rate bounded it: the pipeline kept up, and the last effect's own 1.2 s after the last publication weighs on a short run",
    );
  });
});
