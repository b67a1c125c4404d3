import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Context } from 'aws-lambda';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ConsumerEnv } from '../../contracts/consumer-environment';
import { ConsumerConfigurationError } from '../../lambdas/kit/errors';
import { createConsumerRuntime } from '../../lambdas/kit/runtime';
import { fileResolver } from './kit-fakes';

const ENV = {
  [ConsumerEnv.ConsumerName]: 'crm-sync',
  [ConsumerEnv.QueueUrl]: 'http://127.0.0.1:1/q',
  [ConsumerEnv.DeadLetterQueueUrl]: 'http://127.0.0.1:1/dlq',
  [ConsumerEnv.IdempotencyTableName]: 'idem',
  [ConsumerEnv.IdempotencyExpirySeconds]: '1296000',
  [ConsumerEnv.SchemaRegistryName]: 'fanout-sample-contracts',
  [ConsumerEnv.DownstreamKind]: 'dynamodb',
  [ConsumerEnv.DownstreamTableName]: 'downstream',
  [ConsumerEnv.Fifo]: 'false',
  POWERTOOLS_METRICS_NAMESPACE: 'Fanout/fanout-sample',
};

beforeEach(() => {
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');
});
afterEach(() => {
  vi.unstubAllEnvs();
});

describe('consumer runtime (composition root)', () => {
  it('builds everything once from the environment, without calling AWS', async () => {
    const runtime = createConsumerRuntime(
      { ...ENV, [ConsumerEnv.RetryBaseDelaySeconds]: '20', [ConsumerEnv.RetryMaxDelaySeconds]: '600' },
      { clientConfig: { region: 'eu-west-1', endpoint: 'http://127.0.0.1:1' } },
    );
    expect(runtime.settings).toMatchObject({ consumer: 'crm-sync', idempotencyTableName: 'idem', fifo: false, retryBaseDelaySeconds: 20, retryMaxDelaySeconds: 600 });
    // The client the downstream adapters share is a DynamoDB client with the given endpoint and region.
    const dynamodb = runtime.clients.dynamodb;
    expect(dynamodb).toBeInstanceOf(DynamoDBClient);
    expect(await dynamodb.config.region()).toBe('eu-west-1');
    const endpoint = await dynamodb.config.endpoint!();
    expect(`${endpoint.protocol}//${endpoint.hostname}:${endpoint.port}`).toBe('http://127.0.0.1:1');
    const handler = runtime.handler({});
    expect(typeof handler).toBe('function');
    expect(handler.length).toBe(2);
  });

  it('answers an empty batch without any AWS call', async () => {
    const runtime = createConsumerRuntime(ENV, { resolver: fileResolver(), clientConfig: { region: 'us-east-1', endpoint: 'http://127.0.0.1:1', maxAttempts: 1 } });
    const handler = runtime.handler({});
    const context = { functionName: 'f', awsRequestId: 'r', getRemainingTimeInMillis: () => 1000 } as unknown as Context;
    expect(await handler({ Records: [] }, context)).toEqual({ batchItemFailures: [] });
  });

  it('fails the container start, loudly, when a variable is missing', () => {
    const { [ConsumerEnv.IdempotencyTableName]: _missing, ...rest } = ENV;
    expect(() => createConsumerRuntime(rest)).toThrow(ConsumerConfigurationError);
    expect(() => createConsumerRuntime(rest)).toThrow(/FANOUT_IDEMPOTENCY_TABLE_NAME/);
  });
});
