/**
 * Array keywords. `items` is either one schema for every item or a tuple (one schema
 * per position) whose tail is governed by `additionalItems` — the same open / closed /
 * partially open content model as object properties, by position instead of by name.
 */
import type { SchemaChange } from './changes';
import { BREAKS, KEEPS, allCompatible, change, type DiffContext } from './diff-context';
import { contentModel, diffAdditional } from './object-diff';
import { diffLowerCount, diffUpperCount } from './scalar-diff';
import type { JsonSchemaObject, Located } from './schema-document';
import { isUnconstrained } from './shape';

function childOf(parent: Located, ...tokens: (string | number)[]): Located {
  // A malformed entry (not a schema) is read as `true` rather than failing the whole check.
  return parent.document.child(parent, ...tokens) ?? { document: parent.document, location: `${parent.location}/${tokens.join('/')}`, schema: true };
}

type Items = { readonly kind: 'none' } | { readonly kind: 'single'; readonly node: Located } | { readonly kind: 'tuple'; readonly nodes: readonly Located[] };

function itemsOf(parent: Located): Items {
  const items = (parent.schema as JsonSchemaObject).items;
  if (items === undefined) return { kind: 'none' };
  if (Array.isArray(items)) return { kind: 'tuple', nodes: items.map((_, index) => childOf(parent, 'items', index)) };
  return { kind: 'single', node: childOf(parent, 'items') };
}

function addedPosition(context: DiffContext, earlier: Located, node: Located, index: number, pointer: string, earlierHasTuple: boolean): SchemaChange[] {
  const at = `${pointer}/items/${index}`;
  // Without a tuple, additionalItems is ignored: every position was open.
  const cover = earlierHasTuple ? contentModel(context, earlier, 'additionalItems') : ({ kind: 'open' } as const);
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
      ? change('ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL', at, true, `position ${index} added; it accepts what additionalItems allowed there before`)
      : change('ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL', at, false, `position ${index} added with a schema that rejects values additionalItems allowed there before: ${BREAKS}`),
  ];
}

function removedPosition(context: DiffContext, later: Located, node: Located, index: number, pointer: string, laterHasTuple: boolean): SchemaChange[] {
  const at = `${pointer}/items/${index}`;
  const cover = laterHasTuple ? contentModel(context, later, 'additionalItems') : ({ kind: 'open' } as const);
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
        `position ${index} removed while additionalItems is false: arrays with ${index + 1} or more items were valid before and are rejected now`,
      ),
    ];
  }
  const inner = context.compareSets([node], cover.nodes, at);
  return [
    ...inner,
    allCompatible(inner)
      ? change('ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL', at, true, `position ${index} removed; additionalItems accepts what it allowed`)
      : change('ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL', at, false, `position ${index} removed, and additionalItems rejects values it allowed: ${BREAKS}`),
  ];
}

function diffItems(context: DiffContext, earlier: Located, later: Located, pointer: string): SchemaChange[] {
  const before = itemsOf(earlier);
  const now = itemsOf(later);
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
    for (let index = 0; index < common; index++) changes.push(...context.compareSets([before.nodes[index]!], [now.nodes[index]!], `${at}/${index}`));
    for (let index = common; index < now.nodes.length; index++) changes.push(...addedPosition(context, earlier, now.nodes[index]!, index, pointer, true));
    for (let index = common; index < before.nodes.length; index++) changes.push(...removedPosition(context, later, before.nodes[index]!, index, pointer, true));
    return changes;
  }
  if (before.kind === 'tuple' && now.kind === 'none') {
    return before.nodes.flatMap((node, index) => removedPosition(context, later, node, index, pointer, false));
  }
  if (before.kind === 'none' && now.kind === 'tuple') {
    return now.nodes.flatMap((node, index) => addedPosition(context, earlier, node, index, pointer, false));
  }
  if (before.kind === 'single' && now.kind === 'tuple') {
    // Every item matched one schema; now each position has its own, and the tail additionalItems.
    const changes = now.nodes.flatMap((node) => context.compareSets([before.node], [node], at));
    const tail = contentModel(context, later, 'additionalItems');
    if (tail.kind === 'closed') {
      changes.push(
        change(
          'ADDITIONAL_ITEMS_REMOVED',
          `${pointer}/additionalItems`,
          false,
          `items became a tuple of ${now.nodes.length} positions with additionalItems false: longer arrays were valid before and are rejected now`,
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
  const changes = tuple.nodes.flatMap((node, index) => context.compareSets([node], [single], `${at}/${index}`));
  const tail = contentModel(context, earlier, 'additionalItems');
  if (tail.kind === 'open' && !isUnconstrained(context.resolvedSchema(single))) {
    changes.push(change('SCHEMA_ADDED', at, false, `items beyond position ${tuple.nodes.length - 1} could hold any value and must now match items: ${BREAKS}`));
  } else if (tail.kind === 'partial') {
    changes.push(...context.compareSets(tail.nodes, [single], `${pointer}/additionalItems`));
  }
  return changes;
}

function diffContains(context: DiffContext, earlier: Located, later: Located, pointer: string): SchemaChange[] {
  const before = earlier.document.child(earlier, 'contains');
  const now = later.document.child(later, 'contains');
  const at = `${pointer}/contains`;
  if (!before && !now) return [];
  if (!now) return [change('CONTAINS_REMOVED', at, true, `contains removed: ${KEEPS}`)];
  if (!before) return [change('CONTAINS_ADDED', at, false, `contains added: arrays without a matching item were valid before and are rejected now`)];
  return context.compareSets([before], [now], at);
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
export function diffArray(context: DiffContext, earlier: Located, later: Located, pointer: string): SchemaChange[] {
  const before = earlier.schema as JsonSchemaObject;
  const now = later.schema as JsonSchemaObject;
  const changes = diffItems(context, earlier, later, pointer);
  // With one schema for every item, additionalItems has no effect: comparing it would
  // only report noise. (With no items at all it is compared, as the vectors expect.)
  if (itemsOf(earlier).kind !== 'single' && itemsOf(later).kind !== 'single') {
    changes.push(...diffAdditional(context, 'additionalItems', earlier, later, pointer));
  }
  changes.push(
    ...diffLowerCount('minItems', before, now, pointer),
    ...diffUpperCount('maxItems', before, now, pointer),
    ...diffUniqueItems(before, now, pointer),
    ...diffContains(context, earlier, later, pointer),
  );
  return changes;
}
