/**
 * The AWS Glue Schema Registry adapter, registration half: puts the contracts of a
 * pipeline into a registry, in order, idempotently ({@link registerContracts}, what
 * `fanout contracts register` and the test set-up run), and sets each schema's
 * compatibility mode. Only the CLI and ops need it; the Lambda bundle carries the
 * run-time half (contracts/glue-registry.ts) and never imports this module.
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
  type GetSchemaVersionResponse,
  type GlueClient,
} from '@aws-sdk/client-glue';
import { dirname } from 'node:path';
import { isAwsError } from './aws-errors';
import type { CompatibilityMode } from './compatibility-mode';
import { PermanentError, TransientError } from './errors';
import { glueFailure, isGlueNotFound, sendGlueCommand } from './glue-registry';
import { canonicalJson } from './schema-fingerprint';
import type { ContractVersion } from './schema-files';

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

function isAlreadyExists(error: unknown): boolean {
  return isAwsError(error, 'AlreadyExistsException');
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
    sendGlueCommand<T>(glue, command).catch((error: unknown) => {
      throw glueFailure(error, what);
    });
  const registryId = { RegistryName: registryName };

  let registryCreated = false;
  try {
    await sendGlueCommand(glue, new GetRegistryCommand({ RegistryId: registryId }));
  } catch (error) {
    if (!isGlueNotFound(error)) throw glueFailure(error, `registry ${registryName}`);
    try {
      await sendGlueCommand(
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
    existing = await sendGlueCommand<typeof existing>(glue, new GetSchemaCommand({ SchemaId: schemaId }));
  } catch (error) {
    if (!isGlueNotFound(error)) throw glueFailure(error, `schema ${name}`);
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
