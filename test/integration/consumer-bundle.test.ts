/**
 * crm-sync's bundle, built with the stack's bundling (lib/consumer-bundling.ts, aliases
 * included), run as Lambda runs it: imported by bare `node` in its own process whose
 * environment holds the Lambda variables and nothing else (no AWS profile, no config
 * files, an empty HOME), invoked with a real batch from the emulator. The bundle signs
 * every call (Glue, DynamoDB, SQS) with the credentials its replacement of the SDK's
 * credential chain reads from the environment.
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SQSBatchResponse } from 'aws-lambda';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FailureAttribute } from '../../lambdas/kit/failure-context';
import { effectKey, EFFECT_SORT_KEY } from '../../lambdas/downstream/dynamodb-effects';
import { consumerEsbuildOptions } from '../../lib/consumer-bundling';
import { PROJECT_ROOT } from '../../lib/fanout-stack';
import { emulatorClientConfig } from '../support/aws';
import {
  acknowledge,
  contractExample,
  createConsumerWorld,
  createContractRegistry,
  emulatorClients,
  envelopeOf,
  getItem,
  receiveAtLeast,
  receiveMessages,
  sendEnvelope,
  sqsEventOf,
  type ConsumerWorld,
} from './kit-harness';

// What the Lambda runtime does for an invocation, reduced: import the asset, call its
// handler with the event and a context, hand back the result.
const INVOKER = `
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
const [asset, eventFile] = process.argv.slice(2);
const { handler } = await import(pathToFileURL(asset).href);
const deadline = Date.now() + 30_000;
const context = {
  functionName: 'crm-sync', functionVersion: '$LATEST', awsRequestId: crypto.randomUUID(), memoryLimitInMB: '256',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:crm-sync', logGroupName: '/aws/lambda/crm-sync', logStreamName: 'bundle-test',
  callbackWaitsForEmptyEventLoop: false, getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
};
const result = await handler(JSON.parse(readFileSync(eventFile, 'utf8')), context);
process.stdout.write(JSON.stringify(result));
`;

const clients = emulatorClients();
const workDir = mkdtempSync(join(tmpdir(), 'fanout-bundle-it-'));
const home = join(workDir, 'home');
const asset = join(workDir, 'asset', 'index.mjs');
const invoker = join(workDir, 'invoke.mjs');
let world: ConsumerWorld;

beforeAll(async () => {
  mkdirSync(home);
  writeFileSync(invoker, INVOKER);
  await build({ ...consumerEsbuildOptions(PROJECT_ROOT), entryPoints: [join(PROJECT_ROOT, 'lambdas/consumers/crm-sync/handler.ts')], outfile: asset, logLevel: 'error' });
  const registryName = await createContractRegistry(clients.glue, ['user.signed-up', 'user.profile-updated']);
  world = await createConsumerWorld(clients, { consumer: 'crm-sync', registryName });
});
afterAll(() => {
  rmSync(workDir, { recursive: true, force: true });
});

/** The environment of the function's process: what Lambda sets, and nothing from this machine. */
function lambdaEnvironment(credentials: Record<string, string>): Record<string, string> {
  const config = emulatorClientConfig();
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    AWS_REGION: config.region,
    AWS_ENDPOINT_URL: config.endpoint,
    ...credentials,
    ...world.env,
    AWS_LAMBDA_FUNCTION_NAME: 'crm-sync',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_TRACE_ENABLED: 'false',
    AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}

const ENVIRONMENT_CREDENTIALS = { AWS_ACCESS_KEY_ID: 'lambda-role-key', AWS_SECRET_ACCESS_KEY: 'lambda-role-secret', AWS_SESSION_TOKEN: 'lambda-role-session' };

/** Receives `count` messages, invokes the bundle with them, acknowledges what succeeded. */
async function deliver(count: number, credentials: Record<string, string> = ENVIRONMENT_CREDENTIALS): Promise<SQSBatchResponse> {
  const messages = await receiveAtLeast(clients.sqs, world.queueUrl, count);
  expect(messages).toHaveLength(count);
  const event = sqsEventOf(messages, world.queueArn);
  const eventFile = join(workDir, `event-${randomUUID()}.json`);
  writeFileSync(eventFile, JSON.stringify(event));
  const run = spawnSync(process.execPath, [invoker, asset, eventFile], { env: lambdaEnvironment(credentials), encoding: 'utf8', timeout: 60_000 });
  expect(run.status, run.stderr).toBe(0);
  const response = JSON.parse(run.stdout) as SQSBatchResponse;
  await acknowledge(clients.sqs, world.queueUrl, event, response);
  return response;
}

describe('crm-sync bundle, run as Lambda runs it', () => {
  it('applies an event with credentials from the environment alone: Glue, DynamoDB and the downstream all answer', async () => {
    const userId = `usr_${randomUUID().slice(0, 8)}`;
    const signUp = envelopeOf('user.signed-up', 1, { ...contractExample<{ email: string }>('user.signed-up', 1), userId }, { subject: userId });
    await sendEnvelope(clients.sqs, world.queueUrl, signUp);
    expect((await deliver(1)).batchItemFailures).toEqual([]);

    const contact = await getItem(clients.dynamodb, world.downstreamTable, `contact#${userId}`, 'state');
    expect(contact?.email?.S).toBe(signUp.data.email);
    expect((await getItem(clients.dynamodb, world.downstreamTable, effectKey(signUp.id), EFFECT_SORT_KEY))?.applications?.N).toBe('1');
  });

  it('sends a schema-invalid event to the DLQ with its reason (SQS signed the same way)', async () => {
    const userId = `usr_${randomUUID().slice(0, 8)}`;
    const invalid = envelopeOf('user.signed-up', 1, { ...contractExample('user.signed-up', 1), userId, email: 42 }, { subject: userId });
    await sendEnvelope(clients.sqs, world.queueUrl, invalid);
    expect((await deliver(1)).batchItemFailures).toEqual([]);

    const [parked] = await receiveMessages(clients.sqs, world.dlqUrl, 1, 5);
    expect(JSON.parse(parked!.Body!).id).toBe(invalid.id);
    expect(parked!.MessageAttributes?.[FailureAttribute.ErrorName]?.StringValue).toBe('ContractViolationError');
  });

  it('reads no other credential source: with a shared credentials file but no variables, the record fails and is retried', async () => {
    const credentialsFile = join(workDir, 'credentials');
    writeFileSync(credentialsFile, '[default]\naws_access_key_id = from-file\naws_secret_access_key = from-file\n');
    const userId = `usr_${randomUUID().slice(0, 8)}`;
    const signUp = envelopeOf('user.signed-up', 1, { ...contractExample('user.signed-up', 1), userId }, { subject: userId });
    const messageId = await sendEnvelope(clients.sqs, world.queueUrl, signUp);

    const response = await deliver(1, { AWS_SHARED_CREDENTIALS_FILE: credentialsFile, AWS_PROFILE: 'default' });
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: messageId }]);
    expect(await getItem(clients.dynamodb, world.downstreamTable, `contact#${userId}`, 'state')).toBeUndefined();
  });
});
