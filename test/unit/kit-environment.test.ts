import { describe, expect, it } from 'vitest';
import { ConsumerEnv } from '../../contracts/consumer-environment';
import { readConsumerSettings, requiredVariable } from '../../lambdas/kit/environment';
import { ConsumerConfigurationError } from '../../lambdas/kit/errors';
import { DownstreamConfigurationError } from '../../lambdas/downstream/errors';

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
      // Unset: the kit's defaults.
      retryBaseDelaySeconds: 10,
      retryMaxDelaySeconds: 300,
      retryBudgetSeconds: 3600,
      // What the definition derives for a standard queue with a 1 h budget and the default backoff.
      maxReceiveCount: 49,
    });
  });

  it('reads the retry backoff the stack sets', () => {
    const settings = readConsumerSettings({ ...ENV, [ConsumerEnv.RetryBaseDelaySeconds]: '30', [ConsumerEnv.RetryMaxDelaySeconds]: '900' });
    expect(settings).toMatchObject({ retryBaseDelaySeconds: 30, retryMaxDelaySeconds: 900 });
    // A base above the default cap, without a cap: the cap follows the base.
    expect(readConsumerSettings({ ...ENV, [ConsumerEnv.RetryBaseDelaySeconds]: '600' })).toMatchObject({ retryBaseDelaySeconds: 600, retryMaxDelaySeconds: 600 });
    // Up to SQS's 12 h is accepted (the delay itself is kept below it).
    expect(readConsumerSettings({ ...ENV, [ConsumerEnv.RetryMaxDelaySeconds]: '43200' }).retryMaxDelaySeconds).toBe(43_200);
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
    [ConsumerEnv.RetryBaseDelaySeconds, '0', /FANOUT_RETRY_BASE_DELAY_SECONDS must be a whole number of seconds >= 1, got "0"/],
    [ConsumerEnv.RetryBaseDelaySeconds, '2.5', /FANOUT_RETRY_BASE_DELAY_SECONDS must be a whole number/],
    [ConsumerEnv.RetryMaxDelaySeconds, '5m', /FANOUT_RETRY_MAX_DELAY_SECONDS must be a whole number/],
    [ConsumerEnv.RetryMaxDelaySeconds, '5', /FANOUT_RETRY_MAX_DELAY_SECONDS must be a whole number of seconds >= FANOUT_RETRY_BASE_DELAY_SECONDS \(10\), got "5"/],
  ])('refuses %s=%s', (name, value, message) => {
    expect(() => readConsumerSettings({ ...ENV, [name]: value })).toThrow(ConsumerConfigurationError);
    expect(() => readConsumerSettings({ ...ENV, [name]: value })).toThrow(message);
  });
});

describe('requiredVariable (one reading for the kit and the downstream adapters)', () => {
  it('returns the trimmed value', () => {
    expect(requiredVariable({ X: '  v  ' }, 'X')).toBe('v');
  });

  it('fails with the error class of its caller, naming the variable', () => {
    expect(() => requiredVariable({ X: ' ' }, 'X')).toThrow(ConsumerConfigurationError);
    expect(() => requiredVariable({}, 'X', DownstreamConfigurationError)).toThrow(DownstreamConfigurationError);
    expect(() => requiredVariable({}, 'X', DownstreamConfigurationError)).toThrow('environment variable X is not set');
  });
});
