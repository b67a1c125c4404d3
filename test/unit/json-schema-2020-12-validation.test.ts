/**
 * Validation of contracts that declare JSON Schema draft 2020-12, next to draft-07 ones.
 * Each keyword's valid and invalid instances follow json-schema-core and
 * json-schema-validation 2020-12 (the section is named beside each case); the draft-07
 * cases pin today's behaviour, which must not change.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PermanentError } from '../../contracts/errors';
import { SCHEMA_DRAFT_URIS, SchemaDraft, UnsupportedSchemaDraftError, compileValidator, schemaDraftOf } from '../../contracts/validation';

const DRAFT_2020_12 = 'https://json-schema.org/draft/2020-12/schema';
const DRAFT_07 = 'http://json-schema.org/draft-07/schema#';

const in2020 = (schema: Record<string, unknown>) => ({ $schema: DRAFT_2020_12, ...schema });
const inDraft07 = (schema: Record<string, unknown>) => ({ $schema: DRAFT_07, ...schema });

interface KeywordCase {
  readonly name: string;
  readonly schema: Record<string, unknown>;
  readonly valid: readonly unknown[];
  /** Each invalid instance with the rule (keyword) that must be among its violations. */
  readonly invalid: readonly { readonly value: unknown; readonly rule: string }[];
}

