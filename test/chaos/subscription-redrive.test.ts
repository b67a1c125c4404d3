/**
 * Fault 10, SNS could not deliver to a consumer's queue: with raw message delivery (every
 * Fanout subscription) SNS parks such a message in the subscription's DLQ as the raw
 * envelope with its message attributes as SQS attributes. The emulator never uses
 * subscription DLQs, so the test puts that exact shape there, some of the events also
 * already delivered (SNS retried and gave up on an answer it never got), and redrives it
 * with the real `fanout redrive --subscription` process. Each event is applied once.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DemoKind, planWorkload, publicationOf, type PlannedEvent } from '../../local/demo-workload';
import { PROJECT_ROOT } from '../../local/emulator';
import { OutputKey } from '../../model/stack-outputs';
import { queueDepth } from '../../ops/adapters/sqs-dead-letters';
import { recordRow, rowFromReport } from './support/results';
import { size } from './support/scale';
import { PIPELINE, startWorld, type World } from './support/world';

const EVENTS = size(20, 100);

let world: World;
beforeAll(async () => {
  world = await startWorld({ consumers: ['crm-sync'] });
});
afterAll(async () => {
  await world?.stop();
});

describe('subscription-DLQ redrive', () => {
  it(`redrives ${EVENTS} raw-delivered messages from the subscription DLQ and applies each once`, async () => {
    const plan = planWorkload({ events: EVENTS * 3, seed: 31 }).filter((e) => e.kind === DemoKind.Valid && (e.type === 'user.signed-up' || e.type === 'user.profile-updated'));
    const events = plan.slice(0, EVENTS);
    // A quarter of them SNS did deliver (its answer was lost, it retried and parked them too).
    const delivered = events.filter((_, i) => i % 4 === 0);
    expect((await world.publishPlan(delivered, 50)).failed).toEqual([]);
    await world.drain(120_000);

    // What SNS accepted for the others, as publishPlan records it; then the shape AWS writes
    // into the subscription DLQ for every one of them.
    const accepted = world.published.slice();
    const undelivered = events.filter((e) => !delivered.includes(e));
    const shapes = recordWithoutDelivering(world, undelivered);
    const subscriptionDlqUrl = world.outputs[OutputKey.subscriptionDlqUrl('crm-sync')]!;
    const parked = [...shapes, ...accepted.map((p) => p.message)];
    for (let i = 0; i < parked.length; i += 10) {
      const response = await world.clients.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: subscriptionDlqUrl,
          Entries: parked.slice(i, i + 10).map((message, j) => ({
            Id: String(j),
            MessageBody: message.body,
            MessageAttributes: Object.fromEntries(Object.entries(message.attributes ?? {}).map(([name, a]) => [name, { DataType: a.DataType, StringValue: a.StringValue }])),
          })),
        }),
      );
      expect(response.Failed ?? []).toEqual([]);
    }

    const outputsFile = join(mkdtempSync(join(tmpdir(), 'fanout-chaos-')), 'outputs.json');
    writeFileSync(outputsFile, JSON.stringify({ [PIPELINE.name]: world.outputs }));
    const redrive = spawnSync(process.execPath, [join(PROJECT_ROOT, 'bin', 'fanout.mjs'), 'redrive', 'crm-sync', '--subscription', '--outputs-file', outputsFile, '--json'], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, AWS_ENDPOINT_URL: world.emulator.endpoint, AWS_REGION: world.stack.region, AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' },
    });
    expect(redrive.status, `${redrive.stdout}\n${redrive.stderr}`).toBe(0);
    const moved = (JSON.parse(redrive.stdout) as { moved: number }).moved;
    expect(moved).toBe(parked.length);
    await world.drain(120_000);

    const depth = await queueDepth(world.clients.sqs, subscriptionDlqUrl);
    const report = await world.report();
    const c = report.consumers['crm-sync']!;
    recordRow(
      rowFromReport('10. subscription DLQ (raw-delivery shape), redriven', report, {
        consumers: ['crm-sync'],
        redriven: moved,
        note: `${delivered.length} of ${EVENTS} had also been delivered`,
      }),
    );
    expect(depth.visible + depth.inFlight).toBe(0);
    expect({ lost: c.lost, duplicateEffects: c.duplicateEffects, deadLettered: c.deadLettered, applied: c.applied + c.staleSkipped }).toEqual({
      lost: 0,
      duplicateEffects: 0,
      deadLettered: 0,
      applied: EVENTS,
    });
  });
});

/**
 * Records `events` as accepted by SNS (they were: delivery to the queue failed) without
 * delivering them, and returns the messages SNS would have sent.
 */
function recordWithoutDelivering(w: World, events: readonly PlannedEvent[]) {
  const time = new Date();
  return events.map((event) => {
    const publication = publicationOf(event, time, w.topicArnFor(event.type));
    w.published.push(publication);
    return publication.message;
  });
}
