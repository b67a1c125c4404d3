/**
 * The optional HTML report of a local run (`--html FILE`), one self-contained page
 * (inline SVG and CSS: no scripts, no fonts, no network) a person can read at a glance:
 * - what bounded the throughput, and a link to the run's JSON report (not a dump of it);
 * - the per-consumer table of the text report;
 * - end-to-end latency as percentiles on a log scale, effects applied at their first
 *   attempt apart from those applied after a retry: a run's tail is almost always its
 *   retries, and one linear histogram hid both (its first bar held nearly every event);
 * - per consumer, a timeline of effects applied, deliveries retried and messages
 *   dead-lettered;
 * - each consumer queue's depth over time.
 * Every chart has a title and axis labels, and its numbers are in a table beside it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join, relative, resolve, sep } from 'node:path';
import type { PublicationRecord } from './demo-workload';
import { effectLatencyRecords, percentile, REPORT_COLUMNS, type ConsumerObservations, type EffectLatency, type RunReport } from './report';

/** Queue depths (and, when sampled, running counts) at one moment, by consumer. */
export interface DepthSample {
  readonly atMs: number;
  /** Messages in each consumer queue: visible, in flight and delayed. */
  readonly depths: Readonly<Record<string, number>>;
  /** Deliveries that were retries so far, by consumer (its poller's count). @default not sampled */
  readonly retried?: Readonly<Record<string, number>>;
  /** Messages in each consumer's DLQ. @default not sampled */
  readonly deadLettered?: Readonly<Record<string, number>>;
}

/** The run's facts the page shows beside the report (the JSON report's `run`). */
export interface RunFacts {
  readonly offeredRatePerSecond?: number;
  readonly endToEndSeconds?: number;
  readonly throughputEventsPerSecond?: number;
  /** What bounded the throughput, in the console line's words (start.ts throughputCause). */
  readonly throughputCause?: string;
  readonly drained?: boolean;
  readonly [key: string]: unknown;
}

/** Options of {@link writeHtmlReport}. */
export interface HtmlReportOptions {
  /**
   * The JSON report already written for this run (`--report`): linked relative to the
   * page. Without it the JSON is written next to the page, as `<name>.json`, and linked.
   */
  readonly jsonFile?: string;
}

/** The percentiles the latency chart draws, in order; `max` is the 100th. */
export const LATENCY_PERCENTILES = [
  ['p50', 50],
  ['p90', 90],
  ['p95', 95],
  ['p99', 99],
  ['max', 100],
] as const;

/** Time bins of each consumer's timeline. */
export const TIMELINE_BINS = 24;

const escape = (text: string) => text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
const COLORS = ['#2b6cb0', '#c05621', '#2f855a', '#6b46c1', '#b7791f'];
/** One color per meaning, the same in every chart and legend. */
const SERIES_COLOR = { firstTry: '#2b6cb0', retried: '#c05621', applied: '#2b6cb0', deadLettered: '#c53030' } as const;

/** A latency in the unit a person reads it in: `45 ms`, `1.2 s`, `100 s`. */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  return `${s < 10 ? Number(s.toFixed(1)) : Math.round(s)} s`;
}

/**
 * The decades a log axis spans for values from `min` to `max`, ms: powers of ten from
 * the one at or below the smallest value (at least 1 ms: a 0 ms effect sits on the
 * axis) to the one at or above the largest, two decades at least so the scale reads as one.
 */
export function logDecades(min: number, max: number): number[] {
  const low = Math.floor(Math.log10(Math.max(1, min)));
  let high = Math.ceil(Math.log10(Math.max(1, max)));
  if (high - low < 2) high = low + 2;
  return Array.from({ length: high - low + 1 }, (_, i) => 10 ** (low + i));
}

/** Nearest-rank percentiles of one series, by the chart's labels. */
function percentiles(values: readonly number[]): { label: string; ms: number }[] {
  return LATENCY_PERCENTILES.map(([label, p]) => ({ label, ms: percentile(values, p) }));
}

