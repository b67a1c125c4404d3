/**
 * The checker's view of one subschema: what kind of constraint it is, independent of
 * how it was spelled. `{type: "string", enum: [...]}` is a product (all of a string
 * constraint and an enum), `type: ["string", "null"]` is a sum, a schema with
 * `properties` but no `type` constrains objects only, and so on. Comparing shapes
 * rather than keywords is what lets the checker hold on schemas it has not seen.
 */
import { SchemaDraft } from '../validation';
import { isObject, NON_CONSTRAINING, type JsonSchemaObject, type Located, type UnresolvedReference } from './schema-document';

/** The JSON types a `type` keyword can name. */
export const JSON_TYPES = ['string', 'number', 'integer', 'boolean', 'null', 'object', 'array'] as const;

/** One JSON type. */
export type JsonType = (typeof JSON_TYPES)[number];

type TypeKeywords = Readonly<Record<'string' | 'number' | 'object' | 'array', readonly string[]>>;

/** Keywords that constrain values of one type only (draft-07); their presence without `type` implies it. */
const DRAFT_07_TYPE_KEYWORDS: TypeKeywords = {
  string: ['minLength', 'maxLength', 'pattern', 'format'],
  number: ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf'],
  object: [
    'properties',
    'additionalProperties',
    'patternProperties',
    'required',
    'minProperties',
    'maxProperties',
    'dependencies',
    // Not draft-07 keywords, but read as constraints in draft-07 documents too (cautious:
    // a change to them may be reported where draft-07 validators ignore them).
    'dependentRequired',
    'dependentSchemas',
    'propertyNames',
  ],
  array: ['items', 'additionalItems', 'minItems', 'maxItems', 'uniqueItems', 'contains'],
};

/**
 * The same for 2020-12, which adds unevaluatedProperties, prefixItems, unevaluatedItems,
 * minContains and maxContains, and drops additionalItems (ignored by 2020-12 validators).
 */
const DRAFT_2020_12_TYPE_KEYWORDS: TypeKeywords = {
  ...DRAFT_07_TYPE_KEYWORDS,
  object: [...DRAFT_07_TYPE_KEYWORDS.object, 'unevaluatedProperties'],
  array: ['prefixItems', 'items', 'unevaluatedItems', 'minItems', 'maxItems', 'uniqueItems', 'contains', 'minContains', 'maxContains'],
};

interface ShapeBase {
  /** The subschema this shape was read from. */
  readonly node: Located;
  /** Pointer reported for changes found here (a path through the earlier schema). */
  readonly pointer: string;
  /** True when the shape is the whole subschema, false when it is one part of it. */
  readonly whole: boolean;
  /** Identifies the shape for cycle detection: document, location and part. */
  readonly key: string;
}

/** Accepts every value (`true`, `{}`, or only annotations). */
export interface AnyShape extends ShapeBase {
  readonly kind: 'any';
}
/** Accepts nothing (`false`). */
export interface NoneShape extends ShapeBase {
  readonly kind: 'none';
}
/** A `$ref` the checker cannot follow. */
export interface RefShape extends ShapeBase {
  readonly kind: 'ref';
  readonly ref: string;
  /** A `$dynamicRef` whose target depends on the dynamic scope: never assumed unchanged. */
  readonly dynamic: boolean;
}
/** Values of one JSON type, with that type's keywords read from `node`. */
export interface TypedShape extends ShapeBase {
  readonly kind: 'typed';
  readonly type: JsonType;
  /** False when the type was inferred from keywords: values of other types are accepted too. */
  readonly declared: boolean;
}
/** `enum` or `const`. */
export interface EnumShape extends ShapeBase {
  readonly kind: 'enum';
  readonly keyword: 'enum' | 'const';
  readonly values: readonly unknown[];
}
/** `not`. */
export interface NotShape extends ShapeBase {
  readonly kind: 'not';
}
/** `if` / `then` / `else`. */
export interface ConditionShape extends ShapeBase {
  readonly kind: 'condition';
}
/**
 * Several constraints joined: `allOf` (or several keywords of one schema) is a product,
 * `anyOf` / `oneOf` / a `type` array a sum. Members are produced lazily so that a
 * recursive schema (`allOf: [{$ref: "#"}]`) can be described without looping.
 */
export interface CombinedShape extends ShapeBase {
  readonly kind: 'combined';
  readonly combinator: 'allOf' | 'anyOf' | 'oneOf' | 'type' | 'keywords';
  readonly members: () => readonly Shape[];
}

/** Any shape. */
export type Shape = AnyShape | NoneShape | RefShape | TypedShape | EnumShape | NotShape | ConditionShape | CombinedShape;

/** True for sums (anyOf, oneOf, type arrays). */
export function isSum(shape: Shape): shape is CombinedShape {
  return shape.kind === 'combined' && (shape.combinator === 'anyOf' || shape.combinator === 'oneOf' || shape.combinator === 'type');
}

