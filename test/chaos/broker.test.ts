/**
 * Fault 6, broker outage: the emulator (SNS, SQS, DynamoDB and Glue at once) frozen with
 * SIGSTOP while a producer publishes and the consumers consume, then thawed with SIGCONT.
 *
 * The producer's requests time out and are retried with full jitter; what still could not
 * be sent is returned by the publisher, each failure naming its event id. Such a failure
 * is ambiguous: the frozen broker may hold the request and take it when it thaws (and a
 * retried request may be taken twice). So the producer does what the publisher tells it
 * to: publishes each failed event again with the same id, and every event must then be
 * applied exactly once, whatever the broker did with the first tries. The consumers'
 * calls time out meanwhile, invocations may run past their timeout, and they recover.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { KitMetric } from '../../lambdas/kit/telemetry';
import { DemoKind, planWorkload } from '../../local/demo-workload';
import { sleep } from '../../local/event-source-poller';
import { readEffects } from '../../local/observe';
import { expectNothingLostOrTwice } from './support/assertions';
import { recordRow, rowFromReport } from './support/results';
import { size } from './support/scale';
import { startWorld, type World } from './support/world';

const FREEZE_SECONDS = size(12, 20);
/**
 * Requests per event: with the publisher's 5 s request timeout, 2 attempts give up within
 * a 12 s freeze and 3 within a 20 s one, so some events end as reported failures (the
 * default 5 attempts would outlast either freeze and hide that path).
 */
const PUBLISH_ATTEMPTS = size(2, 3);
const RATE = size(4, 6);
/** Events published at once before the freeze: work in hand for the consumers when it hits. */
const BACKLOG = size(50, 150);

let world: World | undefined;
let frozen = false;

function thaw(): void {
  if (world && frozen) {
    process.kill(world.emulator.pid!, 'SIGCONT');
    frozen = false;
  }
}

afterAll(async () => {
  thaw();
  await world?.stop();
});

