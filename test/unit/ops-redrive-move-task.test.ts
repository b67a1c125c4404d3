/**
 * The AWS path of `fanout redrive` (SQS message move tasks), which the emulator lacks:
 * tested with a stand-in SQS client that answers like AWS. Progress comes from
 * ListMessageMoveTasks; an abort (Ctrl-C) cancels the task; a failed task exits 1.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { redriveCommand } from '../../cli/redrive';
import type { RedriveReport } from '../../ops/redrive';
import { OutputKey } from '../../model/stack-outputs';
import type { CommandIo } from '../../ops/command-output';
import type { Timer } from '../../ops/pacing';

const stack = 'fanout-sample';
const outputsFile = join(mkdtempSync(join(tmpdir(), 'fanout-redrive-')), 'outputs.json');
writeFileSync(
  outputsFile,
  JSON.stringify({
    [stack]: {
      [OutputKey.queueUrl('crm-sync')]: 'https://sqs/q',
      [OutputKey.queueArn('crm-sync')]: 'arn:aws:sqs:us-east-1:1:q',
      [OutputKey.dlqUrl('crm-sync')]: 'https://sqs/dlq',
      [OutputKey.dlqArn('crm-sync')]: 'arn:aws:sqs:us-east-1:1:dlq',
      [OutputKey.subscriptionDlqUrl('crm-sync')]: 'https://sqs/sub-dlq',
    },
  }),
);

type Sent = { name: string; input: Record<string, unknown> };

/**
 * An SQS client that answers like AWS: a DLQ of 30, a move task progressing 10 per poll.
 * `inFlight`: messages someone else holds in the DLQ, before the task and after it ended.
 */
function awsLike(finalStatus: 'COMPLETED' | 'FAILED' = 'COMPLETED', inFlight: { visible?: number; before?: number; after?: number } = {}) {
  const sent: Sent[] = [];
  let moved = 0;
  let status = 'RUNNING';
  const client = {
    async send(command: { constructor: { name: string }; input: Record<string, unknown> }) {
      const name = command.constructor.name;
      sent.push({ name, input: command.input });
      switch (name) {
        case 'GetQueueAttributesCommand':
          return {
            Attributes: {
              ApproximateNumberOfMessages: String(status === 'RUNNING' ? (inFlight.visible ?? 30) : 0),
              ApproximateNumberOfMessagesNotVisible: String(status === 'RUNNING' ? (inFlight.before ?? 0) : (inFlight.after ?? 0)),
              QueueArn: 'arn:aws:sqs:us-east-1:1:dlq',
            },
          };
        case 'StartMessageMoveTaskCommand':
          return { TaskHandle: 'task-1' };
        case 'ListMessageMoveTasksCommand': {
          const hasTask = sent.some((s) => s.name === 'StartMessageMoveTaskCommand');
          if (!hasTask) return { Results: [] };
          if (status === 'RUNNING') {
            moved = Math.min(30, moved + 10);
            if (moved === 30) status = finalStatus;
          }
          return {
            Results: [{ TaskHandle: 'task-1', Status: status, ApproximateNumberOfMessagesMoved: moved, ApproximateNumberOfMessagesToMove: 30, ...(status === 'FAILED' && { FailureReason: 'AccessDenied' }) }],
          };
        }
        case 'CancelMessageMoveTaskCommand':
          status = 'CANCELLED';
          return { ApproximateNumberOfMessagesMoved: moved };
        default:
          throw new Error(`unexpected ${name}`);
      }
    },
  };
  return { client: client as unknown as SQSClient, sent };
}

function io() {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const value: CommandIo = { interactive: false, out: (t) => stdout.push(t), err: (t) => stderr.push(t) };
  return { value, stdout, stderr };
}

const noWait: Timer = { now: () => 0, sleep: async () => {} };

