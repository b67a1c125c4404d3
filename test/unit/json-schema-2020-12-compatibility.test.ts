/**
 * The compatibility checker on JSON Schema 2020-12 contracts, and on version pairs that
 * mix draft-07 and 2020-12.
 *
 * Every case states, from the keyword's meaning in json-schema-core / -validation 2020-12,
 * whether the change is BACKWARD compatible (a reader using the new version accepts every
 * document the old one accepted) and FORWARD compatible (a reader using the old version
 * accepts every document the new one accepts). Every Glue mode is then checked against
 * those two facts: FULL is both, the *_ALL modes are the same for two versions (and are
 * told apart by the chains further down), NONE accepts and DISABLED refuses anything.
 *
 * The last block checks the checker against real validation: for every pair, generated
 * documents that the writer's version accepts and the reader's rejects must never meet
 * a "compatible" verdict.
 */
import { describe, expect, it } from 'vitest';
import { COMPATIBILITY_MODES, CompatibilityMode } from '../../contracts/compatibility-mode';
import { formatChange } from '../../contracts/compatibility/changes';
import { diffSchemas } from '../../contracts/compatibility/diff';
import { checkNewVersion, checkVersionChain } from '../../contracts/compatibility/modes';
import { UnsupportedSchemaDraftError, compileValidator } from '../../contracts/validation';
import { prng } from '../../local/demo-workload';

const DRAFT_2020_12 = 'https://json-schema.org/draft/2020-12/schema';
const DRAFT_07 = 'http://json-schema.org/draft-07/schema#';

type Schema = Record<string, unknown>;
const v2020 = (schema: Schema): Schema => ({ $schema: DRAFT_2020_12, ...schema });
const v07 = (schema: Schema): Schema => ({ $schema: DRAFT_07, ...schema });

interface Case {
  readonly name: string;
  /** The 2020-12 keyword (or topic) the case is about, for grouping. */
  readonly keyword: string;
  readonly earlier: Schema;
  readonly later: Schema;
  /** New version reads data written with the old one. */
  readonly backward: boolean;
  /** Old version reads data written with the new one. */
  readonly forward: boolean;
  /** `KIND pointer` strings that must be among the backward diff's changes. */
  readonly reports?: readonly string[];
}

const object = (properties: Schema, extra: Schema = {}): Schema => ({ type: 'object', properties, ...extra });
const withEmail = (email: Schema): Schema =>
  v2020({ type: 'object', properties: { email: { $ref: '#/$defs/email' } }, $defs: { email: { type: 'string', format: 'email', ...email } } });
const tuple = (prefixItems: Schema[], extra: Schema = {}): Schema => v2020({ type: 'array', prefixItems, ...extra });
const contains = (extra: Schema): Schema => v2020({ type: 'array', contains: { type: 'string' }, ...extra });
const base = { base: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] } };
const extension = (properties: Schema): Schema => v2020({ $defs: base, $ref: '#/$defs/base', properties, unevaluatedProperties: false });
const union = (branchTitle?: string, idSchema: Schema = { type: 'string' }): Schema =>
  v2020({
    type: 'object',
    properties: { id: idSchema },
    oneOf: [
      { ...(branchTitle ? { title: branchTitle } : {}), properties: { kind: { const: 'card' }, last4: { type: 'string' } }, required: ['kind'] },
      { properties: { kind: { const: 'iban' }, iban: { type: 'string' } }, required: ['kind'] },
    ],
    unevaluatedProperties: false,
  });

