/**
 * `fanout redrive <consumer>`: moves a consumer's dead-lettered messages back to its
 * queue. On AWS, SQS's own message move task does it (progress from
 * ListMessageMoveTasks, cancelled on Ctrl-C); where the endpoint has no move tasks
 * (the local emulator), and always for the subscription DLQ (SQS's move tasks take
 * messages only out of a queue's DLQ, not an SNS subscription's), a portable move does it with the same
 * progress bar: send to the queue, then delete from the DLQ only what was sent. A
 * subscription-DLQ message goes to the consumer's queue, as SNS would have delivered
 * it: raw-delivered ones as they are, SNS notifications unwrapped. Messages in flight in
 * the DLQ (someone else's receive holds them) cannot be moved: they are reported, and
 * the run does not count as done. The moving is ops/redrive.ts; this file checks the
 * options, finds the queues in the stack outputs and prints.
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Command } from 'commander';
import type { ResolvedPipeline } from '../model/pipeline-definition';
import { OutputKey } from '../model/stack-outputs';
import { moveTasksSupported, queueDepth } from '../ops/adapters/sqs-dead-letters';
import { ExitCode, processIo, runCommand, type CommandIo } from '../ops/command-output';
import { progressBar, realTimer, type Timer } from '../ops/pacing';
import { redrive, type RedriveOutcome, type RedriveReport } from '../ops/redrive';
import { SDK_TIMEOUTS, withSdkTimeouts } from '../contracts/sdk-client-config';
import { findConsumer } from '../ops/pipeline-lookup';
import { CliError, loadPipeline, loadStackOutputs, requireOutput, type OutputsOptions } from './context';

/** Options of `fanout redrive`. */
export interface RedriveOptions extends OutputsOptions {
  /** Most messages a second. @default no limit (the move task's system-optimized rate) */
  readonly rate?: number;
  readonly dryRun?: boolean;
  /** Redrive the subscription's DLQ (what SNS could not deliver) instead of the queue's. */
  readonly subscription?: boolean;
  /** Portable move: how long a message being moved stays hidden in the DLQ. @default 60 */
  readonly visibilityTimeout?: number;
  /** Move-task path: how often to poll ListMessageMoveTasks, ms. @default 1000 */
  readonly pollIntervalMs?: number;
  readonly json?: boolean;
}

/** What the command needs from outside; tests pass an emulator client and a signal. */
export interface RedriveDeps {
  readonly sqs: SQSClient;
  readonly io: CommandIo;
  readonly pipeline?: ResolvedPipeline;
  /** Aborted on Ctrl-C (the registered command wires SIGINT to it). */
  readonly signal?: AbortSignal;
  readonly timer?: Timer;
}

/** Reports progress on stderr: redrawn in place on a terminal, every 10% otherwise. */
function progressReporter(io: CommandIo, total: number, json: boolean) {
  let lastStep = -1;
  return (moved: number) => {
    if (json) return;
    const bar = progressBar(moved, total, 'moved');
    if (io.interactive) {
      process.stderr.write(`\r${bar}\x1b[K`);
      return;
    }
    const step = total > 0 ? Math.floor((Math.min(moved, total) / total) * 10) : 0;
    if (step !== lastStep) {
      lastStep = step;
      io.err(bar);
    }
  };
}

/** What to tell the operator about DLQ messages a redrive could not see. */
function inFlightNotice(count: number): string {
  return `${count} message${count === 1 ? '' : 's'} still in flight in the DLQ (held by another receive, e.g. a fanout dlq peek or another redrive) and not moved; run again after they become visible.`;
}

const FALLBACK_NOTICE = 'The endpoint has no SQS message move tasks: using the portable move.';

