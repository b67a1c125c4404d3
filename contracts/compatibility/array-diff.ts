/**
 * Array keywords. Items are read as a layout: some positions, each with its own schema,
 * then a tail that governs every item after them — the same open / closed / partially
 * open content model as object properties, by position instead of by name. Both drafts
 * map onto it:
 * - draft-07: `items: [..]` (a tuple) are the positions and `additionalItems` the tail;
 *   `items: {..}` is one schema for every item;
 * - 2020-12: `prefixItems` are the positions and `items` the tail (`items` alone is one
 *   schema for every item); `unevaluatedItems` is the tail where ./unevaluated can read it
 *   so; `additionalItems` means nothing.
 * So a draft-07 tuple and the same tuple spelled in 2020-12 compare as equal.
 *
 * `contains` with 2020-12's `minContains` / `maxContains` bounds how many items match it
 * (draft-07: at least one, no upper bound).
 */
import type { SchemaChange } from './changes';
import { BREAKS, KEEPS, allCompatible, change, numberAt, type DiffContext } from './diff-context';
import { closureOf, contentModel, diffClosure, type Closure, type ContentModel } from './object-diff';
import { diffLowerCount, diffUpperCount } from './scalar-diff';
import type { JsonSchemaObject, Located } from './schema-document';
import { isUnconstrained } from './shape';
import { itemViews } from './unevaluated';
import { SchemaDraft } from '../validation';

function childOf(parent: Located, ...tokens: (string | number)[]): Located {
  // A malformed entry (not a schema) is read as `true` rather than failing the whole check.
  return parent.document.child(parent, ...tokens) ?? { document: parent.document, location: `${parent.location}/${tokens.join('/')}`, schema: true };
}

type Items = { readonly kind: 'none' } | { readonly kind: 'single'; readonly node: Located } | { readonly kind: 'tuple'; readonly nodes: readonly Located[] };

/** How one array schema lays its items out, whichever draft spelled it. */
interface ArrayLayout {
  readonly items: Items;
  /** Where the positions are written: draft-07 `items` (an array), 2020-12 `prefixItems`. */
  readonly positionKeyword: 'items' | 'prefixItems';
  /** What governs the items after the positions: draft-07 `additionalItems`, 2020-12 `items` (or `unevaluatedItems` acting as it). */
  readonly tailKeyword: 'additionalItems' | 'items' | 'unevaluatedItems';
}

function positionsOf(parent: Located, keyword: 'items' | 'prefixItems'): Items {
  const list = (parent.schema as JsonSchemaObject)[keyword] as unknown[];
  return { kind: 'tuple', nodes: list.map((_, index) => childOf(parent, keyword, index)) };
}

function draft07Layout(parent: Located): ArrayLayout {
  const items = (parent.schema as JsonSchemaObject).items;
  const layout = { positionKeyword: 'items', tailKeyword: 'additionalItems' } as const;
  if (items === undefined) return { ...layout, items: { kind: 'none' } };
  if (Array.isArray(items)) return { ...layout, items: positionsOf(parent, 'items') };
  return { ...layout, items: { kind: 'single', node: childOf(parent, 'items') } };
}

function layoutOf(context: DiffContext, parent: Located, pointer: string): ArrayLayout {
  const schema = parent.schema as JsonSchemaObject;
  if (parent.document.draft !== SchemaDraft.Draft2020_12) return draft07Layout(parent);
  if (Array.isArray(schema.items)) {
    // Not valid 2020-12 (ajv refuses it); read it as the tuple its author meant.
    context.warn(`${pointer}/items`, 'items is an array, which is draft-07 tuple syntax: 2020-12 spells a tuple prefixItems (and validators refuse this schema); it was compared as a draft-07 tuple');
    return draft07Layout(parent);
  }
  const hasItems = Object.hasOwn(schema, 'items');
  const hasUnevaluated = Object.hasOwn(schema, 'unevaluatedItems');
  const tailKeyword = hasItems || !hasUnevaluated ? 'items' : 'unevaluatedItems';
  if (Array.isArray(schema.prefixItems)) return { items: positionsOf(parent, 'prefixItems'), positionKeyword: 'prefixItems', tailKeyword };
  if (hasItems) return { items: { kind: 'single', node: childOf(parent, 'items') }, positionKeyword: 'prefixItems', tailKeyword };
  // unevaluatedItems alone governs every item: no positions, then the tail.
  if (hasUnevaluated) return { items: { kind: 'tuple', nodes: [] }, positionKeyword: 'prefixItems', tailKeyword };
  return { items: { kind: 'none' }, positionKeyword: 'prefixItems', tailKeyword };
}

