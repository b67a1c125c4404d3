/**
 * Which downstream a consumer talks to, from its environment (FANOUT_DOWNSTREAM_*, set
 * by the stack), built once per container, and the one port factory every port uses
 * to pick its adapter from it ({@link portFactory}).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ConsumerDefaults } from '../../contracts/consumer-defaults';
import { ConsumerEnv } from '../../contracts/consumer-environment';
import { requiredVariable, type Environment } from '../kit/environment';
import { readChaosSettings } from './chaos';
import { DynamoDbEffectStore } from './dynamodb-effects';
import { DownstreamConfigurationError } from './errors';
import { HttpApi } from './http-api';

/** The clients a downstream adapter may use (created and traced by the kit's runtime). */
export interface DownstreamClients {
  readonly dynamodb: DynamoDBClient;
}

/** The downstream a consumer writes to. */
export type Downstream = { readonly kind: 'dynamodb'; readonly store: DynamoDbEffectStore } | { readonly kind: 'http'; readonly api: HttpApi };

/** Per-request timeout when FANOUT_DOWNSTREAM_TIMEOUT_MS is unset, milliseconds. */
export const DEFAULT_HTTP_TIMEOUT_MS = ConsumerDefaults.httpTimeoutMs;

const required = (env: Environment, name: string): string => requiredVariable(env, name, DownstreamConfigurationError);

/**
 * The downstream the environment names.
 * @throws DownstreamConfigurationError naming the missing or invalid variable
 */
export function createDownstream(env: Environment, clients: DownstreamClients): Downstream {
  const kind = env[ConsumerEnv.DownstreamKind]?.trim() || 'dynamodb';
  if (kind === 'dynamodb') {
    const chaos = readChaosSettings(env);
    const retentionValue = env[ConsumerEnv.DownstreamRetentionDays]?.trim();
    const retentionDays = retentionValue ? Number(retentionValue) : undefined;
    if (retentionDays !== undefined && !(Number.isInteger(retentionDays) && retentionDays >= 1)) {
      throw new DownstreamConfigurationError(`${ConsumerEnv.DownstreamRetentionDays} must be a whole number of days >= 1, got "${retentionValue}"`);
    }
    const options = { ...(chaos && { chaos }), ...(retentionDays !== undefined && { retentionDays }) };
    return { kind, store: new DynamoDbEffectStore(clients.dynamodb, required(env, ConsumerEnv.DownstreamTableName), options) };
  }
  if (kind === 'http') {
    const baseUrl = required(env, ConsumerEnv.DownstreamUrl);
    try {
      new URL(baseUrl);
    } catch (cause) {
      throw new DownstreamConfigurationError(`${ConsumerEnv.DownstreamUrl} is not a URL: "${baseUrl}"`, { cause });
    }
    const timeoutValue = env[ConsumerEnv.DownstreamTimeoutMs]?.trim();
    const timeoutMs = timeoutValue ? Number(timeoutValue) : DEFAULT_HTTP_TIMEOUT_MS;
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1) {
      throw new DownstreamConfigurationError(`${ConsumerEnv.DownstreamTimeoutMs} must be a positive whole number of milliseconds, got "${timeoutValue}"`);
    }
    return { kind, api: new HttpApi({ baseUrl, timeoutMs }) };
  }
  throw new DownstreamConfigurationError(`${ConsumerEnv.DownstreamKind} must be "dynamodb" or "http", got "${kind}"`);
}

/** A port's adapters, one per downstream kind. */
export interface PortAdapters<TPort> {
  /** The port over the DynamoDB effect store (the default downstream). */
  readonly dynamodb: (store: DynamoDbEffectStore) => TPort;
  /** The port over a real HTTP API. */
  readonly http: (api: HttpApi) => TPort;
}

/** Builds a port from the downstream its consumer's environment names. */
export type PortFactory<TPort> = (env: Environment, clients: DownstreamClients) => TPort;

/**
 * A port's factory, from its adapters: the environment picks the downstream, the
 * downstream picks the adapter. Every port is made this way, so a new port is its
 * interface and its two adapters, nothing else.
 * @throws DownstreamConfigurationError (from the returned factory) naming the missing or invalid variable
 */
export function portFactory<TPort>(adapters: PortAdapters<TPort>): PortFactory<TPort> {
  return (env, clients) => {
    const downstream = createDownstream(env, clients);
    return downstream.kind === 'dynamodb' ? adapters.dynamodb(downstream.store) : adapters.http(downstream.api);
  };
}
