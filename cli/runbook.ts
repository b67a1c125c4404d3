/**
 * `fanout runbook [--output RUNBOOK.md] [--check]`: writes the runbook from the pipeline
 * definition, the alarm catalog and the synthesized template (alarm names and the
 * anchors their descriptions point at), or checks that the committed one is current.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { alarmCatalog } from '../model/alarm-catalog';
import { resolvePipeline, type PipelineDefinition } from '../model/pipeline-definition';
import { loadPipelineDefinition, SCHEMAS_DIR } from '../model/load-pipeline';
import { PROJECT_ROOT } from '../model/project-root';
import { consumerQueueNames } from '../model/resource-names';
import { ExitCode, processIo, runCommand, type CommandIo } from '../ops/command-output';
import { renderRunbook, templateAlarms } from '../ops/runbook';
import { CliError } from './context';

/** Where the runbook lives, relative to the project root. */
export const RUNBOOK_PATH = join(PROJECT_ROOT, 'RUNBOOK.md');

/**
 * Synthesizes the pipeline's stack in a temporary directory and returns its template.
 * Bundling is skipped (the `aws:cdk:bundling-stacks` context set to none): alarm names
 * and descriptions do not depend on the Lambda code, and it takes seconds instead of a
 * minute.
 */
export async function synthesizeTemplate(definition: PipelineDefinition = loadPipelineDefinition()): Promise<unknown> {
  // Imported here, not at the top: aws-cdk-lib takes a second or two to load, and the
  // other commands share this module graph.
  const { createFanoutApp } = await import('../lib/fanout-stack');
  const outdir = mkdtempSync(join(tmpdir(), 'fanout-runbook-'));
  try {
    const { app, stack } = createFanoutApp({ definition, outdir, context: { 'aws:cdk:bundling-stacks': [] } });
    return app.synth().getStackByName(stack.stackName).template;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** The runbook's text for a definition, from its synthesized template (or the one given). */
export async function generateRunbook(definition: PipelineDefinition = loadPipelineDefinition(), template?: unknown): Promise<string> {
  template ??= await synthesizeTemplate(definition);
  const pipeline = resolvePipeline(definition, SCHEMAS_DIR);
  return renderRunbook({
    pipeline,
    catalog: alarmCatalog(pipeline),
    alarms: templateAlarms(template),
    queueNames: (consumer) => consumerQueueNames(pipeline.name, consumer.name, consumer.fifo),
  });
}

/** Options of `fanout runbook`. */
export interface RunbookOptions {
  /** @default RUNBOOK.md in the project root */
  readonly output?: string;
  /** Compare instead of writing; exit 1 when the file differs. */
  readonly check?: boolean;
  /** A synthesized template (cdk.out/<stack>.template.json) instead of synthesizing one. */
  readonly template?: string;
  readonly json?: boolean;
}

/**
 * Runs `fanout runbook`.
 * @returns 0 written (or current), 1 stale with --check, 2 unreadable template
 */
export async function runbookCommand(options: RunbookOptions, deps: { readonly io: CommandIo; readonly definition?: PipelineDefinition }): Promise<number> {
  const json = options.json ?? false;
  return runCommand(deps.io, json, async () => {
    const file = resolve(options.output ?? RUNBOOK_PATH);
    let template: unknown;
    if (options.template) {
      try {
        template = JSON.parse(readFileSync(options.template, 'utf8'));
      } catch (cause) {
        throw new CliError(`cannot read the template ${options.template}: ${(cause as Error).message}`, 2, { cause });
      }
    }
    const definition = deps.definition ?? loadPipelineDefinition();
    template ??= await synthesizeTemplate(definition);
    const text = await generateRunbook(definition, template);
    const alarms = templateAlarms(template).length;
    if (options.check) {
      const current = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
      const fresh = current === text;
      if (json) deps.io.out(JSON.stringify({ file, upToDate: fresh, alarms }, null, 2));
      else deps.io.out(fresh ? `${file} is up to date (${alarms} alarms).` : `${file} is ${current === undefined ? 'missing' : 'stale'}: run \`npx fanout runbook\` and commit it.`);
      return fresh ? ExitCode.Ok : ExitCode.Problem;
    }
    writeFileSync(file, text);
    if (json) deps.io.out(JSON.stringify({ file, written: true, alarms }, null, 2));
    else deps.io.out(`Wrote ${file} (${alarms} alarms, every one with its section).`);
    return ExitCode.Ok;
  });
}

/** Registers `fanout runbook`. */
export function register(program: Command): void {
  program
    .command('runbook')
    .description(
      'Write RUNBOOK.md from the pipeline definition, the alarm catalog and the synthesized template: per consumer what it does, its alarms (meaning, what to do), how to look at the DLQ, redrive, replay and pause it.',
    )
    .option('--output <file>', 'where to write (default: RUNBOOK.md in the project root)')
    .option('--check', 'do not write; exit 1 when the file is not what would be written')
    .option('--template <file>', 'use this synthesized template (cdk.out/<stack>.template.json) instead of synthesizing')
    .option('--json', 'machine-readable output')
    .addHelpText('after', '\nOutput is deterministic (no dates), so --check works in CI.\nExit codes: 0 written or up to date, 1 stale (--check), 2 bad input.')
    .action(async (options: RunbookOptions) => {
      process.exitCode = await runbookCommand(options, { io: processIo });
    });
}
