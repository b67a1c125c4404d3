/**
 * Fault 1, duplicates: every event published five times at once (a producer's
 * concurrent retries, same id), and then SQS redelivering messages that were already
 * applied (a copy of each put back on its queue, as at-least-once delivery may). Each
 * must be applied exactly once: counted from the downstream effect logs.
 */
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DemoKind, planWorkload, type PlannedEvent } from '../../local/demo-workload';
import { expectedEvents } from '../../local/report';
import { recordRow, rowFromReport } from './support/results';
import { size } from './support/scale';
import { startWorld, type World } from './support/world';

const EVENTS = size(12, 60);
const COPIES = 5;

let world: World;
beforeAll(async () => {
  world = await startWorld();
});
afterAll(async () => {
  await world?.stop();
});

describe('duplicates', () => {
  it(`applies each of ${EVENTS} events once although each is published ${COPIES} times at once and then redelivered by SQS`, async () => {
    const plan = planWorkload({ events: 200, seed: 11 });
    const signUps = plan.filter((e) => e.kind === DemoKind.Valid && e.type === 'user.signed-up').slice(0, EVENTS);
    const changes = plan.filter((e) => e.kind === DemoKind.Valid && e.type === 'subscription.changed').slice(0, Math.ceil(EVENTS / 4));
    const events: PlannedEvent[] = [...signUps, ...changes];
    // Each event's copies at once, the events one after another: an account's changes in
    // their sequence, as their producer publishes them (concurrent changes of one account
    // would arrive out of order, and the older ones be skipped as stale, rightly).
    const accepted: number[] = [];
    for (const event of events) accepted.push(await world.publishConcurrently(event, COPIES));
    expect(accepted.every((n) => n === COPIES)).toBe(true);
    await world.drain(120_000);

    // SQS redelivery: the same message again on each queue, after it was applied.
    let redelivered = 0;
    for (const consumer of world.consumers) {
      // What SNS delivered to this queue: its filter policy applied, one message per event.
      const { valid } = expectedEvents(world.published, consumer.target);
      const seen = new Set<string>();
      for (const publication of world.published) {
        if (!valid.has(publication.event.id) || seen.has(publication.event.id)) continue;
        seen.add(publication.event.id);
        const fifo = consumer.queueUrl.endsWith('.fifo');
        await world.clients.sqs.send(
          new SendMessageCommand({
            QueueUrl: consumer.queueUrl,
            MessageBody: publication.message.body,
            MessageAttributes: Object.fromEntries(
              Object.entries(publication.message.attributes ?? {}).map(([name, a]) => [name, { DataType: a.DataType, StringValue: a.StringValue }]),
            ),
            // A FIFO queue deduplicates a resend of the same id within 5 minutes; a new
            // deduplication id makes it a real second delivery.
            ...(fifo && { MessageGroupId: publication.event.subject, MessageDeduplicationId: `${publication.event.id}-again-${redelivered}` }),
          }),
        );
        redelivered += 1;
      }
    }
    await world.drain(120_000);

    const report = await world.report();
    recordRow(rowFromReport('1. duplicates: 5 concurrent publishes + SQS redelivery', report, { note: `${redelivered} redelivered copies` }));
    for (const [name, c] of Object.entries(report.consumers)) {
      expect({ name, lost: c.lost, duplicateEffects: c.duplicateEffects, unexpected: c.problems.unexpected }).toEqual({ name, lost: 0, duplicateEffects: 0, unexpected: [] });
    }
    const total = Object.values(report.consumers);
    // Every expected event applied (none of these is stale or invalid), and the extra
    // deliveries were absorbed, not applied.
    expect(total.reduce((n, c) => n + c.applied, 0)).toBe(total.reduce((n, c) => n + c.expected, 0));
    expect(total.reduce((n, c) => n + c.deadLettered, 0)).toBe(0);
    expect(total.reduce((n, c) => n + c.duplicatesSuppressed, 0)).toBeGreaterThan(0);
  });
});
