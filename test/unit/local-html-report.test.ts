import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { histogram, writeHtmlReport } from '../../local/html-report';
import type { RunReport } from '../../local/report';

describe('histogram', () => {
  it('puts every value in one of equal-width buckets up to the largest', () => {
    const buckets = histogram([0, 5, 10, 95, 100], 10);
    expect(buckets).toHaveLength(10);
    expect(buckets.reduce((sum, b) => sum + b.count, 0)).toBe(5);
    expect(buckets[0]).toEqual({ from: 0, to: 10, count: 2 });
    expect(buckets[9]).toEqual({ from: 90, to: 100, count: 2 });
    expect(histogram([])).toEqual([]);
  });
});

describe('writeHtmlReport', () => {
  it('writes one self-contained page with the table and both charts', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'fanout-html-')), 'nested', 'report.html');
    const consumer = { expected: 3, applied: 2, duplicatesSuppressed: 0, staleSkipped: 0, retried: 1, deadLettered: 1, unreadDeadLetters: 0, lost: 0, duplicateEffects: 0, expectedInvalid: 1, deadLetterReasons: {}, problems: { lost: [], unexpected: [], duplicateEffects: [], invalidNotDeadLettered: [], validDeadLettered: [], contradictory: [] } };
    const report: RunReport = { published: 3, consumers: { '<crm>': consumer }, latencyMs: { p50: 10, p95: 20, p99: 20, samples: 2 } };
    writeHtmlReport(file, report, [], new Map(), [
      { atMs: 0, depths: { '<crm>': 3 } },
      { atMs: 1000, depths: { '<crm>': 0 } },
    ]);
    const html = readFileSync(file, 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('&lt;crm&gt;');
    expect(html).not.toContain('<crm>');
    expect(html).toContain('aria-label="queue depth over time"');
    expect(html).toContain('No effects were recorded.');
    // The text report's column headings, one cell per column.
    expect(html).toContain('<th>dup. suppressed</th>');
    expect(html).toMatch(/<tr><th>&lt;crm&gt;<\/th><td>3<\/td><td>2<\/td><td>0<\/td><td>0<\/td><td>1<\/td><td>1<\/td><td>0<\/td><td>0<\/td><\/tr>/);
    expect(html).not.toMatch(/<script|https?:\/\//);
  });
});
