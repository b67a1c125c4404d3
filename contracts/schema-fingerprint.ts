/**
 * A contract definition's identity independent of how it is written: the same JSON
 * Schema compares equal whether a registry kept the file's text, re-serialized it, or
 * reordered its keys. Registration uses it to check that a registered version still
 * matches its file; the consumer's resolver uses it to check that a version fetched from
 * Glue is the one a validator was precompiled from before trusting that validator.
 */
import { createHash } from 'node:crypto';

/** Key-order-independent form of a JSON value, so a registry that re-serializes a definition still compares equal. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    return `{${Object.keys(record)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * SHA-256 (hex) of a schema's {@link canonicalJson}: short enough to ship next to each
 * precompiled validator, and two schemas share it only if they are the same JSON.
 */
export function schemaFingerprint(schema: unknown): string {
  return createHash('sha256').update(canonicalJson(schema)).digest('hex');
}
