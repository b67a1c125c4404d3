import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { CreateSchemaCommand, GetSchemaCommand, GetSchemaVersionCommand, GlueClient, RegisterSchemaVersionCommand } from '@aws-sdk/client-glue';
import { ContractRegistrationError, registerContracts } from '../../contracts/glue-registration';
import { GlueContractResolver } from '../../contracts/glue-registry';
import { GlueContractLookup } from '../../contracts/glue-lookup-by-id';
import { UnknownContractError } from '../../contracts/errors';
import { resolvePipeline, type ResolvedPipeline } from '../../model/pipeline-definition';
import { pipeline as samplePipeline } from '../../pipeline';
import { OutputKey } from '../../model/stack-outputs';
import { register as registerContractsRegisterCommand } from '../../cli/contracts-register';
import { emulatorClientConfig, uniqueName } from '../support/aws';

const SCHEMAS = join(import.meta.dirname, '../../schemas');
const pipeline = resolvePipeline(samplePipeline, SCHEMAS);

/** A Glue client that records the name of every command it sends (one per HTTP request). */
function countingGlue() {
  const glue = new GlueClient(emulatorClientConfig());
  const commands: string[] = [];
  glue.middlewareStack.add(
    (next, context) => async (args) => {
      commands.push(context.commandName ?? 'unknown');
      return next(args);
    },
    { step: 'deserialize', name: 'countGlueRequests' },
  );
  return { glue, commands };
}

const WRITES = ['CreateRegistryCommand', 'CreateSchemaCommand', 'RegisterSchemaVersionCommand', 'UpdateSchemaCommand'];

/** An event type's contract versions, in order. */
const versionsOf = (eventType: ResolvedPipeline['eventTypes'][number]) => eventType.versions.map((v) => v.version);
const signedUpV1 = pipeline.eventTypes.find((e) => e.name === 'user.signed-up')!.versions[0]!.schema.examples as unknown[];
const signedUpV2 = pipeline.eventTypes.find((e) => e.name === 'user.signed-up')!.versions[1]!.schema.examples as unknown[];

