/**
 * The kit's view of logs, metrics and traces: small interfaces the record processor
 * uses, and their Powertools implementations (Logger, Metrics as EMF, Tracer on X-Ray).
 * Tests pass recording fakes; Lambda gets Powertools.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import { LATENCY_METRIC } from '../../contracts/consumer-defaults';

/** The metrics every consumer emits (EMF, one set per consumer). */
export const KitMetric = {
  /** Events whose effect was applied by this delivery. */
  Processed: 'Processed',
  /** Deliveries of events already applied (absorbed by idempotency). */
  Duplicate: 'Duplicate',
  /** Events older than what the downstream holds for their subject: skipped by the ordering guard. */
  Stale: 'Stale',
  /** Records that failed for good (sent to the DLQ, or left for retry when that send failed). */
  PermanentFailure: 'PermanentFailure',
  /** Records that failed and will be retried with backoff. */
  TransientFailure: 'TransientFailure',
  /**
   * Records that kept failing transiently until their retry budget was spent (or their
   * last allowed receive came): sent to the DLQ with their failure context by the kit.
   */
  RetryBudgetSpent: 'RetryBudgetSpent',
  /** Milliseconds from the envelope's `time` to the effect being applied. */
  EndToEndLatency: LATENCY_METRIC,
} as const;

/** One of {@link KitMetric}. */
export type KitMetricName = (typeof KitMetric)[keyof typeof KitMetric];

/** Where the kit records metrics. */
export interface MetricSink {
  /** Adds one data point: a count of 1 for counters, milliseconds for latency. */
  record(name: KitMetricName, value: number): void;
  /** Writes what was recorded in this invocation (one EMF document). */
  flush(): void;
}

/** The logging calls the kit makes (a subset of Powertools' Logger). */
export interface KitLogger {
  debug(message: string, ...extra: Record<string, unknown>[]): void;
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
  error(message: string, ...extra: Record<string, unknown>[]): void;
  /** Keys put on every following line (until removed). */
  appendKeys(keys: Record<string, unknown>): void;
  removeKeys(keys: string[]): void;
}

/** Trace annotations the kit sets on each record's subsegment. */
export interface RecordAnnotations {
  readonly consumer: string;
  readonly eventType?: string;
  readonly correlationId?: string;
  /**
   * The W3C trace id of the producer's `traceparent`: an indexed annotation, so the X-Ray
   * traces of one event's consumers are found from the producer's OpenTelemetry trace.
   */
  readonly producerTraceId?: string;
}

/** Traces one record. */
export interface RecordTracer {
  /**
   * Runs `work` inside a subsegment of its own; `annotate` adds annotations to it once
   * they are known (the event type only after parsing).
   */
  traceRecord<T>(name: string, work: (annotate: (annotations: RecordAnnotations) => void) => Promise<T>): Promise<T>;
}

/** A {@link MetricSink} writing Powertools EMF metrics. */
export function powertoolsMetricSink(metrics: Metrics): MetricSink {
  return {
    record(name, value) {
      metrics.addMetric(name, name === KitMetric.EndToEndLatency ? 'Milliseconds' : 'Count', value);
    },
    flush() {
      metrics.publishStoredMetrics();
    },
  };
}

/** A {@link RecordTracer} making one X-Ray subsegment per record, through Powertools' Tracer. */
export function powertoolsRecordTracer(tracer: Tracer): RecordTracer {
  return {
    async traceRecord(name, work) {
      const parent = tracer.isTracingEnabled() ? tracer.getSegment() : undefined;
      if (!parent) return work(() => {});
      const subsegment = parent.addNewSubsegment(`## ${name}`);
      // Records are processed one at a time, so the current segment can be swapped safely:
      // SDK calls made for this record nest under its subsegment.
      tracer.setSegment(subsegment);
      try {
        return await work((annotations) => {
          subsegment.addAnnotation('consumer', annotations.consumer);
          if (annotations.eventType) subsegment.addAnnotation('eventType', annotations.eventType);
          if (annotations.correlationId) subsegment.addAnnotation('correlationId', annotations.correlationId);
          if (annotations.producerTraceId) subsegment.addAnnotation('producerTraceId', annotations.producerTraceId);
        });
      } catch (error) {
        subsegment.addError(error as Error);
        throw error;
      } finally {
        subsegment.close();
        tracer.setSegment(parent);
      }
    },
  };
}

/** Powertools' Logger satisfies {@link KitLogger}; this only makes the intent explicit. */
export function powertoolsKitLogger(logger: Logger): KitLogger {
  return logger;
}
