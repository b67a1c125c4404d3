/**
 * Faults 4 and 5: a dependency of the consumers goes away for a while and comes back.
 *
 * 4. crm-sync's downstream fails every write (transiently) for a window, with the retry
 *    budget scaled from an hour down to 20 s (SCALED_RETRY_BUDGET):
 *    a. a window shorter than the budget: every event is retried through it and applied
 *       once, nothing is dead-lettered;
 *    b. a window longer than the budget: every event is dead-lettered by the kit with its
 *       failure context (never moved by SQS without one), and after recovery the operator's
 *       real `fanout redrive crm-sync` (the CLI, as a process) puts them back, and each is
 *       applied exactly once.
 * 5. The idempotency store (and the downstream tables, on the same DynamoDB) unreachable
 *    while events flow: the consumers' DynamoDB traffic goes through a fault proxy that
 *    first stalls (connections accepted, nothing answered: calls time out, and a call
 *    caught in flight may have committed a write whose answer never comes) and then
 *    refuses, then passes again. With the default 1 h budget nothing may be dead-lettered,
 *    lost or applied twice. The backoff is the template's (10 s, doubling), the visibility
 *    timeout shortened to 45 s so a timed-out invocation's batch comes back in time.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { ConsumerEnv } from '../../contracts/consumer-environment';
import { FailureAttribute } from '../../contracts/failure-context';
import { KitMetric } from '../../lambdas/kit/telemetry';
import { DemoKind, planWorkload, type PlannedEvent } from '../../local/demo-workload';
import { PROJECT_ROOT } from '../../local/emulator';
import { sleep } from '../../local/event-source-poller';
import { readEffects } from '../../local/observe';
import { peekMessages, queueDepth } from '../../ops/adapters/sqs-dead-letters';
import { ProxyMode } from './support/fault-proxy';
import { expectNothingLostOrTwice } from './support/assertions';
import { recordRow, rowFromReport } from './support/results';
import { size } from './support/scale';
import { PIPELINE, SCALED_RETRY_BUDGET, startWorld, type World } from './support/world';

const run = promisify(execFile);
const CRM = 'crm-sync';
/** The scaled budget, seconds (SCALED_RETRY_BUDGET), and its largest backoff. */
const BUDGET_SECONDS = Number(SCALED_RETRY_BUDGET[ConsumerEnv.RetryBudgetSeconds]);
const MAX_BACKOFF_SECONDS = Number(SCALED_RETRY_BUDGET[ConsumerEnv.RetryMaxDelaySeconds]);

const worlds: World[] = [];
afterAll(async () => {
  for (const world of worlds) world.proxy?.setMode(ProxyMode.Pass);
  await Promise.all(worlds.map((w) => w.stop()));
});

async function world(options: Parameters<typeof startWorld>[0]): Promise<World> {
  const w = await startWorld(options);
  worlds.push(w);
  return w;
}

/** `count` sign-ups (crm-sync applies every one), from a plan of their own. */
function signUps(count: number, seed: number): PlannedEvent[] {
  return planWorkload({ events: count * 2 + 40, seed })
    .filter((e) => e.kind === DemoKind.Valid && e.type === 'user.signed-up')
    .slice(0, count);
}


/** Polls `probe` every second until it returns true; throws with `what` after `timeoutMs`. */
async function waitFor(what: string, timeoutMs: number, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return;
    await sleep(1000);
  }
  throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
}

const seconds = (ms: number) => Math.round(ms / 100) / 10;

