/**
 * Cold start of the consumer bundles: size (KB) and import time against a bare handler
 * and against a plain Powertools consumer doing crm-sync's job (bench/peer/handler.ts).
 *
 * Each consumer is bundled with esbuild directly, with the options the stack gives
 * NodejsFunction (lib/consumer-bundling.ts: CONSUMER_BUNDLING, translated by
 * consumerEsbuildOptions: ESM, minified, target the Lambda runtime's Node.js, mainFields module,main, the
 * createRequire banner, no externals, so the AWS SDK is inside, and the size levers:
 * aliases and no legal comments), next to a bare handler bundled the same way and, for
 * comparison, the same consumer bundled without the levers (CONSUMER_BUNDLING minus its
 * esbuildArgs: what it was before them) and the peer, bundled the same way. Import time is measured in a fresh Node process
 * per run (what a cold start pays before the first invocation: parsing and evaluating the
 * module, which builds clients, the persistence layer and the resolver at module scope),
 * alternating all bundles in the same run; medians over RUNS runs and the ratios to the
 * bare handler and of crm-sync to the peer are printed. Then what each lever saves on its own (the bundle rebuilt
 * without it), and the bundle's largest parts by package.
 *
 * Run alone: `npx tsx bench/cold-start.ts` (or `npm run bench cold-start`); BENCH_RUNS=n
 * for more runs.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Metafile } from 'esbuild';
import { CONSUMER_BUNDLE_ALIASES, CONSUMER_BUNDLING } from '../lib/consumer-bundling';
import { ConsumerEnv } from '../contracts/consumer-environment';
import { loadPipeline } from '../model/load-pipeline';
import { recordFigure } from './scorecard';
import { bundle, median, PEER_ENTRY, PEER_NAME, peerEnvironment, ROOT, type Bundle, type BundlingOptions } from './support/bundles';

const RUNS = Number(process.env.BENCH_RUNS ?? 9);
const TARGET_KB = 450;

// Dummy values: importing a handler builds its runtime from the environment but calls nothing.
const CONSUMER_ENV = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  [ConsumerEnv.ConsumerName]: 'bench',
  [ConsumerEnv.QueueUrl]: 'https://sqs.us-east-1.amazonaws.com/123456789012/bench',
  [ConsumerEnv.DeadLetterQueueUrl]: 'https://sqs.us-east-1.amazonaws.com/123456789012/bench-dlq',
  [ConsumerEnv.IdempotencyTableName]: 'bench-idempotency',
  [ConsumerEnv.IdempotencyExpirySeconds]: '1296000',
  [ConsumerEnv.SchemaRegistryName]: 'bench-contracts',
  [ConsumerEnv.DownstreamKind]: 'dynamodb',
  [ConsumerEnv.DownstreamTableName]: 'bench-downstream',
  [ConsumerEnv.Fifo]: 'false',
  POWERTOOLS_SERVICE_NAME: 'bench',
  POWERTOOLS_METRICS_NAMESPACE: 'Fanout/bench',
};
const HANDLER_ENV = { ...CONSUMER_ENV, ...peerEnvironment(CONSUMER_ENV) };

/** The consumer whose job bench/peer/handler.ts does. */
const PEER_JOB = 'crm-sync';

const BARE_HANDLER = `export const handler = async (event) => ({ batchItemFailures: [] });\n`;

/** CONSUMER_BUNDLING without its size levers (aliases, legal comments): the bundling before them. */
const WITHOUT_LEVERS: BundlingOptions = { ...CONSUMER_BUNDLING, esbuildArgs: {} };

/** CONSUMER_BUNDLING with one lever taken out, to see what that lever saves. */
function withoutLever(lever: string): BundlingOptions {
  const args = CONSUMER_BUNDLING.esbuildArgs ?? {};
  if (lever === '--legal-comments') {
    const { '--legal-comments': _dropped, ...rest } = args;
    return { ...CONSUMER_BUNDLING, esbuildArgs: rest };
  }
  const aliases = (args['--alias'] as string[] | undefined) ?? [];
  return { ...CONSUMER_BUNDLING, esbuildArgs: { ...args, '--alias': aliases.filter((entry) => !entry.startsWith(`${lever}=`)) } };
}

/** Milliseconds to import `file` in a fresh Node process. */
function importTimeMs(file: string): number {
  const script = `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); process.stdout.write(String(performance.now() - t));`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, ...HANDLER_ENV, NODE_OPTIONS: '' },
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`importing ${file} failed: ${result.stderr}`);
  return Number(result.stdout);
}

/** The biggest packages in a bundle, KB. */
function topPackages(metafile: Metafile, count: number): string {
  const output = Object.values(metafile.outputs)[0]!;
  const byPackage = new Map<string, number>();
  for (const [path, { bytesInOutput }] of Object.entries(output.inputs)) {
    const at = path.lastIndexOf('node_modules/');
    const parts = at >= 0 ? path.slice(at + 'node_modules/'.length).split('/') : ['(fanout) ' + path.split('/')[0]];
    const name = parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
    byPackage.set(name, (byPackage.get(name) ?? 0) + bytesInOutput);
  }
  const sorted = [...byPackage.entries()].sort((a, b) => b[1] - a[1]);
  const rest = sorted.slice(count).reduce((sum, [, bytes]) => sum + bytes, 0);
  return [...sorted.slice(0, count).map(([name, bytes]) => `${name} ${(bytes / 1024).toFixed(1)}`), `${sorted.length - count} others ${(rest / 1024).toFixed(1)}`].join(', ');
}

const kb = (bytes: number) => (bytes / 1024).toFixed(1);

