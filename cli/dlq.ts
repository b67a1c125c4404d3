/**
 * `fanout dlq <consumer>`: how many messages wait in a consumer's dead-letter queue and
 * a peek at them with their failure context, without consuming them.
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Command } from 'commander';
import { OutputKey } from '../model/stack-outputs';
import type { ResolvedPipeline } from '../model/pipeline-definition';
import { peekMessages, queueDepth } from '../ops/adapters/sqs-dead-letters';
import { ExitCode, processIo, runCommand, type CommandIo } from '../ops/command-output';
import { describeDeadLetter, type DeadLetterView } from '../ops/dead-letters';
import { SDK_TIMEOUTS, withSdkTimeouts } from '../contracts/sdk-client-config';
import { findConsumer } from '../ops/pipeline-lookup';
import { CliError, loadPipeline, loadStackOutputs, requireOutput, type OutputsOptions } from './context';

/** Options of `fanout dlq`. */
export interface DlqOptions extends OutputsOptions {
  /** How many messages to show. @default 10 */
  readonly peek?: number;
  /** Look at the subscription's DLQ (what SNS could not deliver) instead of the queue's. */
  readonly subscription?: boolean;
  readonly json?: boolean;
}

/** What the command needs from outside; tests pass an emulator client. */
export interface DlqDeps {
  readonly sqs: SQSClient;
  readonly io: CommandIo;
  readonly pipeline?: ResolvedPipeline;
}

/**
 * Runs `fanout dlq`.
 * @returns 0 when the DLQ is empty, 1 when messages wait in it (visible or in flight), 2 on bad input
 */
export async function dlqCommand(consumerName: string, options: DlqOptions, deps: DlqDeps): Promise<number> {
  const json = options.json ?? false;
  return runCommand(deps.io, json, async () => {
    const peek = options.peek ?? 10;
    if (!Number.isInteger(peek) || peek < 0) throw new CliError(`--peek must be a whole number, got ${options.peek}`);
    const pipeline = deps.pipeline ?? loadPipeline();
    const consumer = findConsumer(pipeline, consumerName);
    const outputs = await loadStackOutputs(pipeline, options);
    const kind = options.subscription ? 'subscription-dlq' : 'queue-dlq';
    const queueUrl = requireOutput(outputs, options.subscription ? OutputKey.subscriptionDlqUrl(consumer.name) : OutputKey.dlqUrl(consumer.name));
    const depth = await queueDepth(deps.sqs, queueUrl);
    const messages = peek > 0 && depth.visible > 0 ? await peekMessages(deps.sqs, queueUrl, peek) : [];
    const views = messages.map((m) => ({ ...describeDeadLetter(m, kind, consumer.maxReceiveCount), body: m.Body ?? '' }));
    const label = options.subscription ? 'subscription DLQ' : 'DLQ';
    if (json) {
      deps.io.out(JSON.stringify({ consumer: consumer.name, queue: kind, queueUrl, visible: depth.visible, inFlight: depth.inFlight, messages: views }, null, 2));
    } else {
      deps.io.out(`${consumer.name} ${label}: ${depth.visible} message${depth.visible === 1 ? '' : 's'} waiting${depth.inFlight > 0 ? `, ${depth.inFlight} in flight` : ''} (${queueUrl})`);
      for (const view of views) deps.io.out(formatView(view));
      if (views.length > 0 && views.length < depth.visible) deps.io.out(`  ... showing ${views.length} of ${depth.visible} (--peek N for more)`);
      if (depth.visible > 0) {
        deps.io.out(`Nothing was consumed. Fix the cause, then: fanout redrive ${consumer.name}${options.subscription ? ' --subscription' : ''} --dry-run`);
      } else if (depth.inFlight > 0) {
        deps.io.out(`The ${label} is not empty: ${depth.inFlight} held by another receive (a peek, a redrive) cannot be shown; run again after they become visible.`);
      }
    }
    // Messages someone else holds are still dead letters: a DLQ with only those is not empty.
    return depth.visible > 0 || depth.inFlight > 0 ? ExitCode.Problem : ExitCode.Ok;
  });
}

function formatView(view: DeadLetterView): string {
  const lines = [`- ${view.messageId}`];
  lines.push(`    reason:      ${view.reason}`);
  lines.push(`    first seen:  ${view.firstSeen ?? 'unknown'}    receives: ${view.receiveCount ?? 'unknown'}    correlation id: ${view.correlationId ?? 'none'}`);
  if (view.eventId) lines.push(`    event:       ${view.eventType ?? '?'} id=${view.eventId} subject=${view.subject ?? '?'}`);
  if (view.earlierFailure) lines.push(`    earlier:     ${view.earlierFailure} (before a redrive; not why it is here now)`);
  return lines.join('\n');
}

/** Registers `fanout dlq`. */
export function register(program: Command): void {
  program
    .command('dlq')
    .description("Count and peek at a consumer's dead-letter queue with each message's failure context (reason, first seen, receive count, correlation id). Nothing is consumed.")
    .argument('<consumer>', 'consumer name, e.g. crm-sync')
    .option('--peek <n>', 'how many messages to show (0: count only)', (v) => Number(v), 10)
    .option('--subscription', "the subscription's DLQ (what SNS could not deliver) instead of the queue's")
    .option('--outputs-file <file>', 'stack outputs JSON (cdk deploy --outputs-file; the local runner writes .fanout/outputs.json); else FANOUT_OUTPUTS_FILE, else CloudFormation')
    .option('--stack <name>', 'stack name (default: the pipeline name)')
    .option('--json', 'machine-readable output')
    .addHelpText('after', '\nExit codes: 0 the DLQ is empty, 1 messages wait in it (visible or in flight), 2 bad input or set-up.\nHonours AWS_PROFILE, AWS_REGION and AWS_ENDPOINT_URL.')
    .action(async (consumer: string, options: DlqOptions) => {
      const sqs = new SQSClient(withSdkTimeouts({}, SDK_TIMEOUTS.cli));
      try {
        process.exitCode = await dlqCommand(consumer, options, { sqs, io: processIo });
      } finally {
        sqs.destroy();
      }
    });
}
