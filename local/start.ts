/**
 * `npm start`: the whole pipeline on this machine, no AWS account, no Docker.
 *
 * {@link runLocal} runs these phases in order, each a function that takes what the
 * earlier ones made and returns what it makes:
 * 1. connectAndSynthesize: starts the emulator (moto, pinned, installed into .venv on
 *    first use) or uses --endpoint, and synthesizes the CDK app, both at once;
 * 2. createStack: creates on the emulator what the template declares
 *    (local/materialize.ts), writing the stack outputs to .fanout/outputs.json;
 * 3. startFleet: runs each consumer from its cdk.out asset in its own processes, polled
 *    with Lambda's event source mapping semantics (local/consumer-fleet.ts), with one
 *    downstream failing transiently for a while;
 * 4. publishDemo: publishes the demo workload (local/demo-workload.ts, every event type
 *    of the pipeline) at a paced rate, showing progress;
 * 5. drainQueues: waits for the queues to drain;
 * 6. reportRun: reports per consumer what should have happened against what the
 *    downstream recorded (local/report.ts); with --keep-running, keepServing then waits.
 * Whatever a phase starts is recorded at once in the run's resources, and releaseRun
 * stops all of it however the run ends.
 *
 * Exit codes: 0 every event accounted for; 1 the run found lost or duplicated effects,
 * or a consumer could not run; 2 set-up failed (emulator, synth, port); 130 interrupted.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { SNSClient } from '@aws-sdk/client-sns';
import { Command, InvalidArgumentError, Option } from 'commander';
import { ConsumerEnv } from '../contracts/consumer-environment';
import { GlueContractResolver } from '../contracts/glue-registry';
import { FanoutError } from '../contracts/errors';
import { createPublisherSnsClient, publisherForPipeline } from '../client/publisher';
import { loadPipeline } from '../model/load-pipeline';
import type { ResolvedPipeline } from '../model/pipeline-definition';
import { OutputKey } from '../model/stack-outputs';
import { EmulatorError, emulatorEndpointEnvironment, MOTO_VERSION, PROJECT_ROOT, startEmulator, type Emulator } from './emulator';
import { observeConsumers, startConsumers, stopConsumers, type ChaosPlan, type RunningConsumer } from './consumer-fleet';
import { DEMO_SOURCE, planWorkload, publishWorkload, type PublicationRecord, type WorkloadResult } from './demo-workload';
import { KitMetric } from '../lambdas/kit/telemetry';
import { FunctionStartError } from './function-runtime';
import { createEmulatorClients, destroyClients, emulatorClientSettings, LOCAL_MAX_CONCURRENCY, materializeStack, type EmulatorClients, type MaterializedStack } from './materialize';
import { queueDepth } from '../ops/adapters/sqs-dead-letters';
import { formatInvocationProblem, ProgressLine } from './progress';
import { buildReport, describeNotes, describeProblems, effectLatencyRecords, failedAttemptsInLog, renderReport, reportIsClean, type RunReport } from './report';
import { liveChildPids, spawnedPids, stopAllChildren } from './processes';
import { sleep } from './event-source-poller';
import { synthesize, type SynthesizedStack } from './synth';
import { writeHtmlReport, type DepthSample } from './html-report';
import { droppedEvents, droppedWarnings, watchDroppedEvents, type DroppedCounts, type WatchedTopic } from './dropped-events';
import { matchesFilterPolicy } from '../model/filter-policy';

/**
 * The default publishing rate, events per second: what moto sustains for the sample
 * pipeline on 2 cores with the consumers draining as fast as it is published. Each
 * event costs moto about five DynamoDB calls (idempotency record, state item, effect
 * log) on top of SNS and SQS, ~50 ms of its single thread. bench/local-throughput.ts
 * measured 14.9 events/s end to end at 15/s offered (p95 0.4 s) and 12.7 at 30/s
 * (p95 18 s): above the ceiling a backlog builds, and moto, which scans whole queues
 * per call, gets slower still.
 */
export const DEFAULT_RATE = 15;

/** How often a kept-running pipeline looks for events SNS's filters dropped (local/dropped-events.ts). */
const DROPPED_EVENTS_POLL_MS = 2000;

/** The emulator's account: moto's default. */
export const LOCAL_ACCOUNT_ID = '123456789012';

/** Where the runner writes what it produces. */
export const FANOUT_DIR = join(PROJECT_ROOT, '.fanout');

/** Options of a local run. */
export interface LocalRunOptions {
  /** Publications in the demo workload. */
  readonly events: number;
  /** Events per second. */
  readonly rate: number;
  /** Write the JSON report here. */
  readonly report?: string;
  /** Write the HTML report here. */
  readonly html?: string;
  /** Leave the emulator and consumers running after the report, until Ctrl-C. */
  readonly keepRunning: boolean;
  /** Port for the emulator. @default a free one */
  readonly port?: number;
  /** Use this emulator instead of starting one. */
  readonly endpoint?: string;
  /**
   * Serve every service from one emulator process, as before DynamoDB got its own (the
   * bench runs both side by side). @default false: DynamoDB in a second process
   */
  readonly oneEmulatorProcess?: boolean;
  /** With --endpoint: clear the emulator's state first (moto only). */
  readonly reset: boolean;
  readonly region: string;
  /** Synthesize even when nothing changed. */
  readonly resynth: boolean;
  /** Cloud assembly directory. */
  readonly cdkOut: string;
  /** How long to wait for the queues to drain after the last publication, seconds. */
  readonly drainTimeoutSeconds: number;
  /** Share of downstream writes that fail transiently at first (0 turns chaos off). */
  readonly chaosRate: number;
  /** Whose downstream fails. @default the first consumer with a DynamoDB downstream */
  readonly chaosConsumer?: string;
  /** Workload seed (the same plan for the same seed). */
  readonly seed: number;
}

/** Where a run writes its lines. */
export interface RunIo {
  readonly out: NodeJS.WriteStream;
  readonly err: NodeJS.WriteStream;
}

/** What a run ended with. */
export interface LocalRunResult {
  readonly exitCode: number;
  readonly report?: RunReport;
}

/** An option does not fit the stack (e.g. a consumer name it does not have). */
export class InvalidOptionError extends FanoutError {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidOptionError';
  }
}

/** The run was interrupted (Ctrl-C). */
export class InterruptedError extends FanoutError {
  constructor() {
    super('interrupted');
    this.name = 'InterruptedError';
  }
}

