/**
 * The cost model against cases computed by hand. Each expectation carries its
 * arithmetic as a comment; prices are the ones in ops/cost-prices.ts (2025-06-01).
 * A month is 730 h = 2,628,000 s; a day is 86,400 s, so a month is 30.41666 days.
 * KMS reuse periods in a month: 2,628,000 / 300 = 8,760; with n events spread over them
 * at random, 8,760 x (1 - e^(-n/8,760)) of them see traffic (all 8,760 when n >> 8,760).
 */
import { describe, expect, it } from 'vitest';
import type { ResolvedConsumer, ResolvedPipeline } from '../../model/pipeline-definition';
import { CompatibilityMode } from '../../contracts/compatibility-mode';
import {
  activePeriods,
  CostInputError,
  designFromTemplate,
  estimateCost,
  priceTogether,
  recommendCheaperSettings,
  sampledPerSecond,
  serviceTotal,
  type CostAssumptions,
  type CostEstimate,
  type CostInput,
  type StackDesign,
} from '../../ops/cost-model';
import { formatCostReport, usd } from '../../ops/cost-report';
import { resolvePipeline } from '../../model/pipeline-definition';
import { pipeline as samplePipeline } from '../../pipeline';
import { SCHEMAS_DIR } from '../../cli/context';
import { synthesizedDesign } from '../../cli/cost';
import { alarmCatalog } from '../../model/alarm-catalog';

function consumer(overrides: Partial<ResolvedConsumer>): ResolvedConsumer {
  return {
    name: 'c',
    description: 'test consumer',
    topic: 't',
    fifo: false,
    eventTypes: ['a.b'],
    filter: { scope: 'MessageAttributes', policy: { type: ['a.b'] } },
    batchSize: 10,
    batchingWindowSeconds: 0,
    maxConcurrency: 2,
    retryBudgetSeconds: 3600,
    maxReceiveCount: 5,
    timeoutSeconds: 30,
    memoryMiB: 1024,
    visibilityTimeoutSeconds: 180,
    retryBaseDelaySeconds: 10,
    retryMaxDelaySeconds: 300,
    entry: 'x.ts',
    downstream: { kind: 'http', url: 'https://example.com', timeoutMs: 3000 },
    peakEventsPerSecond: 10,
    latencySlaP95Seconds: 60,
    ...overrides,
  };
}

function pipeline(fifo: boolean, c: Partial<ResolvedConsumer>, peak = 10): ResolvedPipeline {
  return {
    name: 'p',
    onCall: { page: [], warn: [] },
    createXRayResourcePolicy: true,
    reserveConcurrency: true,
    topics: [{ name: 't', fifo }],
    eventTypes: [
      { name: 'a.b', topic: 't', contract: 'a.b', compatibility: CompatibilityMode.Backward, peakEventsPerSecond: peak, latencySlaP95Seconds: 60, versions: [] },
    ],
    consumers: [consumer({ fifo, peakEventsPerSecond: peak, ...c })],
  };
}

/** A one-topic stack: the topic's key and the alarm topic's key, N alarms, one dashboard. */
const design = (alarmMetrics: number): StackDesign => ({ kmsKeys: 2, alarmMetrics, dashboards: 1 });

/** Assumptions that keep the arithmetic readable: no failures, no logs, no custom metrics. */
const plain: Partial<CostAssumptions> = {
  eventBytes: 1024,
  recordMilliseconds: 100,
  invocationOverheadMilliseconds: 0,
  transientFailureRate: 0,
  permanentFailureRate: 0,
  logBytesPerRecord: 0,
  logBytesPerInvocation: 0,
  customMetricsPerConsumer: 0,
  // Case A prices the publish's traces alone; the default (invocations trace on their
  // own, as X-Ray does for SQS-triggered Lambda) is priced in its own test below.
  invocationsStartOwnTraces: false,
};

function line(estimate: CostEstimate, item: string) {
  const found = estimate.lines.find((l) => l.item === item);
  if (!found) throw new Error(`no line "${item}" in ${estimate.lines.map((l) => l.item).join(' | ')}`);
  return found;
}

