/**
 * The local event source mapping and function runtime together, against the emulator:
 * a real queue, real child processes running a small handler module (written here as a
 * stand-in for a cdk.out asset), real deletes and redeliveries.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { emulatorClientConfig, TEST_REGION, uniqueName } from '../support/aws';
import { EventSourcePoller, type BatchReport, type EventSourceMappingConfig } from '../../local/event-source-poller';
import { buildEnvironmentRuntime, FunctionStartError, LocalFunction } from '../../local/function-runtime';
import { liveChildPids } from '../../local/processes';

// The handler every test runs; FIXTURE_MODE chooses its behaviour. It prints one JSON
// line per invocation, which the test reads back through the runtime's log lines.
const HANDLER = `
if (process.env.FIXTURE_MODE === 'import-crash') throw new Error('boom at import');
// Output that arrives after the environment's process has exited: a helper process it
// started shares its stdout and, when stopped with it, still writes for a moment.
if (process.env.FIXTURE_MODE === 'noisy-stop') {
  const { spawn } = await import('node:child_process');
  const helper = spawn(process.execPath, ['-e', [
    "process.on('SIGTERM', () => setTimeout(() => {",
    "  let text = '';",
    "  for (let i = 0; i < 200; i += 1) text += 'stopping ' + i + '\\\\n';",
    "  process.stdout.write(text + 'last line before exit\\\\n', () => process.exit(0));",
    "}, 300));",
    "setInterval(() => {}, 1000);",
    "process.send('ready');",
  ].join('\\n')], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  await new Promise((resolve) => helper.once('message', resolve));
  helper.disconnect();
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const handler = async (event, context) => {
  const records = event.Records.map((r) => ({ id: r.messageId, body: r.body, group: r.attributes.MessageGroupId, count: Number(r.attributes.ApproximateReceiveCount) }));
  const start = Date.now();
  const first = records.some((r) => r.count === 1);
  const mode = process.env.FIXTURE_MODE;
  if (mode === 'slow' || mode === 'fifo') await sleep(Number(process.env.FIXTURE_SLEEP_MS));
  console.log(JSON.stringify({ fixture: 'invoke', pid: process.pid, start, end: Date.now(), records, remaining: context.getRemainingTimeInMillis(), event }));
  if (mode === 'throw-once' && first) throw new Error('failing the whole batch');
  if (mode === 'crash-once' && first) process.exit(3);
  if (mode === 'timeout-once' && first) await sleep(60_000);
  if (mode === 'partial') {
    return { batchItemFailures: records.filter((r) => r.body.includes('fail') && r.count === 1).map((r) => ({ itemIdentifier: r.id })) };
  }
  return { batchItemFailures: [] };
};
`;

interface Invocation {
  pid: number;
  start: number;
  end: number;
  remaining: number;
  records: { id: string; body: string; group?: string; count: number }[];
  event: { Records: Record<string, unknown>[] };
}

let sqs: SQSClient;
let assetFile: string;
let runtime: string;
const running: { poller?: EventSourcePoller; fn?: LocalFunction }[] = [];

beforeAll(() => {
  sqs = new SQSClient(emulatorClientConfig());
  const dir = mkdtempSync(join(tmpdir(), 'fanout-asset-'));
  assetFile = join(dir, 'index.mjs');
  writeFileSync(assetFile, HANDLER);
  runtime = buildEnvironmentRuntime(join(dir, 'runtime'));
});

afterEach(async () => {
  for (const { poller, fn } of running.splice(0)) {
    await poller?.stop();
    await fn?.stop();
  }
  expect(liveChildPids()).toEqual([]);
});

async function createQueue(options: { fifo?: boolean; visibilityTimeout?: number } = {}) {
  const name = uniqueName('esm') + (options.fifo ? '.fifo' : '');
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({
      QueueName: name,
      Attributes: { VisibilityTimeout: String(options.visibilityTimeout ?? 1), ...(options.fifo && { FifoQueue: 'true', ContentBasedDeduplication: 'true' }) },
    }),
  );
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  return { queueUrl: QueueUrl!, queueArn: Attributes!.QueueArn! };
}

async function send(queueUrl: string, bodies: string[], group?: (i: number) => string) {
  for (let i = 0; i < bodies.length; i += 10) {
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: bodies.slice(i, i + 10).map((body, j) => ({
          Id: String(j),
          MessageBody: body,
          MessageAttributes: { type: { DataType: 'String', StringValue: 'test.event' } },
          ...(group && { MessageGroupId: group(i + j) }),
        })),
      }),
    );
  }
}

async function depth(queueUrl: string): Promise<number> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
  );
  return Number(Attributes!.ApproximateNumberOfMessages) + Number(Attributes!.ApproximateNumberOfMessagesNotVisible);
}

function run(
  queue: { queueUrl: string; queueArn: string },
  mapping: Partial<EventSourceMappingConfig>,
  fixture: Record<string, string>,
  options: { timeoutMs?: number; maxConsecutiveInitFailures?: number } = {},
) {
  const invocations: Invocation[] = [];
  const batches: BatchReport[] = [];
  const logFile = join(assetFile, '..', `${uniqueName('log')}.log`);
  const fn = new LocalFunction(
    {
      name: 'fixture',
      functionName: 'fixture-fn',
      assetFile,
      handlerExport: 'handler',
      environment: { PATH: process.env.PATH ?? '', ...fixture },
      timeoutMs: options.timeoutMs ?? 5000,
      memoryMiB: 128,
      region: TEST_REGION,
      accountId: '123456789012',
      logFile,
      maxConsecutiveInitFailures: options.maxConsecutiveInitFailures,
      onLogLine: (line) => {
        if (line.startsWith('{"fixture"')) invocations.push(JSON.parse(line) as Invocation);
      },
    },
    runtime,
  );
  const poller = new EventSourcePoller(
    {
      ...queue,
      region: TEST_REGION,
      batchSize: 10,
      maximumBatchingWindowSeconds: 0,
      maximumConcurrency: 2,
      reportBatchItemFailures: true,
      fifo: false,
      ...mapping,
    },
    sqs,
    fn,
    { waitTimeSeconds: 1, onBatch: (report) => batches.push(report) },
  );
  running.push({ poller, fn });
  return { fn, poller, invocations, batches, logFile };
}

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

const bodies = (n: number, prefix = 'ok') => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

describe('local event source mapping', () => {
  it('hands the function Lambda-shaped records and deletes what succeeded', async () => {
    const queue = await createQueue();
    await send(queue.queueUrl, bodies(5));
    const { poller, invocations } = run(queue, {}, { FIXTURE_MODE: 'ok' });
    poller.start();
    await until(async () => invocations.flatMap((i) => i.records).length >= 5 && (await depth(queue.queueUrl)) === 0);
    const record = invocations[0]!.event.Records[0]!;
    expect(record).toMatchObject({
      eventSource: 'aws:sqs',
      eventSourceARN: queue.queueArn,
      awsRegion: TEST_REGION,
      messageAttributes: { type: { stringValue: 'test.event', dataType: 'String', stringListValues: [], binaryListValues: [] } },
    });
    expect(Object.keys(record).sort()).toEqual(
      ['attributes', 'awsRegion', 'body', 'eventSource', 'eventSourceARN', 'md5OfBody', 'md5OfMessageAttributes', 'messageAttributes', 'messageId', 'receiptHandle'].sort(),
    );
    expect(Object.keys(record.attributes as object)).toEqual(
      expect.arrayContaining(['ApproximateReceiveCount', 'SentTimestamp', 'SenderId', 'ApproximateFirstReceiveTimestamp']),
    );
    // The context counts down from the function timeout.
    expect(invocations[0]!.remaining).toBeGreaterThan(3000);
    expect(invocations[0]!.remaining).toBeLessThanOrEqual(5000);
    expect(poller.stats.deleted).toBe(5);
  });

  it('leaves reported item failures to the visibility timeout and deletes the rest', async () => {
    const queue = await createQueue({ visibilityTimeout: 1 });
    await send(queue.queueUrl, [...bodies(4), 'fail-a', 'fail-b']);
    const { poller, invocations } = run(queue, {}, { FIXTURE_MODE: 'partial' });
    poller.start();
    await until(async () => (await depth(queue.queueUrl)) === 0 && poller.stats.deleted === 6);
    const retried = invocations.flatMap((i) => i.records).filter((r) => r.count === 2).map((r) => r.body).sort();
    expect(retried).toEqual(['fail-a', 'fail-b']);
    expect(poller.stats.failedRecords).toBe(2);
    expect(poller.stats.redelivered).toBe(2);
  });

  it('redelivers the whole batch when the handler throws', async () => {
    const queue = await createQueue({ visibilityTimeout: 1 });
    await send(queue.queueUrl, bodies(3));
    // One batch at a time, so one environment is all it takes unless one is discarded.
    const { poller, invocations, fn } = run(queue, { maximumConcurrency: 1 }, { FIXTURE_MODE: 'throw-once' });
    poller.start();
    await until(async () => poller.stats.deleted === 3 && (await depth(queue.queueUrl)) === 0);
    const counts = invocations.flatMap((i) => i.records).map((r) => r.count);
    expect(counts.filter((c) => c === 1)).toHaveLength(3);
    expect(counts.filter((c) => c === 2)).toHaveLength(3);
    expect(fn.stats.handlerErrors).toBeGreaterThanOrEqual(1);
    // A handled error keeps the environment: no new cold start for the retry.
    expect(fn.stats.coldStarts).toBe(1);
    expect(new Set(invocations.map((i) => i.pid)).size).toBe(1);
    expect(fn.stats.crashes).toBe(0);
  });

  it('restarts an environment that crashes mid-batch and redelivers its messages', async () => {
    const queue = await createQueue({ visibilityTimeout: 1 });
    await send(queue.queueUrl, bodies(3));
    const { poller, invocations, fn } = run(queue, { maximumConcurrency: 2 }, { FIXTURE_MODE: 'crash-once' });
    poller.start();
    await until(async () => poller.stats.deleted === 3 && (await depth(queue.queueUrl)) === 0);
    expect(fn.stats.crashes).toBeGreaterThanOrEqual(1);
    expect(poller.stats.failedBatches).toBeGreaterThanOrEqual(1);
    const pids = new Set(invocations.map((i) => i.pid));
    expect(pids.size).toBeGreaterThanOrEqual(2);
    expect(invocations.flatMap((i) => i.records).filter((r) => r.count === 2)).toHaveLength(3);
  });

  it('kills a function that exceeds its timeout and fails its batch', async () => {
    const queue = await createQueue({ visibilityTimeout: 2 });
    await send(queue.queueUrl, bodies(2));
    const { poller, fn } = run(queue, { maximumConcurrency: 2 }, { FIXTURE_MODE: 'timeout-once' }, { timeoutMs: 1000 });
    poller.start();
    await until(async () => poller.stats.deleted === 2 && (await depth(queue.queueUrl)) === 0);
    expect(fn.stats.timeouts).toBeGreaterThanOrEqual(1);
    expect(poller.stats.timeouts).toBeGreaterThanOrEqual(1);
  });

  it('never runs more batches at once than the maximum concurrency, and reaches it', async () => {
    const queue = await createQueue({ visibilityTimeout: 30 });
    await send(queue.queueUrl, bodies(40));
    // What is measured is concurrency, not speed: a generous function timeout and deadline
    // keep a loaded CI machine (a cold start beside the end-to-end run) from failing a
    // batch and waiting out its 30 s visibility timeout.
    const { poller, invocations, fn } = run(queue, { maximumConcurrency: 3, batchSize: 2 }, { FIXTURE_MODE: 'slow', FIXTURE_SLEEP_MS: '150' }, { timeoutMs: 20_000 });
    poller.start();
    await until(() => poller.stats.deleted === 40, 50_000);
    // Most handler runs overlapping at one instant (a sweep over start/end times).
    const edges = invocations.flatMap((i) => [[i.start, 1] as const, [i.end, -1] as const]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let open = 0;
    let peak = 0;
    for (const [, step] of edges) peak = Math.max(peak, (open += step));
    expect(peak).toBe(3);
    expect(poller.stats.peakInFlightBatches).toBe(3);
    expect(Math.max(...invocations.map((i) => i.records.length))).toBeLessThanOrEqual(2);
    expect(fn.stats.coldStarts).toBeLessThanOrEqual(3);
  });

  it('gathers batches larger than 10 within the batching window', async () => {
    const queue = await createQueue({ visibilityTimeout: 30 });
    await send(queue.queueUrl, bodies(25));
    const { poller, invocations } = run(queue, { batchSize: 25, maximumBatchingWindowSeconds: 2 }, { FIXTURE_MODE: 'ok' });
    poller.start();
    await until(() => poller.stats.deleted === 25);
    expect(Math.max(...invocations.map((i) => i.records.length))).toBeGreaterThan(10);
  });

  it('FIFO: keeps order per message group and never has one group in two batches at once', async () => {
    const queue = await createQueue({ fifo: true, visibilityTimeout: 30 });
    const groupOf = (i: number) => `g${i % 3}`;
    await send(queue.queueUrl, bodies(30), groupOf);
    const { poller, invocations } = run(queue, { fifo: true, maximumConcurrency: 3, batchSize: 4 }, { FIXTURE_MODE: 'fifo', FIXTURE_SLEEP_MS: '100' }, { timeoutMs: 20_000 });
    poller.start();
    await until(() => poller.stats.deleted === 30, 50_000);
    for (const group of ['g0', 'g1', 'g2']) {
      const seen = invocations.flatMap((i) => i.records).filter((r) => r.group === group).map((r) => Number(r.body.split('-')[1]));
      expect(seen).toEqual([...seen].sort((a, b) => a - b));
      const holding = invocations.filter((i) => i.records.some((r) => r.group === group));
      for (const a of holding) expect(holding.filter((b) => b !== a && b.start < a.end && a.start < b.end)).toEqual([]);
    }
  });

  it('hands back, visible at once, what a receive still in progress brings in after stop()', async () => {
    const queue = await createQueue({ visibilityTimeout: 60 });
    const { poller, invocations } = run(queue, { maximumConcurrency: 1 }, { FIXTURE_MODE: 'ok' });
    poller.start();
    // The poller is now waiting in a long poll on the empty queue.
    await new Promise((r) => setTimeout(r, 300));
    const stopped = poller.stop();
    await send(queue.queueUrl, ['late']);
    await stopped;
    expect(invocations).toEqual([]);
    const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queue.queueUrl, WaitTimeSeconds: 0, MessageSystemAttributeNames: ['All'] }));
    expect(Messages?.map((m) => m.Body)).toEqual(['late']);
    // Received once by the poller and handed back, not merely never received.
    expect(Messages?.[0]?.Attributes?.ApproximateReceiveCount).toBe('2');
  });

  it('writes every line an environment prints while stopping to the log before closing it', async () => {
    const queue = await createQueue();
    const { fn, logFile } = run(queue, {}, { FIXTURE_MODE: 'noisy-stop' });
    await fn.warmUp();
    // Lines arriving after the environment's 'exit' used to hit the ended log: ERR_STREAM_WRITE_AFTER_END, uncaught.
    await fn.stop();
    const lines = readFileSync(logFile, 'utf8').split('\n');
    expect(lines.filter((line) => line.startsWith('stopping '))).toHaveLength(200);
    expect(lines).toContain('last line before exit');
  });

  it('declares a function that crashes at import broken after repeated attempts', async () => {
    const queue = await createQueue();
    const { fn } = run(queue, {}, { FIXTURE_MODE: 'import-crash' }, { maxConsecutiveInitFailures: 2 });
    const error = await fn.warmUp().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FunctionStartError);
    expect((error as Error).message).toMatch(/boom at import/);
    expect((error as Error).message).toMatch(/2 times in a row/);
    expect(fn.stats.initFailures).toBe(2);
  });
});
