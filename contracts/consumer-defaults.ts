/**
 * The consumer settings both sides of the lib/ ↔ lambdas/ boundary need, written once:
 * the pipeline model (model/, which the stack builds from) applies them as defaults and
 * sets them in the consumer's environment (./consumer-environment.ts); the kit
 * (lambdas/) falls back to the same values when a variable is unset, and names its
 * metrics as the stack's dashboard and alarms read them.
 */

/** Defaults of a consumer's retry settings and HTTP downstream. */
export const ConsumerDefaults = {
  /** Backoff ceiling of the first retry, seconds (FANOUT_RETRY_BASE_DELAY_SECONDS). */
  retryBaseDelaySeconds: 10,
  /** Largest backoff before a retry, seconds (FANOUT_RETRY_MAX_DELAY_SECONDS; with base 10 reached at the 6th retry). */
  retryMaxDelaySeconds: 300,
  /** How long a downstream outage may last before events are dead-lettered, seconds (FANOUT_RETRY_BUDGET_SECONDS, 1 hour). */
  retryBudgetSeconds: 3600,
  /** Per-request timeout of the HTTP downstream, milliseconds (FANOUT_DOWNSTREAM_TIMEOUT_MS). */
  httpTimeoutMs: 3000,
} as const;

/** SQS caps a visibility timeout (and so a queue's, and every backoff the kit asks for) at 12 hours. */
export const SQS_MAX_VISIBILITY_TIMEOUT_SECONDS = 12 * 60 * 60;

/** The namespace the kit writes its EMF metrics to when POWERTOOLS_METRICS_NAMESPACE is unset; the stack sets {@link metricsNamespace}. */
export const DEFAULT_METRICS_NAMESPACE = 'Fanout';

/** The EMF namespace of a pipeline's consumers, e.g. `Fanout/fanout-sample`. */
export function metricsNamespace(pipelineName: string): string {
  return `${DEFAULT_METRICS_NAMESPACE}/${pipelineName}`;
}

/** The kit's end-to-end latency metric (milliseconds from the envelope's `time`); alarms and the dashboard read it by name. */
export const LATENCY_METRIC = 'EndToEndLatency';
