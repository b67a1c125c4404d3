/**
 * Keyword comparisons for strings and numbers, and the lower/upper bound rules that
 * lengths, item counts and property counts share: a reader accepts everything it
 * accepted before when its lower bounds only go down and its upper bounds only go up.
 */
import type { ChangeKind, SchemaChange } from './changes';
import { KEEPS, change, numberAt } from './diff-context';
import type { JsonSchemaObject } from './schema-document';

type BoundKinds = { added: ChangeKind; removed: ChangeKind; increased: ChangeKind; decreased: ChangeKind };

function boundKinds(prefix: 'MIN_LENGTH' | 'MAX_LENGTH' | 'MIN_ITEMS' | 'MAX_ITEMS' | 'MIN_PROPERTIES' | 'MAX_PROPERTIES'): BoundKinds {
  return {
    added: `${prefix}_ADDED`,
    removed: `${prefix}_REMOVED`,
    increased: `${prefix}_INCREASED`,
    decreased: `${prefix}_DECREASED`,
  } as BoundKinds;
}

/** What a count bound counts, for messages. */
const COUNTED: Record<string, string> = {
  minLength: 'characters',
  maxLength: 'characters',
  minItems: 'items',
  maxItems: 'items',
  minProperties: 'properties',
  maxProperties: 'properties',
};

/**
 * A lower bound on a count (minLength, minItems, minProperties): going down keeps
 * every earlier document valid, going up or appearing may reject some.
 */
export function diffLowerCount(keyword: 'minLength' | 'minItems' | 'minProperties', earlier: JsonSchemaObject, later: JsonSchemaObject, pointer: string): SchemaChange[] {
  const before = numberAt(earlier, keyword);
  const now = numberAt(later, keyword);
  if (before === now) return [];
  const kinds = boundKinds(keyword === 'minLength' ? 'MIN_LENGTH' : keyword === 'minItems' ? 'MIN_ITEMS' : 'MIN_PROPERTIES');
  const at = `${pointer}/${keyword}`;
  const unit = COUNTED[keyword];
  if (now === undefined) return [change(kinds.removed, at, true, `${keyword} ${before} removed: ${KEEPS}`)];
  if (before === undefined) {
    const trivial = now <= 0;
    return [change(kinds.added, at, trivial, `${keyword} ${now} added: ${trivial ? KEEPS : `values with fewer than ${now} ${unit} were valid before and are rejected now`}`)];
  }
  if (now > before) return [change(kinds.increased, at, false, `${keyword} increased from ${before} to ${now}: values with ${before} to ${now - 1} ${unit} were valid before and are rejected now`)];
  return [change(kinds.decreased, at, true, `${keyword} decreased from ${before} to ${now}: ${KEEPS}`)];
}

/**
 * An upper bound on a count (maxLength, maxItems, maxProperties): going up keeps every
 * earlier document valid, going down or appearing may reject some.
 */
export function diffUpperCount(keyword: 'maxLength' | 'maxItems' | 'maxProperties', earlier: JsonSchemaObject, later: JsonSchemaObject, pointer: string): SchemaChange[] {
  const before = numberAt(earlier, keyword);
  const now = numberAt(later, keyword);
  if (before === now) return [];
  const kinds = boundKinds(keyword === 'maxLength' ? 'MAX_LENGTH' : keyword === 'maxItems' ? 'MAX_ITEMS' : 'MAX_PROPERTIES');
  const at = `${pointer}/${keyword}`;
  const unit = COUNTED[keyword];
  if (now === undefined) return [change(kinds.removed, at, true, `${keyword} ${before} removed: ${KEEPS}`)];
  if (before === undefined) return [change(kinds.added, at, false, `${keyword} ${now} added: values with more than ${now} ${unit} were valid before and are rejected now`)];
  if (now < before) return [change(kinds.decreased, at, false, `${keyword} decreased from ${before} to ${now}: values with ${now + 1} to ${before} ${unit} were valid before and are rejected now`)];
  return [change(kinds.increased, at, true, `${keyword} increased from ${before} to ${now}: ${KEEPS}`)];
}