/** The tail of a layout: open when there are no positions (draft-07 ignores additionalItems without a tuple). */
function tailOf(context: DiffContext, parent: Located, layout: ArrayLayout): ContentModel {
  return layout.items.kind === 'tuple' ? contentModel(context, parent, layout.tailKeyword) : { kind: 'open' };
}

function addedPosition(context: DiffContext, earlier: Located, before: ArrayLayout, node: Located, index: number, pointer: string, positionKeyword: string): SchemaChange[] {
  const at = `${pointer}/${positionKeyword}/${index}`;
  // Without a tuple, the tail keyword is ignored: every position was open.
  const cover = tailOf(context, earlier, before);
  if (cover.kind === 'closed') {
    return [change('ITEM_ADDED_TO_CLOSED_CONTENT_MODEL', at, true, `position ${index} added to a tuple that allowed no items beyond it: ${KEEPS}`)];
  }
  if (cover.kind === 'open') {
    return isUnconstrained(context.resolvedSchema(node))
      ? [change('ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL', at, true, `position ${index} added with a schema that accepts any value: ${KEEPS}`)]
      : [
          change(
            'ITEM_ADDED_TO_OPEN_CONTENT_MODEL',
            at,
            false,
            `position ${index} added with a schema, where any value was allowed before: arrays whose item ${index} it rejects were valid before and are rejected now`,
          ),
        ];
  }
  const inner = context.compareSets(cover.nodes, [node], at);
  return [
    ...inner,
    allCompatible(inner)
      ? change('ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL', at, true, `position ${index} added; it accepts what ${before.tailKeyword} allowed there before`)
      : change('ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL', at, false, `position ${index} added with a schema that rejects values ${before.tailKeyword} allowed there before: ${BREAKS}`),
  ];
}

function removedPosition(context: DiffContext, later: Located, now: ArrayLayout, node: Located, index: number, pointer: string, positionKeyword: string): SchemaChange[] {
  const at = `${pointer}/${positionKeyword}/${index}`;
  const cover = tailOf(context, later, now);
  if (cover.kind === 'open') return [change('ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL', at, true, `position ${index} removed; any value is accepted there now`)];
  if (cover.kind === 'closed') {
    if (context.resolvedSchema(node) === false) {
      return [change('ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL', at, true, `position ${index} (which allowed no value) removed from a closed tuple: ${KEEPS}`)];
    }
    return [
      change(
        'ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL',
        at,
        false,
        `position ${index} removed while ${now.tailKeyword} is false: arrays with ${index + 1} or more items were valid before and are rejected now`,
      ),
    ];
  }
  const inner = context.compareSets([node], cover.nodes, at);
  return [
    ...inner,
    allCompatible(inner)
      ? change('ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL', at, true, `position ${index} removed; ${now.tailKeyword} accepts what it allowed`)
      : change('ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL', at, false, `position ${index} removed, and ${now.tailKeyword} rejects values it allowed: ${BREAKS}`),
  ];
}