function latencySection(records: readonly EffectLatency[]): string {
  if (records.length === 0) return '<p>No effects were recorded.</p>';
  const series = [
    { key: 'first-try', name: 'first try', color: SERIES_COLOR.firstTry, values: records.filter((r) => !r.retried).map((r) => r.latencyMs) },
    { key: 'retried', name: 'after a retry', color: SERIES_COLOR.retried, values: records.filter((r) => r.retried).map((r) => r.latencyMs) },
  ];
  const all = records.map((r) => r.latencyMs);
  const decades = logDecades(Math.min(...all), Math.max(...all));
  const [w, h] = [680, 300];
  const margin = { left: 70, right: 150, top: 20, bottom: 50 };
  const plotW = w - margin.left - margin.right;
  const plotH = h - margin.top - margin.bottom;
  const [lo, hi] = [Math.log10(decades[0]!), Math.log10(decades.at(-1)!)];
  const y = (ms: number) => margin.top + plotH - (plotH * (Math.log10(Math.max(decades[0]!, ms)) - lo)) / (hi - lo);
  const x = (i: number) => margin.left + (plotW * (i + 0.5)) / LATENCY_PERCENTILES.length;
  const ticks = decades
    .map(
      (d) =>
        `<g class="tick" data-ms="${d}"><line x1="${margin.left}" x2="${margin.left + plotW}" y1="${y(d).toFixed(1)}" y2="${y(d).toFixed(1)}" stroke="#e2e8f0"/>` +
        `<text x="${margin.left - 8}" y="${(y(d) + 4).toFixed(1)}" text-anchor="end">${formatMs(d)}</text></g>`,
    )
    .join('');
  const categories = LATENCY_PERCENTILES.map(([label], i) => `<text x="${x(i).toFixed(1)}" y="${margin.top + plotH + 18}" text-anchor="middle">${label}</text>`).join('');
  const lines = series
    .map((s, index) => {
      const legendY = margin.top + 10 + 20 * index;
      const legend =
        `<g class="legend"><line x1="${w - margin.right + 16}" x2="${w - margin.right + 36}" y1="${legendY}" y2="${legendY}" stroke="${s.color}" stroke-width="2.5"/>` +
        `<text x="${w - margin.right + 42}" y="${legendY + 4}">${s.name} (${s.values.length})</text></g>`;
      if (s.values.length === 0) return `<g class="series" data-series="${s.key}" data-samples="0">${legend}</g>`;
      const points = percentiles(s.values);
      const path = points.map((p, i) => `${x(i).toFixed(1)},${y(p.ms).toFixed(1)}`).join(' ');
      const dots = points
        .map((p, i) => `<circle cx="${x(i).toFixed(1)}" cy="${y(p.ms).toFixed(1)}" r="4" fill="${s.color}" data-percentile="${p.label}" data-ms="${p.ms}"><title>${s.name}, ${p.label}: ${formatMs(p.ms)}</title></circle>`)
        .join('');
      return `<g class="series" data-series="${s.key}" data-samples="${s.values.length}"><polyline fill="none" stroke="${s.color}" stroke-width="2.5" points="${path}"/>${dots}${legend}</g>`;
    })
    .join('');
  const svg =
    `<svg class="chart latency" data-scale="log" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-labelledby="latency-title latency-desc">` +
    `<title id="latency-title">End-to-end latency by percentile, log scale</title>` +
    `<desc id="latency-desc">Latency from event time to effect, at the 50th, 90th, 95th and 99th percentile and the maximum, for effects applied at their first attempt and after a retry.</desc>` +
    `<g class="axis y">${ticks}</g><g class="axis x">${categories}</g>` +
    `<line x1="${margin.left}" y1="${margin.top + plotH}" x2="${margin.left + plotW}" y2="${margin.top + plotH}" stroke="#4a5568"/>` +
    `<text class="axis-label" x="${margin.left + plotW / 2}" y="${h - 8}" text-anchor="middle">percentile of effects</text>` +
    `<text class="axis-label" transform="translate(16 ${margin.top + plotH / 2}) rotate(-90)" text-anchor="middle">latency (log scale)</text>` +
    `${lines}</svg>`;
  const rows = [...series, { key: 'all', name: 'all', values: all }]
    .map((s) => `<tr><th>${s.name}</th><td>${s.values.length}</td>${percentiles(s.values).map((p) => `<td>${s.values.length ? formatMs(p.ms) : '–'}</td>`).join('')}</tr>`)
    .join('');
  const table =
    `<table class="numbers" aria-label="latency percentiles"><tr><th>effects</th><th>count</th>${LATENCY_PERCENTILES.map(([label]) => `<th>${label}</th>`).join('')}</tr>${rows}</table>`;
  return `<figure>${svg}<figcaption>${table}</figcaption></figure>`;
}