/** What a finished redrive tells the operator. */
function outcomeText(outcome: RedriveOutcome, queueUrl: string): string {
  const plural = (n: number) => `${n} message${n === 1 ? '' : 's'}`;
  const held = outcome.inFlight ?? 0;
  if (outcome.method === 'move-task') {
    if (outcome.stoppedBySignal) return `Cancelled: ${outcome.moved} moved, the rest stay in the DLQ.`;
    return outcome.taskStatus === 'COMPLETED'
      ? `Moved ${plural(outcome.moved)} back to ${queueUrl}.${held > 0 ? `\n${inFlightNotice(held)}` : ''}`
      : `Move task ${outcome.taskStatus}: ${outcome.failureReason ?? 'no reason given'} (${outcome.moved} moved).`;
  }
  return [
    `Moved ${plural(outcome.moved)} back to ${queueUrl}${outcome.stoppedBySignal ? ' before being interrupted; run it again to move the rest' : ''}.`,
    ...outcome.failed.map((f) => `  left in the DLQ: ${f.messageId}: ${f.reason}`),
    ...(held > 0 ? [inFlightNotice(held)] : []),
  ].join('\n');
}

/**
 * Runs `fanout redrive`.
 * @returns 0 when every message went back (or the DLQ was empty), 1 when some did not, were
 *   in flight in the DLQ, or it was interrupted, 2 on bad input
 */
export async function redriveCommand(consumerName: string, options: RedriveOptions, deps: RedriveDeps): Promise<number> {
  const json = options.json ?? false;
  return runCommand(deps.io, json, async () => {
    if (options.rate !== undefined && !(Number.isFinite(options.rate) && options.rate >= 1)) {
      throw new CliError(`--rate must be a number of messages per second, at least 1; got ${options.rate}`);
    }
    const pipeline = deps.pipeline ?? loadPipeline();
    const consumer = findConsumer(pipeline, consumerName);
    const outputs = await loadStackOutputs(pipeline, options);
    const queueUrl = requireOutput(outputs, OutputKey.queueUrl(consumer.name));
    const dlqUrl = requireOutput(outputs, options.subscription ? OutputKey.subscriptionDlqUrl(consumer.name) : OutputKey.dlqUrl(consumer.name));
    const dlq = await queueDepth(deps.sqs, dlqUrl);
    const base = { consumer: consumer.name, from: dlqUrl, to: queueUrl, dryRun: options.dryRun ?? false, waiting: dlq.visible, inFlight: dlq.inFlight };
    const print = (report: RedriveReport, text: string) => deps.io.out(json ? JSON.stringify(report, null, 2) : text);

    // A subscription DLQ is no queue's DLQ, so SQS's move task refuses it (and would not
    // unwrap an SNS notification): only the portable move can put its messages back.
    const useMoveTask = !options.subscription && (await moveTasksSupported(deps.sqs, dlq.arn));
    const method = useMoveTask ? 'move-task' : 'portable';
    if (!options.subscription && !useMoveTask && !json) deps.io.err(FALLBACK_NOTICE);
    if (dlq.visible === 0 && dlq.inFlight > 0) {
      // Not empty: someone else's receive hides them, and they come back when it ends.
      print({ ...base, method, moved: 0, status: 'IN_FLIGHT', failed: [] }, `${consumer.name}: nothing visible to redrive; ${inFlightNotice(dlq.inFlight)}`);
      return ExitCode.Problem;
    }
    if (dlq.visible === 0) {
      print({ ...base, method, moved: 0, status: 'NOTHING_TO_DO', failed: [] }, `${consumer.name}: the ${options.subscription ? 'subscription ' : ''}DLQ is empty, nothing to redrive.`);
      return ExitCode.Ok;
    }
    const rate = options.rate !== undefined ? `${options.rate} messages/s` : 'no rate limit';
    if (options.dryRun) {
      print(
        { ...base, method, moved: 0, status: 'DRY_RUN', failed: [] },
        `Would move ${dlq.visible} message${dlq.visible === 1 ? '' : 's'} from ${dlqUrl} to ${queueUrl} (${method === 'move-task' ? 'SQS message move task' : 'portable move: send, then delete only what was sent'}${options.subscription ? ', raw-delivered messages as they are, SNS notifications unwrapped' : ''}; ${rate}). Nothing was moved.${dlq.inFlight > 0 ? `\n${inFlightNotice(dlq.inFlight)}` : ''}`,
      );
      return ExitCode.Ok;
    }

    const outcome = await redrive(deps.sqs, {
      from: { url: dlqUrl, arn: dlq.arn },
      to: { url: queueUrl, ...(useMoveTask && { arn: requireOutput(outputs, OutputKey.queueArn(consumer.name)) }) },
      kind: options.subscription ? 'subscription-dlq' : 'queue-dlq',
      fifo: consumer.fifo,
      ...(options.rate !== undefined && { maxPerSecond: options.rate }),
      ...(options.visibilityTimeout !== undefined && { visibilityTimeoutSeconds: options.visibilityTimeout }),
      ...(options.pollIntervalMs !== undefined && { pollIntervalMs: options.pollIntervalMs }),
      ...(deps.signal && { signal: deps.signal }),
      onProgress: progressReporter(deps.io, dlq.visible, json),
      onFallback: () => {
        if (!json) deps.io.err(FALLBACK_NOTICE);
      },
      timer: deps.timer ?? realTimer,
    });
    if (!json && deps.io.interactive) process.stderr.write('\n');
    print(
      { ...base, method: outcome.method, inFlight: outcome.inFlight ?? base.inFlight, moved: outcome.moved, status: outcome.status, failed: outcome.failed },
      outcomeText(outcome, queueUrl),
    );
    return outcome.status === 'COMPLETED' ? ExitCode.Ok : ExitCode.Problem;
  });
}

