/**
 * The HTML report as a person gets it: rendered by a real headless Chrome/Chromium
 * (playwright-core drives the one installed; see test/support/browser.ts), not only
 * read as a file. Checks what the page draws (the latency series and their points on a
 * log scale, a timeline per consumer), that its JSON link opens the JSON report, that
 * it fetches nothing but itself, and that the browser reports no error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { LATENCY_PERCENTILES, TIMELINE_BINS, writeHtmlReport } from '../../local/html-report';
import { findChrome } from '../support/browser';
import { htmlFixture } from './html-report-fixture';

let browser: Browser | undefined;
let page: Page;
const problems: string[] = [];
const requested: string[] = [];
const fixture = htmlFixture();
let htmlFile: string;

beforeAll(async () => {
  // No browser is a failure with the way to install one (findChrome throws), not a skip.
  browser = await chromium.launch({ executablePath: findChrome() });
  page = await browser.newPage({ viewport: { width: 1000, height: 800 } });
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') problems.push(`console ${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()}`));
  page.on('request', (request) => requested.push(request.url()));
  htmlFile = join(mkdtempSync(join(tmpdir(), 'fanout-html-browser-')), 'report.html');
  writeHtmlReport(htmlFile, fixture.report, fixture.publications, fixture.observations, fixture.samples);
  await page.goto(pathToFileURL(htmlFile).href);
}, 30_000);

afterAll(async () => {
  await browser?.close();
});

describe('the HTML report in a browser', () => {
  it('draws latency percentiles as two series, first try and after a retry, five points each', async () => {
    const series = await page.$$eval('svg.chart.latency g.series', (groups) =>
      groups.map((g) => ({ name: g.getAttribute('data-series'), points: [...g.querySelectorAll('circle')].map((c) => c.getAttribute('data-percentile')) })),
    );
    const labels = LATENCY_PERCENTILES.map(([label]) => label);
    expect(series).toEqual([
      { name: 'first-try', points: labels },
      { name: 'retried', points: labels },
    ]);
    // The same numbers, as text: a row per series and one for all.
    const rows = await page.$$eval('table[aria-label="latency percentiles"] tr', (trs) => trs.map((tr) => [...tr.children].map((cell) => cell.textContent)));
    expect(rows.map((row) => row.slice(0, 2))).toEqual([
      ['effects', 'count'],
      ['first try', '186'],
      ['after a retry', '10'],
      ['all', '196'],
    ]);
    expect(rows[2]!.at(-1)).toBe('17 s');
  });

  it('puts latency on a log scale: decade ticks evenly spaced, each point where its value falls between them', async () => {
    const ticks = await page.$$eval('svg.chart.latency g.tick', (gs) =>
      gs.map((g) => ({ label: g.querySelector('text')!.textContent, ms: Number(g.getAttribute('data-ms')), y: g.querySelector('line')!.getBoundingClientRect().y })),
    );
    expect(ticks.map((t) => t.label)).toEqual(['10 ms', '100 ms', '1 s', '10 s', '100 s']);
    const steps = ticks.slice(1).map((t, i) => ticks[i]!.y - t.y);
    for (const step of steps) expect(step).toBeCloseTo(steps[0]!, 0);
    expect(steps[0]).toBeGreaterThan(20);
    const yOf = (ms: number) => ticks[0]!.y - steps[0]! * (Math.log10(ms) - Math.log10(ticks[0]!.ms));
    const points = await page.$$eval('svg.chart.latency circle', (cs) =>
      cs.map((c) => {
        const box = c.getBoundingClientRect();
        return { ms: Number(c.getAttribute('data-ms')), y: box.y + box.height / 2 };
      }),
    );
    expect(points).toHaveLength(10);
    for (const point of points) expect(Math.abs(point.y - yOf(point.ms)), `a point of ${point.ms} ms`).toBeLessThan(1.5);
  });

  it('draws a timeline per consumer: applied, retried and dead-lettered, one bar per time bin each', async () => {
    const charts = await page.$$eval('svg.chart.timeline', (svgs) =>
      svgs.map((svg) => ({
        consumer: svg.getAttribute('data-consumer'),
        title: svg.querySelector('title')?.textContent,
        series: [...svg.querySelectorAll('g.series')].map((g) => ({
          name: g.getAttribute('data-series'),
          bars: g.querySelectorAll('rect[data-count]').length,
          total: [...g.querySelectorAll('rect[data-count]')].reduce((sum, r) => sum + Number(r.getAttribute('data-count')), 0),
        })),
      })),
    );
    expect(charts.map((c) => c.consumer)).toEqual(['crm-sync', 'email-marketing']);
    for (const chart of charts) {
      expect(chart.title).toMatch(/applied, retried and dead-lettered/);
      expect(chart.series.map((s) => s.name)).toEqual(['applied', 'retried', 'dead-lettered']);
      for (const s of chart.series) expect(s.bars, `${chart.consumer} ${s.name}`).toBe(TIMELINE_BINS);
    }
    expect(charts[0]!.series.map((s) => s.total)).toEqual([98, 10, 2]);
    expect(charts[1]!.series.map((s) => s.total)).toEqual([98, 0, 2]);
  });

  it('says what bounded the throughput', async () => {
    expect(await page.textContent('#throughput')).toMatch(/3\.3 events\/s \(offered 10\/s; the last effects waited out the retry backoff of 10 retried deliveries: that is the backoff, not the emulator\)/);
  });

  it('links the JSON report, and the link opens it', async () => {
    const href = await page.$eval('a#json-report', (a) => (a as unknown as { href: string }).href);
    expect(existsSync(fileURLToPath(href))).toBe(true);
    const json = await browser!.newPage();
    try {
      await json.goto(href);
      const shown = JSON.parse((await json.textContent('body')) ?? '') as { published: number; consumers: Record<string, unknown> };
      expect(shown.published).toBe(100);
      expect(Object.keys(shown.consumers)).toEqual(['crm-sync', 'email-marketing']);
    } finally {
      await json.close();
    }
  });

  it('loads nothing but itself, and the browser reports no error', () => {
    expect(requested).toEqual([pathToFileURL(htmlFile).href]);
    expect(problems).toEqual([]);
  });
});
