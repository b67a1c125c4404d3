/**
 * `fanout status`, `fanout cost` and `fanout replay` for the sample pipeline against the
 * emulator (queues and topics created here, named through an outputs file), and the
 * CLI binary itself: the commands are registered, print, and exit with their codes.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { costCommand } from '../../cli/cost';
import { replayCommand, type ReplayResult } from '../../cli/replay';
import { statusCommand } from '../../cli/status';
import { loadPipeline } from '../../model/load-pipeline';
import { OutputKey } from '../../model/stack-outputs';
import { PROJECT_ROOT } from '../../local/emulator';
import type { ConsumerStatus } from '../../ops/status';
import { emulatorClientConfig, TEST_REGION, uniqueName } from '../support/aws';
import { captureIo, createConsumerQueues, writeOutputs, type ConsumerQueues } from './ops-world';

const sqs = new SQSClient(emulatorClientConfig());
const sns = new SNSClient(emulatorClientConfig());
const cloudWatch = new CloudWatchClient(emulatorClientConfig());
afterAll(() => {
  sqs.destroy();
  sns.destroy();
  cloudWatch.destroy();
});

// What the commands read: the project's pipeline (the sample, plus whatever `fanout new` added).
const pipeline = loadPipeline();

let queues: Record<string, ConsumerQueues>;
let outputsFile: string;
let stack: string;

beforeAll(async () => {
  // Every topic and consumer of the pipeline, as the stack would create them.
  const topicArns: Record<string, string> = {};
  for (const topic of pipeline.topics) {
    const created = topic.fifo
      ? new CreateTopicCommand({ Name: `${uniqueName(topic.name)}.fifo`, Attributes: { FifoTopic: 'true', ContentBasedDeduplication: 'true' } })
      : new CreateTopicCommand({ Name: uniqueName(topic.name) });
    topicArns[topic.name] = (await sns.send(created)).TopicArn!;
  }
  queues = {};
  const extra: Record<string, string> = Object.fromEntries(Object.entries(topicArns).map(([name, arn]) => [OutputKey.topicArn(name), arn]));
  for (const consumer of pipeline.consumers) {
    const q = await createConsumerQueues(sqs, consumer.fifo);
    queues[consumer.name] = q;
    extra[OutputKey.subscriptionArn(consumer.name)] = (await sns.send(new SubscribeCommand({ TopicArn: topicArns[consumer.topic]!, Protocol: 'sqs', Endpoint: q.queueArn, ReturnSubscriptionArn: true }))).SubscriptionArn!;
  }
  ({ outputsFile, stack } = writeOutputs(queues, extra));
});

type StatusJson = { consumers: ConsumerStatus[]; problems: string[] };

describe('fanout status', () => {
  it('prints every consumer of the sample pipeline, with n/a where the emulator has no metrics or alarms', async () => {
    await sqs.send(new SendMessageCommand({ QueueUrl: queues['crm-sync']!.queueUrl, MessageBody: '{}' }));
    const io = captureIo();
    expect(await statusCommand({ outputsFile, stack, json: true }, { sqs, cloudWatch, io })).toBe(0);
    const out = io.json<StatusJson>();
    expect(out.consumers.map((c) => c.consumer)).toEqual(pipeline.consumers.map((c) => c.name));
    expect(out.consumers.map((c) => c.consumer).slice(0, 3)).toEqual(['crm-sync', 'email-marketing', 'billing-sync']);
    const crm = out.consumers[0]!;
    expect(crm).toMatchObject({ visible: 1, inFlight: 0, dlq: 0, subscriptionDlq: 0, oldestMessageAgeSeconds: null });
    expect(crm.alarms).toHaveLength(7);
    expect(crm.alarms.every((a) => a.state === 'n/a')).toBe(true);
    expect(crm.alarms.map((a) => a.alarmName)).toContain('fanout-sample-crm-sync-dlq-depth');
    expect(out.problems).toEqual([]);

    const text = captureIo();
    await statusCommand({ outputsFile, stack }, { sqs, cloudWatch, io: text });
    const printed = text.stdout.join('\n');
    expect(printed).toMatch(/crm-sync\s+1\s+0\s+0\s+0\s+n\/a\s+7 n\/a/);
    expect(printed).toContain('No problems found.');
  });

  it('exits 1 and names the problem when a DLQ holds messages', async () => {
    await sqs.send(new SendMessageCommand({ QueueUrl: queues['email-marketing']!.dlqUrl, MessageBody: '{}' }));
    const io = captureIo();
    expect(await statusCommand({ outputsFile, stack, json: true }, { sqs, cloudWatch, io })).toBe(1);
    expect(io.json<StatusJson>().problems).toEqual(['email-marketing: 1 message in the DLQ (fanout dlq email-marketing)']);
  });
});

describe('fanout cost', () => {
  it('prints the monthly cost of the sample pipeline at 100,000 events a day and at peak', async () => {
    const io = captureIo();
    expect(await costCommand({ perDay: 100_000 }, { io })).toBe(0);
    const text = io.stdout.join('\n');
    expect(text).toMatch(/^Monthly cost at 100,000 events\/day: \$\d+\.\d\d$/m);
    for (const service of ['SNS', 'SQS', 'Lambda', 'DynamoDB', 'X-Ray', 'KMS', 'CloudWatch', 'Glue']) expect(text).toMatch(new RegExp(`^  ${service}\\s+\\$`, 'm'));
    // 7 alarms for each consumer, 4 for each topic (29 in the sample: 3 consumers, 2 topics).
    expect(text).toContain(`alarms (standard resolution): ${7 * pipeline.consumers.length + 4 * pipeline.topics.length} alarm metrics`);
    expect(text).toMatch(/^  All \d together: \$[\d.,]+\/month, saving \$[\d.,]+/m);
    const peak = captureIo();
    expect(await costCommand({ json: true }, { io: peak })).toBe(0);
    const json = peak.json<{ volume: { kind: string }; totalMonthlyUsd: number; recommendations: unknown[]; together: { totalMonthlyUsd: number } }>();
    expect(json.volume.kind).toBe('peak');
    expect(json.totalMonthlyUsd).toBeGreaterThan(0);
    expect(json.together.totalMonthlyUsd).toBeLessThanOrEqual(json.totalMonthlyUsd);
    expect(await costCommand({ perDay: -5 }, { io: captureIo() })).toBe(2);
  });
});

describe('fanout replay', () => {
  it('says clearly that the emulator cannot replay, and exits 1', async () => {
    const io = captureIo();
    expect(await replayCommand('billing-events', { outputsFile, stack, from: '2h', json: true }, { sns, io })).toBe(1);
    const results = io.json<{ policy: string; results: ReplayResult[] }>();
    expect(JSON.parse(results.policy)).toMatchObject({ PointType: 'Timestamp' });
    // One result per subscription of the topic (billing-sync's in the sample).
    const subscribers = pipeline.consumers.filter((c) => c.topic === 'billing-events').map((c) => c.name);
    expect(subscribers[0]).toBe('billing-sync');
    expect(results.results).toEqual(subscribers.map((consumer) => expect.objectContaining({ consumer, status: 'UNSUPPORTED' })));
    expect(results.results[0]!.message).toMatch(/cannot replay SNS archives/);
  });

  it('refuses a standard topic, a window older than the archive and a missing --from (exit 2)', async () => {
    const standard = captureIo();
    expect(await replayCommand('user-events', { outputsFile, stack, from: '1h' }, { sns, io: standard })).toBe(2);
    expect(standard.stderr.join('\n')).toMatch(/standard topic: SNS archives and replays FIFO topics only/);
    const old = captureIo();
    expect(await replayCommand('billing-events', { outputsFile, stack, from: '8d' }, { sns, io: old })).toBe(2);
    expect(old.stderr.join('\n')).toMatch(/older than the archive keeps \(7 days/);
    expect(await replayCommand('billing-events', { outputsFile, stack }, { sns, io: captureIo() })).toBe(2);
  });

  it('dry run shows the policy without touching the subscription', async () => {
    const io = captureIo();
    expect(await replayCommand('billing-events', { outputsFile, stack, from: '2026-01-15T09:00:00Z', to: '2026-01-15T10:00:00Z', dryRun: true }, { sns, io, now: () => new Date('2026-01-16T00:00:00Z') })).toBe(0);
    expect(io.stdout.join('\n')).toContain('"StartingPoint":"2026-01-15T09:00:00.000Z","EndingPoint":"2026-01-15T10:00:00.000Z"');
  });
});

describe('the fanout binary', () => {
  it('runs status with --outputs-file against the endpoint in AWS_ENDPOINT_URL, and documents exit codes in --help', () => {
    const env = { ...process.env, AWS_ENDPOINT_URL: inject('emulatorEndpoint'), AWS_REGION: TEST_REGION, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_PROFILE: '' };
    const bin = join(PROJECT_ROOT, 'bin/fanout.ts');
    const status = spawnSync(process.execPath, ['--import', 'tsx', bin, 'status', '--outputs-file', outputsFile, '--stack', stack], { cwd: PROJECT_ROOT, env, encoding: 'utf8', timeout: 60_000 });
    expect(status.stdout).toContain('Pipeline fanout-sample');
    expect(status.stdout).toContain('email-marketing: 1 message in the DLQ');
    expect(status.status).toBe(1);
    const help = spawnSync(process.execPath, ['--import', 'tsx', bin, 'redrive', '--help'], { cwd: PROJECT_ROOT, env, encoding: 'utf8', timeout: 60_000 });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Exit codes: 0 all moved');
    const unknown = spawnSync(process.execPath, ['--import', 'tsx', bin, 'dlq', 'nobody', '--outputs-file', outputsFile, '--stack', stack], { cwd: PROJECT_ROOT, env, encoding: 'utf8', timeout: 60_000 });
    expect(unknown.status).toBe(2);
  });
});
