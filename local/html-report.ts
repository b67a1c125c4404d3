/**
 * The optional HTML report of a local run (`--html FILE`): the per-consumer table, a
 * histogram of end-to-end latency and each consumer queue's depth over time, as inline
 * SVG in one self-contained file (no scripts, no network).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { PublicationRecord } from './demo-workload';
import { effectLatencies, REPORT_COLUMNS, type ConsumerObservations, type RunReport } from './report';

/** Queue depths at one moment, by consumer. */
export interface DepthSample {
  readonly atMs: number;
  readonly depths: Readonly<Record<string, number>>;
}

const escape = (text: string) => text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
const COLORS = ['#2b6cb0', '#c05621', '#2f855a', '#6b46c1', '#b7791f'];

/** Latencies binned into `bins` equal-width buckets up to the largest value. */
export function histogram(values: readonly number[], bins = 20): { from: number; to: number; count: number }[] {
  if (values.length === 0) return [];
  const max = Math.max(...values, 1);
  const width = Math.ceil(max / bins);
  const buckets = Array.from({ length: bins }, (_, i) => ({ from: i * width, to: (i + 1) * width, count: 0 }));
  for (const value of values) buckets[Math.min(bins - 1, Math.floor(value / width))]!.count += 1;
  return buckets;
}

function latencySvg(latencies: readonly number[]): string {
  const buckets = histogram(latencies);
  if (buckets.length === 0) return '<p>No effects were recorded.</p>';
  const [w, h, pad] = [640, 220, 30];
  const top = Math.max(...buckets.map((b) => b.count));
  const barWidth = (w - 2 * pad) / buckets.length;
  const bars = buckets
    .map((b, i) => {
      const height = ((h - 2 * pad) * b.count) / top;
      return `<rect x="${pad + i * barWidth + 1}" y="${h - pad - height}" width="${barWidth - 2}" height="${height}" fill="#2b6cb0"><title>${b.from}–${b.to} ms: ${b.count}</title></rect>`;
    })
    .join('');
  return (
    `<svg width="${w}" height="${h}" role="img" aria-label="latency histogram">${bars}` +
    `<line x1="${pad}" y1="${h - pad}" x2="${w - pad}" y2="${h - pad}" stroke="#333"/>` +
    `<text x="${pad}" y="${h - 8}" font-size="11">0 ms</text><text x="${w - pad}" y="${h - 8}" font-size="11" text-anchor="end">${buckets.at(-1)!.to} ms</text>` +
    `<text x="${pad}" y="${pad - 10}" font-size="11">${top} effects</text></svg>`
  );
}

function depthSvg(samples: readonly DepthSample[]): string {
  if (samples.length < 2) return '<p>Not enough samples.</p>';
  const [w, h, pad] = [640, 220, 30];
  const names = Object.keys(samples[0]!.depths);
  const t0 = samples[0]!.atMs;
  const span = Math.max(1, samples.at(-1)!.atMs - t0);
  const top = Math.max(1, ...samples.flatMap((s) => Object.values(s.depths)));
  const lines = names
    .map((name, i) => {
      const points = samples.map((s) => `${(pad + ((w - 2 * pad) * (s.atMs - t0)) / span).toFixed(1)},${(h - pad - ((h - 2 * pad) * (s.depths[name] ?? 0)) / top).toFixed(1)}`).join(' ');
      return `<polyline fill="none" stroke="${COLORS[i % COLORS.length]}" stroke-width="2" points="${points}"/><text x="${w - pad}" y="${pad + 14 * i}" font-size="11" text-anchor="end" fill="${COLORS[i % COLORS.length]}">${escape(name)}</text>`;
    })
    .join('');
  return (
    `<svg width="${w}" height="${h}" role="img" aria-label="queue depth over time">${lines}` +
    `<line x1="${pad}" y1="${h - pad}" x2="${w - pad}" y2="${h - pad}" stroke="#333"/>` +
    `<text x="${pad}" y="${h - 8}" font-size="11">0 s</text><text x="${w - pad}" y="${h - 8}" font-size="11" text-anchor="end">${(span / 1000).toFixed(0)} s</text>` +
    `<text x="${pad}" y="${pad - 10}" font-size="11">${top} messages</text></svg>`
  );
}

/** Writes the HTML report. */
export function writeHtmlReport(
  file: string,
  report: RunReport & { run?: Record<string, unknown> },
  publications: readonly PublicationRecord[],
  observations: ReadonlyMap<string, ConsumerObservations>,
  depths: readonly DepthSample[],
): void {
  const latencies = effectLatencies(publications, observations.values());
  const rows = Object.entries(report.consumers)
    .map(([name, c]) => `<tr><th>${escape(name)}</th>${REPORT_COLUMNS.map(([k]) => `<td${(k === 'lost' || k === 'duplicateEffects') && c[k] > 0 ? ' class="bad"' : ''}>${c[k]}</td>`).join('')}</tr>`)
    .join('');
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Fanout local run</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;color:#1a202c}table{border-collapse:collapse}th,td{padding:.3rem .8rem;border-bottom:1px solid #e2e8f0;text-align:right}th:first-child{text-align:left}.bad{color:#c53030;font-weight:bold}</style>
</head><body>
<h1>Fanout local run</h1>
<p>${report.published} events published. End-to-end latency p50 ${report.latencyMs.p50} ms, p95 ${report.latencyMs.p95} ms, p99 ${report.latencyMs.p99} ms.</p>
<table><tr><th>consumer</th>${REPORT_COLUMNS.map(([, label]) => `<th>${escape(label)}</th>`).join('')}</tr>${rows}</table>
<h2>End-to-end latency</h2>${latencySvg(latencies)}
<h2>Queue depth over time</h2>${depthSvg(depths)}
<h2>Run</h2><pre>${escape(JSON.stringify(report.run ?? {}, null, 2))}</pre>
</body></html>
`;
  mkdirSync(dirname(resolve(file)), { recursive: true });
  writeFileSync(file, html);
}
