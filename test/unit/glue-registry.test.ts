import { describe, expect, it, vi } from 'vitest';
import type { GlueClient } from '@aws-sdk/client-glue';
import { ContractRegistrationError, registerContracts, type RegistrablePipeline } from '../../contracts/glue-registration';
import { ContractRegistryError, GlueContractResolver, InvalidContractDefinitionError } from '../../contracts/glue-registry';
import { isPermanent, PermanentError, TransientError, UnknownContractError } from '../../contracts/errors';
import { Outcome } from '../../lambdas/kit/consumer';
import { RecordProcessor, RetryLaterError } from '../../lambdas/kit/record-processor';
import { KitMetric } from '../../lambdas/kit/telemetry';
import { envelope, MemoryGate, RecordingLogger, RecordingMetrics, RecordingTracer, sqsRecord } from './kit-fakes';
import type { ContractVersion } from '../../contracts/schema-files';

const REGISTRY = 'test-contracts';
const V1 = { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] };
const V2 = { type: 'object', properties: { a: { type: 'string' }, b: { type: 'integer' } }, required: ['a'] };

function awsError(name: string, status?: number): Error {
  const error = new Error(`${name}: it went wrong`) as Error & Record<string, unknown>;
  error.name = name;
  if (status !== undefined) error.$metadata = { httpStatusCode: status };
  return error;
}

type Handler = (input: any) => unknown;

/** A Glue client whose answers per command the test scripts; records every call. */
function fakeGlue(handlers: Partial<Record<string, Handler>>) {
  const calls: { command: string; input: any }[] = [];
  const send = vi.fn(async (command: { constructor: { name: string }; input: unknown }) => {
    const name = command.constructor.name;
    calls.push({ command: name, input: command.input });
    const handler = handlers[name];
    if (!handler) throw new Error(`unexpected ${name}`);
    return handler(command.input);
  });
  return { glue: { send } as unknown as GlueClient, calls, send };
}

function versionAnswer(definition: unknown, version = 1) {
  return { SchemaDefinition: JSON.stringify(definition), DataFormat: 'JSON', Status: 'AVAILABLE', VersionNumber: version, SchemaVersionId: `id-${version}` };
}

