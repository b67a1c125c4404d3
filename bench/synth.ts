/**
 * How long synthesizing the sample pipeline takes, and where the time goes.
 *
 * Each variant runs the CDK app (`bin/app.ts`) in a fresh process, offline, into a
 * fresh directory, several times; the median is printed with its ratio to the full
 * synth. `cdk synth` (the CLI, which runs the app) is measured the same way.
 * Variants switch off, one at a time, the two costly steps: bundling the three
 * consumers with esbuild, and the CDK's built-in CloudFormation validation.
 *
 * `npx tsx bench/synth.ts [runs]` (default 3 runs per variant).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const RUNS = Number(process.argv[2] ?? 3);
const SKIP_BUNDLING = JSON.stringify({ 'aws:cdk:bundling-stacks': [] });

interface Variant {
  readonly name: string;
  readonly command: readonly string[];
  readonly env: Readonly<Record<string, string>>;
}

const tsx = join(ROOT, 'node_modules/.bin/tsx');
const cdk = join(ROOT, 'node_modules/.bin/cdk');
const variants: Variant[] = [
  { name: 'npx cdk synth (CLI + app: bundling, cdk-nag, CFN validation)', command: [cdk, 'synth', '--quiet', '-o', '{outdir}'], env: {} },
  { name: 'app only: bundling, cdk-nag, CFN validation', command: [tsx, 'bin/app.ts'], env: {} },
  { name: 'app, without CFN validation', command: [tsx, 'bin/app.ts'], env: { CDK_VALIDATION: 'false' } },
  { name: 'app, without bundling', command: [tsx, 'bin/app.ts'], env: { CDK_CONTEXT_JSON: SKIP_BUNDLING } },
  { name: 'app, without either', command: [tsx, 'bin/app.ts'], env: { CDK_CONTEXT_JSON: SKIP_BUNDLING, CDK_VALIDATION: 'false' } },
];

/** The environment of an offline run: no AWS or CDK settings from the caller's shell. */
function offlineEnv(extra: Readonly<Record<string, string>>, outdir: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !/^(AWS_|CDK_)/.test(key)) env[key] = value;
  }
  return { ...env, AWS_EC2_METADATA_DISABLED: 'true', CDK_OUTDIR: outdir, ...extra };
}

function runOnce(variant: Variant): number {
  const outdir = mkdtempSync(join(tmpdir(), 'fanout-bench-synth-'));
  try {
    const [command, ...args] = variant.command.map((part) => part.replace('{outdir}', outdir));
    const started = performance.now();
    const result = spawnSync(command!, args, { cwd: ROOT, env: offlineEnv(variant.env, outdir), encoding: 'utf8' });
    const elapsed = performance.now() - started;
    if (result.status !== 0) throw new Error(`${variant.name} failed (${result.status}):\n${result.stderr}`);
    return elapsed;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

console.log(`synth of the sample pipeline, ${RUNS} runs per variant, offline (median, ratio to the app's full synth)`);
const results: { name: string; median: number }[] = [];
for (const variant of variants) {
  const times = Array.from({ length: RUNS }, () => runOnce(variant));
  results.push({ name: variant.name, median: median(times) });
}
const reference = results[1]!.median;
for (const { name, median: value } of results) {
  console.log(`${(value / 1000).toFixed(1).padStart(6)} s  ${(value / reference).toFixed(2)}x  ${name}`);
}