const cases: Case[] = [
  // $defs: references resolve into it exactly like draft-07 definitions (core 8.2.4).
  {
    name: 'a $defs target tightened',
    keyword: '$defs',
    earlier: withEmail({ maxLength: 254 }),
    later: withEmail({ maxLength: 100 }),
    backward: false,
    forward: true,
    reports: ['MAX_LENGTH_DECREASED #/properties/email/maxLength'],
  },
  {
    name: 'a $defs target loosened',
    keyword: '$defs',
    earlier: withEmail({ maxLength: 100 }),
    later: withEmail({ maxLength: 254 }),
    backward: true,
    forward: false,
  },
  {
    name: 'an inline schema moved into $defs',
    keyword: '$defs',
    earlier: v2020(object({ email: { type: 'string', format: 'email' } })),
    later: withEmail({}),
    backward: true,
    forward: true,
  },
  {
    name: 'an unused $defs entry changed',
    keyword: '$defs',
    earlier: v2020({ type: 'string', $defs: { unused: { type: 'string' } } }),
    later: v2020({ type: 'string', $defs: { unused: { type: 'number' } } }),
    backward: true,
    forward: true,
  },
  {
    name: 'a keyword beside $ref tightens it (2020-12 applies the siblings of $ref)',
    keyword: '$ref',
    earlier: v2020({ $defs: { s: { type: 'string' } }, type: 'object', properties: { a: { $ref: '#/$defs/s' } } }),
    later: v2020({ $defs: { s: { type: 'string' } }, type: 'object', properties: { a: { $ref: '#/$defs/s', maxLength: 3 } } }),
    backward: false,
    forward: true,
    reports: ['MAX_LENGTH_ADDED #/properties/a/maxLength'],
  },
  {
    name: 'a recursive $dynamicRef tree whose node name is tightened',
    keyword: '$dynamicRef',
    earlier: v2020({
      $dynamicAnchor: 'node',
      type: 'object',
      properties: { name: { type: 'string' }, children: { type: 'array', items: { $dynamicRef: '#node' } } },
    }),
    later: v2020({
      $dynamicAnchor: 'node',
      type: 'object',
      properties: { name: { type: 'string', maxLength: 5 }, children: { type: 'array', items: { $dynamicRef: '#node' } } },
    }),
    backward: false,
    forward: true,
  },
  // prefixItems (validation 10.3.1.1): one schema per position.
  {
    name: 'a prefixItems position tightened',
    keyword: 'prefixItems',
    earlier: tuple([{ type: 'string' }, { type: 'integer' }]),
    later: tuple([{ type: 'string', maxLength: 3 }, { type: 'integer' }]),
    backward: false,
    forward: true,
    reports: ['MAX_LENGTH_ADDED #/prefixItems/0/maxLength'],
  },
  {
    name: 'a prefixItems position loosened',
    keyword: 'prefixItems',
    earlier: tuple([{ type: 'integer' }]),
    later: tuple([{ type: 'number' }]),
    backward: true,
    forward: false,
  },
  {
    name: 'a position added to a closed tuple',
    keyword: 'prefixItems',
    earlier: tuple([{ type: 'string' }], { items: false }),
    later: tuple([{ type: 'string' }, { type: 'integer' }], { items: false }),
    backward: true,
    forward: false,
    reports: ['ITEM_ADDED_TO_CLOSED_CONTENT_MODEL #/prefixItems/1'],
  },
  {
    name: 'a position added to an open tuple',
    keyword: 'prefixItems',
    earlier: tuple([{ type: 'string' }]),
    later: tuple([{ type: 'string' }, { type: 'integer' }]),
    backward: false,
    forward: true,
    reports: ['ITEM_ADDED_TO_OPEN_CONTENT_MODEL #/prefixItems/1'],
  },
  // items after prefixItems (10.3.1.2): the schema for every later item.
  {
    name: 'items after prefixItems opened from false to a schema',
    keyword: 'items',
    earlier: tuple([{ type: 'string' }], { items: false }),
    later: tuple([{ type: 'string' }], { items: { type: 'integer' } }),
    backward: true,
    forward: false,
    reports: ['ADDITIONAL_ITEMS_ADDED #/items'],
  },
  {
    name: 'items after prefixItems closed',
    keyword: 'items',
    earlier: tuple([{ type: 'string' }], { items: { type: 'integer' } }),
    later: tuple([{ type: 'string' }], { items: false }),
    backward: false,
    forward: true,
    reports: ['ADDITIONAL_ITEMS_REMOVED #/items'],
  },
  {
    name: 'items after prefixItems narrowed',
    keyword: 'items',
    earlier: tuple([{ type: 'string' }], { items: { type: ['integer', 'string'] } }),
    later: tuple([{ type: 'string' }], { items: { type: 'integer' } }),
    backward: false,
    forward: true,
  },
  {
    name: 'one items schema became a tuple with the same tail',
    keyword: 'items',
    earlier: v2020({ type: 'array', items: { type: 'string' } }),
    later: tuple([{ type: 'string', minLength: 1 }], { items: { type: 'string' } }),
    backward: false,
    forward: true,
  },
  // unevaluatedProperties (core 11.3).
  {
    name: 'unevaluatedProperties: false added to an open object',
    keyword: 'unevaluatedProperties',
    earlier: v2020(object({ id: { type: 'string' } })),
    later: v2020(object({ id: { type: 'string' } }, { unevaluatedProperties: false })),
    backward: false,
    forward: true,
    reports: ['UNEVALUATED_PROPERTIES_REMOVED #/unevaluatedProperties'],
  },
  {
    name: 'unevaluatedProperties: false removed',
    keyword: 'unevaluatedProperties',
    earlier: v2020(object({ id: { type: 'string' } }, { unevaluatedProperties: false })),
    later: v2020(object({ id: { type: 'string' } })),
    backward: true,
    forward: false,
  },
  {
    name: 'unevaluatedProperties loosened from false to a schema',
    keyword: 'unevaluatedProperties',
    earlier: v2020(object({ id: {} }, { unevaluatedProperties: false })),
    later: v2020(object({ id: {} }, { unevaluatedProperties: { type: 'string' } })),
    backward: true,
    forward: false,
  },
  {
    name: 'an optional property added to an object closed by unevaluatedProperties',
    keyword: 'unevaluatedProperties',
    earlier: v2020(object({ id: {} }, { unevaluatedProperties: false })),
    later: v2020(object({ id: {}, note: { type: 'string' } }, { unevaluatedProperties: false })),
    backward: true,
    forward: false,
  },
  {
    name: 'additionalProperties: false respelled as unevaluatedProperties: false',
    keyword: 'unevaluatedProperties',
    earlier: v2020(object({ id: {} }, { additionalProperties: false })),
    later: v2020(object({ id: {} }, { unevaluatedProperties: false })),
    backward: true,
    forward: true,
  },
  {
    name: 'a closed extension of a $ref base gains an optional property',
    keyword: 'unevaluatedProperties',
    earlier: extension({ plan: { type: 'string' } }),
    later: extension({ plan: { type: 'string' }, note: { type: 'string' } }),
    backward: true,
    forward: false,
  },
  {
    name: 'a closed extension of a $ref base: the base gains a property the extension now allows',
    keyword: 'unevaluatedProperties',
    earlier: extension({ plan: { type: 'string' } }),
    later: v2020({
      $defs: { base: { type: 'object', properties: { id: { type: 'string' }, region: { type: 'string' } }, required: ['id'] } },
      $ref: '#/$defs/base',
      properties: { plan: { type: 'string' } },
      unevaluatedProperties: false,
    }),
    backward: true,
    forward: false,
  },
  {
    name: 'a property moved into an allOf member of an object closed by unevaluatedProperties',
    keyword: 'unevaluatedProperties',
    earlier: v2020({ type: 'object', allOf: [{ properties: { id: { type: 'string' } } }], unevaluatedProperties: false }),
    later: v2020({ type: 'object', allOf: [{ properties: { id: { type: 'string' }, note: { type: 'string' } } }], unevaluatedProperties: false }),
    backward: true,
    forward: false,
  },
  {
    name: 'a discriminated union closed by unevaluatedProperties, a shared property tightened (same branches: compared exactly)',
    keyword: 'unevaluatedProperties',
    earlier: union(),
    later: union(undefined, { type: 'string', maxLength: 10 }),
    backward: false,
    forward: true,
    reports: ['MAX_LENGTH_ADDED #/properties/id/maxLength'],
  },
  {
    name: 'a discriminated union closed by unevaluatedProperties, a shared property loosened',
    keyword: 'unevaluatedProperties',
    earlier: union(undefined, { type: 'string', maxLength: 10 }),
    later: union(),
    backward: true,
    forward: false,
  },
  {
    // Only a title differs, so the change is compatible both ways, but with branches that
    // are not identical the checker cannot tell which names a document's branch evaluates:
    // it reports breaking rather than passing what it cannot prove (and says why).
    name: 'a discriminated union closed by unevaluatedProperties, a branch retitled (cautious: reported breaking)',
    keyword: 'unevaluatedProperties',
    earlier: union(),
    later: union('card payment'),
    backward: false,
    forward: false,
  },
  // unevaluatedItems (core 11.2).
  {
    name: 'unevaluatedItems: false added after prefixItems',
    keyword: 'unevaluatedItems',
    earlier: tuple([{ type: 'string' }]),
    later: tuple([{ type: 'string' }], { unevaluatedItems: false }),
    backward: false,
    forward: true,
    reports: ['UNEVALUATED_ITEMS_REMOVED #/unevaluatedItems'],
  },
  {
    name: 'unevaluatedItems: false removed',
    keyword: 'unevaluatedItems',
    earlier: tuple([{}], { unevaluatedItems: false }),
    later: tuple([{}]),
    backward: true,
    forward: false,
  },
  {
    name: 'unevaluatedItems after an allOf tuple loosened to a schema',
    keyword: 'unevaluatedItems',
    earlier: v2020({ type: 'array', allOf: [{ prefixItems: [{ type: 'string' }] }], unevaluatedItems: false }),
    later: v2020({ type: 'array', allOf: [{ prefixItems: [{ type: 'string' }] }], unevaluatedItems: { type: 'integer' } }),
    backward: true,
    forward: false,
  },
  {
    name: 'unevaluatedItems: false respelled as items: false after prefixItems',
    keyword: 'unevaluatedItems',
    earlier: tuple([{ type: 'string' }], { unevaluatedItems: false }),
    later: tuple([{ type: 'string' }], { items: false }),
    backward: true,
    forward: true,
  },
  // minContains / maxContains (validation 6.4.4, 6.4.5).
  {
    name: 'minContains increased',
    keyword: 'minContains',
    earlier: contains({ minContains: 1 }),
    later: contains({ minContains: 2 }),
    backward: false,
    forward: true,
    reports: ['MIN_CONTAINS_INCREASED #/minContains'],
  },
  {
    name: 'minContains decreased',
    keyword: 'minContains',
    earlier: contains({ minContains: 2 }),
    later: contains({ minContains: 1 }),
    backward: true,
    forward: false,
  },
  {
    name: 'minContains: 0 added (contains no longer requires a match)',
    keyword: 'minContains',
    earlier: contains({}),
    later: contains({ minContains: 0 }),
    backward: true,
    forward: false,
  },
  {
    name: 'maxContains added',
    keyword: 'maxContains',
    earlier: contains({}),
    later: contains({ maxContains: 2 }),
    backward: false,
    forward: true,
    reports: ['MAX_CONTAINS_ADDED #/maxContains'],
  },
  {
    name: 'maxContains increased',
    keyword: 'maxContains',
    earlier: contains({ maxContains: 2 }),
    later: contains({ maxContains: 3 }),
    backward: true,
    forward: false,
  },
  {
    name: 'contains widened under a maxContains (more items count towards the limit)',
    keyword: 'maxContains',
    earlier: v2020({ type: 'array', contains: { const: 'a' }, maxContains: 1 }),
    later: v2020({ type: 'array', contains: { enum: ['a', 'b'] }, maxContains: 1 }),
    backward: false,
    forward: false,
    reports: ['CONTAINS_WIDENED #/contains'],
  },
  // dependentRequired (validation 6.5.4) and dependentSchemas (core 10.2.2.4).
  {
    name: 'dependentRequired added',
    keyword: 'dependentRequired',
    earlier: v2020(object({ card: {}, expiry: {} })),
    later: v2020(object({ card: {}, expiry: {} }, { dependentRequired: { card: ['expiry'] } })),
    backward: false,
    forward: true,
    reports: ['DEPENDENCY_ARRAY_ADDED #/dependentRequired/card'],
  },
  {
    name: 'dependentRequired list extended',
    keyword: 'dependentRequired',
    earlier: v2020(object({}, { dependentRequired: { card: ['expiry'] } })),
    later: v2020(object({}, { dependentRequired: { card: ['expiry', 'cvc'] } })),
    backward: false,
    forward: true,
  },
  {
    name: 'dependentRequired removed',
    keyword: 'dependentRequired',
    earlier: v2020(object({}, { dependentRequired: { card: ['expiry'] } })),
    later: v2020(object({})),
    backward: true,
    forward: false,
  },
  {
    name: 'dependentRequired added for a property the earlier version always required',
    keyword: 'dependentRequired',
    earlier: v2020(object({ card: {}, expiry: {} }, { required: ['expiry'] })),
    later: v2020(object({ card: {}, expiry: {} }, { required: ['expiry'], dependentRequired: { card: ['expiry'] } })),
    backward: true,
    forward: true,
  },
  {
    name: 'dependentSchemas added',
    keyword: 'dependentSchemas',
    earlier: v2020(object({ card: {} })),
    later: v2020(object({ card: {} }, { dependentSchemas: { card: { required: ['expiry'] } } })),
    backward: false,
    forward: true,
    reports: ['DEPENDENCY_SCHEMA_ADDED #/dependentSchemas/card'],
  },
  {
    name: 'a dependentSchemas schema tightened',
    keyword: 'dependentSchemas',
    earlier: v2020(object({}, { dependentSchemas: { card: { properties: { expiry: { type: 'string' } } } } })),
    later: v2020(object({}, { dependentSchemas: { card: { properties: { expiry: { type: 'string', pattern: '^[0-9]{2}/[0-9]{2}$' } } } } })),
    backward: false,
    forward: true,
  },
  {
    name: 'dependentSchemas removed',
    keyword: 'dependentSchemas',
    earlier: v2020(object({}, { dependentSchemas: { card: { required: ['expiry'] } } })),
    later: v2020(object({})),
    backward: true,
    forward: false,
  },
  // A draft-07 old version and a 2020-12 new one.
  {
    name: 'mixed: a draft-07 tuple respelled with prefixItems',
    keyword: 'mixed drafts',
    earlier: v07({ type: 'array', items: [{ type: 'string' }, { type: 'integer' }], additionalItems: false }),
    later: v2020({ type: 'array', prefixItems: [{ type: 'string' }, { type: 'integer' }], items: false }),
    backward: true,
    forward: true,
  },
  {
    name: 'mixed: a draft-07 tuple respelled with prefixItems and its tail opened',
    keyword: 'mixed drafts',
    earlier: v07({ type: 'array', items: [{ type: 'string' }], additionalItems: false }),
    later: v2020({ type: 'array', prefixItems: [{ type: 'string' }] }),
    backward: true,
    forward: false,
  },
  {
    name: 'mixed: additionalProperties: false respelled as unevaluatedProperties: false',
    keyword: 'mixed drafts',
    earlier: v07(object({ id: {} }, { additionalProperties: false })),
    later: v2020(object({ id: {} }, { unevaluatedProperties: false })),
    backward: true,
    forward: true,
  },
  {
    name: 'mixed: unevaluatedProperties: false written in draft-07 (ignored there) and kept in 2020-12',
    keyword: 'mixed drafts',
    earlier: v07(object({ id: {} }, { unevaluatedProperties: false })),
    later: v2020(object({ id: {} }, { unevaluatedProperties: false })),
    backward: false,
    forward: true,
  },
  {
    name: 'mixed: draft-07 dependencies respelled as dependentRequired',
    keyword: 'mixed drafts',
    earlier: v07(object({ card: {}, expiry: {} }, { dependencies: { card: ['expiry'] } })),
    later: v2020(object({ card: {}, expiry: {} }, { dependentRequired: { card: ['expiry'] } })),
    backward: true,
    forward: true,
  },
  {
    name: 'mixed: draft-07 dependencies (schema form) respelled as dependentSchemas',
    keyword: 'mixed drafts',
    earlier: v07(object({ card: {} }, { dependencies: { card: { required: ['expiry'] } } })),
    later: v2020(object({ card: {} }, { dependentSchemas: { card: { required: ['expiry'] } } })),
    backward: true,
    forward: true,
  },
  {
    name: 'mixed: dependentRequired written in draft-07 (ignored there) and kept in 2020-12',
    keyword: 'mixed drafts',
    earlier: v07(object({ card: {}, expiry: {} }, { dependentRequired: { card: ['expiry'] } })),
    later: v2020(object({ card: {}, expiry: {} }, { dependentRequired: { card: ['expiry'] } })),
    backward: false,
    forward: true,
  },
  {
    name: 'mixed: a draft-07 contains (at least one) given minContains 2',
    keyword: 'mixed drafts',
    earlier: v07({ type: 'array', contains: { type: 'string' } }),
    later: v2020({ type: 'array', contains: { type: 'string' }, minContains: 2 }),
    backward: false,
    forward: true,
  },
  {
    // The draft-07 text ignores the keywords beside $ref; ajv applies them. Read both ways,
    // the draft-07 writer may have sent longer strings, so BACKWARD is not proven (with ajv
    // on both sides it holds: cautious); the draft-07 reader accepts at least as much.
    name: 'mixed: a $ref with a sibling, ignored by the draft-07 text and applied in 2020-12 (cautious)',
    keyword: 'mixed drafts',
    earlier: v07({ definitions: { s: { type: 'string' } }, type: 'object', properties: { a: { $ref: '#/definitions/s', maxLength: 3 } } }),
    later: v2020({ $defs: { s: { type: 'string' } }, type: 'object', properties: { a: { $ref: '#/$defs/s', maxLength: 3 } } }),
    backward: false,
    forward: true,
  },
  {
    name: 'draft-07: a keyword added beside $ref (ajv applies it, so it is read as tightening)',
    keyword: '$ref',
    earlier: v07({ definitions: { s: { type: 'string' } }, type: 'object', properties: { a: { $ref: '#/definitions/s' } } }),
    later: v07({ definitions: { s: { type: 'string' } }, type: 'object', properties: { a: { $ref: '#/definitions/s', maxLength: 3 } } }),
    backward: false,
    forward: true,
  },
];

