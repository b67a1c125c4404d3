/**
 * `fanout cost [--per-day N]`: the monthly cost of the synthesized pipeline, per
 * service, at the contracts' peak rates or at N events a day, with the cheaper
 * settings that stay safe at that volume. Works offline: it prices the resolved
 * definition and the alarm catalog, and reads no stack.
 */
import type { Command } from 'commander';
import { alarmCatalog } from '../lib/alarm-catalog';
import type { ResolvedPipeline } from '../lib/pipeline-definition';
import { ExitCode, processIo, runCommand, type CommandIo } from '../ops/command-output';
import { estimateCost, recommendCheaperSettings, type CostInput, type CostVolume } from '../ops/cost-model';
import { formatCostReport } from '../ops/cost-report';
import { CliError, loadPipeline } from './context';

/** Options of `fanout cost`. */
export interface CostOptions {
  /** Events published per day, all event types together. @default the contracts' peak rates all month */
  readonly perDay?: number;
  readonly json?: boolean;
}

/**
 * Runs `fanout cost`.
 * @returns 0, or 2 on a bad --per-day
 */
export async function costCommand(options: CostOptions, deps: { readonly io: CommandIo; readonly pipeline?: ResolvedPipeline }): Promise<number> {
  const json = options.json ?? false;
  return runCommand(deps.io, json, async () => {
    if (options.perDay !== undefined && !(Number.isFinite(options.perDay) && options.perDay >= 0)) {
      throw new CliError(`--per-day must be a number of events per day (0 or more), got ${options.perDay}`);
    }
    const pipeline = deps.pipeline ?? loadPipeline();
    const volume: CostVolume = options.perDay !== undefined ? { kind: 'per-day', eventsPerDay: options.perDay } : { kind: 'peak' };
    // Every catalog alarm watches one metric (no metric math), billed as one alarm metric.
    const input: CostInput = { pipeline, volume, alarmMetrics: alarmCatalog(pipeline).length };
    const estimate = estimateCost(input);
    const recommendations = recommendCheaperSettings(input, estimate);
    if (json) deps.io.out(JSON.stringify({ pipeline: pipeline.name, ...estimate, recommendations }, null, 2));
    else deps.io.out(formatCostReport(estimate, recommendations));
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
