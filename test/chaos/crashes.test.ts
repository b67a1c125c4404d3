/**
 * Faults 2 and 3: consumer processes that die in the middle of an invocation.
 *
 * 2. SIGKILL from outside, while batches are in flight (as when Lambda's host dies or
 *    the runtime is killed): the runner replaces the environment as Lambda would, and the
 *    killed batch's messages, none of them deleted, come back after the visibility timeout.
 *    Events the killed invocation had already written are delivered again.
 * 3. The consumer kills itself right after a committed downstream write, before the
 *    idempotency record is completed and before the batch answers
 *    (FANOUT_CHAOS_CRASH_AFTER_WRITE_RATE): the retry runs the event again past the gate
 *    (its record was left in progress), and only the downstream's own once-only write
 *    stands between it and a second application.
 *
 * Both count events in (publications) and effects out (effect logs) and require 0 lost
 * and 0 duplicate effects, and both prove the fault hit where it hurts: invocations died
 * after writing some of their events, those events came back, and were applied once.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChaosEnv } from '../../lambdas/downstream/chaos';
import { DemoKind, planWorkload, type PlannedEvent } from '../../local/demo-workload';
import { describeProblems, type RunReport } from '../../local/report';
import { recordRow, rowFromReport } from './support/results';
import { size } from './support/scale';
import { killMidBatch, recordInvocations, startWorld, writtenThenKilled, type World } from './support/world';

/** The consumers under fault: one on a standard queue, one on a FIFO queue. */
const CONSUMERS = ['crm-sync', 'billing-sync'] as const;
/** Scaled down from 180 s / 30 s so that a killed batch is back within seconds. */
const VISIBILITY_TIMEOUT_SECONDS = 8;
const FUNCTION_TIMEOUT_SECONDS = 6;

/**
 * A workload for both consumers: sign-ups and profile updates (crm-sync) and
 * subscription changes (billing-sync, in sequence per account), interleaved. Prefixes of
 * the demo plan's streams, so every profile update follows its user's sign-up and every
 * account's changes start at sequence 1.
 */
function workload(seed: number, userEvents: number, billingEvents: number): PlannedEvent[] {
  const plan = planWorkload({ events: Math.max(400, billingEvents * 13), seed });
  const users = plan.filter((e) => e.valid && e.type !== 'subscription.changed' && e.kind !== DemoKind.Duplicate).slice(0, userEvents);
  const billing = plan.filter((e) => e.kind === DemoKind.Valid && e.type === 'subscription.changed').slice(0, billingEvents);
  const events: PlannedEvent[] = [];
  for (let u = 0, b = 0; u < users.length || b < billing.length; ) {
    // Keep the two streams' proportions along the way.
    if (b < billing.length && (u >= users.length || b / billing.length <= u / users.length)) events.push(billing[b++]!);
    else events.push(users[u++]!);
  }
  return events;
}

/** The report's checks every fault here shares: nothing lost, nothing applied twice, nothing misfiled. */
async function expectClean(world: World, report: RunReport): Promise<void> {
  expect(describeProblems(report)).toEqual([]);
  for (const [name, c] of Object.entries(report.consumers)) {
    expect({ name, lost: c.lost, duplicateEffects: c.duplicateEffects, deadLettered: c.deadLettered }).toEqual({ name, lost: 0, duplicateEffects: 0, deadLettered: 0 });
    // Every expected (valid) event applied or skipped as stale by the ordering guard.
    expect(c.applied + c.staleSkipped, name).toBe(c.expected);
  }
  // billing-sync reads a FIFO queue: a group comes back in order after a crash, so the
  // ordering guard never has an older change to refuse.
  expect(report.consumers['billing-sync']?.staleSkipped).toBe(0);
  // Every effect-log item of this run complete and applied exactly once: an item counted
  // as applied with 0 applications or no time would be a write half lost.
  for (const [name, observed] of await world.observe()) {
    const notOnce = [...observed.effects].filter(([, e]) => e.applications !== 1 || !e.appliedAtMs).map(([id, e]) => `${id}: ${JSON.stringify(e)}`);
    expect({ name, notOnce }).toEqual({ name, notOnce: [] });
  }
}

/** The event ids of the structured lines in `logFile` whose message starts with `messagePrefix`: the consumer's own account of what it did. */
function loggedEventIds(logFile: string, messagePrefix: string): Set<string> {
  const ids = new Set<string>();
  for (const line of readFileSync(logFile, 'utf8').split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const entry = JSON.parse(line) as { message?: unknown; event_id?: unknown };
      if (typeof entry.event_id === 'string' && typeof entry.message === 'string' && entry.message.startsWith(messagePrefix)) ids.add(entry.event_id);
    } catch {
      // a line cut by SIGKILL
    }
  }
  return ids;
}

