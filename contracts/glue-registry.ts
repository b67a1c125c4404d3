/**
 * The AWS Glue Schema Registry adapter, run-time half: the source of truth for contracts
 * at run time, and what the consumer bundle carries.
 *
 * {@link GlueContractResolver} resolves contract versions for producers and consumers,
 * with a bounded cache (immutable versions never expire, the latest-version answer does)
 * so a warm consumer makes no Glue call per message. How a failed Glue call maps to a
 * Fanout error ({@link glueFailure}) lives here too, since both halves need it.
 *
 * Putting contracts into a registry (`fanout contracts register`, the test set-up) is
 * the other half, contracts/glue-registration.ts: only the CLI and ops need it, so the
 * Lambda bundle never imports it.
 *
 * Glue is reached only through the client passed in, so the same code runs against a
 * real account, moto or LocalStack (the SDK honours AWS_ENDPOINT_URL).
 */
import { GetSchemaCommand, GetSchemaVersionCommand, type GetSchemaResponse, type GetSchemaVersionResponse, type GlueClient } from '@aws-sdk/client-glue';
import { awsErrorName, describeAwsError, isAwsError, isRetryableAwsError } from './aws-errors';
import type { ContractResolver, ResolvedContract } from './contract-resolver';
import { FanoutError, PermanentError, TransientError, UnknownContractError, isPermanent } from './errors';
import { PRECOMPILED_CONTRACTS, precompiledValidator, type PrecompiledContracts } from './precompiled-validators';
import type { DataValidator } from './violations';

/** The registry holds a definition Fanout cannot use (not JSON, not a JSON Schema ajv can compile). */
export class InvalidContractDefinitionError extends PermanentError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InvalidContractDefinitionError';
  }
}

/**
 * Glue refused a request (access denied, invalid input, a registry that is not set up as
 * expected) for a reason that has to do with the caller's permissions or configuration,
 * not with the message being processed: IAM or configuration drift. Deliberately neither
 * permanent nor transient: the kit retries it with backoff (its failure metrics and alarms
 * fire) instead of dead-lettering it at once; only if the refusal outlasts every receive
 * does SQS move the message to the DLQ, without the kit's failure context (the function's
 * logs have the reason). A publisher reports it as not permanent, and the
 * CLI prints the message and exits 1. Only "no such schema or version" is permanent
 * ({@link UnknownContractError}).
 */
export class ContractRegistryError extends FanoutError {
  /** The service's error code, e.g. `AccessDeniedException`. */
  readonly code: string;
  constructor(message: string, code: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ContractRegistryError';
    this.code = code;
  }
}

// Glue's throttling and "try again" answers. ConcurrentModificationException comes back
// when two writers touch one schema at once: the second try sees the first's result.
const RETRYABLE_GLUE_ERRORS: ReadonlySet<string> = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'InternalServiceException',
  'ServiceUnavailableException',
  'OperationTimeoutException',
  'ConcurrentModificationException',
]);

/**
 * Sends any Glue command with one generic signature (the client's send is overloaded once
 * per command); shared with contracts/glue-registration.ts to keep both halves small.
 */
export function sendGlueCommand<T>(glue: GlueClient, command: { readonly input: unknown }): Promise<T> {
  return (glue as unknown as { send(command: unknown): Promise<T> }).send(command);
}

/** True when Glue answered that the registry, schema or version does not exist. */
export function isGlueNotFound(error: unknown): boolean {
  return isAwsError(error, 'EntityNotFoundException');
}

/**
 * True when a failed Glue call may pass on a later try: throttling, a 5xx, or no HTTP
 * answer at all (network error, timeout). See contracts/aws-errors.ts.
 */
export function isRetryableGlueError(error: unknown): boolean {
  return isRetryableAwsError(error, RETRYABLE_GLUE_ERRORS);
}

// What a person can do about a refusal, by error code (the code, never the message text).
const REFUSAL_HINTS: Readonly<Record<string, string>> = {
  AccessDeniedException: "check the Glue permissions of the caller's role on the registry and its schemas",
  UnrecognizedClientException: 'check the AWS credentials',
};

/**
 * Maps a failed Glue call to a Fanout error: not found → unknown contract (permanent),
 * retryable → transient, any other refusal → {@link ContractRegistryError} (not the
 * message's fault: retried by a consumer, reported by the CLI).
 * @param what the thing asked for, to start the message with (e.g. `contract user.signed-up v2`)
 */
export function glueFailure(error: unknown, what: string): FanoutError {
  if (error instanceof FanoutError) return error;
  const detail = describeAwsError(error);
  if (isGlueNotFound(error)) return new UnknownContractError(`${what}: not in the schema registry (${detail})`, { cause: error });
  if (isRetryableGlueError(error)) return new TransientError(`${what}: the schema registry did not answer (${detail})`, { cause: error });
  const code = awsErrorName(error) ?? 'Error';
  const hint = REFUSAL_HINTS[code];
  return new ContractRegistryError(`${what}: the schema registry refused (${detail})${hint ? `: ${hint}` : ''}`, code, { cause: error });
}