describe('cost model: 10 events/s on a standard topic, 1 s batching window, 1 GB function (case A)', () => {
  // 864,000 events/day = 10/s; a month: 864,000 x 2,628,000 / 86,400 = 26,280,000 events.
  const input: CostInput = {
    pipeline: pipeline(false, { batchingWindowSeconds: 1 }),
    volume: { kind: 'per-day', eventsPerDay: 864_000 },
    design: design(7),
    assumptions: plain,
  };
  const e = estimateCost(input);

  it('derives the traffic', () => {
    expect(e.volume.eventsPerMonth).toBeCloseTo(26_280_000, 3);
    // 10/s x 1 s window = 10 records per batch (= the batch size): 26,280,000 / 10 invocations.
    expect(e.traffic[0]!.recordsPerBatch).toBe(10);
    expect(e.traffic[0]!.invocations).toBeCloseTo(2_628_000, 3);
    // Empty polls: 5 pollers x 2,628,000/20 x exp(-10 x 20 / 5) = 657,000 x e^-40 ≈ 0.
    expect(e.traffic[0]!.emptyReceives).toBeLessThan(1e-9);
  });

  it('prices SNS per PublishBatch request: 26.28 M events / 10 = 2.628 M requests x $0.50/M = $1.314; SQS deliveries free', () => {
    // Each request carries 10 x 1 KB = 10 KB, one 64 KB chunk: billed as one request.
    // (Billing each message as a request, as before, gave 26.28 M x $0.50/M = $13.14: 10x too much.)
    expect(line(e, 't: publish requests (PublishBatch, 10 events each)').quantity).toBeCloseTo(2_628_000, 6);
    expect(serviceTotal(e, 'SNS')).toBeCloseTo(1.314, 6);
    expect(line(e, 't: deliveries to SQS (free)').monthlyUsd).toBe(0);
  });

  it('prices SQS: 26.28 M sends + 2.628 M receives + 2.628 M deletes = 31.536 M x $0.40/M = $12.6144', () => {
    expect(line(e, 'c: sends by SNS').quantity).toBeCloseTo(26_280_000, 3);
    expect(line(e, 'c: receives (10 records each)').quantity).toBeCloseTo(2_628_000, 3);
    expect(line(e, 'c: deletes (DeleteMessageBatch)').quantity).toBeCloseTo(2_628_000, 3);
    expect(serviceTotal(e, 'SQS')).toBeCloseTo(12.6144, 6);
  });

  it('prices Lambda: 2.628 M x $0.20/M = $0.5256; 2.628 M x 1 s x 1 GB x $0.0000133334 = $35.0401752', () => {
    expect(line(e, 'c: invocations').monthlyUsd).toBeCloseTo(0.5256, 6);
    // 10 records x 100 ms = 1 s per invocation, at 1024 MiB = 1 GB.
    expect(line(e, 'c: duration (1024 MiB, arm64)').quantity).toBeCloseTo(2_628_000, 3);
    expect(serviceTotal(e, 'Lambda')).toBeCloseTo(0.5256 + 35.0401752, 6);
  });

  it('prices idempotency on demand: 26.28 M x 2 writes = 52.56 M WRU x $0.625/M = $32.85', () => {
    expect(serviceTotal(e, 'DynamoDB')).toBeCloseTo(32.85, 6);
  });

  it('prices X-Ray once per sampled publish request, end to end: 1 request/s at 1/s + 5% → 2.628 M traces = $13.14', () => {
    expect(sampledPerSecond(10, { reservoirPerSecond: 1, fixedRate: 0.05 })).toBeCloseTo(1.45, 10);
    // 10 events/s in requests of 10 = 1 request/s, all of it inside the 1/s reservoir:
    // 1 x 2,628,000 = 2,628,000 traces x $5/M = $13.14. SQS and the consumer's invocation
    // add segments to that trace, not traces.
    expect(line(e, 'traces of publish requests (SNS → SQS → Lambda, one trace each)').quantity).toBeCloseTo(2_628_000, 6);
    expect(serviceTotal(e, 'X-Ray')).toBeCloseTo(13.14, 6);
    expect(e.lines.some((l) => l.item.includes('invocations') && l.service === 'X-Ray')).toBe(false);
  });

  it('prices KMS: queue 8,760 x (2 x SNS + 1 x the function) = 26,280, topic 8,760 x 2 x 1 publisher = 17,520; 43,800 x $0.03/10k + 2 keys x $1', () => {
    expect(line(e, 'c: queue data keys (SNS sends, the function receives)').quantity).toBeCloseTo(26_280, 6);
    expect(line(e, 'c: DLQ data keys (permanent failures)').quantity).toBe(0);
    // SNS: AWS's B/D x 2P, D = 300 s (fixed), P = 1.
    expect(line(e, 't: topic data keys (publishers)').quantity).toBeCloseTo(17_520, 6);
    // 43,800 / 10,000 x 0.03 = 0.1314; the topic's key and the alarm topic's key: $2
    expect(line(e, 'customer-managed keys (event topics and their queues, the alarm topic)').quantity).toBe(2);
    expect(serviceTotal(e, 'KMS')).toBeCloseTo(0.1314 + 2, 6);
  });

  it('prices CloudWatch: 7 alarms x $0.10 + 1 dashboard x $3 = $3.70', () => {
    expect(serviceTotal(e, 'CloudWatch')).toBeCloseTo(3.7, 6);
  });

  it('adds up to $101.3155752', () => {
    // SNS 1.314 + SQS 12.6144 + Lambda 0.5256 + 35.0401752 + DynamoDB 32.85 + X-Ray 13.14
    // + KMS 0.1314 + 2 + CloudWatch 0.7 + 3
    expect(e.totalMonthlyUsd).toBeCloseTo(101.3155752, 6);
    // Largest first: Lambda 35.5658, DynamoDB 32.85, X-Ray 13.14, SQS 12.6144, CloudWatch 3.7, KMS 2.1314, SNS 1.314, Glue 0.
    expect(e.services.map((s) => s.service)).toEqual(['Lambda', 'DynamoDB', 'X-Ray', 'SQS', 'CloudWatch', 'KMS', 'SNS', 'Glue']);
  });

  it('recommends provisioned idempotency, sampling and a longer KMS reuse period, with hand-computed savings', () => {
    const recommendations = recommendCheaperSettings(input, e);
    const saving = (id: string) => recommendations.find((r) => r.id === id)!;
    // Provisioned: peak 10/s x 2 writes / 0.7 = 28.57 → 29 WCU; 29 x 730 h x $0.00065 = $13.7605,
    // plus 1 RCU x 730 x $0.00013 = $0.0949 → $13.8554 instead of $32.85: saves $18.9946.
    expect(saving('idempotency-capacity').monthlySavingsUsd).toBeCloseTo(18.9946, 6);
    expect(saving('idempotency-capacity').recommended).toBe(true);
    // Sampling 0/s + 1%: 1 publish request/s x 1% x 2,628,000 = 26,280 traces x $5/M = $0.1314
    // instead of $13.14: saves $13.0086.
    expect(saving('trace-sampling').monthlySavingsUsd).toBeCloseTo(13.0086, 6);
    // SQS reuse 3600 s: the queue's 730 periods x 3 = 2,190 requests instead of 26,280 (the
    // topic's 17,520 stay: SNS has no such setting): 24,090 x $0.03/10k = $0.07227 saved.
    expect(saving('kms-data-key-reuse').monthlySavingsUsd).toBeCloseTo(0.07227, 6);
    expect(saving('kms-data-key-reuse').change).toMatch(/on the consumer queues and DLQs; SNS topics have no such setting/);
    // The window is already 1 s: no batching-window recommendation.
    expect(recommendations.some((r) => r.id.startsWith('batching-window'))).toBe(false);
    // Weighed, not recommended: filtering on the body's type scans every published
    // message: 26,280,000 x 1 KiB = 25.0626 GiB x $0.09 = $2.25563 more a month.
    expect(saving('filter-on-body').monthlySavingsUsd).toBeCloseTo(-2.25563, 4);
    expect(saving('filter-on-body').recommended).toBe(false);
    expect(recommendations.map((r) => r.id)).toEqual(['idempotency-capacity', 'trace-sampling', 'kms-data-key-reuse', 'filter-on-body']);
  });

  it('prices the recommendations together: here they touch separate lines, so together is the sum', () => {
    const together = priceTogether(input, e, recommendCheaperSettings(input, e));
    expect(together.ids).toEqual(['idempotency-capacity', 'trace-sampling', 'kms-data-key-reuse']);
    // 18.9946 + 13.0086 + 0.07227
    expect(together.monthlySavingsUsd).toBeCloseTo(32.07547, 4);
    expect(together.totalMonthlyUsd).toBeCloseTo(101.3155752 - 32.07547, 4);
  });

  it('prices a body filter by the payload it scans, matching or not', () => {
    const bodyFiltered = estimateCost({ ...input, settings: { filterScope: { c: 'MessageBody' } } });
    expect(line(bodyFiltered, 'c: payload scanned by its body filter').quantity).toBeCloseTo(25.0626, 4);
    expect(bodyFiltered.totalMonthlyUsd - e.totalMonthlyUsd).toBeCloseTo(2.25563, 4);
  });
});

