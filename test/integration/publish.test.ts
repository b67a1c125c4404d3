import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { GlueClient, RegisterSchemaVersionCommand } from '@aws-sdk/client-glue';
import { CreateTopicCommand, SubscribeCommand, type PublishBatchCommandInput } from '@aws-sdk/client-sns';
import { CreateQueueCommand, DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import { FileContractResolver } from '../../contracts/contract-resolver';
import { registerContracts } from '../../contracts/glue-registration';
import { GlueContractResolver } from '../../contracts/glue-registry';
import { parseEnvelope, type CloudEvent } from '../../contracts/envelope';
import { ContractViolationError } from '../../contracts/errors';
import type { EventDataMap } from '../../contracts/event-types.generated';
import { resolvePipeline } from '../../model/pipeline-definition';
import { pipeline as samplePipeline } from '../../pipeline';
import { OutputKey } from '../../model/stack-outputs';
import { MessageTooLargeError } from '../../client/errors';
import { deterministicEventId } from '../../client/event-id';
import { createPublisher, createPublisherSnsClient, publisherForPipeline, snsMessageBytes, SNS_MAX_BATCH_BYTES, type PublishEvent } from '../../client/publisher';
import { defaultPublishDeps, register as registerPublishCommand } from '../../cli/publish';
import { emulatorClientConfig, uniqueName } from '../support/aws';

const SCHEMAS = join(import.meta.dirname, '../../schemas');
const pipeline = resolvePipeline(samplePipeline, SCHEMAS);
const SOURCE = 'urn:fanout:integration-test';

// The publisher's own client: one HTTP attempt per request, the publisher retries.
const sns = createPublisherSnsClient(emulatorClientConfig());
const sqs = new SQSClient(emulatorClientConfig());
const glue = new GlueClient(emulatorClientConfig());

/** One PublishBatch HTTP request as sent: its topic, its entries' event ids and its bytes. */
interface SentRequest {
  readonly topicArn: string;
  readonly ids: string[];
  readonly bytes: number;
}
// Every PublishBatch HTTP request (retries included: the middleware sits below the SDK's retry loop).
let snsRequests = 0;
const sentRequests: SentRequest[] = [];
sns.middlewareStack.add(
  (next, context) => async (args) => {
    snsRequests += 1;
    if (context.commandName === 'PublishBatchCommand') {
      const input = args.input as PublishBatchCommandInput;
      const entries = input.PublishBatchRequestEntries ?? [];
      sentRequests.push({
        topicArn: input.TopicArn!,
        ids: entries.map((e) => (JSON.parse(e.Message!) as { id: string }).id),
        bytes: entries.reduce((sum, e) => sum + snsMessageBytes(e.Message!, e.MessageAttributes as never), 0),
      });
    }
    return next(args);
  },
  { step: 'deserialize', name: 'countSnsRequests' },
);
/** The PublishBatch requests made while `run` ran. */
async function requestsDuring<T>(run: () => Promise<T>): Promise<{ result: T; requests: SentRequest[] }> {
  const from = sentRequests.length;
  const result = await run();
  return { result, requests: sentRequests.slice(from) };
}

/** The sample pipeline's topics, queues and subscriptions, created on the emulator with unique names. */
async function createTopology() {
  const outputs: Record<string, string> = {};
  const queueUrls: Record<string, string> = {};
  for (const topic of pipeline.topics) {
    const { TopicArn } = await sns.send(
      new CreateTopicCommand({
        Name: `${uniqueName(topic.name)}${topic.fifo ? '.fifo' : ''}`,
        ...(topic.fifo && { Attributes: { FifoTopic: 'true', ContentBasedDeduplication: 'false' } }),
      }),
    );
    outputs[OutputKey.topicArn(topic.name)] = TopicArn!;
  }
  for (const consumer of pipeline.consumers) {
    const { QueueUrl } = await sqs.send(
      new CreateQueueCommand({ QueueName: `${uniqueName(consumer.name)}${consumer.fifo ? '.fifo' : ''}`, ...(consumer.fifo && { Attributes: { FifoQueue: 'true' } }) }),
    );
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
    await sns.send(
      new SubscribeCommand({
        TopicArn: outputs[OutputKey.topicArn(consumer.topic)],
        Protocol: 'sqs',
        Endpoint: Attributes!.QueueArn,
        Attributes: { RawMessageDelivery: 'true', FilterPolicy: JSON.stringify(consumer.filter.policy), FilterPolicyScope: consumer.filter.scope },
      }),
    );
    queueUrls[consumer.name] = QueueUrl!;
    outputs[OutputKey.queueUrl(consumer.name)] = QueueUrl!;
  }
  const registryName = uniqueName('contracts');
  await registerContracts(glue, registryName, pipeline);
  outputs[OutputKey.schemaRegistryName()] = registryName;
  return { outputs, queueUrls, registryName };
}

/** Receives and deletes everything in a queue (moto delivers during Publish, so nothing is still on its way). */
async function drain(queueUrl: string): Promise<Message[]> {
  const all: Message[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, MessageAttributeNames: ['All'], MessageSystemAttributeNames: ['All'] }),
    );
    if (Messages.length === 0) return all;
    all.push(...Messages);
    await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
  }
}

