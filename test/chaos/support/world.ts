/**
 * One chaos test's world: its own emulator (so a test may freeze or kill it), the
 * synthesized sample stack created on it from the template, every consumer run from its
 * cdk.out bundle in its own processes behind Lambda's event-source semantics, and the
 * publisher producers use. The same parts `npm start` uses, so what a fault breaks here
 * would break there.
 *
 * Counting is done from the outside: what SNS accepted (the publications), what the
 * downstream tables recorded (effect logs with their application counts) and what the
 * DLQs hold, reconciled per consumer by local/report.ts. "Lost" and "duplicate effects"
 * are computed, never assumed.
 */
import { closeSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { SetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import type { SNSClient } from '@aws-sdk/client-sns';
import { inject } from 'vitest';
import { createPublisherSnsClient, publisherForPipeline, type Publisher } from '../../../client/publisher';
import type { RetryPolicy } from '../../../client/retry';
import { ConsumerEnv } from '../../../contracts/consumer-environment';
import type { EventDataMap } from '../../../contracts/event-types.generated';
import { GlueContractResolver } from '../../../contracts/glue-registry';
import { resolvePipeline, type ResolvedPipeline } from '../../../model/pipeline-definition';
import { pipeline as samplePipeline } from '../../../pipeline';
import { OutputKey } from '../../../model/stack-outputs';
import { observeConsumers, startConsumers, stopConsumers, type ChaosPlan, type RunningConsumer } from '../../../local/consumer-fleet';
import { DEMO_SOURCE, publicationOf, publishWorkload, type PlannedEvent, type PublicationRecord, type WorkloadResult } from '../../../local/demo-workload';
import { PROJECT_ROOT, startEmulator, type Emulator } from '../../../local/emulator';
import { sleep } from '../../../local/event-source-poller';
import { createEmulatorClients, destroyClients, emulatorClientSettings, materializeStack, type EmulatorClients, type MaterializedStack } from '../../../local/materialize';
import { buildReport, type ConsumerObservations, type EffectRecord, type RunReport } from '../../../local/report';
import { readAssemblyStack } from '../../../local/synth';
import { queueDepth } from '../../../ops/adapters/sqs-dead-letters';
import { startFaultProxy, type FaultProxy } from './fault-proxy';

/** The sample pipeline, resolved as the app resolves it. */
export const PIPELINE: ResolvedPipeline = resolvePipeline(samplePipeline, join(PROJECT_ROOT, 'schemas'));

/**
 * A retry budget scaled down from an hour to seconds, so an outage "longer than the
 * budget" fits in a test: 20 s, backoff 1 s doubling to 4 s. The queue's maxReceiveCount
 * (from the template, derived for the real budget) stays, so the kit's own give-up is
 * what ends the retries, as it is on AWS.
 */
export const SCALED_RETRY_BUDGET = {
  [ConsumerEnv.RetryBudgetSeconds]: '20',
  [ConsumerEnv.RetryBaseDelaySeconds]: '1',
  [ConsumerEnv.RetryMaxDelaySeconds]: '4',
} as const;

/** Options of {@link startWorld}. */
export interface WorldOptions {
  /** Variables on top of the template's, per consumer (a scaled retry budget, chaos rates). */
  readonly environment?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** One consumer's downstream fails transiently for a while (local/consumer-fleet.ts). */
  readonly chaos?: ChaosPlan;
  /**
   * The chaos window's length, seconds, counted from when the consumers are started
   * (replaces `chaos.until`): an outage of a planned length, however long the emulator
   * and the stack took to come up. {@link World.chaosUntil} says when it ends.
   * @default `chaos.until` as given
   */
  readonly chaosSeconds?: number;
  /**
   * Visibility timeout of every consumer queue, seconds, and the function timeout with it
   * (Lambda requires timeout <= visibility): a killed or timed-out batch comes back after
   * this long instead of the template's 180 s. @default the template's
   */
  readonly visibilityTimeoutSeconds?: number;
  /** Function timeout, seconds. @default the template's (30 s) */
  readonly functionTimeoutSeconds?: number;
  /** Route the consumers' DynamoDB calls (idempotency store and downstream) through a fault proxy. */
  readonly dynamodbProxy?: boolean;
  /** Start only these consumers. @default all */
  readonly consumers?: readonly string[];
  /**
   * Batches in flight at once, per consumer, instead of the template's ScalingConfig
   * (at most 5 locally): a consumer with fewer slots than its arrivals need falls behind,
   * so its batches fill up however fast the emulator answers. @default the template's
   */
  readonly concurrency?: Readonly<Record<string, number>>;
  /**
   * The publisher's retry policy (client/retry.ts), over its default: a producer that
   * gives up sooner, so a broker outage of a test's length ends in reported failures.
   * @default DEFAULT_RETRY_POLICY
   */
  readonly publisherRetry?: Partial<RetryPolicy>;
}

/** A running world; {@link World.stop} ends every process it started. */
export interface World {
  readonly emulator: Emulator;
  readonly clients: EmulatorClients;
  readonly stack: MaterializedStack;
  readonly outputs: Readonly<Record<string, string>>;
  readonly consumers: readonly RunningConsumer[];
  readonly publisher: Publisher<EventDataMap>;
  /** The SNS client the publisher uses (one SDK attempt, the publisher's timeouts). */
  readonly publisherSns: SNSClient;
  /** In front of the emulator for the consumers' DynamoDB calls, with `dynamodbProxy`. */
  readonly proxy?: FaultProxy;
  /** When the chaos window ends (`chaos.until`, or the end of `chaosSeconds`); undefined without chaos. */
  readonly chaosUntil?: Date;
  /** Every publication SNS accepted so far, in order (a duplicate is one more). */
  readonly published: PublicationRecord[];
  consumer(name: string): RunningConsumer;
  topicArnFor(eventType: string): string;
  /** Publishes a plan at `rate` per second (through the publisher, or raw for invalid events). */
  publishPlan(plan: readonly PlannedEvent[], rate: number): Promise<WorkloadResult>;
  /** Publishes one event `times` times at once, same id: what a producer's concurrent retries do. */
  publishConcurrently(event: PlannedEvent, times: number): Promise<number>;
  /** Waits until every consumer queue is empty and no batch runs (two samples in a row). */
  drain(timeoutMs: number): Promise<void>;
  /** What every consumer did with this world's publications. */
  observe(): Promise<Map<string, ConsumerObservations>>;
  /** The reconciliation of {@link observe} against {@link published}. */
  report(): Promise<RunReport>;
  stop(): Promise<void>;
}

/**
 * Starts a world: emulator, stack, consumers, publisher.
 * Synthesis happens once per test run, in the chaos project's global set-up.
 */
export async function startWorld(options: WorldOptions = {}): Promise<World> {
  const assemblyDir = inject('chaosAssemblyDir');
  const region = inject('chaosRegion');
  const accountId = inject('chaosAccountId');
  const { template } = readAssemblyStack(assemblyDir, PIPELINE.name);
  const emulator = await startEmulator();
  let clients: EmulatorClients | undefined;
  let consumers: RunningConsumer[] = [];
  let proxy: FaultProxy | undefined;
  let publisherSns: SNSClient | undefined;
  try {
    clients = createEmulatorClients(emulator.endpoint, region);
    const stack = await materializeStack({ stackName: PIPELINE.name, template, assemblyDir, region, accountId, clients });
    if (options.visibilityTimeoutSeconds !== undefined) {
      for (const mapping of stack.eventSourceMappings) {
        await clients.sqs.send(
          new SetQueueAttributesCommand({ QueueUrl: mapping.queueUrl, Attributes: { VisibilityTimeout: String(options.visibilityTimeoutSeconds) } }),
        );
      }
    }
    const timeoutSeconds = options.functionTimeoutSeconds;
    const functions = stack.functions.map((f) => (timeoutSeconds === undefined ? f : { ...f, timeoutSeconds }));
    const wanted = options.consumers;
    const running: MaterializedStack = {
      ...stack,
      functions,
      eventSourceMappings: stack.eventSourceMappings.map((m) => {
        const name = functions.find((f) => f.logicalId === m.functionLogicalId)?.environment[ConsumerEnv.ConsumerName] ?? '';
        if (wanted && !wanted.includes(name)) return { ...m, enabled: false };
        const slots = options.concurrency?.[name];
        return slots === undefined ? m : { ...m, localConcurrency: slots };
      }),
    };
    if (options.dynamodbProxy) proxy = await startFaultProxy(emulator.endpoint);
    const environmentOverrides: Record<string, Record<string, string>> = {};
    for (const f of functions) {
      const name = f.environment[ConsumerEnv.ConsumerName]!;
      environmentOverrides[name] = { ...(proxy && { AWS_ENDPOINT_URL_DYNAMODB: proxy.endpoint }), ...options.environment?.[name] };
    }
    const chaos = options.chaos && options.chaosSeconds !== undefined ? { ...options.chaos, until: new Date(Date.now() + options.chaosSeconds * 1000) } : options.chaos;
    const logDir = join(PROJECT_ROOT, '.fanout', 'chaos', 'logs', `${Date.now()}-${Math.random().toString(36).slice(2, 6)}`);
    consumers = await startConsumers({
      stack: running,
      endpoint: emulator.endpoint,
      sqs: clients.sqs,
      logDir,
      runtimeDir: join(PROJECT_ROOT, '.fanout', 'runtime'),
      environmentOverrides,
      ...(chaos && { chaos }),
    });
    const outputs = stack.outputs;
    publisherSns = createPublisherSnsClient(emulatorClientSettings(emulator.endpoint, region));
    const publisher = publisherForPipeline(PIPELINE, outputs, {
      sns: publisherSns,
      contracts: new GlueContractResolver({ glue: clients.glue, registryName: outputs[OutputKey.schemaRegistryName()]! }),
      source: DEMO_SOURCE,
      ...(options.publisherRetry && { retry: options.publisherRetry }),
    });
    const topicArnFor = (eventType: string) => {
      const topic = PIPELINE.eventTypes.find((e) => e.name === eventType)!.topic;
      return outputs[OutputKey.topicArn(topic)]!;
    };
    const published: PublicationRecord[] = [];
    const c = clients;
    const world: World = {
      emulator,
      clients: c,
      stack,
      outputs,
      consumers,
      publisher,
      publisherSns,
      ...(proxy && { proxy }),
      ...(chaos && { chaosUntil: chaos.until }),
      published,
      consumer: (name) => {
        const found = consumers.find((x) => x.name === name);
        if (!found) throw new Error(`no consumer ${name} in this world`);
        return found;
      },
      topicArnFor,
      async publishPlan(plan, rate) {
        return publishWorkload(plan, { publisher, sns: c.sns, topicArnFor, rate, onPublished: (record) => published.push(record) });
      },
      async publishConcurrently(event, times) {
        const time = new Date();
        const results = await Promise.allSettled(
          Array.from({ length: times }, () =>
            publisher.publish(event.type as keyof EventDataMap, event.data as never, { subject: event.subject, id: event.id, correlationId: event.id, time }),
          ),
        );
        const topicArn = topicArnFor(event.type);
        const accepted = results.filter((r) => r.status === 'fulfilled').length;
        for (let i = 0; i < accepted; i++) published.push(publicationOf(event, time, topicArn));
        return accepted;
      },
      async drain(timeoutMs) {
        const deadline = Date.now() + timeoutMs;
        let calm = 0;
        let last = 'no sample';
        while (Date.now() < deadline) {
          try {
            const depths = await Promise.all(consumers.map((x) => queueDepth(c.sqs, x.queueUrl)));
            const idle = consumers.every((x) => x.poller.stats.inFlightBatches === 0);
            calm = depths.every((d) => d.visible + d.inFlight + d.delayed === 0) && idle ? calm + 1 : 0;
            last = consumers
              .map((x, i) => `${x.name}: ${depths[i]!.visible} visible, ${depths[i]!.inFlight} in flight, ${depths[i]!.delayed} delayed, ${x.poller.stats.inFlightBatches} batches running`)
              .join('; ');
          } catch (error) {
            calm = 0;
            last = `sampling failed: ${(error as Error).message}`;
          }
          if (calm >= 2) return;
          await sleep(1000);
        }
        throw new Error(`the queues did not drain within ${timeoutMs / 1000} s (${last})`);
      },
      async observe() {
        return observeConsumers(consumers, c, new Set(published.map((p) => p.event.id)));
      },
      async report() {
        return buildReport(
          published,
          consumers.map((x) => x.target),
          await world.observe(),
        );
      },
      async stop() {
        await stopConsumers(consumers, { graceMs: 1000 });
        destroyClients(c);
        publisherSns?.destroy();
        await proxy?.close();
        await emulator.stop();
      },
    };
    return world;
  } catch (error) {
    await stopConsumers(consumers, { graceMs: 500 });
    if (clients) destroyClients(clients);
    publisherSns?.destroy();
    await proxy?.close();
    await emulator.stop();
    throw error;
  }
}

/** The process ids of one consumer's execution environments (children running its cdk.out asset). */
export function environmentPids(world: World, consumer: string): number[] {
  const asset = world.stack.functions.find((f) => f.environment[ConsumerEnv.ConsumerName] === consumer)!.assetFile;
  const pids: number[] = [];
  for (const entry of readdirSafe('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The runner starts each environment as `node consumer-process.mjs <asset> <export>`,
      // as a child of this process: other test runs' environments of the same asset are not ours.
      if (!readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').includes(asset)) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (parent === process.pid) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** A process's resident set (VmRSS) and its peak so far (VmHWM), KiB; undefined once it is gone. */
export function residentKiB(pid: number): { rss: number; peak: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 'NaN');
    return { rss: field('VmRSS'), peak: field('VmHWM') };
  } catch {
    return undefined;
  }
}

function readdirSafe(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

/** One invocation of a consumer's function, as {@link recordInvocations} saw it from the poller's side. */
export interface RecordedInvocation {
  readonly startedAtMs: number;
  /** Set once the invocation ended (a crash: once the runner saw the process exit). */
  endedAtMs?: number;
  /** Its records in batch order: event id (when the body parses), SQS receive count, FIFO message group. */
  readonly records: readonly { readonly eventId?: string; readonly receiveCount: number; readonly group?: string }[];
  /** How it ended: `ok`, or the failure kind (`crash`, `timeout`, `error`, `init`). */
  outcome?: 'ok' | 'error' | 'timeout' | 'crash' | 'init';
}

/**
 * Records every invocation the poller makes of `consumer` from now on (the function's
 * `invoke` is wrapped; nothing else changes), so a test can tell which batch a kill hit
 * and what happened to its events afterwards.
 */
export function recordInvocations(consumer: RunningConsumer): RecordedInvocation[] {
  const recorded: RecordedInvocation[] = [];
  const fn = consumer.function;
  const invoke = fn.invoke.bind(fn);
  fn.invoke = async (event) => {
    const entry: RecordedInvocation = {
      startedAtMs: Date.now(),
      records: event.Records.map((r) => {
        let eventId: string | undefined;
        try {
          eventId = (JSON.parse(r.body) as { id?: string }).id;
        } catch {
          // not an envelope: no id
        }
        return { ...(eventId && { eventId }), receiveCount: Number(r.attributes.ApproximateReceiveCount ?? '1'), ...(r.attributes.MessageGroupId && { group: r.attributes.MessageGroupId }) };
      }),
    };
    recorded.push(entry);
    const result = await invoke(event);
    entry.endedAtMs = Date.now();
    entry.outcome = result.ok ? 'ok' : result.kind;
    return result;
  };
  return recorded;
}

/** An event whose effect was written inside an invocation that then died, and what became of it. */
export interface WrittenThenKilled {
  readonly eventId: string;
  /** Later invocations that received it again after the one that died. */
  readonly redeliveries: number;
  /** Its effect-log application count (1 when the retry found it already applied). */
  readonly applications: number;
}

/**
 * The events written by an invocation that crashed or timed out before answering: their
 * effect-log item was first applied between the invocation's start and its death, they
 * were in its batch, and no other invocation running at that time held them. Each such
 * message was not deleted, so it came back; the second try must find the effect there.
 */
export function writtenThenKilled(invocations: readonly RecordedInvocation[], effects: ReadonlyMap<string, EffectRecord>): WrittenThenKilled[] {
  const found: WrittenThenKilled[] = [];
  for (const dead of invocations) {
    if (dead.outcome !== 'crash' && dead.outcome !== 'timeout') continue;
    const end = dead.endedAtMs!;
    for (const { eventId } of dead.records) {
      const effect = eventId === undefined ? undefined : effects.get(eventId);
      if (!effect || effect.appliedAtMs < dead.startedAtMs || effect.appliedAtMs > end) continue;
      const overlapping = invocations.some(
        (other) => other !== dead && other.startedAtMs <= effect.appliedAtMs && (other.endedAtMs ?? Infinity) >= effect.appliedAtMs && other.records.some((r) => r.eventId === eventId),
      );
      if (overlapping) continue;
      const redeliveries = invocations.filter((later) => later.startedAtMs >= end && later.records.some((r) => r.eventId === eventId)).length;
      found.push({ eventId: eventId!, redeliveries, applications: effect.applications });
    }
  }
  return found;
}

/**
 * SIGKILLs a consumer's execution environments `kills` times, each time while one of its
 * invocations (seen through {@link recordInvocations}) holding at least two records is
 * in the middle of them: a random 0 to 200 ms after the consumer logged the first of
 * them applied, or at the latest once it has run a random 0.3 to 1 s. Then waits 1.2 to
 * 2 s before the next. Lambda's host dying under a batch looks the same.
 * @returns how many kills hit a running invocation before `deadlineMs`
 */
export async function killMidBatch(world: World, consumer: string, invocations: readonly RecordedInvocation[], kills: number, deadlineMs: number): Promise<number> {
  const logFile = world.consumer(consumer).logFile;
  let state = 0x2545f491;
  const random = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32;
  // Event ids the consumer logged as applied, and when that was read, as its log grows.
  const applied = new Map<string, number>();
  let offset = 0;
  let partial = '';
  const readLog = () => {
    const fd = openSync(logFile, 'r');
    try {
      const buffer = Buffer.alloc(1 << 16);
      for (let n; (n = readSync(fd, buffer, 0, buffer.length, offset)) > 0; offset += n) partial += buffer.toString('utf8', 0, n);
    } finally {
      closeSync(fd);
    }
    const lines = partial.split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      const id = /"message":"event applied".*"event_id":"([^"]+)"/.exec(line)?.[1];
      if (id) applied.set(id, Date.now());
    }
  };
  let done = 0;
  let waitMs = 300 + Math.floor(random() * 700);
  let extraMs = Math.floor(random() * 200);
  while (done < kills && Date.now() < deadlineMs) {
    readLog();
    const target = invocations.find((i) => {
      if (i.endedAtMs !== undefined || i.records.length < 2) return false;
      const firstApplied = i.records.some((r) => r.eventId !== undefined && (applied.get(r.eventId) ?? 0) >= i.startedAtMs);
      return Date.now() - i.startedAtMs >= waitMs || firstApplied;
    });
    if (!target) {
      await sleep(20);
      continue;
    }
    if (Date.now() - target.startedAtMs < waitMs) await sleep(extraMs);
    if (target.endedAtMs !== undefined) continue;
    for (const pid of environmentPids(world, consumer)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // exited meanwhile
      }
    }
    done += 1;
    waitMs = 300 + Math.floor(random() * 700);
    extraMs = Math.floor(random() * 200);
    // Let the runner see the exit and the poller move on before the next kill.
    await sleep(1200 + Math.floor(random() * 800));
  }
  return done;
}
