/**
 * Request and connection timeouts on every SDK client Fanout builds (issue 9, break 10):
 * the shared settings, how a timeout is classified, and that the clients each caller
 * builds (consumer kit, publisher, CLI, local world) carry their caller's values. The
 * clients' handlers are read after one call to a closed loopback port (refused at once,
 * nothing listens there): NodeHttpHandler resolves its settings on its first request.
 * What a timeout does to a real call is test/integration/publish-timeouts.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { ListTopicsCommand, type SNSClient } from '@aws-sdk/client-sns';
import { ListQueuesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { ListRegistriesCommand, type GlueClient } from '@aws-sdk/client-glue';
import { isRetryableAwsError } from '../../contracts/aws-errors';
import { ConsumerEnv } from '../../contracts/consumer-environment';
import { isRetryableGlueError } from '../../contracts/glue-registry';
import { CONSUMER_SDK_TIMEOUTS, SDK_TIMEOUTS, sdkRequestHandler, withSdkTimeouts } from '../../contracts/sdk-client-config';
import { createPublisherSnsClient } from '../../client/publisher';
import { isRetryableSnsError } from '../../client/retry';
import { defaultPublishDeps } from '../../cli/publish';
import { createConsumerRuntime } from '../../lambdas/kit/runtime';
import { PIPELINE_DEFAULTS } from '../../model/pipeline-definition';
import { createEmulatorClients, destroyClients } from '../../local/materialize';

// Nothing listens on port 1: every request is refused at once.
const CLOSED = 'http://127.0.0.1:1';

/** The NodeHttpHandler settings `client` uses, after one (refused) request made it resolve them. */
async function handlerSettings(client: { send(command: never): Promise<unknown>; config: { requestHandler: unknown } }, command: unknown) {
  await client.send(command as never).catch(() => undefined);
  return (client.config.requestHandler as { httpHandlerConfigs(): Record<string, unknown> }).httpHandlerConfigs();
}

const expected = (caller: keyof typeof SDK_TIMEOUTS) => ({
  connectionTimeout: SDK_TIMEOUTS[caller].connectionTimeoutMs,
  requestTimeout: SDK_TIMEOUTS[caller].requestTimeoutMs,
  throwOnRequestTimeout: true,
});

describe('withSdkTimeouts', () => {
  it('adds both timeouts, and makes the request timeout throw instead of only warning', () => {
    expect(withSdkTimeouts({ region: 'eu-west-1' }, SDK_TIMEOUTS.consumer)).toEqual({
      region: 'eu-west-1',
      requestHandler: { connectionTimeout: 3000, requestTimeout: 5000, throwOnRequestTimeout: true },
    });
    expect(withSdkTimeouts({}, { connectionTimeoutMs: 100, requestTimeoutMs: 200 }).requestHandler).toEqual(sdkRequestHandler({ connectionTimeoutMs: 100, requestTimeoutMs: 200 }));
  });

  it('keeps a request handler the caller chose', () => {
    const requestHandler = { handle: async () => ({}) };
    expect(withSdkTimeouts({ region: 'r', requestHandler }, SDK_TIMEOUTS.cli).requestHandler).toBe(requestHandler);
  });

  it('gives each caller a bound it can afford', () => {
    // A consumer call's worst case, 3 SDK attempts, fits well inside the function timeout.
    expect(3 * SDK_TIMEOUTS.consumer.requestTimeoutMs).toBeLessThan((PIPELINE_DEFAULTS.timeoutSeconds * 1000) / 1.5);
    // The local world long-polls SQS for up to 20 s (WaitTimeSeconds' maximum): never cut short.
    expect(SDK_TIMEOUTS.local.requestTimeoutMs).toBeGreaterThan(20_000);
    for (const timeouts of Object.values(SDK_TIMEOUTS)) expect(timeouts.connectionTimeoutMs).toBeLessThanOrEqual(timeouts.requestTimeoutMs);
    // The kit's own copy (kept apart for the bundle size) is the table's.
    expect(CONSUMER_SDK_TIMEOUTS).toEqual(SDK_TIMEOUTS.consumer);
  });
});