function diffItems(context: DiffContext, earlier: Located, later: Located, layouts: readonly [ArrayLayout, ArrayLayout], pointer: string): SchemaChange[] {
  const [beforeLayout, nowLayout] = layouts;
  const before = beforeLayout.items;
  const now = nowLayout.items;
  const at = `${pointer}/items`;
  if (before.kind === 'none' && now.kind === 'none') return [];
  if (before.kind === 'single' && now.kind === 'single') return context.compareSets([before.node], [now.node], at);
  if (before.kind === 'single' && now.kind === 'none') return [change('SCHEMA_REMOVED', at, true, `items no longer constrained: ${KEEPS}`)];
  if (before.kind === 'none' && now.kind === 'single') {
    return isUnconstrained(context.resolvedSchema(now.node))
      ? []
      : [change('SCHEMA_ADDED', at, false, `items now constrained, where any item was allowed before: arrays holding items the new schema rejects are rejected now`)];
  }
  if (before.kind === 'tuple' && now.kind === 'tuple') {
    const changes: SchemaChange[] = [];
    const common = Math.min(before.nodes.length, now.nodes.length);
    for (let index = 0; index < common; index++) {
      changes.push(...context.compareSets([before.nodes[index]!], [now.nodes[index]!], `${pointer}/${beforeLayout.positionKeyword}/${index}`));
    }
    for (let index = common; index < now.nodes.length; index++) {
      changes.push(...addedPosition(context, earlier, beforeLayout, now.nodes[index]!, index, pointer, nowLayout.positionKeyword));
    }
    for (let index = common; index < before.nodes.length; index++) {
      changes.push(...removedPosition(context, later, nowLayout, before.nodes[index]!, index, pointer, beforeLayout.positionKeyword));
    }
    return changes;
  }
  if (before.kind === 'tuple' && now.kind === 'none') {
    return before.nodes.flatMap((node, index) => removedPosition(context, later, nowLayout, node, index, pointer, beforeLayout.positionKeyword));
  }
  if (before.kind === 'none' && now.kind === 'tuple') {
    return now.nodes.flatMap((node, index) => addedPosition(context, earlier, beforeLayout, node, index, pointer, nowLayout.positionKeyword));
  }
  if (before.kind === 'single' && now.kind === 'tuple') {
    // Every item matched one schema; now each position has its own, and the tail its own.
    const changes = now.nodes.flatMap((node) => context.compareSets([before.node], [node], at));
    const tail = tailOf(context, later, nowLayout);
    if (tail.kind === 'closed') {
      changes.push(
        change(
          'ADDITIONAL_ITEMS_REMOVED',
          `${pointer}/${nowLayout.tailKeyword}`,
          false,
          `items became a tuple of ${now.nodes.length} positions with ${nowLayout.tailKeyword} false: longer arrays were valid before and are rejected now`,
        ),
      );
    } else if (tail.kind === 'partial') {
      changes.push(...context.compareSets([before.node], tail.nodes, at));
    }
    return changes;
  }
  // A tuple became one schema for every item.
  const tuple = before as Extract<Items, { kind: 'tuple' }>;
  const single = (now as Extract<Items, { kind: 'single' }>).node;
  const changes = tuple.nodes.flatMap((node, index) => context.compareSets([node], [single], `${pointer}/${beforeLayout.positionKeyword}/${index}`));
  const tail = tailOf(context, earlier, beforeLayout);
  if (tail.kind === 'open' && !isUnconstrained(context.resolvedSchema(single))) {
    changes.push(change('SCHEMA_ADDED', at, false, `items beyond position ${tuple.nodes.length - 1} could hold any value and must now match items: ${BREAKS}`));
  } else if (tail.kind === 'partial') {
    changes.push(...context.compareSets(tail.nodes, [single], `${pointer}/${beforeLayout.tailKeyword}`));
  }
  return changes;
}

/**
 * The tails on their own. Without positions on either side a draft-07 `additionalItems`
 * is ignored by validators, yet the conformance vectors still compare it; that can only
 * report more, never pass something, so it is kept. Against positions on the other side,
 * no positions means an open tail.
 */
