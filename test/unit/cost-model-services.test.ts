/**
 * The per-service pricing functions of ops/cost-model.ts, each on its own: they see one
 * {@link PricingContext}, return only their service's lines, and `estimateCost` is
 * exactly their concatenation. The whole-estimate cases computed by hand are in
 * cost-model.test.ts; the arithmetic here is the same 10 events/s case (case A).
 */
import { describe, expect, it } from 'vitest';
import type { ResolvedConsumer, ResolvedPipeline } from '../../model/pipeline-definition';
import { CompatibilityMode } from '../../contracts/compatibility-mode';
import {
  CostInputError,
  CostService,
  estimateCost,
  priceCloudWatch,
  priceDynamoDb,
  priceGlue,
  priceKms,
  priceLambda,
  priceSns,
  priceSqs,
  priceXRay,
  pricingContext,
  SERVICE_PRICING,
  serviceTotal,
  type CostInput,
  type CostLine,
} from '../../ops/cost-model';

const consumer: ResolvedConsumer = {
  name: 'c',
  description: 'test consumer',
  topic: 't',
  fifo: false,
  eventTypes: ['a.b'],
  filter: { scope: 'MessageAttributes', policy: { type: ['a.b'] } },
  batchSize: 10,
  batchingWindowSeconds: 1,
  maxConcurrency: 2,
  retryBudgetSeconds: 3600,
  maxReceiveCount: 5,
  timeoutSeconds: 30,
  memoryMiB: 1024,
  visibilityTimeoutSeconds: 180,
  retryBaseDelaySeconds: 10,
  retryMaxDelaySeconds: 300,
  entry: 'x.ts',
  downstream: { kind: 'dynamodb', retentionDays: 90 },
  peakEventsPerSecond: 10,
  latencySlaP95Seconds: 60,
};

const pipeline: ResolvedPipeline = {
  name: 'p',
  onCall: { page: [], warn: [] },
  createXRayResourcePolicy: true,
  reserveConcurrency: true,
  topics: [{ name: 't', fifo: false }],
  eventTypes: [{ name: 'a.b', topic: 't', contract: 'a.b', compatibility: CompatibilityMode.Backward, peakEventsPerSecond: 10, latencySlaP95Seconds: 60, versions: [] }],
  consumers: [consumer],
};

// 864,000 events/day = 10/s = 26,280,000 a month; 10 records per invocation = 2,628,000 invocations.
const input: CostInput = {
  pipeline,
  volume: { kind: 'per-day', eventsPerDay: 864_000 },
  design: { kmsKeys: 2, alarmMetrics: 7, dashboards: 1 },
  assumptions: {
    recordMilliseconds: 100,
    invocationOverheadMilliseconds: 0,
    transientFailureRate: 0,
    permanentFailureRate: 0,
    logBytesPerRecord: 0,
    logBytesPerInvocation: 0,
    customMetricsPerConsumer: 0,
    invocationsStartOwnTraces: false,
  },
};
const context = pricingContext(input);
const total = (lines: readonly CostLine[]) => lines.reduce((sum, l) => sum + l.monthlyUsd, 0);

describe('cost model, one pricing function per service', () => {
  it('has a function for every service, each returning only its own lines', () => {
    expect(Object.keys(SERVICE_PRICING).sort()).toEqual(Object.values(CostService).sort());
    for (const [service, price] of Object.entries(SERVICE_PRICING)) {
      const lines = price(context);
      expect(lines.length, service).toBeGreaterThan(0);
      expect(new Set(lines.map((l) => l.service))).toEqual(new Set([service]));
    }
  });

  it('composes estimateCost: its lines are the services’ lines in order, its service totals their sums', () => {
    const estimate = estimateCost(input);
    const lines = Object.values(SERVICE_PRICING).flatMap((price) => price(context));
    expect(estimate.lines).toEqual(lines);
    for (const [service, price] of Object.entries(SERVICE_PRICING)) {
      expect(serviceTotal(estimate, service as CostLine['service'])).toBe(total(price(context)));
    }
  });

  it('is pure: the same context prices the same twice', () => {
    for (const price of Object.values(SERVICE_PRICING)) expect(price(context)).toEqual(price(context));
  });

  it('prices each service as computed by hand', () => {
    // 26.28 M events / 10 a PublishBatch = 2.628 M requests x $0.50/M; deliveries to SQS free.
    expect(total(priceSns(context))).toBeCloseTo(1.314, 6);
    // 26.28 M sends + 2.628 M receives + 2.628 M deletes = 31.536 M x $0.40/M.
    expect(total(priceSqs(context))).toBeCloseTo(12.6144, 6);
    // 2.628 M x $0.20/M + 2.628 M x 1 s x 1 GB x $0.0000133334.
    expect(total(priceLambda(context))).toBeCloseTo(0.5256 + 35.0401752, 6);
    // Downstream 26.28 M x 2 writes and idempotency 26.28 M x 2 writes, x $0.625/M each.
    expect(total(priceDynamoDb(context))).toBeCloseTo(32.85 + 32.85, 6);
    // 1 publish request/s, all inside the 1/s reservoir: 2.628 M traces x $5/M.
    expect(total(priceXRay(context))).toBeCloseTo(13.14, 6);
    // (26,280 queue + 17,520 topic requests) x $0.03/10k + 2 keys x $1.
    expect(total(priceKms(context))).toBeCloseTo(0.1314 + 2, 6);
    // 7 alarm metrics x $0.10 + 1 dashboard x $3.
    expect(total(priceCloudWatch(context))).toBeCloseTo(3.7, 6);
    expect(total(priceGlue(context))).toBe(0);
  });

  it('prices provisioned idempotency capacity by the unit-hour, not the write', () => {
    const provisioned = pricingContext({ ...input, settings: { idempotencyCapacity: { mode: 'provisioned', writeUnits: 29, readUnits: 1 } } });
    const lines = priceDynamoDb(provisioned);
    expect(lines.map((l) => l.item)).toEqual(['c: downstream table writes (on-demand)', 'idempotency table: 29 provisioned WCU', 'idempotency table: 1 provisioned RCU']);
    // 29 x 730 h x $0.00065 + 1 x 730 h x $0.00013
    expect(lines[1]!.monthlyUsd + lines[2]!.monthlyUsd).toBeCloseTo(13.8554, 6);
  });

  it('adds the invocations’ own traces when they start their own', () => {
    const own = pricingContext({ ...input, assumptions: { ...input.assumptions, invocationsStartOwnTraces: true } });
    // 1 invocation/s, inside the reservoir: another 2.628 M traces.
    expect(priceXRay(own).map((l) => l.item)).toEqual(['c: traces started by invocations', 'traces of publish requests (SNS → SQS → Lambda, one trace each)']);
    expect(total(priceXRay(own))).toBeCloseTo(2 * 13.14, 6);
  });

  it('checks the input once, when the context is built', () => {
    expect(() => pricingContext({ ...input, volume: { kind: 'per-day', eventsPerDay: Number.NaN } })).toThrow(CostInputError);
    expect(() => pricingContext({ ...input, assumptions: { publishBatchFill: 0 } })).toThrow(/publishBatchFill/);
  });
});
