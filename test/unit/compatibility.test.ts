/**
 * The compatibility checker on schemas the shared vectors do not cover: combinators,
 * $ref (local, $defs, recursive, cyclic, external), nested objects and arrays, tuples,
 * enums and consts, numeric and string bounds, open / closed / partially open content
 * models, conditions and `not`. Each expected verdict follows from the BACKWARD rule
 * alone: does the later schema accept every document the earlier one accepted?
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CompatibilityMode } from '../../contracts/compatibility-mode';
import { formatChange } from '../../contracts/compatibility/changes';
import { diffSchemas } from '../../contracts/compatibility/diff';
import { checkNewVersion, checkVersionChain } from '../../contracts/compatibility/modes';
import { modeCheckLines } from '../../contracts/compatibility/report';
import { InvalidSchemaError } from '../../contracts/compatibility/schema-document';
import { compileValidator } from '../../contracts/validation';

interface Case {
  readonly name: string;
  readonly earlier: unknown;
  readonly later: unknown;
  readonly compatible: boolean;
  /** `KIND pointer` strings that must be among the reported changes. */
  readonly reports?: readonly string[];
}

const person = (email: Record<string, unknown>) => ({
  type: 'object',
  properties: { user: { type: 'object', properties: { email } } },
});

const tree = (name: Record<string, unknown>) => ({
  type: 'object',
  properties: { name, children: { type: 'array', items: { $ref: '#' } } },
});

const mutual = (n: Record<string, unknown>) => ({
  $ref: '#/definitions/a',
  definitions: {
    a: { type: 'object', properties: { b: { $ref: '#/definitions/b' } } },
    b: { type: 'object', properties: { a: { $ref: '#/definitions/a' }, n } },
  },
});

