/**
 * crm-sync's real handler module on the emulator: imported with the environment its
 * Lambda gets (the module builds its clients, resolver and persistence layer once),
 * fed batches from a real queue.
 */
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { randomUUID } from 'node:crypto';
import type { SQSBatchResponse, SQSEvent, Context } from 'aws-lambda';
import { effectKey, EFFECT_SORT_KEY } from '../../lambdas/downstream/dynamodb-effects';
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
  sendEnvelope,
  sqsEventOf,
  type ConsumerWorld,
} from './kit-harness';

const clients = emulatorClients();
let world: ConsumerWorld;
let handler: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

beforeAll(async () => {
  const registryName = await createContractRegistry(clients.glue, ['user.signed-up', 'user.profile-updated']);
  world = await createConsumerWorld(clients, { consumer: 'crm-sync', registryName });
  const config = emulatorClientConfig();
  for (const [name, value] of Object.entries({
    ...world.env,
    AWS_ENDPOINT_URL: config.endpoint,
    AWS_REGION: config.region,
    AWS_ACCESS_KEY_ID: config.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: config.credentials.secretAccessKey,
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
  })) {
    vi.stubEnv(name, value);
  }
  ({ handler } = await import('../../lambdas/consumers/crm-sync/handler'));
});

async function deliver(expected: number): Promise<SQSBatchResponse> {
  const messages = await receiveAtLeast(clients.sqs, world.queueUrl, expected);
  expect(messages).toHaveLength(expected);
  const event = sqsEventOf(messages, world.queueArn);
  const response = await handler(event, lambdaContext('crm-sync'));
  await acknowledge(clients.sqs, world.queueUrl, event, response);
  return response;
}

function profileUpdate(userId: string, revision: number, name: string, time: Date) {
  return envelopeOf('user.profile-updated', 1, { userId, revision, name, updatedAt: time.toISOString() }, { subject: userId, time });
}

describe('crm-sync handler', () => {
  it('upserts a contact from a sign-up and then from a newer profile change', async () => {
    const userId = `usr_${randomUUID().slice(0, 8)}`;
    const signUp = envelopeOf('user.signed-up', 1, { ...contractExample('user.signed-up', 1), userId }, { subject: userId });
    await sendEnvelope(clients.sqs, world.queueUrl, signUp);
    expect((await deliver(1)).batchItemFailures).toEqual([]);
    await sendEnvelope(clients.sqs, world.queueUrl, profileUpdate(userId, 1, 'Ada King', new Date()));
    expect((await deliver(1)).batchItemFailures).toEqual([]);

    const contact = await getItem(clients.dynamodb, world.downstreamTable, `contact#${userId}`, 'state');
    expect(contact?.name?.S).toBe('Ada King');
    // The sign-up's fields survive a profile change that does not carry them.
    expect(contact?.plan?.S).toBe('free');
    expect(contact?.sequence?.N).toBe('1');
  });

  it('skips an out-of-order profile change older than the one already applied', async () => {
    const userId = `usr_${randomUUID().slice(0, 8)}`;
    const older = profileUpdate(userId, 2, 'Old Name', new Date(Date.now() - 60_000));
    const newer = profileUpdate(userId, 3, 'New Name', new Date(Date.now() - 30_000));
    // The newer change arrives first (standard queues do not keep order).
    await sendEnvelope(clients.sqs, world.queueUrl, newer);
    expect((await deliver(1)).batchItemFailures).toEqual([]);
    await sendEnvelope(clients.sqs, world.queueUrl, older);
    expect((await deliver(1)).batchItemFailures).toEqual([]);

    const contact = await getItem(clients.dynamodb, world.downstreamTable, `contact#${userId}`, 'state');
    expect(contact?.name?.S).toBe('New Name');
    expect(contact?.sequence?.N).toBe('3');
    expect(contact?.lastEventId?.S).toBe(newer.id);
    // The stale change left no effect behind; the newer one is in the effect log once.
    expect(await getItem(clients.dynamodb, world.downstreamTable, effectKey(older.id), EFFECT_SORT_KEY)).toBeUndefined();
    expect((await getItem(clients.dynamodb, world.downstreamTable, effectKey(newer.id), EFFECT_SORT_KEY))?.applications?.N).toBe('1');
  });

  it('still records plan and sign-up time from a sign-up arriving after a profile change, keeping the newer name', async () => {
    const userId = `usr_${randomUUID().slice(0, 8)}`;
    const profile = profileUpdate(userId, 1, 'Changed Name', new Date());
    await sendEnvelope(clients.sqs, world.queueUrl, profile);
    expect((await deliver(1)).batchItemFailures).toEqual([]);
    const signUpData = { ...contractExample<{ plan: string; signedUpAt: string }>('user.signed-up', 2), userId };
    const signUp = envelopeOf('user.signed-up', 2, signUpData, { subject: userId, time: new Date(Date.now() - 60_000) });
    await sendEnvelope(clients.sqs, world.queueUrl, signUp);
    expect((await deliver(1)).batchItemFailures).toEqual([]);

    const contact = await getItem(clients.dynamodb, world.downstreamTable, `contact#${userId}`, 'state');
    // The fields only the sign-up carries are stored...
    expect(contact?.plan?.S).toBe(signUpData.plan);
    expect(contact?.signedUpAt?.S).toBe(signUpData.signedUpAt);
    // ...and the profile change's newer name (and its order) are kept.
    expect(contact?.name?.S).toBe('Changed Name');
    expect(contact?.sequence?.N).toBe('1');
    expect(contact?.lastEventId?.S).toBe(profile.id);
    // The sign-up counts as applied: it is in the effect log, once.
    expect((await getItem(clients.dynamodb, world.downstreamTable, effectKey(signUp.id), EFFECT_SORT_KEY))?.applications?.N).toBe('1');
  });
});
