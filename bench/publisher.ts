/**
 * `npx tsx bench/publisher.ts`: what the publisher and the Glue resolver cost in AWS calls,
 * measured against the local emulator (started and stopped here), medians over several runs.
 *
 * - SNS requests per published event: publishBatch at a steady load vs one publish() per
 *   event (target <= 0.1 for the batch path), with the emulator's events/s beside them.
 * - Glue calls per message: a warm GlueContractResolver vs one without a cache (maxEntries 0)
 *   (target 0 after the first call per version).
 *
 * Throughput here is the emulator's (single-threaded moto), not SNS's: compare the two
 * paths with each other, not with AWS.
 */
import { GlueClient } from '@aws-sdk/client-glue';
import { CreateTopicCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { registerContracts } from '../contracts/glue-registration';
import { GlueContractResolver } from '../contracts/glue-registry';
import type { EventDataMap } from '../contracts/event-types.generated';
import { loadPipeline } from '../model/load-pipeline';
import { OutputKey } from '../model/stack-outputs';
import { startEmulator } from '../local/emulator';
import { SDK_TIMEOUTS, withSdkTimeouts } from '../contracts/sdk-client-config';
import { createPublisherSnsClient, publisherForPipeline, type PublishEvent } from '../client/publisher';
import { recordFigure } from './scorecard';

const RUNS = 5;
const BATCH_EVENTS = 200;
const BATCH_SIZE = 50;
const SINGLE_EVENTS = 40;
const RESOLVES = 2000;

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

const signUp = (n: number): EventDataMap['user.signed-up'] => ({
  userId: `usr_${String(n).padStart(8, '0')}`,
  email: `user${n}@example.com`,
  name: `User ${n}`,
  plan: 'free',
  signedUpAt: '2026-11-28T09:30:00Z',
  marketingOptIn: n % 2 === 0,
});

async function main(): Promise<void> {
  const emulator = await startEmulator({ log: (line) => console.error(line) });
  const config = { endpoint: emulator.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } };
  const sns = createPublisherSnsClient(config);
  const sqs = new SQSClient(withSdkTimeouts(config, SDK_TIMEOUTS.local));
  const glue = new GlueClient(withSdkTimeouts(config, SDK_TIMEOUTS.local));
  let snsRequests = 0;
  // Below the SDK's retry loop: every HTTP request counts, retries included.
  sns.middlewareStack.add(
    (next) => async (args) => {
      snsRequests += 1;
      return next(args);
    },
    { step: 'deserialize', name: 'countSnsRequests' },
  );
  try {
    const pipeline = loadPipeline();
    const outputs: Record<string, string> = {};
    for (const topic of pipeline.topics) {
      const { TopicArn } = await sns.send(
        new CreateTopicCommand({ Name: `bench-${topic.name}${topic.fifo ? '.fifo' : ''}`, ...(topic.fifo && { Attributes: { FifoTopic: 'true' } }) }),
      );
      outputs[OutputKey.topicArn(topic.name)] = TopicArn!;
    }
    const queueUrls: string[] = [];
    for (const consumer of pipeline.consumers.filter((c) => !c.fifo)) {
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `bench-${consumer.name}` }));
      const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
      await sns.send(
        new SubscribeCommand({
          TopicArn: outputs[OutputKey.topicArn(consumer.topic)],
          Protocol: 'sqs',
          Endpoint: Attributes!.QueueArn,
          Attributes: { RawMessageDelivery: 'true', FilterPolicy: JSON.stringify(consumer.filter.policy), FilterPolicyScope: consumer.filter.scope },
        }),
      );
      queueUrls.push(QueueUrl!);
    }
    const registryName = 'bench-contracts';
    await registerContracts(glue, registryName, pipeline);
    // Consumers drain the queues between batches (untimed), so the emulator works at shallow depth.
    const drain = async () => {
      for (const QueueUrl of queueUrls) {
        for (;;) {
          const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
          if (Messages.length === 0) break;
          await sqs.send(new DeleteMessageBatchCommand({ QueueUrl, Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
        }
      }
    };

    const batch = { perEvent: [] as number[], eventsPerSecond: [] as number[] };
    const single = { perEvent: [] as number[], eventsPerSecond: [] as number[] };
    const warm = { perMessage: [] as number[], microsPerMessage: [] as number[] };
    const uncached = { perMessage: [] as number[], microsPerMessage: [] as number[] };
    let n = 0;
    for (let run = 0; run < RUNS; run += 1) {
      const publisher = publisherForPipeline(pipeline, outputs, { sns, contracts: new GlueContractResolver({ glue, registryName }), source: 'urn:fanout:bench' });
      await publisher.publish('user.signed-up', signUp(n++), { subject: 'warm-up' });
      await drain();

      let requests = snsRequests;
      let elapsed = 0;
      for (let sent = 0; sent < BATCH_EVENTS; sent += BATCH_SIZE) {
        const events: PublishEvent[] = Array.from({ length: BATCH_SIZE }, () => {
          const data = signUp(n++);
          return { type: 'user.signed-up' as const, data, subject: data.userId };
        });
        const started = performance.now();
        const result = await publisher.publishBatch(events);
        elapsed += performance.now() - started;
        if (result.failed.length > 0) throw new Error(`publishBatch failed: ${result.failed[0]!.message}`);
        await drain();
      }
      batch.perEvent.push((snsRequests - requests) / BATCH_EVENTS);
      batch.eventsPerSecond.push(BATCH_EVENTS / (elapsed / 1000));

      requests = snsRequests;
      const started = performance.now();
      for (let i = 0; i < SINGLE_EVENTS; i += 1) {
        const data = signUp(n++);
        await publisher.publish('user.signed-up', data, { subject: data.userId });
      }
      single.eventsPerSecond.push(SINGLE_EVENTS / ((performance.now() - started) / 1000));
      single.perEvent.push((snsRequests - requests) / SINGLE_EVENTS);
      await drain();

      for (const [resolver, into, count] of [
        [new GlueContractResolver({ glue, registryName }), warm, RESOLVES],
        // No cache: every message asks Glue (fewer messages: each is an emulator round trip).
        [new GlueContractResolver({ glue, registryName, maxEntries: 0 }), uncached, RESOLVES / 10],
      ] as const) {
        await resolver.resolve('user.signed-up', 1);
        await resolver.resolve('user.signed-up', 2);
        const before = resolver.glueCalls;
        const t0 = performance.now();
        for (let i = 0; i < count; i += 1) await resolver.resolve('user.signed-up', (i % 2) + 1);
        into.microsPerMessage.push(((performance.now() - t0) * 1000) / count);
        into.perMessage.push((resolver.glueCalls - before) / count);
      }
    }

    const row = (label: string, a: number, b: number, unit: string, digits = 3) =>
      console.log(`${label.padEnd(44)} ${a.toFixed(digits).padStart(10)} ${b.toFixed(digits).padStart(12)}   ${unit}`);
    console.log(`\nPublisher (median of ${RUNS} runs; ${BATCH_EVENTS} events in publishBatch calls of ${BATCH_SIZE}, ${SINGLE_EVENTS} single publishes)`);
    console.log(`${''.padEnd(44)} ${'batch'.padStart(10)} ${'single'.padStart(12)}`);
    row('SNS requests per event (target <= 0.1)', median(batch.perEvent), median(single.perEvent), `ratio single/batch ${(median(single.perEvent) / median(batch.perEvent)).toFixed(1)}x`);
    row('events/s on the emulator', median(batch.eventsPerSecond), median(single.eventsPerSecond), `ratio batch/single ${(median(batch.eventsPerSecond) / median(single.eventsPerSecond)).toFixed(1)}x`, 0);
    console.log(`\nGlue resolver (median of ${RUNS} runs; v1 and v2 alternating, after one lookup of each)`);
    console.log(`${''.padEnd(44)} ${'warm cache'.padStart(10)} ${'no cache'.padStart(12)}`);
    row('Glue calls per message (target 0)', median(warm.perMessage), median(uncached.perMessage), 'calls');
    row('microseconds per resolve', median(warm.microsPerMessage), median(uncached.microsPerMessage), `ratio ${(median(uncached.microsPerMessage) / median(warm.microsPerMessage)).toFixed(0)}x`, 1);
    recordFigure({
      id: 'sns-calls-per-event',
      label: 'SNS requests per event (publishBatch of 10)',
      value: median(batch.perEvent),
      unit: 'requests',
      baseline: { label: 'one publish per event', value: median(single.perEvent) },
      target: { op: '<=', value: 0.1 },
    });
    recordFigure({
      id: 'glue-calls-per-warm-message',
      label: 'Glue calls per message, warm resolver',
      value: median(warm.perMessage),
      unit: 'calls',
      baseline: { label: 'no cache', value: median(uncached.perMessage) },
      target: { op: '<=', value: 0 },
    });
  } finally {
    sns.destroy();
    sqs.destroy();
    glue.destroy();
    await emulator.stop();
  }
}

await main();