function checkAborted(signal: AbortSignal): void {
  if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new InterruptedError();
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const shown = (path: string) => (path.startsWith(PROJECT_ROOT) ? relative(process.cwd(), path) || '.' : path);

async function connectEmulator(options: LocalRunOptions, say: (line: string) => void): Promise<{ emulator: Emulator; owned: boolean }> {
  if (!options.endpoint) {
    // startEmulator's own "listening" line is left out: the runner says where it is.
    const log = (line: string) => {
      if (!line.startsWith('emulator (')) say(`emulator   ${line}`);
    };
    // DynamoDB in a process of its own, so both cores work (see startEmulator).
    const dynamodbProcess = !options.oneEmulatorProcess;
    return { emulator: await startEmulator({ ...(options.port !== undefined && { port: options.port }), dynamodbProcess, log }), owned: true };
  }
  const endpoint = options.endpoint.replace(/\/+$/, '');
  try {
    await fetch(endpoint, { signal: AbortSignal.timeout(3000) });
  } catch (cause) {
    throw new EmulatorError(`nothing answers at --endpoint ${endpoint}: start the emulator there, or omit --endpoint to start one`, { cause });
  }
  if (options.reset) {
    const response = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
    if (!response.ok) throw new EmulatorError(`--reset: ${endpoint} did not accept POST /moto-api/reset (HTTP ${response.status}); is it moto?`);
  }
  return {
    emulator: {
      endpoint,
      dynamodbEndpoint: endpoint,
      reset: async () => {
        await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
      },
      stop: async () => {},
    },
    owned: false,
  };
}

function summarizeStack(stack: MaterializedStack): string[] {
  const counts = new Map<string, number>();
  let created = 0;
  for (const resource of stack.resources.values()) {
    if (resource.status !== 'created' && resource.status !== 'reused') continue;
    created += 1;
    const kind = resource.type.split('::').slice(1).join(' ');
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  const skipped = [...new Set([...stack.resources.values()].filter((r) => r.status === 'skipped').map((r) => r.type.split('::').slice(1).join('::')))];
  const ignored = new Map<string, number>();
  for (const note of stack.notes) {
    const match = /ignores (queue|topic|table) attribute (\w+)/.exec(note);
    const key = match ? `${match[2]} (${match[1]})` : note;
    ignored.set(key, (ignored.get(key) ?? 0) + 1);
  }
  const capped = stack.eventSourceMappings.filter((m) => m.localConcurrency < m.maximumConcurrency);
  const consumerOf = (m: (typeof capped)[number]) => stack.functions.find((f) => f.logicalId === m.functionLogicalId)?.environment[ConsumerEnv.ConsumerName] ?? m.logicalId;
  return [
    `stack      ${created} resources on the emulator: ${[...counts].map(([kind, n]) => `${n} ${kind}`).join(', ')}`,
    `           run locally: ${stack.functions.length} Lambda functions and their event source mappings; KMS keys get local ids`,
    ...(skipped.length ? [`           no effect on the emulator, skipped: ${skipped.join(', ')}`] : []),
    ...(ignored.size ? [`           set but not emulated by moto: ${[...ignored].map(([what, n]) => (n > 1 ? `${what} x${n}` : what)).join('; ')}`] : []),
    ...(capped.length
      ? [
          `           concurrency capped locally at ${LOCAL_MAX_CONCURRENCY} batches (Lambda starts with 5 pollers): ` +
            capped.map((m) => `${consumerOf(m)} (maximum ${m.maximumConcurrency}${m.maximumConcurrency === 1000 ? ', no ScalingConfig' : ''})`).join(', '),
        ]
      : []),
  ];
}

/**
 * What a run has started so far, for the cleanup to stop whatever phase failed: each
 * phase records a resource here as soon as it exists, not when the phase returns.
 */
interface RunResources {
  emulator?: Emulator;
  /** Started by this run (stopped at the end), or given by --endpoint (left running). */
  ownedEmulator: boolean;
  /** The emulator's start, awaited by the cleanup so one still coming up is stopped too. */
  connecting?: Promise<void>;
  clients?: EmulatorClients;
  publisherSns?: SNSClient;
  consumers: RunningConsumer[];
  /** A consumer that could not run: ends the run with exit code 1. */
  fatal?: FunctionStartError;
  /** The emulator died mid-run: the reason the run ends, rather than the calls that failed after it. */
  emulatorLost?: EmulatorError;
  /** Set once the cleanup stops the emulator, so its exit is not taken for a loss. */
  stoppingEmulator: boolean;
}

/** What every phase of a run shares. */
interface RunContext {
  readonly options: LocalRunOptions;
  readonly pipeline: ResolvedPipeline;
  readonly io: RunIo;
  readonly say: (line: string) => void;
  /** Aborted on Ctrl-C, a consumer that cannot run, or the emulator's death. */
  readonly signal: AbortSignal;
  readonly abort: (reason: unknown) => void;
  readonly resources: RunResources;
  /** When the run started, epoch ms. */
  readonly startedAt: number;
}

/** Phase 1: the emulator and the synthesized template, both at once. */
async function connectAndSynthesize(run: RunContext): Promise<{ emulator: Emulator; owned: boolean; synthesized: SynthesizedStack }> {
  const { options, pipeline, resources, say } = run;
  // Whichever fails first stops the other, and the emulator is recorded as soon as it is
  // up so that the cleanup stops it whatever happens next.
  resources.connecting = connectEmulator(options, say).then(
    (connected) => {
      resources.emulator = connected.emulator;
      resources.ownedEmulator = connected.owned;
    },
    (error: unknown) => {
      run.abort(error);
      throw error;
    },
  );
  const [, synthesized] = await Promise.all([
    resources.connecting,
    synthesize({
      projectRoot: PROJECT_ROOT,
      stackName: pipeline.name,
      outDir: options.cdkOut,
      accountId: LOCAL_ACCOUNT_ID,
      region: options.region,
      force: options.resynth,
      signal: run.signal,
    }),
  ]);
  const emulator = resources.emulator;
  if (!emulator) throw new EmulatorError('the emulator did not start');
  // An emulator of ours that dies mid-run ends the run with that reason; every call
  // after it would only fail with "connection refused".
  void emulator.exited?.then((how) => {
    if (resources.stoppingEmulator) return;
    resources.emulatorLost = new EmulatorError(`the emulator exited during the run (${how})`);
    run.abort(resources.emulatorLost);
  });
  say(
    `emulator   ${resources.ownedEmulator ? `moto ${MOTO_VERSION}` : 'given'} at ${emulator.endpoint}` +
      (emulator.dynamodbEndpoint === emulator.endpoint ? '' : `, DynamoDB in a process of its own at ${emulator.dynamodbEndpoint}`),
  );
  say(`synth      ${shown(synthesized.templateFile)} (${synthesized.cached ? 'reused: nothing it is built from changed' : `synthesized in ${seconds(Date.now() - run.startedAt)}`})`);
  checkAborted(run.signal);
  return { emulator, owned: resources.ownedEmulator, synthesized };
}

/** Phase 2: what the template declares, created on the emulator; the outputs written for the CLI. */
async function createStack(run: RunContext, emulator: Emulator, synthesized: SynthesizedStack): Promise<{ clients: EmulatorClients; stack: MaterializedStack; outputsFile: string }> {
  const clients = createEmulatorClients(emulator.endpoint, synthesized.region, emulator.dynamodbEndpoint);
  run.resources.clients = clients;
  const materializeStarted = Date.now();
  const stack = await materializeStack({
    stackName: synthesized.stackName,
    template: synthesized.template,
    assemblyDir: synthesized.assemblyDir,
    region: synthesized.region,
    accountId: synthesized.accountId,
    clients,
  });
  for (const line of summarizeStack(stack)) run.say(line);
  run.say(`           created in ${seconds(Date.now() - materializeStarted)}`);
  const outputsFile = join(FANOUT_DIR, 'outputs.json');
  mkdirSync(FANOUT_DIR, { recursive: true });
  writeFileSync(outputsFile, `${JSON.stringify({ [stack.stackName]: stack.outputs }, null, 2)}\n`);
  run.say(`outputs    ${shown(outputsFile)} (cdk deploy --outputs-file shape)`);
  checkAborted(run.signal);
  return { clients, stack, outputsFile };
}

/** The chaos of a run: one downstream fails a share of its writes during the first third of publishing. */
function chaosPlanFor(options: LocalRunOptions, stack: MaterializedStack): ChaosPlan | undefined {
  const publishSeconds = options.events / options.rate;
  const consumerNames = stack.functions.map((f) => f.environment[ConsumerEnv.ConsumerName]);
  if (options.chaosConsumer && !consumerNames.includes(options.chaosConsumer)) {
    throw new InvalidOptionError(`--chaos-consumer ${options.chaosConsumer}: the stack's consumers are ${consumerNames.join(', ')}`);
  }
  const chaosConsumer =
    options.chaosConsumer ?? stack.functions.find((f) => f.environment[ConsumerEnv.DownstreamKind] === 'dynamodb')?.environment[ConsumerEnv.ConsumerName];
  if (!(options.chaosRate > 0) || !chaosConsumer) return undefined;
  return {
    consumer: chaosConsumer,
    rate: options.chaosRate,
    // Half as many again fail after their write is committed: the retry must find it applied.
    afterWriteRate: options.chaosRate / 2,
    until: new Date(Date.now() + 5000 + (publishSeconds * 1000) / 3),
  };
}

/** Phase 3: every consumer from its cdk.out asset, in its own processes, polling its queue. */
async function startFleet(
  run: RunContext,
  emulator: Emulator,
  clients: EmulatorClients,
  stack: MaterializedStack,
  progress: ProgressLine,
): Promise<{ consumers: RunningConsumer[]; logDir: string }> {
  const { resources, say } = run;
  const chaos = chaosPlanFor(run.options, stack);
  const logDir = join(FANOUT_DIR, 'logs');
  resources.consumers = await startConsumers({
    stack,
    endpoint: emulator.endpoint,
    dynamodbEndpoint: emulator.dynamodbEndpoint,
    sqs: clients.sqs,
    logDir,
    runtimeDir: join(FANOUT_DIR, 'runtime'),
    ...(chaos && { chaos }),
    onFatal: (error) => {
      resources.fatal ??= error;
      run.abort(error);
    },
    onPollError: (name, error) => progress.message(`${name}: polling failed, retrying: ${error.message}`),
    onInvocationProblem: (problem) => progress.message(formatInvocationProblem(problem)),
  });
  const consumers = resources.consumers;
  say(`consumers  ${consumers.map((c) => c.name).join(', ')}: each from its cdk.out asset in its own processes, logs in ${shown(logDir)}/`);
  say(`           tracing off locally (no X-Ray daemon): POWERTOOLS_TRACE_ENABLED=false`);
  if (chaos) {
    say(
      `chaos      ${chaos.consumer}'s downstream fails ${Math.round(chaos.rate * 100)}% of writes before writing and ${Math.round((chaos.afterWriteRate ?? 0) * 100)}% after the write is committed, until ${chaos.until.toISOString().slice(11, 19)} UTC (FANOUT_CHAOS_*)`,
    );
  }
  checkAborted(run.signal);
  return { consumers, logDir };
}

/** The queues' depths as last sampled, and every sample for the HTML report. */
interface QueueWatch {
  /** Messages in the consumer queues (visible, in flight, delayed). */
  readonly backlog: number;
  /** Messages in the DLQs. */
  readonly deadLettered: number;
  readonly samples: readonly DepthSample[];
  /** Samples every queue now. */
  sample(): Promise<{ name: string; queue: number; dlq: number }[]>;
}

function watchQueues(consumers: readonly RunningConsumer[], sqs: EmulatorClients['sqs']): QueueWatch {
  const samples: DepthSample[] = [];
  const watch = {
    backlog: 0,
    deadLettered: 0,
    samples,
    async sample() {
      const depths = await Promise.all(
        consumers.map(async (c) => {
          const queue = await queueDepth(sqs, c.queueUrl);
          const dlq = c.deadLetterQueueUrl ? await queueDepth(sqs, c.deadLetterQueueUrl) : { visible: 0, inFlight: 0, delayed: 0 };
          return { name: c.name, queue: queue.visible + queue.inFlight + queue.delayed, dlq: dlq.visible + dlq.inFlight };
        }),
      );
      watch.backlog = depths.reduce((sum, d) => sum + d.queue, 0);
      watch.deadLettered = depths.reduce((sum, d) => sum + d.dlq, 0);
      // The HTML report's timelines: retries and dead letters as they happen, per consumer.
      samples.push({
        atMs: Date.now(),
        depths: Object.fromEntries(depths.map((d) => [d.name, d.queue])),
        retried: Object.fromEntries(consumers.map((c) => [c.name, c.poller.stats.redelivered])),
        deadLettered: Object.fromEntries(depths.map((d) => [d.name, d.dlq])),
      });
      return depths;
    },
  };
  return watch;
}

/** The progress line's figures, redrawn at most once a second unless forced. */
type ShowProgress = (phase: string, force?: boolean) => void;

function progressShower(progress: ProgressLine, consumers: readonly RunningConsumer[], watch: QueueWatch, published: () => number, planned: number): ShowProgress {
  return (phase, force = false) =>
    progress.update(
      {
        phase,
        published: published(),
        planned,
        applied: consumers.reduce((sum, c) => sum + c.telemetry.metric(KitMetric.Processed), 0),
        retried: consumers.reduce((sum, c) => sum + c.poller.stats.redelivered, 0),
        deadLettered: watch.deadLettered,
        backlog: watch.backlog,
      },
      force,
    );
}

/** What publishing the workload ended with. */
interface PublishOutcome {
  readonly workload: WorkloadResult;
  /** Publications planned (duplicates and invalid ones included). */
  readonly planned: number;
  readonly published: readonly PublicationRecord[];
  readonly publishFailures: number;
  /** Messages still queued when the last event was published (the last sample). */
  readonly backlogAtLastPublication: number;
}

/** Phase 4: the demo workload through the publisher at the offered rate, with the progress line. */
async function publishDemo(
  run: RunContext,
  fleet: { emulator: Emulator; clients: EmulatorClients; stack: MaterializedStack; consumers: readonly RunningConsumer[] },
  progress: ProgressLine,
  watch: QueueWatch,
): Promise<PublishOutcome> {
  const { options, pipeline, resources } = run;
  const { emulator, clients, stack } = fleet;
  const outputs = stack.outputs;
  const topicArnFor = (eventType: string) => {
    const topic = pipeline.eventTypes.find((e) => e.name === eventType)!.topic;
    return outputs[OutputKey.topicArn(topic)]!;
  };
  // The publisher owns retries (backoff with full jitter, failed entries only): its
  // client makes one attempt per call so retries do not multiply.
  resources.publisherSns = createPublisherSnsClient(emulatorClientSettings(emulator.endpoint, stack.region));
  const publisher = publisherForPipeline(pipeline, outputs, {
    sns: resources.publisherSns,
    contracts: new GlueContractResolver({ glue: clients.glue, registryName: outputs[OutputKey.schemaRegistryName()]! }),
    source: DEMO_SOURCE,
  });
  const plan = planWorkload({ events: options.events, seed: options.seed, pipeline });
  const published: PublicationRecord[] = [];
  let publishFailures = 0;
  const show = progressShower(progress, fleet.consumers, watch, () => published.length, plan.length);
  // Queue depths every 2 s while publishing: every GetQueueAttributes makes moto scan
  // the queue, and moto is the bottleneck. The line itself redraws every second.
  let monitoring = true;
  const monitor = (async () => {
    for (let tick = 0; monitoring; tick += 1) {
      if (tick % 2 === 0) {
        try {
          await watch.sample();
        } catch {
          // A missed sample only delays the next progress line.
        }
      }
      show('publishing');
      await sleep(1000, run.signal);
      if (run.signal.aborted) return;
    }
  })();

  let workload: WorkloadResult;
  try {
    workload = await publishWorkload(plan, {
      publisher,
      sns: clients.sns,
      topicArnFor,
      rate: options.rate,
      signal: run.signal,
      onPublished: (record) => published.push(record),
      onFailed: (failure) => {
        publishFailures += 1;
        progress.message(`could not publish ${failure.event.type} ${failure.event.id}: ${failure.reason}`);
      },
    });
  } finally {
    // What was still queued when publishing ended (the last sample): a backlog the consumers could not keep up with.
    monitoring = false;
  }
  const backlogAtLastPublication = watch.backlog;
  checkAborted(run.signal);
  await monitor;
  return { workload, planned: plan.length, published, publishFailures, backlogAtLastPublication };
}

/**
 * Phase 5: waits until every consumer queue is empty (nothing visible, in flight or
 * delayed) and no batch runs, on two samples in a row, or the drain timeout passes.
 * @returns whether the queues drained
 */
async function drainQueues(run: RunContext, consumers: readonly RunningConsumer[], progress: ProgressLine, watch: QueueWatch, publication: PublishOutcome): Promise<boolean> {
  const show = progressShower(progress, consumers, watch, () => publication.published.length, publication.planned);
  const drainDeadline = Date.now() + run.options.drainTimeoutSeconds * 1000;
  let calm = 0;
  let drained = false;
  while (Date.now() < drainDeadline && !run.signal.aborted) {
    let depths: Awaited<ReturnType<QueueWatch['sample']>>;
    try {
      depths = await watch.sample();
    } catch (error) {
      // One failed sample (a timeout of the busy emulator) is not the end of the run:
      // it does not count as calm, and the next second tries again.
      calm = 0;
      progress.message(`could not read the queue depths, retrying: ${(error as Error).message}`);
      await sleep(1000, run.signal);
      continue;
    }
    const idle = consumers.every((c) => c.poller.stats.inFlightBatches === 0);
    calm = depths.every((d) => d.queue === 0) && idle ? calm + 1 : 0;
    show('draining');
    if (calm >= 2) {
      drained = true;
      break;
    }
    await sleep(1000, run.signal);
  }
  checkAborted(run.signal);
  show(drained ? 'drained' : 'timed out', true);
  progress.done();
  const lastPublishedAt = publication.workload.finishedAtMs;
  run.say(
    drained
      ? `drained    ${seconds(Date.now() - lastPublishedAt)} after the last publication`
      : `drain      gave up after ${run.options.drainTimeoutSeconds} s: ${watch.backlog} message(s) still queued`,
  );
  return drained;
}

/** A consumer's log so far; empty when it cannot be read (the report then knows no failed attempts). */
function readLog(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** Publications of each kind, per event type: what the run's JSON report lists as its workload. */
function workloadCounts(published: readonly PublicationRecord[]): Record<string, Record<string, number>> {
  const counts: Record<string, Record<string, number>> = {};
  for (const { event } of published) {
    const ofType = (counts[event.type] ??= {});
    ofType[event.kind] = (ofType[event.kind] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)).map(([type, kinds]) => [type, Object.fromEntries(Object.entries(kinds).sort())]));
}

/** What the report phase found. */
interface RunVerdict {
  readonly report: RunReport;
  /** Every event accounted for, the queues drained, nothing failed to publish. */
  readonly clean: boolean;
  /** What SNS's filter metrics counted as dropped so far (the kept-running watcher goes on from here). */
  readonly droppedAtReport: Map<string, DroppedCounts>;
  readonly watchedTopics: readonly WatchedTopic[];
}

/** Phase 6: what each consumer did, reconciled with what was published, printed and written. */
async function reportRun(
  run: RunContext,
  fleet: { emulator: Emulator; owned: boolean; clients: EmulatorClients; stack: MaterializedStack; consumers: readonly RunningConsumer[] },
  watch: QueueWatch,
  publication: PublishOutcome,
  drained: boolean,
): Promise<RunVerdict> {
  const { options, pipeline, say } = run;
  const { emulator, clients, consumers } = fleet;
  const { workload, published, publishFailures, backlogAtLastPublication } = publication;
  // The run's events only: the tables may hold earlier runs' effects (--endpoint).
  const runIds = new Set(published.map((p) => p.event.id));
  // What tells an effect applied after a retry from a first-try one is in each
  // consumer's own log (the kit logs every attempt it leaves for a retry, with its event).
  const observations = new Map(
    [...(await observeConsumers(consumers, clients, runIds))].map(([name, observed]) => {
      const logFile = consumers.find((c) => c.name === name)?.logFile;
      return [name, { ...observed, failedAttempts: logFile ? failedAttemptsInLog(readLog(logFile)) : new Map<string, number[]>() }];
    }),
  );
  const report = buildReport(
    published,
    consumers.map((c) => c.target),
    observations,
  );
  const lastEffectAt = Math.max(workload.startedAtMs, ...[...observations.values()].flatMap((o) => [...o.effects.values()].map((e) => e.appliedAtMs)));
  const endToEndSeconds = (lastEffectAt - workload.startedAtMs) / 1000;
  const throughput = endToEndSeconds > 0 ? report.published / endToEndSeconds : 0;
  const firstTries = effectLatencyRecords(published, observations).filter((r) => !r.retried);
  const lastFirstTryAt = firstTries.reduce<number | undefined>((latest, r) => Math.max(latest ?? r.appliedAtMs, r.appliedAtMs), undefined);
  // The rate the pipeline kept: every event published, over the time to the last effect
  // applied at its first try. The end-to-end figure also waits out the retries' backoff,
  // a designed delay of a few events that says nothing about how fast the rest went.
  const firstTrySeconds = lastFirstTryAt === undefined ? 0 : (lastFirstTryAt - workload.startedAtMs) / 1000;
  const sustained = firstTrySeconds > 0 ? report.published / firstTrySeconds : undefined;
  const publishSeconds = (workload.finishedAtMs - workload.startedAtMs) / 1000;
  const cause = throughputCause({
    offeredRate: options.rate,
    throughput,
    lastEffectAfterPublishingSeconds: (lastEffectAt - workload.finishedAtMs) / 1000,
    ...(lastFirstTryAt !== undefined && { lastFirstTryEffectAfterPublishingSeconds: (lastFirstTryAt - workload.finishedAtMs) / 1000 }),
    // A run published in under a second says nothing about the rate publishing could reach.
    ...(publishSeconds >= 1 && { publishedPerSecond: report.published / publishSeconds }),
    backlogAtLastPublication,
    retried: consumers.reduce((sum, c) => sum + c.poller.stats.redelivered, 0),
    crashedOrTimedOut: consumers.reduce((sum, c) => sum + c.function.stats.crashes + c.function.stats.timeouts, 0),
  });
  const fullReport = {
    ...report,
    run: {
      emulator: fleet.owned ? `moto ${MOTO_VERSION}` : 'given by --endpoint',
      endpoint: emulator.endpoint,
      dynamodbEndpoint: emulator.dynamodbEndpoint,
      // Every process the run started; all are stopped when it ends.
      processes: [...(fleet.owned ? (emulator.pids ?? []) : []), ...spawnedPids()],
      offeredRatePerSecond: options.rate,
      publishSeconds: Number(((workload.finishedAtMs - workload.startedAtMs) / 1000).toFixed(2)),
      endToEndSeconds: Number(endToEndSeconds.toFixed(2)),
      throughputEventsPerSecond: Number(throughput.toFixed(1)),
      /** Events published over the time to the last first-try effect (absent when no effect came at its first try). */
      ...(sustained !== undefined && { sustainedEventsPerSecond: Number(Math.min(sustained, report.published / Math.max(publishSeconds, 1e-3)).toFixed(1)) }),
      throughputCause: cause,
      drained,
      publishFailures,
      workload: workloadCounts(published),
      consumers: Object.fromEntries(
        consumers.map((c) => [
          c.name,
          {
            invocations: c.poller.stats.invocations,
            coldStarts: c.function.stats.coldStarts,
            crashes: c.function.stats.crashes,
            timeouts: c.function.stats.timeouts,
            initFailures: c.function.stats.initFailures,
            peakConcurrentBatches: c.poller.stats.peakInFlightBatches,
          },
        ]),
      ),
    },
  };

  say('');
  say(renderReport(report));
  say(
    `throughput ${report.published} events in ${endToEndSeconds.toFixed(1)} s from first publication to last effect: ${throughput.toFixed(1)} events/s ` +
      `(offered ${options.rate}/s; ${cause})`,
  );
  const kept = fullReport.run.sustainedEventsPerSecond;
  if (kept !== undefined && kept >= throughput * 1.05) {
    say(`           first tries kept ${kept.toFixed(1)} events/s: every event published over the time to the last effect applied at its first try`);
  }
  // The report counts them (its "invocations:" line); Lambda's own lines for each are in the log.
  const troubled = consumers.filter((c) => c.function.stats.crashes + c.function.stats.timeouts + c.function.stats.initFailures > 0);
  for (const c of troubled) say(`logs       ${c.name}: its timeouts, crashes and init failures, in Lambda's words, are in ${shown(c.logFile)}`);
  for (const line of describeProblems(report)) say(`problem    ${line}`);
  for (const line of describeNotes(report)) say(`note       ${line}`);
  if (options.report) {
    mkdirSync(dirname(resolve(options.report)), { recursive: true });
    writeFileSync(options.report, `${JSON.stringify(fullReport, null, 2)}\n`);
    say(`report     ${options.report}`);
  }
  if (options.html) {
    const { jsonFile } = writeHtmlReport(options.html, fullReport, published, observations, watch.samples, { ...(options.report && { jsonFile: options.report }) });
    say(`report     ${options.html}${options.report ? '' : ` (its JSON: ${jsonFile})`}`);
  }
  // What SNS takes and delivers to nobody leaves no trace in the report's counts: say so.
  const unrouted = published.filter(
    (p) => !consumers.some((c) => c.target.topicArn === p.topicArn && matchesFilterPolicy(c.target.filterPolicy, c.target.filterPolicyScope, p.message)),
  );
  if (unrouted.length > 0) {
    const types = [...new Set(unrouted.map((p) => p.event.type))].join(', ');
    say(`warning    ${unrouted.length} published event(s) matched no subscription (${types}): SNS took them and delivered them to nobody`);
  }
  const outputs = fleet.stack.outputs;
  const watchedTopics: WatchedTopic[] = pipeline.topics.map((t) => ({
    name: t.name,
    topicName: outputs[OutputKey.topicArn(t.name)]!.split(':').pop()!,
    attributeFiltered: pipeline.consumers.filter((c) => c.topic === t.name && c.filter.scope === 'MessageAttributes').map((c) => c.name),
  }));
  // An emulator given by --endpoint may keep no CloudWatch metrics: then there is nothing to read.
  const droppedAtReport = await droppedEvents(clients.cloudwatch, watchedTopics, run.startedAt).catch((error: Error) => {
    say(`note       could not read SNS's filter metrics from the emulator (${error.message}): events dropped by filters go unreported`);
    return new Map<string, DroppedCounts>();
  });
  for (const topic of watchedTopics) {
    const counted = droppedAtReport.get(topic.name);
    // The run's own unrouted publications are counted above already.
    if (counted) for (const warning of droppedWarnings(pipeline.name, topic, { ...counted, matchingNoSubscription: 0 })) say(`warning    ${warning}`);
  }
  const clean = reportIsClean(report) && drained && publishFailures === 0;
  say(clean ? 'result     every event accounted for: applied once, skipped as stale, or dead-lettered with its reason' : 'result     the run found problems (above)');
  return { report, clean, droppedAtReport, watchedTopics };
}

/** An example event to publish by hand: the first event type's latest contract example. */
function handPublishedExample(pipeline: ResolvedPipeline): { type: string; data: string } | undefined {
  for (const eventType of pipeline.eventTypes) {
    const examples = eventType.versions.at(-1)!.schema.examples;
    const example = Array.isArray(examples) ? examples.find((e) => typeof e === 'object' && e !== null && !Array.isArray(e)) : undefined;
    if (example !== undefined) return { type: eventType.name, data: JSON.stringify(example) };
  }
  return undefined;
}

/** With --keep-running: says how to publish to the pipeline, and watches for dropped events until the run is stopped. */
async function keepServing(
  run: RunContext,
  fleet: { emulator: Emulator; clients: EmulatorClients; stack: MaterializedStack; consumers: readonly RunningConsumer[]; outputsFile: string; logDir: string },
  verdict: RunVerdict,
): Promise<void> {
  const { pipeline, say } = run;
  const example = handPublishedExample(pipeline);
  say('');
  say('The pipeline keeps running. Publish to it from another terminal:');
  say(
    `  export ${Object.entries(emulatorEndpointEnvironment(fleet.emulator)).map(([name, value]) => `${name}=${value}`).join(' ')} AWS_REGION=${fleet.stack.region} AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local FANOUT_OUTPUTS_FILE=${shown(fleet.outputsFile)}`,
  );
  if (example) say(`  echo '${example.data}' | npx fanout publish ${example.type} --data -`);
  say(`  npx fanout status; npx fanout dlq ${fleet.consumers[0]?.name ?? '<consumer>'}`);
  say(`Consumer logs: ${shown(fleet.logDir)}/. Press Ctrl-C to stop everything.`);
  // Producers of any language publish now: tell them when SNS drops what they send.
  let watchFailed = false;
  const stopWatching = watchDroppedEvents({
    cloudwatch: fleet.clients.cloudwatch,
    pipelineName: pipeline.name,
    topics: verdict.watchedTopics,
    sinceMs: run.startedAt,
    alreadyReported: verdict.droppedAtReport,
    intervalMs: DROPPED_EVENTS_POLL_MS,
    onWarning: (warning) => say(`warning    ${warning}`),
    onError: (error) => {
      if (watchFailed) return;
      watchFailed = true;
      say(`note       could not read SNS's filter metrics from the emulator (${error.message}); retrying quietly`);
    },
  });
  await new Promise<void>((resolveWait) => {
    if (run.signal.aborted) resolveWait();
    run.signal.addEventListener('abort', () => resolveWait());
  });
  await stopWatching();
  if (run.resources.fatal) throw run.resources.fatal;
  // Ctrl-C is how a kept-running pipeline is meant to end: not an interruption.
  run.io.err.write('\nstopping the consumers and the emulator\n');
}

/** The exit code of a run that failed with `error`, saying why; rethrows what is not Fanout's own. */
function failedRunExit(error: unknown, resources: RunResources, signal: AbortSignal, io: RunIo): number {
  const reason = resources.fatal ?? resources.emulatorLost ?? error;
  if (reason instanceof InterruptedError || (signal.aborted && !resources.fatal)) {
    io.err.write('\ninterrupted: stopping the consumers and the emulator\n');
    return 130;
  }
  if (reason instanceof FunctionStartError) {
    io.err.write(`\nfanout: ${reason.message}\n`);
    return 1;
  }
  if (reason instanceof FanoutError) {
    io.err.write(`\nfanout: ${reason.message}\n`);
    return 2;
  }
  throw reason;
}

/** Stops everything the run started, whichever phase it reached. */
async function releaseRun(resources: RunResources, interrupted: boolean): Promise<void> {
  await stopConsumers(resources.consumers, { graceMs: interrupted ? 1000 : 5000 });
  if (resources.clients) destroyClients(resources.clients);
  resources.publisherSns?.destroy();
  // An emulator still starting when something else failed is stopped once it is up.
  await resources.connecting?.catch(() => undefined);
  resources.stoppingEmulator = true;
  if (resources.ownedEmulator) await resources.emulator?.stop();
  await stopAllChildren(1000);
}

/**
 * Runs the pipeline locally; see the file comment. Never calls process.exit. The phases
 * run in order, each handing the next what it made; whatever they started is stopped at
 * the end, on success, failure or Ctrl-C alike.
 */
export async function runLocal(options: LocalRunOptions, io: RunIo, signal: AbortSignal): Promise<LocalRunResult> {
  const pipeline: ResolvedPipeline = loadPipeline();
  const runAbort = new AbortController();
  const stopRun = () => runAbort.abort(signal.reason);
  signal.addEventListener('abort', stopRun);
  const resources: RunResources = { ownedEmulator: false, consumers: [], stoppingEmulator: false };
  const run: RunContext = {
    options,
    pipeline,
    io,
    say: (line) => io.out.write(`${line}\n`),
    signal: runAbort.signal,
    abort: (reason) => runAbort.abort(reason),
    resources,
    startedAt: Date.now(),
  };
  try {
    run.say(`Fanout local run: ${options.events} events at ${options.rate}/s through the synthesized ${pipeline.name} stack on a local emulator`);
    const { emulator, owned, synthesized } = await connectAndSynthesize(run);
    const { clients, stack, outputsFile } = await createStack(run, emulator, synthesized);
    const progress = new ProgressLine(io.out);
    const { consumers, logDir } = await startFleet(run, emulator, clients, stack, progress);
    const fleet = { emulator, owned, clients, stack, consumers, outputsFile, logDir };
    const watch = watchQueues(consumers, clients.sqs);
    const publication = await publishDemo(run, fleet, progress, watch);
    const drained = await drainQueues(run, consumers, progress, watch, publication);
    const verdict = await reportRun(run, fleet, watch, publication, drained);
    if (options.keepRunning) await keepServing(run, fleet, verdict);
    return { exitCode: verdict.clean ? 0 : 1, report: verdict.report };
  } catch (error) {
    return { exitCode: failedRunExit(error, resources, signal, io) };
  } finally {
    signal.removeEventListener('abort', stopRun);
    await releaseRun(resources, signal.aborted);
  }
}

/** What a run's throughput figure says, as far as the run can tell. */
export interface ThroughputFacts {
  readonly offeredRate: number;
  readonly throughput: number;
  /** From the last publication to the last effect, seconds. */
  readonly lastEffectAfterPublishingSeconds: number;
  /**
   * From the last publication to the last effect applied at its first attempt, seconds
   * (negative when it came before). @default unknown: every effect taken for a first try
   */
  readonly lastFirstTryEffectAfterPublishingSeconds?: number;
  /** The rate publishing itself reached, events per second. @default unknown: the offered rate */
  readonly publishedPerSecond?: number;
  /** Deliveries that were retries. */
  readonly retried: number;
  /** Invocations that crashed or timed out. */
  readonly crashedOrTimedOut: number;
  /** Messages still queued when the last event was published (in flight and waiting out a backoff included). @default 0 */
  readonly backlogAtLastPublication?: number;
}

/** Seconds after the last publication within which an effect is the pipeline's own latency, not a tail. */
const TAIL_SECONDS = 5;

/**
 * What bounded the run's throughput, in words that blame only what is to blame: the
 * emulator (publishing, or the consumers, fell behind), the offered rate (the pipeline
 * kept up), or a tail after publishing: retried events waiting out their backoff, or
 * crashed batches waiting out the visibility timeout.
 *
 * The effects applied at their first attempt tell a tail of retries from a backlog: when
 * they kept pace with publishing and only retried effects came later, the tail is the
 * backoff, however many messages were queued when publishing ended (a message waiting
 * out its backoff is in flight, so it counts as queued too).
 */
export function throughputCause(facts: ThroughputFacts): string {
  const tail = facts.lastEffectAfterPublishingSeconds;
  const firstTryTail = facts.lastFirstTryEffectAfterPublishingSeconds;
  const behind = facts.throughput < facts.offeredRate * 0.9;
  if (behind && facts.publishedPerSecond !== undefined && facts.publishedPerSecond < facts.offeredRate * 0.9) {
    return `publishing itself reached only ${facts.publishedPerSecond.toFixed(1)}/s: the ceiling is the emulator, not Fanout`;
  }
  // Only retried effects came after the first tries had caught up: the tail is the backoff.
  if (behind && facts.retried > 0 && firstTryTail !== undefined && firstTryTail <= TAIL_SECONDS && tail > Math.max(0, firstTryTail) + 1) {
    return `the last effects waited out the retry backoff of ${facts.retried} retried deliveries: that is the backoff, not the emulator`;
  }
  // A drain of a few seconds after the last publication is the pipeline's own latency.
  const longTail = tail > TAIL_SECONDS;
  // More than ~5 s of the offered rate still queued when publishing ended: the consumers,
  // and so the emulator they wait on, fell behind, whatever retries there were too.
  if (longTail && (facts.backlogAtLastPublication ?? 0) > facts.offeredRate * TAIL_SECONDS) {
    return `${facts.backlogAtLastPublication} messages were still queued when publishing ended: the ceiling is the emulator, not Fanout`;
  }
  if (longTail && facts.crashedOrTimedOut > 0) {
    return `the last effects waited out the visibility timeout of ${facts.crashedOrTimedOut} crashed or timed-out batch(es): that is the fault, not the emulator`;
  }
  if (longTail && facts.retried > 0) return `the last effects waited out the retry backoff of ${facts.retried} retried deliveries: that is the backoff, not the emulator`;
  // Every effect came within moments of its publication, but a short run is mostly that moment.
  if (behind && firstTryTail !== undefined && !longTail) {
    return `the offered rate bounded it: the pipeline kept up, and the last effect's own ${tail.toFixed(1)} s after the last publication weighs on a short run`;
  }
  if (behind) return 'the ceiling is the emulator, not Fanout';
  return 'it kept up with the offered rate';
}

function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new InvalidArgumentError('must be a positive whole number');
  return parsed;
}

function positiveNumber(value: string): number {
  const parsed = Number(value);
  if (!(parsed > 0)) throw new InvalidArgumentError('must be a positive number');
  return parsed;
}

function share(value: string): number {
  const parsed = Number(value);
  if (!(parsed >= 0 && parsed <= 1)) throw new InvalidArgumentError('must be a number from 0 to 1');
  return parsed;
}

/** The command line of `npm start` (`tsx local/start.ts`). */
export function startCommand(): Command {
  return new Command('npm start --')
    .description(
      'Run the whole Fanout pipeline on this machine: the synthesized stack created on a local AWS emulator (moto), ' +
        'each consumer run from its cdk.out asset, a demo workload published through it, and a report of what happened.',
    )
    .option('--events <n>', 'events to publish (duplicates and invalid ones included)', positiveInteger, 1000)
    .option('--rate <per-second>', "publishing rate; the emulator keeps up with about 20/s for three consumers", positiveNumber, DEFAULT_RATE)
    .option('--report <file>', 'write the report as JSON')
    .option('--html <file>', 'write an HTML report (latency percentiles, per-consumer timelines, queue depth), linking the JSON report (written beside it unless --report)')
    .option('--keep-running', 'leave the emulator and consumers running after the report; Ctrl-C stops them', false)
    .option('--port <port>', "port for the emulator (default: a free one; DynamoDB's own process always takes a free one)", positiveInteger)
    .option('--endpoint <url>', 'use an emulator already running there (moto, LocalStack) instead of starting one')
    .option('--one-emulator-process', 'serve DynamoDB from the same emulator process as every other service (default: a process of its own; 1.04x on 2 cores, see README)', false)
    .option('--reset', 'with --endpoint: clear the emulator first (moto only)', false)
    .option('--region <region>', 'region to synthesize for and emulate', 'us-east-1')
    .option('--resynth', 'synthesize even if nothing the app is built from changed', false)
    .option('--cdk-out <dir>', 'cloud assembly directory', join(PROJECT_ROOT, 'cdk.out'))
    .option('--drain-timeout <seconds>', 'how long to wait for the queues to empty after the last publication', positiveInteger, 180)
    .addOption(new Option('--chaos-rate <share>', 'share of downstream writes that fail transiently during the first third of publishing (0: off)').argParser(share).default(0.1))
    .option('--chaos-consumer <name>', 'whose downstream fails (default: the first with a DynamoDB downstream)')
    .option('--seed <n>', 'workload seed: the same plan for the same seed', positiveInteger, 1)
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  npm start                                   1,000 events, report on the console',
        '  npm start -- --events 200 --report out.json a quick run, JSON report',
        '  npm start -- --keep-running                 then publish with `npx fanout publish` (the run prints how)',
        '  npm start -- --endpoint http://localhost:4566 --reset',
        '',
        'Writes .fanout/outputs.json (the stack outputs, for `npx fanout ... --outputs-file`) and consumer logs to .fanout/logs/.',
        'Exit codes: 0 all events accounted for, 1 problems found or a consumer could not run, 2 set-up failed, 130 interrupted.',
      ].join('\n'),
    );
}

