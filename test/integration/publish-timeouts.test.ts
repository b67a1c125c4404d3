/**
 * A frozen broker (issue 9, breaks 10 and 8), with real processes: a moto server of this
 * file's own, SIGSTOPped while the publisher and `fanout publish` (spawned as a person
 * runs it) publish to it. Before the fix the SDK had no request timeout: the publish waited
 * as long as the freeze lasted and then said "published". Now each attempt times out, the
 * publisher retries with its backoff and reports the event as failed within a bounded
 * time, naming its id; published again under that id after the thaw, the event reaches
 * the queue under one id only, even though the frozen server may have taken the timed-out
 * attempts as well (the ambiguity that makes the id matter).
 *
 * The shared emulator of the global set-up is never stopped: other files use it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import { FileContractResolver } from '../../contracts/contract-resolver';
import { parseEnvelope } from '../../contracts/envelope';
import type { EventDataMap } from '../../contracts/event-types.generated';
import { resolvePipeline } from '../../model/pipeline-definition';
import { pipeline as samplePipeline } from '../../pipeline';
import { OutputKey } from '../../model/stack-outputs';
import { startEmulator, type Emulator } from '../../local/emulator';
import { PublishFailedError } from '../../client/errors';
import { deterministicEventId } from '../../client/event-id';
import { createPublisher, createPublisherSnsClient } from '../../client/publisher';
import { DEFAULT_RETRY_POLICY } from '../../client/retry';
import { SDK_TIMEOUTS } from '../../contracts/sdk-client-config';
import { TEST_REGION } from '../support/aws';

const PROJECT_ROOT = join(import.meta.dirname, '..', '..');
const SCHEMAS = join(PROJECT_ROOT, 'schemas');
const pipeline = resolvePipeline(samplePipeline, SCHEMAS);
const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };

const signUp = (n: number): EventDataMap['user.signed-up'] => ({
  userId: `usr_${String(n).padStart(8, '0')}`,
  email: `user${n}@example.com`,
  name: `User ${n}`,
  plan: 'free',
  signedUpAt: '2026-11-28T09:30:00Z',
  marketingOptIn: false,
});

let emulator: Emulator | undefined;
let frozen = false;
let setupClients: { sns: SNSClient; sqs: SQSClient } | undefined;
let scratch: string;
let outputsFile: string;
let queueUrl: string;
const topicArns: Record<string, string> = {};

/** SIGSTOP or SIGCONT the emulator's process group (it is a group leader: detached). */
function signal(sig: 'SIGSTOP' | 'SIGCONT'): void {
  process.kill(-emulator!.pid!, sig);
  frozen = sig === 'SIGSTOP';
}

/** Runs `body` with the emulator frozen, and always thaws it. */
async function whileFrozen<T>(body: () => Promise<T>): Promise<T> {
  signal('SIGSTOP');
  try {
    return await body();
  } finally {
    signal('SIGCONT');
  }
}

async function drain(): Promise<Message[]> {
  const all: Message[] = [];
  for (;;) {
    const { Messages = [] } = await setupClients!.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
    if (Messages.length === 0) return all;
    all.push(...Messages);
    await setupClients!.sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
  }
}

beforeAll(async () => {
  emulator = await startEmulator();
  expect(emulator.pid).toBeDefined();
  const config = { endpoint: emulator.endpoint, region: TEST_REGION, credentials };
  setupClients = { sns: new SNSClient(config), sqs: new SQSClient(config) };
  for (const topic of pipeline.topics) {
    const { TopicArn } = await setupClients.sns.send(
      new CreateTopicCommand({ Name: `${topic.name}${topic.fifo ? '.fifo' : ''}`, ...(topic.fifo && { Attributes: { FifoTopic: 'true', ContentBasedDeduplication: 'false' } }) }),
    );
    topicArns[topic.name] = TopicArn!;
  }
  ({ QueueUrl: queueUrl } = (await setupClients.sqs.send(new CreateQueueCommand({ QueueName: 'frozen-broker' }))) as { QueueUrl: string });
  const { Attributes } = await setupClients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
  const userTopic = pipeline.eventTypes.find((e) => e.name === 'user.signed-up')!.topic;
  await setupClients.sns.send(new SubscribeCommand({ TopicArn: topicArns[userTopic], Protocol: 'sqs', Endpoint: Attributes!.QueueArn, Attributes: { RawMessageDelivery: 'true' } }));
  scratch = mkdtempSync(join(tmpdir(), 'fanout-frozen-'));
  outputsFile = join(scratch, 'outputs.json');
  writeFileSync(outputsFile, JSON.stringify({ [pipeline.name]: Object.fromEntries(Object.entries(topicArns).map(([name, arn]) => [OutputKey.topicArn(name), arn])) }));
});

