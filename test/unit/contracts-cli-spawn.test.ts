/**
 * The real CLI, spawned as a person or CI runs it: `npx fanout contracts check` over the
 * repository's own schemas/ (this is how `npm test` checks the repo's contracts), and
 * `npx fanout contracts compat` for its exit code through bin/fanout.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPipeline } from '../../cli/context';

const PROJECT_ROOT = join(import.meta.dirname, '..', '..');
const run = promisify(execFile);

async function fanout(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('npx', ['--no-install', 'fanout', ...args], { cwd: PROJECT_ROOT, timeout: 90_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof failed.code !== 'number') throw error;
    return { code: failed.code, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

const scratch = mkdtempSync(join(tmpdir(), 'fanout-contracts-spawn-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('npx fanout contracts', () => {
  it("check passes over the repository's own contracts, one line per event type", async () => {
    const { code, stdout, stderr } = await fanout('contracts', 'check');
    expect(code, `${stdout}\n${stderr}`).toBe(0);
    const lines = stdout.trim().split('\n');
    for (const eventType of loadPipeline().eventTypes) {
      expect(lines.filter((line) => line.startsWith(`ok    ${eventType.name}: `))).toHaveLength(1);
    }
  }, 120_000);

  it('compat exits 1 on a breaking change and 2 on a missing file', async () => {
    const previous = join(scratch, 'v1.json');
    const next = join(scratch, 'v2.json');
    writeFileSync(previous, JSON.stringify({ type: 'object', properties: { email: { type: 'string', maxLength: 254 } } }));
    writeFileSync(next, JSON.stringify({ type: 'object', properties: { email: { type: 'string', maxLength: 100 } } }));
    const [breaking, missing] = await Promise.all([fanout('contracts', 'compat', previous, next, '--mode', 'BACKWARD'), fanout('contracts', 'compat', previous, join(scratch, 'nope.json'))]);
    expect(breaking.code).toBe(1);
    expect(breaking.stdout).toContain('#/properties/email/maxLength: maxLength decreased from 254 to 100');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read .*nope\.json/);
  }, 120_000);
});
