/**
 * What the keyword comparisons (objects, arrays, strings, numbers) need from the core
 * differ, and the small helpers they share for building changes.
 */
import type { ChangeKind, SchemaChange } from './changes';
import type { JsonSchema, Located } from './schema-document';

/** The core differ, as the keyword comparisons see it. */
export interface DiffContext {
  /**
   * Compares two subschemas, each given as a conjunction of located schemas (an empty
   * list accepts everything). Pointers in the result start at `pointer`.
   */
  compareSets(earlier: readonly Located[], later: readonly Located[], pointer: string): SchemaChange[];
  /** The schema a located subschema stands for once its `$ref`s are followed (`true` when unresolvable or cyclic). */
  resolvedSchema(located: Located): JsonSchema;
  /** Records a warning (deduplicated by the differ). */
  warn(pointer: string, message: string): void;
}

/** The pointer of a schema itself: `#/` for the root, as the conformance vectors write it. */
export function schemaPointer(pointer: string): string {
  return pointer === '#' ? '#/' : pointer;
}

/** Builds one change. */
export function change(kind: ChangeKind, pointer: string, compatible: boolean, message: string, causes?: readonly SchemaChange[]): SchemaChange {
  return causes && causes.length > 0 ? { kind, pointer, compatible, message, causes } : { kind, pointer, compatible, message };
}

/** What an incompatible change means for data, appended to messages. */
export const BREAKS = 'documents valid before may now be rejected';
/** What a compatible change means for data. */
export const KEEPS = 'every document valid before is still valid';

/** A JSON value, short enough for a message. */
export function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** A list of values for a message. */
export function showList(values: readonly unknown[]): string {
  const shown = values.slice(0, 5).map(show).join(', ');
  return values.length > 5 ? `${shown} and ${values.length - 5} more` : shown;
}

/** True when every change is compatible. */
export function allCompatible(changes: readonly SchemaChange[]): boolean {
  return changes.every((c) => c.compatible);
}

/** The finite number in `schema[keyword]`, if there is one. */
export function numberAt(schema: JsonSchema, keyword: string): number | undefined {
  if (typeof schema !== 'object') return undefined;
  const value = schema[keyword];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}