describe('6. broker outage', () => {
  it(`emulator frozen ${FREEZE_SECONDS} s while publishing and consuming: failures reported by id, republished, each event applied once`, async () => {
    const plan = planWorkload({ events: size(240, 700), seed: 61 });
    const wanted = new Set([
      ...plan.filter((e) => e.kind === DemoKind.Valid && e.type === 'user.signed-up').slice(0, size(80, 240)),
      ...plan.filter((e) => e.kind === DemoKind.Valid && e.type === 'subscription.changed').slice(0, size(16, 48)),
    ]);
    // Plan order: each account's subscription changes in sequence (FIFO topic).
    const events = plan.filter((e) => wanted.has(e));
    // A backlog first, so the freeze catches the consumers in the middle of their batches,
    // then a steady stream that the freeze interrupts.
    const backlog = events.slice(0, BACKLOG);
    const stream = events.slice(BACKLOG);
    world = await startWorld({
      // A batch lost to an invocation that timed out comes back after this long, not the template's 180 s.
      visibilityTimeoutSeconds: 40,
      publisherRetry: { maxAttempts: PUBLISH_ATTEMPTS },
    });
    const w = world;

    const first = await w.publishPlan(backlog, 100);
    const publishing = w.publishPlan(stream, RATE);
    await sleep(1000);
    const publishedBeforeFreeze = w.published.length;
    const frozenAtMs = Date.now();
    const batchesAtFreeze = w.consumers.reduce((n, c) => n + c.poller.stats.inFlightBatches, 0);
    process.kill(w.emulator.pid!, 'SIGSTOP');
    frozen = true;
    try {
      await sleep(FREEZE_SECONDS * 1000);
    } finally {
      thaw();
    }
    const thawedAtMs = Date.now();
    const rest = await publishing;
    const result = {
      published: [...first.published, ...rest.published],
      failed: [...first.failed, ...rest.failed],
    };

    // Every event either accepted or reported failed, by its id; nothing both, nothing neither.
    const acceptedIds = new Set(result.published.map((p) => p.event.id));
    const failedIds = result.failed.map((f) => f.event.id);
    expect(new Set(failedIds).size).toBe(failedIds.length);
    for (const id of failedIds) expect(acceptedIds.has(id)).toBe(false);
    expect(acceptedIds.size + failedIds.length).toBe(events.length);
    for (const failure of result.failed) {
      // The publisher's error names the event (PublishFailedError, or HeldBackError behind one on a FIFO group).
      expect(failure.reason).toContain(failure.event.id);
    }
    const publishedDuringFreeze = result.published.filter((p) => p.publishedAtMs > frozenAtMs).length;

    // Ambiguous failures: let everything the broker did take settle, and see which of the
    // events reported failed it had taken after all (their effects are already there).
    await w.drain(180_000);
    const failedSet = new Set(failedIds);
    const takenAnyway = new Set<string>();
    for (const consumer of w.consumers) {
      if (!consumer.downstreamTableName) continue;
      for (const id of (await readEffects(w.clients.dynamodb, consumer.downstreamTableName, failedSet)).keys()) takenAnyway.add(id);
    }

    // What the publisher says to do: publish each failed event again under the same id, in
    // order (a FIFO group's later events were held back behind its failed one).
    let republished = 0;
    for (const failure of result.failed) {
      republished += await w.publishConcurrently(failure.event, 1);
    }
    expect(republished).toBe(result.failed.length);
    await w.drain(180_000);

    const report = await w.report();
    const names = w.consumers.map((c) => c.name);
    const sum = (pick: (name: string) => number) => names.reduce((n, name) => n + pick(name), 0);
    const failedAttempts = sum((name) => w.consumer(name).telemetry.metric(KitMetric.TransientFailure));
    const timeouts = sum((name) => w.consumer(name).function.stats.timeouts);
    const crashes = sum((name) => w.consumer(name).function.stats.crashes);
    // Events published before the freeze whose effect came after it began: the consumers had them in hand.
    const before = new Set(w.published.filter((p) => p.publishedAtMs < frozenAtMs).map((p) => p.event.id));
    let heldByFreeze = 0;
    for (const consumer of w.consumers) {
      if (!consumer.downstreamTableName) continue;
      for (const effect of (await readEffects(w.clients.dynamodb, consumer.downstreamTableName, before)).values()) if (effect.appliedAtMs > frozenAtMs) heldByFreeze += 1;
    }
    const suppressed = Object.values(report.consumers).reduce((n, c) => n + c.duplicatesSuppressed, 0);
    const row = rowFromReport(`6. broker outage: emulator SIGSTOPped ${FREEZE_SECONDS} s`, report, {
      note:
        `${publishedBeforeFreeze} published before the freeze, ${publishedDuringFreeze} after it began; ` +
        `${result.failed.length} reported failed (after ${PUBLISH_ATTEMPTS} attempts) and republished with their ids, ${takenAnyway.size} of them taken by the broker anyway; ` +
        `consumers: ${batchesAtFreeze} batches running at the freeze, ${heldByFreeze} effects of earlier events held until after it, ${failedAttempts} failed attempts, ${timeouts} invocations timed out, ${crashes} crashed, ${suppressed} duplicate deliveries absorbed; ` +
        `thawed ${Math.round((thawedAtMs - frozenAtMs) / 1000)} s after the freeze`,
    });
    recordRow(row);
    expectNothingLostOrTwice(report, names);
    const all = Object.values(report.consumers);
    expect(all.reduce((n, c) => n + c.deadLettered, 0)).toBe(0);
    expect(all.reduce((n, c) => n + c.applied + c.staleSkipped, 0)).toBe(all.reduce((n, c) => n + c.expected, 0));
    // The fault hit: the freeze fell inside the publishing, made the producer give up on
    // some events, and held up the consumers' work in hand. (A 12 s freeze is mostly
    // absorbed by the consumers' SDK retries, 3 attempts of 5 s; a 20 s one fails records.)
    expect(publishedBeforeFreeze).toBeGreaterThan(0);
    expect(publishedBeforeFreeze).toBeLessThan(events.length);
    expect(result.failed.length).toBeGreaterThan(0);
    expect(heldByFreeze).toBeGreaterThan(0);
  });
});
