/**
 * 2020-12's `unevaluatedProperties` and `unevaluatedItems`, read as the closure keywords
 * the rest of the checker understands (`additionalProperties`, and the schema for items
 * beyond the declared positions).
 *
 * What they mean (json-schema-core 2020-12, section 11): the subschema applies to the
 * properties (items) that no other keyword evaluated, counting `properties`,
 * `patternProperties`, `additionalProperties` (`prefixItems`, `items`, `contains`) of this
 * schema AND of every in-place applicator that passed: `allOf`, `anyOf`, `oneOf`, `if` /
 * `then` / `else`, `dependentSchemas`, `$ref`, `$dynamicRef` (not `not`).
 *
 * Without in-place applicators that is exactly `additionalProperties` (or the tail after
 * `prefixItems`), and the checker compares it so. With them, which members are evaluated
 * depends on the instance, and the checker approximates on the safe side:
 * - the earlier (writer's) schema is read as accepting MORE than it does: every member any
 *   applicator might evaluate counts as evaluated (left open by this keyword), and when an
 *   applicator might evaluate everything (its own `additionalProperties`, `items`,
 *   `contains`, an unresolvable reference) the keyword is ignored;
 * - the later (reader's) schema is read as accepting LESS: only members evaluated by
 *   applicators that always apply (`allOf`, `$ref`) count.
 * So a compatible verdict stays true, and a compatible change may be reported as breaking
 * (a warning says so). When both versions have the very same applicators (no `$ref` in
 * them) and declare the same members, both evaluate the same members for any instance,
 * and the comparison is exact again.
 *
 * The "views" built here are the schema objects as the comparison should see them: the
 * keyword removed where it has no effect (or is ignored), and the members evaluated
 * elsewhere added as `true` (the applicator's own constraint on them is compared where
 * the applicator is).
 */
import { SchemaDraft } from '../validation';
import type { DiffContext } from './diff-context';
import { containsRef, deepEqual, isObject, isSchema, type JsonSchema, type JsonSchemaObject, type Located } from './schema-document';

/** Which side of a comparison a schema is on: it decides which way to approximate. */
type Role = 'writer' | 'reader';

/** What in-place applicators evaluate, as far as the checker can tell. */
interface Evaluation {
  readonly names: ReadonlySet<string>;
  readonly patterns: ReadonlySet<string>;
  /** Item positions (from 0) some `prefixItems` evaluates. */
  readonly prefix: number;
  /**
   * The schemas that always-applied applicators (allOf, $ref, and theirs) give a property
   * name or an item position: every valid document satisfies them there. The writer's
   * view carries them, so that the writer's own part of a product still says what those
   * members hold.
   */
  readonly certainProperties: ReadonlyMap<string, readonly JsonSchema[]>;
  readonly certainItems: ReadonlyMap<number, readonly JsonSchema[]>;
  /** Names always-applied applicators require. */
  readonly certainRequired: ReadonlySet<string>;
  /** Every property may be evaluated elsewhere: `unevaluatedProperties` has nothing left to say. */
  readonly allProperties: boolean;
  /** Every item may be evaluated elsewhere. */
  readonly allItems: boolean;
}

/** In-place applicators that apply to every valid instance: their evaluations always count. */
const ALWAYS_APPLIED: readonly string[] = ['allOf'];
/** In-place applicators whose evaluations count only when they (or their branch) pass. */
const SOMETIMES_APPLIED = ['anyOf', 'oneOf', 'if', 'then', 'else', 'dependentSchemas'] as const;
/** Every keyword whose subschemas are in-place applicators (besides the references). */
const APPLICATOR_KEYWORDS = [...ALWAYS_APPLIED, ...SOMETIMES_APPLIED] as const;

function without(node: Located, keyword: string): Located {
  const { [keyword]: _removed, ...rest } = node.schema as JsonSchemaObject;
  return { ...node, schema: rest };
}

function keysOf(value: unknown): string[] {
  return isObject(value) ? Object.keys(value) : [];
}

/** One in-place applicator subschema, and whether it applies to every valid instance. */
interface Applicator {
  readonly node: Located;
  readonly always: boolean;
}

/** The in-place applicator subschemas of `node` that count for `role`. */
function applicatorsOf(node: Located, role: Role): Applicator[] {
  const schema = node.schema as JsonSchemaObject;
  const children: Applicator[] = [];
  const keywords = role === 'writer' ? APPLICATOR_KEYWORDS : ALWAYS_APPLIED;
  const add = (child: Located | undefined, keyword: string) => {
    if (child) children.push({ node: child, always: ALWAYS_APPLIED.includes(keyword) });
  };
  for (const keyword of keywords) {
    const value = schema[keyword];
    if (Array.isArray(value)) {
      value.forEach((_, index) => add(node.document.child(node, keyword, index), keyword));
    } else if (keyword === 'dependentSchemas') {
      for (const name of keysOf(value)) add(node.document.child(node, keyword, name), keyword);
    } else {
      add(node.document.child(node, keyword), keyword);
    }
  }
  // A reference always applies in 2020-12 (its siblings apply beside it).
  if (node.document.hasReference(node)) children.push({ node: node.document.referenceOnly(node), always: true });
  return children;
}

