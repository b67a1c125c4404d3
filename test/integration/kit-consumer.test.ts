/**
 * The kit end to end on the emulator: real SQS queues, a real DynamoDB persistence
 * layer for idempotency, the DynamoDB downstream, and contracts resolved from a Glue
 * registry through GlueContractResolver.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { randomUUID } from 'node:crypto';
import { createContactsPort } from '../../lambdas/downstream/contacts';
import { ConsumerEnv } from '../../contracts/consumer-environment';
import { ChaosEnv } from '../../lambdas/downstream/chaos';
import { effectKey, EFFECT_SORT_KEY } from '../../lambdas/downstream/dynamodb-effects';
import { crmSyncHandlers } from '../../lambdas/consumers/crm-sync/sync-contact';
import { FailureAttribute } from '../../lambdas/kit/failure-context';
import { createConsumerRuntime } from '../../lambdas/kit/runtime';
import { backoffCeilingSeconds } from '../../lambdas/kit/backoff';
import { emulatorClientConfig } from '../support/aws';
import {
  acknowledge,
  contractExample,
  createConsumerWorld,
  createContractRegistry,
  emulatorClients,
  envelopeOf,
  getItem,
  lambdaContext,
  receiveAtLeast,
  receiveMessages,
  scanAll,
  sendEnvelope,
  sqsEventOf,
  type ConsumerWorld,
} from './kit-harness';

const clients = emulatorClients();
let registryName: string;

beforeAll(async () => {
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');
  registryName = await createContractRegistry(clients.glue, ['user.signed-up', 'user.profile-updated']);
});

afterAll(() => {
  vi.unstubAllEnvs();
});

function crmSyncHandler(world: ConsumerWorld, backoff?: { baseSeconds?: number; random: () => number }) {
  const runtime = createConsumerRuntime(world.env, { clientConfig: emulatorClientConfig(), ...(backoff && { backoff }) });
  return runtime.handler(crmSyncHandlers(createContactsPort(world.env, runtime.clients)));
}

async function invokeOnce(world: ConsumerWorld, handler: ReturnType<typeof crmSyncHandler>, expected: number, functionName = 'crm-sync') {
  const messages = await receiveAtLeast(clients.sqs, world.queueUrl, expected);
  expect(messages).toHaveLength(expected);
  const event = sqsEventOf(messages, world.queueArn);
  const response = await handler(event, lambdaContext(functionName));
  await acknowledge(clients.sqs, world.queueUrl, event, response);
  return { event, response };
}

describe('consumer kit on the emulator', () => {
  it('applies an event delivered twice under two SQS message ids exactly once', async () => {
    const world = await createConsumerWorld(clients, { consumer: 'crm-sync', registryName });
    const handler = crmSyncHandler(world);
    const signUp = envelopeOf('user.signed-up', 2, contractExample('user.signed-up', 2), { subject: 'usr_9f2c1a7b' });
    const firstId = await sendEnvelope(clients.sqs, world.queueUrl, signUp);
    const secondId = await sendEnvelope(clients.sqs, world.queueUrl, signUp);
    expect(firstId).not.toBe(secondId);

    // Two separate invocations, as two deliveries would be.
    const first = await invokeOnce(world, handler, 1);
    const second = await invokeOnce(world, handler, 1);
    expect(first.response.batchItemFailures).toEqual([]);
    expect(second.response.batchItemFailures).toEqual([]);

    const effect = await getItem(clients.dynamodb, world.downstreamTable, effectKey(signUp.id), EFFECT_SORT_KEY);
    expect(effect?.applications?.N).toBe('1');
    const contact = await getItem(clients.dynamodb, world.downstreamTable, 'contact#usr_9f2c1a7b', 'state');
    expect(contact?.email?.S).toBe('ada@example.com');
    // One idempotency record, completed, with an expiry ~15 days out.
    const records = await scanAll(clients.dynamodb, world.idempotencyTable);
    expect(records).toHaveLength(1);
    expect(records[0]!.status?.S).toBe('COMPLETED');
    const expiresInDays = (Number(records[0]!.expiration?.N) - Date.now() / 1000) / 86_400;
    expect(expiresInDays).toBeGreaterThan(14.9);
    expect(await receiveMessages(clients.sqs, world.queueUrl)).toEqual([]);
  });

  it('remembers applied events across a renamed or replaced function: the key is the consumer, not the function', async () => {
    const world = await createConsumerWorld(clients, { consumer: 'crm-sync', registryName });
    const signUp = envelopeOf('user.signed-up', 2, contractExample('user.signed-up', 2), { subject: 'usr_9f2c1a7b' });
    await sendEnvelope(clients.sqs, world.queueUrl, signUp);
    await sendEnvelope(clients.sqs, world.queueUrl, signUp);

    // The deployed function, then its replacement under a new name (Powertools reads the name at start).
    vi.stubEnv('AWS_LAMBDA_FUNCTION_NAME', 'fanout-sample-CrmSyncFunction-AAAA');
    const before = crmSyncHandler(world);
    expect((await invokeOnce(world, before, 1, 'fanout-sample-CrmSyncFunction-AAAA')).response.batchItemFailures).toEqual([]);
    vi.stubEnv('AWS_LAMBDA_FUNCTION_NAME', 'fanout-sample-CrmSyncFunction-BBBB');
    const after = crmSyncHandler(world);
    expect((await invokeOnce(world, after, 1, 'fanout-sample-CrmSyncFunction-BBBB')).response.batchItemFailures).toEqual([]);
    vi.stubEnv('AWS_LAMBDA_FUNCTION_NAME', '');

    expect((await getItem(clients.dynamodb, world.downstreamTable, effectKey(signUp.id), EFFECT_SORT_KEY))?.applications?.N).toBe('1');
    const records = await scanAll(clients.dynamodb, world.idempotencyTable);
    expect(records.map((r) => r.id?.S)).toEqual([expect.stringMatching(/^crm-sync#/)]);
  });

  it('sends a schema-invalid event to the DLQ with its reason and acknowledges it', async () => {
    const world = await createConsumerWorld(clients, { consumer: 'crm-sync', registryName });
    const handler = crmSyncHandler(world);
    const invalid = envelopeOf('user.signed-up', 2, { ...contractExample('user.signed-up', 2), email: 'not-an-email' });
    const messageId = await sendEnvelope(clients.sqs, world.queueUrl, invalid);

    const { response } = await invokeOnce(world, handler, 1);
    expect(response.batchItemFailures).toEqual([]);

    const [dead] = await receiveAtLeast(clients.sqs, world.dlqUrl, 1);
    expect(dead?.Body).toBe(JSON.stringify(invalid));
    const attributes = dead!.MessageAttributes!;
    expect(attributes[FailureAttribute.ErrorName]?.StringValue).toBe('ContractViolationError');
    expect(attributes[FailureAttribute.ErrorMessage]?.StringValue).toMatch(/\/email must match format "email"/);
    expect(attributes[FailureAttribute.Consumer]?.StringValue).toBe('crm-sync');
    expect(attributes[FailureAttribute.OriginalMessageId]?.StringValue).toBe(messageId);
    expect(attributes[FailureAttribute.ReceiveCount]?.StringValue).toBe('1');
    expect(Date.parse(attributes[FailureAttribute.FirstSeen]!.StringValue!)).toBeGreaterThan(Date.now() - 60_000);
    // The original attributes travel along, so filters and tools still see type and correlation id.
    expect(attributes.correlationid?.StringValue).toBe(invalid.correlationid);
    expect(attributes.type?.StringValue).toBe('user.signed-up');
    // Nothing was applied, nothing is left on the source queue.
    expect(await scanAll(clients.dynamodb, world.downstreamTable)).toEqual([]);
    expect(await receiveMessages(clients.sqs, world.queueUrl)).toEqual([]);
  });

  it('sends an event of an unknown contract version to the DLQ (Glue has no such version)', async () => {
    const world = await createConsumerWorld(clients, { consumer: 'crm-sync', registryName });
    const handler = crmSyncHandler(world);
    await sendEnvelope(clients.sqs, world.queueUrl, envelopeOf('user.signed-up', 7, contractExample('user.signed-up', 2)));
    const { response } = await invokeOnce(world, handler, 1);
    expect(response.batchItemFailures).toEqual([]);
    const [dead] = await receiveAtLeast(clients.sqs, world.dlqUrl, 1);
    expect(dead!.MessageAttributes![FailureAttribute.ErrorName]?.StringValue).toBe('UnknownContractError');
  });

  it('delays the retry of a transient failure by the backoff its environment sets, through ChangeMessageVisibility', async () => {
    // Chaos at rate 1: every downstream write fails transiently. The backoff comes from
    // the variables the stack sets (a 3 s base here, to keep the test short).
    const world = await createConsumerWorld(clients, {
      consumer: 'crm-sync',
      registryName,
      visibilityTimeoutSeconds: 60,
      extraEnv: { [ChaosEnv.TransientFailureRate]: '1', [ConsumerEnv.RetryBaseDelaySeconds]: '3', [ConsumerEnv.RetryMaxDelaySeconds]: '30' },
    });
    // Full jitter drawn at its top: the delay is exactly the ceiling for the first receive.
    const ceiling = backoffCeilingSeconds(1, { baseSeconds: 3, capSeconds: 30 });
    expect(ceiling).toBe(3);
    const handler = crmSyncHandler(world, { random: () => 0.999 });
    const messageId = await sendEnvelope(clients.sqs, world.queueUrl, envelopeOf('user.signed-up', 2, contractExample('user.signed-up', 2)));

    const { response } = await invokeOnce(world, handler, 1);
    const failedAt = Date.now();
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: messageId }]);

    // Still invisible within the backoff...
    const attributes = await clients.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: world.queueUrl, AttributeNames: ['ApproximateNumberOfMessagesNotVisible'] }),
    );
    expect(attributes.Attributes?.ApproximateNumberOfMessagesNotVisible).toBe('1');
    expect(await receiveMessages(clients.sqs, world.queueUrl)).toEqual([]);
    // ...and back long before the queue's own 60 s visibility timeout.
    const [again] = await receiveAtLeast(clients.sqs, world.queueUrl, 1, 10_000);
    const visibleAfterMs = Date.now() - failedAt;
    expect(again?.MessageId).toBe(messageId);
    expect(again?.Attributes?.ApproximateReceiveCount).toBe('2');
    expect(visibleAfterMs).toBeGreaterThanOrEqual((ceiling - 1) * 1000);
    expect(visibleAfterMs).toBeLessThan((ceiling + 4) * 1000);
    expect(await scanAll(clients.dynamodb, world.downstreamTable)).toEqual([]);
    // The idempotency record of the failed try was removed, so the retry can apply it.
    expect(await scanAll(clients.dynamodb, world.idempotencyTable)).toEqual([]);
  });

  it('retries a transient failure until it applies, then never again', async () => {
    const until = new Date(Date.now() + 1_500).toISOString();
    const world = await createConsumerWorld(clients, {
      consumer: 'crm-sync',
      registryName,
      extraEnv: { [ChaosEnv.TransientFailureRate]: '1', [ChaosEnv.TransientFailureUntil]: until },
    });
    const handler = crmSyncHandler(world, { baseSeconds: 2, random: () => 0.999 });
    const event = envelopeOf('user.signed-up', 2, contractExample('user.signed-up', 2), { id: randomUUID() });
    await sendEnvelope(clients.sqs, world.queueUrl, event);
    const first = await invokeOnce(world, handler, 1);
    expect(first.response.batchItemFailures).toHaveLength(1);
    const second = await invokeOnce(world, handler, 1);
    expect(second.response.batchItemFailures).toEqual([]);
    const effect = await getItem(clients.dynamodb, world.downstreamTable, effectKey(event.id), EFFECT_SORT_KEY);
    expect(effect?.applications?.N).toBe('1');
  });
});
