/**
 * The chaos suite's scoreboard: each fault test records one row (events in, effects out,
 * what was lost, applied twice, dead-lettered and redriven), and the suite's global
 * teardown prints them as one table and writes it to .fanout/chaos/results.md, the
 * table README's reliability section shows.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { inject } from 'vitest';
import { PROJECT_ROOT } from '../../../local/emulator';
import type { RunReport } from '../../../local/report';

/**
 * Where one run's rows go while it runs (one JSON document a line): a file of its own, so
 * two runs in one working tree never mix or clear each other's rows.
 */
export function resultsFile(runId: string): string {
  return join(PROJECT_ROOT, '.fanout', 'chaos', `results-${runId}.jsonl`);
}
/** The rendered table. */
export const TABLE_FILE = join(PROJECT_ROOT, '.fanout', 'chaos', 'results.md');

/** One fault's outcome, summed over the consumers it concerns. */
export interface FaultRow {
  readonly fault: string;
  /** Publications SNS accepted (duplicates included) or messages put in by the test. */
  readonly events: number;
  /** Deliveries the consumers should have handled (filter policies applied). */
  readonly expected: number;
  /** Events whose effect is recorded downstream (once or more). */
  readonly applied: number;
  readonly lost: number;
  readonly duplicateEffects: number;
  readonly deadLettered: number;
  /** Dead-lettered messages by reason (error name). */
  readonly reasons: Readonly<Record<string, number>>;
  readonly redriven: number;
  /** Anything else worth a column: timings, counts of the fault itself. */
  readonly note?: string;
}

/** Sums a report over `consumers` (all when omitted) into a row. */
export function rowFromReport(fault: string, report: RunReport, extra: { redriven?: number; note?: string; consumers?: readonly string[] } = {}): FaultRow {
  const entries = Object.entries(report.consumers).filter(([name]) => !extra.consumers || extra.consumers.includes(name));
  const sum = (pick: (c: RunReport['consumers'][string]) => number) => entries.reduce((total, [, c]) => total + pick(c), 0);
  const reasons: Record<string, number> = {};
  for (const [, c] of entries) for (const [name, n] of Object.entries(c.deadLetterReasons)) reasons[name] = (reasons[name] ?? 0) + n;
  return {
    fault,
    events: report.published,
    expected: sum((c) => c.expected),
    applied: sum((c) => c.applied),
    lost: sum((c) => c.lost),
    duplicateEffects: sum((c) => c.duplicateEffects),
    deadLettered: sum((c) => c.deadLettered),
    reasons,
    redriven: extra.redriven ?? 0,
    ...(extra.note && { note: extra.note }),
  };
}

/** Records a row for this run's table. */
export function recordRow(row: FaultRow): void {
  const file = resultsFile(inject('chaosRunId'));
  mkdirSync(dirname(file), { recursive: true });
  appendFileSync(file, `${JSON.stringify(row)}\n`);
}

/** Forgets a run's rows. */
export function clearRows(runId: string): void {
  rmSync(resultsFile(runId), { force: true });
}

/** The rows a run recorded. */
export function readRows(runId: string): FaultRow[] {
  const file = resultsFile(runId);
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as FaultRow);
}

/** The rows as a Markdown table. */
export function renderTable(rows: readonly FaultRow[]): string {
  const reasons = (r: FaultRow) =>
    Object.entries(r.reasons)
      .map(([name, n]) => `${n} ${name}`)
      .join(', ') || '-';
  const lines = [
    '| fault | events | expected | applied | lost | dup. effects | dead-lettered (reasons) | redriven | note |',
    '|---|---:|---:|---:|---:|---:|---|---:|---|',
    ...rows.map(
      (r) =>
        `| ${r.fault} | ${r.events} | ${r.expected} | ${r.applied} | ${r.lost} | ${r.duplicateEffects} | ${r.deadLettered ? `${r.deadLettered} (${reasons(r)})` : '0'} | ${r.redriven} | ${r.note ?? ''} |`,
    ),
  ];
  return lines.join('\n');
}
