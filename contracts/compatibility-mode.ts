/**
 * Schema compatibility modes, exactly as the AWS Glue Schema Registry names them.
 * BACKWARD: readers using the new version can read data written with the previous one.
 * FORWARD: readers using the previous version can read data written with the new one.
 * FULL: both. The *_ALL modes check against every earlier version, not only the latest.
 * NONE accepts any change; DISABLED accepts no new version at all.
 */
export const CompatibilityMode = {
  None: 'NONE',
  Disabled: 'DISABLED',
  Backward: 'BACKWARD',
  BackwardAll: 'BACKWARD_ALL',
  Forward: 'FORWARD',
  ForwardAll: 'FORWARD_ALL',
  Full: 'FULL',
  FullAll: 'FULL_ALL',
} as const;

/** One of the Glue compatibility mode names. */
export type CompatibilityMode = (typeof CompatibilityMode)[keyof typeof CompatibilityMode];

/** Every mode name, for validating input. */
export const COMPATIBILITY_MODES: readonly CompatibilityMode[] = Object.values(CompatibilityMode);

/** Narrows a string to a {@link CompatibilityMode}. */
export function isCompatibilityMode(value: unknown): value is CompatibilityMode {
  return typeof value === 'string' && (COMPATIBILITY_MODES as readonly string[]).includes(value);
}
