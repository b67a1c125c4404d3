/**
 * Synthesizes the CDK app into a cloud assembly (cdk.out) and reads the stack template
 * and its assets back.
 *
 * It runs the `app` command of cdk.json with the environment the CDK CLI gives an app
 * (CDK_OUTDIR, CDK_CONTEXT_JSON with cdk.json's context, CDK_DEFAULT_ACCOUNT/REGION),
 * without the CLI itself: the CLI would look for AWS credentials and fetch notices,
 * neither of which an offline laptop has. Asset metadata is switched on, as the CLI
 * does, so each function's template entry names its bundled asset directory.
 *
 * Synthesis bundles every consumer and runs cdk-nag (~15 s on 2 cores), so the result
 * is reused while nothing it is built from has changed (a hash of the inputs).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { FanoutError } from '../contracts/errors';
import type { CfnTemplate } from './intrinsics';
import { spawnInGroup, stopGroup } from './processes';

/** Synthesis failed, or the assembly is not what the runner expects. */
export class SynthError extends FanoutError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SynthError';
  }
}

/** A synthesized stack. */
export interface SynthesizedStack {
  readonly stackName: string;
  /** The cloud assembly directory. */
  readonly assemblyDir: string;
  readonly templateFile: string;
  readonly template: CfnTemplate;
  /** The account and region it was synthesized for. */
  readonly accountId: string;
  readonly region: string;
  /** True when an earlier synthesis was reused. */
  readonly cached: boolean;
}

/** Options of {@link synthesize}. */
export interface SynthOptions {
  /** The project root (where cdk.json is). */
  readonly projectRoot: string;
  /** The stack to read. */
  readonly stackName: string;
  /** @default `<projectRoot>/cdk.out` */
  readonly outDir?: string;
  /** The account and region to synthesize for: the emulator's. */
  readonly accountId: string;
  readonly region: string;
  /** Synthesize even when the inputs are unchanged. @default false */
  readonly force?: boolean;
  /** Where the app's own output goes (bundling progress). @default discarded */
  readonly log?: (line: string) => void;
  /** Aborts a synthesis in progress (its process group is stopped). */
  readonly signal?: AbortSignal;
}

/** What the app is built from: a change in any of these means a new synthesis. */
/**
 * What a synthesis is built from: every folder and file the app (bin/app.ts) imports or
 * reads, so a change to any of them synthesizes again. test/unit/local-synth-inputs.test.ts
 * walks the app's imports and fails when one falls outside this list.
 */
export const SYNTH_INPUTS = ['bin', 'lib', 'model', 'pipeline.ts', 'lambdas', 'contracts', 'schemas', 'cdk.json', 'cdk.context.json', 'package-lock.json', 'tsconfig.json'];

function hashInputs(projectRoot: string, extra: string): string {
  const hash = createHash('sha256').update(extra);
  const visit = (path: string) => {
    if (!existsSync(path)) return;
    const stat = statSync(path);
    if (stat.isDirectory()) {
      for (const name of readdirSync(path).sort()) if (name !== 'node_modules') visit(join(path, name));
    } else {
      hash.update(relative(projectRoot, path)).update('\0').update(readFileSync(path)).update('\0');
    }
  };
  for (const input of SYNTH_INPUTS) visit(join(projectRoot, input));
  return hash.digest('hex');
}

function readJson<T>(file: string): T {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (cause) {
    throw new SynthError(`could not read ${file}: ${(cause as Error).message}`, { cause });
  }
}

/** Reads a stack's template out of a cloud assembly. */
export function readAssemblyStack(assemblyDir: string, stackName: string): { templateFile: string; template: CfnTemplate; environment?: string } {
  const manifestFile = join(assemblyDir, 'manifest.json');
  if (!existsSync(manifestFile)) throw new SynthError(`${assemblyDir} is not a cloud assembly (no manifest.json)`);
  const manifest = readJson<{ artifacts?: Record<string, { type: string; environment?: string; displayName?: string; properties?: { templateFile?: string; stackName?: string } }> }>(
    manifestFile,
  );
  const stacks = Object.entries(manifest.artifacts ?? {}).filter(([, artifact]) => artifact.type === 'aws:cloudformation:stack');
  const found = stacks.find(([id, artifact]) => (artifact.properties?.stackName ?? id) === stackName);
  if (!found || !found[1].properties?.templateFile) {
    throw new SynthError(`the cloud assembly in ${assemblyDir} has no stack "${stackName}" (it has: ${stacks.map(([id]) => id).join(', ') || 'none'})`);
  }
  const templateFile = join(assemblyDir, found[1].properties.templateFile);
  return { templateFile, template: readJson<CfnTemplate>(templateFile), ...(found[1].environment && { environment: found[1].environment }) };
}