/** What each Glue mode must answer for a two-version case. */
function expectedVerdict(mode: CompatibilityMode, testCase: Case): boolean {
  switch (mode) {
    case CompatibilityMode.None:
      return true;
    case CompatibilityMode.Disabled:
      return false;
    case CompatibilityMode.Backward:
    case CompatibilityMode.BackwardAll:
      return testCase.backward;
    case CompatibilityMode.Forward:
    case CompatibilityMode.ForwardAll:
      return testCase.forward;
    default:
      return testCase.backward && testCase.forward;
  }
}

function explain(earlier: unknown, later: unknown): string {
  const diff = diffSchemas(earlier, later);
  return [...diff.changes.map(formatChange), ...diff.warnings.map((w) => `warning ${w.pointer}: ${w.message}`)].join('\n');
}

describe('2020-12 compatibility, keyword by keyword', () => {
  it('covers every 2020-12 keyword the issue names with a tightening and a loosening', () => {
    const keywords = new Set(cases.map((c) => c.keyword));
    for (const keyword of [
      'prefixItems',
      'items',
      'unevaluatedProperties',
      'unevaluatedItems',
      'minContains',
      'maxContains',
      'dependentRequired',
      'dependentSchemas',
      '$defs',
    ]) {
      expect(keywords, keyword).toContain(keyword);
      const about = cases.filter((c) => c.keyword === keyword);
      expect(
        about.some((c) => !c.backward),
        `${keyword}: a change that breaks BACKWARD`,
      ).toBe(true);
      expect(
        about.some((c) => c.backward && !c.forward),
        `${keyword}: a loosening`,
      ).toBe(true);
    }
    expect(cases.some((c) => c.earlier.$schema === DRAFT_07 && c.later.$schema === DRAFT_2020_12)).toBe(true);
  });

  describe.each(cases.map((c) => [c.name, c] as const))('%s', (_name, testCase) => {
    const v1 = { label: 'v1', schema: testCase.earlier };
    const v2 = { label: 'v2', schema: testCase.later };

    it.each(COMPATIBILITY_MODES.map((mode) => [mode] as const))('%s', (mode) => {
      const check = checkNewVersion([v1], v2, mode);
      const why = check.comparisons
        .map(
          (c) =>
            `${c.direction}:\n${explain(c.direction === 'backward' ? testCase.earlier : testCase.later, c.direction === 'backward' ? testCase.later : testCase.earlier)}`,
        )
        .join('\n');
      expect(check.compatible, why).toBe(expectedVerdict(mode, testCase));
    });

    it('names what changed, where, and in words', () => {
      const diff = diffSchemas(testCase.earlier, testCase.later);
      const reported = diff.changes.map((c) => `${c.kind} ${c.pointer}`);
      for (const expected of testCase.reports ?? []) expect(reported, explain(testCase.earlier, testCase.later)).toContain(expected);
      // The verdict is the conjunction of the changes: never a breaking verdict without a reason.
      expect(diff.changes.every((c) => c.compatible)).toBe(diff.compatible);
      for (const breaking of diff.changes.filter((c) => !c.compatible)) {
        expect(breaking.pointer).toMatch(/^#\//);
        expect(breaking.message.length).toBeGreaterThan(20);
      }
    });
  });

  it('says why it was cautious about unevaluatedProperties beside applicators that changed', () => {
    const diff = diffSchemas(union(), union('card payment'));
    expect(diff.warnings.map((w) => w.pointer)).toContain('#/unevaluatedProperties');
  });
});

describe('the *_ALL modes on 2020-12 chains', () => {
  const chain = (...schemas: Schema[]) => schemas.map((schema, index) => ({ label: `v${index + 1}`, schema }));

  it.each([
    ['maxContains', contains({ maxContains: 5 }), contains({ maxContains: 3 }), contains({ maxContains: 4 })],
    ['minContains', contains({ minContains: 1 }), contains({ minContains: 3 }), contains({ minContains: 2 })],
    ['prefixItems', tuple([{ type: 'string', maxLength: 10 }]), tuple([{ type: 'string', maxLength: 5 }]), tuple([{ type: 'string', maxLength: 8 }])],
    [
      'dependentRequired',
      v2020(object({}, { dependentRequired: { a: ['b'] } })),
      v2020(object({}, { dependentRequired: { a: ['b', 'c'] } })),
      v2020(object({}, { dependentRequired: { a: ['b', 'c'] } })),
    ],
  ])('%s: BACKWARD checks only the latest version, BACKWARD_ALL every one', (_keyword, first, second, third) => {
    // v3 reads what v2 wrote, not all that v1 wrote.
    const [v1, v2, v3] = chain(first, second, third);
    expect(checkNewVersion([v1!, v2!], v3!, CompatibilityMode.Backward).compatible).toBe(true);
    expect(checkNewVersion([v1!, v2!], v3!, CompatibilityMode.BackwardAll).compatible).toBe(false);
    expect(checkNewVersion([v1!, v2!], v3!, CompatibilityMode.FullAll).compatible).toBe(false);
  });

  it.each([
    ['maxContains', contains({ maxContains: 3 }), contains({ maxContains: 5 }), contains({ maxContains: 4 })],
    [
      'unevaluatedProperties',
      v2020(object({ a: {} }, { unevaluatedProperties: false })),
      v2020(object({ a: {}, b: {} }, { unevaluatedProperties: false })),
      v2020(object({ a: {}, b: {} }, { unevaluatedProperties: false, title: 'same' })),
    ],
  ])('%s: FORWARD checks only the latest version, FORWARD_ALL every one', (_keyword, first, second, third) => {
    // v2 reads what v3 writes; v1 does not.
    const [v1, v2, v3] = chain(first, second, third);
    expect(checkNewVersion([v1!, v2!], v3!, CompatibilityMode.Forward).compatible).toBe(true);
    expect(checkNewVersion([v1!, v2!], v3!, CompatibilityMode.ForwardAll).compatible).toBe(false);
  });

  it('checks a chain that moves from draft-07 to 2020-12 version by version', () => {
    const versions = chain(
      v07(object({ id: { type: 'string' } }, { additionalProperties: false })),
      v2020(object({ id: { type: 'string' } }, { unevaluatedProperties: false })),
      v2020(object({ id: { type: 'string' }, note: { type: 'string' } }, { unevaluatedProperties: false })),
    );
    expect(checkVersionChain(versions, CompatibilityMode.Full).map((c) => [c.version, c.compatible])).toEqual([
      ['v2', true],
      ['v3', false],
    ]);
    expect(checkVersionChain(versions, CompatibilityMode.BackwardAll).every((c) => c.compatible)).toBe(true);
  });
});

describe('drafts the checker does not know', () => {
  it('refuses to compare a version that declares another draft, with the typed error validation uses', () => {
    const draft04 = { $schema: 'http://json-schema.org/draft-04/schema#', type: 'string' };
    expect(() => diffSchemas(draft04, v2020({ type: 'string' }))).toThrow(UnsupportedSchemaDraftError);
    expect(() => checkNewVersion([{ label: 'v1', schema: v2020({ type: 'string' }) }], { label: 'v2', schema: draft04 }, CompatibilityMode.Backward)).toThrow(
      UnsupportedSchemaDraftError,
    );
  });

  it('reports a $dynamicRef it cannot resolve statically as a breaking change, even when unchanged text', () => {
    // Two resources, each with its own dynamic anchor: which one applies depends on the scope.
    const schema = v2020({
      type: 'object',
      properties: { tree: { $dynamicRef: '#node' }, other: { $id: 'https://example.com/other', $dynamicAnchor: 'node', type: 'string' } },
      $defs: { node: { $dynamicAnchor: 'node', type: 'object' } },
    });
    const later = { ...schema, title: 'renamed' };
    const diff = diffSchemas(schema, later);
    expect(diff.compatible).toBe(false);
    expect(diff.changes.map((c) => c.kind)).toContain('REFERENCE_UNRESOLVED');
  });
});

// ---- the checker against real validation ----------------------------------------------

/** The demo workload's seeded generator (mulberry32): the same documents on every run. */
const random = prng;

/** Property names and constants that appear in a schema: documents built from them hit its keywords. */
function vocabulary(schema: unknown, names = new Set<string>(), constants: unknown[] = []): { names: Set<string>; constants: unknown[] } {
  if (Array.isArray(schema)) {
    schema.forEach((item) => vocabulary(item, names, constants));
  } else if (typeof schema === 'object' && schema !== null) {
    for (const [key, value] of Object.entries(schema)) {
      if (['properties', 'dependentRequired', 'dependentSchemas', 'dependencies'].includes(key) && typeof value === 'object' && value !== null) {
        Object.keys(value).forEach((name) => names.add(name));
      }
      if (key === 'required' && Array.isArray(value)) value.forEach((name) => typeof name === 'string' && names.add(name));
      if ((key === 'dependentRequired' || key === 'dependencies') && typeof value === 'object' && value !== null) {
        Object.values(value).forEach((list) => Array.isArray(list) && list.forEach((name) => typeof name === 'string' && names.add(name)));
      }
      // Strings just inside and just outside every length bound, plain and as e-mail addresses.
      if ((key === 'maxLength' || key === 'minLength') && typeof value === 'number') {
        for (const length of [value - 1, value, value + 1].filter((n) => n >= 0)) {
          constants.push('x'.repeat(length));
          if (length > 12) constants.push(`${'x'.repeat(length - 12)}@example.com`);
        }
      }
      if (key === 'const') constants.push(value);
      if (key === 'enum' && Array.isArray(value)) constants.push(...value);
      if (key !== 'const' && key !== 'enum') vocabulary(value, names, constants);
    }
  }
  return { names, constants };
}

function documentsFor(schemas: readonly unknown[], count: number, seed: number): unknown[] {
  const next = random(seed);
  const names = new Set<string>(['extra']);
  const constants: unknown[] = [];
  for (const schema of schemas) vocabulary(schema, names, constants);
  const nameList = [...names];
  const scalars: unknown[] = [null, true, false, 0, 1, 2, 1.5, -1, '', 'a', 'b', 'abcd', 'abcdefghijklmnop', 'ada@example.com', '12/30', ...constants];
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!;
  // Half the scalars come from the schemas' own constants and bounds: they reach the keywords.
  const scalar = () => (constants.length > 0 && next() < 0.5 ? pick(constants) : pick(scalars));
  const value = (depth: number): unknown => {
    const roll = next();
    if (depth >= 2 || roll < 0.55) return scalar();
    if (roll < 0.78) return Array.from({ length: Math.floor(next() * 5) }, () => value(depth + 1));
    const entries = nameList.filter(() => next() < 0.35).map((name) => [name, value(depth + 1)] as const);
    return Object.fromEntries(entries);
  };
  const documents: unknown[] = [];
  for (let i = 0; i < count; i++) {
    // The top level is the shape the schemas describe most of the time.
    const roll = next();
    documents.push(
      roll < 0.45
        ? Object.fromEntries(nameList.filter(() => next() < 0.4).map((name) => [name, value(1)]))
        : roll < 0.9
          ? Array.from({ length: Math.floor(next() * 5) }, () => value(1))
          : value(0),
    );
  }
  return documents;
}

describe('soundness against real validation', () => {
  const pairs = cases.flatMap((c) => [[`${c.name} (backward)`, c.earlier, c.later] as const, [`${c.name} (forward)`, c.later, c.earlier] as const]);

  it('never calls a pair compatible when a document the writer accepts is rejected by the reader', () => {
    const contradictions: string[] = [];
    let witnessed = 0;
    for (const [name, writer, reader] of pairs) {
      const writes = compileValidator(writer);
      const reads = compileValidator(reader);
      const rejected = documentsFor([writer, reader], 600, name.length * 7919).filter((doc) => writes(doc).length === 0 && reads(doc).length > 0);
      if (rejected.length > 0) witnessed++;
      if (rejected.length > 0 && diffSchemas(writer, reader).compatible)
        contradictions.push(`${name}: accepted before, rejected now: ${JSON.stringify(rejected.slice(0, 3))}`);
    }
    expect(contradictions).toEqual([]);
    // The generated documents do find real breaks: most incompatible pairs get a witness.
    const incompatible = pairs.filter(([, writer, reader]) => !diffSchemas(writer, reader).compatible).length;
    expect(witnessed).toBeGreaterThan(incompatible / 2);
  }, 60_000);

  it('agrees with the stated verdicts on which pairs break: a witness exists for every case stated breaking (except where cautious)', () => {
    const missing: string[] = [];
    for (const c of cases.filter((x) => !x.name.includes('cautious'))) {
      for (const [direction, writer, reader, breaks] of [
        ['backward', c.earlier, c.later, !c.backward],
        ['forward', c.later, c.earlier, !c.forward],
      ] as const) {
        if (!breaks) continue;
        const writes = compileValidator(writer);
        const reads = compileValidator(reader);
        const found = documentsFor([writer, reader], 3000, 17).some((doc) => writes(doc).length === 0 && reads(doc).length > 0);
        if (!found) missing.push(`${c.name} (${direction})`);
      }
    }
    // A breaking verdict the generator cannot witness would be a case stated wrong (or a weak generator).
    expect(missing).toEqual([]);
  }, 60_000);
});
