/**
 * Fault 8, out-of-order updates of one subject: each user's profile revisions published
 * shuffled, some twice, while crm-sync's downstream fails a share of its writes before
 * and after committing them (so retries reorder them further). Whatever the order of
 * arrival, each contact must end with its newest revision: the ordering guard refuses
 * an older state, as one conditional write with the effect log.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DemoKind, type PlannedEvent } from '../../local/demo-workload';
import { STATE_SORT_KEY } from '../../lambdas/downstream/dynamodb-effects';
import { recordRow, rowFromReport } from './support/results';
import { size } from './support/scale';
import { startWorld, type World } from './support/world';

const USERS = size(4, 12);
const REVISIONS = size(8, 20);

let world: World;
beforeAll(async () => {
  world = await startWorld({
    consumers: ['crm-sync'],
    chaos: { consumer: 'crm-sync', rate: 0.2, afterWriteRate: 0.1, until: new Date(Date.now() + 10 * 60_000) },
    // Retries come back within seconds, not the default 10 s doubling, so reordering happens within the test.
    environment: { 'crm-sync': { FANOUT_RETRY_BASE_DELAY_SECONDS: '1', FANOUT_RETRY_MAX_DELAY_SECONDS: '3' } },
  });
});
afterAll(async () => {
  await world?.stop();
});

/** A seeded shuffle, so a failure can be replayed. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let state = seed;
  for (let i = out.length - 1; i > 0; i--) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('out-of-order updates', () => {
  it(`keeps the newest of ${REVISIONS} shuffled revisions for each of ${USERS} users`, async () => {
    const users = Array.from({ length: USERS }, (_, i) => `usr_order${Date.now().toString(36)}${i}`);
    const signUps: PlannedEvent[] = users.map((userId) => ({
      kind: DemoKind.Valid,
      id: randomUUID(),
      type: 'user.signed-up',
      version: 2,
      subject: userId,
      data: { userId, email: `${userId}@example.com`, name: 'First Name', plan: 'free', signedUpAt: '2026-12-01T09:00:00Z', marketingOptIn: false },
      via: 'publisher',
      valid: true,
    }));
    const updates: PlannedEvent[] = users.flatMap((userId) =>
      Array.from({ length: REVISIONS }, (_, r) => ({
        kind: DemoKind.Valid,
        id: randomUUID(),
        type: 'user.profile-updated' as const,
        version: 1,
        subject: userId,
        data: { userId, revision: r + 1, name: `Name at revision ${r + 1}`, updatedAt: new Date(Date.UTC(2026, 11, 1, 10, r)).toISOString() },
        via: 'publisher' as const,
        valid: true,
      })),
    );
    // Each user's revisions in a shuffled order, every fifth one published twice.
    const order = shuffled([...updates, ...updates.filter((_, i) => i % 5 === 0)], 7);
    await world.publishPlan(signUps, 50);
    const result = await world.publishPlan(order, 20);
    expect(result.failed).toEqual([]);
    await world.drain(180_000);

    const crm = world.consumer('crm-sync');
    const finals: Record<string, unknown> = {};
    for (const userId of users) {
      const item = await world.clients.dynamodb.send(
        new GetItemCommand({ TableName: crm.downstreamTableName!, Key: { pk: { S: `contact#${userId}` }, sk: { S: STATE_SORT_KEY } }, ConsistentRead: true }),
      );
      finals[userId] = { sequence: Number(item.Item?.sequence?.N), name: item.Item?.name?.S, email: item.Item?.email?.S, plan: item.Item?.plan?.S };
    }
    const report = await world.report();
    const c = report.consumers['crm-sync']!;
    recordRow(
      rowFromReport(`8. out-of-order: ${REVISIONS} revisions x ${USERS} users, shuffled, 20% + 10% failing writes`, report, {
        consumers: ['crm-sync'],
        note: `${c.staleSkipped} stale skipped, ${c.retried} retried`,
      }),
    );
    expect(finals).toEqual(
      Object.fromEntries(
        users.map((userId) => [userId, { sequence: REVISIONS, name: `Name at revision ${REVISIONS}`, email: `${userId}@example.com`, plan: 'free' }]),
      ),
    );
    expect({ lost: c.lost, duplicateEffects: c.duplicateEffects, deadLettered: c.deadLettered, contradictory: c.problems.contradictory }).toEqual({
      lost: 0,
      duplicateEffects: 0,
      deadLettered: 0,
      contradictory: [],
    });
    // The shuffle did its work: some revisions arrived after a newer one.
    expect(c.staleSkipped).toBeGreaterThan(0);
    expect(c.applied + c.staleSkipped).toBe(c.expected);
  });
});
