/**
 * What the compatibility checker reports: one {@link SchemaChange} per difference it
 * finds between two JSON Schemas, each with its kind, the JSON pointer where it was
 * found and whether it keeps the new schema compatible.
 *
 * The kind names follow the vocabulary of the public JSON Schema compatibility vectors
 * (../shared/conformance/json-schema-compat), so a person who knows those reads ours
 * the same way; kinds the vectors do not name are added in the same style.
 */

/** Every kind of change the checker reports. */
export const CHANGE_KINDS = [
  // annotations: never affect validity
  'ID_CHANGED',
  'TITLE_CHANGED',
  'DESCRIPTION_CHANGED',
  // types
  'TYPE_CHANGED',
  'TYPE_NARROWED',
  'TYPE_EXTENDED',
  // strings
  'MIN_LENGTH_ADDED',
  'MIN_LENGTH_REMOVED',
  'MIN_LENGTH_INCREASED',
  'MIN_LENGTH_DECREASED',
  'MAX_LENGTH_ADDED',
  'MAX_LENGTH_REMOVED',
  'MAX_LENGTH_INCREASED',
  'MAX_LENGTH_DECREASED',
  'PATTERN_ADDED',
  'PATTERN_REMOVED',
  'PATTERN_CHANGED',
  'FORMAT_ADDED',
  'FORMAT_REMOVED',
  'FORMAT_CHANGED',
  // numbers
  'MINIMUM_ADDED',
  'MINIMUM_REMOVED',
  'MINIMUM_INCREASED',
  'MINIMUM_DECREASED',
  'MINIMUM_CHANGED',
  'MAXIMUM_ADDED',
  'MAXIMUM_REMOVED',
  'MAXIMUM_INCREASED',
  'MAXIMUM_DECREASED',
  'MAXIMUM_CHANGED',
  'EXCLUSIVE_MINIMUM_ADDED',
  'EXCLUSIVE_MINIMUM_REMOVED',
  'EXCLUSIVE_MINIMUM_INCREASED',
  'EXCLUSIVE_MINIMUM_DECREASED',
  'EXCLUSIVE_MINIMUM_CHANGED',
  'EXCLUSIVE_MAXIMUM_ADDED',
  'EXCLUSIVE_MAXIMUM_REMOVED',
  'EXCLUSIVE_MAXIMUM_INCREASED',
  'EXCLUSIVE_MAXIMUM_DECREASED',
  'EXCLUSIVE_MAXIMUM_CHANGED',
  'MULTIPLE_OF_ADDED',
  'MULTIPLE_OF_REMOVED',
  'MULTIPLE_OF_REDUCED',
  'MULTIPLE_OF_EXPANDED',
  'MULTIPLE_OF_CHANGED',
  // enums and constants
  'ENUM_ARRAY_ADDED',
  'ENUM_ARRAY_REMOVED',
  'ENUM_ARRAY_EXTENDED',
  'ENUM_ARRAY_NARROWED',
  'ENUM_ARRAY_CHANGED',
  'ENUM_VALUES_REJECTED',
  // not
  'NOT_ADDED',
  'NOT_REMOVED',
  'NOT_TYPE_NARROWED',
  'NOT_TYPE_EXTENDED',
  'NOT_TYPE_CHANGED',
  // if / then / else
  'CONDITION_ADDED',
  'CONDITION_REMOVED',
  'CONDITION_CHANGED',
  // allOf / anyOf / oneOf, type arrays
  'SUM_TYPE_EXTENDED',
  'SUM_TYPE_NARROWED',
  'PRODUCT_TYPE_EXTENDED',
  'PRODUCT_TYPE_NARROWED',
  'COMBINED_TYPE_EXTENDED',
  'COMBINED_TYPE_CHANGED',
  'COMBINED_TYPE_SUBSCHEMAS_CHANGED',
  // $ref
  'REFERENCE_UNRESOLVED',
  // objects
  'PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL',
  'OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL',
  'REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL',
  'OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL',
  'REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL',
  'PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL',
  'PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL',
  'PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL',
  'PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL',
  'PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL',
  'PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL',
  'PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL',
  'PATTERN_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL',
  'PATTERN_PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL',
  'PATTERN_PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL',
  'PATTERN_PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL',
  'PATTERN_PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL',
  'PATTERN_PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL',
  'PATTERN_PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL',
  'ADDITIONAL_PROPERTIES_ADDED',
  'ADDITIONAL_PROPERTIES_REMOVED',
  'ADDITIONAL_PROPERTIES_EXTENDED',
  'ADDITIONAL_PROPERTIES_NARROWED',
  // 2020-12 unevaluatedProperties, where it closes the object like additionalProperties
  'UNEVALUATED_PROPERTIES_ADDED',
  'UNEVALUATED_PROPERTIES_REMOVED',
  'UNEVALUATED_PROPERTIES_EXTENDED',
  'UNEVALUATED_PROPERTIES_NARROWED',
  'REQUIRED_ATTRIBUTE_ADDED',
  'REQUIRED_ATTRIBUTE_REMOVED',
  'MIN_PROPERTIES_ADDED',
  'MIN_PROPERTIES_REMOVED',
  'MIN_PROPERTIES_INCREASED',
  'MIN_PROPERTIES_DECREASED',
  'MAX_PROPERTIES_ADDED',
  'MAX_PROPERTIES_REMOVED',
  'MAX_PROPERTIES_INCREASED',
  'MAX_PROPERTIES_DECREASED',
  'DEPENDENCY_ARRAY_ADDED',
  'DEPENDENCY_ARRAY_REMOVED',
  'DEPENDENCY_ARRAY_EXTENDED',
  'DEPENDENCY_ARRAY_NARROWED',
  'DEPENDENCY_SCHEMA_ADDED',
  'DEPENDENCY_SCHEMA_REMOVED',
  'DEPENDENCY_CHANGED',
  'PROPERTY_NAMES_ADDED',
  'PROPERTY_NAMES_REMOVED',
  // arrays
  'SCHEMA_ADDED',
  'SCHEMA_REMOVED',
  'ITEM_ADDED_TO_OPEN_CONTENT_MODEL',
  'ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL',
  'ITEM_ADDED_TO_CLOSED_CONTENT_MODEL',
  'ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL',
  'ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL',
  'ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL',
  'ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL',
  'ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL',
  'ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL',
  'ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL',
  'ADDITIONAL_ITEMS_ADDED',
  'ADDITIONAL_ITEMS_REMOVED',
  'ADDITIONAL_ITEMS_EXTENDED',
  'ADDITIONAL_ITEMS_NARROWED',
  // 2020-12 unevaluatedItems, where it governs the items after the declared positions
  'UNEVALUATED_ITEMS_ADDED',
  'UNEVALUATED_ITEMS_REMOVED',
  'UNEVALUATED_ITEMS_EXTENDED',
  'UNEVALUATED_ITEMS_NARROWED',
  'MIN_ITEMS_ADDED',
  'MIN_ITEMS_REMOVED',
  'MIN_ITEMS_INCREASED',
  'MIN_ITEMS_DECREASED',
  'MAX_ITEMS_ADDED',
  'MAX_ITEMS_REMOVED',
  'MAX_ITEMS_INCREASED',
  'MAX_ITEMS_DECREASED',
  'UNIQUE_ITEMS_ADDED',
  'UNIQUE_ITEMS_REMOVED',
  'CONTAINS_ADDED',
  'CONTAINS_REMOVED',
  // 2020-12 minContains / maxContains (how many items must match contains)
  'CONTAINS_WIDENED',
  'MIN_CONTAINS_ADDED',
  'MIN_CONTAINS_REMOVED',
  'MIN_CONTAINS_INCREASED',
  'MIN_CONTAINS_DECREASED',
  'MAX_CONTAINS_ADDED',
  'MAX_CONTAINS_REMOVED',
  'MAX_CONTAINS_INCREASED',
  'MAX_CONTAINS_DECREASED',
] as const;

