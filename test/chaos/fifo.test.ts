/**
 * Fault 9, FIFO: billing-sync applies each account's subscription changes in `sequence`
 * order (the account is the message group) while its downstream fails transiently (each
 * failure holds the rest of the group back behind a backoff), some writes fail after
 * they were committed (the retry finds them applied), and its processes are SIGKILLed
 * mid-batch (the whole batch comes back after the visibility timeout).
 *
 * Counted from the outside: every change applied once (effect log), in order per account
 * (effect-log `appliedAt`), none skipped as stale (the ordering guard would refuse a change
 * that arrived after a newer one, so a stale skip is an order violation FIFO let through),
 * and each account's state is its last change.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsumerEnv } from '../../contracts/consumer-environment';
import { ChaosEnv } from '../../lambdas/downstream/chaos';
import { STATE_SORT_KEY } from '../../lambdas/downstream/dynamodb-effects';
import { KitMetric } from '../../lambdas/kit/telemetry';
import { DemoKind, type PlannedEvent } from '../../local/demo-workload';
import { describeProblems } from '../../local/report';
import { recordRow, rowFromReport } from './support/results';
import { size } from './support/scale';
import { killMidBatch, recordInvocations, startWorld, writtenThenKilled, type World } from './support/world';

const CONSUMER = 'billing-sync';
const ACCOUNTS = size(6, 20);
const CHANGES_PER_ACCOUNT = size(10, 20);
const KILLS = size(3, 8);
const TRANSIENT_RATE = 0.3;
const AFTER_WRITE_RATE = 0.1;
const RATE = 20;
const VISIBILITY_TIMEOUT_SECONDS = 8;
const FUNCTION_TIMEOUT_SECONDS = 6;
/** How long the downstream misbehaves, counted from the start of publishing. */
const WINDOW_MS = size(20_000, 60_000);

/**
 * Runs of subscription changes, `perAccount` per account in sequence from 1, the accounts
 * interleaved at random (seeded): what a billing system emits, and long enough runs that
 * a retry or a kill in the middle of one has later changes of the same account waiting.
 */
function accountChanges(accounts: number, perAccount: number, seed: number): PlannedEvent[] {
  let state = seed >>> 0;
  const random = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const tag = Math.random().toString(36).slice(2, 8).padEnd(6, '0');
  const plans = ['free', 'pro', 'enterprise'] as const;
  const runs = Array.from({ length: accounts }, (_, i) => ({ accountId: `acct_${tag}${String(i + 1).padStart(4, '0')}`, sequence: 0, plan: 'free' as (typeof plans)[number] }));
  const events: PlannedEvent[] = [];
  while (events.length < accounts * perAccount) {
    const open = runs.filter((r) => r.sequence < perAccount);
    const run = open[Math.floor(random() * open.length)]!;
    run.sequence += 1;
    const action = run.sequence === 1 ? 'created' : (['upgraded', 'downgraded', 'cancelled'] as const)[Math.floor(random() * 3)]!;
    run.plan = action === 'upgraded' ? (run.plan === 'free' ? 'pro' : 'enterprise') : action === 'downgraded' ? 'free' : run.plan;
    events.push({
      kind: DemoKind.Valid,
      id: crypto.randomUUID(),
      type: 'subscription.changed',
      version: 1,
      subject: run.accountId,
      data: {
        accountId: run.accountId,
        sequence: run.sequence,
        action,
        plan: run.plan,
        seats: 1 + Math.floor(random() * 50),
        effectiveAt: new Date(Date.UTC(2026, 10, 28, 9, 0) + run.sequence * 60_000).toISOString(),
      },
      via: 'publisher',
      valid: true,
    });
  }
  return events;
}

let world: World;
beforeAll(async () => {
  // The window is fixed before the consumer starts: it opens now and closes about
  // WINDOW_MS after publishing begins (a world starts in some 10 s).
  const until = new Date(Date.now() + 10_000 + WINDOW_MS).toISOString();
  world = await startWorld({
    consumers: [CONSUMER],
    visibilityTimeoutSeconds: VISIBILITY_TIMEOUT_SECONDS,
    functionTimeoutSeconds: FUNCTION_TIMEOUT_SECONDS,
    environment: {
      [CONSUMER]: {
        [ChaosEnv.TransientFailureRate]: String(TRANSIENT_RATE),
        [ChaosEnv.FailAfterWriteRate]: String(AFTER_WRITE_RATE),
        [ChaosEnv.TransientFailureUntil]: until,
        // A downstream slower than the publishing, so that groups queue up and batches of
        // several changes run long enough to be killed half-way.
        [ChaosEnv.WriteDelayMs]: '80',
        // Backoff in seconds rather than tens of seconds, and a budget no retry here can
        // spend: a change dead-lettered out of its run would be an order violation of its own.
        [ConsumerEnv.RetryBaseDelaySeconds]: '1',
        [ConsumerEnv.RetryMaxDelaySeconds]: '4',
        [ConsumerEnv.RetryBudgetSeconds]: '900',
      },
    },
  });
});
afterAll(async () => {
  await world?.stop();
});