/** One consumer's counts per time bin. */
export interface TimelineBin {
  readonly fromMs: number;
  readonly toMs: number;
  applied: number;
  retried: number;
  deadLettered: number;
}

/**
 * Per consumer, `bins` equal time bins from `startMs` to `endMs` of effects applied (by
 * when the downstream recorded them), deliveries retried and messages dead-lettered (by
 * the sample that first saw them: the rise of the poller's count and of the DLQ's depth
 * since the sample before; the DLQ's depth at the first sample may be an earlier run's).
 */
export function timelines(
  consumers: readonly string[],
  records: readonly EffectLatency[],
  samples: readonly DepthSample[],
  startMs: number,
  endMs: number,
  bins = TIMELINE_BINS,
): Map<string, TimelineBin[]> {
  const width = Math.max(1, (endMs - startMs) / bins);
  const binOf = (atMs: number) => Math.min(bins - 1, Math.max(0, Math.floor((atMs - startMs) / width)));
  const result = new Map<string, TimelineBin[]>();
  for (const name of consumers) {
    result.set(
      name,
      Array.from({ length: bins }, (_, i) => ({ fromMs: startMs + i * width, toMs: startMs + (i + 1) * width, applied: 0, retried: 0, deadLettered: 0 })),
    );
  }
  for (const record of records) {
    const line = result.get(record.consumer);
    if (line) line[binOf(record.appliedAtMs)]!.applied += 1;
  }
  for (const name of consumers) {
    const line = result.get(name)!;
    // The poller counts from 0 at the run's start; the DLQ's depth from wherever it was.
    let retriedBefore = 0;
    let deadBefore = samples[0]?.deadLettered?.[name] ?? 0;
    for (const sample of samples) {
      const retried = sample.retried?.[name];
      const dead = sample.deadLettered?.[name];
      if (retried !== undefined) {
        line[binOf(sample.atMs)]!.retried += Math.max(0, retried - retriedBefore);
        retriedBefore = Math.max(retriedBefore, retried);
      }
      if (dead !== undefined) {
        line[binOf(sample.atMs)]!.deadLettered += Math.max(0, dead - deadBefore);
        deadBefore = Math.max(deadBefore, dead);
      }
    }
  }
  return result;
}

/** `m:ss` from the run's start. */
const clock = (ms: number) => {
  const seconds = Math.max(0, Math.round(ms / 1000));
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
};