function clock(start = 1_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

/*
 * The error paths of the Glue adapter, with a scripted client: what the emulator cannot be
 * made to answer (throttling, 5xx, access denied, PENDING). Its happy paths (caching,
 * eviction, shared in-flight calls, latest version, by id, registration) run against the
 * emulator in test/integration/glue-registry.test.ts.
 */
describe('GlueContractResolver (error paths)', () => {
  it('maps a missing schema or version to UnknownContractError, with the cause', async () => {
    const notFound = awsError('EntityNotFoundException', 400);
    const { glue } = fakeGlue({
      GetSchemaVersionCommand: () => {
        throw notFound;
      },
    });
    const resolver = new GlueContractResolver({ glue, registryName: REGISTRY });
    const error = await resolver.resolve('thing.happened', 3).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnknownContractError);
    expect(error).toBeInstanceOf(PermanentError);
    expect((error as Error).cause).toBe(notFound);
    expect((error as Error).message).toMatch(/thing\.happened v3 in registry test-contracts/);
    await expect(resolver.resolve('thing.happened', 0)).rejects.toBeInstanceOf(UnknownContractError);
  });

  it.each([
    ['throttling', awsError('ThrottlingException', 400)],
    ['a 5xx', awsError('InternalServiceException', 500)],
    ['a 503 without a known name', awsError('Unknown', 503)],
    ['a network error', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })],
  ])('maps %s to TransientError with the cause, and does not cache the failure', async (_label, failure) => {
    let fail = true;
    const { glue, send } = fakeGlue({
      GetSchemaVersionCommand: () => {
        if (fail) throw failure;
        return versionAnswer(V1);
      },
    });
    const resolver = new GlueContractResolver({ glue, registryName: REGISTRY });
    const error = await resolver.resolve('thing.happened', 1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientError);
    expect((error as Error).cause).toBe(failure);
    fail = false;
    await expect(resolver.resolve('thing.happened', 1)).resolves.toMatchObject({ version: 1 });
    expect(send).toHaveBeenCalledTimes(2);
  });

  it.each([
    ['access denied (IAM drift)', awsError('AccessDeniedException', 403), /check the Glue permissions of the caller's role/],
    ['an invalid request (configuration drift)', awsError('InvalidInputException', 400), /the schema registry refused \(InvalidInputException/],
  ])('maps %s to a ContractRegistryError that is not permanent, and does not cache it', async (_label, refusal, hint) => {
    let refuse = true;
    const { glue, send } = fakeGlue({
      GetSchemaVersionCommand: () => {
        if (refuse) throw refusal;
        return versionAnswer(V1);
      },
    });
    const resolver = new GlueContractResolver({ glue, registryName: REGISTRY });
    const error = await resolver.resolve('t.x', 1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ContractRegistryError);
    // Not the message's fault: a consumer must retry it (alarms fire), never dead-letter it.
    expect(isPermanent(error)).toBe(false);
    expect((error as ContractRegistryError).code).toBe(refusal.name);
    expect((error as Error).cause).toBe(refusal);
    expect((error as Error).message).toMatch(/^contract t\.x v1 in registry test-contracts: the schema registry refused/);
    expect((error as Error).message).toMatch(hint);
    // Once the permissions are fixed, the next try succeeds.
    refuse = false;
    await expect(resolver.resolve('t.x', 1)).resolves.toMatchObject({ version: 1 });
    expect(send).toHaveBeenCalledTimes(2);
  });

  it('has a consumer retry a refused Glue call with backoff instead of dead-lettering the message', async () => {
    const { glue } = fakeGlue({
      GetSchemaVersionCommand: () => {
        throw awsError('AccessDeniedException', 403);
      },
    });
    const parked: unknown[] = [];
    const metrics = new RecordingMetrics();
    const processor = new RecordProcessor<Record<string, unknown>>({
      consumer: 'crm-sync',
      handlers: { 'user.signed-up': { apply: async () => Outcome.Applied } },
      resolver: new GlueContractResolver({ glue, registryName: REGISTRY }),
      gate: new MemoryGate(),
      deadLetter: async (_record, failure) => void parked.push(failure),
      logger: new RecordingLogger(),
      metrics,
      tracer: new RecordingTracer(),
      backoff: { baseSeconds: 10, random: () => 0.999 },
    });
    const error = await processor.process(sqsRecord(envelope())).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryLaterError);
    expect(((error as RetryLaterError).cause as Error).name).toBe('ContractRegistryError');
    expect(parked).toEqual([]);
    expect(metrics.count(KitMetric.TransientFailure)).toBe(1);
    expect(metrics.count(KitMetric.PermanentFailure)).toBe(0);
  });

  it('serves the previous latest version when its refresh fails transiently, and tries again soon after', async () => {
    const time = clock();
    let fail = false;
    const { glue, send } = fakeGlue({
      GetSchemaCommand: () => {
        if (fail) throw awsError('ThrottlingException', 400);
        return { LatestSchemaVersion: 2 };
      },
    });
    const resolver = new GlueContractResolver({ glue, registryName: REGISTRY, latestVersionTtlMs: 60_000, now: time.now });
    expect(await resolver.latestVersion('t.x')).toBe(2);
    fail = true;
    time.advance(60_000);
    expect(await resolver.latestVersion('t.x')).toBe(2);
    expect(send).toHaveBeenCalledTimes(2);
    time.advance(5_000);
    expect(await resolver.latestVersion('t.x')).toBe(2);
    expect(send).toHaveBeenCalledTimes(2);
    time.advance(5_000);
    await resolver.latestVersion('t.x');
    expect(send).toHaveBeenCalledTimes(3);
  });

  it('does not serve a stale latest version when the schema is gone', async () => {
    const time = clock();
    let gone = false;
    const { glue } = fakeGlue({
      GetSchemaCommand: () => {
        if (gone) throw awsError('EntityNotFoundException', 400);
        return { LatestSchemaVersion: 1 };
      },
    });
    const resolver = new GlueContractResolver({ glue, registryName: REGISTRY, latestVersionTtlMs: 10, now: time.now });
    await resolver.latestVersion('t.x');
    gone = true;
    time.advance(10);
    await expect(resolver.latestVersion('t.x')).rejects.toBeInstanceOf(UnknownContractError);
  });

  it('refuses cache settings that make no sense', () => {
    const { glue } = fakeGlue({});
    expect(() => new GlueContractResolver({ glue, registryName: REGISTRY, maxEntries: -1 })).toThrow(RangeError);
    expect(() => new GlueContractResolver({ glue, registryName: REGISTRY, maxEntries: 1.5 })).toThrow(RangeError);
    expect(() => new GlueContractResolver({ glue, registryName: REGISTRY, latestVersionTtlMs: Number.NaN })).toThrow(RangeError);
  });

  it.each([
    ['not JSON', { SchemaDefinition: '{nope', Status: 'AVAILABLE' }, InvalidContractDefinitionError],
    ['not an object', { SchemaDefinition: '[1]', Status: 'AVAILABLE' }, InvalidContractDefinitionError],
    ['not a valid schema', { SchemaDefinition: '{"type":"no-such-type"}', Status: 'AVAILABLE' }, InvalidContractDefinitionError],
    ['AVRO', { SchemaDefinition: '{}', DataFormat: 'AVRO', Status: 'AVAILABLE' }, InvalidContractDefinitionError],
    ['still PENDING', { SchemaDefinition: '{}', Status: 'PENDING' }, TransientError],
    ['FAILURE', { SchemaDefinition: '{}', Status: 'FAILURE' }, UnknownContractError],
  ])('refuses a registered definition that is %s', async (_label, answer, errorClass) => {
    const { glue } = fakeGlue({ GetSchemaVersionCommand: () => answer });
    await expect(new GlueContractResolver({ glue, registryName: REGISTRY }).resolve('t.x', 1)).rejects.toBeInstanceOf(errorClass);
  });
});