interface CacheEntry {
  /** Present once a load has succeeded (kept while a refresh is in flight, for stale-if-error). */
  value?: unknown;
  hasValue: boolean;
  expiresAt: number;
  inFlight?: Promise<unknown>;
}

/** Options of {@link GlueContractResolver}. */
export interface GlueContractResolverOptions {
  readonly glue: GlueClient;
  /** The registry holding the contracts, e.g. `fanout-sample-contracts`. */
  readonly registryName: string;
  /**
   * Most cached entries (contract versions and latest-version answers) before the least
   * recently used is dropped. 0 caches nothing (every lookup asks Glue: a baseline for benchmarks).
   * @default 100
   */
  readonly maxEntries?: number;
  /**
   * How long a latest-version answer is used before Glue is asked again, milliseconds.
   * Contract versions themselves never expire: a registered version is immutable.
   * @default 300000
   */
  readonly latestVersionTtlMs?: number;
  /** The clock, for tests. @default Date.now */
  readonly now?: () => number;
  /**
   * Validators precompiled from schemas/, used for a registered version whose definition
   * is the schema one was compiled from; any other version is compiled with ajv, loaded
   * then. `{}` compiles every version (a baseline for benchmarks).
   * @default PRECOMPILED_CONTRACTS, the contract versions this build was made with
   */
  readonly precompiled?: PrecompiledContracts;
}

const DEFAULT_MAX_ENTRIES = 100;
const DEFAULT_LATEST_VERSION_TTL_MS = 300_000;
// Expiry of what never expires.
/** A cache entry's lifetime for what never changes (registered versions are immutable). */
export const NEVER = Number.POSITIVE_INFINITY;
// When a refresh fails transiently and a stale answer is served instead, how soon to
// try Glue again: short enough to pick up a recovery, long enough not to hammer it.
const STALE_RETRY_MS = 10_000;

/**
 * Resolves contracts from the Glue Schema Registry: one schema per event type
 * (schema name = event type name), versions numbered 1, 2, ...
 *
 * Answers are cached in a bounded LRU, validators are precompiled or compiled once per version, and
 * concurrent lookups of one key share one Glue call. A contract version, by number or by
 * id, is immutable once registered (Glue never reuses a number or an id), so it is kept
 * until evicted, never expired: a warm consumer asks Glue once per version for its whole
 * life. Only the latest-version answer changes, and expires after a TTL; when its refresh
 * fails transiently, the previous answer is served and Glue is asked again soon after.
 */
export class GlueContractResolver implements ContractResolver {
  /** Glue requests made so far: the measure of "no Glue call per message". */
  glueCalls = 0;

  private readonly glue: GlueClient;
  private readonly registryName: string;
  private readonly maxEntries: number;
  private readonly latestVersionTtlMs: number;
  private readonly now: () => number;
  private readonly cache = new Map<string, CacheEntry>();
  /** The precompiled validators {@link toResolvedContract} may use. */
  protected readonly precompiled: PrecompiledContracts;

  constructor(options: GlueContractResolverOptions) {
    this.glue = options.glue;
    this.registryName = options.registryName;
    this.maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
    this.latestVersionTtlMs = options.latestVersionTtlMs ?? DEFAULT_LATEST_VERSION_TTL_MS;
    this.now = options.now ?? Date.now;
    this.precompiled = options.precompiled ?? PRECOMPILED_CONTRACTS;
    if (!Number.isInteger(this.maxEntries) || this.maxEntries < 0) throw new RangeError(`maxEntries must be a whole number >= 0, got ${this.maxEntries}`);
    if (!(this.latestVersionTtlMs >= 0)) throw new RangeError(`latestVersionTtlMs must be >= 0, got ${this.latestVersionTtlMs}`);
  }

  /**
   * One contract version, by event type and version number (GetSchemaVersion).
   * @throws UnknownContractError when the schema or version is not registered
   * @throws TransientError when Glue throttles, fails (5xx) or cannot be reached
   */
  async resolve(eventType: string, version: number): Promise<ResolvedContract> {
    if (!Number.isInteger(version) || version < 1) {
      throw new UnknownContractError(`event type "${eventType}" has no contract version ${version}: versions are 1, 2, ...`);
    }
    return this.cached(`version\u0000${eventType}\u0000${version}`, NEVER, async () => {
      const response = await this.call<GetSchemaVersionResponse>(
        new GetSchemaVersionCommand({
          SchemaId: { RegistryName: this.registryName, SchemaName: eventType },
          SchemaVersionNumber: { VersionNumber: version },
        }),
        `contract ${eventType} v${version} in registry ${this.registryName}`,
      );
      return toResolvedContract(eventType, version, response, this.precompiled);
    });
  }