async function main(): Promise<void> {
  const outDir = mkdtempSync(join(tmpdir(), 'fanout-cold-start-'));
  try {
    const bareEntry = join(outDir, 'bare-handler.mjs');
    writeFileSync(bareEntry, BARE_HANDLER);
    const bare = await bundle('bare', bareEntry, outDir);
    const consumers: Bundle[] = [];
    const before: Bundle[] = [];
    for (const consumer of loadPipeline().consumers) {
      consumers.push(await bundle(consumer.name, join(ROOT, consumer.entry), outDir));
      before.push(await bundle(`${consumer.name} (before)`, join(ROOT, consumer.entry), outDir, WITHOUT_LEVERS));
    }
    const peer = await bundle(PEER_NAME, PEER_ENTRY, outDir);
    const all = [bare, ...consumers, peer, ...before];

    const times = new Map<string, number[]>(all.map((b) => [b.name, []]));
    // Warm the file cache once, so the first measured run is not a disk read.
    for (const b of all) importTimeMs(b.file);
    for (let run = 0; run < RUNS; run += 1) {
      for (const b of all) times.get(b.name)!.push(importTimeMs(b.file));
    }

    const bareMs = median(times.get(bare.name)!);
    const args = CONSUMER_BUNDLING.esbuildArgs ?? {};
    console.log(`Consumer bundles: esbuild ${CONSUMER_BUNDLING.format ?? 'cjs'}, minify=${CONSUMER_BUNDLING.minify}, target ${CONSUMER_BUNDLING.target}, mainFields ${(CONSUMER_BUNDLING.mainFields ?? []).join(',')}, externals [${(CONSUMER_BUNDLING.externalModules ?? []).join(',')}]`);
    console.log(`Levers: aliases ${Object.keys(CONSUMER_BUNDLE_ALIASES).join(', ')}; legal comments ${String(args['--legal-comments'] ?? 'eof')}. "(before)": the same bundling without them.`);
    console.log(`Import time: median of ${RUNS} fresh-process imports each, all bundles alternating in one run, Node ${process.version} (Lambda runs ${CONSUMER_BUNDLING.target})\n`);
    console.log(['bundle'.padEnd(26), 'size KB'.padStart(8), 'gzip KB'.padStart(8), `<= ${TARGET_KB} KB`.padStart(9), 'import ms'.padStart(10), 'x bare'.padStart(7)].join(' '));
    for (const b of all) {
      const ms = median(times.get(b.name)!);
      console.log(
        [
          b.name.padEnd(26),
          kb(b.bytes).padStart(8),
          kb(b.gzipBytes).padStart(8),
          (b === bare ? '' : b.bytes <= TARGET_KB * 1024 ? 'yes' : 'NO').padStart(9),
          ms.toFixed(1).padStart(10),
          (ms / bareMs).toFixed(1).padStart(7),
        ].join(' '),
      );
    }

    const first = loadPipeline().consumers[0]!;
    const reference = consumers[0]!;
    const referenceMs = median(times.get(reference.name)!);
    const peerMs = median(times.get(peer.name)!);
    // The peer does crm-sync's job, so that is the consumer compared with it.
    const peerOf = consumers.find((c) => c.name === PEER_JOB);
    const peerOfMs = peerOf && median(times.get(peerOf.name)!);
    console.log(
      peerOf
        ? `\n${PEER_JOB} against the ${PEER_NAME} (the same job with Powertools, ajv and the same clients, bundled the same way): ` +
            `${(peerOf.bytes / peer.bytes).toFixed(2)}x its size, ${(peerOfMs! / peerMs).toFixed(2)}x its import time`
        : `\nno consumer named ${PEER_JOB} in the pipeline: the ${PEER_NAME} has nothing to be compared with`,
    );
    recordFigure({
      id: 'bundle-kb',
      label: `consumer bundle (${reference.name})`,
      value: reference.bytes / 1024,
      unit: 'KB',
      baseline: { label: 'without the size levers', value: before[0]!.bytes / 1024 },
      target: { op: '<=', value: TARGET_KB },
    });
    recordFigure({
      id: 'import-vs-bare',
      label: `whole-process import of ${reference.name}, times a bare handler's`,
      value: referenceMs / bareMs,
      unit: 'x',
      baseline: { label: 'bare handler import ms', value: bareMs },
      target: { op: '<=', value: 1.6 },
    });
    recordFigure({
      id: 'import-vs-powertools-peer',
      label: `whole-process import of ${PEER_JOB}, times a plain Powertools consumer's`,
      value: peerOfMs === undefined ? null : peerOfMs / peerMs,
      unit: 'x',
      baseline: { label: 'plain Powertools peer import ms', value: peerMs },
      target: { op: '<=', value: 0.85 },
      note: peerOf
        ? `peer bundle ${kb(peer.bytes)} KB (${kb(peer.gzipBytes)} KB gzip), ${PEER_JOB} ${kb(peerOf.bytes)} KB; ${PEER_JOB} imports in ${peerOfMs!.toFixed(1)} ms`
        : `the pipeline has no consumer named ${PEER_JOB}, whose job the peer does`,
    });
    console.log(`\nWhat each lever saves on ${first.name} (bundle rebuilt without it, KB):`);
    for (const lever of [...Object.keys(CONSUMER_BUNDLE_ALIASES), '--legal-comments']) {
      const without = await bundle(`${first.name} without ${lever.replaceAll('/', '_')}`, join(ROOT, first.entry), outDir, withoutLever(lever));
      console.log(`  ${lever.padEnd(36)} ${kb(without.bytes - reference.bytes).padStart(7)}`);
    }
    console.log(`\nLargest parts of ${reference.name} (KB): ${topPackages(reference.metafile, 24)}`);
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

await main();
