import { describe, expect, it } from 'vitest';
import { ConsumerEnv } from '../../contracts/consumer-environment';
import { readConsumerSettings } from '../../lambdas/kit/environment';
import { ConsumerConfigurationError } from '../../lambdas/kit/errors';

const ENV = {
  [ConsumerEnv.ConsumerName]: 'crm-sync',
  [ConsumerEnv.QueueUrl]: 'https://sqs.us-east-1.amazonaws.com/123456789012/crm-sync',
  [ConsumerEnv.DeadLetterQueueUrl]: 'https://sqs.us-east-1.amazonaws.com/123456789012/crm-sync-dlq',
  [ConsumerEnv.IdempotencyTableName]: 'idem',
  [ConsumerEnv.IdempotencyExpirySeconds]: '1296000',
  [ConsumerEnv.SchemaRegistryName]: 'fanout-sample-contracts',
  [ConsumerEnv.Fifo]: 'false',
};

describe('consumer settings from the environment', () => {
  it('reads every variable the stack sets', () => {
    expect(readConsumerSettings(ENV)).toEqual({
      consumer: 'crm-sync',
      queueUrl: ENV[ConsumerEnv.QueueUrl],
      deadLetterQueueUrl: ENV[ConsumerEnv.DeadLetterQueueUrl],
      fifo: false,
      idempotencyTableName: 'idem',
      idempotencyExpirySeconds: 1_296_000,
      schemaRegistryName: 'fanout-sample-contracts',
    });
  });

  it('treats a .fifo queue as FIFO even without the flag', () => {
    const { [ConsumerEnv.Fifo]: _flag, ...rest } = ENV;
    expect(readConsumerSettings({ ...rest, [ConsumerEnv.QueueUrl]: 'https://x/q.fifo' }).fifo).toBe(true);
    expect(readConsumerSettings({ ...ENV, [ConsumerEnv.Fifo]: 'TRUE' }).fifo).toBe(true);
  });

  it.each([
    [ConsumerEnv.ConsumerName, undefined, /FANOUT_CONSUMER_NAME is not set/],
    [ConsumerEnv.QueueUrl, ' ', /FANOUT_QUEUE_URL is not set/],
    [ConsumerEnv.IdempotencyExpirySeconds, '15d', /positive whole number/],
    [ConsumerEnv.IdempotencyExpirySeconds, '0', /positive whole number/],
    [ConsumerEnv.Fifo, 'yes', /"true" or "false"/],
  ])('refuses %s=%s', (name, value, message) => {
    expect(() => readConsumerSettings({ ...ENV, [name]: value })).toThrow(ConsumerConfigurationError);
    expect(() => readConsumerSettings({ ...ENV, [name]: value })).toThrow(message);
  });
});