afterAll(async () => {
  // A stopped process cannot act on SIGTERM: thaw it first, then stop it (no orphans).
  if (frozen) signal('SIGCONT');
  setupClients?.sns.destroy();
  setupClients?.sqs.destroy();
  await emulator?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('publishing to a frozen broker', () => {
  it('the publisher times out each attempt, retries with backoff, and reports the event failed within seconds, never "published"', async () => {
    const timeouts = { connectionTimeoutMs: 1000, requestTimeoutMs: 1500 };
    const sns = createPublisherSnsClient({ endpoint: emulator!.endpoint, region: TEST_REGION, credentials }, timeouts);
    let httpRequests = 0;
    sns.middlewareStack.add(
      (next) => async (args) => {
        httpRequests += 1;
        return next(args);
      },
      { step: 'finalizeRequest', name: 'countHttpRequests' },
    );
    const sleeps: number[] = [];
    const publisher = createPublisher({
      sns,
      topicArnFor: { 'user.signed-up': topicArns[pipeline.eventTypes.find((e) => e.name === 'user.signed-up')!.topic]! },
      contracts: new FileContractResolver(SCHEMAS),
      source: 'urn:fanout:integration-test',
      retry: { maxAttempts: 3, baseDelayMs: 200, maxDelayMs: 1000 },
      sleep: (ms) => {
        sleeps.push(ms);
        return new Promise((r) => setTimeout(r, ms));
      },
    });
    try {
      const started = Date.now();
      const result = await whileFrozen(() => publisher.publishBatch([{ type: 'user.signed-up', data: signUp(1), subject: 'usr_00000001', correlationId: 'frozen-1' }]));
      const elapsedMs = Date.now() - started;
      expect(result.published).toEqual([]);
      expect(result.failed).toHaveLength(1);
      const [failed] = result.failed;
      expect(failed).toMatchObject({ code: 'TimeoutError', permanent: false, correlationId: 'frozen-1' });
      expect(failed!.error).toBeInstanceOf(PublishFailedError);
      expect(failed!.error).toMatchObject({ attempts: 3, eventId: failed!.eventId });
      expect(httpRequests).toBe(3);
      expect(sleeps).toHaveLength(2);
      // 3 attempts of 1.5 s and two backoffs of at most 200 and 400 ms: bounded by the timeouts, not the freeze.
      expect(elapsedMs).toBeGreaterThanOrEqual(3 * timeouts.requestTimeoutMs - 100);
      expect(elapsedMs).toBeLessThan(3 * timeouts.requestTimeoutMs + 600 + 3000);

      // Thawed, the server may still act on the attempts it had buffered: published again
      // under the error's id, the queue holds that one event id however many copies arrive.
      const again = await publisher.publishBatch([{ type: 'user.signed-up', data: signUp(1), subject: 'usr_00000001', id: failed!.eventId, correlationId: failed!.correlationId }]);
      expect(again.failed).toEqual([]);
      const delivered = await drain();
      expect(delivered.length).toBeGreaterThanOrEqual(1);
      expect(new Set(delivered.map((m) => parseEnvelope(m.Body!).id))).toEqual(new Set([failed!.eventId]));
    } finally {
      sns.destroy();
    }
  }, 60_000);

  it('`fanout publish` (a real process) exits 1 with the event id and the retry command, then the same command publishes that id', async () => {
    const dataFile = join(scratch, 'sign-up.json');
    writeFileSync(dataFile, JSON.stringify(signUp(2)));
    const args = ['publish', 'user.signed-up', '--data', dataFile, '--outputs-file', outputsFile, '--contracts-from-files', '--key', 'usr_00000002/signed-up'];
    const env = { ...process.env, AWS_ENDPOINT_URL: emulator!.endpoint, AWS_REGION: TEST_REGION, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' };
    // The default bound: 5 attempts of the publisher's request timeout, plus full-jitter backoff (ceilings 100..800 ms).
    const boundMs = DEFAULT_RETRY_POLICY.maxAttempts * SDK_TIMEOUTS.publisher.requestTimeoutMs + 1500;
    const fanout = (killAfterMs: number) =>
      new Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string; elapsedMs: number }>((resolve) => {
        const started = Date.now();
        // Killed well after the bound, so that the old code's endless wait fails the test instead of hanging it.
        execFile('npx', ['--no-install', 'fanout', ...args], { cwd: PROJECT_ROOT, env, timeout: killAfterMs, killSignal: 'SIGKILL' }, (error, stdout, stderr) => {
          const failed = error as (Error & { code?: unknown; signal?: string | null }) | null;
          resolve({
            code: failed ? (typeof failed.code === 'number' ? failed.code : null) : 0,
            signal: failed?.signal ?? null,
            stdout,
            stderr,
            elapsedMs: Date.now() - started,
          });
        });
      });

    const id = deterministicEventId('user.signed-up', 'usr_00000002/signed-up');
    const frozenRun = await whileFrozen(() => fanout(boundMs + 20_000));
    expect(frozenRun.signal, `killed after ${frozenRun.elapsedMs} ms: the publish never ended\n${frozenRun.stderr}`).toBeNull();
    expect(frozenRun.code, frozenRun.stderr).toBe(1);
    expect(frozenRun.stdout.trim()).toBe(id);
    expect(frozenRun.stderr).toMatch(/not published: SNS did not take user\.signed-up event \S+ after 5 attempts \(TimeoutError/);
    expect(frozenRun.stderr).toContain(`fanout publish user.signed-up --id ${id}`);
    expect(frozenRun.stderr).not.toMatch(/^published /m);
    // Its start-up (tsx, loading the CLI) is outside the bound.
    expect(frozenRun.elapsedMs).toBeLessThan(boundMs + 10_000);

    const thawedRun = await fanout(60_000);
    expect(thawedRun.code, thawedRun.stderr).toBe(0);
    expect(thawedRun.stdout.trim()).toBe(id);
    const delivered = await drain();
    expect(delivered.length).toBeGreaterThanOrEqual(1);
    expect(new Set(delivered.map((m) => parseEnvelope(m.Body!).id))).toEqual(new Set([id]));
  }, 120_000);
});