/** True for products (allOf, several keywords). */
export function isProduct(shape: Shape): shape is CombinedShape {
  return shape.kind === 'combined' && (shape.combinator === 'allOf' || shape.combinator === 'keywords');
}

/** Whether `node` is the unresolved-reference marker. */
export function isUnresolved(node: Located | UnresolvedReference): node is UnresolvedReference {
  return 'unresolved' in node;
}

/** The JSON types a schema object constrains, declared by `type` or implied by its keywords (as `draft` reads them). */
export function typesOf(schema: JsonSchemaObject, draft: SchemaDraft = SchemaDraft.Draft07): { types: JsonType[]; declared: boolean } {
  if (schema.type !== undefined) {
    const named = (Array.isArray(schema.type) ? schema.type : [schema.type]).filter((t): t is JsonType =>
      (JSON_TYPES as readonly unknown[]).includes(t),
    );
    return { types: [...new Set(named)], declared: true };
  }
  const keywords = draft === SchemaDraft.Draft2020_12 ? DRAFT_2020_12_TYPE_KEYWORDS : DRAFT_07_TYPE_KEYWORDS;
  const inferred = (Object.keys(keywords) as (keyof TypeKeywords)[]).filter((type) => keywords[type].some((keyword) => Object.hasOwn(schema, keyword)));
  return { types: inferred, declared: false };
}

/**
 * Describes a subschema (already `$ref`-resolved by the caller, or the unresolved marker).
 * @param resolveMember resolves and describes a member subschema (`allOf/0`, ...)
 */
export function describeShape(
  target: Located | UnresolvedReference,
  pointer: string,
  resolveMember: (parent: Located, keyword: string, index: number, pointer: string) => Shape,
): Shape {
  if (isUnresolved(target)) {
    const node = target.at;
    return { kind: 'ref', ref: target.unresolved, dynamic: target.dynamic, node, pointer, whole: true, key: `${node.document.key}${node.location}#ref` };
  }
  const node = target;
  const base = (part: string, whole: boolean) => ({ node, pointer, whole, key: `${node.document.key}${node.location}#${part}` });
  const schema = node.schema;
  if (schema === true) return { kind: 'any', ...base('whole', true) };
  if (schema === false) return { kind: 'none', ...base('whole', true) };

  const parts: ((whole: boolean) => Shape)[] = [];
  const { types, declared } = typesOf(schema, node.document.draft);
  if (declared && types.length === 0 && Array.isArray(schema.type)) {
    // `type: []` admits no type at all.
    parts.push((whole) => ({ kind: 'none', ...base('type', whole) }));
  } else if (types.length === 1) {
    parts.push((whole) => ({ kind: 'typed', type: types[0]!, declared, ...base(`typed:${types[0]}`, whole) }));
  } else if (types.length > 1) {
    parts.push((whole) => {
      const members = types.map((type): Shape => ({ kind: 'typed', type, declared, ...base(`typed:${type}`, false) }));
      return { kind: 'combined', combinator: 'type', members: () => members, ...base('type', whole) };
    });
  }
  if (Array.isArray(schema.enum)) {
    const values = schema.enum;
    parts.push((whole) => ({ kind: 'enum', keyword: 'enum', values, ...base('enum', whole) }));
  }
  if (Object.hasOwn(schema, 'const')) {
    const values = [schema.const];
    parts.push((whole) => ({ kind: 'enum', keyword: 'const', values, ...base('const', whole) }));
  }
  if (Object.hasOwn(schema, 'not')) parts.push((whole) => ({ kind: 'not', ...base('not', whole) }));
  if (Object.hasOwn(schema, 'if')) parts.push((whole) => ({ kind: 'condition', ...base('condition', whole) }));
  for (const combinator of ['allOf', 'anyOf', 'oneOf'] as const) {
    const list = schema[combinator];
    if (!Array.isArray(list)) continue;
    parts.push((whole) => {
      let cached: readonly Shape[] | undefined;
      const members = () => (cached ??= list.map((_, index) => resolveMember(node, combinator, index, `${pointer}/${combinator}/${index}`)));
      return { kind: 'combined', combinator, members, ...base(combinator, whole) };
    });
  }
  if (parts.length === 0) return { kind: 'any', ...base('whole', true) };
  if (parts.length === 1) return parts[0]!(true);
  const members = parts.map((part) => part(false));
  return { kind: 'combined', combinator: 'keywords', members: () => members, ...base('keywords', true) };
}

/** True when a schema object says nothing that constrains values (only annotations, or nothing). */
export function isUnconstrained(schema: unknown): boolean {
  if (schema === true) return true;
  if (!isObject(schema)) return false;
  return Object.keys(schema).every((key) => NON_CONSTRAINING.has(key));
}
