/**
 * The cost model against cases computed by hand. Each expectation carries its
 * arithmetic as a comment; prices are the ones in ops/cost-prices.ts (2025-06-01).
 * A month is 730 h = 2,628,000 s; a day is 86,400 s, so a month is 30.41666 days.
 */
import { describe, expect, it } from 'vitest';
import type { ResolvedConsumer, ResolvedPipeline } from '../../lib/pipeline-definition';
import { CompatibilityMode } from '../../contracts/compatibility-mode';
import {
  CostInputError,
  estimateCost,
  recommendCheaperSettings,
  sampledPerSecond,
  serviceTotal,
  type CostAssumptions,
  type CostEstimate,
  type CostInput,
} from '../../ops/cost-model';
import { formatCostReport, usd } from '../../ops/cost-report';
import { resolvePipeline } from '../../lib/pipeline-definition';
import { samplePipeline } from '../../lib/sample-pipeline';
import { SCHEMAS_DIR } from '../../cli/context';

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
    maxReceiveCount: 5,
    timeoutSeconds: 30,
    memoryMiB: 1024,
    visibilityTimeoutSeconds: 180,
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
    topics: [{ name: 't', fifo }],
    eventTypes: [
      { name: 'a.b', topic: 't', contract: 'a.b', compatibility: CompatibilityMode.Backward, peakEventsPerSecond: peak, latencySlaP95Seconds: 60, versions: [] },
    ],
    consumers: [consumer({ fifo, peakEventsPerSecond: peak, ...c })],
  };
}

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
    alarmMetrics: 7,
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

  it('prices SNS: 26.28 M publishes x $0.50/M = $13.14; SQS deliveries free', () => {
    expect(serviceTotal(e, 'SNS')).toBeCloseTo(13.14, 6);
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

  it('prices X-Ray at 1/s + 5%: invocations 1/s → 2.628 M traces ($13.14); publishes 1 + 0.05 x 9 = 1.45/s → 3.8106 M ($19.053)', () => {
    expect(sampledPerSecond(10, { reservoirPerSecond: 1, fixedRate: 0.05 })).toBeCloseTo(1.45, 10);
    expect(line(e, 'c: traces of invocations').monthlyUsd).toBeCloseTo(13.14, 6);
    expect(line(e, 't: traces of publishes (SNS active tracing)').monthlyUsd).toBeCloseTo(19.053, 6);
  });

  it('prices KMS: 8,760 reuse periods (2,628,000 / 300) x (2 x SNS + 1 x Lambda) + 8,760 for the topic = 35,040 requests x $0.03/10k + 1 key x $1', () => {
    expect(line(e, 'c: queue and DLQ data keys').quantity).toBeCloseTo(26_280, 6);
    expect(line(e, 't: topic data keys').quantity).toBeCloseTo(8_760, 6);
    // 35,040 / 10,000 x 0.03 = 0.10512
    expect(serviceTotal(e, 'KMS')).toBeCloseTo(0.10512 + 1, 6);
  });

  it('prices CloudWatch: 7 alarms x $0.10 + 1 dashboard x $3 = $3.70', () => {
    expect(serviceTotal(e, 'CloudWatch')).toBeCloseTo(3.7, 6);
  });

  it('adds up to $131.1682952', () => {
    // 13.14 + 12.6144 + 0.5256 + 35.0401752 + 32.85 + 13.14 + 19.053 + 0.10512 + 1 + 0.7 + 3
    expect(e.totalMonthlyUsd).toBeCloseTo(131.1682952, 6);
    // Largest first: Lambda 35.5658, DynamoDB 32.85, X-Ray 32.193, SNS 13.14, SQS 12.6144, CloudWatch 3.7, KMS 1.10512, Glue 0.
    expect(e.services.map((s) => s.service)).toEqual(['Lambda', 'DynamoDB', 'X-Ray', 'SNS', 'SQS', 'CloudWatch', 'KMS', 'Glue']);
  });

  it('recommends provisioned idempotency, sampling and a longer KMS reuse period, with hand-computed savings', () => {
    const recommendations = recommendCheaperSettings(input, e);
    const saving = (id: string) => recommendations.find((r) => r.id === id)!;
    // Provisioned: peak 10/s x 2 writes / 0.7 = 28.57 → 29 WCU; 29 x 730 h x $0.00065 = $13.7605,
    // plus 1 RCU x 730 x $0.00013 = $0.0949 → $13.8554 instead of $32.85: saves $18.9946.
    expect(saving('idempotency-capacity').monthlySavingsUsd).toBeCloseTo(18.9946, 6);
    expect(saving('idempotency-capacity').recommended).toBe(true);
    // Sampling 0/s + 1%: invocations 1/s x 1% x 2,628,000 = 26,280 traces, publishes 10/s x 1% = 262,800:
    // 289,080 x $5/M = $1.4454 instead of $32.193: saves $30.7476.
    expect(saving('trace-sampling').monthlySavingsUsd).toBeCloseTo(30.7476, 6);
    // KMS 3600 s: 730 periods x 3 + 730 = 2,920 requests = $0.00876 instead of $0.10512: saves $0.09636.
    expect(saving('kms-data-key-reuse').monthlySavingsUsd).toBeCloseTo(0.09636, 6);
    // The window is already 1 s: no batching-window recommendation.
    expect(recommendations.some((r) => r.id.startsWith('batching-window'))).toBe(false);
    expect(recommendations.map((r) => r.id)).toEqual(['trace-sampling', 'idempotency-capacity', 'kms-data-key-reuse']);
  });
});

