/**
 * Fault 11, load: the demo workload (sign-ups, profile updates, subscription changes,
 * duplicates, out-of-order pairs, invalid events) at the rate the emulator sustains,
 * 10,000 events in the full run. Reports events/s and end-to-end latency, and each
 * consumer process's resident memory at an early checkpoint and at the end: it must not
 * grow with the number of events (a consumer that keeps per-event state would).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planWorkload } from '../../local/demo-workload';
import { DEFAULT_RATE } from '../../local/start';
import { recordRow, rowFromReport } from './support/results';
import { size } from './support/scale';
import { environmentPids, residentKiB, startWorld, type World } from './support/world';

const EVENTS = size(300, 10_000);
/** Where the early memory reading is taken: 1,000 events in the full run. */
const CHECKPOINT = size(100, 1_000);
/** Memory may settle (JIT, caches warming) but not grow with the count: at most this much above the checkpoint. */
const MAX_GROWTH = 1.25;

let world: World;
beforeAll(async () => {
  world = await startWorld();
});
afterAll(async () => {
  await world?.stop();
});

/** The largest resident set among each consumer's live environments, MiB. */
function residentMiB(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const consumer of world.consumers) {
    const sizes = environmentPids(world, consumer.name).map((pid) => residentKiB(pid)?.rss ?? 0);
    out[consumer.name] = Math.round(Math.max(0, ...sizes) / 1024);
  }
  return out;
}

/** Publishing alone takes EVENTS / rate seconds (11 minutes for 10,000); then the drains. */
const TEST_TIMEOUT_MS = (EVENTS / DEFAULT_RATE) * 1000 * 2 + 300_000;

describe('load', () => {
  it(`handles ${EVENTS} events at ${DEFAULT_RATE}/s with every event accounted for and flat memory`, async () => {
    const plan = planWorkload({ events: EVENTS, seed: 99 });
    const early = plan.slice(0, CHECKPOINT);
    const late = plan.slice(CHECKPOINT);
    const started = Date.now();
    const first = await world.publishPlan(early, DEFAULT_RATE);
    await world.drain(300_000);
    const atCheckpoint = residentMiB();
    const second = await world.publishPlan(late, DEFAULT_RATE);
    await world.drain(600_000);
    const atEnd = residentMiB();
    const report = await world.report();
    const lastEffect = Math.max(
      ...[...(await world.observe()).values()].flatMap((o) => [...o.effects.values()].map((e) => e.appliedAtMs)),
    );
    const seconds = (lastEffect - started) / 1000;
    const throughput = report.published / seconds;
    const memory = world.consumers.map((c) => `${c.name} ${atCheckpoint[c.name]}->${atEnd[c.name]} MiB`).join(', ');
    recordRow(
      rowFromReport(`11. load: ${EVENTS} demo events at ${DEFAULT_RATE}/s`, report, {
        note: `${throughput.toFixed(1)} events/s; p50/p95/p99 ${report.latencyMs.p50}/${report.latencyMs.p95}/${report.latencyMs.p99} ms; RSS at ${CHECKPOINT}->${EVENTS}: ${memory}`,
      }),
    );
    expect([...first.failed, ...second.failed]).toEqual([]);
    for (const [name, c] of Object.entries(report.consumers)) {
      expect({ name, lost: c.lost, duplicateEffects: c.duplicateEffects, validDeadLettered: c.problems.validDeadLettered, invalidNotDeadLettered: c.problems.invalidNotDeadLettered }).toEqual({
        name,
        lost: 0,
        duplicateEffects: 0,
        validDeadLettered: [],
        invalidNotDeadLettered: [],
      });
    }
    for (const consumer of world.consumers) {
      expect(atEnd[consumer.name], `${consumer.name}: ${memory}`).toBeLessThanOrEqual(Math.ceil(atCheckpoint[consumer.name]! * MAX_GROWTH));
    }
  }, TEST_TIMEOUT_MS);
});
