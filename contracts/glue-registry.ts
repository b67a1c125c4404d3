/**
 * The AWS Glue Schema Registry adapter: the source of truth for contracts at run time.
 *
 * {@link GlueContractResolver} resolves contract versions for producers and consumers,
 * with a bounded cache (immutable versions never expire, the latest-version answer does)
 * so a warm consumer makes no Glue call per message.
 * {@link registerContracts} puts the contracts of a pipeline into a registry, in order,
 * idempotently (what `fanout contracts register` runs).
 *
 * Glue is reached only through the client passed in, so the same code runs against a
 * real account, moto or LocalStack (the SDK honours AWS_ENDPOINT_URL).
 */
import {
  CreateRegistryCommand,
  CreateSchemaCommand,
  GetRegistryCommand,
  GetSchemaCommand,
  GetSchemaVersionCommand,
  RegisterSchemaVersionCommand,
  UpdateSchemaCommand,
  type GetSchemaResponse,
  type GetSchemaVersionResponse,
  type GlueClient,
} from '@aws-sdk/client-glue';
import { dirname } from 'node:path';
import { awsErrorName, describeAwsError, isAwsError, isRetryableAwsError } from './aws-errors';
import type { ContractResolver, ResolvedContract } from './contract-resolver';
import { FanoutError, PermanentError, TransientError, UnknownContractError, isPermanent } from './errors';
import { compileValidator } from './validation';
import type { CompatibilityMode } from './compatibility-mode';
import type { ContractVersion } from './schema-files';

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

/**
 * What is registered contradicts schemas/: a registered version differs from its file,
 * the registry has versions the files do not, or Glue refused a version (incompatible).
 * Registered versions are immutable: the fix is a new version file, never an edit.
 */
export class ContractRegistrationError extends PermanentError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ContractRegistrationError';
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

// The client's send is overloaded once per command; one generic signature keeps this adapter small.
function sendAny<T>(glue: GlueClient, command: { readonly input: unknown }): Promise<T> {
  return (glue as unknown as { send(command: unknown): Promise<T> }).send(command);
}

function isNotFound(error: unknown): boolean {
  return isAwsError(error, 'EntityNotFoundException');
}

