/**
 * `npm run bench`: runs every benchmark script in bench/ one after another (never side
 * by side with each other, so they do not fight for the 2 cores), each printing its own
 * medians and ratios, then scores what they recorded (bench/scorecard.ts): one line per
 * figure, `met` or `not met` against its target, and, when every script ran, the lot in
 * bench/results.json. `npm run bench <name>` runs the scripts whose name contains it and
 * scores them without writing the file.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { RESULTS_FILE_ENV, score, scoreLine, type Figure } from './scorecard';

const dir = import.meta.dirname;
const only = process.argv.slice(2);
const LIBRARY = new Set(['run.ts', 'scorecard.ts']);
const scripts = readdirSync(dir)
  .filter((name) => name.endsWith('.ts') && !LIBRARY.has(name))
  .filter((name) => only.length === 0 || only.some((wanted) => name.includes(wanted)))
  .sort();

const scratch = mkdtempSync(join(tmpdir(), 'fanout-bench-results-'));
const figuresFile = join(scratch, 'figures.jsonl');
let failed = 0;
try {
  for (const script of scripts) {
    console.log(`\n=== bench/${script} ===`);
    const result = spawnSync(process.execPath, ['--import', 'tsx', join(dir, script)], {
      stdio: 'inherit',
      // The SDK's multi-line Node 20 support notice would interleave with the tables.
      env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...process.env, [RESULTS_FILE_ENV]: figuresFile },
    });
    if (result.status !== 0) {
      failed += 1;
      console.error(`bench/${script} exited with ${result.status ?? result.signal}`);
    }
  }
  const figures = existsSync(figuresFile)
    ? readFileSync(figuresFile, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => score(JSON.parse(line) as Figure))
    : [];
  console.log('\n=== score ===');
  for (const figure of figures) console.log(scoreLine(figure));
  const scored = figures.filter((f) => f.met !== undefined);
  console.log(`${scored.filter((f) => f.met).length} of ${scored.length} targets met`);
  if (only.length === 0 && failed === 0) {
    const results = {
      measuredAt: new Date().toISOString(),
      machine: { cores: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', node: process.version },
      figures,
    };
    writeFileSync(join(dir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
    console.log('wrote bench/results.json');
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
process.exit(failed === 0 ? 0 : 1);