describe('fanout redrive on AWS (message move task)', () => {
  it('starts a move task from the DLQ to the queue at the rate, and reports progress until COMPLETED', async () => {
    const { client, sent } = awsLike();
    const out = io();
    expect(await redriveCommand('crm-sync', { outputsFile, stack, rate: 25 }, { sqs: client, io: out.value, timer: noWait })).toBe(0);
    const start = sent.find((s) => s.name === 'StartMessageMoveTaskCommand')!;
    expect(start.input).toEqual({ SourceArn: 'arn:aws:sqs:us-east-1:1:dlq', DestinationArn: 'arn:aws:sqs:us-east-1:1:q', MaxNumberOfMessagesPerSecond: 25 });
    expect(out.stderr).toEqual([
      '[##########--------------------] 10/30 moved (33%)',
      '[####################----------] 20/30 moved (67%)',
      '[##############################] 30/30 moved (100%)',
    ]);
    expect(out.stdout.join('\n')).toContain('Moved 30 messages back to https://sqs/q.');
  });

  it('cancels the task when aborted (Ctrl-C) and exits 1', async () => {
    const { client, sent } = awsLike();
    const controller = new AbortController();
    const out = io();
    const timer: Timer = { now: () => 0, sleep: async () => controller.abort() };
    expect(await redriveCommand('crm-sync', { outputsFile, stack, json: true }, { sqs: client, io: out.value, timer, signal: controller.signal })).toBe(1);
    expect(sent.filter((s) => s.name === 'CancelMessageMoveTaskCommand')).toEqual([{ name: 'CancelMessageMoveTaskCommand', input: { TaskHandle: 'task-1' } }]);
    expect(JSON.parse(out.stdout.join('\n')) as RedriveReport).toMatchObject({ method: 'move-task', status: 'CANCELLED', moved: 10 });
  });

  it('exits 1 with the reason when the task fails', async () => {
    const { client } = awsLike('FAILED');
    const out = io();
    expect(await redriveCommand('crm-sync', { outputsFile, stack }, { sqs: client, io: out.value, timer: noWait })).toBe(1);
    expect(out.stdout.join('\n')).toContain('Move task FAILED: AccessDenied');
  });

  it('does not report COMPLETED when the task is done but messages are still in flight in the DLQ', async () => {
    const { client } = awsLike('COMPLETED', { before: 2, after: 2 });
    const out = io();
    expect(await redriveCommand('crm-sync', { outputsFile, stack, json: true }, { sqs: client, io: out.value, timer: noWait })).toBe(1);
    expect(JSON.parse(out.stdout.join('\n')) as RedriveReport).toMatchObject({ method: 'move-task', status: 'IN_FLIGHT', moved: 30, inFlight: 2 });
    const text = io();
    expect(await redriveCommand('crm-sync', { outputsFile, stack }, { sqs: awsLike('COMPLETED', { after: 1 }).client, io: text.value, timer: noWait })).toBe(1);
    expect(text.stdout.join('\n')).toContain('Moved 30 messages back');
    expect(text.stdout.join('\n')).toContain('1 message still in flight in the DLQ');
  });

  it('starts no task and does not say "empty" when every message in the DLQ is in flight', async () => {
    const { client, sent } = awsLike('COMPLETED', { visible: 0, before: 4 });
    const out = io();
    expect(await redriveCommand('crm-sync', { outputsFile, stack }, { sqs: client, io: out.value, timer: noWait })).toBe(1);
    expect(sent.some((s) => s.name === 'StartMessageMoveTaskCommand')).toBe(false);
    expect(out.stdout.join('\n')).not.toContain('empty');
    expect(out.stdout.join('\n')).toContain('4 messages still in flight in the DLQ');
  });

  it('a dry run starts nothing', async () => {
    const { client, sent } = awsLike();
    const out = io();
    expect(await redriveCommand('crm-sync', { outputsFile, stack, dryRun: true }, { sqs: client, io: out.value })).toBe(0);
    expect(sent.some((s) => s.name === 'StartMessageMoveTaskCommand')).toBe(false);
    expect(out.stdout.join('\n')).toContain('Would move 30 messages');
    expect(out.stdout.join('\n')).toContain('SQS message move task');
  });
});