function diffEqualityKeyword(
  keyword: 'pattern' | 'format',
  kinds: { added: ChangeKind; removed: ChangeKind; changed: ChangeKind },
  earlier: JsonSchemaObject,
  later: JsonSchemaObject,
  pointer: string,
): SchemaChange[] {
  const before = typeof earlier[keyword] === 'string' ? (earlier[keyword] as string) : undefined;
  const now = typeof later[keyword] === 'string' ? (later[keyword] as string) : undefined;
  if (before === now) return [];
  const at = `${pointer}/${keyword}`;
  if (now === undefined) return [change(kinds.removed, at, true, `${keyword} "${before}" removed: ${KEEPS}`)];
  if (before === undefined) return [change(kinds.added, at, false, `${keyword} "${now}" added: strings that do not match it were valid before and are rejected now`)];
  return [
    change(kinds.changed, at, false, `${keyword} changed from "${before}" to "${now}": strings matching the old ${keyword} but not the new one were valid before and are rejected now`),
  ];
}

/** minLength, maxLength, pattern, format. */
export function diffString(earlier: JsonSchemaObject, later: JsonSchemaObject, pointer: string): SchemaChange[] {
  return [
    ...diffLowerCount('minLength', earlier, later, pointer),
    ...diffUpperCount('maxLength', earlier, later, pointer),
    ...diffEqualityKeyword('pattern', { added: 'PATTERN_ADDED', removed: 'PATTERN_REMOVED', changed: 'PATTERN_CHANGED' }, earlier, later, pointer),
    ...diffEqualityKeyword('format', { added: 'FORMAT_ADDED', removed: 'FORMAT_REMOVED', changed: 'FORMAT_CHANGED' }, earlier, later, pointer),
  ];
}

/** A numeric bound, whichever keywords spell it. */
interface NumericBound {
  readonly value: number;
  readonly exclusive: boolean;
  /** The keyword that sets it, for messages and change kinds. */
  readonly keyword: 'minimum' | 'maximum' | 'exclusiveMinimum' | 'exclusiveMaximum';
}

function lowerBound(schema: JsonSchemaObject): NumericBound | undefined {
  const inclusive = numberAt(schema, 'minimum');
  // draft-04 spelled exclusivity as a boolean beside minimum; draft-06+ as a number.
  if (schema.exclusiveMinimum === true && inclusive !== undefined) return { value: inclusive, exclusive: true, keyword: 'minimum' };
  const exclusive = numberAt(schema, 'exclusiveMinimum');
  if (exclusive !== undefined && (inclusive === undefined || exclusive >= inclusive)) return { value: exclusive, exclusive: true, keyword: 'exclusiveMinimum' };
  return inclusive === undefined ? undefined : { value: inclusive, exclusive: false, keyword: 'minimum' };
}

function upperBound(schema: JsonSchemaObject): NumericBound | undefined {
  const inclusive = numberAt(schema, 'maximum');
  if (schema.exclusiveMaximum === true && inclusive !== undefined) return { value: inclusive, exclusive: true, keyword: 'maximum' };
  const exclusive = numberAt(schema, 'exclusiveMaximum');
  if (exclusive !== undefined && (inclusive === undefined || exclusive <= inclusive)) return { value: exclusive, exclusive: true, keyword: 'exclusiveMaximum' };
  return inclusive === undefined ? undefined : { value: inclusive, exclusive: false, keyword: 'maximum' };
}

// For integers, "> 4" and ">= 5" admit the same values: compare them as equals.
function asIntegerLower(bound: NumericBound): NumericBound {
  return { ...bound, value: bound.exclusive ? Math.floor(bound.value) + 1 : Math.ceil(bound.value), exclusive: false };
}
function asIntegerUpper(bound: NumericBound): NumericBound {
  return { ...bound, value: bound.exclusive ? Math.ceil(bound.value) - 1 : Math.floor(bound.value), exclusive: false };
}

const BOUND_PREFIX = {
  minimum: 'MINIMUM',
  maximum: 'MAXIMUM',
  exclusiveMinimum: 'EXCLUSIVE_MINIMUM',
  exclusiveMaximum: 'EXCLUSIVE_MAXIMUM',
} as const;

function describeBound(bound: NumericBound, side: 'lower' | 'upper'): string {
  const operator = side === 'lower' ? (bound.exclusive ? '>' : '>=') : bound.exclusive ? '<' : '<=';
  return `${operator} ${bound.value}`;
}