describe('cost model: 0.1 events/s on a FIFO topic, no batching window (case B)', () => {
  // 8,640 events/day = 0.1/s; a month: 8,640 x 30.41666 = 262,800 events.
  const input: CostInput = {
    pipeline: pipeline(true, {}),
    volume: { kind: 'per-day', eventsPerDay: 8_640 },
    design: design(0),
    assumptions: plain,
  };
  const e = estimateCost(input);

  it('counts idle long polls: 657,000 polls x exp(-0.1 x 20 / 5) = 440,400.27 empty receives', () => {
    // 5 pollers x 2,628,000 s / 20 s = 657,000 polls; e^-0.4 = 0.670320046
    expect(e.traffic[0]!.emptyReceives).toBeCloseTo(657_000 * Math.exp(-0.4), 3);
    expect(e.traffic[0]!.emptyReceives).toBeCloseTo(440_400.27, 1);
    // 0.1/s x 0.05 s < 1: one record per invocation.
    expect(e.traffic[0]!.recordsPerBatch).toBe(1);
  });

  it('prices FIFO SNS: publish requests, payload and deliveries', () => {
    // 262,800 events / 10 = 26,280 requests x $0.30/M = $0.007884; 262,800 KiB = 0.250625 GiB... x $0.017 = $0.00426063;
    // deliveries 262,800 x $0.01/M = $0.002628; payload out 0.25063 x $0.001 = $0.00025063
    const gb = (262_800 * 1024) / 1024 ** 3;
    expect(gb).toBeCloseTo(0.250626, 5);
    expect(line(e, 't: publish requests (PublishBatch, 10 events each) (FIFO)').quantity).toBe(26_280);
    expect(serviceTotal(e, 'SNS')).toBeCloseTo(0.007884 + gb * 0.017 + 0.002628 + gb * 0.001, 8);
  });

  it('prices FIFO SQS at $0.50/M: 262,800 x 3 (send, receive, delete) + 440,400.27 empty = 1,228,800.27 requests = $0.6144', () => {
    expect(serviceTotal(e, 'SQS')).toBeCloseTo(0.6144, 6);
  });

  it('does not recommend a batching window that cannot fill a batch (0.1/s x 6 s < 1 record)', () => {
    const r = recommendCheaperSettings(input, e);
    // FIFO queues take no batching window at all.
    expect(r.some((x) => x.id.startsWith('batching-window'))).toBe(false);
    const standard = { ...input, pipeline: pipeline(false, {}) };
    const window = recommendCheaperSettings(standard).find((x) => x.id === 'batching-window:c')!;
    expect(window.change).toContain('0 s → 6 s');
    expect(window.monthlySavingsUsd).toBeCloseTo(0, 9);
    expect(window.recommended).toBe(false);
  });

  it('keeps on-demand idempotency at low volume (provisioned would cost more)', () => {
    const r = recommendCheaperSettings(input, e).find((x) => x.id === 'idempotency-capacity')!;
    // on demand: 262,800 x 2 = 525,600 WRU x $0.625/M = $0.3285; provisioned 29 WCU + 1 RCU = $13.8554
    expect(r.monthlySavingsUsd).toBeCloseTo(0.3285 - 13.8554, 6);
    expect(r.recommended).toBe(false);
  });
});