const keywordCases: KeywordCase[] = [
  {
    name: 'prefixItems: each position its own schema, shorter arrays fine (validation 10.3.1.1)',
    schema: in2020({ type: 'array', prefixItems: [{ type: 'string' }, { type: 'integer' }] }),
    valid: [[], ['a'], ['a', 1], ['a', 1, 'anything', null]],
    invalid: [
      { value: [1], rule: 'type' },
      { value: ['a', 'b'], rule: 'type' },
    ],
  },
  {
    name: 'items after prefixItems: the schema for every later item (10.3.1.2)',
    schema: in2020({ type: 'array', prefixItems: [{ type: 'string' }], items: { type: 'integer' } }),
    valid: [[], ['a'], ['a', 1, 2]],
    invalid: [{ value: ['a', 1, 'b'], rule: 'type' }],
  },
  {
    name: 'items: false after prefixItems closes the tuple',
    schema: in2020({ type: 'array', prefixItems: [{ type: 'string' }, { type: 'integer' }], items: false }),
    valid: [[], ['a', 1]],
    invalid: [{ value: ['a', 1, 2], rule: 'items' }],
  },
  {
    name: 'items without prefixItems: every item',
    schema: in2020({ type: 'array', items: { type: 'string' } }),
    valid: [[], ['a', 'b']],
    invalid: [{ value: ['a', 1], rule: 'type' }],
  },
  {
    name: 'unevaluatedProperties: false, no applicators: like additionalProperties (core 11.3)',
    schema: in2020({ type: 'object', properties: { id: { type: 'string' } }, patternProperties: { '^x-': {} }, unevaluatedProperties: false }),
    valid: [{}, { id: 'a' }, { id: 'a', 'x-trace': 1 }],
    invalid: [{ value: { id: 'a', extra: 1 }, rule: 'unevaluatedProperties' }],
  },
  {
    name: 'unevaluatedProperties sees properties evaluated by allOf',
    schema: in2020({ type: 'object', allOf: [{ properties: { id: { type: 'string' } } }], properties: { name: {} }, unevaluatedProperties: false }),
    valid: [{ id: 'a', name: 'n' }],
    invalid: [{ value: { id: 'a', other: true }, rule: 'unevaluatedProperties' }],
  },
  {
    name: 'unevaluatedProperties sees properties of a $ref (a closed extension of a base in $defs)',
    schema: in2020({
      $defs: { base: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] } },
      $ref: '#/$defs/base',
      properties: { plan: { enum: ['free', 'pro'] } },
      unevaluatedProperties: false,
    }),
    valid: [{ id: 'a' }, { id: 'a', plan: 'pro' }],
    invalid: [
      { value: { id: 'a', plan: 'pro', extra: 1 }, rule: 'unevaluatedProperties' },
      { value: { plan: 'pro' }, rule: 'required' },
    ],
  },
  {
    name: 'unevaluatedProperties: only passing anyOf branches evaluate (core 11.3, 10.2.1.2)',
    schema: in2020({
      type: 'object',
      anyOf: [
        { properties: { kind: { const: 'card' }, last4: {} }, required: ['kind'] },
        { properties: { kind: { const: 'iban' }, iban: {} }, required: ['kind'] },
      ],
      unevaluatedProperties: false,
    }),
    valid: [
      { kind: 'card', last4: '1234' },
      { kind: 'iban', iban: 'DE00' },
    ],
    invalid: [{ value: { kind: 'card', iban: 'DE00' }, rule: 'unevaluatedProperties' }],
  },
  {
    name: 'unevaluatedProperties sees if / then when if passes',
    schema: in2020({
      type: 'object',
      if: { required: ['card'] },
      then: { properties: { expiry: {} } },
      properties: { card: {} },
      unevaluatedProperties: false,
    }),
    valid: [{ card: 1, expiry: 2 }, {}],
    invalid: [{ value: { expiry: 2 }, rule: 'unevaluatedProperties' }],
  },
  {
    name: 'unevaluatedProperties as a schema for the rest',
    schema: in2020({ type: 'object', properties: { id: {} }, unevaluatedProperties: { type: 'string' } }),
    valid: [{ id: 1, note: 'x' }],
    invalid: [{ value: { id: 1, note: 2 }, rule: 'type' }],
  },
  {
    name: 'unevaluatedItems: false after prefixItems (core 11.2)',
    schema: in2020({ type: 'array', prefixItems: [{ type: 'string' }], unevaluatedItems: false }),
    valid: [[], ['a']],
    invalid: [{ value: ['a', 'b'], rule: 'unevaluatedItems' }],
  },
  {
    name: 'unevaluatedItems sees prefixItems of allOf',
    schema: in2020({ type: 'array', allOf: [{ prefixItems: [{ type: 'string' }] }], unevaluatedItems: false }),
    valid: [[], ['a']],
    invalid: [{ value: ['a', 1], rule: 'unevaluatedItems' }],
  },
  {
    name: 'minContains / maxContains bound how many items match contains (validation 6.4.4, 6.4.5)',
    schema: in2020({ type: 'array', contains: { type: 'string' }, minContains: 2, maxContains: 3 }),
    valid: [
      ['a', 'b'],
      ['a', 1, 'b', 'c'],
    ],
    invalid: [
      { value: ['a', 1], rule: 'contains' },
      // ajv reports both bounds under `contains`, with minContains / maxContains as params.
      { value: ['a', 'b', 'c', 'd'], rule: 'contains' },
    ],
  },
  {
    name: 'minContains: 0 lets contains match nothing',
    schema: in2020({ type: 'array', contains: { type: 'string' }, minContains: 0 }),
    valid: [[], [1, 2]],
    invalid: [],
  },
  {
    name: 'dependentRequired (validation 6.5.4)',
    schema: in2020({ type: 'object', dependentRequired: { card: ['expiry', 'cvc'] } }),
    valid: [{}, { expiry: 1 }, { card: 1, expiry: 1, cvc: 1 }],
    invalid: [{ value: { card: 1, expiry: 1 }, rule: 'dependentRequired' }],
  },
  {
    name: 'dependentSchemas (core 10.2.2.4)',
    schema: in2020({ type: 'object', dependentSchemas: { card: { properties: { card: { type: 'string', pattern: '^[0-9]{4}$' } }, required: ['expiry'] } } }),
    valid: [{}, { card: '1234', expiry: '12/30' }],
    invalid: [
      { value: { card: '1234' }, rule: 'required' },
      { value: { card: 'abcd', expiry: '12/30' }, rule: 'pattern' },
    ],
  },
  {
    name: '$defs and $ref, with the siblings of $ref applied (core 8.2.4, 8.2.3.1)',
    schema: in2020({ $defs: { email: { type: 'string', format: 'email' } }, type: 'object', properties: { email: { $ref: '#/$defs/email', maxLength: 20 } } }),
    valid: [{ email: 'ada@example.com' }],
    invalid: [
      { value: { email: 'not an email' }, rule: 'format' },
      { value: { email: 'a-very-long-address@example.com' }, rule: 'maxLength' },
    ],
  },
  {
    name: '$anchor names a subschema for $ref (core 8.2.2)',
    schema: in2020({ $defs: { id: { $anchor: 'id', type: 'string', minLength: 3 } }, type: 'object', properties: { id: { $ref: '#id' } } }),
    valid: [{ id: 'abc' }],
    invalid: [{ value: { id: 'ab' }, rule: 'minLength' }],
  },
  {
    name: '$dynamicRef to a single $dynamicAnchor: a recursive list (core 8.2.3.2)',
    schema: in2020({
      $dynamicAnchor: 'node',
      type: 'object',
      properties: { name: { type: 'string' }, children: { type: 'array', items: { $dynamicRef: '#node' } } },
    }),
    valid: [{ name: 'a', children: [{ name: 'b', children: [] }] }],
    invalid: [{ value: { name: 'a', children: [{ name: 1 }] }, rule: 'type' }],
  },
];

