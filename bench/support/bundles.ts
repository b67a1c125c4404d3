/**
 * What the cold-start and first-call benches share: bundling a handler exactly as the
 * stack bundles a consumer (lib/consumer-bundling.ts), the plain Powertools peer they
 * compare Fanout with (bench/peer/handler.ts), and the median. A library, not a bench
 * script: bench/run.ts runs only the .ts files directly in bench/.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build, type Metafile } from 'esbuild';
import { ConsumerEnv } from '../../contracts/consumer-environment';
import { CONSUMER_BUNDLING, consumerEsbuildOptions } from '../../lib/consumer-bundling';

/** The bundling options' type, taken from the shipped object (bench/ does not import the CDK). */
export type BundlingOptions = typeof CONSUMER_BUNDLING;

/** The project root. */
export const ROOT = resolve(import.meta.dirname, '..', '..');

/** The plain Powertools consumer doing crm-sync's job (see its file). */
export const PEER_ENTRY = join(ROOT, 'bench', 'peer', 'handler.ts');

/** The peer's name in tables. */
export const PEER_NAME = 'powertools peer';

/** One bundled handler. */
export interface Bundle {
  readonly name: string;
  /** The bundle's index.mjs. */
  readonly file: string;
  readonly bytes: number;
  readonly gzipBytes: number;
  readonly metafile: Metafile;
}

/**
 * Bundles `entry` into `<outDir>/<name>/index.mjs` with the consumers' esbuild options
 * (or `bundling`, to compare another setting).
 */
export async function bundle(name: string, entry: string, outDir: string, bundling: BundlingOptions = CONSUMER_BUNDLING): Promise<Bundle> {
  const outfile = join(outDir, name.replaceAll(/[^A-Za-z0-9_.()-]+/g, '-'), 'index.mjs');
  const result = await build({
    ...consumerEsbuildOptions(ROOT, bundling),
    entryPoints: [entry],
    outfile,
    metafile: true,
    logLevel: 'error',
  });
  const code = readFileSync(outfile);
  return { name, file: outfile, bytes: code.length, gzipBytes: gzipSync(code).length, metafile: result.metafile! };
}

/** The median of `values` (not empty). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * The peer's environment for the resources a Fanout consumer's environment names (the
 * peer has its own variable names, as a consumer written without Fanout would), so both
 * run against the same tables, DLQ and registry.
 */
export function peerEnvironment(consumerEnv: Readonly<Record<string, string>>): Record<string, string> {
  return {
    CONTACTS_TABLE_NAME: consumerEnv[ConsumerEnv.DownstreamTableName]!,
    IDEMPOTENCY_TABLE_NAME: consumerEnv[ConsumerEnv.IdempotencyTableName]!,
    DLQ_URL: consumerEnv[ConsumerEnv.DeadLetterQueueUrl]!,
    SCHEMA_REGISTRY_NAME: consumerEnv[ConsumerEnv.SchemaRegistryName]!,
  };
}