function diffBound(side: 'lower' | 'upper', earlier: JsonSchemaObject, later: JsonSchemaObject, earlierIsInteger: boolean, pointer: string): SchemaChange[] {
  const read = side === 'lower' ? lowerBound : upperBound;
  const rawBefore = read(earlier);
  const now = read(later);
  if (!rawBefore && !now) return [];
  if (rawBefore && now && rawBefore.value === now.value && rawBefore.exclusive === now.exclusive && rawBefore.keyword === now.keyword) return [];
  const name = side === 'lower' ? 'lower bound' : 'upper bound';
  if (!now) {
    const before = rawBefore!;
    return [change(`${BOUND_PREFIX[before.keyword]}_REMOVED`, `${pointer}/${before.keyword}`, true, `${before.keyword} ${before.value} removed: ${KEEPS}`)];
  }
  if (!rawBefore) {
    return [
      change(`${BOUND_PREFIX[now.keyword]}_ADDED`, `${pointer}/${now.keyword}`, false, `${now.keyword} ${now.value} added: numbers outside ${describeBound(now, side)} were valid before and are rejected now`),
    ];
  }
  // The earlier schema's own type decides which numbers it admitted.
  const before = earlierIsInteger ? (side === 'lower' ? asIntegerLower(rawBefore) : asIntegerUpper(rawBefore)) : rawBefore;
  const looser =
    side === 'lower'
      ? now.value < before.value || (now.value === before.value && (!now.exclusive || before.exclusive))
      : now.value > before.value || (now.value === before.value && (!now.exclusive || before.exclusive));
  const keyword = rawBefore.keyword === now.keyword ? now.keyword : side === 'lower' ? 'minimum' : 'maximum';
  const at = `${pointer}/${rawBefore.keyword === now.keyword ? now.keyword : rawBefore.keyword}`;
  const direction = now.value > rawBefore.value ? 'INCREASED' : now.value < rawBefore.value ? 'DECREASED' : 'CHANGED';
  const verb = direction === 'INCREASED' ? 'increased' : direction === 'DECREASED' ? 'decreased' : 'changed';
  const what = `${name} ${verb} from ${describeBound(rawBefore, side)} to ${describeBound(now, side)}`;
  return [
    change(
      `${BOUND_PREFIX[keyword]}_${direction}`,
      at,
      looser,
      looser ? `${what}: ${KEEPS}` : `${what}: numbers between the two bounds were valid before and are rejected now`,
    ),
  ];
}

function isMultiple(value: number, of: number): boolean {
  const quotient = value / of;
  return Math.abs(quotient - Math.round(quotient)) < 1e-9;
}

function diffMultipleOf(earlier: JsonSchemaObject, later: JsonSchemaObject, earlierIsInteger: boolean, pointer: string): SchemaChange[] {
  const before = numberAt(earlier, 'multipleOf');
  const now = numberAt(later, 'multipleOf');
  if (before === now) return [];
  const at = `${pointer}/multipleOf`;
  if (now === undefined) return [change('MULTIPLE_OF_REMOVED', at, true, `multipleOf ${before} removed: ${KEEPS}`)];
  if (before === undefined) {
    // Every integer is a multiple of 1, 0.5, ...
    const trivial = earlierIsInteger && isMultiple(1, now);
    return [change('MULTIPLE_OF_ADDED', at, trivial, `multipleOf ${now} added: ${trivial ? KEEPS : `numbers that are not multiples of ${now} were valid before and are rejected now`}`)];
  }
  if (isMultiple(before, now)) return [change('MULTIPLE_OF_REDUCED', at, true, `multipleOf changed from ${before} to ${now}, a divisor of it: ${KEEPS}`)];
  if (isMultiple(now, before)) {
    return [change('MULTIPLE_OF_EXPANDED', at, false, `multipleOf changed from ${before} to ${now}: multiples of ${before} that are not multiples of ${now} are rejected now`)];
  }
  return [change('MULTIPLE_OF_CHANGED', at, false, `multipleOf changed from ${before} to ${now}, which does not divide it: multiples of ${before} that are not multiples of ${now} are rejected now`)];
}

/** minimum / maximum (inclusive or exclusive, draft-04 or later) and multipleOf. */
export function diffNumber(earlier: JsonSchemaObject, later: JsonSchemaObject, earlierIsInteger: boolean, pointer: string): SchemaChange[] {
  return [
    ...diffBound('lower', earlier, later, earlierIsInteger, pointer),
    ...diffBound('upper', earlier, later, earlierIsInteger, pointer),
    ...diffMultipleOf(earlier, later, earlierIsInteger, pointer),
  ];
}

