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
 * the run does not count as done.
 */
import { ListMessageMoveTasksCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Command } from 'commander';
import type { ResolvedPipeline } from '../model/pipeline-definition';
import { OutputKey } from '../model/stack-outputs';
import {
  cancelMoveTask,
  isUnsupportedOperation,
  moveTaskProgress,
  MoveTaskUnsupportedError,
  portableMove,
  queueDepth,
  startMoveTask,
  type PortableMoveResult,
} from '../ops/adapters/sqs-dead-letters';
import { ExitCode, processIo, runCommand, type CommandIo } from '../ops/command-output';
import { progressBar, realTimer, type Timer } from '../ops/pacing';
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

/** What `--json` prints. */
export interface RedriveReport {
  readonly consumer: string;
  readonly from: string;
  readonly to: string;
  readonly method: 'move-task' | 'portable';
  readonly dryRun: boolean;
  /** Visible in the DLQ when the command started. */
  readonly waiting: number;
  /**
   * In flight in the DLQ (hidden by someone else's receive: a `fanout dlq` peek, another
   * redrive): at the start, or, after a move, what is still held and was not moved.
   */
  readonly inFlight: number;
  readonly moved: number;
  /** IN_FLIGHT: everything visible was moved, but messages in flight were not (run again later). */
  readonly status: 'COMPLETED' | 'CANCELLED' | 'FAILED' | 'INTERRUPTED' | 'DRY_RUN' | 'NOTHING_TO_DO' | 'IN_FLIGHT';
  readonly failed: readonly { readonly messageId: string; readonly reason: string }[];
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

async function moveTaskSupported(sqs: SQSClient, sourceArn: string): Promise<boolean> {
  try {
    await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: sourceArn, MaxResults: 1 }));
    return true;
  } catch (error) {
    if (isUnsupportedOperation(error)) return false;
    throw error;
  }
}

/**
 * Runs `fanout redrive`.
 * @returns 0 when every message went back (or the DLQ was empty), 1 when some did not, were
 *   in flight in the DLQ, or it was interrupted, 2 on bad input
 */