function addTo<K>(map: Map<K, JsonSchema[]>, key: K, schema: unknown): void {
  if (isSchema(schema)) map.set(key, [...(map.get(key) ?? []), schema]);
}

/**
 * What the in-place applicators of `node` evaluate: for the writer everything they might
 * evaluate, for the reader only what they always evaluate.
 */
function evaluationOf(node: Located, role: Role): Evaluation {
  const names = new Set<string>();
  const patterns = new Set<string>();
  let prefix = 0;
  let allProperties = false;
  let allItems = false;
  const certainProperties = new Map<string, JsonSchema[]>();
  const certainItems = new Map<number, JsonSchema[]>();
  const certainRequired = new Set<string>();
  const seen = new Set<string>();
  const visit = (located: Located, isRoot: boolean, always: boolean): void => {
    const target = located.document.resolve(located);
    if ('unresolved' in target) {
      // What an unknown schema evaluates is unknown: only the writer must assume the most.
      if (role === 'writer') allProperties = allItems = true;
      return;
    }
    if (seen.has(target.location) && !isRoot) return;
    seen.add(target.location);
    const schema = target.schema;
    if (!isObject(schema)) return;
    if (!isRoot) {
      keysOf(schema.properties).forEach((name) => names.add(name));
      keysOf(schema.patternProperties).forEach((pattern) => patterns.add(pattern));
      if (Object.hasOwn(schema, 'additionalProperties') || Object.hasOwn(schema, 'unevaluatedProperties')) allProperties = true;
      if (Array.isArray(schema.prefixItems)) prefix = Math.max(prefix, schema.prefixItems.length);
      if (Object.hasOwn(schema, 'items') || Object.hasOwn(schema, 'unevaluatedItems')) allItems = true;
      if (always) {
        for (const [name, value] of Object.entries(isObject(schema.properties) ? schema.properties : {})) addTo(certainProperties, name, value);
        if (Array.isArray(schema.prefixItems)) schema.prefixItems.forEach((value, index) => addTo(certainItems, index, value));
        if (Array.isArray(schema.required)) schema.required.forEach((name) => typeof name === 'string' && certainRequired.add(name));
      }
    }
    // `contains` evaluates the items it matches, wherever they are: only the writer must assume all.
    if (role === 'writer' && Object.hasOwn(schema, 'contains')) allItems = true;
    for (const child of applicatorsOf(target, role)) visit(child.node, false, always && child.always);
  };
  visit(node, true, true);
  return { names, patterns, prefix, allProperties, allItems, certainProperties, certainItems, certainRequired };
}

/**
 * What the writer's view puts under a member evaluated elsewhere: what the always-applied
 * applicators require of it (every document the writer accepts satisfies that), or any
 * value. The reader's view puts any value: its applicators are compared as its other parts.
 */
function evaluatedMemberSchema(role: Role, certain: readonly JsonSchema[] | undefined): JsonSchema {
  if (role === 'reader' || !certain || certain.length === 0) return true;
  return certain.length === 1 ? certain[0]! : { allOf: certain };
}

function hasApplicators(schema: JsonSchemaObject): boolean {
  return APPLICATOR_KEYWORDS.some((keyword) => Object.hasOwn(schema, keyword)) || Object.hasOwn(schema, '$ref') || Object.hasOwn(schema, '$dynamicRef');
}

/**
 * When both versions have identical applicators (no references inside, whose targets
 * could differ) and declare the same members themselves, both evaluate the same members
 * of any instance: one evaluation serves both, and the comparison is exact.
 */
function sharedEvaluation(
  earlier: Located,
  later: Located,
  ownMembersAgree: (before: JsonSchemaObject, now: JsonSchemaObject) => boolean,
): Evaluation | undefined {
  const before = earlier.schema as JsonSchemaObject;
  const now = later.schema as JsonSchemaObject;
  if (earlier.document.draft !== SchemaDraft.Draft2020_12 || later.document.draft !== SchemaDraft.Draft2020_12) return undefined;
  if (Object.hasOwn(before, '$ref') || Object.hasOwn(now, '$ref') || Object.hasOwn(before, '$dynamicRef') || Object.hasOwn(now, '$dynamicRef'))
    return undefined;
  for (const keyword of [...APPLICATOR_KEYWORDS, 'contains']) {
    if (!deepEqual(before[keyword], now[keyword]) || containsRef(before[keyword])) return undefined;
  }
  if (!ownMembersAgree(before, now)) return undefined;
  return evaluationOf(earlier, 'writer');
}

/**
 * Says once, for a subschema compared with its own next version (the same location in
 * both), that its closure was approximated. Comparisons the differ only tries (one part
 * of a product against another part) stay quiet: their results may not be used at all.
 */