function diffTails(context: DiffContext, earlier: Located, later: Located, layouts: readonly [ArrayLayout, ArrayLayout], pointer: string): SchemaChange[] {
  const [before, now] = layouts;
  const neitherHasPositions = before.items.kind === 'none' && now.items.kind === 'none';
  const closure = (parent: Located, layout: ArrayLayout): Closure =>
    neitherHasPositions || layout.items.kind === 'tuple'
      ? closureOf(context, parent, layout.tailKeyword)
      : { keyword: layout.tailKeyword, written: false, model: { kind: 'open' } };
  return diffClosure(context, closure(earlier, before), closure(later, now), pointer);
}

/** `contains` and how many items must match it: draft-07 at least one; 2020-12 minContains..maxContains. */
interface ContainsBounds {
  readonly node: Located;
  readonly min: number;
  readonly max: number;
  /** Whether minContains / maxContains are written (and read: draft-07 ignores them). */
  readonly minWritten: boolean;
  readonly maxWritten: boolean;
}

function containsOf(parent: Located): ContainsBounds | undefined {
  const node = parent.document.child(parent, 'contains');
  if (!node) return undefined;
  const schema = parent.schema as JsonSchemaObject;
  const counted = parent.document.draft === SchemaDraft.Draft2020_12;
  const min = counted ? numberAt(schema, 'minContains') : undefined;
  const max = counted ? numberAt(schema, 'maxContains') : undefined;
  return { node, min: min ?? 1, max: max ?? Number.POSITIVE_INFINITY, minWritten: min !== undefined, maxWritten: max !== undefined };
}

function boundKind(prefix: 'MIN_CONTAINS' | 'MAX_CONTAINS', beforeWritten: boolean, nowWritten: boolean, increased: boolean) {
  if (!beforeWritten && nowWritten) return `${prefix}_ADDED` as const;
  if (beforeWritten && !nowWritten) return `${prefix}_REMOVED` as const;
  return increased ? (`${prefix}_INCREASED` as const) : (`${prefix}_DECREASED` as const);
}

/**
 * At least `now.min` items must match the reader's contains. Enough: every item the writer
 * counted matches it too (the writer's contains fits in the reader's), and the writer
 * required at least as many.
 */
function diffLowerContains(context: DiffContext, before: ContainsBounds, now: ContainsBounds, pointer: string): SchemaChange[] {
  const at = `${pointer}/minContains`;
  if (now.min <= 0) {
    return before.min > 0 ? [change(boundKind('MIN_CONTAINS', before.minWritten, now.minWritten, false), at, true, `minContains is 0 now: no item has to match contains any more: ${KEEPS}`)] : [];
  }
  const changes = context.compareSets([before.node], [now.node], `${pointer}/contains`);
  if (now.min > before.min) {
    changes.push(
      change(
        boundKind('MIN_CONTAINS', before.minWritten, now.minWritten, true),
        at,
        false,
        `at least ${now.min} items must match contains now, ${before.min} before: arrays with ${before.min} to ${now.min - 1} matching items were valid before and are rejected now`,
      ),
    );
  } else if (now.min < before.min) {
    changes.push(change(boundKind('MIN_CONTAINS', before.minWritten, now.minWritten, false), at, true, `fewer items must match contains now (${before.min} → ${now.min}): ${KEEPS}`));
  }
  return changes;
}

/**
 * At most `now.max` items may match the reader's contains. Enough: the reader's contains
 * matches no item the writer's did not (so it counts no more), and the writer allowed
 * no more than that.
 */
