/**
 * Object keywords. The central idea is the content model: for any property name, the
 * earlier schema either left it open (any value), closed it (`additionalProperties:
 * false`), or partially opened it (a `patternProperties` or `additionalProperties`
 * schema covers it). Adding or removing a declared property is compatible exactly when
 * what covered that name on the other side accepts what the property accepted.
 */
import type { SchemaChange } from './changes';
import { BREAKS, KEEPS, allCompatible, change, show, type DiffContext } from './diff-context';
import { childPointer, deepEqual, isObject, isSchema, type JsonSchemaObject, type Located } from './schema-document';
import { isUnconstrained } from './shape';
import { diffLowerCount, diffUpperCount } from './scalar-diff';

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

/** What covers `name` in `parent` when it is not a declared property. */
function coveringFor(context: DiffContext, parent: Located, name: string, pointer: string): ContentModel {
  const patterns = matchingPatterns(context, parent, name, pointer);
  if (patterns.length > 0) return { kind: 'partial', nodes: patterns };
  return contentModel(context, parent, 'additionalProperties');
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
    const cover = contentModel(context, later, 'additionalProperties');
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
    const cover = contentModel(context, earlier, 'additionalProperties');
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

/**
 * `additionalProperties` / `additionalItems` on their own: what happens to names (or
 * positions) neither version declares.
 */
export function diffAdditional(
  context: DiffContext,
  keyword: 'additionalProperties' | 'additionalItems',
  earlier: Located,
  later: Located,
  pointer: string,
): SchemaChange[] {
  const before = contentModel(context, earlier, keyword);
  const now = contentModel(context, later, keyword);
  const at = `${pointer}/${keyword}`;
  const kinds =
    keyword === 'additionalProperties'
      ? ({ added: 'ADDITIONAL_PROPERTIES_ADDED', removed: 'ADDITIONAL_PROPERTIES_REMOVED', extended: 'ADDITIONAL_PROPERTIES_EXTENDED', narrowed: 'ADDITIONAL_PROPERTIES_NARROWED' } as const)
      : ({ added: 'ADDITIONAL_ITEMS_ADDED', removed: 'ADDITIONAL_ITEMS_REMOVED', extended: 'ADDITIONAL_ITEMS_EXTENDED', narrowed: 'ADDITIONAL_ITEMS_NARROWED' } as const);
  const what = keyword === 'additionalProperties' ? 'properties not declared' : 'items beyond the declared positions';
  if (before.kind === now.kind && before.kind !== 'partial') return [];
  if (before.kind === 'closed') return [change(kinds.added, at, true, `${keyword} now allows ${what}, which were rejected before: ${KEEPS}`)];
  if (now.kind === 'closed') {
    return [change(kinds.removed, at, false, `${keyword} is false now: documents with ${what} were valid before and are rejected now`)];
  }
  if (before.kind === 'open') {
    return [change(kinds.narrowed, at, false, `${keyword} now constrains ${what}, which could hold any value before: ${BREAKS}`)];
  }
  if (now.kind === 'open') return [change(kinds.extended, at, true, `${keyword} now accepts any value for ${what}: ${KEEPS}`)];
  return context.compareSets(before.kind === 'partial' ? before.nodes : [], now.kind === 'partial' ? now.nodes : [], at);
}

function diffDependencies(context: DiffContext, keyword: string, earlier: Located, later: Located, pointer: string): SchemaChange[] {
  const before = new Map(entriesOf(earlier.schema as JsonSchemaObject, keyword));
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
    } else if (was === undefined) {
      if (Array.isArray(is)) {
        changes.push(
          change('DEPENDENCY_ARRAY_ADDED', at, false, `when "${name}" is present, ${stringList(is).join(', ')} must now be present too: documents without them were valid before and are rejected now`),
        );
      } else if (!isUnconstrained(context.resolvedSchema(childOf(later, keyword, name) ?? { document: later.document, location: at, schema: true }))) {
        changes.push(change('DEPENDENCY_SCHEMA_ADDED', at, false, `a schema now applies when "${name}" is present: ${BREAKS}`));
      }
    } else if (Array.isArray(was) && Array.isArray(is)) {
      const added = stringList(is).filter((item) => !stringList(was).includes(item));
      changes.push(
        added.length > 0
          ? change('DEPENDENCY_ARRAY_EXTENDED', at, false, `when "${name}" is present, ${added.join(', ')} must now be present too: documents without them were valid before and are rejected now`)
          : change('DEPENDENCY_ARRAY_NARROWED', at, true, `fewer properties are required alongside "${name}": ${KEEPS}`),
      );
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
export function diffObject(context: DiffContext, earlier: Located, later: Located, pointer: string): SchemaChange[] {
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
    ...diffAdditional(context, 'additionalProperties', earlier, later, pointer),
    ...diffLowerCount('minProperties', before, now, pointer),
    ...diffUpperCount('maxProperties', before, now, pointer),
    ...diffDependencies(context, 'dependencies', earlier, later, pointer),
    ...diffDependencies(context, 'dependentRequired', earlier, later, pointer),
    ...diffDependencies(context, 'dependentSchemas', earlier, later, pointer),
    ...diffPropertyNames(context, earlier, later, pointer),
  );
  return changes;
}