/** One kind of difference between two schemas, e.g. `MAX_LENGTH_DECREASED`. */
export type ChangeKind = (typeof CHANGE_KINDS)[number];

/** One difference between the earlier schema and the later one. */
export interface SchemaChange {
  /** What changed, e.g. `MAX_LENGTH_DECREASED`. */
  readonly kind: ChangeKind;
  /**
   * `#` and a JSON pointer into the earlier schema where the change was found, e.g.
   * `#/properties/email/maxLength`; `#/` is the root. `$ref`s are followed, so a
   * pointer names where a value sits in a document, not its place in `definitions`.
   */
  readonly pointer: string;
  /** True when the change keeps every document that was valid before valid now. */
  readonly compatible: boolean;
  /** What changed and what it means, in words a person can act on. */
  readonly message: string;
  /** The finer changes behind this one, when it sums several up (e.g. an unmatched `oneOf` branch). */
  readonly causes?: readonly SchemaChange[];
}

/**
 * Something worth a person's attention that the compatibility rules deliberately do not
 * count as incompatible (the conformance vectors accept it), e.g. a `required` name the
 * schema never declares.
 */
export interface SchemaWarning {
  readonly pointer: string;
  readonly message: string;
}

/** The outcome of comparing an earlier schema (the writer's) with a later one (the reader's). */
export interface SchemaDiff {
  /** True when every change is compatible: a reader using the later schema accepts every document the earlier one accepted. */
  readonly compatible: boolean;
  readonly changes: readonly SchemaChange[];
  readonly warnings: readonly SchemaWarning[];
}

/** `#/properties/email: maxLength decreased from 254 to 100: ...`, prefixed with whether it breaks. */
export function formatChange(change: SchemaChange): string {
  return `${change.compatible ? 'compatible  ' : 'INCOMPATIBLE'} ${change.kind} ${change.pointer}: ${change.message}`;
}

/** `pointer: message` for a warning. */
export function formatWarning(warning: SchemaWarning): string {
  return `warning      ${warning.pointer}: ${warning.message}`;
}
