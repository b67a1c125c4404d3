/**
 * End-to-end throughput of the local run (`npm start`): events per second from the
 * first publication to the last effect recorded downstream, and end-to-end latency, at
 * the default publishing rate and, side by side, at twice that rate.
 *
 * Each run is the real thing (local/start.ts: its own moto, the synthesized stack, the
 * consumers from cdk.out, the demo workload with its chaos), alternating the two rates;
 * medians over BENCH_RUNS runs each (default 3) of BENCH_EVENTS events (default 400).
 * What it measures is the emulator's ceiling (single-threaded moto doing every SNS, SQS
 * and DynamoDB call), not Fanout's: offering more than it sustains only builds a backlog.
 *
 * Run alone: `npx tsx bench/local-throughput.ts` (or `npm run bench local-throughput`).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { DEFAULT_RATE } from '../local/start';
import { loadPipeline } from '../model/load-pipeline';
import { recordFigure } from './scorecard';

const ROOT = resolve(import.meta.dirname, '..');
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const EVENTS = Number(process.env.BENCH_EVENTS ?? 400);

interface Sample {
  readonly throughput: number;
  readonly p50: number;
  readonly p95: number;
  /** p95 of the effects applied on their first delivery: retry backoff is a design choice, not the pipeline's speed. */
  readonly firstTryP95: number;
  readonly lost: number;
}

/**
 * The latency the score allows a first try: 1 s, plus the longest batching window the
 * pipeline's consumers wait by design to fill a batch (the sample ships 6 s on its
 * standard queues, for cost): a wait the definition asks for is not a backlog.
 */
const BATCHING_WINDOW_MS = Math.max(0, ...loadPipeline().consumers.map((c) => c.batchingWindowSeconds)) * 1000;
const FIRST_TRY_P95_LIMIT_MS = 1000 + BATCHING_WINDOW_MS;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function runOnce(rate: number, dir: string, index: number): Sample {
  const reportFile = join(dir, `report-${rate}-${index}.json`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'local', 'start.ts'), '--events', String(EVENTS), '--rate', String(rate), '--report', reportFile], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  if (result.status !== 0) throw new Error(`local run at ${rate}/s exited ${result.status}:\n${(result.stdout + result.stderr).split('\n').slice(-20).join('\n')}`);
  const report = JSON.parse(readFileSync(reportFile, 'utf8')) as {
    latencyMs: { p50: number; p95: number };
    latencyByAttemptMs?: { firstTry: { p95: number } };
    consumers: Record<string, { lost: number }>;
    run: { throughputEventsPerSecond: number };
  };
  return {
    throughput: report.run.throughputEventsPerSecond,
    p50: report.latencyMs.p50,
    p95: report.latencyMs.p95,
    firstTryP95: report.latencyByAttemptMs?.firstTry.p95 ?? report.latencyMs.p95,
    lost: Object.values(report.consumers).reduce((sum, c) => sum + c.lost, 0),
  };
}

const rates = [DEFAULT_RATE, DEFAULT_RATE * 2];
const dir = mkdtempSync(join(tmpdir(), 'fanout-bench-'));
const samples = new Map<number, Sample[]>(rates.map((rate) => [rate, []]));
console.log(`local throughput: ${EVENTS} events per run, ${RUNS} runs per rate, load average ${loadavg()[0]!.toFixed(1)} on entry`);
try {
  for (let run = 0; run < RUNS; run += 1) {
    for (const rate of rates) {
      const sample = runOnce(rate, dir, run);
      samples.get(rate)!.push(sample);
      console.log(`  run ${run + 1} at ${rate}/s: ${sample.throughput} events/s end to end, p50 ${sample.p50} ms, p95 ${sample.p95} ms (first try ${sample.firstTryP95} ms), lost ${sample.lost}`);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const summary = rates.map((rate) => {
  const list = samples.get(rate)!;
  return {
    rate,
    throughput: median(list.map((s) => s.throughput)),
    p50: median(list.map((s) => s.p50)),
    p95: median(list.map((s) => s.p95)),
    firstTryP95: median(list.map((s) => s.firstTryP95)),
  };
});
console.log('\nmedians:');
for (const s of summary) {
  console.log(
    `  offered ${String(s.rate).padStart(3)}/s: ${s.throughput.toFixed(1).padStart(5)} events/s end to end (${(s.throughput / s.rate).toFixed(2)} of offered), ` +
      `latency p50 ${s.p50} ms, p95 ${s.p95} ms, first-try p95 ${s.firstTryP95} ms`,
  );
}
const [base, double] = summary as [(typeof summary)[0], (typeof summary)[0]];
console.log(
  `\ntwice the default rate: ${(double.throughput / base.throughput).toFixed(2)}x the throughput, ${(double.p95 / Math.max(1, base.p95)).toFixed(1)}x the p95 latency ` +
    `(the emulator, not Fanout, is the ceiling; load average now ${loadavg()[0]!.toFixed(1)})`,
);
// The score: the highest throughput among the offered rates whose first-try p95 stayed
// under 1 s beyond the batching window the definition asks for.
const withinObjective = summary.filter((s) => s.firstTryP95 < FIRST_TRY_P95_LIMIT_MS);
const best = withinObjective.length > 0 ? withinObjective.reduce((a, b) => (b.throughput > a.throughput ? b : a)) : undefined;
recordFigure({
  id: 'local-events-per-second',
  label: `local pipeline, events/s end to end with first-try p95 < ${FIRST_TRY_P95_LIMIT_MS / 1000} s (1 s + the ${BATCHING_WINDOW_MS / 1000} s batching window; offered ${rates.join(' and ')}/s)`,
  value: best?.throughput ?? 0,
  unit: 'events/s',
  baseline: { label: `at ${DEFAULT_RATE}/s offered`, value: base.throughput },
  target: { op: '>=', value: 40 },
  note: best
    ? `first-try p95 ${best.firstTryP95} ms at ${best.rate}/s offered (all effects: p95 ${best.p95} ms)`
    : `no offered rate kept first-try p95 under ${FIRST_TRY_P95_LIMIT_MS / 1000} s`,
});
