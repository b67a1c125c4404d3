/**
 * Reads the consumer's Lambda environment (the names in contracts/consumer-environment.ts,
 * set by the stack and, locally, by the runner) once, at container start.
 */
import { ConsumerEnv } from '../../contracts/consumer-environment';
import { ConsumerConfigurationError } from './errors';

/** The kit's settings, as the environment gives them. */
export interface ConsumerSettings {
  readonly consumer: string;
  readonly queueUrl: string;
  readonly deadLetterQueueUrl: string;
  readonly fifo: boolean;
  readonly idempotencyTableName: string;
  readonly idempotencyExpirySeconds: number;
  readonly schemaRegistryName: string;
}

type Env = Readonly<Record<string, string | undefined>>;

function required(env: Env, name: string): string {
  const value = env[name]?.trim();
  if (!value) throw new ConsumerConfigurationError(`environment variable ${name} is not set`);
  return value;
}

/**
 * The kit's settings from the environment.
 * @throws ConsumerConfigurationError naming the first missing or invalid variable
 */
export function readConsumerSettings(env: Env = process.env): ConsumerSettings {
  const expiry = Number(required(env, ConsumerEnv.IdempotencyExpirySeconds));
  if (!Number.isInteger(expiry) || expiry < 1) {
    throw new ConsumerConfigurationError(`${ConsumerEnv.IdempotencyExpirySeconds} must be a positive whole number of seconds, got "${env[ConsumerEnv.IdempotencyExpirySeconds]}"`);
  }
  const fifoValue = env[ConsumerEnv.Fifo]?.trim().toLowerCase() ?? 'false';
  if (fifoValue !== 'true' && fifoValue !== 'false' && fifoValue !== '') {
    throw new ConsumerConfigurationError(`${ConsumerEnv.Fifo} must be "true" or "false", got "${env[ConsumerEnv.Fifo]}"`);
  }
  const queueUrl = required(env, ConsumerEnv.QueueUrl);
  return {
    consumer: required(env, ConsumerEnv.ConsumerName),
    queueUrl,
    deadLetterQueueUrl: required(env, ConsumerEnv.DeadLetterQueueUrl),
    // A `.fifo` queue URL is FIFO whatever the flag says: sending to it without a group id would fail.
    fifo: fifoValue === 'true' || queueUrl.endsWith('.fifo'),
    idempotencyTableName: required(env, ConsumerEnv.IdempotencyTableName),
    idempotencyExpirySeconds: expiry,
    schemaRegistryName: required(env, ConsumerEnv.SchemaRegistryName),
  };
}