describe('2. SIGKILL of a consumer process mid-batch', () => {
  const USER_EVENTS = size(45, 240);
  const BILLING_EVENTS = size(24, 120);
  const KILLS = size(4, 12);
  // Fast enough for a backlog: batches of several records, each running long enough to
  // be killed after some of its records were written and before it answers.
  const RATE = 25;
  const WRITE_DELAY_MS = 80;
  // billing-sync gets about a third of the events (some 8 a second) and, left at 5 slots
  // of 80 ms writes, keeps up with them one record at a time: nothing to kill mid-batch.
  // One slot at 250 ms a write handles 4 a second, so its queue grows while publishing
  // goes on and every batch is a full one (10 records, some 2.5 s, inside the 6 s timeout).
  const BILLING_WRITE_DELAY_MS = 250;
  const BILLING_CONCURRENCY = 1;
  let world: World;

  beforeAll(async () => {
    world = await startWorld({
      consumers: CONSUMERS,
      visibilityTimeoutSeconds: VISIBILITY_TIMEOUT_SECONDS,
      functionTimeoutSeconds: FUNCTION_TIMEOUT_SECONDS,
      // A downstream slower than the publishing: batches pile up to several records and run
      // long enough to be killed half-way, however fast the emulator answers.
      environment: {
        'crm-sync': { [ChaosEnv.WriteDelayMs]: String(WRITE_DELAY_MS) },
        'billing-sync': { [ChaosEnv.WriteDelayMs]: String(BILLING_WRITE_DELAY_MS) },
      },
      concurrency: { 'billing-sync': BILLING_CONCURRENCY },
    });
  });
  afterAll(async () => {
    await world?.stop();
  });

  it(`applies every event once while crm-sync and billing-sync are SIGKILLed ${KILLS} times each mid-batch`, async () => {
    // Three times the workload in reserve: events keep flowing, a second's worth at a time,
    // until every kill has found a batch of fresh events to die under (a killed batch that
    // comes back holds events already applied, which finish too fast to be killed again).
    const pool = workload(21, USER_EVENTS * 3, BILLING_EVENTS * 3);
    const minimum = USER_EVENTS + BILLING_EVENTS;
    const recorded = Object.fromEntries(CONSUMERS.map((name) => [name, recordInvocations(world.consumer(name))]));
    const killDeadline = Date.now() + (pool.length / RATE) * 1000 + KILLS * (VISIBILITY_TIMEOUT_SECONDS + 4) * 1000;
    let killing = true;
    const killsDone = Promise.all(CONSUMERS.map((name) => killMidBatch(world, name, recorded[name]!, KILLS, killDeadline))).finally(() => {
      killing = false;
    });
    const failed: unknown[] = [];
    for (let next = 0; (killing || next < minimum) && next < pool.length; next += RATE) {
      failed.push(...(await world.publishPlan(pool.slice(next, next + RATE), RATE)).failed);
    }
    const kills = await killsDone;
    expect(failed).toEqual([]);
    await world.drain(size(90_000, 300_000));

    const report = await world.report();
    const observations = await world.observe();
    const evidence = CONSUMERS.map((name, i) => {
      const invocations = recorded[name]!;
      const killed = invocations.filter((inv) => inv.outcome === 'crash');
      const written = writtenThenKilled(invocations, observations.get(name)!.effects);
      return {
        name,
        kills: kills[i]!,
        crashes: world.consumer(name).function.stats.crashes,
        killedInvocations: killed.length,
        killedRecords: killed.reduce((n, inv) => n + inv.records.length, 0),
        killedAfterWriting: new Set(written.map((w) => w.eventId)).size,
        written,
      };
    });
    const note = evidence
      .map((e) => `${e.name}: ${e.kills} kills, ${e.killedInvocations} batches (${e.killedRecords} records) killed, ${e.killedAfterWriting} events written then killed, ${report.consumers[e.name]!.staleSkipped} stale`)
      .join('; ');
    recordRow(rowFromReport('2. SIGKILL of consumer processes mid-batch', report, { note, consumers: CONSUMERS }));

    await expectClean(world, report);
    for (const e of evidence) {
      // The kills happened, under a batch: the runner counted each dead invocation.
      expect(e.kills, `${e.name} kills`).toBe(KILLS);
      expect(e.crashes, `${e.name} crashes`).toBeGreaterThan(0);
      expect(e.killedInvocations, `${e.name} killed invocations`).toBe(e.crashes);
      // Where it hurts: events written by an invocation that then died came back and were
      // not applied again.
      expect(e.killedAfterWriting, `${e.name} events written then killed`).toBeGreaterThan(0);
      for (const w of e.written) expect({ ...w, redelivered: w.redeliveries > 0 }).toEqual({ ...w, redelivered: true, applications: 1 });
    }
  });
});

