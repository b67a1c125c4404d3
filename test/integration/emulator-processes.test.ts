/**
 * The emulator with DynamoDB in a process of its own (`npm start`'s, so that both cores
 * work): each process serves its own services' state, the variables the consumers get
 * send every SDK call to the right one, and the pair starts, resets, dies and stops as one.
 */
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emulatorEndpointEnvironment, startEmulator, type Emulator } from '../../local/emulator';
import { createPkTable, TEST_REGION, uniqueName } from '../support/aws';

const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Sets `environment` in this process until the returned function restores it: the SDK
 * reads its endpoint variables when a call is made, not when the client is built.
 */
function setEnvironment(environment: Record<string, string>): () => void {
  const saved = Object.fromEntries(Object.keys(environment).map((name) => [name, process.env[name]]));
  Object.assign(process.env, environment);
  return () => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}

describe('an emulator with DynamoDB in a process of its own', () => {
  let emulator: Emulator;
  // Built the way a consumer's SDK is: from its environment alone, no `endpoint` option.
  let dynamodb: DynamoDBClient;
  let sqs: SQSClient;
  let restoreEnvironment: (() => void) | undefined;

  beforeAll(async () => {
    emulator = await startEmulator({ dynamodbProcess: true });
    restoreEnvironment = setEnvironment(emulatorEndpointEnvironment(emulator));
    dynamodb = new DynamoDBClient({ region: TEST_REGION, credentials });
    sqs = new SQSClient({ region: TEST_REGION, credentials });
  });
  afterAll(async () => {
    restoreEnvironment?.();
    dynamodb?.destroy();
    sqs?.destroy();
    await emulator?.stop();
  });

  it('runs two processes on two endpoints, and says so in the variables a consumer gets', () => {
    expect(emulator.dynamodbEndpoint).not.toBe(emulator.endpoint);
    expect(new Set(emulator.pids).size).toBe(2);
    expect(emulator.pids).toContain(emulator.pid);
    expect(emulatorEndpointEnvironment(emulator)).toEqual({ AWS_ENDPOINT_URL: emulator.endpoint, AWS_ENDPOINT_URL_DYNAMODB: emulator.dynamodbEndpoint });
  });

  it('serves DynamoDB from its own process and every other service from the first, reached through those variables', async () => {
    const table = uniqueName('own-process');
    const queue = uniqueName('first-process');
    await createPkTable(dynamodb, table);
    await sqs.send(new CreateQueueCommand({ QueueName: queue }));

    const onDynamoDbProcess = new DynamoDBClient({ endpoint: emulator.dynamodbEndpoint, region: TEST_REGION, credentials });
    const onFirstProcess = new DynamoDBClient({ endpoint: emulator.endpoint, region: TEST_REGION, credentials });
    const sqsOnDynamoDbProcess = new SQSClient({ endpoint: emulator.dynamodbEndpoint, region: TEST_REGION, credentials });
    try {
      expect((await onDynamoDbProcess.send(new ListTablesCommand({}))).TableNames).toContain(table);
      expect((await onFirstProcess.send(new ListTablesCommand({}))).TableNames ?? []).not.toContain(table);
      expect((await sqs.send(new ListQueuesCommand({ QueueNamePrefix: queue }))).QueueUrls).toHaveLength(1);
      expect((await sqsOnDynamoDbProcess.send(new ListQueuesCommand({ QueueNamePrefix: queue }))).QueueUrls ?? []).toEqual([]);
    } finally {
      onDynamoDbProcess.destroy();
      onFirstProcess.destroy();
      sqsOnDynamoDbProcess.destroy();
    }
  });

  it('clears both processes on reset', async () => {
    const table = uniqueName('reset');
    const queue = uniqueName('reset');
    await createPkTable(dynamodb, table);
    await sqs.send(new CreateQueueCommand({ QueueName: queue }));
    await emulator.reset();
    expect((await dynamodb.send(new ListTablesCommand({}))).TableNames ?? []).not.toContain(table);
    expect((await sqs.send(new ListQueuesCommand({ QueueNamePrefix: queue }))).QueueUrls ?? []).toEqual([]);
  });
});

describe('the two processes live and die as one emulator', () => {
  it('ends when its DynamoDB process dies, saying which, and stopping it leaves no process', async () => {
    const emulator = await startEmulator({ dynamodbProcess: true });
    const pids = [...emulator.pids!];
    try {
      const dynamodbPid = pids.find((pid) => pid !== emulator.pid)!;
      process.kill(dynamodbPid, 'SIGKILL');
      await expect(emulator.exited).resolves.toMatch(/^the DynamoDB process: killed by SIGKILL/);
    } finally {
      await emulator.stop();
    }
    await until(() => !pids.some(alive));
    expect(pids.filter(alive)).toEqual([]);
  });

  it('starts one process unless asked for two: DynamoDB is then served at the one endpoint', async () => {
    const emulator = await startEmulator();
    try {
      expect(emulator.dynamodbEndpoint).toBe(emulator.endpoint);
      expect(emulator.pids).toEqual([emulator.pid]);
      expect(emulatorEndpointEnvironment(emulator)).toEqual({ AWS_ENDPOINT_URL: emulator.endpoint });
    } finally {
      await emulator.stop();
    }
  });
});