/**
 * Parses the command line and runs. Ctrl-C (or SIGTERM, or SIGHUP when the terminal
 * closes) stops the run cleanly: every child process is stopped and nothing is left
 * behind; a second Ctrl-C kills at once.
 */
export async function main(argv: readonly string[]): Promise<number> {
  // The AWS SDK warns that its 2027 releases need Node 22; on the Node 20 this project
  // supports, that is noise in a demo's output. Its own switch turns it off.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const command = startCommand().exitOverride();
  try {
    command.parse(argv as string[]);
  } catch (error) {
    const exitCode = (error as { exitCode?: number }).exitCode ?? 2;
    return exitCode === 0 ? 0 : 2;
  }
  const raw = command.opts<{
    events: number;
    rate: number;
    report?: string;
    html?: string;
    keepRunning: boolean;
    port?: number;
    endpoint?: string;
    oneEmulatorProcess: boolean;
    reset: boolean;
    region: string;
    resynth: boolean;
    cdkOut: string;
    drainTimeout: number;
    chaosRate: number;
    chaosConsumer?: string;
    seed: number;
  }>();
  if (raw.port !== undefined && raw.endpoint !== undefined) {
    process.stderr.write('fanout: --port and --endpoint exclude each other: --port is for the emulator this run starts\n');
    return 2;
  }
  if (raw.oneEmulatorProcess && raw.endpoint !== undefined) {
    process.stderr.write('fanout: --one-emulator-process and --endpoint exclude each other: the emulator at --endpoint serves every service\n');
    return 2;
  }
  const controller = new AbortController();
  let firstInterruptAt: number | undefined;
  const onSignal = (name: string) => {
    // One Ctrl-C under `npm start` can arrive twice (from the terminal, and forwarded by
    // npm): a second signal within a second is the same keypress.
    if (firstInterruptAt === undefined) {
      firstInterruptAt = Date.now();
      controller.abort(new InterruptedError());
    } else if (Date.now() - firstInterruptAt > 1000) {
      // The 'exit' hooks SIGKILL every child process group.
      process.stderr.write(`\n${name} again: killing everything now\n`);
      process.exit(130);
    }
  };
  const onInt = () => onSignal('Ctrl-C');
  const onTerm = () => onSignal('SIGTERM');
  // A closed terminal sends SIGHUP to its foreground group only: the emulator and the
  // consumers, each in a group of its own, would be orphaned if the runner just died.
  const onHup = () => onSignal('SIGHUP');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  process.on('SIGHUP', onHup);
  try {
    const { exitCode } = await runLocal(
      {
        events: raw.events,
        rate: raw.rate,
        ...(raw.report !== undefined && { report: raw.report }),
        ...(raw.html !== undefined && { html: raw.html }),
        keepRunning: raw.keepRunning,
        ...(raw.port !== undefined && { port: raw.port }),
        ...(raw.endpoint !== undefined && { endpoint: raw.endpoint }),
        oneEmulatorProcess: raw.oneEmulatorProcess,
        reset: raw.reset,
        region: raw.region,
        resynth: raw.resynth,
        cdkOut: resolve(raw.cdkOut),
        drainTimeoutSeconds: raw.drainTimeout,
        chaosRate: raw.chaosRate,
        ...(raw.chaosConsumer !== undefined && { chaosConsumer: raw.chaosConsumer }),
        seed: raw.seed,
      },
      { out: process.stdout, err: process.stderr },
      controller.signal,
    );
    if (liveChildPids().length > 0) process.stderr.write(`fanout: child processes still running: ${liveChildPids().join(', ')}\n`);
    return exitCode;
  } finally {
    process.removeListener('SIGINT', onInt);
    process.removeListener('SIGTERM', onTerm);
    process.removeListener('SIGHUP', onHup);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const exitCode = await main(process.argv);
  process.exitCode = exitCode;
  // Everything is stopped by now; should a stray handle keep the event loop alive,
  // do not hang the terminal over it.
  setTimeout(() => process.exit(exitCode), 2000).unref();
}