function isAlreadyExists(error: unknown): boolean {
  return isAwsError(error, 'AlreadyExistsException');
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
 */
function glueFailure(error: unknown, what: string): FanoutError {
  if (error instanceof FanoutError) return error;
  const detail = describeAwsError(error);
  if (isNotFound(error)) return new UnknownContractError(`${what}: not in the schema registry (${detail})`, { cause: error });
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
 * Answers are cached in a bounded LRU, validators are compiled once per version, and
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

  constructor(options: GlueContractResolverOptions) {
    this.glue = options.glue;
    this.registryName = options.registryName;
    this.maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
    this.latestVersionTtlMs = options.latestVersionTtlMs ?? DEFAULT_LATEST_VERSION_TTL_MS;
    this.now = options.now ?? Date.now;
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
      return toResolvedContract(eventType, version, response);
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
      return await sendAny<T>(this.glue, command);
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

export function toResolvedContract(eventType: string, version: number, response: GetSchemaVersionResponse): ResolvedContract {
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
  try {
    const compiled = schema as Record<string, unknown>;
    return { eventType, version, schema: compiled, validate: compileValidator(compiled) };
  } catch (cause) {
    throw new InvalidContractDefinitionError(`${what}: the registered definition is not a valid JSON Schema: ${(cause as Error).message}`, { cause });
  }
}

/** What {@link registerContracts} did for one event type. */
export interface SchemaRegistration {
  readonly eventType: string;
  /** The schema did not exist and was created with v1. */
  readonly created: boolean;
  /** The compatibility mode was changed to the pipeline's. */
  readonly compatibilityChanged?: { readonly from: string; readonly to: CompatibilityMode };
  /** Versions registered by this run, in order. */
  readonly registered: readonly number[];
  /** Versions that were already registered with the same definition. */
  readonly unchanged: readonly number[];
}

/** What {@link registerContracts} did. */
export interface RegistrationReport {
  readonly registryName: string;
  readonly registryCreated: boolean;
  readonly schemas: readonly SchemaRegistration[];
  /** False when the registry already held everything: the run changed nothing. */
  readonly changed: boolean;
}

/** Options of {@link registerContracts}, for tests. */
export interface RegisterContractsOptions {
  /** How long to wait between checks of a version Glue is still checking. @default 1000 ms */
  readonly pollIntervalMs?: number;
  /** How many checks before giving up on a PENDING version. @default 30 */
  readonly pollAttempts?: number;
  /** @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** The pipeline as far as registration needs it (a ResolvedPipeline fits). */
export interface RegistrablePipeline {
  readonly name: string;
  readonly eventTypes: readonly {
    readonly name: string;
    readonly compatibility: CompatibilityMode;
    readonly versions: readonly ContractVersion[];
  }[];
}

/** Key-order-independent form of a JSON value, so a registry that re-serializes a definition still compares equal. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    return `{${Object.keys(record)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

function sameDefinition(registered: string | undefined, file: ContractVersion): boolean {
  if (registered === undefined) return false;
  if (registered === file.definition) return true;
  try {
    return canonicalJson(JSON.parse(registered)) === canonicalJson(file.schema);
  } catch {
    return false;
  }
}

/**
 * Registers every contract version of a pipeline in a Glue registry: creates the
 * registry when missing, each schema with its v1 and the event type's compatibility
 * mode, then each later version in order. Idempotent: versions already registered with
 * the same definition are left alone, and a second run changes nothing (and says so).
 *
 * @param log where to say what is being done, a line at a time
 * @throws ContractRegistrationError when the registry contradicts schemas/ or Glue refuses a version
 * @throws TransientError when Glue throttles, fails or cannot be reached (running again is safe)
 */
export async function registerContracts(
  glue: GlueClient,
  registryName: string,
  pipeline: RegistrablePipeline,
  log: (line: string) => void = () => {},
  options: RegisterContractsOptions = {},
): Promise<RegistrationReport> {
  const send = <T>(command: { readonly input: unknown }, what: string): Promise<T> =>
    sendAny<T>(glue, command).catch((error: unknown) => {
      throw glueFailure(error, what);
    });
  const registryId = { RegistryName: registryName };

  let registryCreated = false;
  try {
    await sendAny(glue, new GetRegistryCommand({ RegistryId: registryId }));
  } catch (error) {
    if (!isNotFound(error)) throw glueFailure(error, `registry ${registryName}`);
    try {
      await sendAny(
        glue,
        new CreateRegistryCommand({ RegistryName: registryName, Description: `Event contracts of the Fanout pipeline ${pipeline.name}` }),
      );
      registryCreated = true;
      log(`created registry ${registryName}`);
    } catch (createError) {
      // Another run created it in between: that is the state we wanted.
      if (!isAlreadyExists(createError)) throw glueFailure(createError, `creating registry ${registryName}`);
    }
  }

  const schemas: SchemaRegistration[] = [];
  for (const eventType of pipeline.eventTypes) {
    schemas.push(await registerEventType(glue, send, registryName, eventType, log, options));
  }
  const changed = registryCreated || schemas.some((s) => s.created || s.compatibilityChanged || s.registered.length > 0);
  if (!changed) log(`nothing to do: registry ${registryName} already holds every version`);
  return { registryName, registryCreated, schemas, changed };
}

type Send = <T>(command: { readonly input: unknown }, what: string) => Promise<T>;

async function registerEventType(
  glue: GlueClient,
  send: Send,
  registryName: string,
  eventType: RegistrablePipeline['eventTypes'][number],
  log: (line: string) => void,
  options: RegisterContractsOptions,
): Promise<SchemaRegistration> {
  const name = eventType.name;
  const schemaId = { RegistryName: registryName, SchemaName: name };
  const files = eventType.versions;
  if (files.length === 0) throw new ContractRegistrationError(`${name} has no contract versions to register`);

  let existing: { LatestSchemaVersion?: number; Compatibility?: string; DataFormat?: string } | undefined;
  try {
    existing = await sendAny<typeof existing>(glue, new GetSchemaCommand({ SchemaId: schemaId }));
  } catch (error) {
    if (!isNotFound(error)) throw glueFailure(error, `schema ${name}`);
  }

  let created = false;
  let compatibilityChanged: SchemaRegistration['compatibilityChanged'];
  let latest: number;
  const unchanged: number[] = [];
  if (!existing) {
    const response = await send<{ SchemaVersionId?: string; SchemaVersionStatus?: string }>(
      new CreateSchemaCommand({
        RegistryId: { RegistryName: registryName },
        SchemaName: name,
        DataFormat: 'JSON',
        Compatibility: eventType.compatibility,
        SchemaDefinition: files[0]!.definition,
        Description: typeof files[0]!.schema.description === 'string' ? files[0]!.schema.description.slice(0, 2048) : undefined,
      }),
      `creating schema ${name}`,
    );
    await waitUntilAvailable(send, name, 1, response.SchemaVersionId, response.SchemaVersionStatus, options);
    created = true;
    latest = 1;
    log(`created schema ${name} (${eventType.compatibility}) with v1`);
  } else {
    if (existing.DataFormat !== undefined && existing.DataFormat !== 'JSON') {
      throw new ContractRegistrationError(`schema ${name} in registry ${registryName} is ${existing.DataFormat}, not JSON`);
    }
    latest = existing.LatestSchemaVersion ?? 0;
    if (latest > files.length) {
      throw new ContractRegistrationError(
        `schema ${name} in registry ${registryName} has ${latest} versions but ${dirname(files[0]!.file)} has only ${files.length}: register from the newer contracts, or remove the extra versions from the registry`,
      );
    }
    for (let version = 1; version <= latest; version += 1) {
      const registered = await send<GetSchemaVersionResponse>(
        new GetSchemaVersionCommand({ SchemaId: schemaId, SchemaVersionNumber: { VersionNumber: version } }),
        `${name} v${version}`,
      );
      if (!sameDefinition(registered.SchemaDefinition, files[version - 1]!)) {
        throw new ContractRegistrationError(
          `${name} v${version} in registry ${registryName} differs from ${files[version - 1]!.file}: a registered version is immutable, add a new version file instead of editing one`,
        );
      }
      unchanged.push(version);
    }
    if (existing.Compatibility !== eventType.compatibility) {
      await send(new UpdateSchemaCommand({ SchemaId: schemaId, Compatibility: eventType.compatibility }), `setting the compatibility of ${name}`);
      compatibilityChanged = { from: existing.Compatibility ?? 'unknown', to: eventType.compatibility };
      log(`changed the compatibility of ${name} from ${compatibilityChanged.from} to ${eventType.compatibility}`);
    }
  }

  const registered: number[] = created ? [1] : [];
  for (let version = latest + 1; version <= files.length; version += 1) {
    const response = await send<{ SchemaVersionId?: string; VersionNumber?: number; Status?: string }>(
      new RegisterSchemaVersionCommand({ SchemaId: schemaId, SchemaDefinition: files[version - 1]!.definition }),
      `registering ${name} v${version}`,
    );
    // Glue answers a definition it already holds with that version instead of a new one.
    if (response.VersionNumber !== undefined && Number(response.VersionNumber) !== version) {
      throw new ContractRegistrationError(
        `${files[version - 1]!.file} has the same definition as ${name} v${response.VersionNumber}: a new version must change the contract`,
      );
    }
    await waitUntilAvailable(send, name, version, response.SchemaVersionId, response.Status, options);
    registered.push(version);
    log(`registered ${name} v${version}`);
  }
  if (registered.length === 0 && !compatibilityChanged) log(`${name}: ${files.length === 1 ? 'v1' : `v1..v${files.length}`} already registered`);
  return { eventType: name, created, ...(compatibilityChanged && { compatibilityChanged }), registered, unchanged };
}

async function waitUntilAvailable(
  send: Send,
  name: string,
  version: number,
  schemaVersionId: string | undefined,
  initialStatus: string | undefined,
  options: RegisterContractsOptions,
): Promise<void> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const attempts = options.pollAttempts ?? 30;
  let status = initialStatus;
  for (let attempt = 0; status === 'PENDING' && schemaVersionId && attempt < attempts; attempt += 1) {
    await sleep(options.pollIntervalMs ?? 1000);
    status = (await send<GetSchemaVersionResponse>(new GetSchemaVersionCommand({ SchemaVersionId: schemaVersionId }), `${name} v${version}`)).Status;
  }
  if (status === 'FAILURE') {
    throw new ContractRegistrationError(`the schema registry refused ${name} v${version} (status FAILURE): it breaks the schema's compatibility mode`);
  }
  if (status === 'PENDING') {
    throw new TransientError(`${name} v${version} is still being checked by the schema registry; run register again to confirm it`);
  }
}
