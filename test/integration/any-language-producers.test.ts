/**
 * Producers that do not use Fanout's client (issue 10), as a new user tries them: the
 * pipeline kept running by `npm start -- --keep-running`, and events published to it
 * with the plain SNS client, following only README's "Publishing from any language":
 *
 * - a hand-built CloudEvent (no correlationid) with the `type` attribute: applied;
 * - a CloudEvent built by the official CloudEvents SDK for JavaScript, in structured
 *   mode, to the FIFO topic with its group and deduplication ids: applied;
 * - the same hand-built event without message attributes: SNS drops it from crm-sync's
 *   attribute-filtered subscription, the runner warns, and nothing is applied;
 * - one with attributes but no `type`: dropped by every subscription, which AWS counts
 *   under no metric of its own; the emulator does, and the runner warns.
 *
 * "Applied" is read from the consumers' downstream tables (their effect logs), once.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBClient, GetItemCommand, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { ListTopicsCommand, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { CloudEvent, HTTP } from 'cloudevents';
import { loadPipeline } from '../../model/load-pipeline';
import { startLocalRun, type LocalRun } from '../support/local-run';

const REGION = 'us-east-1';
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

let run: LocalRun | undefined;
let sns: SNSClient;
let dynamodb: DynamoDBClient;
let topicArns: string[] = [];
let tables: string[] = [];

async function until<T>(probe: () => Promise<T | undefined> | T | undefined, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; runner output:\n${run?.output().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

beforeAll(async () => {
  run = startLocalRun(['--events', '6', '--keep-running'], 'node');
  // The run prints how to reach it once the pipeline keeps running.
  const exported = await until(() => /export (AWS_ENDPOINT_URL=.*)$/m.exec(run!.output())?.[1], 240_000, 'the pipeline to keep running');
  // Every variable of the line, as a shell that pastes it would set them: DynamoDB has an
  // emulator process of its own, named by AWS_ENDPOINT_URL_DYNAMODB.
  const variables = Object.fromEntries(exported.split(' ').map((pair) => pair.split('=') as [string, string]));
  const endpoint = variables.AWS_ENDPOINT_URL!;
  sns = new SNSClient({ endpoint, region: REGION, credentials });
  dynamodb = new DynamoDBClient({ endpoint: variables.AWS_ENDPOINT_URL_DYNAMODB ?? endpoint, region: REGION, credentials });
  topicArns = ((await sns.send(new ListTopicsCommand({}))).Topics ?? []).map((t) => t.TopicArn!);
  tables = (await dynamodb.send(new ListTablesCommand({}))).TableNames ?? [];
}, 300_000);

afterAll(async () => {
  sns?.destroy();
  dynamodb?.destroy();
  if (!run) return;
  // Ctrl-C, as a user ends a kept-running pipeline; it stops the emulator and the consumers.
  process.kill(-run.child.pid!, 'SIGINT');
  const code = await Promise.race([run.exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 30_000))]);
  if (code === 'hung') process.kill(-run.child.pid!, 'SIGKILL');
}, 60_000);

const topic = (name: string) => topicArns.find((arn) => arn.split(':').pop()!.replace(/\.fifo$/, '').endsWith(`-${name}`))!;
const table = (consumer: string) => tables.find((t) => t.includes(`Downstream${consumer.replace(/-/g, '')}Table`))!;

/** How many times `consumer` applied the event, once its effect log has it (undefined before). */
async function applications(consumer: string, eventId: string): Promise<number | undefined> {
  const { Item } = await dynamodb.send(new GetItemCommand({ TableName: table(consumer), Key: { pk: { S: `effect#${eventId}` }, sk: { S: 'effect' } }, ConsistentRead: true }));
  return Item ? Number(Item.applications?.N ?? 0) : undefined;
}

