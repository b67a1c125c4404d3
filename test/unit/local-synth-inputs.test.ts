/**
 * `npm start` reuses the last synthesis while nothing it is built from has changed
 * (local/synth.ts hashes SYNTH_INPUTS). Every project file the CDK app reaches through
 * its imports must be under one of those inputs, or a change to it (the team's
 * pipeline.ts above all) would run the local world on a stale stack.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SYNTH_INPUTS } from '../../local/synth';
import { PROJECT_ROOT } from '../../model/project-root';
import { importsOf } from '../support/import-rules';

/** The project files reachable from `entry` through static, type and dynamic imports. */
function reachable(entry: string): Set<string> {
  const seen = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file) || !existsSync(join(PROJECT_ROOT, file))) continue;
    seen.add(file);
    for (const edge of importsOf(file, readFileSync(join(PROJECT_ROOT, file), 'utf8'))) {
      if (edge.target.kind === 'file') queue.push(edge.target.path);
    }
  }
  return seen;
}

const covered = (file: string) => SYNTH_INPUTS.some((input) => file === input || file.startsWith(`${input}/`));

describe('the local synthesis cache', () => {
  it('hashes every file the CDK app imports, the pipeline file included', () => {
    const files = [...reachable('bin/app.ts')];
    expect(files).toContain('pipeline.ts');
    expect(files.some((f) => f.startsWith('model/'))).toBe(true);
    expect(files.filter((file) => !covered(file))).toEqual([]);
  });

  it('would notice a file outside the inputs (the check is live)', () => {
    expect(covered('pipeline.ts')).toBe(true);
    expect(covered('ops/cost-model.ts')).toBe(false);
  });
});