function version(n: number, schema: Record<string, unknown>): ContractVersion {
  return { version: n, file: `/schemas/t.x/v${n}.json`, schema, definition: JSON.stringify(schema, null, 2) };
}

function pipelineOf(...versions: Record<string, unknown>[]): RegistrablePipeline {
  return { name: 'test', eventTypes: [{ name: 't.x', compatibility: 'BACKWARD', versions: versions.map((s, i) => version(i + 1, s)) }] };
}

describe('registerContracts (error paths)', () => {
  const registryExists = { GetRegistryCommand: () => ({ RegistryName: REGISTRY }) };

  it('refuses when a registered version differs from its file', async () => {
    const { glue, calls } = fakeGlue({
      ...registryExists,
      GetSchemaCommand: () => ({ LatestSchemaVersion: 1, Compatibility: 'BACKWARD', DataFormat: 'JSON' }),
      GetSchemaVersionCommand: () => versionAnswer({ ...V1, required: [] }),
    });
    const error = await registerContracts(glue, REGISTRY, pipelineOf(V1, V2)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ContractRegistrationError);
    expect((error as Error).message).toMatch(/t\.x v1 in registry test-contracts differs from \/schemas\/t\.x\/v1\.json: a registered version is immutable/);
    expect(calls.map((c) => c.command)).not.toContain('RegisterSchemaVersionCommand');
  });

  it('refuses when the registry has more versions than the files', async () => {
    const { glue } = fakeGlue({ ...registryExists, GetSchemaCommand: () => ({ LatestSchemaVersion: 3, Compatibility: 'BACKWARD', DataFormat: 'JSON' }) });
    await expect(registerContracts(glue, REGISTRY, pipelineOf(V1, V2))).rejects.toThrow(/has 3 versions but \/schemas\/t\.x has only 2/);
  });

  it('refuses a version whose definition repeats an earlier one', async () => {
    const { glue } = fakeGlue({
      ...registryExists,
      GetSchemaCommand: () => ({ LatestSchemaVersion: 1, Compatibility: 'BACKWARD', DataFormat: 'JSON' }),
      GetSchemaVersionCommand: () => versionAnswer(V1),
      // Glue answers a definition it already holds with the existing version.
      RegisterSchemaVersionCommand: () => ({ VersionNumber: 1, Status: 'AVAILABLE', SchemaVersionId: 'id-1' }),
    });
    await expect(registerContracts(glue, REGISTRY, pipelineOf(V1, V1))).rejects.toThrow(/same definition as t\.x v1/);
  });

  it('waits while Glue checks a new version, and reports a refusal', async () => {
    const statuses = ['PENDING', 'FAILURE'];
    const sleeps: number[] = [];
    const { glue } = fakeGlue({
      ...registryExists,
      GetSchemaCommand: () => ({ LatestSchemaVersion: 1, Compatibility: 'BACKWARD', DataFormat: 'JSON' }),
      GetSchemaVersionCommand: (input) => (input.SchemaVersionId ? { Status: statuses.shift() } : versionAnswer(V1)),
      RegisterSchemaVersionCommand: () => ({ VersionNumber: 2, Status: 'PENDING', SchemaVersionId: 'id-2' }),
    });
    const error = await registerContracts(glue, REGISTRY, pipelineOf(V1, V2), undefined, { sleep: async (ms) => void sleeps.push(ms), pollIntervalMs: 7 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ContractRegistrationError);
    expect((error as Error).message).toMatch(/refused t\.x v2 \(status FAILURE\)/);
    expect(sleeps).toEqual([7, 7]);
  });

  it('reports access denied clearly, as a refusal the caller must fix (the CLI prints it)', async () => {
    const { glue } = fakeGlue({
      GetRegistryCommand: () => {
        throw awsError('AccessDeniedException', 403);
      },
    });
    const error = await registerContracts(glue, REGISTRY, pipelineOf(V1)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ContractRegistryError);
    expect((error as Error).message).toBe(
      "registry test-contracts: the schema registry refused (AccessDeniedException: AccessDeniedException: it went wrong): check the Glue permissions of the caller's role on the registry and its schemas",
    );
  });

  it('passes throttling on as a TransientError (running again is safe)', async () => {
    const { glue } = fakeGlue({
      GetRegistryCommand: () => {
        throw awsError('ThrottlingException', 400);
      },
    });
    await expect(registerContracts(glue, REGISTRY, pipelineOf(V1))).rejects.toBeInstanceOf(TransientError);
  });

  it('accepts a registry another run created at the same moment', async () => {
    const { glue, calls } = fakeGlue({
      GetRegistryCommand: () => {
        throw awsError('EntityNotFoundException', 400);
      },
      CreateRegistryCommand: () => {
        throw awsError('AlreadyExistsException', 400);
      },
      GetSchemaCommand: () => {
        throw awsError('EntityNotFoundException', 400);
      },
      CreateSchemaCommand: () => ({ SchemaVersionId: 'id-1', SchemaVersionStatus: 'AVAILABLE' }),
    });
    const report = await registerContracts(glue, REGISTRY, pipelineOf(V1));
    expect(report.registryCreated).toBe(false);
    expect(report.schemas[0]).toMatchObject({ created: true, registered: [1] });
    expect(calls.find((c) => c.command === 'CreateSchemaCommand')!.input).toMatchObject({ DataFormat: 'JSON', Compatibility: 'BACKWARD', SchemaName: 't.x' });
  });
});