describe('a timed-out call is transient', () => {
  // The shapes NodeHttpHandler rejects with: request timeout, connection timeout, socket inactivity.
  const timeouts = [
    Object.assign(new Error('a request has exceeded the configured 5000 ms requestTimeout.'), { name: 'TimeoutError', code: 'ETIMEDOUT', $metadata: { attempts: 1, totalRetryDelay: 0 } }),
    Object.assign(new Error('the request socket did not establish a connection with the server within the configured timeout of 3000 ms.'), { name: 'TimeoutError' }),
    Object.assign(new Error('the request socket timed out after 5000 ms of inactivity'), { name: 'TimeoutError' }),
  ];

  it.each(timeouts.map((e) => [e.message, e]))('%s: retryable for the shared classifier, SNS and Glue', (_message, error) => {
    expect(isRetryableAwsError(error, new Set())).toBe(true);
    expect(isRetryableSnsError(error)).toBe(true);
    expect(isRetryableGlueError(error)).toBe(true);
  });
});

describe('the clients each caller builds carry its timeouts', () => {
  beforeEach(() => {
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });
  const credentials = { accessKeyId: 'k', secretAccessKey: 's' };

  it('consumer kit: its DynamoDB client', async () => {
    const runtime = createConsumerRuntime(
      {
        [ConsumerEnv.ConsumerName]: 'crm-sync',
        [ConsumerEnv.QueueUrl]: `${CLOSED}/q`,
        [ConsumerEnv.DeadLetterQueueUrl]: `${CLOSED}/dlq`,
        [ConsumerEnv.IdempotencyTableName]: 'idem',
        [ConsumerEnv.IdempotencyExpirySeconds]: '1296000',
        [ConsumerEnv.SchemaRegistryName]: 'contracts',
        [ConsumerEnv.DownstreamKind]: 'dynamodb',
        [ConsumerEnv.DownstreamTableName]: 'downstream',
        [ConsumerEnv.Fifo]: 'false',
      },
      { clientConfig: { region: 'us-east-1', endpoint: CLOSED, credentials, maxAttempts: 1 } },
    );
    expect(await handlerSettings(runtime.clients.dynamodb, new ListTablesCommand({}))).toMatchObject(expected('consumer'));
  });

  it('publisher: its SNS client, unless the producer passes its own timeouts', async () => {
    const sns = createPublisherSnsClient({ region: 'us-east-1', endpoint: CLOSED, credentials });
    const tuned = createPublisherSnsClient({ region: 'us-east-1', endpoint: CLOSED, credentials }, { connectionTimeoutMs: 500, requestTimeoutMs: 1500 });
    try {
      expect(await handlerSettings(sns, new ListTopicsCommand({}))).toMatchObject(expected('publisher'));
      expect(await handlerSettings(tuned, new ListTopicsCommand({}))).toMatchObject({ connectionTimeout: 500, requestTimeout: 1500, throwOnRequestTimeout: true });
    } finally {
      sns.destroy();
      tuned.destroy();
    }
  });

  it('fanout publish: the publisher’s SNS client and a CLI Glue client', async () => {
    vi.stubEnv('AWS_ENDPOINT_URL', CLOSED);
    vi.stubEnv('AWS_REGION', 'us-east-1');
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'k');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 's');
    vi.stubEnv('AWS_MAX_ATTEMPTS', '1');
    const deps = defaultPublishDeps();
    try {
      expect(await handlerSettings(deps.sns as SNSClient, new ListTopicsCommand({}))).toMatchObject(expected('publisher'));
      expect(await handlerSettings(deps.glue as GlueClient, new ListRegistriesCommand({}))).toMatchObject(expected('cli'));
    } finally {
      deps.sns.destroy();
      deps.glue.destroy();
    }
  });

  it('local world: the materializer’s and poller’s clients', async () => {
    const clients = createEmulatorClients(CLOSED, 'us-east-1');
    try {
      expect(await handlerSettings(clients.sqs as SQSClient, new ListQueuesCommand({}))).toMatchObject(expected('local'));
    } finally {
      destroyClients(clients);
    }
  });
});
