/**
 * The Glue compatibility modes on top of the one-direction diff:
 * - BACKWARD: readers using the new version read data written with the latest earlier one;
 * - FORWARD: readers using the latest earlier version read data written with the new one
 *   (the same diff with the two schemas swapped);
 * - FULL: both; the *_ALL variants check against every earlier version;
 * - NONE accepts any new version; DISABLED accepts no new version at all.
 */
import { CompatibilityMode } from '../compatibility-mode';
import type { SchemaDiff } from './changes';
import { diffSchemas } from './diff';

/** One schema version, with a name for messages (`v2`, a file name). */
export interface LabelledSchema {
  readonly label: string;
  readonly schema: unknown;
}

/** Which way a comparison reads. */
export const CompatibilityDirection = {
  /** The new version reads data written with the earlier one. */
  Backward: 'backward',
  /** The earlier version reads data written with the new one. */
  Forward: 'forward',
} as const;

/** `backward` or `forward`. */
export type CompatibilityDirection = (typeof CompatibilityDirection)[keyof typeof CompatibilityDirection];

/** One diff the mode called for. */
export interface VersionComparison {
  /** The earlier version it was compared with. */
  readonly earlier: string;
  /** The new version. */
  readonly later: string;
  readonly direction: CompatibilityDirection;
  /**
   * For `backward`, the diff from `earlier` (writer) to `later` (reader); for `forward`,
   * from `later` (writer) to `earlier` (reader): "before" in its messages is the writer.
   */
  readonly diff: SchemaDiff;
}

/** Whether one new version may follow the earlier ones under a mode. */
export interface ModeCheck {
  readonly mode: CompatibilityMode;
  readonly version: string;
  readonly compatible: boolean;
  readonly comparisons: readonly VersionComparison[];
  /** Why the version is refused without a comparison (DISABLED). */
  readonly refusal?: string;
}

function directionsFor(mode: CompatibilityMode): CompatibilityDirection[] {
  switch (mode) {
    case CompatibilityMode.Backward:
    case CompatibilityMode.BackwardAll:
      return [CompatibilityDirection.Backward];
    case CompatibilityMode.Forward:
    case CompatibilityMode.ForwardAll:
      return [CompatibilityDirection.Forward];
    case CompatibilityMode.Full:
    case CompatibilityMode.FullAll:
      return [CompatibilityDirection.Backward, CompatibilityDirection.Forward];
    default:
      return [];
  }
}

function checksAll(mode: CompatibilityMode): boolean {
  return mode === CompatibilityMode.BackwardAll || mode === CompatibilityMode.ForwardAll || mode === CompatibilityMode.FullAll;
}

/**
 * Checks whether `next` may be registered after `earlier` (oldest first) under `mode`.
 * @throws InvalidSchemaError when a schema is not a JSON Schema
 */
export function checkNewVersion(earlier: readonly LabelledSchema[], next: LabelledSchema, mode: CompatibilityMode): ModeCheck {
  if (earlier.length === 0 || mode === CompatibilityMode.None) {
    return { mode, version: next.label, compatible: true, comparisons: [] };
  }
  if (mode === CompatibilityMode.Disabled) {
    return {
      mode,
      version: next.label,
      compatible: false,
      comparisons: [],
      refusal: `compatibility is DISABLED: no version may follow ${earlier[earlier.length - 1]!.label}`,
    };
  }
  const against = checksAll(mode) ? earlier : [earlier[earlier.length - 1]!];
  const comparisons: VersionComparison[] = [];
  for (const previous of against) {
    for (const direction of directionsFor(mode)) {
      const diff = direction === CompatibilityDirection.Backward ? diffSchemas(previous.schema, next.schema) : diffSchemas(next.schema, previous.schema);
      comparisons.push({ earlier: previous.label, later: next.label, direction, diff });
    }
  }
  return { mode, version: next.label, compatible: comparisons.every((c) => c.diff.compatible), comparisons };
}

/** Checks every version of a chain (oldest first) against those before it, as Glue does on each registration. */
export function checkVersionChain(versions: readonly LabelledSchema[], mode: CompatibilityMode): ModeCheck[] {
  return versions.slice(1).map((version, index) => checkNewVersion(versions.slice(0, index + 1), version, mode));
}