  /**
   * The newest registered version of an event type (GetSchema's LatestSchemaVersion).
   * Cached for `latestVersionTtlMs`, so a newly registered version is picked up within it.
   */
  async latestVersion(eventType: string): Promise<number> {
    return this.cached(`latest\u0000${eventType}`, this.latestVersionTtlMs, async () => {
      const response = await this.call<GetSchemaResponse>(
        new GetSchemaCommand({ SchemaId: { RegistryName: this.registryName, SchemaName: eventType } }),
        `schema ${eventType} in registry ${this.registryName}`,
      );
      const latest = response.LatestSchemaVersion;
      if (latest === undefined || latest < 1) {
        throw new UnknownContractError(`schema ${eventType} in registry ${this.registryName} has no versions`);
      }
      return latest;
    });
  }

  /** Drops every cached answer (e.g. right after registering a new version). */
  clear(): void {
    this.cache.clear();
  }

  protected async call<T>(command: { readonly input: unknown }, what: string): Promise<T> {
    this.glueCalls += 1;
    try {
      return await sendGlueCommand<T>(this.glue, command);
    } catch (error) {
      throw glueFailure(error, what);
    }
  }

  /** The cached answer for `key`, loading it (once for concurrent callers) when absent or older than `ttlMs`. */
  protected cached<V>(key: string, ttlMs: number, load: () => Promise<V>): Promise<V> {
    const entry = this.cache.get(key);
    if (entry) {
      // Re-insert to mark it most recently used (a Map iterates in insertion order).
      this.cache.delete(key);
      this.cache.set(key, entry);
      if (entry.inFlight) return entry.inFlight as Promise<V>;
      if (entry.hasValue && entry.expiresAt > this.now()) return Promise.resolve(entry.value as V);
    }
    const stale = entry?.hasValue ? { value: entry.value as V } : undefined;
    const fresh: CacheEntry = { hasValue: stale !== undefined, value: stale?.value, expiresAt: entry?.expiresAt ?? 0 };
    const inFlight = load().then(
      (value) => {
        this.store(key, { hasValue: true, value, expiresAt: this.now() + ttlMs });
        return value;
      },
      (error: unknown) => {
        if (stale && !isPermanent(error)) {
          this.store(key, { hasValue: true, value: stale.value, expiresAt: this.now() + Math.min(ttlMs, STALE_RETRY_MS) });
          return stale.value;
        }
        if (this.cache.get(key) === fresh) this.cache.delete(key);
        throw error;
      },
    );
    fresh.inFlight = inFlight;
    this.store(key, fresh);
    return inFlight;
  }

  private store(key: string, entry: CacheEntry): void {
    this.cache.delete(key);
    this.cache.set(key, entry);
    while (this.cache.size > this.maxEntries) {
      this.cache.delete(this.cache.keys().next().value!);
    }
  }
}

/**
 * A GetSchemaVersion answer as a contract with its validator: the precompiled one when
 * the definition is the schema it was compiled from, otherwise compiled with ajv, which
 * is loaded only then (see {@link compileRegistered}).
 * @param precompiled the validators precompiled from schemas/ @default PRECOMPILED_CONTRACTS
 * @throws TransientError while Glue is still checking the version (PENDING)
 * @throws UnknownContractError when the version is not AVAILABLE
 * @throws InvalidContractDefinitionError when the definition is not a JSON Schema ajv can compile
 */
export async function toResolvedContract(
  eventType: string,
  version: number,
  response: GetSchemaVersionResponse,
  precompiled: PrecompiledContracts = PRECOMPILED_CONTRACTS,
): Promise<ResolvedContract> {
  const what = `contract ${eventType} v${version}`;
  // Glue checks compatibility after accepting a version: PENDING turns into AVAILABLE or FAILURE.
  if (response.Status === 'PENDING') throw new TransientError(`${what} is still being checked by the schema registry`);
  if (response.Status !== undefined && response.Status !== 'AVAILABLE') {
    throw new UnknownContractError(`${what} is ${response.Status} in the schema registry, not AVAILABLE`);
  }
  if (response.DataFormat !== undefined && response.DataFormat !== 'JSON') {
    throw new InvalidContractDefinitionError(`${what} is registered as ${response.DataFormat}, not JSON`);
  }
  let schema: unknown;
  try {
    schema = JSON.parse(response.SchemaDefinition ?? '');
  } catch (cause) {
    throw new InvalidContractDefinitionError(`${what}: the registered definition is not JSON`, { cause });
  }
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
    throw new InvalidContractDefinitionError(`${what}: the registered definition is not a JSON Schema object`);
  }
  const definition = schema as Record<string, unknown>;
  const validate = precompiledValidator(eventType, version, definition, precompiled) ?? (await compileRegistered(what, definition));
  return { eventType, version, schema: definition, validate };
}

/**
 * Compiles a definition no validator was precompiled from (a version registered after
 * this build). ajv is imported here, on first use, not with this module: a consumer
 * whose events all have precompiled validators never loads or runs its compiler.
 */
async function compileRegistered(what: string, schema: Record<string, unknown>): Promise<DataValidator> {
  const { compileValidator } = await import('./validation');
  try {
    return compileValidator(schema);
  } catch (cause) {
    throw new InvalidContractDefinitionError(`${what}: the registered definition is not a valid JSON Schema: ${(cause as Error).message}`, { cause });
  }
}