describe('cost model: failures, retries and a 2 s window at the peak rate (case C)', () => {
  // Peak 1/s all month: 2,628,000 messages; 10% fail once transiently, 1% go to the DLQ.
  const e = estimateCost({
    pipeline: pipeline(false, { batchingWindowSeconds: 2, downstream: { kind: 'dynamodb', retentionDays: 90 } }, 1),
    volume: { kind: 'peak' },
    design: design(0),
    assumptions: { ...plain, transientFailureRate: 0.1, permanentFailureRate: 0.01 },
  });

  it('adds retries to attempts and batches: 2,628,000 x 1.1 = 2,890,800 attempts, 2.2 per batch', () => {
    expect(e.traffic[0]!.attempts).toBeCloseTo(2_890_800, 3);
    // 1.1/s x 2 s = 2.2 records per invocation → 2,890,800 / 2.2 = 1,314,000 invocations
    expect(e.traffic[0]!.recordsPerBatch).toBeCloseTo(2.2, 10);
    expect(e.traffic[0]!.invocations).toBeCloseTo(1_314_000, 3);
  });

  it('counts visibility changes, DLQ sends, idempotency and downstream writes', () => {
    expect(line(e, 'c: visibility changes (transient backoff)').quantity).toBeCloseTo(262_800, 3); // 2,628,000 x 10%
    expect(line(e, 'c: sends to the DLQ (permanent failures)').quantity).toBeCloseTo(26_280, 3); // 2,628,000 x 1%
    // 2,890,800 attempts x 2 = 5,781,600 WRU x $0.625/M = $3.6135
    expect(line(e, 'idempotency table writes (on-demand)').monthlyUsd).toBeCloseTo(3.6135, 6);
    // downstream: 2,628,000 x 2 = 5,256,000 WRU x $0.625/M = $3.285
    expect(line(e, 'c: downstream table writes (on-demand)').monthlyUsd).toBeCloseTo(3.285, 6);
    // The DLQ's data keys: 26,280 permanent failures over 8,760 periods reach
    // 8,760 x (1 - e^-3) = 8,760 x 0.950212932 = 8,323.865 of them, x 2 (the function's
    // role produces: GenerateDataKey + Decrypt) = 16,647.73. The queue's: 8,760 x 3 = 26,280.
    expect(line(e, 'c: DLQ data keys (permanent failures)').quantity).toBeCloseTo(16_647.73, 1);
    expect(line(e, 'c: queue data keys (SNS sends, the function receives)').quantity).toBeCloseTo(26_280, 6);
  });
});