function timelineSection(name: string, index: number, bins: readonly TimelineBin[], startMs: number): string {
  const [w, h] = [680, 170];
  const margin = { left: 50, right: 150, top: 14, bottom: 40 };
  const plotW = w - margin.left - margin.right;
  const plotH = h - margin.top - margin.bottom;
  const top = Math.max(1, ...bins.flatMap((b) => [b.applied, b.retried, b.deadLettered]));
  const binW = plotW / bins.length;
  const kinds = [
    { key: 'applied', label: 'applied', color: SERIES_COLOR.applied },
    { key: 'retried', label: 'retried', color: SERIES_COLOR.retried },
    { key: 'dead-lettered', label: 'dead-lettered', color: SERIES_COLOR.deadLettered },
  ] as const;
  const count = (b: TimelineBin, key: (typeof kinds)[number]['key']) => (key === 'applied' ? b.applied : key === 'retried' ? b.retried : b.deadLettered);
  const id = `timeline-${index}`;
  const series = kinds
    .map((kind, k) => {
      const barW = (binW - 2) / kinds.length;
      const bars = bins
        .map((b, i) => {
          const n = count(b, kind.key);
          // A count of one must still show beside a bin of hundreds.
          const barH = n === 0 ? 0 : Math.max(2, (plotH * n) / top);
          return (
            `<rect x="${(margin.left + i * binW + 1 + k * barW).toFixed(1)}" y="${(margin.top + plotH - barH).toFixed(1)}" width="${barW.toFixed(1)}" height="${barH.toFixed(1)}" fill="${kind.color}" data-count="${n}">` +
            `<title>${clock(b.fromMs - startMs)}–${clock(b.toMs - startMs)}: ${n} ${kind.label}</title></rect>`
          );
        })
        .join('');
      const total = bins.reduce((sum, b) => sum + count(b, kind.key), 0);
      const legendY = margin.top + 10 + 18 * k;
      const legend = `<rect x="${w - margin.right + 16}" y="${legendY - 8}" width="12" height="10" fill="${kind.color}"/><text x="${w - margin.right + 34}" y="${legendY + 1}">${kind.label} (${total})</text>`;
      return `<g class="series" data-series="${kind.key}">${bars}${legend}</g>`;
    })
    .join('');
  const span = (bins.at(-1)?.toMs ?? startMs) - startMs;
  const xTicks = [0, 0.25, 0.5, 0.75, 1]
    .map((f) => `<text x="${(margin.left + plotW * f).toFixed(1)}" y="${margin.top + plotH + 16}" text-anchor="middle">${clock(span * f)}</text>`)
    .join('');
  const svg =
    `<svg class="chart timeline" data-consumer="${escape(name)}" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-labelledby="${id}-title">` +
    `<title id="${id}-title">${escape(name)}: applied, retried and dead-lettered per ${formatMs(span / bins.length)}</title>` +
    `<line x1="${margin.left}" y1="${margin.top + plotH}" x2="${margin.left + plotW}" y2="${margin.top + plotH}" stroke="#4a5568"/>` +
    `<text x="${margin.left - 6}" y="${margin.top + 4}" text-anchor="end">${top}</text><text x="${margin.left - 6}" y="${margin.top + plotH}" text-anchor="end">0</text>` +
    `<g class="axis x">${xTicks}</g>` +
    `<text class="axis-label" x="${margin.left + plotW / 2}" y="${h - 6}" text-anchor="middle">time since the first publication (m:ss)</text>` +
    `<text class="axis-label" transform="translate(14 ${margin.top + plotH / 2}) rotate(-90)" text-anchor="middle">per bin</text>` +
    `${series}</svg>`;
  const rows = bins
    .filter((b) => b.applied + b.retried + b.deadLettered > 0)
    .map((b) => `<tr><th>${clock(b.fromMs - startMs)}–${clock(b.toMs - startMs)}</th><td>${b.applied}</td><td>${b.retried}</td><td>${b.deadLettered}</td></tr>`)
    .join('');
  const table = `<details><summary>${escape(name)}: the counts per bin</summary><table class="numbers"><tr><th>time</th><th>applied</th><th>retried</th><th>dead-lettered</th></tr>${rows}</table></details>`;
  return `<figure>${svg}<figcaption>${table}</figcaption></figure>`;
}

