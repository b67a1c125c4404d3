/**
 * Object keywords. The central idea is the content model: for any property name, the
 * earlier schema either left it open (any value), closed it (`additionalProperties:
 * false`), or partially opened it (a `patternProperties` or `additionalProperties`
 * schema covers it). Adding or removing a declared property is compatible exactly when
 * what covered that name on the other side accepts what the property accepted.
 *
 * 2020-12's `unevaluatedProperties` closes an object the same way; ./unevaluated decides
 * when it can be read as `additionalProperties` and what to count as declared.
 * `dependentRequired` / `dependentSchemas` are the 2020-12 halves of draft-07's
 * `dependencies`, compared the same way, and across the two spellings.
 */
import type { ChangeKind, SchemaChange } from './changes';
import { BREAKS, KEEPS, allCompatible, change, show, type DiffContext } from './diff-context';
import { childPointer, deepEqual, isObject, isSchema, type JsonSchemaObject, type Located } from './schema-document';
import { isUnconstrained } from './shape';
import { diffLowerCount, diffUpperCount } from './scalar-diff';
import { propertyViews } from './unevaluated';
import { SchemaDraft } from '../validation';

/** What governs a name (or an array position) not declared explicitly. */
export type ContentModel =
  | { readonly kind: 'open' }
  | { readonly kind: 'closed' }
  | { readonly kind: 'partial'; readonly nodes: readonly Located[] };

function childOf(parent: Located, ...tokens: (string | number)[]): Located | undefined {
  return parent.document.child(parent, ...tokens);
}

/** The content model a keyword like `additionalProperties` / `additionalItems` sets. */
export function contentModel(context: DiffContext, parent: Located, keyword: string): ContentModel {
  const node = childOf(parent, keyword);
  if (!node) return { kind: 'open' };
  const schema = context.resolvedSchema(node);
  if (schema === false) return { kind: 'closed' };
  if (isUnconstrained(schema)) return { kind: 'open' };
  return { kind: 'partial', nodes: [node] };
}

function entriesOf(schema: JsonSchemaObject, keyword: string): [string, unknown][] {
  const value = schema[keyword];
  return isObject(value) ? Object.entries(value) : [];
}

function matches(pattern: string, name: string, context: DiffContext, pointer: string): boolean {
  try {
    return new RegExp(pattern, 'u').test(name);
  } catch {
    context.warn(`${pointer}/patternProperties`, `pattern ${show(pattern)} is not a valid regular expression; it was ignored`);
    return false;
  }
}

/** The pattern properties of `parent` whose regular expression matches `name`. */
function matchingPatterns(context: DiffContext, parent: Located, name: string, pointer: string, except?: Located): Located[] {
  const schema = parent.schema as JsonSchemaObject;
  return entriesOf(schema, 'patternProperties')
    .filter(([pattern, value]) => isSchema(value) && matches(pattern, name, context, pointer))
    .filter(([pattern, value]) => {
      // A pattern identical on both sides constrains both the same way: leave it out.
      if (!except) return true;
      const other = (except.schema as JsonSchemaObject).patternProperties;
      return !(isObject(other) && Object.hasOwn(other, pattern) && deepEqual(other[pattern], value));
    })
    .map(([pattern]) => childOf(parent, 'patternProperties', pattern)!);
}

/**
 * The keyword that closes the names an object schema does not declare: `additionalProperties`,
 * or `unevaluatedProperties` where the view (./unevaluated) kept it as the closure.
 */
function closureKeyword(parent: Located): 'additionalProperties' | 'unevaluatedProperties' {
  const schema = parent.schema as JsonSchemaObject;
  return !Object.hasOwn(schema, 'additionalProperties') && Object.hasOwn(schema, 'unevaluatedProperties') ? 'unevaluatedProperties' : 'additionalProperties';
}

/** What governs the names an object schema neither declares nor matches with a pattern. */
function closureModel(context: DiffContext, parent: Located): ContentModel {
  return contentModel(context, parent, closureKeyword(parent));
}