describe('cost model: inputs and the sample pipeline', () => {
  it('rejects a negative volume, an out-of-range KMS reuse period, a batch fill SNS cannot take and a bad design', () => {
    const p = pipeline(false, {});
    expect(() => estimateCost({ pipeline: p, volume: { kind: 'per-day', eventsPerDay: -1 }, design: design(0) })).toThrow(CostInputError);
    expect(() => estimateCost({ pipeline: p, volume: { kind: 'peak' }, design: design(0), settings: { kmsDataKeyReusePeriodSeconds: 10 } })).toThrow(/60 to 86400/);
    expect(() => estimateCost({ pipeline: p, volume: { kind: 'peak' }, design: design(0), assumptions: { publishBatchFill: 11 } })).toThrow(/publishBatchFill must be 1 to 10/);
    expect(() => estimateCost({ pipeline: p, volume: { kind: 'peak' }, design: { ...design(0), kmsKeys: -1 } })).toThrow(/design\.kmsKeys/);
  });

  it('scales linearly in request-priced lines: twice the volume doubles the SNS bill', () => {
    const p = pipeline(false, {});
    const one = estimateCost({ pipeline: p, volume: { kind: 'per-day', eventsPerDay: 100_000 }, design: design(0) });
    const two = estimateCost({ pipeline: p, volume: { kind: 'per-day', eventsPerDay: 200_000 }, design: design(0) });
    expect(serviceTotal(two, 'SNS')).toBeCloseTo(2 * serviceTotal(one, 'SNS'), 9);
  });

  it('prices the sample pipeline at 100,000 events/day and prints a report with a recommendation', () => {
    const sample = resolvePipeline(samplePipeline, SCHEMAS_DIR);
    const input: CostInput = { pipeline: sample, volume: { kind: 'per-day', eventsPerDay: 100_000 }, design: { kmsKeys: 3, alarmMetrics: 23, dashboards: 1 } };
    const e = estimateCost(input);
    // 100,000 x 30.41666 = 3,041,666.67 events a month, shared 50:20:5 by peak rate.
    expect(e.volume.eventsPerMonth).toBeCloseTo(3_041_666.667, 2);
    // SQS alone stays under the often-quoted $10/month; the whole pipeline does not.
    expect(serviceTotal(e, 'SQS')).toBeLessThan(10);
    expect(e.totalMonthlyUsd).toBeGreaterThan(serviceTotal(e, 'SQS'));
    const report = formatCostReport(e, recommendCheaperSettings(input, e));
    expect(report).toContain('Monthly cost at 100,000 events/day');
    expect(report).toContain('as of 2025-06-01');
    expect(report).toMatch(/saves \$[0-9.,]+\/month: crm-sync: batching window 0 s → 6 s/);
    // Each consumer reserves its maximum concurrency (the sample's three, 2 each, reserve 6), free of charge.
    const reserved = sample.consumers.reduce((sum, c) => sum + c.maxConcurrency, 0);
    expect(sample.consumers.filter((c) => ['crm-sync', 'email-marketing', 'billing-sync'].includes(c.name)).map((c) => c.maxConcurrency)).toEqual([2, 2, 2]);
    expect(e.reservedConcurrency).toBe(reserved);
    expect(report).toContain(`Reserved concurrency: ${reserved} of the account's Lambda concurrency`);
    const unreserved = estimateCost({ ...input, pipeline: { ...sample, reserveConcurrency: false } });
    expect(unreserved.reservedConcurrency).toBe(0);
    expect(unreserved.totalMonthlyUsd).toBe(e.totalMonthlyUsd);
    expect(formatCostReport(unreserved, [])).toContain('Reserved concurrency: none');
  });

  it('prices the sample’s recommendations together: they overlap, so together saves less than the sum and more than any one', () => {
    const sample = resolvePipeline(samplePipeline, SCHEMAS_DIR);
    const input: CostInput = { pipeline: sample, volume: { kind: 'per-day', eventsPerDay: 100_000 }, design: { kmsKeys: 3, alarmMetrics: 29, dashboards: 1 } };
    const e = estimateCost(input);
    const recommendations = recommendCheaperSettings(input, e);
    const useful = recommendations.filter((r) => r.recommended);
    const together = priceTogether(input, e, recommendations);
    expect(together.ids).toEqual(useful.map((r) => r.id));
    // Batching windows cut invocations, and with them the invocation traces sampling would have cut.
    expect(together.monthlySavingsUsd).toBeLessThan(useful.reduce((sum, r) => sum + r.monthlySavingsUsd, 0) - 1);
    expect(together.monthlySavingsUsd).toBeGreaterThan(Math.max(...useful.map((r) => r.monthlySavingsUsd)));
    // The same as pricing the merged settings directly.
    const merged = estimateCost({
      ...input,
      settings: { ...e.settings, ...Object.assign({}, ...useful.map((r) => r.settings)), batchingWindowSeconds: Object.assign({}, ...useful.map((r) => r.settings.batchingWindowSeconds ?? {})) },
    });
    expect(together.totalMonthlyUsd).toBeCloseTo(merged.totalMonthlyUsd, 9);
    expect(formatCostReport(e, recommendations, together)).toMatch(/All \d together: \$[0-9.,]+\/month, saving \$[0-9.,]+ \(less than the sum of each alone/);
  });

  it('formats dollars', () => {
    expect(usd(1234.567)).toBe('$1,234.57');
    expect(usd(0.0042)).toBe('$0.0042');
    expect(usd(0)).toBe('$0.00');
  });
});

describe('cost model: SNS batch fill and payload chunks (case D)', () => {
  // 864,000 events/day = 26,280,000 a month on one standard topic.
  const estimate = (assumptions: Partial<CostAssumptions>) =>
    estimateCost({ pipeline: pipeline(false, {}), volume: { kind: 'per-day', eventsPerDay: 864_000 }, design: design(0), assumptions: { ...plain, ...assumptions } });

  it('bills one request per event when producers publish one at a time (fill 1): 26.28 M x $0.50/M = $13.14, 10x the full batches', () => {
    const single = estimate({ publishBatchFill: 1 });
    // ceil(26,280,000 / 1) x ceil(1 x 1 KB / 64 KB) = 26,280,000 requests
    expect(line(single, 't: publish requests (PublishBatch, 1 events each)').quantity).toBe(26_280_000);
    expect(serviceTotal(single, 'SNS')).toBeCloseTo(13.14, 6);
    expect(serviceTotal(estimate({}), 'SNS')).toBeCloseTo(1.314, 6);
  });

  it('bills each 64 KB chunk of a whole request: 10 x 10 KB = 100 KB is 2 requests', () => {
    const big = estimate({ eventBytes: 10 * 1024 });
    // ceil(26,280,000 / 10) = 2,628,000 requests x ceil(102,400 / 65,536) = 2 → 5,256,000 x $0.50/M = $2.628
    expect(line(big, 't: publish requests (PublishBatch, 10 events each, 2 x 64 KB chunks)').quantity).toBe(5_256_000);
    expect(serviceTotal(big, 'SNS')).toBeCloseTo(2.628, 6);
  });

  it('rounds a part-filled last request up: 25 events a month at fill 10 are 3 requests', () => {
    // 25 events/month = 25 / 30.41666 a day
    const e = estimateCost({ pipeline: pipeline(false, {}), volume: { kind: 'per-day', eventsPerDay: 25 / (2_628_000 / 86_400) }, design: design(0), assumptions: plain });
    expect(line(e, 't: publish requests (PublishBatch, 10 events each)').quantity).toBe(3);
  });
});

describe('cost model: KMS and X-Ray request counts', () => {
  const base: CostInput = { pipeline: pipeline(false, {}), volume: { kind: 'per-day', eventsPerDay: 864_000 }, design: design(0), assumptions: plain };

  it('counts reuse periods that see traffic: none for no events, all for many, 1 - 1/e of them for one per period', () => {
    expect(activePeriods(0, 8_760)).toBe(0);
    expect(activePeriods(1e9, 8_760)).toBeCloseTo(8_760, 9);
    expect(activePeriods(8_760, 8_760)).toBeCloseTo(8_760 * (1 - Math.exp(-1)), 6); // 5,537.4
    expect(activePeriods(1, 8_760)).toBeCloseTo(1, 3); // a lone event: one period
  });

  it('applies the SQS data key reuse period to the queues only: the topic keeps SNS\'s fixed 5 minutes', () => {
    const day = estimateCost({ ...base, settings: { kmsDataKeyReusePeriodSeconds: 86_400 } });
    // Queue: 2,628,000 / 86,400 = 30.4166 periods x 3 = 91.25; topic unchanged at 17,520.
    expect(line(day, 'c: queue data keys (SNS sends, the function receives)').quantity).toBeCloseTo(91.25, 6);
    expect(line(day, 't: topic data keys (publishers)').quantity).toBeCloseTo(17_520, 6);
  });

  it('counts 2 requests per publishing principal per 5 minutes on a topic', () => {
    const three = estimateCost({ ...base, assumptions: { ...plain, publishingPrincipalsPerTopic: 3 } });
    // 8,760 x 2 x 3 = 52,560
    expect(line(three, 't: topic data keys (publishers)').quantity).toBeCloseTo(52_560, 6);
  });

  it('by default also prices each consumer invocation as its own trace (X-Ray links, not joins, SQS-triggered Lambda traces)', () => {
    const { invocationsStartOwnTraces: _off, ...withDefaults } = plain;
    const e = estimateCost({ ...base, assumptions: withDefaults });
    // 10 events/s, no batching window: 1 record per invocation, 10 invocations/s sampled at
    // 1/s + 5% of the other 9 = 1.45/s x 2,628,000 s = 3,810,600 traces x $5/M = $19.053,
    // beside the publishes' 1 request/s → 2,628,000 traces = $13.14: X-Ray $32.193.
    expect(line(e, 'c: traces started by invocations').quantity).toBeCloseTo(3_810_600, 3);
    expect(serviceTotal(e, 'X-Ray')).toBeCloseTo(32.193, 6);
  });

  it('never records more traces than publish requests, and adds invocation traces only when asked', () => {
    const e = estimateCost(base);
    const requests = line(e, 't: publish requests (PublishBatch, 10 events each)').quantity;
    expect(line(e, 'traces of publish requests (SNS → SQS → Lambda, one trace each)').quantity).toBeLessThanOrEqual(requests);
    const own = estimateCost({ ...base, assumptions: { ...plain, invocationsStartOwnTraces: true } });
    // No batching window: 10/s x 0.05 s = 0.5 → 1 record per invocation, 10 invocations/s
    // → 1 + 0.05 x 9 = 1.45/s x 2,628,000 = 3,810,600 traces
    expect(line(own, 'c: traces started by invocations').quantity).toBeCloseTo(3_810_600, 3);
  });

  it('shares one reservoir between topics: two topics at 0.5 requests/s each are 1 request/s, all sampled, not 2 reservoirs', () => {
    const two: ResolvedPipeline = {
      name: 'p',
      onCall: { page: [], warn: [] },
      createXRayResourcePolicy: true,
      reserveConcurrency: true,
      topics: [
        { name: 't', fifo: false },
        { name: 'u', fifo: false },
      ],
      eventTypes: [
        { name: 'a.b', topic: 't', contract: 'a.b', compatibility: CompatibilityMode.Backward, peakEventsPerSecond: 5, latencySlaP95Seconds: 60, versions: [] },
        { name: 'c.d', topic: 'u', contract: 'c.d', compatibility: CompatibilityMode.Backward, peakEventsPerSecond: 5, latencySlaP95Seconds: 60, versions: [] },
      ],
      consumers: [consumer({ peakEventsPerSecond: 5 }), consumer({ name: 'd', topic: 'u', eventTypes: ['c.d'], peakEventsPerSecond: 5 })],
    };
    // 10 events/s, 5 per topic, requests of 10: 0.5 + 0.5 = 1 request/s → min(1, 1) = 1/s x 2,628,000
    const e = estimateCost({ pipeline: two, volume: { kind: 'peak' }, design: { kmsKeys: 3, alarmMetrics: 0, dashboards: 1 }, assumptions: plain });
    expect(line(e, 'traces of publish requests (SNS → SQS → Lambda, one trace each)').quantity).toBeCloseTo(2_628_000, 3);
  });
});

describe('cost model: the synthesized design', () => {
  it('counts keys, alarm metrics and dashboards from a template, each metric of a metric-math alarm', () => {
    const template = {
      Resources: {
        K1: { Type: 'AWS::KMS::Key' },
        K2: { Type: 'AWS::KMS::Key' },
        A1: { Type: 'AWS::CloudWatch::Alarm', Properties: { MetricName: 'x' } },
        A2: { Type: 'AWS::CloudWatch::Alarm', Properties: { Metrics: [{ Id: 'm1', MetricStat: {} }, { Id: 'm2', MetricStat: {} }, { Id: 'e1', Expression: 'm1 + m2' }] } },
        D: { Type: 'AWS::CloudWatch::Dashboard' },
        Q: { Type: 'AWS::SQS::Queue' },
        Q2: { Type: 'AWS::SQS::Queue', Properties: { KmsDataKeyReusePeriodSeconds: 3600 } },
      },
    };
    // A queue that sets no reuse period has AWS's 300 s: the shortest prices the stack.
    expect(designFromTemplate(template)).toEqual({ kmsKeys: 2, alarmMetrics: 3, dashboards: 1, kmsDataKeyReusePeriodSeconds: 300 });
    const { Q: _plain, ...allSet } = template.Resources;
    expect(designFromTemplate({ Resources: allSet }).kmsDataKeyReusePeriodSeconds).toBe(3600);
    expect(designFromTemplate({ Resources: {} }).kmsDataKeyReusePeriodSeconds).toBeUndefined();
  });

  it("prices the sample stack as synthesized: each topic's key and the alarm topic's, every catalog alarm, one dashboard", () => {
    const sample = resolvePipeline(samplePipeline, SCHEMAS_DIR);
    const synthesized = synthesizedDesign(samplePipeline);
    // 2 event topics (user-events, billing-events), each with its own key, plus the alarm topic's key.
    // Every queue reuses its data keys for an hour, and the estimate prices that, not AWS's 300 s.
    expect(synthesized).toEqual({ kmsKeys: sample.topics.length + 1, alarmMetrics: alarmCatalog(sample).length, dashboards: 1, kmsDataKeyReusePeriodSeconds: 3600 });
    expect(synthesized.kmsKeys).toBe(3);
    const e = estimateCost({ pipeline: sample, volume: { kind: 'per-day', eventsPerDay: 100_000 }, design: synthesized });
    expect(e.settings.kmsDataKeyReusePeriodSeconds).toBe(3600);
    expect(line(e, 'customer-managed keys (event topics and their queues, the alarm topic)').monthlyUsd).toBeCloseTo(3, 9);
  }, 60_000);
});
