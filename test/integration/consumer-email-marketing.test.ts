/**
 * email-marketing's real handler module on the emulator: opted-in sign-ups become
 * subscribers; a sign-up without consent is parked in the DLQ, never subscribed.
 */
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { randomUUID } from 'node:crypto';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { UserSignedUpV1, UserSignedUpV2 } from '../../contracts/event-types.generated';
import { FailureAttribute } from '../../lambdas/kit/failure-context';
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
  const registryName = await createContractRegistry(clients.glue, ['user.signed-up']);
  world = await createConsumerWorld(clients, { consumer: 'email-marketing', registryName });
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
  ({ handler } = await import('../../lambdas/consumers/email-marketing/handler'));
});

describe('email-marketing handler', () => {
  it('adds an opted-in sign-up as a subscriber and parks one without consent in the DLQ', async () => {
    const optedIn = `usr_${randomUUID().slice(0, 8)}`;
    const noConsent = `usr_${randomUUID().slice(0, 8)}`;
    await sendEnvelope(clients.sqs, world.queueUrl, envelopeOf('user.signed-up', 2, { ...contractExample<UserSignedUpV2>('user.signed-up', 2), userId: optedIn, marketingOptIn: true }));
    await sendEnvelope(clients.sqs, world.queueUrl, envelopeOf('user.signed-up', 1, { ...contractExample<UserSignedUpV1>('user.signed-up', 1), userId: noConsent }));
    const messages = await receiveAtLeast(clients.sqs, world.queueUrl, 2);
    const event = sqsEventOf(messages, world.queueArn);
    const response = await handler(event, lambdaContext('email-marketing'));
    await acknowledge(clients.sqs, world.queueUrl, event, response);

    expect(response.batchItemFailures).toEqual([]);
    const subscriber = await getItem(clients.dynamodb, world.downstreamTable, `subscriber#${optedIn}`, 'state');
    expect(subscriber?.status?.S).toBe('subscribed');
    expect(subscriber?.email?.S).toBe('ada@example.com');
    expect(await getItem(clients.dynamodb, world.downstreamTable, `subscriber#${noConsent}`, 'state')).toBeUndefined();
    const [dead] = await receiveAtLeast(clients.sqs, world.dlqUrl, 1);
    expect(dead!.MessageAttributes![FailureAttribute.ErrorName]?.StringValue).toBe('MissingConsentError');
  });
});