describe('3. crash after the downstream write, before the idempotency record completes', () => {
  const USER_EVENTS = size(40, 240);
  const BILLING_EVENTS = size(24, 120);
  const CRASH_RATE = 0.3;
  const RATE = size(8, 10);
  /** How long the consumers crash after writes, counted from the start of publishing. */
  const WINDOW_MS = size(20_000, 90_000);
  let world: World;

  beforeAll(async () => {
    // The window is fixed before the consumers start: it opens now and closes about
    // WINDOW_MS after publishing begins (a world starts in some 10 s).
    const until = new Date(Date.now() + 10_000 + WINDOW_MS).toISOString();
    const crash = { [ChaosEnv.CrashAfterWriteRate]: String(CRASH_RATE), [ChaosEnv.TransientFailureUntil]: until };
    world = await startWorld({
      consumers: CONSUMERS,
      visibilityTimeoutSeconds: VISIBILITY_TIMEOUT_SECONDS,
      functionTimeoutSeconds: FUNCTION_TIMEOUT_SECONDS,
      environment: Object.fromEntries(CONSUMERS.map((name) => [name, crash])),
    });
  });
  afterAll(async () => {
    await world?.stop();
  });

  it(`applies every event once although crm-sync and billing-sync die after ${CRASH_RATE * 100}% of their writes`, async () => {
    const events = workload(31, USER_EVENTS, BILLING_EVENTS);
    const recorded = Object.fromEntries(CONSUMERS.map((name) => [name, recordInvocations(world.consumer(name))]));
    const published = await world.publishPlan(events, RATE);
    expect(published.failed).toEqual([]);
    await world.drain(size(120_000, 400_000));

    const report = await world.report();
    const observations = await world.observe();
    const evidence = CONSUMERS.map((name) => {
      const consumer = world.consumer(name);
      const invocations = recorded[name]!;
      const crashed = invocations.filter((inv) => inv.outcome === 'crash');
      const written = writtenThenKilled(invocations, observations.get(name)!.effects);
      const writtenIds = new Set(written.map((w) => w.eventId));
      // The consumer's own account of the retries: each event written before a crash was
      // run again past the gate (its record never completed), and "applied" by the
      // downstream's once-only write, which found it there; the gate never saw it done.
      const appliedLogged = loggedEventIds(consumer.logFile, 'event applied');
      const duplicateLogged = loggedEventIds(consumer.logFile, 'duplicate event');
      return {
        name,
        crashes: consumer.function.stats.crashes,
        crashedInvocations: crashed.length,
        // Crashes right after a write: the dying invocation wrote at least one of its events.
        crashedAfterWriting: crashed.filter((inv) => inv.records.some((r) => r.eventId && writtenIds.has(r.eventId))).length,
        written,
        retriedPastGate: [...writtenIds].filter((id) => appliedLogged.has(id) && !duplicateLogged.has(id)).length,
      };
    });
    const note = evidence
      .map((e) => `${e.name}: ${e.crashes} crashes after a write, ${e.written.length} events written then crashed, ${e.retriedPastGate} re-run past the gate and found applied, ${report.consumers[e.name]!.staleSkipped} stale`)
      .join('; ');
    recordRow(rowFromReport('3. crash after the downstream write, before the idempotency record', report, { note, consumers: CONSUMERS }));

    await expectClean(world, report);
    for (const e of evidence) {
      expect(e.crashes, `${e.name} crashes`).toBeGreaterThan(0);
      expect(e.crashedInvocations, `${e.name} crashed invocations`).toBe(e.crashes);
      // Every crash came right after a committed write (the fault is placed there).
      expect(e.crashedAfterWriting, `${e.name} crashes after a write`).toBe(e.crashes);
      // Each event written just before its process died came back and was applied once.
      expect(e.written.length, `${e.name} events written then crashed`).toBeGreaterThanOrEqual(e.crashes);
      for (const w of e.written) expect({ ...w, redelivered: w.redeliveries > 0 }).toEqual({ ...w, redelivered: true, applications: 1 });
      // And at least one of them ran again past the idempotency gate, so it was the
      // downstream write's own condition that kept it from a second application.
      expect(e.retriedPastGate, `${e.name} events re-run past the gate`).toBeGreaterThan(0);
    }
  });
});