describe('Glue schema registry on the emulator', () => {
  const { glue, commands } = countingGlue();
  const registryName = uniqueName('contracts');
  afterAll(() => glue.destroy());

  it('registers every version in order, and a second run changes nothing and says so', async () => {
    const firstLog: string[] = [];
    const first = await registerContracts(glue, registryName, pipeline, (line) => firstLog.push(line));
    expect(first.changed).toBe(true);
    expect(first.registryCreated).toBe(true);
    // Every event type of the pipeline, in its order: the sample's three first, and any `fanout new event` added.
    expect(pipeline.eventTypes.slice(0, 3).map((e) => [e.name, versionsOf(e)])).toEqual([
      ['user.signed-up', [1, 2]],
      ['user.profile-updated', [1]],
      ['subscription.changed', [1]],
    ]);
    expect(first.schemas.map((s) => [s.eventType, s.created, s.registered])).toEqual(pipeline.eventTypes.map((e) => [e.name, true, versionsOf(e)]));
    expect(firstLog).toContain('registered user.signed-up v2');

    commands.length = 0;
    const secondLog: string[] = [];
    const second = await registerContracts(glue, registryName, pipeline, (line) => secondLog.push(line));
    expect(second.changed).toBe(false);
    expect(second.registryCreated).toBe(false);
    expect(second.schemas.map((s) => [s.eventType, s.created, s.registered, s.unchanged])).toEqual(pipeline.eventTypes.map((e) => [e.name, false, [], versionsOf(e)]));
    expect(commands.filter((c) => WRITES.includes(c))).toEqual([]);
    expect(secondLog.at(-1)).toBe(`nothing to do: registry ${registryName} already holds every version`);

    // Glue holds the files' exact text, version by version.
    const v2 = await glue.send(
      new GetSchemaVersionCommand({ SchemaId: { RegistryName: registryName, SchemaName: 'user.signed-up' }, SchemaVersionNumber: { VersionNumber: 2 } }),
    );
    expect(v2.SchemaDefinition).toBe(pipeline.eventTypes[0]!.versions[1]!.definition);
  });

  it('registers only the new version when a contract gains one', async () => {
    const name = uniqueName('contracts');
    const v1Only: ResolvedPipeline = { ...pipeline, eventTypes: pipeline.eventTypes.map((e) => ({ ...e, versions: e.versions.slice(0, 1) })) };
    await registerContracts(glue, name, v1Only);
    const report = await registerContracts(glue, name, pipeline);
    // user.signed-up gains v2; every other type (one version in the sample) nothing.
    expect(report.schemas.map((s) => [s.eventType, s.registered, s.unchanged])).toEqual(pipeline.eventTypes.map((e) => [e.name, versionsOf(e).slice(1), [1]]));
    expect(report.schemas[0]).toMatchObject({ eventType: 'user.signed-up', registered: [2], unchanged: [1] });
  });

  it('refuses to register over a registered version whose file was edited', async () => {
    const name = uniqueName('contracts');
    await registerContracts(glue, name, pipeline);
    const edited: ResolvedPipeline = {
      ...pipeline,
      eventTypes: pipeline.eventTypes.map((e, i) =>
        i === 0 ? { ...e, versions: e.versions.map((v) => (v.version === 1 ? { ...v, definition: v.definition.replace('"name"', '"fullName"'), schema: { ...v.schema, title: 'Edited' } } : v)) } : e,
      ),
    };
    const error = await registerContracts(glue, name, edited).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ContractRegistrationError);
    expect((error as Error).message).toMatch(/user\.signed-up v1 in registry .* differs from .*user\.signed-up\/v1\.json/);
  });

  it('resolves v1 and v2 through Glue and validates with them; a warm resolver makes no Glue call per message', async () => {
    const resolver = new GlueContractLookup({ glue, registryName });
    expect(await resolver.latestVersion('user.signed-up')).toBe(2);
    const v1 = await resolver.resolve('user.signed-up', 1);
    const v2 = await resolver.resolve('user.signed-up', 2);
    expect(v1.schema.$id).toBe('urn:fanout:contract:user.signed-up:v1');
    expect(v1.validate(signedUpV1[0])).toEqual([]);
    expect(v2.validate(signedUpV2[0])).toEqual([]);
    // v2's consent flag is not part of v1's closed contract.
    expect(v1.validate(signedUpV2[0])).toEqual([{ path: '/marketingOptIn', rule: 'additionalProperties', message: 'is not allowed by the contract' }]);
    expect(v2.validate({ ...(signedUpV2[0] as object), email: 'nope' })).toEqual([{ path: '/email', rule: 'format', message: 'must match format "email"' }]);
    await expect(resolver.resolve('user.signed-up', 3)).rejects.toBeInstanceOf(UnknownContractError);
    await expect(resolver.resolve('no.such-type', 1)).rejects.toBeInstanceOf(UnknownContractError);
    await expect(resolver.latestVersion('no.such-type')).rejects.toBeInstanceOf(UnknownContractError);

    const byId = await glue.send(new GetSchemaVersionCommand({ SchemaId: { RegistryName: registryName, SchemaName: 'user.signed-up' }, SchemaVersionNumber: { VersionNumber: 2 } }));
    expect(await resolver.resolveById(byId.SchemaVersionId!)).toMatchObject({ eventType: 'user.signed-up', version: 2 });

    // A consumer's steady state: messages of both versions, a fresh resolver warmed by the first of each.
    const consumer = new GlueContractResolver({ glue, registryName });
    const messages = 1000;
    const versions = Array.from({ length: messages }, (_, i) => (i % 3 === 0 ? 1 : 2));
    await Promise.all(versions.slice(0, 10).map((v) => consumer.resolve('user.signed-up', v)));
    const afterWarmUp = consumer.glueCalls;
    for (const version of versions) {
      const contract = await consumer.resolve('user.signed-up', version);
      expect(contract.validate(version === 1 ? signedUpV1[0] : signedUpV2[0])).toEqual([]);
    }
    const warmCalls = consumer.glueCalls - afterWarmUp;
    console.log(
      `[measure] Glue calls in a warm resolver: ${afterWarmUp} to warm up (concurrent first lookups of 2 versions), then ${warmCalls} for ${messages} messages = ${(warmCalls / messages).toFixed(3)} per message (target 0 after the first per version)`,
    );
    expect(afterWarmUp).toBe(2);
    expect(warmCalls).toBe(0);
  });

  it('never asks Glue again for a version it holds (versions are immutable), however long it runs', async () => {
    let now = 1_000;
    const resolver = new GlueContractLookup({ glue, registryName, now: () => now });
    const byNumber = await resolver.resolve('user.signed-up', 2);
    const { SchemaVersionId } = await glue.send(
      new GetSchemaVersionCommand({ SchemaId: { RegistryName: registryName, SchemaName: 'user.signed-up' }, SchemaVersionNumber: { VersionNumber: 1 } }),
    );
    const byId = await resolver.resolveById(SchemaVersionId!);
    expect(byId).toMatchObject({ eventType: 'user.signed-up', version: 1 });
    expect(resolver.glueCalls).toBe(2);
    // A container warm for a week: far past the latest-version TTL, not one Glue call, and
    // the same compiled validators (no Ajv rebuild).
    now += 7 * 24 * 3600 * 1000;
    expect(await resolver.resolve('user.signed-up', 2)).toBe(byNumber);
    expect(await resolver.resolveById(SchemaVersionId!)).toBe(byId);
    expect(resolver.glueCalls).toBe(2);
  });

  it('asks Glue again for the latest version once its TTL has passed, and so sees a newly registered one', async () => {
    const schemaName = uniqueName('latest.ttl');
    const [v1, v2] = pipeline.eventTypes[0]!.versions;
    await glue.send(
      new CreateSchemaCommand({ RegistryId: { RegistryName: registryName }, SchemaName: schemaName, DataFormat: 'JSON', Compatibility: 'BACKWARD', SchemaDefinition: v1!.definition }),
    );
    let now = 1_000;
    const resolver = new GlueContractResolver({ glue, registryName, latestVersionTtlMs: 60_000, now: () => now });
    expect(await resolver.latestVersion(schemaName)).toBe(1);
    await glue.send(new RegisterSchemaVersionCommand({ SchemaId: { RegistryName: registryName, SchemaName: schemaName }, SchemaDefinition: v2!.definition }));
    now += 59_999;
    expect(await resolver.latestVersion(schemaName)).toBe(1);
    expect(resolver.glueCalls).toBe(1);
    now += 1;
    expect(await resolver.latestVersion(schemaName)).toBe(2);
    expect(resolver.glueCalls).toBe(2);
  });

  it('shares one Glue call between concurrent lookups of the same version', async () => {
    const resolver = new GlueContractResolver({ glue, registryName });
    const results = await Promise.all(Array.from({ length: 20 }, () => resolver.resolve('user.profile-updated', 1)));
    expect(resolver.glueCalls).toBe(1);
    expect(new Set(results).size).toBe(1);
  });

  it('drops the least recently used version beyond maxEntries, and with maxEntries 0 caches nothing', async () => {
    const resolver = new GlueContractResolver({ glue, registryName, maxEntries: 2 });
    await resolver.resolve('user.signed-up', 1);
    await resolver.resolve('user.signed-up', 2);
    await resolver.resolve('user.signed-up', 1); // v1 is now the most recently used
    await resolver.resolve('user.profile-updated', 1); // evicts v2
    expect(resolver.glueCalls).toBe(3);
    await resolver.resolve('user.signed-up', 1);
    await resolver.resolve('user.profile-updated', 1);
    expect(resolver.glueCalls).toBe(3);
    await resolver.resolve('user.signed-up', 2);
    expect(resolver.glueCalls).toBe(4);

    const uncached = new GlueContractResolver({ glue, registryName, maxEntries: 0 });
    for (let i = 0; i < 3; i += 1) await uncached.resolve('user.signed-up', 1);
    expect(uncached.glueCalls).toBe(3);
  });

  it('treats a registered definition that differs only in key order and spacing as the same', async () => {
    const schemaName = uniqueName('reserialized.x');
    const file = pipeline.eventTypes[1]!.versions[0]!;
    // The registry holds the same schema, re-serialized: keys in reverse order, no spacing.
    const reordered = JSON.stringify(Object.fromEntries(Object.entries(file.schema).reverse()));
    expect(reordered).not.toBe(file.definition);
    await glue.send(
      new CreateSchemaCommand({ RegistryId: { RegistryName: registryName }, SchemaName: schemaName, DataFormat: 'JSON', Compatibility: 'BACKWARD', SchemaDefinition: reordered }),
    );
    commands.length = 0;
    const report = await registerContracts(glue, registryName, { name: 'test', eventTypes: [{ name: schemaName, compatibility: 'BACKWARD', versions: [file] }] });
    expect(report.changed).toBe(false);
    expect(report.schemas[0]).toMatchObject({ created: false, registered: [], unchanged: [1] });
    expect(commands.filter((c) => WRITES.includes(c))).toEqual([]);
  });

  it("sets an existing schema's compatibility mode to the pipeline's", async () => {
    const schemaName = uniqueName('compat.x');
    const file = pipeline.eventTypes[1]!.versions[0]!;
    await glue.send(
      new CreateSchemaCommand({ RegistryId: { RegistryName: registryName }, SchemaName: schemaName, DataFormat: 'JSON', Compatibility: 'NONE', SchemaDefinition: file.definition }),
    );
    const report = await registerContracts(glue, registryName, { name: 'test', eventTypes: [{ name: schemaName, compatibility: 'BACKWARD', versions: [file] }] });
    expect(report.changed).toBe(true);
    expect(report.schemas[0]!.compatibilityChanged).toEqual({ from: 'NONE', to: 'BACKWARD' });
    const schema = await glue.send(new GetSchemaCommand({ SchemaId: { RegistryName: registryName, SchemaName: schemaName } }));
    expect(schema.Compatibility).toBe('BACKWARD');
  });
});

