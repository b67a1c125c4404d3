/**
 * `fanout asyncapi [--out asyncapi.json] [--check]`: writes the AsyncAPI 3.0 document of
 * the wire contract from the pipeline definition and the contracts in schemas/, or
 * checks that the committed one is current.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { resolvePipeline, type PipelineDefinition } from '../model/pipeline-definition';
import { loadPipelineDefinition, SCHEMAS_DIR } from '../model/load-pipeline';
import { PROJECT_ROOT } from '../model/project-root';
import { consumerQueueNames } from '../model/resource-names';
import { ASYNCAPI_FILE, AsyncApiError, renderAsyncApi, type AsyncApiInput } from '../ops/asyncapi';
import { ExitCode, processIo, runCommand, type CommandIo } from '../ops/command-output';
import { CliError } from './context';

/** Where the document lives, relative to the project root. */
export const ASYNCAPI_PATH = join(PROJECT_ROOT, ASYNCAPI_FILE);

/** The project's version (package.json): the document's info.version. */
export function projectVersion(): string {
  const { version } = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version?: unknown };
  if (typeof version !== 'string' || version === '') throw new CliError('package.json has no version');
  return version;
}

/** The document's text for a definition. */
export async function generateAsyncApi(definition: PipelineDefinition = loadPipelineDefinition()): Promise<string> {
  return renderAsyncApi(await asyncApiInput(definition));
}

/** What the document is made from: the resolved definition, the version and the deployed queue names. */
export async function asyncApiInput(definition: PipelineDefinition = loadPipelineDefinition()): Promise<AsyncApiInput> {
  const pipeline = resolvePipeline(definition, SCHEMAS_DIR);
  return { pipeline, version: projectVersion(), queueNames: (consumer) => consumerQueueNames(pipeline.name, consumer.name, consumer.fifo) };
}

/** Options of `fanout asyncapi`. */
export interface AsyncApiOptions {
  /** `-` for stdout. @default asyncapi.json in the project root */
  readonly out?: string;
  /** Compare instead of writing; exit 1 when the file differs. */
  readonly check?: boolean;
  readonly json?: boolean;
}

/** Counts for the summary line. */
function counts(text: string): { channels: number; operations: number; messages: number } {
  const doc = JSON.parse(text) as { channels: object; operations: object; components: { messages: object } };
  return { channels: Object.keys(doc.channels).length, operations: Object.keys(doc.operations).length, messages: Object.keys(doc.components.messages).length };
}

/**
 * Runs `fanout asyncapi`.
 * @returns 0 written (or current), 1 stale or missing with --check, 2 a contract AsyncAPI cannot carry
 */
export async function asyncApiCommand(options: AsyncApiOptions, deps: { readonly io: CommandIo; readonly definition?: PipelineDefinition }): Promise<number> {
  const json = options.json ?? false;
  return runCommand(deps.io, json, async () => {
    let text: string;
    try {
      text = await generateAsyncApi(deps.definition ?? loadPipelineDefinition());
    } catch (cause) {
      if (cause instanceof AsyncApiError) throw new CliError(cause.message, ExitCode.Usage, { cause });
      throw cause;
    }
    if (options.out === '-') {
      if (options.check) throw new CliError('--check compares a file: give --out a path, not -');
      deps.io.out(text.trimEnd());
      return ExitCode.Ok;
    }
    const file = resolve(options.out ?? ASYNCAPI_PATH);
    const summary = counts(text);
    const what = `${summary.channels} channels, ${summary.operations} operations, ${summary.messages} messages`;
    if (options.check) {
      const current = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
      const fresh = current === text;
      if (json) deps.io.out(JSON.stringify({ file, upToDate: fresh, ...summary }, null, 2));
      else
        deps.io.out(
          fresh
            ? `${file} is up to date (${what}).`
            : current === undefined
              ? `${file} is missing: run \`npx fanout asyncapi\` and commit it.`
              : `${file} is stale (the pipeline definition, a contract in schemas/ or the package version changed): run \`npx fanout asyncapi\` and commit it.`,
        );
      return fresh ? ExitCode.Ok : ExitCode.Problem;
    }
    writeFileSync(file, text);
    if (json) deps.io.out(JSON.stringify({ file, written: true, ...summary }, null, 2));
    else deps.io.out(`Wrote ${file} (AsyncAPI 3.0: ${what}).`);
    return ExitCode.Ok;
  });
}

/** Registers `fanout asyncapi`. */
export function register(program: Command): void {
  program
    .command('asyncapi')
    .description(
      'Write asyncapi.json, the AsyncAPI 3.0 document of the wire contract, from the pipeline definition and the contracts in schemas/: a channel per SNS topic, a send operation per topic (with its subscriptions and their filters), a message per event type and contract version (the CloudEvents envelope with the contract as data, the SNS message attributes as headers). Producers generate clients from it.',
    )
    .option('--out <file>', 'where to write; - for stdout (default: asyncapi.json in the project root)')
    .option('--check', 'do not write; exit 1 when the file is missing or not what would be written')
    .option('--json', 'machine-readable output')
    .addHelpText(
      'after',
      [
        '',
        'Output is deterministic (no dates), so --check works in CI; the unit tests check it too.',
        'Regenerate after changing pipeline.ts or adding a contract version, and commit the file.',
        'Exit codes: 0 written or up to date, 1 stale or missing (--check), 2 bad input.',
        '',
        'Examples:',
        '  npx fanout asyncapi                 # regenerate asyncapi.json',
        '  npx fanout asyncapi --check         # in CI: fail when it is stale',
        '  npx fanout asyncapi --out - | jq \'.components.messages | keys\'',
      ].join('\n'),
    )
    .action(async (options: AsyncApiOptions) => {
      process.exitCode = await asyncApiCommand(options, { io: processIo });
    });
}