/** What covers `name` in `parent` when it is not a declared property. */
function coveringFor(context: DiffContext, parent: Located, name: string, pointer: string): ContentModel {
  const patterns = matchingPatterns(context, parent, name, pointer);
  if (patterns.length > 0) return { kind: 'partial', nodes: patterns };
  return closureModel(context, parent);
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

function describeModel(model: ContentModel): string {
  return model.kind === 'open' ? 'any value' : model.kind === 'closed' ? 'nothing' : 'the covering schema';
}

function diffRemovedProperty(context: DiffContext, earlier: Located, later: Located, name: string, pointer: string): SchemaChange[] {
  const at = childPointer(pointer, 'properties', name);
  const node = childOf(earlier, 'properties', name)!;
  const cover = coveringFor(context, later, name, pointer);
  if (cover.kind === 'open') {
    return [change('PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL', at, true, `property "${name}" removed; the object stays open, so documents that have it are still accepted with any value`)];
  }
  if (cover.kind === 'closed') {
    if (context.resolvedSchema(node) === false) {
      return [change('PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL', at, true, `property "${name}" (which allowed no value) removed from a closed object: ${KEEPS}`)];
    }
    return [
      change(
        'PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL',
        at,
        false,
        `property "${name}" removed while additional properties are not allowed: documents that have "${name}" were valid before and are rejected now; keep the property (mark it deprecated) or allow additional properties`,
      ),
    ];
  }
  const inner = context.compareSets([node], cover.nodes, at);
  const covered = allCompatible(inner);
  return [
    ...inner,
    covered
      ? change('PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL', at, true, `property "${name}" removed; what it allowed is still accepted by the schema that now covers the name: ${KEEPS}`)
      : change(
          'PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL',
          at,
          false,
          `property "${name}" removed, and the schema that now covers the name (patternProperties / additionalProperties) rejects values it allowed: ${BREAKS}`,
        ),
  ];
}

function diffAddedProperty(context: DiffContext, earlier: Located, later: Located, name: string, required: boolean, pointer: string): SchemaChange[] {
  const at = childPointer(pointer, 'properties', name);
  const node = childOf(later, 'properties', name)!;
  const cover = coveringFor(context, earlier, name, pointer);
  const requiredChange = (kind: 'REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL' | 'REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL') =>
    change(kind, at, false, `new required property "${name}": documents without it were valid before and are rejected now; add it as optional instead`);
  if (cover.kind === 'open') {
    if (required) return [requiredChange('REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL')];
    if (isUnconstrained(context.resolvedSchema(node))) {
      return [change('PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL', at, true, `property "${name}" added with a schema that accepts any value: ${KEEPS}`)];
    }
    return [
      change(
        'OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL',
        at,
        false,
        `property "${name}" added to an open object: documents valid before could carry "${name}" with any value, and those whose value the new schema rejects are rejected now; close the object (additionalProperties: false) first, or give "${name}" a schema that accepts any value`,
      ),
    ];
  }
  const requiredOrOptional = required
    ? requiredChange('REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL')
    : change('OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL', at, true, `optional property "${name}" added; the earlier schema allowed ${describeModel(cover)} under that name: ${KEEPS}`);
  if (cover.kind === 'closed') return [requiredOrOptional];
  const inner = context.compareSets(cover.nodes, [node], at);
  const covered = allCompatible(inner);
  return [
    ...inner,
    covered
      ? change('PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL', at, true, `property "${name}" added; it accepts everything the schema that covered the name before accepted`)
      : change(
          'PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL',
          at,
          false,
          `property "${name}" added with a schema that rejects values the earlier patternProperties / additionalProperties allowed under that name: ${BREAKS}`,
        ),
    requiredOrOptional,
  ];
}

function diffRequired(context: DiffContext, earlier: JsonSchemaObject, later: JsonSchemaObject, pointer: string): SchemaChange[] {
  const before = new Set(stringList(earlier.required));
  const now = new Set(stringList(later.required));
  const declaredBefore = isObject(earlier.properties) ? earlier.properties : {};
  const declaredNow = isObject(later.properties) ? later.properties : {};
  const changes: SchemaChange[] = [];
  for (const name of before) {
    if (!now.has(name)) changes.push(change('REQUIRED_ATTRIBUTE_REMOVED', childPointer(pointer, 'required', name), true, `"${name}" is no longer required: ${KEEPS}`));
  }
  for (const name of now) {
    if (before.has(name)) continue;
    const inBefore = Object.hasOwn(declaredBefore, name);
    const inNow = Object.hasOwn(declaredNow, name);
    // A property new in this version reports its own required-ness with the addition.
    if (inNow && !inBefore) continue;
    // A schema with no properties of its own (an allOf part, a then branch) requires
    // names declared elsewhere: count it. Where the schema declares properties but not
    // this one, the vectors treat the name as not part of the model: warn instead.
    const pureConstraint = !Object.hasOwn(earlier, 'properties') && !Object.hasOwn(later, 'properties');
    if (inBefore || inNow || pureConstraint) {
      changes.push(
        change(
          'REQUIRED_ATTRIBUTE_ADDED',
          childPointer(pointer, 'required', name),
          false,
          `"${name}" is required now: documents without it were valid before and are rejected now; keep it optional`,
        ),
      );
    } else {
      context.warn(
        childPointer(pointer, 'required', name),
        `"${name}" is required now but no version declares it under properties: documents without it were valid before and are rejected now. The compatibility rules (like the conformance vectors) only count required properties that are declared; declare "${name}" or drop it from required`,
      );
    }
  }
  return changes;
}

function diffPatternProperties(context: DiffContext, earlier: Located, later: Located, pointer: string): SchemaChange[] {
  const before = new Map(entriesOf(earlier.schema as JsonSchemaObject, 'patternProperties'));
  const now = new Map(entriesOf(later.schema as JsonSchemaObject, 'patternProperties'));
  const changes: SchemaChange[] = [];
  for (const [pattern, value] of before) {
    const at = childPointer(pointer, 'patternProperties', pattern);
    const node = childOf(earlier, 'patternProperties', pattern);
    if (!node) continue;
    if (now.has(pattern)) {
      if (!deepEqual(value, now.get(pattern))) changes.push(...context.compareSets([node], [childOf(later, 'patternProperties', pattern)!], at));
      continue;
    }
    const cover = closureModel(context, later);
    if (cover.kind === 'open') {
      changes.push(change('PATTERN_PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL', at, true, `patternProperties ${show(pattern)} removed; matching names now accept any value: ${KEEPS}`));
    } else if (cover.kind === 'closed') {
      if (context.resolvedSchema(node) !== false) {
        changes.push(
          change(
            'PATTERN_PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL',
            at,
            false,
            `patternProperties ${show(pattern)} removed while additional properties are not allowed: documents with matching names were valid before and are rejected now`,
          ),
        );
      }
    } else {
      const inner = context.compareSets([node], cover.nodes, at);
      changes.push(
        ...inner,
        allCompatible(inner)
          ? change('PATTERN_PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL', at, true, `patternProperties ${show(pattern)} removed; additionalProperties still accepts what it allowed`)
          : change(
              'PATTERN_PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL',
              at,
              false,
              `patternProperties ${show(pattern)} removed, and additionalProperties rejects values it allowed: ${BREAKS}`,
            ),
      );
    }
  }
  for (const pattern of now.keys()) {
    if (before.has(pattern)) continue;
    const at = childPointer(pointer, 'patternProperties', pattern);
    const node = childOf(later, 'patternProperties', pattern);
    if (!node) continue;
    const cover = closureModel(context, earlier);
    // Names the earlier schema closed gain a schema: nothing valid before is affected.
    if (cover.kind === 'closed') continue;
    if (cover.kind === 'open') {
      if (!isUnconstrained(context.resolvedSchema(node))) {
        changes.push(
          change(
            'PATTERN_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL',
            at,
            false,
            `patternProperties ${show(pattern)} added to an open object: matching names accepted any value before, and values its schema rejects are rejected now`,
          ),
        );
      }
      continue;
    }
    const inner = context.compareSets(cover.nodes, [node], at);
    changes.push(
      ...inner,
      allCompatible(inner)
        ? change('PATTERN_PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL', at, true, `patternProperties ${show(pattern)} added; it accepts what additionalProperties allowed before`)
        : change(
            'PATTERN_PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL',
            at,
            false,
            `patternProperties ${show(pattern)} added with a schema that rejects values additionalProperties allowed before: ${BREAKS}`,
          ),
    );
  }
  return changes;
}

/** A closure keyword as one side spells it, and the content model it sets. */
export interface Closure {
  readonly keyword: 'additionalProperties' | 'unevaluatedProperties' | 'additionalItems' | 'items' | 'unevaluatedItems';
  /** True when the keyword is written in that schema (the pointer names the written one). */
  readonly written: boolean;
  readonly model: ContentModel;
}

/** The closure of one side, read from `keyword` of `parent`. */
export function closureOf(context: DiffContext, parent: Located, keyword: Closure['keyword']): Closure {
  return { keyword, written: Object.hasOwn(parent.schema as JsonSchemaObject, keyword), model: contentModel(context, parent, keyword) };
}

type ClosureKinds = { added: ChangeKind; removed: ChangeKind; extended: ChangeKind; narrowed: ChangeKind };

function closureKinds(keyword: Closure['keyword']): ClosureKinds {
  switch (keyword) {
    case 'additionalProperties':
      return { added: 'ADDITIONAL_PROPERTIES_ADDED', removed: 'ADDITIONAL_PROPERTIES_REMOVED', extended: 'ADDITIONAL_PROPERTIES_EXTENDED', narrowed: 'ADDITIONAL_PROPERTIES_NARROWED' };
    case 'unevaluatedProperties':
      return { added: 'UNEVALUATED_PROPERTIES_ADDED', removed: 'UNEVALUATED_PROPERTIES_REMOVED', extended: 'UNEVALUATED_PROPERTIES_EXTENDED', narrowed: 'UNEVALUATED_PROPERTIES_NARROWED' };
    case 'unevaluatedItems':
      return { added: 'UNEVALUATED_ITEMS_ADDED', removed: 'UNEVALUATED_ITEMS_REMOVED', extended: 'UNEVALUATED_ITEMS_EXTENDED', narrowed: 'UNEVALUATED_ITEMS_NARROWED' };
    default:
      // draft-07 additionalItems and its 2020-12 successor, items after prefixItems.
      return { added: 'ADDITIONAL_ITEMS_ADDED', removed: 'ADDITIONAL_ITEMS_REMOVED', extended: 'ADDITIONAL_ITEMS_EXTENDED', narrowed: 'ADDITIONAL_ITEMS_NARROWED' };
  }
}

/**
 * The closures on their own: what happens to names (or positions) neither version
 * declares. The two sides may spell their closure differently (additionalProperties in
 * one, unevaluatedProperties in the other; additionalItems in draft-07, items after
 * prefixItems in 2020-12): the change is named after the keyword the earlier schema
 * writes, or else the later one.
 */
export function diffClosure(context: DiffContext, before: Closure, now: Closure, pointer: string): SchemaChange[] {
  const keyword = before.written || !now.written ? before.keyword : now.keyword;
  const at = `${pointer}/${keyword}`;
  const kinds = closureKinds(keyword);
  const what = keyword.endsWith('Properties') ? 'properties not declared' : 'items beyond the declared positions';
  const was = before.model;
  const is = now.model;
  if (was.kind === is.kind && was.kind !== 'partial') return [];
  if (was.kind === 'closed') return [change(kinds.added, at, true, `${keyword} now allows ${what}, which were rejected before: ${KEEPS}`)];
  if (is.kind === 'closed') {
    return [change(kinds.removed, at, false, `${keyword} is false now: documents with ${what} were valid before and are rejected now`)];
  }
  if (was.kind === 'open') {
    return [change(kinds.narrowed, at, false, `${keyword} now constrains ${what}, which could hold any value before: ${BREAKS}`)];
  }
  if (is.kind === 'open') return [change(kinds.extended, at, true, `${keyword} now accepts any value for ${what}: ${KEEPS}`)];
  return context.compareSets(was.kind === 'partial' ? was.nodes : [], is.kind === 'partial' ? is.nodes : [], at);
}

type DependencyKeyword = 'dependencies' | 'dependentRequired' | 'dependentSchemas';

/** The dependency keywords 2020-12 added; draft-07 validators (ajv's draft-07 class) ignore them. */
const ONLY_2020_12: ReadonlySet<DependencyKeyword> = new Set(['dependentRequired', 'dependentSchemas']);
/** The spellings of "when this property is present, these must be too". */
const LIST_DEPENDENCIES: readonly DependencyKeyword[] = ['dependencies', 'dependentRequired'];
/** The spellings of "when this property is present, the object must match this schema". */
const SCHEMA_DEPENDENCIES: readonly DependencyKeyword[] = ['dependencies', 'dependentSchemas'];

/** Whether validators of `located`'s draft enforce `keyword` (ajv 2020-12 still enforces draft-07's `dependencies`). */
function enforces(located: Located, keyword: DependencyKeyword): boolean {
  return !ONLY_2020_12.has(keyword) || located.document.draft === SchemaDraft.Draft2020_12;
}

/**
 * Whether the earlier (writer's) schema is read for `keyword`. Where its draft ignores
 * the keyword it constrained nothing the writer produced, so it must not count, unless the
 * reader's draft ignores it too: then both are read alike, which can only report more.
 */
function writerReads(earlier: Located, later: Located, keyword: DependencyKeyword): boolean {
  return enforces(earlier, keyword) || !enforces(later, keyword);
}

/**
 * Properties the earlier schema guarantees alongside `name` by other means than `keyword`:
 * its `required`, and a list dependency on `name` under the other spelling (where enforced).
 */
function guaranteedAlongside(earlier: Located, name: string, keyword: DependencyKeyword): Set<string> {
  const schema = earlier.schema as JsonSchemaObject;
  const guaranteed = new Set(stringList(schema.required));
  for (const other of LIST_DEPENDENCIES) {
    if (other === keyword || !enforces(earlier, other)) continue;
    const entries = schema[other];
    if (isObject(entries) && Array.isArray(entries[name])) stringList(entries[name]).forEach((item) => guaranteed.add(item));
  }
  return guaranteed;
}

/** Schemas the earlier schema applies when `name` is present, spelled with the other keyword (where enforced). */
function schemasAlongside(earlier: Located, name: string, keyword: DependencyKeyword): Located[] {
  const schema = earlier.schema as JsonSchemaObject;
  return SCHEMA_DEPENDENCIES.filter((other) => other !== keyword && enforces(earlier, other))
    .filter((other) => isObject(schema[other]) && isSchema((schema[other] as JsonSchemaObject)[name]) && !Array.isArray((schema[other] as JsonSchemaObject)[name]))
    .map((other) => childOf(earlier, other, name)!);
}

function diffAddedListDependency(earlier: Located, keyword: DependencyKeyword, name: string, was: unknown, is: unknown[], at: string): SchemaChange[] {
  const before = Array.isArray(was) ? stringList(was) : [];
  const guaranteed = guaranteedAlongside(earlier, name, keyword);
  const added = stringList(is).filter((item) => item !== name && !before.includes(item) && !guaranteed.has(item));
  if (added.length > 0) {
    return [
      was === undefined
        ? change('DEPENDENCY_ARRAY_ADDED', at, false, `when "${name}" is present, ${added.join(', ')} must now be present too: documents without them were valid before and are rejected now`)
        : change('DEPENDENCY_ARRAY_EXTENDED', at, false, `when "${name}" is present, ${added.join(', ')} must now be present too: documents without them were valid before and are rejected now`),
    ];
  }
  if (was === undefined) {
    return [change('DEPENDENCY_ARRAY_ADDED', at, true, `the properties now required alongside "${name}" were already guaranteed by the earlier schema (required, or the same dependency spelled with the other keyword): ${KEEPS}`)];
  }
  const narrowed = before.some((item) => !stringList(is).includes(item));
  return narrowed ? [change('DEPENDENCY_ARRAY_NARROWED', at, true, `fewer properties are required alongside "${name}": ${KEEPS}`)] : [];
}

function diffDependencies(context: DiffContext, keyword: DependencyKeyword, earlier: Located, later: Located, pointer: string): SchemaChange[] {
  const before = new Map(writerReads(earlier, later, keyword) ? entriesOf(earlier.schema as JsonSchemaObject, keyword) : []);
  const now = new Map(entriesOf(later.schema as JsonSchemaObject, keyword));
  const changes: SchemaChange[] = [];
  for (const name of new Set([...before.keys(), ...now.keys()])) {
    const at = childPointer(pointer, keyword, name);
    const was = before.get(name);
    const is = now.get(name);
    if (deepEqual(was, is)) continue;
    if (is === undefined) {
      changes.push(
        Array.isArray(was)
          ? change('DEPENDENCY_ARRAY_REMOVED', at, true, `properties required alongside "${name}" (${stringList(was).join(', ')}) no longer are: ${KEEPS}`)
          : change('DEPENDENCY_SCHEMA_REMOVED', at, true, `the schema applied when "${name}" is present was removed: ${KEEPS}`),
      );
    } else if (Array.isArray(is) && (was === undefined || Array.isArray(was))) {
      changes.push(...diffAddedListDependency(earlier, keyword, name, was, is, at));
    } else if (was === undefined) {
      const node = childOf(later, keyword, name) ?? { document: later.document, location: at, schema: true };
      const alongside = schemasAlongside(earlier, name, keyword);
      if (alongside.length > 0) {
        // The earlier schema already applied a schema when "name" is present, under the other spelling.
        changes.push(...context.compareSets(alongside, [node], at));
      } else if (!isUnconstrained(context.resolvedSchema(node))) {
        changes.push(change('DEPENDENCY_SCHEMA_ADDED', at, false, `a schema now applies when "${name}" is present: ${BREAKS}`));
      }
    } else if (isSchema(was) && isSchema(is) && !Array.isArray(was) && !Array.isArray(is)) {
      changes.push(...context.compareSets([childOf(earlier, keyword, name)!], [childOf(later, keyword, name)!], at));
    } else {
      changes.push(change('DEPENDENCY_CHANGED', at, false, `the dependency on "${name}" changed between a list of properties and a schema: ${BREAKS}`));
    }
  }
  return changes;
}

function diffPropertyNames(context: DiffContext, earlier: Located, later: Located, pointer: string): SchemaChange[] {
  const before = childOf(earlier, 'propertyNames');
  const now = childOf(later, 'propertyNames');
  const at = `${pointer}/propertyNames`;
  if (!before && !now) return [];
  if (!now) return [change('PROPERTY_NAMES_REMOVED', at, true, `propertyNames removed: ${KEEPS}`)];
  if (!before) {
    return isUnconstrained(context.resolvedSchema(now)) ? [] : [change('PROPERTY_NAMES_ADDED', at, false, `propertyNames added: objects with names it rejects were valid before and are rejected now`)];
  }
  return context.compareSets([before], [now], at);
}

/** Every object keyword of two object schemas. */
export function diffObject(context: DiffContext, earlierNode: Located, laterNode: Located, pointer: string): SchemaChange[] {
  const [earlier, later] = propertyViews(context, earlierNode, laterNode, pointer);
  const before = earlier.schema as JsonSchemaObject;
  const now = later.schema as JsonSchemaObject;
  const propertiesBefore = isObject(before.properties) ? before.properties : {};
  const propertiesNow = isObject(now.properties) ? now.properties : {};
  const requiredNow = new Set(stringList(now.required));
  const changes: SchemaChange[] = [];
  for (const name of new Set([...Object.keys(propertiesBefore), ...Object.keys(propertiesNow)])) {
    const was = Object.hasOwn(propertiesBefore, name) && isSchema(propertiesBefore[name]);
    const is = Object.hasOwn(propertiesNow, name) && isSchema(propertiesNow[name]);
    if (was && is) {
      const at = childPointer(pointer, 'properties', name);
      const earlierSet = [childOf(earlier, 'properties', name)!, ...matchingPatterns(context, earlier, name, pointer, later)];
      const laterSet = [childOf(later, 'properties', name)!, ...matchingPatterns(context, later, name, pointer, earlier)];
      changes.push(...context.compareSets(earlierSet, laterSet, at));
    } else if (was) {
      changes.push(...diffRemovedProperty(context, earlier, later, name, pointer));
    } else if (is) {
      changes.push(...diffAddedProperty(context, earlier, later, name, requiredNow.has(name), pointer));
    }
  }
  changes.push(
    ...diffRequired(context, before, now, pointer),
    ...diffPatternProperties(context, earlier, later, pointer),
    ...diffClosure(context, closureOf(context, earlier, closureKeyword(earlier)), closureOf(context, later, closureKeyword(later)), pointer),
    ...diffLowerCount('minProperties', before, now, pointer),
    ...diffUpperCount('maxProperties', before, now, pointer),
    ...diffDependencies(context, 'dependencies', earlier, later, pointer),
    ...diffDependencies(context, 'dependentRequired', earlier, later, pointer),
    ...diffDependencies(context, 'dependentSchemas', earlier, later, pointer),
    ...diffPropertyNames(context, earlier, later, pointer),
  );
  return changes;
}