async function drainAll(queueUrls: Record<string, string>): Promise<Record<string, Message[]>> {
  const result: Record<string, Message[]> = {};
  for (const [consumer, url] of Object.entries(queueUrls)) result[consumer] = await drain(url);
  return result;
}

const envelopeOf = (message: Message): CloudEvent => parseEnvelope(message.Body!);

const signUp = (n: number, marketingOptIn?: boolean): EventDataMap['user.signed-up'] => ({
  userId: `usr_${String(n).padStart(8, '0')}`,
  email: `user${n}@example.com`,
  name: `User ${n}`,
  plan: 'pro',
  signedUpAt: '2026-11-28T09:30:00Z',
  ...(marketingOptIn !== undefined && { marketingOptIn }),
});

const subscriptionChange = (account: string, sequence: number): EventDataMap['subscription.changed'] => ({
  accountId: account,
  sequence,
  action: 'upgraded',
  plan: 'enterprise',
  seats: 10 + sequence,
  effectiveAt: '2026-11-28T09:31:00Z',
});

let topology: Awaited<ReturnType<typeof createTopology>>;

beforeAll(async () => {
  topology = await createTopology();
});

afterAll(() => {
  sns.destroy();
  sqs.destroy();
  glue.destroy();
});

function publisher() {
  return publisherForPipeline(pipeline, topology.outputs, { sns, contracts: new GlueContractResolver({ glue, registryName: topology.registryName }), source: SOURCE });
}

