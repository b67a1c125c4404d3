/**
 * `fanout status`: per consumer, messages visible and in flight, DLQ and subscription
 * DLQ depth, age of the oldest message (CloudWatch) and the states of its alarms
 * (found by the alarm catalog's names); "n/a" where the endpoint has no metrics.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Command } from 'commander';
import { alarmCatalog } from '../model/alarm-catalog';
import type { ResolvedPipeline } from '../model/pipeline-definition';
import { OutputKey } from '../model/stack-outputs';
import { alarmStates, oldestMessageAgeSeconds, queueNameOf } from '../ops/adapters/cloudwatch-status';
import { queueDepth } from '../ops/adapters/sqs-dead-letters';
import { ExitCode, processIo, runCommand, type CommandIo } from '../ops/command-output';
import { alarmStatuses, formatStatus, problems, type ConsumerStatus } from '../ops/status';
import { SDK_TIMEOUTS, withSdkTimeouts } from '../contracts/sdk-client-config';
import { loadPipeline, loadStackOutputs, requireOutput, type OutputsOptions } from './context';

/** Options of `fanout status`. */
export interface StatusOptions extends OutputsOptions {
  readonly json?: boolean;
}

/** What the command needs from outside. */
export interface StatusDeps {
  readonly sqs: SQSClient;
  readonly cloudWatch: CloudWatchClient;
  readonly io: CommandIo;
  readonly pipeline?: ResolvedPipeline;
  readonly now?: () => Date;
}

/**
 * Runs `fanout status`.
 * @returns 0 when nothing needs an operator, 1 when a DLQ holds messages or an alarm fires, 2 on bad set-up
 */
export async function statusCommand(options: StatusOptions, deps: StatusDeps): Promise<number> {
  const json = options.json ?? false;
  return runCommand(deps.io, json, async () => {
    const pipeline = deps.pipeline ?? loadPipeline();
    const outputs = await loadStackOutputs(pipeline, options);
    const now = deps.now?.() ?? new Date();
    const catalog = alarmCatalog(pipeline);
    // Missing metrics or alarms are "n/a", not failures: the emulator has neither.
    const states = await alarmStates(deps.cloudWatch, `${pipeline.name}-`).catch(() => new Map<string, string>());
    const consumers: ConsumerStatus[] = [];
    for (const consumer of pipeline.consumers) {
      const queueUrl = requireOutput(outputs, OutputKey.queueUrl(consumer.name));
      const queue = await queueDepth(deps.sqs, queueUrl);
      const dlq = await queueDepth(deps.sqs, requireOutput(outputs, OutputKey.dlqUrl(consumer.name)));
      const subscriptionDlqUrl = outputs[OutputKey.subscriptionDlqUrl(consumer.name)];
      const subscriptionDlq = subscriptionDlqUrl ? (await queueDepth(deps.sqs, subscriptionDlqUrl)).visible : null;
      const age = await oldestMessageAgeSeconds(deps.cloudWatch, queueNameOf(queueUrl), now).catch(() => undefined);
      consumers.push({
        consumer: consumer.name,
        visible: queue.visible,
        inFlight: queue.inFlight,
        dlq: dlq.visible,
        subscriptionDlq,
        oldestMessageAgeSeconds: age ?? null,
        alarms: alarmStatuses(catalog, consumer.name, states),
      });
    }
    const topicAlarms = pipeline.topics.flatMap((t) => alarmStatuses(catalog, t.name, states));
    const found = problems(consumers, topicAlarms);
    if (json) deps.io.out(JSON.stringify({ pipeline: pipeline.name, at: now.toISOString(), consumers, topicAlarms, problems: found }, null, 2));
    else deps.io.out(formatStatus(pipeline.name, consumers, topicAlarms));
    return found.length === 0 ? ExitCode.Ok : ExitCode.Problem;
  });
}

/** Registers `fanout status`. */
export function register(program: Command): void {
  program
    .command('status')
    .description(
      "Per consumer: messages visible and in flight, DLQ and subscription DLQ depth, age of the oldest message (CloudWatch) and alarm states; 'n/a' where the endpoint has no metrics.",
    )
    .option('--outputs-file <file>', 'stack outputs JSON (cdk deploy --outputs-file; the local runner writes .fanout/outputs.json); else FANOUT_OUTPUTS_FILE, else CloudFormation')
    .option('--stack <name>', 'stack name (default: the pipeline name)')
    .option('--json', 'machine-readable output')
    .addHelpText('after', '\nExit codes: 0 all well, 1 a DLQ holds messages or an alarm fires, 2 bad set-up.\nHonours AWS_PROFILE, AWS_REGION and AWS_ENDPOINT_URL.')
    .action(async (options: StatusOptions) => {
      const sqs = new SQSClient(withSdkTimeouts({}, SDK_TIMEOUTS.cli));
      const cloudWatch = new CloudWatchClient(withSdkTimeouts({}, SDK_TIMEOUTS.cli));
      try {
        process.exitCode = await statusCommand(options, { sqs, cloudWatch, io: processIo });
      } finally {
        sqs.destroy();
        cloudWatch.destroy();
      }
    });
}