function warnApproximation(context: DiffContext, keyword: string, earlier: Located, later: Located, pointer: string): void {
  const approximated = (node: Located) => {
    const schema = node.schema as JsonSchemaObject;
    return node.document.draft === SchemaDraft.Draft2020_12 && Object.hasOwn(schema, keyword) && hasApplicators(schema);
  };
  if (earlier.location !== later.location || !(approximated(earlier) || approximated(later))) return;
  context.warn(
    `${pointer}/${keyword}`,
    `${keyword} sits beside in-place applicators (allOf, anyOf, oneOf, if / then / else, dependentSchemas, $ref) that are not identical in both versions, so which members it covers depends on the document: it was compared cautiously, and a compatible change may be reported as breaking`,
  );
}

function propertyView(node: Located, role: Role, shared: Evaluation | undefined): Located {
  // The members added here are not at their own place in the document (they are read, not
  // validated there): only their schemas matter to the comparison.
  const schema = node.schema as JsonSchemaObject;
  if (!Object.hasOwn(schema, 'unevaluatedProperties')) return node;
  // draft-07 does not know the keyword; beside additionalProperties it has nothing left to cover.
  if (node.document.draft !== SchemaDraft.Draft2020_12 || Object.hasOwn(schema, 'additionalProperties')) return without(node, 'unevaluatedProperties');
  if (!shared && !hasApplicators(schema)) return node;
  const evaluation = shared ?? evaluationOf(node, role);
  if (evaluation.allProperties) return without(node, 'unevaluatedProperties');
  const ownNames = new Set(keysOf(schema.properties));
  const ownPatterns = new Set(keysOf(schema.patternProperties));
  const names = [...evaluation.names].filter((name) => !ownNames.has(name));
  const patterns = [...evaluation.patterns].filter((pattern) => !ownPatterns.has(pattern));
  if (names.length === 0 && patterns.length === 0) return node;
  const ownRequired = Array.isArray(schema.required) ? schema.required : [];
  const required = role === 'writer' ? [...new Set([...ownRequired, ...evaluation.certainRequired])] : ownRequired;
  const properties = {
    ...(isObject(schema.properties) ? schema.properties : {}),
    ...Object.fromEntries(names.map((name) => [name, evaluatedMemberSchema(role, evaluation.certainProperties.get(name))])),
  };
  const patternProperties = {
    ...(isObject(schema.patternProperties) ? schema.patternProperties : {}),
    ...Object.fromEntries(patterns.map((pattern) => [pattern, true])),
  };
  return { ...node, schema: { ...schema, properties, patternProperties, ...(required.length > 0 ? { required } : {}) } };
}

function itemView(node: Located, role: Role, shared: Evaluation | undefined): Located {
  const schema = node.schema as JsonSchemaObject;
  if (!Object.hasOwn(schema, 'unevaluatedItems')) return node;
  // 2020-12 `items` evaluates every item after prefixItems: nothing is left for unevaluatedItems.
  if (node.document.draft !== SchemaDraft.Draft2020_12 || Object.hasOwn(schema, 'items')) return without(node, 'unevaluatedItems');
  if (!shared && !hasApplicators(schema) && !Object.hasOwn(schema, 'contains')) return node;
  const evaluation = shared ?? evaluationOf(node, role);
  if (evaluation.allItems) return without(node, 'unevaluatedItems');
  const own = Array.isArray(schema.prefixItems) ? schema.prefixItems : [];
  if (evaluation.prefix <= own.length) return node;
  const evaluated = Array.from({ length: evaluation.prefix - own.length }, (_, offset) =>
    evaluatedMemberSchema(role, evaluation.certainItems.get(own.length + offset)),
  );
  return { ...node, schema: { ...schema, prefixItems: [...own, ...evaluated] } };
}

/** The two object schemas as the comparison should see them, `unevaluatedProperties` read as closure. */
export function propertyViews(context: DiffContext, earlier: Located, later: Located, pointer: string): readonly [Located, Located] {
  const sameOwnMembers = (before: JsonSchemaObject, now: JsonSchemaObject) =>
    deepEqual(keysOf(before.properties).sort(), keysOf(now.properties).sort()) &&
    deepEqual(keysOf(before.patternProperties).sort(), keysOf(now.patternProperties).sort());
  const shared = sharedEvaluation(earlier, later, sameOwnMembers);
  const usable = shared && !shared.allProperties ? shared : undefined;
  if (!usable) warnApproximation(context, 'unevaluatedProperties', earlier, later, pointer);
  return [propertyView(earlier, 'writer', usable), propertyView(later, 'reader', usable)];
}

/** The two array schemas as the comparison should see them, `unevaluatedItems` read as the schema for the items after the declared positions. */
export function itemViews(context: DiffContext, earlier: Located, later: Located, pointer: string): readonly [Located, Located] {
  const prefixLength = (schema: JsonSchemaObject) => (Array.isArray(schema.prefixItems) ? schema.prefixItems.length : 0);
  const shared = sharedEvaluation(earlier, later, (before, now) => prefixLength(before) === prefixLength(now));
  const usable = shared && !shared.allItems ? shared : undefined;
  if (!usable) warnApproximation(context, 'unevaluatedItems', earlier, later, pointer);
  return [itemView(earlier, 'writer', usable), itemView(later, 'reader', usable)];
}
