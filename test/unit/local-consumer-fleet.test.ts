import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import { ConsumerEnv } from '../../contracts/consumer-environment';
import { lambdaServiceEnvironment, startConsumers, stopConsumers } from '../../local/consumer-fleet';
import { InvocationProblemKind, type InvocationProblem } from '../../local/function-runtime';
import type { MaterializedStack } from '../../local/materialize';
import { liveChildPids } from '../../local/processes';

afterEach(() => {
  vi.useRealTimers();
});

describe('stopConsumers', () => {
  it('leaves no grace timer behind once the pollers have stopped (it would hold the process open)', async () => {
    vi.useFakeTimers();
    await stopConsumers([], { graceMs: 5000 });
    expect(vi.getTimerCount()).toBe(0);
  });
});

/**
 * A queue in memory for the poller: hands out the given batches one receive at a time,
 * then nothing; records what was deleted. A stand-in for SQS, so the fleet's wiring is
 * tested without the emulator (the poller's SQS semantics have their integration test).
 */
class FakeQueue {
  readonly deleted: string[] = [];
  constructor(private readonly batches: string[][]) {}

  async send(command: unknown): Promise<unknown> {
    if (command instanceof ReceiveMessageCommand) {
      const bodies = this.batches.shift();
      if (!bodies) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        return { Messages: [] };
      }
      const messages: Message[] = bodies.map((body, i) => ({
        MessageId: `${body}-${i}`,
        ReceiptHandle: `${body}-${i}`,
        Body: body,
        Attributes: { ApproximateReceiveCount: '1', SentTimestamp: '0', SenderId: 'local', ApproximateFirstReceiveTimestamp: '0' },
      }));
      return { Messages: messages };
    }
    if (command instanceof DeleteMessageBatchCommand) {
      const entries = command.input.Entries ?? [];
      this.deleted.push(...entries.map((e) => e.ReceiptHandle!));
      return { Successful: entries.map((e) => ({ Id: e.Id })), Failed: [] };
    }
    return {};
  }
}

const scratch = mkdtempSync(join(tmpdir(), 'fanout-fleet-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function stackWith(assetFile: string): MaterializedStack {
  return {
    stackName: 'fixture',
    region: 'us-east-1',
    accountId: '123456789012',
    resources: new Map(),
    outputs: {},
    functions: [
      {
        logicalId: 'Fn',
        functionName: 'fanout-fixture',
        assetFile,
        handlerExport: 'handler',
        handler: 'index.handler',
        runtime: 'nodejs24.x',
        environment: { [ConsumerEnv.ConsumerName]: 'fixture' },
        timeoutSeconds: 20,
        memoryMiB: 128,
      },
    ],
    eventSourceMappings: [
      {
        logicalId: 'Esm',
        uuid: 'esm',
        functionLogicalId: 'Fn',
        queueUrl: 'http://127.0.0.1:1/123456789012/fixture',
        queueArn: 'arn:aws:sqs:us-east-1:123456789012:fixture',
        batchSize: 10,
        maximumBatchingWindowSeconds: 0,
        maximumConcurrency: 1,
        localConcurrency: 1,
        reportBatchItemFailures: true,
        enabled: true,
        fifo: false,
      },
    ],
    subscriptions: [],
    notes: [],
  };
}

describe('lambdaServiceEnvironment', () => {
  const stack = stackWith(join(scratch, 'index.mjs'));
  const spec = stack.functions[0]!;

  it('points the SDK at the emulator, and its DynamoDB calls at the DynamoDB process when there is one', () => {
    expect(lambdaServiceEnvironment(spec, stack, 'http://127.0.0.1:1', 'http://127.0.0.1:2')).toMatchObject({
      AWS_ENDPOINT_URL: 'http://127.0.0.1:1',
      AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:2',
    });
    const oneProcess = lambdaServiceEnvironment(spec, stack, 'http://127.0.0.1:1');
    expect(oneProcess.AWS_ENDPOINT_URL).toBe('http://127.0.0.1:1');
    expect(oneProcess).not.toHaveProperty('AWS_ENDPOINT_URL_DYNAMODB');
  });
});

describe('startConsumers', () => {
  it('tells onInvocationProblem of a consumer whose environment died mid-batch, and runs the next batch in a fresh one', async () => {
    const assetFile = join(scratch, 'index.mjs');
    writeFileSync(
      assetFile,
      `export const handler = async (event) => {
        if (event.Records[0].body === 'kill-self') process.kill(process.pid, 'SIGKILL');
        return { batchItemFailures: [] };
      };`,
    );
    const queue = new FakeQueue([['kill-self', 'a', 'b'], ['ok']]);
    const problems: InvocationProblem[] = [];
    const logDir = join(scratch, 'logs');
    const consumers = await startConsumers({
      stack: stackWith(assetFile),
      endpoint: 'http://127.0.0.1:1',
      sqs: queue as unknown as SQSClient,
      logDir,
      runtimeDir: join(scratch, 'runtime'),
      onInvocationProblem: (problem) => problems.push(problem),
    });
    try {
      const deadline = Date.now() + 15_000;
      while (queue.deleted.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      // The crashed batch was not deleted (its messages come back); the next one was.
      expect(queue.deleted).toEqual(['ok-0']);
      expect(problems).toEqual([
        expect.objectContaining({ consumer: 'fixture', kind: InvocationProblemKind.Crash, records: 3, description: 'Runtime exited with error: signal: killed' }),
      ]);
      // What a chaos test reads off a running consumer.
      expect(consumers[0]!.function.stats).toMatchObject({ crashes: 1, timeouts: 0, initFailures: 0, coldStarts: 2 });
    } finally {
      await stopConsumers(consumers, { graceMs: 1000 });
    }
    expect(readFileSync(join(logDir, 'fixture.log'), 'utf8')).toContain(`RequestId: ${problems[0]!.requestId} Error: Runtime exited with error: signal: killed`);
    expect(liveChildPids()).toEqual([]);
  });
});
