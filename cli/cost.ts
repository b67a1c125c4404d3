/**
 * `fanout cost [--per-day N]`: the monthly cost of the synthesized pipeline, per
 * service, at the contracts' peak rates or at N events a day, with the cheaper
 * settings that stay safe at that volume. Works offline: it prices the resolved
 * definition and the parts of the synthesized template that are billed (keys, alarms,
 * dashboards), and reads no deployed stack.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { createFanoutApp } from '../lib/fanout-stack';
import type { PipelineDefinition, ResolvedPipeline } from '../model/pipeline-definition';
import { loadPipeline, loadPipelineDefinition, SCHEMAS_DIR } from '../model/load-pipeline';
import { ExitCode, processIo, runCommand, type CommandIo } from '../ops/command-output';
import { designFromTemplate, estimateCost, priceTogether, recommendCheaperSettings, type CostInput, type CostVolume, type StackDesign } from '../ops/cost-model';
import { formatCostReport } from '../ops/cost-report';
import { CliError } from './context';

/** Options of `fanout cost`. */
export interface CostOptions {
  /** Events published per day, all event types together. @default the contracts' peak rates all month */
  readonly perDay?: number;
  readonly json?: boolean;
}

/** What `fanout cost` needs from outside; tests may pass their own. */
export interface CostDeps {
  readonly io: CommandIo;
  /** @default the pipeline bin/app.ts deploys */
  readonly pipeline?: ResolvedPipeline;
  /** @default counted from the synthesized template of the pipeline bin/app.ts deploys ({@link synthesizedDesign}) */
  readonly design?: StackDesign;
}

/**
 * Synthesizes the pipeline's stack (without bundling the functions: only the template
 * is read) and counts what is billed in it, so the estimate prices the stack as built.
 */
export function synthesizedDesign(definition: PipelineDefinition = loadPipelineDefinition()): StackDesign {
  const outdir = mkdtempSync(join(tmpdir(), 'fanout-cost-'));
  try {
    const fanout = createFanoutApp({
      definition,
      schemasDir: SCHEMAS_DIR,
      outdir,
      cloudFormationValidation: false,
      context: { 'aws:cdk:bundling-stacks': [] },
    });
    const template = fanout.app.synth().getStackArtifact(fanout.stack.artifactId).template;
    return designFromTemplate(template);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/**
 * Runs `fanout cost`.
 * @returns 0, or 2 on a bad --per-day
 */
export async function costCommand(options: CostOptions, deps: CostDeps): Promise<number> {
  const json = options.json ?? false;
  return runCommand(deps.io, json, async () => {
    if (options.perDay !== undefined && !(Number.isFinite(options.perDay) && options.perDay >= 0)) {
      throw new CliError(`--per-day must be a number of events per day (0 or more), got ${options.perDay}`);
    }
    const pipeline = deps.pipeline ?? loadPipeline();
    const volume: CostVolume = options.perDay !== undefined ? { kind: 'per-day', eventsPerDay: options.perDay } : { kind: 'peak' };
    const input: CostInput = { pipeline, volume, design: deps.design ?? synthesizedDesign() };
    const estimate = estimateCost(input);
    const recommendations = recommendCheaperSettings(input, estimate);
    const together = priceTogether(input, estimate, recommendations);
    if (json) deps.io.out(JSON.stringify({ pipeline: pipeline.name, ...estimate, recommendations, together }, null, 2));
    else deps.io.out(formatCostReport(estimate, recommendations, together));
    return ExitCode.Ok;
  });
}

/** Registers `fanout cost`. */
export function register(program: Command): void {
  program
    .command('cost')
    .description(
      "Monthly cost of the pipeline per AWS service (SNS, SQS, Lambda, DynamoDB, X-Ray, KMS, CloudWatch, Glue) at the contracts' peak rates or at N events/day, with cheaper safe settings and what each saves. List prices, us-east-1, from one dated table.",
    )
    .option('--per-day <n>', 'events published per day, all event types together (default: the peak rates all month)', (v) => Number(v))
    .option('--json', 'machine-readable output: every line item, the assumptions and the recommendations')
    .addHelpText('after', '\nExample: fanout cost --per-day 100000\nExit codes: 0 printed, 2 bad input.')
    .action(async (options: CostOptions) => {
      process.exitCode = await costCommand(options, { io: processIo });
    });
}
