/**
 * The validators precompiled from schemas/ (contracts/validators.generated.cjs): current
 * with schemas/, the same violations as ajv compiling the schema at run time, and used by
 * the resolver only for the very definition each was compiled from.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidContractDefinitionError, toResolvedContract } from '../../contracts/glue-registry';
import { PRECOMPILED_CONTRACTS, precompiledValidator, type PrecompiledContracts } from '../../contracts/precompiled-validators';
import { listContractFolders, loadContractVersions } from '../../contracts/schema-files';
import { schemaFingerprint } from '../../contracts/schema-fingerprint';
import { compileValidator } from '../../contracts/validation';
import { GENERATED_VALIDATORS_FILE, GENERATED_VALIDATORS_TYPES, GENERATED_VALIDATORS_TYPES_FILE, generateValidators } from '../../scripts/generate-validators';

const SCHEMAS = join(import.meta.dirname, '../../schemas');
const CONTRACTS = listContractFolders(SCHEMAS).flatMap((eventType) => loadContractVersions(SCHEMAS, eventType).map((v) => ({ eventType, ...v })));

/** Data that breaks a contract in each way its keywords can: around its own examples. */
function probes(schema: Record<string, unknown>): unknown[] {
  const examples = (schema.examples as Record<string, unknown>[] | undefined) ?? [{}];
  const properties = Object.keys((schema.properties as Record<string, unknown> | undefined) ?? {});
  const out: unknown[] = [null, 'text', 42, [], {}, { unknownMember: true }];
  for (const example of examples) {
    out.push(example, { ...example, unknownMember: 1, 'a/b~c': 2 });
    for (const name of properties) {
      const { [name]: _dropped, ...without } = example;
      out.push(without);
      for (const wrong of [null, 1, -1, 0, 1.5, '', 'x', 'not-an-email', 'usr_', '2026-13-45T99:00:00Z', 'x'.repeat(300), true, [], {}]) out.push({ ...example, [name]: wrong });
    }
  }
  return out;
}

