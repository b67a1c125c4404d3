/**
 * `npm start`, end to end: the real entry point, its own emulator, the synthesized
 * stack, the consumers from cdk.out, a small workload. Asserts from the JSON report
 * that every event was handled as it should be, checks the expected counts against the
 * sample pipeline's filters worked out independently here, and that no process the run
 * started outlives it. Then the faults: Ctrl-C mid-run, a port in use, a bad option.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../local/emulator';
import { DemoKind, planWorkload } from '../../local/demo-workload';
import type { RunReport } from '../../local/report';
import { loadPipeline } from '../../model/load-pipeline';
import { startLocalRun, type LocalRun } from '../support/local-run';

const EVENTS = 120;
const SEED = 7;

type Run = LocalRun;

const runs: Run[] = [];

/** Starts a run ({@link startLocalRun}) that afterEach stops should a test fail. */
function start(args: string[], via: 'npm' | 'tsx' | 'node' = 'npm'): Run {
  const run = startLocalRun(args, via);
  runs.push(run);
  return run;
}

afterEach(() => {
  // A failed assertion must not leave a run behind.
  for (const run of runs.splice(0)) {
    try {
      process.kill(-run.child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * The processes descended from `root` (children, theirs, ...), with their command lines:
 * this run's own tree, so another run on the machine can neither pass nor fail a check.
 * The runner's children have process groups of their own, but stay its children.
 */
function descendants(root: number): { pid: number; args: string }[] {
  const ps = spawnSync('ps', ['-eo', 'pid=,ppid=,args='], { encoding: 'utf8' });
  const rows = ps.stdout
    .split('\n')
    .map((line) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => ({ pid: Number(match[1]), ppid: Number(match[2]), args: match[3]! }));
  const found: { pid: number; args: string }[] = [];
  const parents = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const row of rows) {
      if (parents.has(row.ppid) && !parents.has(row.pid)) {
        parents.add(row.pid);
        found.push({ pid: row.pid, args: row.args });
        grew = true;
      }
    }
  }
  return found;
}

/**
 * Every process seen in the run's tree until it exits (sampled), by pid: once the run
 * has exited its orphans would no longer be its descendants, so they are noted while
 * they still are.
 */
function watchTree(run: Run): Map<number, string> {
  const seen = new Map<number, string>();
  let done = false;
  void run.exited.then(() => (done = true));
  const sample = () => {
    if (done) return;
    for (const { pid, args } of descendants(run.child.pid!)) seen.set(pid, args);
    setTimeout(sample, 200);
  };
  sample();
  return seen;
}

const CONSUMER_RUNTIME = join(PROJECT_ROOT, '.fanout', 'runtime', 'consumer-process.mjs');

/**
 * Starts a long run, waits until it publishes, sends `signal` to its process group,
 * and checks it exits 130 saying so, with its emulator and every consumer environment
 * (seen in its own process tree before the signal) gone.
 */
async function interruptMidRun(via: 'tsx' | 'node', signal: NodeJS.Signals): Promise<Run> {
  const run = start(['--events', '2000', '--rate', '20'], via);
  await until(() => /published \d+\/2000/.test(run.output()), 90_000, 'publishing to start');
  // Both emulator processes: every service but DynamoDB, and DynamoDB's own.
  const ports = /at http:\/\/127\.0\.0\.1:(\d+), DynamoDB in a process of its own at http:\/\/127\.0\.0\.1:(\d+)/.exec(run.output())!.slice(1);
  const tree = descendants(run.child.pid!);
  const emulator = tree.filter((p) => ports.some((port) => p.args.includes(`-p ${port}`))).map((p) => p.pid);
  const environments = tree.filter((p) => p.args.includes(CONSUMER_RUNTIME)).map((p) => p.pid);
  expect(emulator).toHaveLength(2);
  expect(environments.length).toBeGreaterThanOrEqual(3);
  process.kill(-run.child.pid!, signal);
  const code = await run.exited;
  expect(code, run.output()).toBe(130);
  expect(run.output()).toMatch(/interrupted: stopping the consumers and the emulator/);
  expect([...emulator, ...environments].filter(alive)).toEqual([]);
  return run;
}

describe('npm start', () => {
  it(
    'runs a small workload through the whole pipeline and accounts for every event exactly once',
    async () => {
      const reportFile = join(mkdtempSync(join(tmpdir(), 'fanout-report-')), 'report.json');
      const run = start(['--events', String(EVENTS), '--seed', String(SEED), '--report', reportFile]);
      const code = await run.exited;
      expect(code, run.output()).toBe(0);
      const report = JSON.parse(readFileSync(reportFile, 'utf8')) as RunReport & {
        run: { processes: number[]; drained: boolean; throughputEventsPerSecond: number; sustainedEventsPerSecond: number; publishSeconds: number; publishFailures: number; consumers: Record<string, { invocations: number }> };
      };

      // What each consumer should get, from the sample pipeline's filters worked out by
      // hand over the same plan (ids differ per run; kinds, types and data do not).
      const plan = planWorkload({ events: EVENTS, seed: SEED });
      const unique = (events: typeof plan) => new Set(events.map((e) => e.id)).size;
      // Stale, by design, can only be a profile update some newer revision of the same
      // user supersedes: each planned out-of-order pair's older half, or (after a retry
      // delayed it behind its successor) an in-order update that is not its user's last.
      const updates = plan.filter((e) => e.type === 'user.profile-updated' && e.valid);
      const latestRevision = new Map<string, number>();
      for (const u of updates) latestRevision.set(u.subject, Math.max(latestRevision.get(u.subject) ?? 0, u.data.revision as number));
      const supersededUpdates = unique(updates.filter((u) => (u.data.revision as number) < latestRevision.get(u.subject)!));
      expect(supersededUpdates).toBeGreaterThanOrEqual(plan.filter((e) => e.kind === DemoKind.OutOfOrder && e.type === 'user.profile-updated').length / 2);
      const userEvents = plan.filter((e) => e.type === 'user.signed-up' || e.type === 'user.profile-updated');
      const optedIn = plan.filter((e) => e.type === 'user.signed-up' && e.data.marketingOptIn === true);
      const billing = plan.filter((e) => e.type === 'subscription.changed');
      const expected = {
        'crm-sync': { all: unique(userEvents), invalid: unique(userEvents.filter((e) => !e.valid)), maxStale: supersededUpdates },
        // Sign-ups only, one per user: nothing can be older than what the downstream holds.
        'email-marketing': { all: unique(optedIn), invalid: unique(optedIn.filter((e) => !e.valid)), maxStale: 0 },
        // A FIFO queue per account, in sequence: never out of order.
        'billing-sync': { all: unique(billing), invalid: unique(billing.filter((e) => !e.valid)), maxStale: 0 },
      };

      expect(report.published).toBe(EVENTS);
      expect(report.run.publishFailures).toBe(0);
      expect(report.run.drained).toBe(true);
      // The rate first tries kept: never below the end-to-end figure (which also waits out
      // retries' backoff), never above the rate the events were published at.
      expect(report.run.sustainedEventsPerSecond).toBeGreaterThanOrEqual(report.run.throughputEventsPerSecond);
      expect(report.run.sustainedEventsPerSecond).toBeLessThanOrEqual(Number((report.published / report.run.publishSeconds).toFixed(1)) + 0.1);
      // Every consumer of the pipeline reports; the sample's three are held to the figures
      // worked out above, any a team added to the invariants every consumer keeps.
      expect(Object.keys(report.consumers).sort()).toEqual(loadPipeline().consumers.map((c) => c.name).sort());
      expect(Object.keys(expected).every((name) => name in report.consumers)).toBe(true);
      for (const [name, c] of Object.entries(report.consumers).filter(([name]) => !(name in expected))) {
        expect(c.lost, name).toBe(0);
        expect(c.duplicateEffects, name).toBe(0);
        expect(c.problems.unexpected, name).toEqual([]);
        expect(c.problems.validDeadLettered, name).toEqual([]);
        expect(c.applied + c.staleSkipped + c.deadLettered, name).toBe(c.expected);
      }
      for (const [name, want] of Object.entries(expected)) {
        const c = report.consumers[name]!;
        expect(c.expected, name).toBe(want.all);
        expect(c.expectedInvalid, name).toBe(want.invalid);
        expect(want.invalid, `${name} gets at least one invalid event`).toBeGreaterThan(0);
        // Every valid event applied exactly once (or, by design, skipped as older than
        // what the downstream holds), never by a consumer that does not select it.
        expect(c.applied + c.staleSkipped, name).toBe(want.all - want.invalid);
        expect(c.staleSkipped, `${name} skips as stale only what a newer revision supersedes`).toBeLessThanOrEqual(want.maxStale);
        expect(c.problems.unexpected, name).toEqual([]);
        expect(c.duplicateEffects, name).toBe(0);
        expect(c.problems.contradictory, name).toEqual([]);
        // Every invalid one in that consumer's DLQ, with the contract violation as reason.
        expect(c.problems.invalidNotDeadLettered, name).toEqual([]);
        expect(c.problems.validDeadLettered, name).toEqual([]);
        expect(c.deadLettered, name).toBe(want.invalid);
        expect(c.deadLetterReasons, name).toEqual({ ContractViolationError: want.invalid });
        expect(c.lost, name).toBe(0);
        expect(report.run.consumers[name]!.invocations, name).toBeGreaterThan(0);
      }
      // Duplicates were published and absorbed by idempotency, not applied twice.
      expect(report.consumers['crm-sync']!.duplicatesSuppressed).toBeGreaterThan(0);
      expect(report.latencyMs.samples).toBe(Object.values(report.consumers).reduce((sum, c) => sum + c.applied, 0));
      expect(report.latencyMs.p50).toBeGreaterThan(0);
      expect(report.latencyMs.p50).toBeLessThanOrEqual(report.latencyMs.p95);
      expect(report.latencyMs.p95).toBeLessThanOrEqual(report.latencyMs.p99);

      // No process the run started survives it: the emulator, every consumer environment.
      expect(report.run.processes.length).toBeGreaterThan(3);
      expect(report.run.processes.filter(alive)).toEqual([]);
    },
    150_000,
  );

  it(
    'stops everything on Ctrl-C in the middle of a run, and exits 130',
    async () => {
      // What a terminal does on Ctrl-C: SIGINT to the whole foreground process group.
      const run = await interruptMidRun('tsx', 'SIGINT');
      expect(run.output()).not.toMatch(/killing everything now/);
    },
    150_000,
  );

  it(
    'says so and exits 2 when the port is in use',
    async () => {
      const server: Server = createServer();
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const port = (server.address() as { port: number }).port;
      try {
        const run = start(['--events', '20', '--port', String(port)]);
        const tree = watchTree(run);
        const code = await run.exited;
        expect(code, run.output()).toBe(2);
        expect(run.output()).toMatch(new RegExp(`port ${port} is already in use: choose another with --port`));
        // Nothing it started (a synth, an emulator, any consumer) outlives it.
        expect([...tree.keys()].filter(alive), JSON.stringify([...tree])).toEqual([]);
      } finally {
        server.close();
      }
    },
    120_000,
  );

  it(
    'stops everything when its terminal closes (SIGHUP), leaving no emulator or consumer behind',
    async () => {
      // A closed terminal hangs up its foreground process group: the runner, not the
      // emulator or the consumers, which have groups of their own.
      await interruptMidRun('node', 'SIGHUP');
    },
    150_000,
  );

  it('refuses options that do not fit, with a usage exit code', async () => {
    const run = start(['--events', 'many']);
    expect(await run.exited).toBe(2);
    expect(run.output()).toMatch(/--events <n>.*must be a positive whole number/);
  });
});