describe('2020-12 keywords', () => {
  describe.each(keywordCases.map((c) => [c.name, c] as const))('%s', (_name, testCase) => {
    const validate = compileValidator(testCase.schema);

    it.each(testCase.valid.map((value) => [JSON.stringify(value), value] as const))('accepts %s', (_shown, value) => {
      expect(validate(value)).toEqual([]);
    });

    if (testCase.invalid.length > 0) {
      it.each(testCase.invalid.map((c) => [JSON.stringify(c.value), c] as const))('rejects %s', (_shown, invalid) => {
        expect(validate(invalid.value).map((v) => v.rule)).toContain(invalid.rule);
      });
    }
  });
});

describe('where ajv departs from the 2020-12 text', () => {
  it('counts every item as evaluated once contains is present (the spec counts only the matching ones)', () => {
    // core 11.2: unevaluatedItems also skips the items `contains` matched, so [1, true]
    // should fail on `true`. ajv passes it. The compatibility checker assumes the most
    // for a writer (contains may evaluate every item) and nothing for a reader, which is
    // safe under either reading; this pins ajv's so that a change in it is noticed.
    const validate = compileValidator(in2020({ type: 'array', contains: { type: 'integer' }, unevaluatedItems: false }));
    expect(validate([1, true])).toEqual([]);
    expect(validate([true]).map((v) => v.rule)).toContain('contains');
  });
});