describe('publishing to the emulated pipeline', () => {
  it('delivers each event to exactly the queues its filter policy selects, envelope and attributes intact', async () => {
    const events: PublishEvent[] = [
      { type: 'user.signed-up', data: signUp(1, true), subject: 'usr_00000001', id: 'su-opt-in', correlationId: 'corr-a' },
      { type: 'user.signed-up', data: signUp(2, false), subject: 'usr_00000002', id: 'su-opt-out', correlationId: 'corr-b' },
      { type: 'user.signed-up', data: signUp(3), subject: 'usr_00000003', id: 'su-no-flag' },
      { type: 'user.profile-updated', data: { userId: 'usr_00000001', revision: 2, name: 'Ada King', updatedAt: '2026-11-28T10:00:00Z' }, subject: 'usr_00000001', id: 'pu-1' },
      { type: 'subscription.changed', data: subscriptionChange('acct_aaaaaa01', 1), subject: 'acct_aaaaaa01', id: 'sc-a1' },
      { type: 'subscription.changed', data: subscriptionChange('acct_bbbbbb02', 1), subject: 'acct_bbbbbb02', id: 'sc-b1' },
      { type: 'subscription.changed', data: subscriptionChange('acct_aaaaaa01', 2), subject: 'acct_aaaaaa01', id: 'sc-a2' },
      { type: 'subscription.changed', data: subscriptionChange('acct_aaaaaa01', 3), subject: 'acct_aaaaaa01', id: 'sc-a3' },
    ];
    const { result, requests } = await requestsDuring(() => publisher().publishBatch(events));
    expect(result.failed).toEqual([]);
    expect(result.published.map((p) => p.id)).toEqual(events.map((e) => e.id));
    // Each topic its own requests; on the FIFO topic one event of an account per request,
    // each after the one before it.
    expect(requests.map((r) => [r.topicArn, r.ids])).toEqual([
      [topology.outputs[OutputKey.topicArn('user-events')], ['su-opt-in', 'su-opt-out', 'su-no-flag', 'pu-1']],
      [topology.outputs[OutputKey.topicArn('billing-events')], ['sc-a1', 'sc-b1']],
      [topology.outputs[OutputKey.topicArn('billing-events')], ['sc-a2']],
      [topology.outputs[OutputKey.topicArn('billing-events')], ['sc-a3']],
    ]);

    const delivered = await drainAll(topology.queueUrls);
    const ids = (consumer: string) => delivered[consumer]!.map((m) => envelopeOf(m).id).sort();
    expect(ids('crm-sync')).toEqual(['pu-1', 'su-no-flag', 'su-opt-in', 'su-opt-out']);
    expect(ids('email-marketing')).toEqual(['su-opt-in']);
    expect(ids('billing-sync')).toEqual(['sc-a1', 'sc-a2', 'sc-a3', 'sc-b1']);

    for (const messages of Object.values(delivered)) {
      for (const message of messages) {
        const envelope = envelopeOf(message);
        const sent = events.find((e) => e.id === envelope.id)!;
        const version = sent.type === 'user.signed-up' ? 2 : 1;
        expect(envelope).toEqual({
          specversion: '1.0',
          id: sent.id,
          source: SOURCE,
          type: sent.type,
          time: expect.any(String),
          subject: sent.subject,
          dataschema: `urn:fanout:contract:${sent.type}:v${version}`,
          datacontenttype: 'application/json',
          correlationid: sent.correlationId ?? sent.id,
          data: sent.data,
        });
        expect(message.MessageAttributes).toEqual({
          type: { DataType: 'String', StringValue: sent.type },
          correlationid: { DataType: 'String', StringValue: sent.correlationId ?? sent.id },
          schemaversion: { DataType: 'String', StringValue: String(version) },
        });
      }
    }

    // FIFO: the message group is the subject, the deduplication id the event id, and one account's changes arrive in order.
    for (const message of delivered['billing-sync']!) {
      const envelope = envelopeOf(message);
      expect(message.Attributes?.MessageGroupId).toBe(envelope.subject);
      expect(message.Attributes?.MessageDeduplicationId).toBe(envelope.id);
    }
    const accountA = delivered['billing-sync']!.map(envelopeOf).filter((e) => e.subject === 'acct_aaaaaa01');
    expect(accountA.map((e) => (e.data as EventDataMap['subscription.changed']).sequence)).toEqual([1, 2, 3]);
  });

  it('sends 25 events of a topic in requests of 10, 10 and 5, with the caller’s ids, time and correlation ids', async () => {
    const at = new Date('2026-11-28T11:00:00Z');
    const events: PublishEvent[] = Array.from({ length: 25 }, (_, i) => ({
      type: 'user.profile-updated' as const,
      data: { userId: `usr_bulk${String(i).padStart(4, '0')}`, revision: 1, updatedAt: '2026-11-28T10:00:00Z' },
      subject: `usr_bulk${String(i).padStart(4, '0')}`,
      id: `bulk-${i}`,
      time: at,
      ...(i % 2 === 0 && { correlationId: `corr-bulk-${i}` }),
    }));
    const { result, requests } = await requestsDuring(() => publisher().publishBatch(events));
    expect(result.failed).toEqual([]);
    expect(requests.map((r) => r.ids.length)).toEqual([10, 10, 5]);
    expect(requests.flatMap((r) => r.ids)).toEqual(events.map((e) => e.id));
    const delivered = (await drainAll(topology.queueUrls))['crm-sync']!.map(envelopeOf);
    expect(delivered.map((e) => e.id).sort()).toEqual(events.map((e) => e.id!).sort());
    for (const envelope of delivered) {
      const i = Number(envelope.id.split('-')[1]);
      expect(envelope.time).toBe('2026-11-28T11:00:00.000Z');
      expect(envelope.correlationid).toBe(i % 2 === 0 ? `corr-bulk-${i}` : envelope.id);
    }
  });

  it('packs a FIFO topic’s requests with one event of each account, each account in order', async () => {
    const account = (a: string, n: number) => ({ type: 'subscription.changed' as const, data: subscriptionChange(a, n), subject: a, id: `${a}-${n}` });
    const events: PublishEvent[] = [account('acct_cccccc03', 1), account('acct_cccccc03', 2), account('acct_cccccc03', 3), account('acct_dddddd04', 1), account('acct_dddddd04', 2)];
    const { result, requests } = await requestsDuring(() => publisher().publishBatch(events));
    expect(result.failed).toEqual([]);
    expect(requests.map((r) => r.ids)).toEqual([['acct_cccccc03-1', 'acct_dddddd04-1'], ['acct_cccccc03-2', 'acct_dddddd04-2'], ['acct_cccccc03-3']]);
    const billing = (await drainAll(topology.queueUrls))['billing-sync']!.map(envelopeOf);
    const sequences = (a: string) => billing.filter((e) => e.subject === a).map((e) => (e.data as EventDataMap['subscription.changed']).sequence);
    expect(sequences('acct_cccccc03')).toEqual([1, 2, 3]);
    expect(sequences('acct_dddddd04')).toEqual([1, 2]);
  });

  it('writes the version the producer was built for after a newer one is registered, or the one it is told to', async () => {
    // A registry of its own, where user.signed-up gets a v3 the producer's types do not know:
    // v3 requires a `referrer` (fine under FORWARD or NONE, where old readers ignore it).
    const registryName = uniqueName('contracts-v3');
    await registerContracts(glue, registryName, pipeline);
    const v2 = JSON.parse(readFileSync(join(SCHEMAS, 'user.signed-up', 'v2.json'), 'utf8')) as Record<string, unknown>;
    const v3 = {
      ...v2,
      $id: 'urn:fanout:contract:user.signed-up:v3',
      properties: { ...(v2.properties as object), referrer: { type: 'string' } },
      required: [...(v2.required as string[]), 'referrer'],
    };
    await glue.send(new RegisterSchemaVersionCommand({ SchemaId: { RegistryName: registryName, SchemaName: 'user.signed-up' }, SchemaDefinition: JSON.stringify(v3) }));
    const contracts = new GlueContractResolver({ glue, registryName });
    expect(await contracts.latestVersion('user.signed-up')).toBe(3);

    const pinned = publisherForPipeline(pipeline, topology.outputs, { sns, contracts, source: SOURCE });
    const published = await pinned.publish('user.signed-up', signUp(60, true), { subject: 'usr_00000060', id: 'pinned-v2' });
    expect(published.version).toBe(2);

    const told = publisherForPipeline(pipeline, topology.outputs, { sns, contracts, source: SOURCE, versions: { 'user.signed-up': 3 } });
    const v3Data = { ...signUp(61, true), referrer: 'newsletter' } as EventDataMap['user.signed-up'];
    expect((await told.publish('user.signed-up', v3Data, { subject: 'usr_00000061', id: 'told-v3' })).version).toBe(3);

    const crm = (await drainAll(topology.queueUrls))['crm-sync']!;
    const byId = new Map(crm.map((m) => [envelopeOf(m).id, m]));
    expect(envelopeOf(byId.get('pinned-v2')!).dataschema).toBe('urn:fanout:contract:user.signed-up:v2');
    expect(byId.get('pinned-v2')!.MessageAttributes?.schemaversion?.StringValue).toBe('2');
    expect(envelopeOf(byId.get('told-v3')!).dataschema).toBe('urn:fanout:contract:user.signed-up:v3');
    expect(byId.get('told-v3')!.MessageAttributes?.schemaversion?.StringValue).toBe('3');
  });

  it('splits large events by bytes (never over 256 KB a request), and refuses only the one over the message limit', async () => {
    // A contract of its own that takes any object, on a topic and queue of its own.
    const dir = mkdtempSync(join(tmpdir(), 'fanout-blob-'));
    mkdirSync(join(dir, 'blob.stored'));
    writeFileSync(join(dir, 'blob.stored', 'v1.json'), JSON.stringify({ $id: 'urn:fanout:contract:blob.stored:v1', title: 'BlobStored', type: 'object' }));
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: uniqueName('blobs') }));
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('blobs') }));
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: Attributes!.QueueArn, Attributes: { RawMessageDelivery: 'true' } }));
    try {
      const blobs = createPublisher<{ 'blob.stored': { n: number; blob: string } }>({
        sns,
        topicArnFor: () => TopicArn,
        contracts: new FileContractResolver(dir),
        versions: { 'blob.stored': 1 },
        source: SOURCE,
      });
      const events = Array.from({ length: 7 }, (_, n) => ({ type: 'blob.stored' as const, data: { n, blob: 'x'.repeat(100_000) }, subject: `b${n}`, id: `blob-${n}` }));
      const tooBig = { type: 'blob.stored' as const, data: { n: 99, blob: 'x'.repeat(300_000) }, subject: 'big', id: 'blob-big' };
      const { result, requests } = await requestsDuring(() => blobs.publishBatch([tooBig, ...events]));
      expect(result.published.map((p) => p.id)).toEqual(events.map((e) => e.id));
      expect(result.failed).toHaveLength(1);
      expect(result.failed[0]).toMatchObject({ id: 'blob-big', code: 'MessageTooLargeError', permanent: true });
      expect(result.failed[0]!.error).toBeInstanceOf(MessageTooLargeError);
      expect(requests.map((r) => r.ids.length)).toEqual([2, 2, 2, 1]);
      for (const request of requests) expect(request.bytes).toBeLessThanOrEqual(SNS_MAX_BATCH_BYTES);
      const delivered = await drain(QueueUrl!);
      expect(delivered.map((m) => envelopeOf(m).id).sort()).toEqual(events.map((e) => e.id).sort());
      expect(delivered.every((m) => (envelopeOf(m).data as { blob: string }).blob.length === 100_000)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('sends nothing when the data breaks the contract', async () => {
    const requestsBefore = snsRequests;
    const bad = { ...signUp(9, true), email: 'not-an-email' };
    const error = await publisher()
      .publish('user.signed-up', bad, { subject: 'usr_00000009' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ContractViolationError);
    expect((error as ContractViolationError).violations).toEqual([{ path: '/email', rule: 'format', message: 'must match format "email"' }]);
    expect(snsRequests).toBe(requestsBefore);
    const delivered = await drainAll(topology.queueUrls);
    expect(Object.values(delivered).flat()).toEqual([]);
  });

  it('measures SNS requests per published event at a steady batch load (target <= 0.1)', async () => {
    const rounds = 10;
    const perRound = { user: 40, billing: 10 };
    const p = publisher();
    await p.publish('user.signed-up', signUp(0), { subject: 'usr_00000000' }); // warm the contract cache
    await drainAll(topology.queueUrls);
    const before = snsRequests;
    const started = performance.now();
    let published = 0;
    let delivered = 0;
    for (let round = 0; round < rounds; round += 1) {
      const events: PublishEvent[] = [
        ...Array.from({ length: perRound.user }, (_, i) => ({ type: 'user.signed-up' as const, data: signUp(round * 100 + i, i % 2 === 0), subject: `usr_${round}_${i}` })),
        ...Array.from({ length: perRound.billing }, (_, i) => ({
          type: 'subscription.changed' as const,
          data: subscriptionChange(`acct_load${String(i).padStart(4, '0')}`, round + 1),
          subject: `acct_load${String(i).padStart(4, '0')}`,
        })),
      ];
      const result = await p.publishBatch(events);
      expect(result.failed).toEqual([]);
      published += result.published.length;
      // Consumers drain while producers publish (the emulator slows down with depth).
      delivered += Object.values(await drainAll(topology.queueUrls)).flat().length;
    }
    const seconds = (performance.now() - started) / 1000;
    const requests = snsRequests - before;
    const perEvent = requests / published;
    console.log(
      `[measure] SNS requests per published event: ${requests} PublishBatch requests for ${published} events = ${perEvent.toFixed(3)} (target <= 0.1); ${rounds} batches of ${perRound.user} user + ${perRound.billing} billing events, ${(published / seconds).toFixed(0)} events/s published and drained on the emulator`,
    );
    expect(published).toBe(rounds * (perRound.user + perRound.billing));
    // Every user event reaches crm-sync, the opted-in half email-marketing too, every billing event billing-sync.
    expect(delivered).toBe(rounds * (perRound.user + perRound.user / 2 + perRound.billing));
    expect(perEvent).toBeLessThanOrEqual(0.1);
  });
});

describe('fanout publish', () => {
  let dir: string;
  let outputsFile: string;
  let exitCode: number | undefined;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'fanout-publish-'));
    outputsFile = join(dir, 'outputs.json');
    writeFileSync(outputsFile, JSON.stringify({ [pipeline.name]: topology.outputs }));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function run(args: string[], stdin = '', definition = pipeline) {
    const out: string[] = [];
    const err: string[] = [];
    const program = new Command().exitOverride();
    registerPublishCommand(program, () => ({
      sns: createPublisherSnsClient(emulatorClientConfig()),
      glue: new GlueClient(emulatorClientConfig()),
      io: { out: (t) => out.push(t), err: (t) => err.push(t), interactive: false },
      readStdin: async () => stdin,
      pipeline: definition,
    }));
    const previous = process.exitCode;
    await program.parseAsync(['publish', ...args], { from: 'user' });
    exitCode = process.exitCode as number | undefined;
    process.exitCode = previous;
    return { code: exitCode, out, err };
  }

  function dataFile(name: string, content: unknown): string {
    const file = join(dir, name);
    writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
    return file;
  }

  it('builds its SNS client without SDK retries: the publisher owns them', async () => {
    const deps = defaultPublishDeps();
    try {
      expect(await deps.sns.config.maxAttempts()).toBe(1);
    } finally {
      deps.sns.destroy();
      deps.glue.destroy();
    }
  });

  it('writes the contract version --contract-version names', async () => {
    const { [`marketingOptIn`]: _optIn, ...v1Data } = signUp(46, true);
    const { code, out } = await run(['user.signed-up', '--data', dataFile('v1.json', v1Data), '--outputs-file', outputsFile, '--contract-version', '1', '--json']);
    expect(code).toBe(0);
    expect(JSON.parse(out.join('\n'))).toMatchObject({ type: 'user.signed-up', version: 1 });
    const crm = (await drainAll(topology.queueUrls))['crm-sync']!;
    expect(crm.map((m) => envelopeOf(m).dataschema)).toEqual(['urn:fanout:contract:user.signed-up:v1']);
    // A version that is not a number is refused before anything is read or sent.
    expect((await run(['user.signed-up', '--data', dataFile('v1b.json', v1Data), '--outputs-file', outputsFile, '--contract-version', 'two'])).code).toBe(2);
  });

  it('publishes through the stack outputs and Glue, and prints the event id', async () => {
    const file = dataFile('ok.json', signUp(42, true));
    const { code, out, err } = await run(['user.signed-up', '--data', file, '--outputs-file', outputsFile, '--id', 'cli-42', '--correlation-id', 'corr-cli']);
    expect({ code, out }).toEqual({ code: 0, out: ['cli-42'] });
    expect(err.join('\n')).toMatch(/published user\.signed-up v2 to arn:aws:sns:/);
    const delivered = await drainAll(topology.queueUrls);
    expect(delivered['crm-sync']!.map((m) => envelopeOf(m))).toMatchObject([{ id: 'cli-42', subject: 'usr_00000042', correlationid: 'corr-cli', source: 'urn:fanout:cli' }]);
    expect(delivered['email-marketing']!.map((m) => envelopeOf(m).id)).toEqual(['cli-42']);
  });

  it('warns when the event it published matches no subscription, which SNS accepts without a word', async () => {
    // The pipeline as if crm-sync were gone: only email-marketing, which wants opted-in users, is left on user-events.
    const withoutCrm = resolvePipeline({ ...samplePipeline, consumers: samplePipeline.consumers.filter((c) => c.name !== 'crm-sync') }, SCHEMAS);
    const optedOut = dataFile('opted-out.json', signUp(48, false));
    const { code, err } = await run(['user.signed-up', '--data', optedOut, '--outputs-file', outputsFile], '', withoutCrm);
    expect(code).toBe(0);
    expect(err.join('\n')).toMatch(/warning: matches no subscription of topic user-events/);
    const asJson = await run(['user.signed-up', '--data', optedOut, '--outputs-file', outputsFile, '--json'], '', withoutCrm);
    expect(JSON.parse(asJson.out.join('\n')).warnings).toEqual([expect.stringMatching(/matches no subscription/)]);
    // The same event with the whole pipeline reaches crm-sync: no warning.
    expect((await run(['user.signed-up', '--data', optedOut, '--outputs-file', outputsFile])).err.join('\n')).not.toMatch(/warning/);
    await drainAll(topology.queueUrls);
  });

  it('derives the event id from --key, the same on every run, so running the command again is the same event', async () => {
    const file = dataFile('keyed.json', signUp(47));
    const args = ['user.signed-up', '--data', file, '--outputs-file', outputsFile, '--key', 'usr_00000047/signed-up'];
    const first = await run(args);
    const second = await run(args);
    const id = deterministicEventId('user.signed-up', 'usr_00000047/signed-up');
    expect([first, second].map((r) => [r.code, r.out])).toEqual([
      [0, [id]],
      [0, [id]],
    ]);
    expect((await drainAll(topology.queueUrls))['crm-sync']!.map((m) => envelopeOf(m).id)).toEqual([id, id]);
    const both = await run([...args, '--id', 'x']);
    expect(both.code).toBe(2);
    expect(both.err.join('\n')).toMatch(/--id and --key both name the event id/);
  });

  it('reads data from stdin and answers in JSON', async () => {
    const { code, out } = await run(['subscription.changed', '--data', '-', '--outputs-file', outputsFile, '--json'], JSON.stringify(subscriptionChange('acct_cli00001', 1)));
    expect(code).toBe(0);
    const answer = JSON.parse(out.join('\n'));
    // (moto's PublishBatch returns no SequenceNumber for FIFO topics; SNS does, and the publisher passes it on.)
    expect(answer).toMatchObject({ type: 'subscription.changed', version: 1, id: expect.any(String), topicArn: expect.stringMatching(/\.fifo$/) });
    const billing = (await drainAll(topology.queueUrls))['billing-sync']!;
    expect(billing.map((m) => [envelopeOf(m).id, m.Attributes?.MessageGroupId])).toEqual([[answer.id, 'acct_cli00001']]);
  });

  it('exits 1 with each violation when the contract rejects the data, sending nothing', async () => {
    const file = dataFile('bad.json', { ...signUp(43), plan: 'gold', extra: 1 });
    const { code, out, err } = await run(['user.signed-up', '--data', file, '--outputs-file', outputsFile]);
    expect(code).toBe(1);
    expect(out).toEqual([]);
    expect(err).toEqual(expect.arrayContaining(['  /plan: must be equal to one of the allowed values (enum)', '  /extra: is not allowed by the contract (additionalProperties)']));
    expect(Object.values(await drainAll(topology.queueUrls)).flat()).toEqual([]);
  });

  it('validates against schemas/ with --contracts-from-files, needing no registry', async () => {
    const withoutRegistry = join(dir, 'no-registry.json');
    const { [OutputKey.schemaRegistryName()]: _registry, ...rest } = topology.outputs;
    writeFileSync(withoutRegistry, JSON.stringify({ [pipeline.name]: rest }));
    const file = dataFile('profile.json', { userId: 'usr_00000044', revision: 1, updatedAt: '2026-11-28T10:00:00Z' });
    const withGlue = await run(['user.profile-updated', '--data', file, '--outputs-file', withoutRegistry]);
    expect(withGlue.code).toBe(2);
    expect(withGlue.err.join('\n')).toMatch(/no output "SchemaRegistryName"/);
    const fromFiles = await run(['user.profile-updated', '--data', file, '--outputs-file', withoutRegistry, '--contracts-from-files']);
    expect(fromFiles.code).toBe(0);
    expect((await drainAll(topology.queueUrls))['crm-sync']!.map((m) => envelopeOf(m).id)).toEqual(fromFiles.out);
  });

  it('exits 1 with a hint when the contracts are not registered', async () => {
    const unregistered = join(dir, 'unregistered.json');
    writeFileSync(unregistered, JSON.stringify({ [pipeline.name]: { ...topology.outputs, [OutputKey.schemaRegistryName()]: uniqueName('empty') } }));
    const { code, out, err } = await run(['user.signed-up', '--data', dataFile('ok2.json', signUp(45)), '--outputs-file', unregistered, '--id', 'unregistered-45']);
    expect(code).toBe(1);
    expect(err.join('\n')).toMatch(/register the contracts first \(fanout contracts register\)/);
    // Not published, and the id says which event, for a script to retry it once the contracts are there.
    expect(out).toEqual(['unregistered-45']);
    const json = await run(['user.signed-up', '--data', dataFile('ok3.json', signUp(45)), '--outputs-file', unregistered, '--id', 'unregistered-45', '--json']);
    expect(JSON.parse(json.out.join('\n'))).toMatchObject({ name: 'ContractLookupRejectedError', eventId: 'unregistered-45', correlationId: 'unregistered-45', permanent: true });
  });

  it.each([
    ['an unknown event type', ['user.deleted', '--data', 'x.json'], /unknown event type "user\.deleted"; the pipeline has: user\.signed-up/],
    ['an unreadable data file', ['user.signed-up', '--data', '/no/such/file.json'], /cannot read --data \/no\/such\/file\.json/],
    ['data that is not JSON', ['user.signed-up', '--data', 'NOT_JSON'], /is not JSON/],
    ['no subject to be found', ['user.signed-up', '--data', 'NO_SUBJECT'], /--subject is required/],
  ])('exits 2 on %s', async (_label, args, message) => {
    const resolved = args.map((a) => (a === 'NOT_JSON' ? dataFile('not.json', '{nope') : a === 'NO_SUBJECT' ? dataFile('nosubject.json', { plan: 'free' }) : a));
    const { code, err } = await run([...resolved, '--outputs-file', outputsFile]);
    expect(code).toBe(2);
    expect(err.join('\n')).toMatch(message);
  });
});
