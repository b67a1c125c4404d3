import { describe, expect, it } from 'vitest';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import { KitMetric, powertoolsMetricSink, powertoolsRecordTracer } from '../../lambdas/kit/telemetry';

describe('Powertools metric sink', () => {
  it('records counts and latency in milliseconds, and publishes on flush', () => {
    const calls: unknown[][] = [];
    let published = 0;
    const metrics = {
      addMetric: (...args: unknown[]) => calls.push(args),
      publishStoredMetrics: () => (published += 1),
    } as unknown as Metrics;
    const sink = powertoolsMetricSink(metrics);
    sink.record(KitMetric.Processed, 1);
    sink.record(KitMetric.EndToEndLatency, 1234);
    sink.flush();
    expect(calls).toEqual([
      ['Processed', 'Count', 1],
      ['EndToEndLatency', 'Milliseconds', 1234],
    ]);
    expect(published).toBe(1);
  });

  it('names exactly the seven metrics every consumer emits', () => {
    expect(Object.values(KitMetric).sort()).toEqual(['Duplicate', 'EndToEndLatency', 'PermanentFailure', 'Processed', 'RetryBudgetSpent', 'Stale', 'TransientFailure']);
  });
});

/** A segment double recording what the tracer does to it. */
function fakeSegment(name: string, log: string[]) {
  const segment = {
    name,
    annotations: {} as Record<string, unknown>,
    errors: [] as unknown[],
    closed: false,
    addNewSubsegment(child: string) {
      log.push(`open ${child}`);
      return fakeSegment(child, log);
    },
    addAnnotation(key: string, value: unknown) {
      segment.annotations[key] = value;
    },
    addError(error: unknown) {
      segment.errors.push(error);
    },
    close() {
      segment.closed = true;
      log.push(`close ${name}`);
    },
  };
  return segment;
}

describe('Powertools record tracer', () => {
  it('opens one annotated subsegment per record, makes it current, and restores the parent', async () => {
    const log: string[] = [];
    const parent = fakeSegment('handler', log);
    let current: unknown = parent;
    let inside: unknown;
    const tracer = {
      isTracingEnabled: () => true,
      getSegment: () => current,
      setSegment: (segment: unknown) => {
        current = segment;
      },
    } as unknown as Tracer;
    const traced = powertoolsRecordTracer(tracer);
    const result = await traced.traceRecord('m-1', async (annotate) => {
      inside = current;
      annotate({ consumer: 'crm-sync', eventType: 'user.signed-up', correlationId: 'corr-1' });
      return 42;
    });
    expect(result).toBe(42);
    expect(log).toEqual(['open ## m-1', 'close ## m-1']);
    expect((inside as ReturnType<typeof fakeSegment>).annotations).toEqual({ consumer: 'crm-sync', eventType: 'user.signed-up', correlationId: 'corr-1' });
    expect(current).toBe(parent);

    await expect(
      traced.traceRecord('m-2', async () => {
        inside = current;
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect((inside as ReturnType<typeof fakeSegment>).errors).toHaveLength(1);
    expect((inside as ReturnType<typeof fakeSegment>).closed).toBe(true);
    expect(current).toBe(parent);
  });

  it('just runs the work when tracing is off (outside Lambda)', async () => {
    const tracer = { isTracingEnabled: () => false } as unknown as Tracer;
    expect(await powertoolsRecordTracer(tracer).traceRecord('m', async () => 'ok')).toBe('ok');
  });
});
