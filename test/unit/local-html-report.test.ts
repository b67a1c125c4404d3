import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatMs, logDecades, renderHtmlReport, timelines, writeHtmlReport } from '../../local/html-report';
import { effectLatencyRecords, type RunReport } from '../../local/report';
import { htmlFixture, T0 } from './html-report-fixture';

describe('the latency axis', () => {
  it('spans whole decades around the values, two at least, from 1 ms', () => {
    expect(logDecades(23, 17_300)).toEqual([10, 100, 1000, 10_000, 100_000]);
    expect(logDecades(0, 40)).toEqual([1, 10, 100]);
    expect(logDecades(120, 180)).toEqual([100, 1000, 10_000]);
  });

  it('labels latencies in the unit a person reads them in', () => {
    expect([10, 100, 999, 1000, 1500, 10_000, 100_000].map(formatMs)).toEqual(['10 ms', '100 ms', '999 ms', '1 s', '1.5 s', '10 s', '100 s']);
  });
});

describe('timelines', () => {
  it('bins effects by when they were recorded, and retries and dead letters by the sample that first saw them', () => {
    const { publications, observations, samples } = htmlFixture();
    const records = effectLatencyRecords(publications, observations);
    const lines = timelines(['crm-sync', 'email-marketing'], records, samples, T0, T0 + 30_000, 30);
    const crm = lines.get('crm-sync')!;
    expect(crm).toHaveLength(30);
    expect(crm.reduce((sum, b) => sum + b.applied, 0)).toBe(observations.get('crm-sync')!.effects.size);
    expect(crm.reduce((sum, b) => sum + b.retried, 0)).toBe(10);
    expect(crm.reduce((sum, b) => sum + b.deadLettered, 0)).toBe(2);
    // The retries rose from the sample at 3 s on, one a second.
    expect(crm.slice(3, 13).map((b) => b.retried)).toEqual(Array(10).fill(1));
    expect(lines.get('email-marketing')!.findIndex((b) => b.deadLettered > 0)).toBe(3);
  });

  it('does not count what a DLQ held before the run as dead-lettered by it', () => {
    const samples = [0, 1, 2].map((s) => ({ atMs: T0 + s * 1000, depths: { c: 0 }, deadLettered: { c: 5 + s } }));
    const line = timelines(['c'], [], samples, T0, T0 + 3000, 3).get('c')!;
    expect(line.map((b) => b.deadLettered)).toEqual([0, 1, 1]);
  });
});

describe('writeHtmlReport', () => {
  it('writes one self-contained page: the table, the throughput line, the charts, and a link to the JSON written beside it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fanout-html-'));
    const file = join(dir, 'nested', 'run report.html');
    const { report, publications, observations, samples } = htmlFixture(['<crm>', 'email-marketing']);
    const { jsonFile } = writeHtmlReport(file, report, publications, observations, samples);
    expect(jsonFile).toBe(join(dir, 'nested', 'run report.json'));
    expect((JSON.parse(readFileSync(jsonFile, 'utf8')) as RunReport).published).toBe(100);
    const html = readFileSync(file, 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('href="run%20report.json"');
    expect(html).toContain('&lt;crm&gt;');
    expect(html).not.toContain('<crm>');
    // The run is linked, not dumped.
    expect(html).not.toContain('"offeredRatePerSecond"');
    expect(html).toContain('the last effects waited out the retry backoff of 10 retried deliveries: that is the backoff, not the emulator');
    expect(html).not.toMatch(/ceiling is the emulator/);
    expect(html).toContain('aria-label="queue depth over time"');
    expect(html.match(/<svg class="chart timeline"/g)).toHaveLength(2);
    expect(html).toContain('<svg class="chart latency" data-scale="log"');
    // The text report's column headings, one cell per column.
    expect(html).toContain('<th>dup. suppressed</th>');
    expect(html).toMatch(/<tr><th>&lt;crm&gt;<\/th><td>100<\/td><td>98<\/td><td>0<\/td><td>0<\/td><td>10<\/td><td>2<\/td><td>0<\/td><td>0<\/td><\/tr>/);
    expect(html).not.toMatch(/<script|<link|https?:\/\/|url\(/);
  });

  it('links the JSON report --report wrote, relative to the page, and writes no second one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fanout-html-'));
    const { report, publications, observations, samples } = htmlFixture();
    const { jsonFile } = writeHtmlReport(join(dir, 'html', 'report.html'), report, publications, observations, samples, { jsonFile: join(dir, 'data', 'run.json') });
    expect(jsonFile).toBe(join(dir, 'data', 'run.json'));
    expect(existsSync(join(dir, 'html', 'report.json'))).toBe(false);
    expect(readFileSync(join(dir, 'html', 'report.html'), 'utf8')).toContain('href="../data/run.json"');
  });

  it('says so when nothing was recorded', () => {
    const consumer = { expected: 0, applied: 0, duplicatesSuppressed: 0, staleSkipped: 0, retried: 0, deadLettered: 0, unreadDeadLetters: 0, lost: 0, duplicateEffects: 0, expectedInvalid: 0, deadLetterReasons: {}, problems: { lost: [], unexpected: [], duplicateEffects: [], invalidNotDeadLettered: [], validDeadLettered: [], contradictory: [] } };
    const report: RunReport = { published: 0, consumers: { crm: consumer }, latencyMs: { p50: 0, p95: 0, p99: 0, samples: 0 } };
    const html = renderHtmlReport(report, [], new Map(), [], 'report.json');
    expect(html).toContain('No effects were recorded.');
    expect(html).toContain('Not enough samples.');
    expect(html).not.toContain('id="throughput"');
  });
});