/** A user.signed-up v2 envelope as README's wire contract spells it out: no Fanout code, no correlationid. */
function handBuiltSignUp(marketingOptIn: boolean) {
  const userId = `usr_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  return {
    specversion: '1.0',
    id: randomUUID(),
    source: 'urn:example:python-service',
    type: 'user.signed-up',
    time: new Date().toISOString(),
    subject: userId,
    dataschema: 'urn:fanout:contract:user.signed-up:v2',
    datacontenttype: 'application/json',
    data: { userId, email: `${userId}@example.com`, name: 'Grace Hopper', plan: 'pro', signedUpAt: new Date().toISOString(), marketingOptIn },
  };
}


/** The user-events consumers whose subscriptions filter on message attributes, as SNS names them in its drop counts. */
const ATTRIBUTE_FILTERED = loadPipeline()
  .consumers.filter((c) => c.topic === 'user-events' && c.filter.scope === 'MessageAttributes')
  .map((c) => c.name);

describe('publishing from any language, against npm start -- --keep-running', () => {
  it('applies a hand-built CloudEvent published with the plain SNS client and the type attribute', async () => {
    const event = handBuiltSignUp(true);
    await sns.send(
      new PublishCommand({
        TopicArn: topic('user-events'),
        Message: JSON.stringify(event),
        MessageAttributes: { type: { DataType: 'String', StringValue: event.type } },
      }),
    );
    // Both consumers of sign-ups apply it once: crm-sync by its attribute filter, email-marketing by its body filter.
    expect(await until(() => applications('crm-sync', event.id), 60_000, 'crm-sync to apply it')).toBe(1);
    expect(await until(() => applications('email-marketing', event.id), 60_000, 'email-marketing to apply it')).toBe(1);
  });

  it('applies a CloudEvent built by the official CloudEvents SDK, in structured mode, on the FIFO topic', async () => {
    const accountId = `acct_${randomUUID().replace(/-/g, '').slice(0, 8)}`;
    const event = new CloudEvent({
      type: 'subscription.changed',
      source: 'urn:example:billing-service',
      subject: accountId,
      time: new Date().toISOString(),
      dataschema: 'urn:fanout:contract:subscription.changed:v1',
      datacontenttype: 'application/json',
      data: { accountId, sequence: 1, action: 'created', plan: 'pro', seats: 3, effectiveAt: new Date().toISOString() },
    });
    const { body } = HTTP.structured(event);
    await sns.send(
      new PublishCommand({
        TopicArn: topic('billing-events'),
        Message: body as string,
        MessageAttributes: { type: { DataType: 'String', StringValue: event.type } },
        MessageGroupId: event.subject,
        MessageDeduplicationId: event.id,
      }),
    );
    expect(await until(() => applications('billing-sync', event.id), 60_000, 'billing-sync to apply it')).toBe(1);
  });

  it('warns locally when a producer leaves out the message attributes, and nothing is applied', async () => {
    const event = handBuiltSignUp(false);
    await sns.send(new PublishCommand({ TopicArn: topic('user-events'), Message: JSON.stringify(event) }));
    // SNS counts the drop once per subscription that filters on attributes (the sample has crm-sync's alone).
    const warning = `user-events: ${ATTRIBUTE_FILTERED.length} notification(s) published without message attributes were dropped by ${ATTRIBUTE_FILTERED.join(', ')}`;
    await until(() => (run!.output().includes(warning) ? true : undefined), 30_000, 'the runner to warn');
    expect(run!.output()).toMatch(/alarm fanout-sample-user-events-filtered-no-attributes pages/);
    // Opted out, email-marketing's body filter does not take it either: no consumer applied it.
    expect(await applications('crm-sync', event.id)).toBeUndefined();
    expect(await applications('email-marketing', event.id)).toBeUndefined();
  });

  it('warns locally when the attributes lack `type`, which SNS counts under no alarmable metric', async () => {
    const event = handBuiltSignUp(false);
    // The attribute-less event before reached no subscription either: wait for one more warning.
    const noSubscription = /warning +user-events: 1 event\(s\) matched no subscription at all/g;
    const warned = () => run!.output().match(noSubscription)?.length ?? 0;
    const before = warned();
    // `Type`, not `type`: the message has attributes, so NoMessageAttributes does not count it.
    await sns.send(
      new PublishCommand({ TopicArn: topic('user-events'), Message: JSON.stringify(event), MessageAttributes: { Type: { DataType: 'String', StringValue: event.type } } }),
    );
    await until(() => (warned() > before ? true : undefined), 30_000, 'the runner to warn');
    expect(run!.output()).not.toContain(`user-events: ${2 * ATTRIBUTE_FILTERED.length} notification(s) published without message attributes`);
    expect(await applications('crm-sync', event.id)).toBeUndefined();
  });
});