describe('fanout contracts register', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fanout-register-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function run(args: string[], registryPipeline: ResolvedPipeline = pipeline) {
    const out: string[] = [];
    const err: string[] = [];
    const program = new Command().exitOverride();
    registerContractsRegisterCommand(program, () => ({
      glue: new GlueClient(emulatorClientConfig()),
      io: { out: (t) => out.push(t), err: (t) => err.push(t), interactive: false },
      pipeline: registryPipeline,
    }));
    const previous = process.exitCode;
    await program.parseAsync(['contracts', 'register', ...args], { from: 'user' });
    const code = process.exitCode;
    process.exitCode = previous;
    return { code, out, err };
  }

  it('registers into the registry the stack outputs name, then has nothing to do', async () => {
    const registryName = uniqueName('contracts');
    const outputsFile = join(dir, 'outputs.json');
    writeFileSync(outputsFile, JSON.stringify({ [pipeline.name]: { [OutputKey.schemaRegistryName()]: registryName } }));

    const first = await run(['--outputs-file', outputsFile]);
    expect(first.code).toBe(0);
    // Every event type of the pipeline, each version (4 in the sample's three types).
    const total = pipeline.eventTypes.reduce((n, e) => n + e.versions.length, 0);
    expect(first.out).toEqual([
      `created registry ${registryName}`,
      ...pipeline.eventTypes.flatMap((e) => [`created schema ${e.name} (${e.compatibility}) with v1`, ...versionsOf(e).slice(1).map((v) => `registered ${e.name} v${v}`)]),
      `registry ${registryName} (created): ${total} version${total === 1 ? '' : 's'} registered, 0 already there`,
    ]);
    expect(first.out.slice(1, 5)).toEqual([
      'created schema user.signed-up (BACKWARD) with v1',
      'registered user.signed-up v2',
      'created schema user.profile-updated (BACKWARD) with v1',
      'created schema subscription.changed (BACKWARD) with v1',
    ]);

    const second = await run(['--outputs-file', outputsFile]);
    expect(second.code).toBe(0);
    expect(second.out).toEqual([
      ...pipeline.eventTypes.map((e) => `${e.name}: ${e.versions.length === 1 ? 'v1' : `v1..v${e.versions.length}`} already registered`),
      `nothing to do: registry ${registryName} already holds every version`,
    ]);
    expect(second.out.slice(0, 3)).toEqual([
      'user.signed-up: v1..v2 already registered',
      'user.profile-updated: v1 already registered',
      'subscription.changed: v1 already registered',
    ]);

    const json = await run(['--registry', registryName, '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.out.join('\n'))).toMatchObject({ registryName, changed: false, registryCreated: false });
  });

  it('exits 1 when the registry contradicts schemas/, and 2 without a registry name', async () => {
    const registryName = uniqueName('contracts');
    await run(['--registry', registryName]);
    const edited: ResolvedPipeline = {
      ...pipeline,
      eventTypes: pipeline.eventTypes.map((e, i) => (i === 2 ? { ...e, versions: [{ ...e.versions[0]!, definition: '{"type":"object"}', schema: { type: 'object' } }] } : e)),
    };
    const conflict = await run(['--registry', registryName], edited);
    expect(conflict.code).toBe(1);
    expect(conflict.err.join('\n')).toMatch(/subscription\.changed v1 in registry .* differs from/);

    const noName = join(dir, 'no-registry.json');
    writeFileSync(noName, JSON.stringify({ [pipeline.name]: {} }));
    const missing = await run(['--outputs-file', noName]);
    expect(missing.code).toBe(2);
    expect(missing.err.join('\n')).toMatch(/no output "SchemaRegistryName"/);
  });
});