describe('which draft validates', () => {
  it('reads draft-07 when $schema is absent or names draft-07, however it is spelled', () => {
    for (const declared of [undefined, DRAFT_07, 'http://json-schema.org/draft-07/schema', 'https://json-schema.org/draft-07/schema#']) {
      const schema = declared === undefined ? {} : { $schema: declared };
      expect(schemaDraftOf(schema), String(declared)).toBe(SchemaDraft.Draft07);
    }
    expect(schemaDraftOf(true)).toBe(SchemaDraft.Draft07);
  });

  it('reads 2020-12 from its meta-schema URI', () => {
    expect(schemaDraftOf({ $schema: DRAFT_2020_12 })).toBe(SchemaDraft.Draft2020_12);
    expect(schemaDraftOf({ $schema: `${DRAFT_2020_12}#` })).toBe(SchemaDraft.Draft2020_12);
    expect(SCHEMA_DRAFT_URIS['2020-12']).toBe(DRAFT_2020_12);
  });

  it('keeps draft-07 behaviour: items as an array is a tuple, and 2020-12 keywords are ignored', () => {
    const tuple = compileValidator(inDraft07({ type: 'array', items: [{ type: 'string' }], additionalItems: false }));
    expect(tuple(['a'])).toEqual([]);
    expect(tuple([1]).map((v) => v.rule)).toContain('type');
    expect(tuple(['a', 'b']).map((v) => v.rule)).toContain('additionalItems');
    // Not draft-07 keywords: a draft-07 contract that carries them is not constrained by them.
    const ignored = compileValidator({
      type: 'object',
      properties: { tags: { type: 'array', prefixItems: [{ type: 'string' }], contains: { type: 'string' }, minContains: 2 } },
      dependentRequired: { card: ['expiry'] },
      unevaluatedProperties: false,
    });
    expect(ignored({ card: 1, extra: true, tags: ['a', 1] })).toEqual([]);
  });

  it('reads the same document differently under 2020-12', () => {
    const schema = { type: 'object', dependentRequired: { card: ['expiry'] }, unevaluatedProperties: false, properties: { card: {}, expiry: {} } };
    expect(compileValidator(schema)({ card: 1, extra: true })).toEqual([]);
    expect(
      compileValidator(in2020(schema))({ card: 1, extra: true })
        .map((v) => v.rule)
        .sort(),
    ).toEqual(['dependentRequired', 'unevaluatedProperties']);
  });

  it('refuses an items array in a 2020-12 contract (the draft-07 tuple spelling is invalid there)', () => {
    expect(() => compileValidator(in2020({ type: 'array', items: [{ type: 'string' }] }))).toThrow(/items/);
  });

  it.each([
    ['draft-04', 'http://json-schema.org/draft-04/schema#'],
    ['draft-06', 'http://json-schema.org/draft-06/schema#'],
    ['2019-09', 'https://json-schema.org/draft/2019-09/schema'],
    ['an unknown URI', 'https://example.com/my-meta-schema'],
    ['not a string', 7],
  ])('refuses a contract that declares %s, naming the drafts it supports', (_name, declared) => {
    let thrown: unknown;
    try {
      compileValidator({ $schema: declared, type: 'object' });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(UnsupportedSchemaDraftError);
    // Retrying cannot help: consumers send it to the dead-letter queue, the CLI reports it.
    expect(thrown).toBeInstanceOf(PermanentError);
    expect((thrown as UnsupportedSchemaDraftError).declared).toBe(declared);
    expect((thrown as Error).message).toContain(DRAFT_07);
    expect((thrown as Error).message).toContain(DRAFT_2020_12);
  });
});

describe('violations of 2020-12 contracts', () => {
  it('reports an unevaluated property like an additional one: at its path, not allowed by the contract', () => {
    const validate = compileValidator(
      in2020({ type: 'object', properties: { user: { type: 'object', properties: { id: {} }, unevaluatedProperties: false } } }),
    );
    expect(validate({ user: { id: 1, 'a/b': 2 } })).toEqual([{ path: '/user/a~1b', rule: 'unevaluatedProperties', message: 'is not allowed by the contract' }]);
    const draft07 = compileValidator({ type: 'object', properties: { user: { type: 'object', properties: { id: {} }, additionalProperties: false } } });
    expect(draft07({ user: { id: 1, extra: 2 } })).toEqual([{ path: '/user/extra', rule: 'additionalProperties', message: 'is not allowed by the contract' }]);
  });

  it('points at the first item a closed 2020-12 array does not allow', () => {
    const unevaluated = compileValidator(in2020({ type: 'array', prefixItems: [{}, {}], unevaluatedItems: false }));
    expect(unevaluated([1, 2, 3])).toEqual([{ path: '/2', rule: 'unevaluatedItems', message: 'is not allowed by the contract' }]);
    const closedTuple = compileValidator(in2020({ type: 'object', properties: { pair: { prefixItems: [{}], items: false } } }));
    expect(closedTuple({ pair: [1, 2] })).toEqual([{ path: '/pair/1', rule: 'items', message: 'is not allowed by the contract' }]);
  });

  it('keeps required and format messages as they were', () => {
    const validate = compileValidator(in2020({ type: 'object', properties: { email: { type: 'string', format: 'email' } }, required: ['id'] }));
    expect(validate({ email: 'nope' })).toEqual([
      { path: '/id', rule: 'required', message: 'is required' },
      { path: '/email', rule: 'format', message: 'must match format "email"' },
    ]);
  });
});

describe('compiling', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('compiles a 2020-12 contract once, with Ajv2020, and reuses it for every event', () => {
    const compile = vi.spyOn(Ajv2020.prototype, 'compile');
    const validate = compileValidator(in2020({ type: 'object', properties: { id: { type: 'string' } }, unevaluatedProperties: false }));
    for (let i = 0; i < 50; i++) validate({ id: String(i) });
    expect(compile).toHaveBeenCalledTimes(1);
  });

  it('does not use Ajv2020 for draft-07 contracts', () => {
    const compile = vi.spyOn(Ajv2020.prototype, 'compile');
    compileValidator(inDraft07({ type: 'object' }));
    compileValidator({ type: 'object' });
    expect(compile).not.toHaveBeenCalled();
  });
});
