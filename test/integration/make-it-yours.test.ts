/**
 * README's "Make it yours", done on a copy of the project the way a team does it: add an
 * event type and a consumer with the scaffolds, check the copy still type-checks and the
 * scaffolded consumer's own test passes, then `npm start -- --events 200`, which
 * synthesizes the changed app (its synth checks included), runs it on its own emulator,
 * and must show the new consumer applying the new type's events (drawn from the contract's
 * example, with no demo code written) and every consumer with 0 lost and 0 duplicate effects.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../../local/report';
import { loadPipeline } from '../../model/load-pipeline';
import { startLocalRun } from '../support/local-run';
import { copyProject, type ProjectCopy } from '../support/project-copy';

let project: ProjectCopy;

beforeAll(() => {
  project = copyProject();
});
afterAll(() => project?.remove());

/** Runs a command in the copy and returns its output; fails the test on a non-zero exit. */
function run(command: string, args: string[], timeoutMs = 120_000): string {
  const result = spawnSync(command, args, {
    cwd: project.root,
    encoding: 'utf8',
    timeout: timeoutMs,
    env: { ...process.env, FORCE_COLOR: '0', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  const output = `${result.stdout}${result.stderr}`;
  expect(result.status, `${command} ${args.join(' ')}\n${output}`).toBe(0);
  return output;
}

const bin = (name: string) => join(project.root, 'node_modules', '.bin', name);

/** `base`, or `base` numbered, whichever the pipeline does not have yet (a team may have scaffolded order.placed itself). */
function unused(base: string, taken: readonly string[], join: (base: string, n: number) => string): string {
  let name = base;
  for (let n = 2; taken.includes(name); n++) name = join(base, n);
  return name;
}
const TYPE = unused('order.placed', loadPipeline().eventTypes.map((e) => e.name), (b, n) => `${b}-v${n}`);
const CONSUMER = unused('order-sync', loadPipeline().consumers.map((c) => c.name), (b, n) => `${b}-${n}`);
const CONSUMER_TEST = `test/unit/consumer-${CONSUMER}.test.ts`;

describe('Make it yours (README), on a copy of the project', () => {
  it(
    'adds an event type and a consumer with the scaffolds, and npm start applies the new events once each',
    async () => {
      const fanout = ['bin/fanout.mjs'];
      expect(run(process.execPath, [...fanout, 'new', 'event', TYPE, '--topic', 'user-events', '--peak', '5'])).toContain(`wrote schemas/${TYPE}/v1.json`);
      expect(
        run(process.execPath, [...fanout, 'new', 'consumer', CONSUMER, '--topic', 'user-events', '--types', TYPE, '--team', 'orders', '--contact', 'orders-oncall@example.com']),
      ).toContain(`added "${CONSUMER}" to pipeline.ts consumers`);
      expect(readFileSync(join(project.root, 'pipeline.ts'), 'utf8')).toContain(`name: '${CONSUMER}',\n      description: 'Applies ${TYPE} downstream.',\n      topic: 'user-events',\n      eventTypes: ['${TYPE}'],`);

      run(bin('tsc'), ['--noEmit'], 180_000);
      expect(run(bin('vitest'), ['run', CONSUMER_TEST])).toMatch(/1 passed/);
      // What derives from the pipeline was regenerated: the staleness checks agree.
      run(process.execPath, [...fanout, 'asyncapi', '--check']);
      run(process.execPath, [...fanout, 'runbook', '--check']);

      const reportFile = join(mkdtempSync(join(tmpdir(), 'fanout-yours-')), 'report.json');
      const local = startLocalRun(['--events', '200', '--report', reportFile], 'npm', project.root);
      const code = await local.exited;
      expect(code, local.output()).toBe(0);
      const report = JSON.parse(readFileSync(reportFile, 'utf8')) as RunReport;
      expect(Object.keys(report.consumers).sort()).toEqual([...loadPipeline().consumers.map((c) => c.name), CONSUMER].sort());
      const orders = report.consumers[CONSUMER]!;
      expect(orders.applied, local.output()).toBeGreaterThan(0);
      for (const [name, consumer] of Object.entries(report.consumers)) {
        expect(consumer.lost, name).toBe(0);
        expect(consumer.duplicateEffects, name).toBe(0);
        expect(consumer.problems.unexpected, name).toEqual([]);
        expect(consumer.problems.validDeadLettered, name).toEqual([]);
        expect(consumer.applied + consumer.staleSkipped + consumer.deadLettered, name).toBe(consumer.expected);
      }
    },
    420_000,
  );
});
