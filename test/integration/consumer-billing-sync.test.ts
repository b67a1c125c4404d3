/**
 * billing-sync on a FIFO queue on the emulator: a failure holds back the rest of its
 * message group only, other groups go on, and the held-back group is applied in order
 * on its next delivery.
 */
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { randomUUID } from 'node:crypto';
import { TransientError } from '../../contracts/errors';
import { createBillingPort, type BillingPort } from '../../lambdas/downstream/billing';
import { effectKey, EFFECT_SORT_KEY } from '../../lambdas/downstream/dynamodb-effects';
import { billingSyncHandlers } from '../../lambdas/consumers/billing-sync/apply-change';
import { createConsumerRuntime } from '../../lambdas/kit/runtime';
import type { SubscriptionChangedV1 } from '../../contracts/event-types.generated';
import { emulatorClientConfig } from '../support/aws';
import {
  acknowledge,
  createConsumerWorld,
  createContractRegistry,
  emulatorClients,
  envelopeOf,
  getItem,
  lambdaContext,
  receiveAtLeast,
  receiveMessages,
  sendEnvelope,
  sqsEventOf,
  type ConsumerWorld,
} from './kit-harness';

const clients = emulatorClients();
let world: ConsumerWorld;

beforeAll(async () => {
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');
  const registryName = await createContractRegistry(clients.glue, ['subscription.changed']);
  world = await createConsumerWorld(clients, { consumer: 'billing-sync', registryName, fifo: true });
});

function change(accountId: string, sequence: number, plan: SubscriptionChangedV1['plan']) {
  const data: SubscriptionChangedV1 = { accountId, sequence, action: sequence === 1 ? 'created' : 'upgraded', plan, seats: sequence, effectiveAt: new Date().toISOString() };
  return envelopeOf('subscription.changed', 1, data, { subject: accountId });
}

describe('billing-sync on a FIFO queue', () => {
  it('holds back the rest of a failed message group only, then applies it in order', async () => {
    const runtime = createConsumerRuntime(world.env, { clientConfig: emulatorClientConfig(), backoff: { baseSeconds: 1, random: () => 0.999 } });
    const real = createBillingPort(world.env, runtime.clients);
    const accountA = `acct_${randomUUID().replace(/-/g, '').slice(0, 10)}`;
    const accountB = `acct_${randomUUID().replace(/-/g, '').slice(0, 10)}`;
    // The billing system is briefly unavailable for account A's second change.
    let failuresLeft = 1;
    const flaky: BillingPort = {
      apply: async (data, event) => {
        if (data.accountId === accountA && data.sequence === 2 && failuresLeft > 0) {
          failuresLeft -= 1;
          throw new TransientError('billing API answered 503');
        }
        return real.apply(data, event);
      },
    };
    const handler = runtime.handler(billingSyncHandlers(flaky));

    const a = [change(accountA, 1, 'free'), change(accountA, 2, 'pro'), change(accountA, 3, 'enterprise')];
    const b = [change(accountB, 1, 'free'), change(accountB, 2, 'pro')];
    const ids = new Map<string, string>();
    // Interleaved, as producers would publish them.
    for (const event of [a[0]!, b[0]!, a[1]!, b[1]!, a[2]!]) {
      ids.set(await sendEnvelope(clients.sqs, world.queueUrl, event, { groupId: event.subject }), event.id);
    }

    const messages = await receiveAtLeast(clients.sqs, world.queueUrl, 5);
    expect(messages).toHaveLength(5);
    const batch = sqsEventOf(messages, world.queueArn);
    const response = await handler(batch, lambdaContext('billing-sync'));
    await acknowledge(clients.sqs, world.queueUrl, batch, response);

    // Reported: A's failed change and the one behind it; nothing of B.
    const reported = response.batchItemFailures.map((failure) => ids.get(failure.itemIdentifier));
    expect(reported).toEqual([a[1]!.id, a[2]!.id]);
    const stateA = await getItem(clients.dynamodb, world.downstreamTable, `account#${accountA}`, 'state');
    const stateB = await getItem(clients.dynamodb, world.downstreamTable, `account#${accountB}`, 'state');
    expect(stateA?.changeSequence?.N).toBe('1');
    expect(stateB?.changeSequence?.N).toBe('2');
    expect(await getItem(clients.dynamodb, world.downstreamTable, effectKey(a[2]!.id), EFFECT_SORT_KEY)).toBeUndefined();

    // The held-back group comes back after its backoff, in order, and is applied.
    expect(await receiveMessages(clients.sqs, world.queueUrl)).toEqual([]);
    const retried = await receiveAtLeast(clients.sqs, world.queueUrl, 2, 10_000);
    expect(retried.map((message) => JSON.parse(message.Body!).id)).toEqual([a[1]!.id, a[2]!.id]);
    const retryBatch = sqsEventOf(retried, world.queueArn);
    const retryResponse = await handler(retryBatch, lambdaContext('billing-sync'));
    await acknowledge(clients.sqs, world.queueUrl, retryBatch, retryResponse);
    expect(retryResponse.batchItemFailures).toEqual([]);
    const finalA = await getItem(clients.dynamodb, world.downstreamTable, `account#${accountA}`, 'state');
    expect(finalA?.changeSequence?.N).toBe('3');
    expect(finalA?.plan?.S).toBe('enterprise');
    for (const event of [...a, ...b]) {
      expect((await getItem(clients.dynamodb, world.downstreamTable, effectKey(event.id), EFFECT_SORT_KEY))?.applications?.N).toBe('1');
    }
  });

  it('parks a permanently failing change in the FIFO DLQ with its message group, and the group goes on', async () => {
    const runtime = createConsumerRuntime(world.env, { clientConfig: emulatorClientConfig() });
    const handler = runtime.handler(billingSyncHandlers(createBillingPort(world.env, runtime.clients)));
    const account = `acct_${randomUUID().replace(/-/g, '').slice(0, 10)}`;
    const bad = change(account, 1, 'pro');
    const badBody = { ...bad, data: { ...bad.data, seats: 0 } };
    const good = change(account, 2, 'pro');
    await sendEnvelope(clients.sqs, world.queueUrl, badBody as typeof bad, { groupId: account });
    await sendEnvelope(clients.sqs, world.queueUrl, good, { groupId: account });
    const messages = await receiveAtLeast(clients.sqs, world.queueUrl, 2);
    const batch = sqsEventOf(messages, world.queueArn);
    const response = await handler(batch, lambdaContext('billing-sync'));
    await acknowledge(clients.sqs, world.queueUrl, batch, response);
    expect(response.batchItemFailures).toEqual([]);
    const [dead] = await receiveAtLeast(clients.sqs, world.dlqUrl, 1);
    expect(JSON.parse(dead!.Body!).id).toBe(bad.id);
    expect(dead!.Attributes?.MessageGroupId).toBe(account);
    expect((await getItem(clients.dynamodb, world.downstreamTable, `account#${account}`, 'state'))?.changeSequence?.N).toBe('2');
  });
});
