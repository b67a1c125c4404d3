/**
 * `fanout replay <topic> --from <time> [--to <time>]`: replays a FIFO topic's archived
 * messages to its consumers' subscriptions (SNS ReplayPolicy). Consumers are
 * idempotent, so events they already applied are skipped as duplicates.
 */
import { SNSClient } from '@aws-sdk/client-sns';
import type { Command } from 'commander';
import type { ResolvedPipeline } from '../model/pipeline-definition';
import { OutputKey } from '../model/stack-outputs';
import { replayStatus, ReplayUnsupportedError, startReplay } from '../ops/adapters/sns-replay';
import { ExitCode, processIo, runCommand, type CommandIo } from '../ops/command-output';
import { findConsumer, findTopic } from '../ops/pipeline-lookup';
import { checkReplayWindow, parseTime, replayPolicy } from '../ops/replay';
import { SDK_TIMEOUTS, withSdkTimeouts } from '../contracts/sdk-client-config';
import { CliError, loadPipeline, loadStackOutputs, requireOutput, type OutputsOptions } from './context';

/** Options of `fanout replay`. */
export interface ReplayOptions extends OutputsOptions {
  readonly from?: string;
  readonly to?: string;
  /** Replay to this consumer only. @default every consumer of the topic */
  readonly consumer?: string;
  readonly dryRun?: boolean;
  readonly json?: boolean;
}

/** What the command needs from outside. */
export interface ReplayDeps {
  readonly sns: SNSClient;
  readonly io: CommandIo;
  readonly pipeline?: ResolvedPipeline;
  readonly now?: () => Date;
}

/** One subscription's outcome. */
export interface ReplayResult {
  readonly consumer: string;
  readonly subscriptionArn: string;
  readonly status: 'STARTED' | 'UNSUPPORTED' | 'DRY_RUN';
  readonly replayStatus?: string;
  readonly message?: string;
}

/**
 * Runs `fanout replay`.
 * @returns 0 when every replay started, 1 when the endpoint could not replay, 2 on bad input (no archive, bad times)
 */
export async function replayCommand(topicName: string, options: ReplayOptions, deps: ReplayDeps): Promise<number> {
  const json = options.json ?? false;
  return runCommand(deps.io, json, async () => {
    if (!options.from) throw new CliError('--from is required (an ISO 8601 time such as 2026-11-28T09:30:00Z, or a duration ago such as 6h)');
    const now = deps.now?.() ?? new Date();
    const pipeline = deps.pipeline ?? loadPipeline();
    const topic = findTopic(pipeline, topicName);
    const window = checkReplayWindow(topic, parseTime(options.from, now), options.to ? parseTime(options.to, now) : undefined, now);
    const consumers = options.consumer ? [findConsumer(pipeline, options.consumer)] : pipeline.consumers.filter((c) => c.topic === topic.name);
    if (consumers.some((c) => c.topic !== topic.name)) throw new CliError(`consumer ${options.consumer} does not subscribe to topic ${topic.name}`);
    const outputs = await loadStackOutputs(pipeline, options);
    const policy = replayPolicy(window);
    const results: ReplayResult[] = [];
    for (const consumer of consumers) {
      const subscriptionArn = requireOutput(outputs, OutputKey.subscriptionArn(consumer.name));
      if (options.dryRun) {
        results.push({ consumer: consumer.name, subscriptionArn, status: 'DRY_RUN' });
        continue;
      }
      try {
        await startReplay(deps.sns, subscriptionArn, policy);
        const status = await replayStatus(deps.sns, subscriptionArn).catch(() => undefined);
        results.push({ consumer: consumer.name, subscriptionArn, status: 'STARTED', ...(status !== undefined && { replayStatus: status }) });
      } catch (error) {
        if (!(error instanceof ReplayUnsupportedError)) throw error;
        results.push({
          consumer: consumer.name,
          subscriptionArn,
          status: 'UNSUPPORTED',
          message: `the endpoint refused the ReplayPolicy (${error.message}): it cannot replay SNS archives (the local emulator cannot; on AWS, check that the topic has an ArchivePolicy)`,
        });
      }
    }
    const range = `${window.from.toISOString()} → ${window.to?.toISOString() ?? 'now'}`;
    if (json) {
      deps.io.out(JSON.stringify({ topic: topic.name, from: window.from.toISOString(), to: window.to?.toISOString() ?? null, policy, results }, null, 2));
    } else {
      deps.io.out(`${options.dryRun ? 'Would replay' : 'Replay of'} ${topic.name} from ${range} to ${results.length} subscription${results.length === 1 ? '' : 's'}:`);
      for (const r of results) {
        const what = r.status === 'STARTED' ? `started${r.replayStatus ? ` (${r.replayStatus})` : ''}` : r.status === 'DRY_RUN' ? `would set ReplayPolicy ${policy}` : `not started: ${r.message}`;
        deps.io.out(`  ${r.consumer}: ${what}`);
      }
      if (results.some((r) => r.status === 'STARTED')) {
        deps.io.out('Replayed events already applied are skipped as duplicates by the consumers\' idempotency. Watch progress with: fanout status');
      }
    }
    return results.every((r) => r.status !== 'UNSUPPORTED') ? ExitCode.Ok : ExitCode.Problem;
  });
}

/** Registers `fanout replay`. */
export function register(program: Command): void {
  program
    .command('replay')
    .description("Replay a FIFO topic's archived messages to its consumers (SNS message archiving and replay, via each subscription's ReplayPolicy).")
    .argument('<topic>', 'topic name, e.g. billing-events')
    .option('--from <time>', 'start: ISO 8601 with a zone (2026-11-28T09:30:00Z) or a duration ago (90m, 6h, 2d)')
    .option('--to <time>', 'end (default: now), same forms as --from')
    .option('--consumer <name>', "replay to one consumer's subscription only")
    .option('--dry-run', 'check the window and show the ReplayPolicy, change nothing')
    .option('--outputs-file <file>', 'stack outputs JSON (cdk deploy --outputs-file; the local runner writes .fanout/outputs.json); else FANOUT_OUTPUTS_FILE, else CloudFormation')
    .option('--stack <name>', 'stack name (default: the pipeline name)')
    .option('--json', 'machine-readable output')
    .addHelpText(
      'after',
      '\nOnly FIFO topics with archiveRetentionDays can replay, and only within that many days.\nExit codes: 0 replay started, 1 the endpoint cannot replay, 2 bad input (no archive, bad time).\nHonours AWS_PROFILE, AWS_REGION and AWS_ENDPOINT_URL.',
    )
    .action(async (topic: string, options: ReplayOptions) => {
      const sns = new SNSClient(withSdkTimeouts({}, SDK_TIMEOUTS.cli));
      try {
        process.exitCode = await replayCommand(topic, options, { sns, io: processIo });
      } finally {
        sns.destroy();
      }
    });
}