function diffUpperContains(context: DiffContext, before: ContainsBounds, now: ContainsBounds, pointer: string): SchemaChange[] {
  const at = `${pointer}/maxContains`;
  if (now.max === Number.POSITIVE_INFINITY) {
    return before.max === Number.POSITIVE_INFINITY ? [] : [change('MAX_CONTAINS_REMOVED', at, true, `no upper limit on items matching contains any more: ${KEEPS}`)];
  }
  if (before.max === Number.POSITIVE_INFINITY) {
    return [change('MAX_CONTAINS_ADDED', at, false, `at most ${now.max} items may match contains now: arrays with more matching items were valid before and are rejected now`)];
  }
  const changes: SchemaChange[] = [];
  if (now.max < before.max) {
    changes.push(change('MAX_CONTAINS_DECREASED', at, false, `maxContains decreased from ${before.max} to ${now.max}: arrays with ${now.max + 1} to ${before.max} matching items were valid before and are rejected now`));
  } else if (now.max > before.max) {
    changes.push(change('MAX_CONTAINS_INCREASED', at, true, `maxContains increased from ${before.max} to ${now.max}: ${KEEPS}`));
  }
  if (!allCompatible(context.compareSets([now.node], [before.node], `${pointer}/contains`))) {
    changes.push(
      change(
        'CONTAINS_WIDENED',
        `${pointer}/contains`,
        false,
        `contains matches items now that it did not match before, so arrays within maxContains before may have too many matching items now`,
      ),
    );
  }
  return changes;
}

function diffContains(context: DiffContext, earlier: Located, later: Located, pointer: string): SchemaChange[] {
  const before = containsOf(earlier);
  const now = containsOf(later);
  const at = `${pointer}/contains`;
  if (!before && !now) return [];
  if (!now) return [change('CONTAINS_REMOVED', at, true, `contains removed: ${KEEPS}`)];
  if (!before) {
    const changes: SchemaChange[] = [];
    if (now.min > 0) {
      changes.push(change('CONTAINS_ADDED', at, false, `contains added: arrays without ${now.min === 1 ? 'a matching item' : `${now.min} matching items`} were valid before and are rejected now`));
    }
    if (now.max !== Number.POSITIVE_INFINITY) {
      changes.push(change('MAX_CONTAINS_ADDED', `${pointer}/maxContains`, false, `at most ${now.max} items may match contains now: arrays with more were valid before and are rejected now`));
    }
    return changes.length > 0 ? changes : [change('CONTAINS_ADDED', at, true, `contains added with minContains 0 and no maxContains: it constrains nothing: ${KEEPS}`)];
  }
  return [...diffLowerContains(context, before, now, pointer), ...diffUpperContains(context, before, now, pointer)];
}

function diffUniqueItems(earlier: JsonSchemaObject, later: JsonSchemaObject, pointer: string): SchemaChange[] {
  const before = earlier.uniqueItems === true;
  const now = later.uniqueItems === true;
  if (before === now) return [];
  const at = `${pointer}/uniqueItems`;
  return now
    ? [change('UNIQUE_ITEMS_ADDED', at, false, `uniqueItems added: arrays with repeated items were valid before and are rejected now`)]
    : [change('UNIQUE_ITEMS_REMOVED', at, true, `uniqueItems removed: ${KEEPS}`)];
}

/** Every array keyword of two array schemas. */
export function diffArray(context: DiffContext, earlierNode: Located, laterNode: Located, pointer: string): SchemaChange[] {
  const [earlier, later] = itemViews(context, earlierNode, laterNode, pointer);
  const before = earlier.schema as JsonSchemaObject;
  const now = later.schema as JsonSchemaObject;
  const layouts = [layoutOf(context, earlier, pointer), layoutOf(context, later, pointer)] as const;
  const changes = diffItems(context, earlier, later, layouts, pointer);
  // With one schema for every item, the tail has no effect: comparing it would only report noise.
  if (layouts[0].items.kind !== 'single' && layouts[1].items.kind !== 'single') changes.push(...diffTails(context, earlier, later, layouts, pointer));
  changes.push(
    ...diffLowerCount('minItems', before, now, pointer),
    ...diffUpperCount('maxItems', before, now, pointer),
    ...diffUniqueItems(before, now, pointer),
    ...diffContains(context, earlier, later, pointer),
  );
  return changes;
}
