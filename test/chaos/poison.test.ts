/**
 * Fault 7, poison input: messages no consumer can apply, published through SNS in the
 * same batches as valid events, routed to crm-sync by their attributes as a careless
 * producer would: not JSON, a JSON array, a wrong specversion, an unknown event type, an
 * unknown contract version, and a body near SNS's 256 KiB limit that breaks its contract.
 * Each must end in the DLQ with its reason (and fit there with it), and the valid events
 * of the same batches must all be applied, once.
 */
import { PublishBatchCommand, type PublishBatchRequestEntry } from '@aws-sdk/client-sns';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEnvelope, MessageAttribute } from '../../contracts/envelope';
import { FailureAttribute } from '../../contracts/failure-context';
import { DemoKind, planWorkload } from '../../local/demo-workload';
import { peekMessages } from '../../ops/adapters/sqs-dead-letters';
import { recordRow, rowFromReport } from './support/results';
import { size } from './support/scale';
import { startWorld, type World } from './support/world';

const ROUNDS = size(2, 5);

let world: World;
beforeAll(async () => {
  world = await startWorld({ consumers: ['crm-sync'] });
});
afterAll(async () => {
  await world?.stop();
});

/** One poison message: its raw body, the attributes that route it, what the DLQ must say. */
interface Poison {
  readonly name: string;
  readonly body: string;
  readonly expectedError: string;
}

function poisons(round: number): Poison[] {
  const userId = `usr_poison${String(round).padStart(4, '0')}`;
  const valid = (overrides: Record<string, unknown> = {}, data: Record<string, unknown> = {}) => ({
    ...createEnvelope({
      type: 'user.signed-up',
      version: 2,
      data: { userId, email: 'eve@example.com', name: 'Eve', plan: 'pro', signedUpAt: '2026-12-01T10:00:00Z', ...data },
      subject: userId,
      source: 'urn:chaos:poison',
      id: randomUUID(),
      correlationId: randomUUID(),
      time: new Date(),
    }),
    ...overrides,
  });
  // Just under SNS's 256 KiB with its attributes: a name 1,200 times longer than the contract allows.
  const huge = JSON.stringify(valid({}, { name: 'x'.repeat(240_000) }));
  return [
    { name: 'not JSON', body: 'this is not json {', expectedError: 'InvalidEnvelopeError' },
    { name: 'a JSON array', body: JSON.stringify([valid()]), expectedError: 'InvalidEnvelopeError' },
    { name: 'wrong specversion', body: JSON.stringify(valid({ specversion: '0.3' })), expectedError: 'InvalidEnvelopeError' },
    {
      name: 'unknown type',
      body: JSON.stringify(valid({ type: 'user.deleted', dataschema: 'urn:fanout:contract:user.deleted:v1' })),
      expectedError: 'UnhandledEventTypeError',
    },
    { name: 'unknown version', body: JSON.stringify(valid({ dataschema: 'urn:fanout:contract:user.signed-up:v99' })), expectedError: 'UnknownContractError' },
    { name: 'near the size limit, contract broken', body: huge, expectedError: 'ContractViolationError' },
  ];
}

describe('poison input', () => {
  it('parks every poison message in the DLQ with its reason and applies the rest of its batch', async () => {
    const topicArn = world.topicArnFor('user.signed-up');
    const plan = planWorkload({ events: 200, seed: 23 }).filter((e) => e.kind === DemoKind.Valid && e.type === 'user.signed-up');
    const sent: Poison[] = [];
    let validSent = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const batch = poisons(round);
      // Four valid sign-ups in the same PublishBatch (and so, mostly, the same SQS batch).
      const validEvents = plan.slice(round * 4, round * 4 + 4);
      const entries: PublishBatchRequestEntry[] = batch.map((p, i) => ({
        Id: `p${i}`,
        Message: p.body,
        // Routed as a sign-up whatever the body says: the filter policy reads attributes only.
        MessageAttributes: { [MessageAttribute.Type]: { DataType: 'String', StringValue: 'user.signed-up' } },
      }));
      // The near-limit one alone: PublishBatch caps a whole request at 256 KiB.
      const [big] = entries.splice(-1, 1);
      for (const request of [entries, [big!]]) {
        const response = await world.clients.sns.send(new PublishBatchCommand({ TopicArn: topicArn, PublishBatchRequestEntries: request }));
        expect(response.Failed ?? []).toEqual([]);
      }
      sent.push(...batch);
      const published = await world.publishPlan(validEvents, 100);
      expect(published.failed).toEqual([]);
      validSent += validEvents.length;
    }
    await world.drain(180_000);

    const crm = world.consumer('crm-sync');
    const letters = await peekMessages(world.clients.sqs, crm.deadLetterQueueUrl!, Number.POSITIVE_INFINITY);
    const reasonOf = (body: string) => letters.find((m) => m.Body === body)?.MessageAttributes?.[FailureAttribute.ErrorName]?.StringValue;
    const missing = sent.filter((p) => reasonOf(p.body) === undefined).map((p) => p.name);
    expect(missing).toEqual([]);
    expect(Object.fromEntries(sent.map((p) => [p.name, reasonOf(p.body)]))).toEqual(Object.fromEntries(sent.map((p) => [p.name, p.expectedError])));
    // The huge one kept its whole body next to its reason.
    expect(letters.find((m) => m.Body === sent.at(-1)!.body)?.Body?.length).toBe(sent.at(-1)!.body.length);

    const report = await world.report();
    const c = report.consumers['crm-sync']!;
    recordRow({
      ...rowFromReport('7. poison input: 6 kinds in batches of valid events', report, { consumers: ['crm-sync'] }),
      events: report.published + sent.length,
      deadLettered: letters.length,
      reasons: letters.reduce<Record<string, number>>((counts, m) => {
        const name = m.MessageAttributes?.[FailureAttribute.ErrorName]?.StringValue ?? 'redrive policy';
        return { ...counts, [name]: (counts[name] ?? 0) + 1 };
      }, {}),
      note: `${sent.length} poison, ${validSent} valid`,
    });
    expect(letters.length).toBe(sent.length);
    expect({ lost: c.lost, duplicateEffects: c.duplicateEffects, applied: c.applied, deadLettered: c.deadLettered }).toEqual({
      lost: 0,
      duplicateEffects: 0,
      applied: validSent,
      deadLettered: 0,
    });
  });
});