const cases: Case[] = [
  // nested objects and arrays
  {
    name: 'nested string maxLength decreased',
    earlier: person({ type: 'string', maxLength: 254 }),
    later: person({ type: 'string', maxLength: 100 }),
    compatible: false,
    reports: ['MAX_LENGTH_DECREASED #/properties/user/properties/email/maxLength'],
  },
  {
    name: 'nested string maxLength increased',
    earlier: person({ type: 'string', maxLength: 100 }),
    later: person({ type: 'string', maxLength: 254 }),
    compatible: true,
    reports: ['MAX_LENGTH_INCREASED #/properties/user/properties/email/maxLength'],
  },
  {
    name: 'integer widened to number inside array items',
    earlier: { type: 'array', items: { type: 'object', properties: { n: { type: 'integer' } } } },
    later: { type: 'array', items: { type: 'object', properties: { n: { type: 'number' } } } },
    compatible: true,
    reports: ['TYPE_EXTENDED #/items/properties/n'],
  },
  {
    name: 'number narrowed to integer inside array items',
    earlier: { type: 'array', items: { type: 'object', properties: { n: { type: 'number' } } } },
    later: { type: 'array', items: { type: 'object', properties: { n: { type: 'integer' } } } },
    compatible: false,
    reports: ['TYPE_NARROWED #/items/properties/n'],
  },
  {
    name: 'nested minItems increased',
    earlier: { type: 'object', properties: { tags: { type: 'array', minItems: 1 } } },
    later: { type: 'object', properties: { tags: { type: 'array', minItems: 2 } } },
    compatible: false,
    reports: ['MIN_ITEMS_INCREASED #/properties/tags/minItems'],
  },
  {
    name: 'nested minProperties added',
    earlier: { type: 'object', properties: { meta: { type: 'object' } } },
    later: { type: 'object', properties: { meta: { type: 'object', minProperties: 1 } } },
    compatible: false,
    reports: ['MIN_PROPERTIES_ADDED #/properties/meta/minProperties'],
  },
  // $ref
  {
    name: 'change behind a local $ref is reported where the value sits',
    earlier: { properties: { a: { $ref: '#/definitions/x' } }, definitions: { x: { type: 'string', minLength: 1 } } },
    later: { properties: { a: { $ref: '#/definitions/x' } }, definitions: { x: { type: 'string', minLength: 2 } } },
    compatible: false,
    reports: ['MIN_LENGTH_INCREASED #/properties/a/minLength'],
  },
  {
    name: 'inline schema moved behind a $defs reference',
    earlier: { type: 'object', properties: { a: { type: 'string', format: 'email' } } },
    later: { type: 'object', properties: { a: { $ref: '#/$defs/email' } }, $defs: { email: { type: 'string', format: 'email' } } },
    compatible: true,
  },
  {
    name: 'recursive schema unchanged (terminates)',
    earlier: tree({ type: 'string' }),
    later: tree({ type: 'string' }),
    compatible: true,
  },
  {
    name: 'recursive schema narrowed',
    earlier: tree({ type: 'string' }),
    later: tree({ type: 'string', maxLength: 5 }),
    compatible: false,
    reports: ['MAX_LENGTH_ADDED #/properties/name/maxLength'],
  },
  {
    name: 'mutually recursive definitions, change two levels down',
    earlier: mutual({ type: 'string' }),
    later: mutual({ type: 'number' }),
    compatible: false,
    reports: ['TYPE_CHANGED #/properties/b/properties/n'],
  },
  {
    name: 'mutually recursive definitions widened',
    earlier: mutual({ type: 'integer' }),
    later: mutual({ type: 'number' }),
    compatible: true,
  },
  {
    name: 'a $ref chain that loops on itself constrains nothing',
    earlier: { type: 'string' },
    later: { $ref: '#/definitions/a', definitions: { a: { $ref: '#/definitions/b' }, b: { $ref: '#/definitions/a' } } },
    compatible: true,
  },
  {
    name: 'identical external $ref',
    earlier: { properties: { a: { $ref: 'https://example.com/money.json' } } },
    later: { properties: { a: { $ref: 'https://example.com/money.json' } } },
    compatible: true,
  },
  {
    name: 'changed external $ref cannot be checked',
    earlier: { properties: { a: { $ref: 'https://example.com/money.json#/v1' } } },
    later: { properties: { a: { $ref: 'https://example.com/money.json#/v2' } } },
    compatible: false,
    reports: ['REFERENCE_UNRESOLVED #/properties/a'],
  },
  // combinators
  {
    name: 'anyOf gains a branch',
    earlier: { anyOf: [{ type: 'string' }, { type: 'integer' }] },
    later: { anyOf: [{ type: 'string' }, { type: 'integer' }, { type: 'null' }] },
    compatible: true,
    reports: ['SUM_TYPE_EXTENDED #/'],
  },
  {
    name: 'anyOf loses a branch',
    earlier: { anyOf: [{ type: 'string' }, { type: 'integer' }] },
    later: { anyOf: [{ type: 'string' }] },
    compatible: false,
    reports: ['SUM_TYPE_NARROWED #/'],
  },
  {
    name: 'oneOf becomes anyOf',
    earlier: { oneOf: [{ type: 'string' }, { type: 'integer' }] },
    later: { anyOf: [{ type: 'string' }, { type: 'integer' }] },
    compatible: true,
    reports: ['COMBINED_TYPE_EXTENDED #/'],
  },
  {
    name: 'anyOf with overlapping branches becomes oneOf',
    earlier: { anyOf: [{ type: 'string' }, { maxLength: 3 }] },
    later: { oneOf: [{ type: 'string' }, { maxLength: 3 }] },
    compatible: false,
    reports: ['COMBINED_TYPE_CHANGED #/'],
  },
  {
    name: 'type list rewritten as oneOf of the same types',
    earlier: { type: ['string', 'null'] },
    later: { oneOf: [{ type: 'null' }, { type: 'string' }] },
    compatible: true,
  },
  {
    name: 'allOf gains a constraining part',
    earlier: { allOf: [{ type: 'string' }] },
    later: { allOf: [{ type: 'string' }, { maxLength: 5 }] },
    compatible: false,
    reports: ['PRODUCT_TYPE_EXTENDED #/'],
  },
  {
    name: 'allOf loses a part',
    earlier: { allOf: [{ type: 'string' }, { maxLength: 5 }] },
    later: { allOf: [{ type: 'string' }] },
    compatible: true,
    reports: ['PRODUCT_TYPE_NARROWED #/'],
  },
  {
    name: 'allOf composition: a required property added in the extension',
    earlier: { allOf: [{ $ref: '#/definitions/base' }, { properties: { x: { type: 'string' } } }], definitions: { base: { type: 'object', properties: { id: { type: 'string' } } } } },
    later: {
      allOf: [{ $ref: '#/definitions/base' }, { properties: { x: { type: 'string' } }, required: ['x'] }],
      definitions: { base: { type: 'object', properties: { id: { type: 'string' } } } },
    },
    compatible: false,
    reports: ['COMBINED_TYPE_SUBSCHEMAS_CHANGED #/'],
  },
  {
    name: 'string made nullable',
    earlier: { type: 'string' },
    later: { type: ['string', 'null'] },
    compatible: true,
    reports: ['SUM_TYPE_EXTENDED #/'],
  },
  {
    name: 'nullable made non-nullable',
    earlier: { type: ['string', 'null'] },
    later: { type: 'string' },
    compatible: false,
    reports: ['SUM_TYPE_NARROWED #/'],
  },
  {
    name: 'nullable, but the string branch narrowed',
    earlier: { type: 'string', maxLength: 254 },
    later: { type: ['string', 'null'], maxLength: 100 },
    compatible: false,
    reports: ['MAX_LENGTH_DECREASED #/maxLength'],
  },
  // enums and consts
  {
    name: 'enum value added to a property',
    earlier: { properties: { plan: { type: 'string', enum: ['free', 'pro'] } } },
    later: { properties: { plan: { type: 'string', enum: ['free', 'pro', 'enterprise'] } } },
    compatible: true,
    reports: ['ENUM_ARRAY_EXTENDED #/properties/plan/enum'],
  },
  {
    name: 'enum value removed from a property',
    earlier: { properties: { plan: { enum: ['free', 'pro', 'enterprise'] } } },
    later: { properties: { plan: { enum: ['free', 'pro'] } } },
    compatible: false,
    reports: ['ENUM_ARRAY_NARROWED #/properties/plan/enum'],
  },
  {
    name: 'enum replaced by a type that admits every value',
    earlier: { enum: ['a', 'b'] },
    later: { type: 'string', maxLength: 1 },
    compatible: true,
  },
  {
    name: 'enum replaced by a type that rejects one value',
    earlier: { enum: ['a', 'bb'] },
    later: { type: 'string', maxLength: 1 },
    compatible: false,
    reports: ['ENUM_VALUES_REJECTED #/enum'],
  },
  {
    name: 'string restricted to an enum',
    earlier: { type: 'string' },
    later: { type: 'string', enum: ['a'] },
    compatible: false,
    reports: ['ENUM_ARRAY_ADDED #/enum'],
  },
  {
    name: 'boolean spelled as an enum of both values',
    earlier: { type: 'boolean' },
    later: { enum: [true, false] },
    compatible: true,
  },
  {
    name: 'const widened to an enum containing it',
    earlier: { const: 'v1' },
    later: { enum: ['v1', 'v2'] },
    compatible: true,
    reports: ['ENUM_ARRAY_EXTENDED #/const'],
  },
  // numbers and strings
  {
    name: 'integer minimum 5 rewritten as exclusiveMinimum 4',
    earlier: { type: 'integer', minimum: 5 },
    later: { type: 'integer', exclusiveMinimum: 4 },
    compatible: true,
  },
  {
    name: 'number minimum 5 made exclusive',
    earlier: { type: 'number', minimum: 5 },
    later: { type: 'number', exclusiveMinimum: 5 },
    compatible: false,
  },
  {
    name: 'draft-04 boolean exclusiveMaximum added',
    earlier: { type: 'number', maximum: 10 },
    later: { type: 'number', maximum: 10, exclusiveMaximum: true },
    compatible: false,
  },
  {
    name: 'maximum added',
    earlier: { type: 'number' },
    later: { type: 'number', maximum: 100 },
    compatible: false,
    reports: ['MAXIMUM_ADDED #/maximum'],
  },
  {
    name: 'multipleOf made coarser',
    earlier: { type: 'number', multipleOf: 2 },
    later: { type: 'number', multipleOf: 4 },
    compatible: false,
    reports: ['MULTIPLE_OF_EXPANDED #/multipleOf'],
  },
  {
    name: 'multipleOf 1 added to an integer',
    earlier: { type: 'integer' },
    later: { type: 'integer', multipleOf: 1 },
    compatible: true,
  },
  {
    name: 'format added',
    earlier: { type: 'string' },
    later: { type: 'string', format: 'email' },
    compatible: false,
    reports: ['FORMAT_ADDED #/format'],
  },
  {
    name: 'format removed',
    earlier: { type: 'string', format: 'date-time' },
    later: { type: 'string' },
    compatible: true,
    reports: ['FORMAT_REMOVED #/format'],
  },
  {
    name: 'pattern added',
    earlier: { type: 'string' },
    later: { type: 'string', pattern: '^usr_' },
    compatible: false,
    reports: ['PATTERN_ADDED #/pattern'],
  },
  // content models
  {
    name: 'property removed from a closed object',
    earlier: { type: 'object', properties: { a: { type: 'string' }, b: { type: 'string' } }, additionalProperties: false },
    later: { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: false },
    compatible: false,
    reports: ['PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL #/properties/b'],
  },
  {
    name: 'required property added to a closed object',
    earlier: { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: false },
    later: { type: 'object', properties: { a: { type: 'string' }, b: { type: 'string' } }, required: ['b'], additionalProperties: false },
    compatible: false,
    reports: ['REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL #/properties/b'],
  },
  {
    name: 'property added that a pattern covered, narrower than the pattern',
    earlier: { type: 'object', patternProperties: { '^x_': { type: 'string' } } },
    later: { type: 'object', properties: { x_a: { type: 'string', maxLength: 3 } }, patternProperties: { '^x_': { type: 'string' } } },
    compatible: false,
    reports: ['PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL #/properties/x_a'],
  },
  {
    name: 'pattern property schema widened',
    earlier: { type: 'object', patternProperties: { '^S_': { type: 'string' } }, additionalProperties: false },
    later: { type: 'object', patternProperties: { '^S_': { type: ['string', 'null'] } }, additionalProperties: false },
    compatible: true,
  },
  {
    name: 'pattern properties added to a closed object',
    earlier: { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: false },
    later: { type: 'object', properties: { a: { type: 'string' } }, patternProperties: { '^ext_': { type: 'string' } }, additionalProperties: false },
    compatible: true,
  },
  {
    name: 'pattern properties added to an open object',
    earlier: { type: 'object', properties: { a: { type: 'string' } } },
    later: { type: 'object', properties: { a: { type: 'string' } }, patternProperties: { '^ext_': { type: 'string' } } },
    compatible: false,
    reports: ['PATTERN_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL #/patternProperties/^ext_'],
  },
  {
    name: 'additionalProperties schema opened to anything',
    earlier: { type: 'object', additionalProperties: { type: 'string' } },
    later: { type: 'object', additionalProperties: true },
    compatible: true,
    reports: ['ADDITIONAL_PROPERTIES_EXTENDED #/additionalProperties'],
  },
  {
    name: 'property schema `true` narrowed to a type',
    earlier: { type: 'object', properties: { a: true } },
    later: { type: 'object', properties: { a: { type: 'string' } } },
    compatible: false,
    reports: ['TYPE_NARROWED #/properties/a'],
  },
  // arrays and tuples
  {
    name: 'position added to a closed tuple',
    earlier: { type: 'array', items: [{ type: 'string' }], additionalItems: false },
    later: { type: 'array', items: [{ type: 'string' }, { type: 'number' }], additionalItems: false },
    compatible: true,
    reports: ['ITEM_ADDED_TO_CLOSED_CONTENT_MODEL #/items/1'],
  },
  {
    name: 'one items schema became a closed tuple',
    earlier: { type: 'array', items: { type: 'string' } },
    later: { type: 'array', items: [{ type: 'string' }, { type: 'string' }], additionalItems: false },
    compatible: false,
    reports: ['ADDITIONAL_ITEMS_REMOVED #/additionalItems'],
  },
  {
    name: 'open tuple became one items schema',
    earlier: { type: 'array', items: [{ type: 'string' }, { type: 'integer' }] },
    later: { type: 'array', items: { type: ['string', 'integer'] } },
    compatible: false,
    reports: ['SCHEMA_ADDED #/items'],
  },
  {
    name: 'closed tuple became one items schema admitting its items',
    earlier: { type: 'array', items: [{ type: 'string' }, { type: 'integer' }], additionalItems: false },
    later: { type: 'array', items: { type: ['string', 'integer'] } },
    compatible: true,
  },
  {
    name: 'uniqueItems added',
    earlier: { type: 'array' },
    later: { type: 'array', uniqueItems: true },
    compatible: false,
    reports: ['UNIQUE_ITEMS_ADDED #/uniqueItems'],
  },
  {
    name: 'contains added',
    earlier: { type: 'array' },
    later: { type: 'array', contains: { const: 'admin' } },
    compatible: false,
    reports: ['CONTAINS_ADDED #/contains'],
  },
  // not, conditions, dependencies, property names
  {
    name: 'not added that excludes a value the type allowed',
    earlier: { type: 'integer' },
    later: { type: 'integer', not: { const: 0 } },
    compatible: false,
    reports: ['NOT_ADDED #/not'],
  },
  {
    name: 'not added that excludes another type only',
    earlier: { type: 'string' },
    later: { type: 'string', not: { type: 'number' } },
    compatible: true,
  },
  {
    name: 'then branch requires one more property',
    earlier: { type: 'object', if: { properties: { kind: { const: 'a' } } }, then: { required: ['x'] } },
    later: { type: 'object', if: { properties: { kind: { const: 'a' } } }, then: { required: ['x', 'y'] } },
    compatible: false,
    reports: ['REQUIRED_ATTRIBUTE_ADDED #/then/required/y'],
  },
  {
    name: 'unchanged condition',
    earlier: { type: 'object', if: { required: ['a'] }, then: { required: ['b'] } },
    later: { type: 'object', if: { required: ['a'] }, then: { required: ['b'] } },
    compatible: true,
  },
  {
    name: 'dependency list extended',
    earlier: { type: 'object', dependencies: { card: ['expiry'] } },
    later: { type: 'object', dependencies: { card: ['expiry', 'cvc'] } },
    compatible: false,
    reports: ['DEPENDENCY_ARRAY_EXTENDED #/dependencies/card'],
  },
  {
    name: 'dependentRequired added (2019-09 spelling)',
    earlier: { type: 'object' },
    later: { type: 'object', dependentRequired: { card: ['expiry'] } },
    compatible: false,
    reports: ['DEPENDENCY_ARRAY_ADDED #/dependentRequired/card'],
  },
  {
    name: 'propertyNames added',
    earlier: { type: 'object' },
    later: { type: 'object', propertyNames: { pattern: '^[a-z]+$' } },
    compatible: false,
    reports: ['PROPERTY_NAMES_ADDED #/propertyNames'],
  },
  // types
  {
    name: 'type declared where only object keywords were',
    earlier: { properties: { a: { type: 'string' } } },
    later: { type: 'object', properties: { a: { type: 'string' } } },
    compatible: false,
    reports: ['TYPE_NARROWED #/'],
  },
  {
    name: 'type declaration dropped',
    earlier: { type: 'object', properties: { a: { type: 'string' } } },
    later: { properties: { a: { type: 'string' } } },
    compatible: true,
  },
  { name: 'true to false', earlier: true, later: false, compatible: false, reports: ['TYPE_NARROWED #/'] },
  { name: 'false to anything', earlier: false, later: { type: 'string' }, compatible: true },
  {
    name: 'a realistic contract evolution: optional field, nullable name, wider enum',
    earlier: {
      type: 'object',
      properties: { id: { type: 'string' }, name: { type: 'string', maxLength: 200 }, plan: { enum: ['free', 'pro'] } },
      required: ['id', 'name'],
      additionalProperties: false,
    },
    later: {
      type: 'object',
      properties: {
        id: { type: 'string' },
        name: { type: ['string', 'null'], maxLength: 200 },
        plan: { enum: ['free', 'pro', 'enterprise'] },
        optIn: { type: 'boolean' },
      },
      required: ['id', 'name'],
      additionalProperties: false,
    },
    compatible: true,
  },
];

