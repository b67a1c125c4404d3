/**
 * Reads the consumer's Lambda environment (the names in contracts/consumer-environment.ts,
 * set by the stack and, locally, by the runner) once, at container start.
 */
import { ConsumerEnv } from '../../contracts/consumer-environment';
import type { FanoutError } from '../../contracts/errors';
import { receivesToCoverBudget } from '../../contracts/retry-budget';
import { BACKOFF_DEFAULTS, MAX_BACKOFF_SECONDS, RETRY_BUDGET_DEFAULT_SECONDS } from './backoff';
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
  /** Backoff ceiling of the first retry, seconds. @default 10 */
  readonly retryBaseDelaySeconds: number;
  /** Largest backoff ceiling, seconds. @default 300 */
  readonly retryMaxDelaySeconds: number;
  /** How long a record may keep failing transiently, seconds from its first receive. @default 3600 */
  readonly retryBudgetSeconds: number;
  /**
   * The queue's maxReceiveCount: the receive on which the kit dead-letters a failing record itself.
   * @default derived from the budget and the backoff (receivesToCoverBudget, contracts/retry-budget.ts)
   */
  readonly maxReceiveCount: number;
}

/** A process environment, or a slice of one. */
export type Environment = Readonly<Record<string, string | undefined>>;

/**
 * The trimmed value of a variable that must be set: one reading for the kit and the
 * downstream adapters, each failing with its own configuration error.
 * @param configurationError the error class to throw @default ConsumerConfigurationError
 * @throws configurationError naming the variable when it is unset or blank
 */
export function requiredVariable(
  env: Environment,
  name: string,
  configurationError: new (message: string) => FanoutError = ConsumerConfigurationError,
): string {
  const value = env[name]?.trim();
  if (!value) throw new configurationError(`environment variable ${name} is not set`);
  return value;
}

// A whole number of seconds >= `min`, or `fallback` when unset.
function optionalSeconds(env: Environment, name: string, fallback: number, min: number, what: string): number {
  const value = env[name]?.trim();
  if (!value) return fallback;
  const seconds = Number(value);
  if (!Number.isSafeInteger(seconds) || seconds < min) {
    throw new ConsumerConfigurationError(`${name} must be a whole number of seconds ${what}, got "${env[name]}"`);
  }
  return seconds;
}

/** SQS's largest maxReceiveCount. */
const MAX_RECEIVE_COUNT = 1000;

// A receive count from 1 to SQS's 1000, or what `fallback` computes when unset.
function optionalCount(env: Environment, name: string, fallback: () => number): number {
  const value = env[name]?.trim();
  if (!value) return fallback();
  const count = Number(value);
  if (!Number.isSafeInteger(count) || count < 1 || count > MAX_RECEIVE_COUNT) {
    throw new ConsumerConfigurationError(`${name} must be a whole number from 1 to ${MAX_RECEIVE_COUNT}, got "${env[name]}"`);
  }
  return count;
}

/**
 * The kit's settings from the environment.
 * @throws ConsumerConfigurationError naming the first missing or invalid variable
 */
export function readConsumerSettings(env: Environment = process.env): ConsumerSettings {
  const expiry = Number(requiredVariable(env, ConsumerEnv.IdempotencyExpirySeconds));
  if (!Number.isInteger(expiry) || expiry < 1) {
    throw new ConsumerConfigurationError(`${ConsumerEnv.IdempotencyExpirySeconds} must be a positive whole number of seconds, got "${env[ConsumerEnv.IdempotencyExpirySeconds]}"`);
  }
  const fifoValue = env[ConsumerEnv.Fifo]?.trim().toLowerCase() ?? 'false';
  if (fifoValue !== 'true' && fifoValue !== 'false' && fifoValue !== '') {
    throw new ConsumerConfigurationError(`${ConsumerEnv.Fifo} must be "true" or "false", got "${env[ConsumerEnv.Fifo]}"`);
  }
  const retryBaseDelaySeconds = optionalSeconds(env, ConsumerEnv.RetryBaseDelaySeconds, BACKOFF_DEFAULTS.baseSeconds, 1, '>= 1');
  // Above SQS's 12 h limit is clamped when the delay is drawn, not refused: the
  // definition allows up to 12 h, and a container that will not start helps no one.
  const retryMaxDelaySeconds = optionalSeconds(
    env,
    ConsumerEnv.RetryMaxDelaySeconds,
    Math.max(BACKOFF_DEFAULTS.capSeconds, retryBaseDelaySeconds),
    retryBaseDelaySeconds,
    `>= ${ConsumerEnv.RetryBaseDelaySeconds} (${retryBaseDelaySeconds})`,
  );
  const retryBudgetSeconds = optionalSeconds(env, ConsumerEnv.RetryBudgetSeconds, RETRY_BUDGET_DEFAULT_SECONDS, 1, '>= 1');
  // Unset (tests, tools): the count the definition would derive for a standard queue,
  // with the cap the kit actually applies. Derived only then: the bound costs ~2 ms, and
  // the stack always sets the count, so a cold start never pays it.
  const maxReceiveCount = optionalCount(env, ConsumerEnv.MaxReceiveCount, () =>
    Math.min(
      receivesToCoverBudget({ budgetSeconds: retryBudgetSeconds, baseSeconds: retryBaseDelaySeconds, capSeconds: Math.min(retryMaxDelaySeconds, MAX_BACKOFF_SECONDS) }),
      MAX_RECEIVE_COUNT,
    ),
  );
  const queueUrl = requiredVariable(env, ConsumerEnv.QueueUrl);
  return {
    consumer: requiredVariable(env, ConsumerEnv.ConsumerName),
    queueUrl,
    deadLetterQueueUrl: requiredVariable(env, ConsumerEnv.DeadLetterQueueUrl),
    // A `.fifo` queue URL is FIFO whatever the flag says: sending to it without a group id would fail.
    fifo: fifoValue === 'true' || queueUrl.endsWith('.fifo'),
    idempotencyTableName: requiredVariable(env, ConsumerEnv.IdempotencyTableName),
    idempotencyExpirySeconds: expiry,
    schemaRegistryName: requiredVariable(env, ConsumerEnv.SchemaRegistryName),
    retryBaseDelaySeconds,
    retryMaxDelaySeconds,
    retryBudgetSeconds,
    maxReceiveCount,
  };
}