/** Registers `fanout redrive`. */
export function register(program: Command): void {
  program
    .command('redrive')
    .description(
      "Move a consumer's dead-lettered messages back to its queue: SQS's message move task on AWS (Ctrl-C cancels it), a portable move where the endpoint has none. Processing is idempotent, so a message that goes twice is applied once.",
    )
    .argument('<consumer>', 'consumer name, e.g. crm-sync')
    .option('--rate <n>', 'most messages per second (default: no limit)', (v) => Number(v))
    .option('--dry-run', 'say what would be moved, move nothing')
    .option('--subscription', "redrive the subscription's DLQ into the queue, as SNS would have delivered it (raw-delivered messages as they are; SNS notifications unwrapped)")
    .option('--visibility-timeout <seconds>', 'portable move: how long a message being moved stays hidden in the DLQ (default 60)', (v) => Number(v))
    .option('--outputs-file <file>', 'stack outputs JSON (cdk deploy --outputs-file; the local runner writes .fanout/outputs.json); else FANOUT_OUTPUTS_FILE, else CloudFormation')
    .option('--stack <name>', 'stack name (default: the pipeline name)')
    .option('--json', 'machine-readable output (progress is not printed)')
    .addHelpText(
      'after',
      '\nFix the cause first (fanout dlq <consumer> shows why messages failed).\nExit codes: 0 all moved (or nothing to move), 1 some left behind, still in flight in the DLQ, or interrupted, 2 bad input or set-up.\nHonours AWS_PROFILE, AWS_REGION and AWS_ENDPOINT_URL.',
    )
    .action(async (consumer: string, options: RedriveOptions) => {
      const sqs = new SQSClient(withSdkTimeouts({}, SDK_TIMEOUTS.cli));
      const controller = new AbortController();
      const onSigint = () => {
        processIo.err('\nInterrupted: finishing the batch in hand (Ctrl-C again to quit at once; nothing is lost either way).');
        controller.abort();
        process.once('SIGINT', () => process.exit(130));
      };
      process.once('SIGINT', onSigint);
      try {
        process.exitCode = await redriveCommand(consumer, options, { sqs, io: processIo, signal: controller.signal });
      } finally {
        process.removeListener('SIGINT', onSigint);
        sqs.destroy();
      }
    });
}