function depthSection(samples: readonly DepthSample[]): string {
  if (samples.length < 2) return '<p>Not enough samples.</p>';
  const [w, h] = [680, 200];
  const margin = { left: 50, right: 150, top: 14, bottom: 40 };
  const plotW = w - margin.left - margin.right;
  const plotH = h - margin.top - margin.bottom;
  const names = Object.keys(samples[0]!.depths);
  const t0 = samples[0]!.atMs;
  const span = Math.max(1, samples.at(-1)!.atMs - t0);
  const top = Math.max(1, ...samples.flatMap((s) => Object.values(s.depths)));
  const lines = names
    .map((name, i) => {
      const color = COLORS[i % COLORS.length]!;
      const points = samples
        .map((s) => `${(margin.left + (plotW * (s.atMs - t0)) / span).toFixed(1)},${(margin.top + plotH - (plotH * (s.depths[name] ?? 0)) / top).toFixed(1)}`)
        .join(' ');
      const legendY = margin.top + 10 + 18 * i;
      return (
        `<g class="series" data-series="${escape(name)}"><polyline fill="none" stroke="${color}" stroke-width="2" points="${points}"/>` +
        `<line x1="${w - margin.right + 16}" x2="${w - margin.right + 36}" y1="${legendY}" y2="${legendY}" stroke="${color}" stroke-width="2"/><text x="${w - margin.right + 42}" y="${legendY + 4}">${escape(name)}</text></g>`
      );
    })
    .join('');
  return (
    `<svg class="chart depth" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="queue depth over time"><title>Messages in each consumer queue over time</title>` +
    `<line x1="${margin.left}" y1="${margin.top + plotH}" x2="${margin.left + plotW}" y2="${margin.top + plotH}" stroke="#4a5568"/>` +
    `<text x="${margin.left - 6}" y="${margin.top + 4}" text-anchor="end">${top}</text><text x="${margin.left - 6}" y="${margin.top + plotH}" text-anchor="end">0</text>` +
    `<text x="${margin.left}" y="${margin.top + plotH + 16}" text-anchor="middle">0:00</text><text x="${margin.left + plotW}" y="${margin.top + plotH + 16}" text-anchor="middle">${clock(span)}</text>` +
    `<text class="axis-label" x="${margin.left + plotW / 2}" y="${h - 6}" text-anchor="middle">time since the first sample (m:ss)</text>` +
    `<text class="axis-label" transform="translate(14 ${margin.top + plotH / 2}) rotate(-90)" text-anchor="middle">messages</text>` +
    `${lines}</svg>`
  );
}

/** The sentence about throughput, from the run's facts; undefined when the run does not say. */
function throughputSentence(report: RunReport, run: RunFacts): string | undefined {
  if (run.throughputEventsPerSecond === undefined || run.endToEndSeconds === undefined) return undefined;
  const offered = run.offeredRatePerSecond === undefined ? '' : `offered ${run.offeredRatePerSecond}/s`;
  const why = [offered, run.throughputCause].filter(Boolean).join('; ');
  return `${report.published} events in ${run.endToEndSeconds.toFixed(1)} s from the first publication to the last effect: ${run.throughputEventsPerSecond} events/s${why ? ` (${why})` : ''}.`;
}

/** A relative URL from the page's folder to `target`, each path segment encoded. */
function relativeHref(page: string, target: string): string {
  return relative(dirname(resolve(page)), resolve(target)).split(sep).map(encodeURIComponent).join('/');
}

