/**
 * The bench's score: each benchmark script records its headline figures here (with the
 * baseline measured beside it in the same run, and the target it is held to), and
 * `npm run bench` (bench/run.ts) gathers them into bench/results.json and prints one
 * line per target, `met` or `not met`.
 *
 * Scripts append to the JSON-lines file BENCH_RESULTS_FILE names; run alone (no file),
 * recording is a no-op and the script prints its tables as before.
 */
import { appendFileSync } from 'node:fs';

/** The environment variable naming the JSON-lines file figures are appended to. */
export const RESULTS_FILE_ENV = 'BENCH_RESULTS_FILE';

/** A bound a figure is held to. */
export interface Target {
  readonly op: '<=' | '>=';
  readonly value: number;
}

/** One measured figure. */
export interface Figure {
  /** Stable id, e.g. `bundle-kb`. */
  readonly id: string;
  /** What it is, in words. */
  readonly label: string;
  /** The median measured; null when this run could not measure it (say why in `note`). */
  readonly value: number | null;
  readonly unit: string;
  /** What it was compared with in the same run. */
  readonly baseline?: { readonly label: string; readonly value: number };
  readonly target?: Target;
  readonly note?: string;
}

/** A figure with its verdict. */
export interface ScoredFigure extends Figure {
  /** Undefined when the figure has no target. */
  readonly met?: boolean;
}

/** Records a figure for `npm run bench` to score; a no-op when run outside it. */
export function recordFigure(figure: Figure): void {
  const file = process.env[RESULTS_FILE_ENV];
  if (file) appendFileSync(file, `${JSON.stringify(figure)}\n`);
}

/** Whether `figure` meets its target (false when it could not be measured). */
export function score(figure: Figure): ScoredFigure {
  if (!figure.target) return figure;
  const { op, value } = figure.target;
  const met = figure.value !== null && (op === '<=' ? figure.value <= value : figure.value >= value);
  return { ...figure, met };
}

const number = (value: number) => (Math.abs(value) >= 100 ? value.toFixed(0) : Math.abs(value) >= 10 ? value.toFixed(1) : value.toFixed(3).replace(/\.?0+$/, '') || '0');

/** One line per figure: `met` / `not met` / `-` (no target), the figure, its target and baseline. */
export function scoreLine(figure: ScoredFigure): string {
  const verdict = figure.met === undefined ? '-' : figure.met ? 'met' : 'not met';
  const value = figure.value === null ? 'not measured' : `${number(figure.value)} ${figure.unit}`;
  const target = figure.target ? `target ${figure.target.op} ${number(figure.target.value)}` : 'no target';
  const baseline = figure.baseline ? `; ${figure.baseline.label}: ${number(figure.baseline.value)}` : '';
  const note = figure.note ? ` (${figure.note})` : '';
  return `${verdict.padEnd(8)} ${figure.label}: ${value} (${target}${baseline})${note}`;
}