describe('compatibility checker on its own cases', () => {
  it('has a table of at least 30 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, testCase) => {
    const diff = diffSchemas(testCase.earlier, testCase.later);
    const reported = diff.changes.map((c) => `${c.kind} ${c.pointer}`);
    expect(diff.compatible, diff.changes.map(formatChange).join('\n')).toBe(testCase.compatible);
    for (const expected of testCase.reports ?? []) expect(reported).toContain(expected);
    // Every breaking change says where and what, in words.
    for (const change of diff.changes.filter((c) => !c.compatible)) {
      expect(change.pointer).toMatch(/^#\//);
      expect(change.message.length).toBeGreaterThan(20);
    }
    if (!testCase.compatible) expect(diff.changes.some((c) => !c.compatible)).toBe(true);
  });

  it('words an incompatibility so a person can act on it', () => {
    const diff = diffSchemas(person({ type: 'string', maxLength: 254 }), person({ type: 'string', maxLength: 100 }));
    const [breaking] = diff.changes.filter((c) => !c.compatible);
    expect(formatChange(breaking!)).toBe(
      'INCOMPATIBLE MAX_LENGTH_DECREASED #/properties/user/properties/email/maxLength: maxLength decreased from 254 to 100: values with 101 to 254 characters were valid before and are rejected now',
    );
  });

  it('explains an unmatched oneOf branch with the closest branch as a cause', () => {
    const diff = diffSchemas({ oneOf: [{ type: 'string', maxLength: 10 }, { type: 'null' }] }, { oneOf: [{ type: 'string', maxLength: 5 }, { type: 'null' }] });
    expect(diff.compatible).toBe(false);
    const wrapper = diff.changes.find((c) => c.kind === 'COMBINED_TYPE_SUBSCHEMAS_CHANGED')!;
    expect(wrapper.causes?.map((c) => `${c.kind} ${c.pointer}`)).toContain('MAX_LENGTH_DECREASED #/oneOf/0/maxLength');
  });

  it('warns, without failing, when required names a property no version declares (as the vectors rule)', () => {
    const diff = diffSchemas({ type: 'object', properties: { a: { type: 'string' } } }, { type: 'object', properties: { a: { type: 'string' } }, required: ['b'] });
    expect(diff.compatible).toBe(true);
    expect(diff.warnings).toEqual([expect.objectContaining({ pointer: '#/required/b' })]);
  });

  it('refuses input that is not a schema', () => {
    expect(() => diffSchemas([1, 2], {})).toThrow(InvalidSchemaError);
    expect(() => diffSchemas({}, 'string')).toThrow(/later schema is not a JSON Schema/);
  });

  it('stays fast on a wide recursive schema', () => {
    const wide = (extra: Record<string, unknown>) => ({
      $ref: '#/definitions/node',
      definitions: {
        node: {
          type: 'object',
          properties: Object.fromEntries(
            Array.from({ length: 40 }, (_, i) => [`p${i}`, { oneOf: [{ $ref: '#/definitions/node' }, { type: 'string', ...extra }, { type: 'null' }] }]),
          ),
        },
      },
    });
    const started = performance.now();
    const diff = diffSchemas(wide({}), wide({ maxLength: 3 }));
    expect(diff.compatible).toBe(false);
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});

describe('compatibility modes', () => {
  const v = (label: string, schema: unknown) => ({ label, schema });
  const closedV1 = v('v1', { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: false });
  const closedV2 = v('v2', { type: 'object', properties: { a: { type: 'string' }, b: { type: 'string' } }, additionalProperties: false });

  it('BACKWARD lets a closed object gain an optional property; FORWARD does not (old readers reject it)', () => {
    expect(checkNewVersion([closedV1], closedV2, CompatibilityMode.Backward).compatible).toBe(true);
    const forward = checkNewVersion([closedV1], closedV2, CompatibilityMode.Forward);
    expect(forward.compatible).toBe(false);
    expect(forward.comparisons[0]!.direction).toBe('forward');
    expect(forward.comparisons[0]!.diff.changes.map((c) => c.kind)).toContain('PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL');
  });

  it('FULL needs both directions', () => {
    const full = checkNewVersion([closedV1], closedV2, CompatibilityMode.Full);
    expect(full.comparisons.map((c) => c.direction)).toEqual(['backward', 'forward']);
    expect(full.compatible).toBe(false);
    const open1 = v('v1', { type: 'object', properties: { a: { type: 'string', maxLength: 10 } } });
    const open2 = v('v2', { type: 'object', properties: { a: { type: 'string', maxLength: 10 } }, title: 'renamed' });
    expect(checkNewVersion([open1], open2, CompatibilityMode.Full).compatible).toBe(true);
  });

  it('the *_ALL modes check every earlier version, the others only the latest', () => {
    const versions = [v('v1', { enum: ['a', 'b'] }), v('v2', { enum: ['a'] })];
    const v3 = v('v3', { enum: ['a', 'c'] });
    const latestOnly = checkNewVersion(versions, v3, CompatibilityMode.Backward);
    expect(latestOnly.compatible).toBe(true);
    expect(latestOnly.comparisons.map((c) => c.earlier)).toEqual(['v2']);
    const all = checkNewVersion(versions, v3, CompatibilityMode.BackwardAll);
    expect(all.compatible).toBe(false);
    expect(all.comparisons.map((c) => c.earlier)).toEqual(['v1', 'v2']);
    expect(checkNewVersion(versions, v3, CompatibilityMode.FullAll).comparisons).toHaveLength(4);
    expect(checkNewVersion(versions, v3, CompatibilityMode.ForwardAll).comparisons.map((c) => c.direction)).toEqual(['forward', 'forward']);
  });

  it('NONE accepts any change; DISABLED accepts no new version', () => {
    const breaking = v('v2', { type: 'number' });
    const first = v('v1', { type: 'string' });
    expect(checkNewVersion([first], breaking, CompatibilityMode.None)).toMatchObject({ compatible: true, comparisons: [] });
    const disabled = checkNewVersion([first], v('v2', { type: 'string' }), CompatibilityMode.Disabled);
    expect(disabled.compatible).toBe(false);
    expect(disabled.refusal).toMatch(/DISABLED/);
    expect(checkVersionChain([first], CompatibilityMode.Disabled)).toEqual([]);
  });

  it('checks a chain version by version', () => {
    const chain = checkVersionChain([v('v1', { type: 'string' }), v('v2', { type: ['string', 'null'] }), v('v3', { type: 'string' })], CompatibilityMode.Backward);
    expect(chain.map((c) => [c.version, c.compatible])).toEqual([
      ['v2', true],
      ['v3', false],
    ]);
    expect(modeCheckLines(chain[1]!).join('\n')).toMatch(/v3 reading data written with v2: NOT compatible[\s\S]*SUM_TYPE_NARROWED #\//);
  });
});

describe('soundness against real validation', () => {
  // Values chosen to hit the keywords the cases use: lengths around the bounds, integers
  // and fractions, tuples of several lengths, objects with declared, patterned and other names.
  const corpus: unknown[] = [
    null, true, false, 0, 1, 2, 3, 4, 5, 10, 11, 12, 20, 22, 100, 1.5, -3, '', 'a', 'b', 'bb', 'c', 'v1', 'v2', 'red', 'blue', 'free', 'pro', 'enterprise',
    'usr_abcdef', 'ada@example.com', '2026-01-01T00:00:00Z', 'abcdefghij', 'abcdefghijk', 'abcdefghijkl', 'x'.repeat(120), 'admin',
    [], ['a'], [1], ['a', 1], ['a', 'b'], ['a', 1, 'b'], ['a', 1, 2], ['a', 1, true], [1, 1], ['a', 'a'], [null], ['admin'], ['a', 1, null],
    {}, { foo: 'x' }, { foo: 1 }, { bar: 'x' }, { bar: 1 }, { foo: 'x', bar: 'y' }, { foo: 1, bar: 'y' }, { foo: 'x', bar: 1 }, { foo: 'red' },
    { I_123: 5 }, { I_123: 1.5 }, { S_1: 'x' }, { x_a: 'long value' }, { ext_1: 1 }, { a: 'x' }, { a: 'x', b: 'y' }, { a: 1 }, { n: 1 }, { n: 1.5 },
    { tags: ['a'] }, { meta: {} }, { user: { email: 'x'.repeat(120) } }, { plan: 'enterprise' }, { card: 1 }, { card: 1, expiry: 2 }, { kind: 'a', x: 1 },
    { id: 'i', name: null }, { id: 'i', name: 'n', plan: 'pro' }, { name: 'n', children: [{ name: 'x'.repeat(10) }] }, { b: { n: 'x' } }, { p0: 'abcdef' },
  ];
  const verdicts = new Map<string, boolean[] | undefined>();
  const accepted = (schema: unknown): boolean[] | undefined => {
    const key = JSON.stringify(schema);
    if (!verdicts.has(key)) verdicts.set(key, acceptedBy(schema));
    return verdicts.get(key);
  };
  const acceptedBy = (schema: unknown): boolean[] | undefined => {
    try {
      const validate = compileValidator(typeof schema === 'boolean' ? (schema ? {} : { not: {} }) : (schema as Record<string, unknown>));
      return corpus.map((value) => validate(value).length === 0);
    } catch {
      return undefined; // external $refs: ajv cannot compile them either
    }
  };
  const vectors = JSON.parse(
    readFileSync(join(import.meta.dirname, '..', '..', '..', 'shared', 'conformance', 'json-schema-compat', 'diff-schema-examples.json'), 'utf8'),
  ) as { description: string; original_schema: unknown; update_schema: unknown }[];
  const pairs = [
    ...cases.map((c) => [c.name, c.earlier, c.later] as const),
    ...vectors.map((v) => [v.description, v.original_schema, v.update_schema] as const),
  ].flatMap(([name, a, b]) => [[`${name} (as given)`, a, b] as const, [`${name} (reversed)`, b, a] as const]);

  it('never calls a change compatible when a value valid before is rejected, unless it warns', () => {
    const unsound: string[] = [];
    for (const [name, earlier, later] of pairs) {
      const diff = diffSchemas(earlier, later);
      const before = accepted(earlier);
      const now = accepted(later);
      if (!diff.compatible || !before || !now) continue;
      const rejected = corpus.filter((_, i) => before[i] && !now[i]);
      if (rejected.length > 0 && diff.warnings.length === 0) unsound.push(`${name}: rejects ${JSON.stringify(rejected)}`);
    }
    expect(unsound).toEqual([]);
    expect(pairs.length).toBeGreaterThan(300);
  }, 60_000);
});