// The three faults run side by side, each in its own world: most of each is waiting for
// a window to pass, and one after another they would take over two minutes.
describe.concurrent('outages', () => {
  describe('4. downstream outage (crm-sync, retry budget scaled to 20 s)', () => {
    // Counted from the consumers' start: a few seconds of it pass before the first event arrives.
    const SHORT_SECONDS = 10;
    const LONG_SECONDS = size(38, 45);

    it(`a. an outage of ~${SHORT_SECONDS} s, shorter than the budget: every event applied once, none dead-lettered`, async () => {
      const events = signUps(size(12, 40), 41);
      const w = await world({
        consumers: [CRM],
        environment: { [CRM]: SCALED_RETRY_BUDGET },
        chaos: { consumer: CRM, rate: 1, until: new Date() },
        chaosSeconds: SHORT_SECONDS,
      });
      const until = w.chaosUntil!.getTime();
      const result = await w.publishPlan(events, 50);
      expect(result.failed).toEqual([]);
      const firstPublishedMs = result.published[0]!.publishedAtMs;
      const outageAfterPublish = until - firstPublishedMs;
      // The fault must overlap the events, by several backoffs, and must stay shorter than the budget.
      expect(outageAfterPublish).toBeGreaterThan(4000);
      expect(outageAfterPublish + MAX_BACKOFF_SECONDS * 1000).toBeLessThan(BUDGET_SECONDS * 1000);
      await w.drain(90_000);

      const report = await w.report();
      const crm = w.consumer(CRM);
      const failedAttempts = crm.telemetry.metric(KitMetric.TransientFailure);
      const effects = await readEffects(w.clients.dynamodb, crm.downstreamTableName!, new Set(events.map((e) => e.id)));
      const firstEffectMs = Math.min(...[...effects.values()].map((e) => e.appliedAtMs));
      const c = report.consumers[CRM]!;
      recordRow(
        rowFromReport(`4a. downstream outage ${seconds(outageAfterPublish)} s < ${BUDGET_SECONDS} s budget`, report, {
          consumers: [CRM],
          note: `${failedAttempts} failed attempts, ${c.retried} redeliveries; first effect ${seconds(firstEffectMs - until)} s after recovery`,
        }),
      );
      expectNothingLostOrTwice(report, [CRM]);
      // The fault hit: every event failed at least once, and nothing was applied during the outage.
      expect(failedAttempts).toBeGreaterThanOrEqual(events.length);
      expect(firstEffectMs).toBeGreaterThanOrEqual(until);
      expect(c.expected).toBe(events.length);
      expect(c.applied).toBe(events.length);
      expect(c.deadLettered).toBe(0);
      expect(crm.telemetry.metric(KitMetric.RetryBudgetSpent)).toBe(0);
    });

    it(`b. an outage of ~${LONG_SECONDS} s, longer than the budget: dead-lettered with reasons, then \`fanout redrive\` applies each once`, async () => {
      const events = signUps(size(12, 40), 42);
      const w = await world({
        consumers: [CRM],
        environment: { [CRM]: SCALED_RETRY_BUDGET },
        chaos: { consumer: CRM, rate: 1, until: new Date() },
        chaosSeconds: LONG_SECONDS,
      });
      const until = w.chaosUntil!.getTime();
      const crm = w.consumer(CRM);
      const result = await w.publishPlan(events, 50);
      expect(result.failed).toEqual([]);
      const lastPublishedMs = result.published.at(-1)!.publishedAtMs;
      // Every event's budget (from its first receive, at or after its publication) runs out,
      // with room for the last backoff and a slow receive, before the downstream recovers.
      expect(until - lastPublishedMs).toBeGreaterThan((BUDGET_SECONDS + MAX_BACKOFF_SECONDS + 4) * 1000);

      // The kit gives up on each as its budget runs out, inside the outage.
      await waitFor('every event in the DLQ', (LONG_SECONDS + 30) * 1000, async () => (await w.report()).consumers[CRM]!.deadLettered === events.length);
      const deadLetteredBy = Date.now();
      expect(deadLetteredBy).toBeLessThan(until + 2000);
      await waitFor('the outage to end', until - Date.now() + 5000, async () => Date.now() > until);
      await w.drain(60_000);

      const before = await w.report();
      const cb = before.consumers[CRM]!;
      expect({
        applied: cb.applied,
        lost: cb.lost,
        deadLettered: cb.deadLettered,
      }).toEqual({ applied: 0, lost: 0, deadLettered: events.length });
      // Each with the kit's failure context, none moved by SQS's redrive policy without one.
      expect(Object.keys(cb.deadLetterReasons)).not.toContain('redrive policy');
      expect(cb.deadLetterReasons).toEqual({
        ChaosInjectedError: events.length,
      });
      const letters = await peekMessages(w.clients.sqs, crm.deadLetterQueueUrl!, Number.POSITIVE_INFINITY);
      expect(letters).toHaveLength(events.length);
      for (const letter of letters) {
        const attribute = (name: string) => letter.MessageAttributes?.[name]?.StringValue;
        expect(attribute(FailureAttribute.ErrorName)).toBe('ChaosInjectedError');
        expect(attribute(FailureAttribute.ErrorMessage)).toContain(`retry budget of ${BUDGET_SECONDS}s spent`);
        expect(attribute(FailureAttribute.Consumer)).toBe(CRM);
        expect(Number(attribute(FailureAttribute.ReceiveCount))).toBeGreaterThan(1);
      }
      expect(crm.telemetry.metric(KitMetric.RetryBudgetSpent)).toBe(events.length);
      // peekMessages hides what it read until it makes it visible again: wait until it is.
      await waitFor('the peeked dead letters to be visible', 30_000, async () => (await queueDepth(w.clients.sqs, crm.deadLetterQueueUrl!)).inFlight === 0);

      // The operator's redrive, as the operator runs it.
      const dir = mkdtempSync(join(tmpdir(), 'fanout-redrive-'));
      const outputsFile = join(dir, 'outputs.json');
      writeFileSync(outputsFile, JSON.stringify({ [PIPELINE.name]: w.outputs }));
      let stdout: string;
      let stderr: string;
      try {
        ({ stdout, stderr } = await run('npx', ['fanout', 'redrive', CRM, '--json'], {
          cwd: PROJECT_ROOT,
          timeout: 60_000,
          env: {
            ...process.env,
            FANOUT_OUTPUTS_FILE: outputsFile,
            AWS_ENDPOINT_URL: w.emulator.endpoint,
            AWS_REGION: 'us-east-1',
            AWS_ACCESS_KEY_ID: 'local',
            AWS_SECRET_ACCESS_KEY: 'local',
            AWS_PROFILE: '',
          },
        }));
      } catch (error) {
        const e = error as Error & {
          stdout?: string;
          stderr?: string;
          code?: number;
        };
        throw new Error(`fanout redrive failed (exit ${e.code}): ${e.message}\nstdout: ${e.stdout}\nstderr: ${e.stderr}`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      const redrive = JSON.parse(stdout) as {
        status: string;
        moved: number;
        waiting: number;
        failed: unknown[];
      };
      expect(
        {
          status: redrive.status,
          moved: redrive.moved,
          waiting: redrive.waiting,
          failed: redrive.failed,
        },
        stderr,
      ).toEqual({
        status: 'COMPLETED',
        moved: events.length,
        waiting: events.length,
        failed: [],
      });
      await w.drain(90_000);

      const after = await w.report();
      const ca = after.consumers[CRM]!;
      const dlq = await queueDepth(w.clients.sqs, crm.deadLetterQueueUrl!);
      // Dead-lettered (and why) as the outage left them; applied, lost and applied twice after the redrive.
      const outage = rowFromReport('', before, { consumers: [CRM] });
      recordRow({
        ...rowFromReport(`4b. downstream outage ${seconds(until - result.published[0]!.publishedAtMs)} s > ${BUDGET_SECONDS} s budget, then redrive`, after, {
          consumers: [CRM],
          redriven: redrive.moved,
          note: `dead-lettered by the kit, each with its failure context (retry budget spent), 0 applied before the redrive; \`fanout redrive\` ${redrive.status}; DLQ after: ${dlq.visible + dlq.inFlight + dlq.delayed}`,
        }),
        deadLettered: outage.deadLettered,
        reasons: outage.reasons,
      });
      expectNothingLostOrTwice(after, [CRM]);
      expect({
        applied: ca.applied,
        deadLettered: ca.deadLettered,
        duplicateEffects: ca.duplicateEffects,
      }).toEqual({
        applied: events.length,
        deadLettered: 0,
        duplicateEffects: 0,
      });
      expect(dlq.visible + dlq.inFlight + dlq.delayed).toBe(0);
    });
  });

  describe('5. idempotency store unreachable for a while (DynamoDB behind a fault proxy)', () => {
    const STALL_SECONDS = size(10, 12);
    const REFUSE_SECONDS = size(5, 6);
    const RATE = size(4, 6);
    const BACKLOG = size(30, 90);

    it(`stalls ${STALL_SECONDS} s then refuses ${REFUSE_SECONDS} s while events flow: nothing applied twice, nothing lost, nothing dead-lettered`, async () => {
      const plan = planWorkload({ events: size(200, 600), seed: 51 });
      const events = [
        ...plan.filter((e) => e.kind === DemoKind.Valid && e.type === 'user.signed-up').slice(0, size(64, 200)),
        ...plan.filter((e) => e.kind === DemoKind.Valid && e.type === 'subscription.changed').slice(0, size(16, 40)),
      ];
      // Published in plan order so each account's changes keep their sequence.
      const ordered = plan.filter((e) => events.includes(e));
      const w = await world({
        dynamodbProxy: true,
        // A timed-out invocation's batch comes back after this long, not the template's 180 s.
        visibilityTimeoutSeconds: 45,
      });
      const proxy = w.proxy!;
      // A backlog first, so the stall catches calls in flight (a transaction committed whose
      // answer never comes back among them), then a steady stream through the fault and after.
      const first = await w.publishPlan(ordered.slice(0, BACKLOG), 100);
      const publishing = w.publishPlan(ordered.slice(BACKLOG), RATE);
      await sleep(500);
      const faultStartMs = Date.now();
      const connectionsBefore = proxy.connections();
      proxy.setMode(ProxyMode.Stall);
      await sleep(STALL_SECONDS * 1000);
      proxy.setMode(ProxyMode.Refuse);
      const refusedFrom = proxy.connections();
      await sleep(REFUSE_SECONDS * 1000);
      const refused = proxy.connections() - refusedFrom;
      proxy.setMode(ProxyMode.Pass);
      const faultEndMs = Date.now();
      const rest = await publishing;
      const result = { published: [...first.published, ...rest.published], failed: [...first.failed, ...rest.failed] };
      expect(result.failed).toEqual([]);
      const publishedDuringFault = result.published.filter((p) => p.publishedAtMs >= faultStartMs && p.publishedAtMs <= faultEndMs).length;
      await w.drain(150_000);

      const report = await w.report();
      const names = w.consumers.map((c) => c.name);
      const failedAttempts = names.reduce((n, name) => n + w.consumer(name).telemetry.metric(KitMetric.TransientFailure), 0);
      const timeouts = names.reduce((n, name) => n + w.consumer(name).function.stats.timeouts, 0);
      const crashes = names.reduce((n, name) => n + w.consumer(name).function.stats.crashes, 0);
      const suppressed = Object.values(report.consumers).reduce((n, c) => n + c.duplicatesSuppressed, 0);
      recordRow(
        rowFromReport(`5. idempotency store unreachable: stalled ${STALL_SECONDS} s, refused ${REFUSE_SECONDS} s`, report, {
          note: `${publishedDuringFault} published during the fault; ${failedAttempts} failed attempts, ${timeouts} invocations timed out, ${crashes} crashed, ${suppressed} duplicate deliveries absorbed; ${refused} connections refused`,
        }),
      );
      expectNothingLostOrTwice(report, names);
      const all = Object.values(report.consumers);
      expect(all.reduce((n, c) => n + c.deadLettered, 0)).toBe(0);
      expect(all.reduce((n, c) => n + c.applied + c.staleSkipped, 0)).toBe(all.reduce((n, c) => n + c.expected, 0));
      // The fault hit: events were in flight through it, calls failed and were retried.
      expect(publishedDuringFault).toBeGreaterThan(0);
      expect(proxy.connections()).toBeGreaterThan(connectionsBefore);
      expect(failedAttempts + timeouts).toBeGreaterThan(0);
      expect(all.reduce((n, c) => n + c.retried, 0)).toBeGreaterThan(0);
    });
  });
});
