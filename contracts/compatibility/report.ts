/**
 * Compatibility results as text for people: one header per comparison, then each
 * change with its kind and pointer, the finer causes indented beneath it.
 */
import { formatChange, formatWarning, type SchemaChange } from './changes';
import type { ModeCheck, VersionComparison } from './modes';

function changeLines(change: SchemaChange, indent: string, prefix = ''): string[] {
  return [`${indent}${prefix}${formatChange(change)}`, ...(change.causes ?? []).flatMap((cause) => changeLines(cause, `${indent}    `, 'because: '))];
}

/** How a comparison reads, e.g. `v2 reading data written with v1`. */
export function describeComparison(comparison: VersionComparison): string {
  return comparison.direction === 'backward'
    ? `${comparison.later} reading data written with ${comparison.earlier}`
    : `${comparison.earlier} reading data written with ${comparison.later} (forward: "before" below means ${comparison.later})`;
}

/**
 * Lines for one comparison.
 * @param onlyIncompatible leave out compatible changes (annotations, widenings)
 */
export function comparisonLines(comparison: VersionComparison, indent = '  ', onlyIncompatible = false): string[] {
  const { diff } = comparison;
  const breaking = diff.changes.filter((c) => !c.compatible).length;
  const header = `${indent}${describeComparison(comparison)}: ${diff.compatible ? 'compatible' : 'NOT compatible'} (${diff.changes.length} change${diff.changes.length === 1 ? '' : 's'}, ${breaking} breaking)`;
  const shown = onlyIncompatible ? diff.changes.filter((c) => !c.compatible) : diff.changes;
  return [
    header,
    ...shown.flatMap((change) => changeLines(change, `${indent}  `)),
    ...diff.warnings.map((warning) => `${indent}  ${formatWarning(warning)}`),
  ];
}

/** Lines for a whole mode check (every comparison it made). */
export function modeCheckLines(check: ModeCheck, indent = '  ', onlyIncompatible = false): string[] {
  if (check.refusal) return [`${indent}${check.refusal}`];
  if (check.comparisons.length === 0) return [`${indent}${check.mode}: nothing to compare`];
  return check.comparisons.flatMap((comparison) => comparisonLines(comparison, indent, onlyIncompatible));
}
