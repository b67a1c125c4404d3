import { describe, expect, it, vi } from 'vitest';
import type { GlueClient } from '@aws-sdk/client-glue';
import { ContractRegistrationError, ContractRegistryError, GlueContractResolver, InvalidContractDefinitionError, registerContracts, type RegistrablePipeline } from '../../contracts/glue-registry';
import { PermanentError, TransientError, UnknownContractError } from '../../contracts/errors';
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

describe('GlueContractResolver', () => {
  it('asks Glue for schema name + version number once, then answers from the cache with the same compiled validator', async () => {
    const { glue, calls } = fakeGlue({ GetSchemaVersionCommand: () => versionAnswer(V1) });
    const resolver = new GlueContractResolver({ glue, registryName: REGISTRY });
    const first = await resolver.resolve('thing.happened', 1);
    const second = await resolver.resolve('thing.happened', 1);
    expect(calls).toEqual([
      { command: 'GetSchemaVersionCommand', input: { SchemaId: { RegistryName: REGISTRY, SchemaName: 'thing.happened' }, SchemaVersionNumber: { VersionNumber: 1 } } },
    ]);
    expect(resolver.glueCalls).toBe(1);
    expect(second).toBe(first);
    expect(first.validate({ a: 'x' })).toEqual([]);
    expect(first.validate({})).toEqual([{ path: '/a', rule: 'required', message: 'is required' }]);
  });

  it('shares one in-flight call between concurrent lookups of the same version', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { glue, send } = fakeGlue({
      GetSchemaVersionCommand: async () => {
        await gate;
        return versionAnswer(V1);
      },
    });
    const resolver = new GlueContractResolver({ glue, registryName: REGISTRY });
    const lookups = Array.from({ length: 20 }, () => resolver.resolve('thing.happened', 1));
    release();
    const results = await Promise.all(lookups);
    expect(send).toHaveBeenCalledTimes(1);
    expect(new Set(results).size).toBe(1);
  });

  it('asks again once the TTL has passed', async () => {
    const time = clock();
    const { glue, send } = fakeGlue({ GetSchemaVersionCommand: () => versionAnswer(V1) });
    const resolver = new GlueContractResolver({ glue, registryName: REGISTRY, ttlMs: 1000, now: time.now });
    await resolver.resolve('thing.happened', 1);
    time.advance(999);
    await resolver.resolve('thing.happened', 1);
    expect(send).toHaveBeenCalledTimes(1);
    time.advance(1);
    await resolver.resolve('thing.happened', 1);
    expect(send).toHaveBeenCalledTimes(2);
  });

  it('drops the least recently used entry beyond maxEntries', async () => {
    const { glue, calls } = fakeGlue({ GetSchemaVersionCommand: (input) => versionAnswer(V1, input.SchemaVersionNumber.VersionNumber) });
    const resolver = new GlueContractResolver({ glue, registryName: REGISTRY, maxEntries: 2 });
    await resolver.resolve('a.x', 1);
    await resolver.resolve('b.x', 1);
    await resolver.resolve('a.x', 1); // a is now the most recently used
    await resolver.resolve('c.x', 1); // evicts b
    expect(calls).toHaveLength(3);
    await resolver.resolve('a.x', 1);
    expect(calls).toHaveLength(3);
    await resolver.resolve('b.x', 1);
    expect(calls.map((c) => c.input.SchemaId.SchemaName)).toEqual(['a.x', 'b.x', 'c.x', 'b.x']);
  });

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

  it('maps access denied to a permanent ContractRegistryError', async () => {
    const { glue } = fakeGlue({
      GetSchemaVersionCommand: () => {
        throw awsError('AccessDeniedException', 403);
      },
    });
    const error = await new GlueContractResolver({ glue, registryName: REGISTRY }).resolve('t.x', 1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ContractRegistryError);
    expect(error).toBeInstanceOf(PermanentError);
  });

  it('serves the previous answer when a refresh fails transiently, and tries again soon after', async () => {
    const time = clock();
    let fail = false;
    const { glue, send } = fakeGlue({
      GetSchemaVersionCommand: () => {
        if (fail) throw awsError('ThrottlingException', 400);
        return versionAnswer(V1);
      },
    });
    const resolver = new GlueContractResolver({ glue, registryName: REGISTRY, ttlMs: 60_000, now: time.now });
    const first = await resolver.resolve('t.x', 1);
    fail = true;
    time.advance(60_000);
    expect(await resolver.resolve('t.x', 1)).toBe(first);
    expect(send).toHaveBeenCalledTimes(2);
    time.advance(5_000);
    expect(await resolver.resolve('t.x', 1)).toBe(first);
    expect(send).toHaveBeenCalledTimes(2);
    time.advance(5_000);
    await resolver.resolve('t.x', 1);
    expect(send).toHaveBeenCalledTimes(3);
  });

  it('does not serve a stale answer when the version is gone', async () => {
    const time = clock();
    let gone = false;
    const { glue } = fakeGlue({
      GetSchemaVersionCommand: () => {
        if (gone) throw awsError('EntityNotFoundException', 400);
        return versionAnswer(V1);
      },
    });
    const resolver = new GlueContractResolver({ glue, registryName: REGISTRY, ttlMs: 10, now: time.now });
    await resolver.resolve('t.x', 1);
    gone = true;
    time.advance(10);
    await expect(resolver.resolve('t.x', 1)).rejects.toBeInstanceOf(UnknownContractError);
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

  it('finds the latest version with GetSchema and caches it', async () => {
    const { glue, calls } = fakeGlue({ GetSchemaCommand: () => ({ LatestSchemaVersion: 2, SchemaName: 't.x' }) });
    const resolver = new GlueContractResolver({ glue, registryName: REGISTRY });
    expect(await resolver.latestVersion('t.x')).toBe(2);
    expect(await resolver.latestVersion('t.x')).toBe(2);
    expect(calls).toEqual([{ command: 'GetSchemaCommand', input: { SchemaId: { RegistryName: REGISTRY, SchemaName: 't.x' } } }]);
  });

  it('resolves a version by its SchemaVersionId, taking the event type from the schema ARN', async () => {
    const { glue, calls } = fakeGlue({
      GetSchemaVersionCommand: () => ({ ...versionAnswer(V2, 2), SchemaArn: `arn:aws:glue:us-east-1:123456789012:schema/${REGISTRY}/t.x` }),
    });
    const resolver = new GlueContractResolver({ glue, registryName: REGISTRY });
    const contract = await resolver.resolveById('5a1b0c9e-0000-4000-8000-000000000000');
    expect(contract).toMatchObject({ eventType: 't.x', version: 2 });
    expect(calls[0]!.input).toEqual({ SchemaVersionId: '5a1b0c9e-0000-4000-8000-000000000000' });
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

  it('treats a re-serialized but equal definition as the same', async () => {
    const { glue, calls } = fakeGlue({
      ...registryExists,
      GetSchemaCommand: () => ({ LatestSchemaVersion: 1, Compatibility: 'BACKWARD', DataFormat: 'JSON' }),
      GetSchemaVersionCommand: () => ({ ...versionAnswer(V1), SchemaDefinition: '{"required":["a"],"properties":{"a":{"type":"string"}},"type":"object"}' }),
    });
    const report = await registerContracts(glue, REGISTRY, pipelineOf(V1));
    expect(report.changed).toBe(false);
    expect(calls.map((c) => c.command)).toEqual(['GetRegistryCommand', 'GetSchemaCommand', 'GetSchemaVersionCommand']);
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

  it("sets the schema's compatibility mode to the pipeline's", async () => {
    const { glue, calls } = fakeGlue({
      ...registryExists,
      GetSchemaCommand: () => ({ LatestSchemaVersion: 1, Compatibility: 'NONE', DataFormat: 'JSON' }),
      GetSchemaVersionCommand: () => versionAnswer(V1),
      UpdateSchemaCommand: () => ({}),
    });
    const report = await registerContracts(glue, REGISTRY, pipelineOf(V1));
    expect(report.changed).toBe(true);
    expect(report.schemas[0]!.compatibilityChanged).toEqual({ from: 'NONE', to: 'BACKWARD' });
    expect(calls.at(-1)).toEqual({ command: 'UpdateSchemaCommand', input: { SchemaId: { RegistryName: REGISTRY, SchemaName: 't.x' }, Compatibility: 'BACKWARD' } });
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