export async function redriveCommand(consumerName: string, options: RedriveOptions, deps: RedriveDeps): Promise<number> {
  const json = options.json ?? false;
  const timer = deps.timer ?? realTimer;
  return runCommand(deps.io, json, async () => {
    if (options.rate !== undefined && !(Number.isFinite(options.rate) && options.rate >= 1)) {
      throw new CliError(`--rate must be a number of messages per second, at least 1; got ${options.rate}`);
    }
    const pipeline = deps.pipeline ?? loadPipeline();
    const consumer = findConsumer(pipeline, consumerName);
    const outputs = await loadStackOutputs(pipeline, options);
    const queueUrl = requireOutput(outputs, OutputKey.queueUrl(consumer.name));
    const dlqUrl = requireOutput(outputs, options.subscription ? OutputKey.subscriptionDlqUrl(consumer.name) : OutputKey.dlqUrl(consumer.name));
    const kind = options.subscription ? 'subscription-dlq' : 'queue-dlq';
    const dlq = await queueDepth(deps.sqs, dlqUrl);
    const base = { consumer: consumer.name, from: dlqUrl, to: queueUrl, dryRun: options.dryRun ?? false, waiting: dlq.visible, inFlight: dlq.inFlight };
    const print = (report: RedriveReport, text: string) => deps.io.out(json ? JSON.stringify(report, null, 2) : text);

    // A subscription DLQ is no queue's DLQ, so SQS's move task refuses it (and would not
    // unwrap an SNS notification): only the portable move can put its messages back.
    const useMoveTask = !options.subscription && (await moveTaskSupported(deps.sqs, dlq.arn));
    const method = useMoveTask ? 'move-task' : 'portable';
    if (!options.subscription && !useMoveTask && !json) deps.io.err('The endpoint has no SQS message move tasks: using the portable move.');
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

    const report = progressReporter(deps.io, dlq.visible, json);
    if (useMoveTask) {
      const queueArn = requireOutput(outputs, OutputKey.queueArn(consumer.name));
      let handle: string | undefined;
      try {
        handle = await startMoveTask(deps.sqs, dlq.arn, queueArn, options.rate);
      } catch (error) {
        if (!(error instanceof MoveTaskUnsupportedError)) throw error;
      }
      if (handle !== undefined) {
        let cancelled = false;
        const onAbort = () => {
          cancelled = true;
        };
        deps.signal?.addEventListener('abort', onAbort, { once: true });
        try {
          for (;;) {
            if (cancelled) {
              const moved = await cancelMoveTask(deps.sqs, handle);
              if (!json && deps.io.interactive) process.stderr.write('\n');
              print({ ...base, method, moved, status: 'CANCELLED', failed: [] }, `Cancelled: ${moved} moved, the rest stay in the DLQ.`);
              return ExitCode.Problem;
            }
            const progress = await moveTaskProgress(deps.sqs, dlq.arn);
            report(progress?.moved ?? 0);
            if (progress && progress.status !== 'RUNNING') {
              if (!json && deps.io.interactive) process.stderr.write('\n');
              const ok = progress.status === 'COMPLETED';
              // The task moves what is visible; a message someone else holds stays behind.
              const held = ok ? (await queueDepth(deps.sqs, dlqUrl)).inFlight : 0;
              const status = !ok ? (progress.status === 'CANCELLED' ? 'CANCELLED' : 'FAILED') : held > 0 ? 'IN_FLIGHT' : 'COMPLETED';
              print(
                { ...base, method, inFlight: held, moved: progress.moved, status, failed: [] },
                ok
                  ? `Moved ${progress.moved} message${progress.moved === 1 ? '' : 's'} back to ${queueUrl}.${held > 0 ? `\n${inFlightNotice(held)}` : ''}`
                  : `Move task ${progress.status}: ${progress.failureReason ?? 'no reason given'} (${progress.moved} moved).`,
              );
              return status === 'COMPLETED' ? ExitCode.Ok : ExitCode.Problem;
            }
            await timer.sleep(options.pollIntervalMs ?? 1000);
          }
        } finally {
          deps.signal?.removeEventListener('abort', onAbort);
        }
      }
      if (!json) deps.io.err('The endpoint has no SQS message move tasks: using the portable move.');
    }

    const result: PortableMoveResult = await portableMove(deps.sqs, {
      from: dlqUrl,
      to: queueUrl,
      kind,
      fifo: consumer.fifo,
      ...(options.rate !== undefined && { maxPerSecond: options.rate }),
      ...(options.visibilityTimeout !== undefined && { visibilityTimeoutSeconds: options.visibilityTimeout }),
      ...(deps.signal && { signal: deps.signal }),
      onProgress: report,
      timer,
    });
    if (!json && deps.io.interactive) process.stderr.write('\n');
    // The move stops at the first empty receive; what someone else still holds was never
    // seen. The messages it left behind itself are hidden too, and reported one by one.
    const held = result.interrupted ? 0 : Math.max(0, (await queueDepth(deps.sqs, dlqUrl)).inFlight - result.failed.length);
    const status = result.interrupted ? 'INTERRUPTED' : result.failed.length > 0 ? 'FAILED' : held > 0 ? 'IN_FLIGHT' : 'COMPLETED';
    const lines = [
      `Moved ${result.moved} message${result.moved === 1 ? '' : 's'} back to ${queueUrl}${result.interrupted ? ' before being interrupted; run it again to move the rest' : ''}.`,
      ...result.failed.map((f) => `  left in the DLQ: ${f.messageId}: ${f.reason}`),
      ...(held > 0 ? [inFlightNotice(held)] : []),
    ];
    print({ ...base, method: 'portable', inFlight: held, moved: result.moved, status, failed: result.failed }, lines.join('\n'));
    return status === 'COMPLETED' ? ExitCode.Ok : ExitCode.Problem;
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