/** The page, as a string: see the file comment. `jsonHref` is the link to the run's JSON report. */
export function renderHtmlReport(
  report: RunReport & { run?: RunFacts },
  publications: readonly PublicationRecord[],
  observations: ReadonlyMap<string, ConsumerObservations>,
  samples: readonly DepthSample[],
  jsonHref: string,
): string {
  const run: RunFacts = report.run ?? {};
  const records = effectLatencyRecords(publications, observations);
  const consumers = Object.keys(report.consumers);
  const startMs = Math.min(...publications.map((p) => p.publishedAtMs), ...samples.map((s) => s.atMs));
  const endMs = Math.max(...records.map((r) => r.appliedAtMs), ...samples.map((s) => s.atMs), ...publications.map((p) => p.publishedAtMs));
  const lines = Number.isFinite(startMs) && endMs > startMs ? timelines(consumers, records, samples, startMs, endMs) : undefined;
  const rows = Object.entries(report.consumers)
    .map(([name, c]) => `<tr><th>${escape(name)}</th>${REPORT_COLUMNS.map(([k]) => `<td${(k === 'lost' || k === 'duplicateEffects') && c[k] > 0 ? ' class="bad"' : ''}>${c[k]}</td>`).join('')}</tr>`)
    .join('');
  const throughput = throughputSentence(report, run);
  const byAttempt = report.latencyByAttemptMs;
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Fanout local run</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#1a202c;line-height:1.45}
h1{margin-bottom:.2rem}h2{margin-top:2.2rem;border-bottom:1px solid #e2e8f0;padding-bottom:.2rem}h3{margin:1.2rem 0 .3rem;font-size:1rem}
table{border-collapse:collapse;font-variant-numeric:tabular-nums;margin:.6rem 0}th,td{padding:.25rem .7rem;border-bottom:1px solid #e2e8f0;text-align:right}th:first-child{text-align:left}
.bad{color:#c53030;font-weight:bold}.lead{font-size:1.05rem}.muted{color:#4a5568}
figure{margin:0}svg{max-width:100%;height:auto;font-size:12px;fill:#2d3748}svg .axis-label{fill:#4a5568}
details{margin:.2rem 0 1rem}summary{cursor:pointer;color:#2b6cb0}
</style>
</head><body>
<h1>Fanout local run</h1>
<p class="lead">${report.published} events published; ${report.latencyMs.samples} effects recorded downstream.${
    byAttempt ? ` ${byAttempt.firstTry.samples} applied at their first attempt (p50 ${formatMs(byAttempt.firstTry.p50)}), ${byAttempt.retried.samples} after a retry.` : ''
  }</p>
${throughput ? `<p id="throughput"><strong>Throughput:</strong> ${escape(throughput)}</p>` : ''}
<p>The run's data: <a id="json-report" href="${escape(jsonHref)}">${escape(decodeURIComponent(jsonHref))}</a> (the JSON report).</p>
<h2>Per consumer</h2>
<table aria-label="per consumer"><tr><th>consumer</th>${REPORT_COLUMNS.map(([, label]) => `<th>${escape(label)}</th>`).join('')}</tr>${rows}</table>
<h2>End-to-end latency</h2>
<p class="muted">From the event's time to its effect recorded downstream, per consumer and event. An effect "after a retry" was recorded after one of its consumer's attempts failed with it: its latency includes the backoff.</p>
${latencySection(records)}
<h2>Applied, retried and dead-lettered over time</h2>
<p class="muted">Effects by when the downstream recorded them; retried deliveries and dead-lettered messages by the queue sample that first saw them.</p>
${lines ? [...lines].map(([name, bins], i) => `<h3>${escape(name)}</h3>${timelineSection(name, i, bins, startMs)}`).join('\n') : '<p>Nothing was published.</p>'}
<h2>Queue depth over time</h2>
${depthSection(samples)}
</body></html>
`;
  return html;
}

/**
 * Writes the HTML report to `file`, and links the run's JSON report from it: the one
 * `options.jsonFile` names, or else `<name>.json` beside the page, written here.
 * @returns the JSON report the page links to
 */
export function writeHtmlReport(
  file: string,
  report: RunReport & { run?: RunFacts },
  publications: readonly PublicationRecord[],
  observations: ReadonlyMap<string, ConsumerObservations>,
  samples: readonly DepthSample[],
  options: HtmlReportOptions = {},
): { jsonFile: string } {
  mkdirSync(dirname(resolve(file)), { recursive: true });
  let jsonFile = options.jsonFile;
  if (jsonFile === undefined) {
    jsonFile = join(dirname(file), `${basename(file, extname(file))}.json`);
    // A page named like its JSON (`run.json`) must not be overwritten by it.
    if (resolve(jsonFile) === resolve(file)) jsonFile = `${file}.json`;
    writeFileSync(jsonFile, `${JSON.stringify(report, null, 2)}\n`);
  }
  writeFileSync(file, renderHtmlReport(report, publications, observations, samples, relativeHref(file, jsonFile)));
  return { jsonFile };
}