describe('precompiled contract validators', () => {
  it('are up to date with schemas/ (run `npm run generate:types` when this fails)', () => {
    expect(readFileSync(GENERATED_VALIDATORS_FILE, 'utf8')).toBe(generateValidators(SCHEMAS));
    expect(readFileSync(GENERATED_VALIDATORS_TYPES_FILE, 'utf8')).toBe(GENERATED_VALIDATORS_TYPES);
  });

  it('cover every contract version in schemas/, each with the fingerprint of its schema', () => {
    expect(Object.keys(PRECOMPILED_CONTRACTS).sort()).toEqual(listContractFolders(SCHEMAS).sort());
    for (const { eventType, version, schema } of CONTRACTS) {
      expect(PRECOMPILED_CONTRACTS[eventType]?.[version]?.fingerprint, `${eventType} v${version}`).toBe(schemaFingerprint(schema));
    }
  });

  it.each(CONTRACTS.map((c) => [`${c.eventType} v${c.version}`, c] as const))('%s reports what ajv compiling the schema at run time reports, violation for violation', (_name, { eventType, version, schema }) => {
    const precompiled = precompiledValidator(eventType, version, schema)!;
    const compiled = compileValidator(schema);
    const violatedPaths = new Set<string>();
    for (const data of probes(schema)) {
      const expected = compiled(data);
      for (const violation of expected) violatedPaths.add(violation.path);
      expect(precompiled(data), JSON.stringify(data)).toEqual(expected);
    }
    // The probes reach every property's rules, not only the happy path: each property is
    // reported broken by some probe (whatever the contract's size; a fixed count would
    // hold the sample's contracts only).
    const properties = Object.keys((schema.properties as Record<string, unknown> | undefined) ?? {});
    expect(properties.length).toBeGreaterThan(0);
    expect(properties.filter((name) => !violatedPaths.has(`/${name}`))).toEqual([]);
  });

  it('stand in only for the schema they were compiled from, written in any key order', () => {
    const { eventType, version, schema } = CONTRACTS[0]!;
    const reordered = Object.fromEntries(Object.entries(schema).reverse());
    expect(precompiledValidator(eventType, version, reordered)).toBeTypeOf('function');
    expect(precompiledValidator(eventType, version, { ...schema, required: [] })).toBeUndefined();
    expect(precompiledValidator(eventType, version + 100, schema)).toBeUndefined();
    expect(precompiledValidator('no.such-type', version, schema)).toBeUndefined();
    expect(precompiledValidator('constructor', version, schema)).toBeUndefined();
    expect(precompiledValidator(eventType, version, schema, {})).toBeUndefined();
  });

  it('compile a 2020-12 contract with Ajv2020, as validation.ts does', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fanout-validators-'));
    try {
      const schema = {
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        type: 'object',
        properties: { id: { type: 'string', format: 'uuid' }, pair: { type: 'array', prefixItems: [{ type: 'string' }, { type: 'integer' }], items: false } },
        required: ['id'],
        dependentRequired: { pair: ['id'] },
        unevaluatedProperties: false,
      };
      mkdirSync(join(dir, 'order.placed'));
      writeFileSync(join(dir, 'order.placed', 'v1.json'), JSON.stringify(schema));
      // Run the generated module as Node would, its helpers resolved from this project.
      const module = { exports: {} as PrecompiledContracts };
      new Function('module', 'exports', 'require', generateValidators(dir))(module, module.exports, createRequire(import.meta.url));
      const precompiled = precompiledValidator('order.placed', 1, schema, module.exports)!;
      const compiled = compileValidator(schema);
      const cases = [{ id: 'x' }, { id: '0b4f7e8c-3a51-4f7a-9d0c-1b2a3c4d5e6f', pair: ['a', 1, 2] }, { pair: [1, 'a'], extra: true }, {}];
      for (const data of cases) expect(precompiled(data), JSON.stringify(data)).toEqual(compiled(data));
      expect(precompiled({ pair: ['a', 1, 2], extra: 1 }).map((v) => v.rule).sort()).toEqual(['dependentRequired', 'items', 'required', 'unevaluatedProperties']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('toResolvedContract', () => {
  const signedUp = CONTRACTS.find((c) => c.eventType === 'user.signed-up' && c.version === 2)!;
  const answer = (definition: unknown) => ({ SchemaDefinition: JSON.stringify(definition), DataFormat: 'JSON' as const, Status: 'AVAILABLE' as const });
  const example = (signedUp.schema.examples as Record<string, unknown>[])[0]!;

  it('uses the precompiled validator for a definition from schemas/, and compiles any other with ajv', async () => {
    const known = await toResolvedContract('user.signed-up', 2, answer(signedUp.schema));
    expect(known.validate({ ...example, plan: 'gold' })).toEqual([{ path: '/plan', rule: 'enum', message: 'must be equal to one of the allowed values' }]);

    // The same number registered with another definition (another registry, another
    // build): Glue's definition is the one that counts.
    const changed = { ...signedUp.schema, properties: { ...(signedUp.schema.properties as object), plan: { type: 'string' } } };
    const registered = await toResolvedContract('user.signed-up', 2, answer(changed));
    expect(registered.validate({ ...example, plan: 'gold' })).toEqual([]);
    expect(registered.validate({ ...example, plan: 7 })).toEqual([{ path: '/plan', rule: 'type', message: 'must be string' }]);
  });

  it('compiles a version registered after the build, and refuses one ajv cannot compile as before', async () => {
    const v3 = { ...signedUp.schema, $id: 'urn:fanout:contract:user.signed-up:v3', required: [...(signedUp.schema.required as string[]), 'locale'] };
    const resolved = await toResolvedContract('user.signed-up', 3, answer(v3));
    expect(resolved.validate(example)).toEqual([{ path: '/locale', rule: 'required', message: 'is required' }]);
    await expect(toResolvedContract('user.signed-up', 4, answer({ type: 'object', properties: { a: { type: 'no-such-type' } } }))).rejects.toBeInstanceOf(InvalidContractDefinitionError);
  });
});