describe('9. FIFO: order per message group', () => {
  it(`applies ${ACCOUNTS} accounts' runs of ${CHANGES_PER_ACCOUNT} changes in order under transient failures and ${KILLS} kills`, async () => {
    const events = accountChanges(ACCOUNTS, CHANGES_PER_ACCOUNT, 9);
    const consumer = world.consumer(CONSUMER);
    const invocations = recordInvocations(consumer);
    const publishing = world.publishPlan(events, RATE);
    const killDeadline = Date.now() + (events.length / RATE) * 1000 + KILLS * (VISIBILITY_TIMEOUT_SECONDS + 4) * 1000;
    const kills = await killMidBatch(world, CONSUMER, invocations, KILLS, killDeadline);
    const published = await publishing;
    expect(published.failed).toEqual([]);
    await world.drain(size(150_000, 400_000));

    const report = await world.report();
    const effects = (await world.observe()).get(CONSUMER)!.effects;
    const c = report.consumers[CONSUMER]!;
    const transientFailures = consumer.telemetry.metric(KitMetric.TransientFailure);
    const crashes = consumer.function.stats.crashes;
    const written = writtenThenKilled(invocations, effects);

    // Per account: the changes in the order they were applied, and the state left.
    const byAccount = new Map<string, PlannedEvent[]>();
    for (const e of events) byAccount.set(e.subject, [...(byAccount.get(e.subject) ?? []), e]);
    const staleIds = (await world.observe()).get(CONSUMER)!.staleIds;
    const outOfOrder: string[] = [];
    const skippedAsStale: string[] = [];
    const wrongFinalState: string[] = [];
    // Each change's effect-log item complete and applied exactly once (0 would be an
    // item without its application: a write half lost).
    const notOnce = events.filter((e) => effects.get(e.id)?.applications !== 1 || !effects.get(e.id)?.appliedAtMs).map((e) => `${e.subject}#${e.data.sequence}: ${JSON.stringify(effects.get(e.id))}`);
    for (const [accountId, changes] of byAccount) {
      const appliedOrder = changes
        .filter((e) => effects.has(e.id))
        .sort((a, b) => effects.get(a.id)!.appliedAtMs - effects.get(b.id)!.appliedAtMs)
        .map((e) => e.data.sequence as number);
      const sorted = [...appliedOrder].sort((a, b) => a - b);
      if (appliedOrder.join() !== sorted.join()) outOfOrder.push(`${accountId}: ${appliedOrder.join(',')}`);
      const stale = changes.filter((e) => staleIds.has(e.id)).map((e) => e.data.sequence);
      if (stale.length > 0) skippedAsStale.push(`${accountId}: ${stale.join(',')} of ${changes.length} skipped as stale`);
      const { Item } = await world.clients.dynamodb.send(
        new GetItemCommand({ TableName: consumer.downstreamTableName!, Key: { pk: { S: `account#${accountId}` }, sk: { S: STATE_SORT_KEY } }, ConsistentRead: true }),
      );
      const last = changes.at(-1)!;
      if (Item?.changeSequence?.N !== String(last.data.sequence) || Item?.lastEventId?.S !== last.id) {
        wrongFinalState.push(`${accountId}: sequence ${Item?.changeSequence?.N} (last event ${Item?.lastEventId?.S}), expected ${last.data.sequence} (${last.id})`);
      }
    }

    recordRow(
      rowFromReport('9. FIFO: order per account under retries and kills', report, {
        consumers: [CONSUMER],
        note:
          `${ACCOUNTS} accounts x ${CHANGES_PER_ACCOUNT} changes; ${transientFailures} transient failures, ${kills} kills (${crashes} batches killed, ` +
          `${written.length} changes written then killed); ${outOfOrder.length} accounts out of order, ${c.staleSkipped} stale`,
      }),
    );

    expect(describeProblems(report)).toEqual([]);
    expect({ lost: c.lost, duplicateEffects: c.duplicateEffects, deadLettered: c.deadLettered }).toEqual({ lost: 0, duplicateEffects: 0, deadLettered: 0 });
    // In order: every change applied (none refused as older than its account's state) ...
    expect(skippedAsStale).toEqual([]);
    expect(c.staleSkipped).toBe(0);
    expect(c.applied).toBe(events.length);
    expect(notOnce).toEqual([]);
    // ... each account's changes applied in sequence, and its state is its last change.
    expect(outOfOrder).toEqual([]);
    expect(wrongFinalState).toEqual([]);

    // The faults hit: retries held groups back, and kills cut batches short, some after
    // writing changes that then came back and were not applied again.
    expect(transientFailures).toBeGreaterThan(0);
    expect(c.retried).toBeGreaterThan(0);
    expect(kills).toBe(KILLS);
    expect(crashes).toBeGreaterThan(0);
    for (const w of written) expect({ ...w, redelivered: w.redeliveries > 0 }).toEqual({ ...w, redelivered: true, applications: 1 });
  });
});