/** The context the CDK CLI would pass: cdk.context.json and cdk.json's `context`, plus asset metadata on. */
function appContext(projectRoot: string): Record<string, unknown> {
  const read = (file: string) => (existsSync(join(projectRoot, file)) ? readJson<Record<string, unknown>>(join(projectRoot, file)) : {});
  const cdkJson = read('cdk.json') as { context?: Record<string, unknown> };
  return {
    ...read('cdk.context.json'),
    ...(cdkJson.context ?? {}),
    'aws:cdk:enable-asset-metadata': true,
    'aws:cdk:enable-path-metadata': true,
  };
}

/**
 * Synthesizes the app (or reuses the last synthesis) and reads the stack.
 * @throws SynthError with the app's own error output when synthesis fails
 */
export async function synthesize(options: SynthOptions): Promise<SynthesizedStack> {
  const outDir = options.outDir ?? join(options.projectRoot, 'cdk.out');
  const cdkJson = readJson<{ app?: string }>(join(options.projectRoot, 'cdk.json'));
  if (!cdkJson.app) throw new SynthError('cdk.json has no "app" command');
  const hash = hashInputs(options.projectRoot, JSON.stringify([cdkJson.app, options.accountId, options.region, options.stackName]));
  const stampFile = join(outDir, 'fanout-local-inputs.sha256');
  // The stamp also holds the template's own hash: a synthesis by someone else (cdk synth)
  // into the same directory invalidates it.
  const stamp = (): string | undefined => {
    try {
      return `${hash} ${createHash('sha256').update(readFileSync(readAssemblyStack(outDir, options.stackName).templateFile)).digest('hex')}`;
    } catch {
      return undefined;
    }
  };
  const upToDate = !options.force && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp();

  if (!upToDate) {
    const context = appContext(options.projectRoot);
    const child = spawnInGroup('/bin/sh', ['-c', cdkJson.app], {
      cwd: options.projectRoot,
      env: {
        ...process.env,
        CDK_OUTDIR: outDir,
        CDK_CONTEXT_JSON: JSON.stringify(context),
        CDK_DEFAULT_ACCOUNT: options.accountId,
        CDK_DEFAULT_REGION: options.region,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const collect = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-20_000);
      for (const line of chunk.toString().split('\n')) if (line.trim()) options.log?.(line);
    };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    const onAbort = () => void stopGroup(child, 1000);
    options.signal?.addEventListener('abort', onAbort);
    const code = await new Promise<number | null>((resolve) => {
      child.once('exit', (exitCode) => resolve(exitCode));
      child.once('error', () => resolve(null));
    });
    options.signal?.removeEventListener('abort', onAbort);
    if (options.signal?.aborted) throw new SynthError('synthesis was interrupted');
    if (code !== 0) {
      const tail = output.trim().split('\n').slice(-15).join('\n');
      throw new SynthError(`\`${cdkJson.app}\` failed (exit ${code ?? 'error'}):\n${tail}`);
    }
  }

  const { templateFile, template, environment } = readAssemblyStack(outDir, options.stackName);
  if (!upToDate) {
    mkdirSync(outDir, { recursive: true });
    writeFileSync(stampFile, stamp() ?? '');
  }
  const match = environment ? /^aws:\/\/([^/]+)\/(.+)$/.exec(environment) : null;
  const accountId = match && /^\d{12}$/.test(match[1]!) ? match[1]! : options.accountId;
  const region = match && !match[2]!.startsWith('unknown') ? match[2]! : options.region;
  return { stackName: options.stackName, assemblyDir: outDir, templateFile, template, accountId, region, cached: upToDate };
}
