/**
 * The shared JSON Schema compatibility vectors (104 cases from Confluent Schema
 * Registry's JSON Schema provider), read in place from ../shared/conformance: the
 * checker must agree with every case on `compatible` (the requirement), and on the
 * change kinds and pointers (the stretch goal).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { diffSchemas } from '../../contracts/compatibility/diff';

interface VectorCase {
  readonly description: string;
  readonly original_schema: unknown;
  readonly update_schema: unknown;
  readonly changes: readonly string[];
  readonly compatible: boolean;
}

// Resolved from the repository root (test/unit → ../..), then ../shared: the file is not copied into the project.
const VECTORS = join(import.meta.dirname, '..', '..', '..', 'shared', 'conformance', 'json-schema-compat', 'diff-schema-examples.json');
const cases = JSON.parse(readFileSync(VECTORS, 'utf8')) as VectorCase[];

const agreement = { compatible: 0, exact: 0 };

function changeList(earlier: unknown, later: unknown): string[] {
  return diffSchemas(earlier, later)
    .changes.map((c) => `${c.kind} ${c.pointer}`)
    .sort();
}

describe('JSON Schema compatibility vectors', () => {
  it('holds all 104 cases', () => {
    expect(cases).toHaveLength(104);
  });

  describe.each(cases.map((c, index) => [index, c] as const))('case %i', (_index, vector) => {
    it(`agrees on compatible: ${vector.description}`, () => {
      const diff = diffSchemas(vector.original_schema, vector.update_schema);
      expect(diff.compatible).toBe(vector.compatible);
      // The verdict is the conjunction of the changes: never a verdict without a reason.
      expect(diff.changes.every((c) => c.compatible)).toBe(diff.compatible);
      agreement.compatible++;
    });

    it(`reports the same change kinds and pointers: ${vector.description}`, () => {
      expect(changeList(vector.original_schema, vector.update_schema)).toEqual([...vector.changes].sort());
      agreement.exact++;
    });
  });

  afterAll(() => {
    // The figures the issue asks for, in the test output.
    console.log(`conformance: compatible agreement ${agreement.compatible}/${cases.length}, exact change-kind agreement ${agreement.exact}/${cases.length}`);
  });
});