describe('cost model: 0.1 events/s on a FIFO topic, no batching window (case B)', () => {
  // 8,640 events/day = 0.1/s; a month: 8,640 x 30.41666 = 262,800 events.
  const input: CostInput = {
    pipeline: pipeline(true, {}),
    volume: { kind: 'per-day', eventsPerDay: 8_640 },
    alarmMetrics: 0,
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

  it('prices FIFO SNS: publishes, payload and deliveries', () => {
    // 262,800 x $0.30/M = $0.07884; 262,800 KiB = 0.250625 GiB... x $0.017 = $0.00426063;
    // deliveries 262,800 x $0.01/M = $0.002628; payload out 0.25063 x $0.001 = $0.00025063
    const gb = (262_800 * 1024) / 1024 ** 3;
    expect(gb).toBeCloseTo(0.250626, 5);
    expect(serviceTotal(e, 'SNS')).toBeCloseTo(0.07884 + gb * 0.017 + 0.002628 + gb * 0.001, 8);
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
    pipeline: pipeline(false, { batchingWindowSeconds: 2, downstream: { kind: 'dynamodb' } }, 1),
    volume: { kind: 'peak' },
    alarmMetrics: 0,
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
    // the DLQ's data keys: min(8,760 periods, 26,280 messages) x 2 = 17,520, plus the queue's 26,280
    expect(line(e, 'c: queue and DLQ data keys').quantity).toBeCloseTo(26_280 + 17_520, 6);
  });
});

describe('cost model: inputs and the sample pipeline', () => {
  it('rejects a negative volume and an out-of-range KMS reuse period', () => {
    const p = pipeline(false, {});
    expect(() => estimateCost({ pipeline: p, volume: { kind: 'per-day', eventsPerDay: -1 }, alarmMetrics: 0 })).toThrow(CostInputError);
    expect(() => estimateCost({ pipeline: p, volume: { kind: 'peak' }, alarmMetrics: 0, settings: { kmsDataKeyReusePeriodSeconds: 10 } })).toThrow(/60 to 86400/);
  });

  it('scales linearly in request-priced lines: twice the volume doubles the SNS bill', () => {
    const p = pipeline(false, {});
    const one = estimateCost({ pipeline: p, volume: { kind: 'per-day', eventsPerDay: 100_000 }, alarmMetrics: 0 });
    const two = estimateCost({ pipeline: p, volume: { kind: 'per-day', eventsPerDay: 200_000 }, alarmMetrics: 0 });
    expect(serviceTotal(two, 'SNS')).toBeCloseTo(2 * serviceTotal(one, 'SNS'), 9);
  });

  it('prices the sample pipeline at 100,000 events/day and prints a report with a recommendation', () => {
    const sample = resolvePipeline(samplePipeline, SCHEMAS_DIR);
    const input: CostInput = { pipeline: sample, volume: { kind: 'per-day', eventsPerDay: 100_000 }, alarmMetrics: 23 };
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
  });

  it('formats dollars', () => {
    expect(usd(1234.567)).toBe('$1,234.57');
    expect(usd(0.0042)).toBe('$0.0042');
    expect(usd(0)).toBe('$0.00');
  });
});
