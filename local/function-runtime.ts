/**
 * Runs a consumer Lambda locally: a pool of execution environments (child processes of
 * local/consumer-process.ts, each importing the function's cdk.out asset), one
 * invocation at a time per environment, as in Lambda.
 *
 * Like Lambda: a new environment is a cold start; a handled error keeps the
 * environment; a timeout or a crash (uncaught exception, exit) discards it and the next
 * invocation starts a fresh one. Unlike Lambda, an environment that fails to
 * initialize several times in a row stops the run with the reason, because locally
 * that is a bug to show, not an outage to ride out.
 *
 * Like Lambda, too, the runtime's own lines go to the function's log: "Task timed out
 * after 30.00 seconds", "Runtime exited with error: signal: killed", INIT_REPORT for a
 * failed initialization, so that reading a consumer's log tells what happened to an
 * invocation that left no output of its own.
 */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { randomUUID } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import type { SQSEvent } from 'aws-lambda';
import { buildSync } from 'esbuild';
import { FanoutError } from '../contracts/errors';
import type { FunctionInvoker, InvocationResult } from './event-source-poller';
import type { FromEnvironment, InvocationContext, SerializedError, ToEnvironment } from './function-protocol';
import { killGroupLeftovers, killGroupNow, spawnInGroup, stopGroup } from './processes';

/** A consumer cannot run at all (its code fails to load again and again). */
export class FunctionStartError extends FanoutError {
  readonly functionName: string;
  constructor(functionName: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FunctionStartError';
    this.functionName = functionName;
  }
}

/** How to run one function. */
export interface LocalFunctionConfig {
  /** Display name (the consumer's name). */
  readonly name: string;
  /** The function's name as Lambda would know it (AWS_LAMBDA_FUNCTION_NAME). */
  readonly functionName: string;
  /** Absolute path of the asset's entry file, e.g. cdk.out/asset.<hash>/index.mjs. */
  readonly assetFile: string;
  /** Export to call, from the template's Handler (`index.handler` → `handler`). */
  readonly handlerExport: string;
  /** The complete process environment of an execution environment. */
  readonly environment: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly memoryMiB: number;
  readonly region: string;
  readonly accountId: string;
  /** Where the environments' stdout/stderr go (appended). */
  readonly logFile: string;
  /** How long initialization may take (Lambda's init phase limit). @default 10000 */
  readonly initTimeoutMs?: number;
  /** Consecutive failed initializations before the function is declared broken. @default 3 */
  readonly maxConsecutiveInitFailures?: number;
  /** Every line the function writes (structured logs, EMF metrics). */
  readonly onLogLine?: (line: string) => void;
  /** Called once when the function is declared broken. */
  readonly onFatal?: (error: FunctionStartError) => void;
  /**
   * Called when an invocation times out, its environment dies under it, or an
   * environment fails to initialize (not while the function is stopping). Its log gets
   * Lambda's lines for it as well.
   */
  readonly onInvocationProblem?: (problem: InvocationProblem) => void;
}

/** What went wrong with an invocation or an environment, as {@link InvocationProblem.kind}. */
export const InvocationProblemKind = {
  /** The invocation ran past the function timeout; the environment was killed. */
  Timeout: 'timeout',
  /** The environment's process exited or was killed during an invocation. */
  Crash: 'crash',
  /** An environment failed to initialize (its code threw at import, timed out, or exited). */
  InitFailure: 'init-failure',
} as const;
/** See {@link InvocationProblemKind}. */
export type InvocationProblemKind = (typeof InvocationProblemKind)[keyof typeof InvocationProblemKind];

/** One timeout, crash or failed initialization, as the runner reports it. */
export interface InvocationProblem {
  /** The consumer's name ({@link LocalFunctionConfig.name}). */
  readonly consumer: string;
  readonly kind: InvocationProblemKind;
  /** The invocation's request id; undefined for an initialization ahead of any invocation (warm-up). */
  readonly requestId?: string;
  /** Records of the batch the invocation had; 0 when there was none. None of them was deleted. */
  readonly records: number;
  /**
   * Lambda's wording: `Task timed out after 30.00 seconds`,
   * `Runtime exited with error: signal: killed`, or the init error.
   */
  readonly description: string;
  /** When it happened (the timeout fired, the process exited, the init failed). */
  readonly at: Date;
  /** The log file Lambda's lines for it went to. */
  readonly logFile: string;
}

/** Counters of one function. */
export interface FunctionStats {
  coldStarts: number;
  /** Environments that failed to initialize (not while stopping). */
  initFailures: number;
  /** Environments that died during an invocation (not while stopping). */
  crashes: number;
  /** Invocations that ran past the function timeout. */
  timeouts: number;
  handlerErrors: number;
}

let runtimeFile: string | undefined;

/**
 * Builds local/consumer-process.ts to plain ESM once, so environments start with bare
 * `node` (as the Lambda runtime does), with no TypeScript loader hooks in the way of the asset.
 */
export function buildEnvironmentRuntime(outDir: string): string {
  if (runtimeFile) return runtimeFile;
  const outfile = join(outDir, 'consumer-process.mjs');
  mkdirSync(outDir, { recursive: true });
  buildSync({
    entryPoints: [join(import.meta.dirname, 'consumer-process.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'error',
  });
  runtimeFile = outfile;
  return outfile;
}

/** True when `promise` settles within `ms`. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const settled = await Promise.race([promise.then(() => true), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)))]);
  clearTimeout(timer);
  return settled;
}

const describe = (error: SerializedError) => `${error.errorType}: ${error.errorMessage}`;

/** How Go's os/exec (Lambda's runtime API is Go) names the signals a process dies of. */
const SIGNAL_WORDS: Partial<Record<NodeJS.Signals, string>> = {
  SIGKILL: 'killed',
  SIGTERM: 'terminated',
  SIGSEGV: 'segmentation fault',
  SIGABRT: 'aborted',
  SIGINT: 'interrupt',
  SIGHUP: 'hangup',
  SIGBUS: 'bus error',
  SIGILL: 'illegal instruction',
  SIGFPE: 'floating point exception',
  SIGPIPE: 'broken pipe',
  SIGQUIT: 'quit',
};

/** How an execution environment's process ended. */
export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/**
 * Lambda's words for a runtime process that ended: `Runtime exited with error: signal: killed`,
 * `Runtime exited with error: exit status 3`, or `Runtime exited without providing a reason` (code 0).
 */
export function runtimeExitDescription(exit: ProcessExit): string {
  if (exit.signal) return `Runtime exited with error: signal: ${SIGNAL_WORDS[exit.signal] ?? exit.signal}`;
  if (exit.code === 0 || exit.code === null) return 'Runtime exited without providing a reason';
  return `Runtime exited with error: exit status ${exit.code}`;
}

/** Lambda's timeout message for a function timeout. */
export const taskTimedOut = (timeoutMs: number) => `Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`;

/** Why an environment did not initialize; `ready` rejects with it. */
export class EnvironmentInitError extends FanoutError {
  /** INIT_REPORT's Status. */
  readonly status: 'error' | 'timeout';
  /** What the function's code threw, when it threw. */
  readonly thrown?: SerializedError;
  /** How the process ended, when it ended without reporting an error. */
  readonly exit?: ProcessExit;
  readonly durationMs: number;
  constructor(message: string, details: { status: 'error' | 'timeout'; durationMs: number; thrown?: SerializedError; exit?: ProcessExit }, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EnvironmentInitError';
    this.status = details.status;
    this.durationMs = details.durationMs;
    if (details.thrown) this.thrown = details.thrown;
    if (details.exit) this.exit = details.exit;
  }
}

/** What an environment says of one invocation beyond its result: how and when it ended. */
interface InvocationEnd {
  readonly result: InvocationResult;
  readonly startedAtMs: number;
  /** When the timeout fired or the process was seen gone. */
  readonly endedAtMs: number;
  /** Set when the process ended under the invocation. */
  readonly exit?: ProcessExit;
}

/** One execution environment: a child process that has imported the function's code. */
class ExecutionEnvironment {
  readonly child: ChildProcess;
  /** Resolves when initialized; rejects with an {@link EnvironmentInitError}. */
  readonly ready: Promise<void>;
  /**
   * Resolves once the process has exited and its stdout/stderr are drained ('close'):
   * output still in the pipes arrives after 'exit', and must not meet an ended log.
   */
  readonly closed: Promise<void>;
  private nextId = 1;
  private pending: { id: number; settle: (result: InvocationResult, exit?: ProcessExit) => void } | undefined;
  private exitReason: string | undefined;
  /** Set when the runner kills the process for a timeout (not when it stops it). */
  private timedOut = false;

  constructor(
    private readonly config: LocalFunctionConfig,
    runtime: string,
    log: WriteStream,
  ) {
    const spawnedAt = Date.now();
    const initTimeoutMs = config.initTimeoutMs ?? 10_000;
    this.child = spawnInGroup(process.execPath, [runtime, config.assetFile, config.handlerExport], {
      cwd: dirname(config.assetFile),
      env: { ...config.environment },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'json',
    });
    this.closed = new Promise<void>((resolve) => {
      this.child.once('close', () => resolve());
      // A process that never started emits 'error' and may never 'close'.
      this.child.once('error', () => resolve());
    });
    for (const stream of [this.child.stdout!, this.child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => {
        // Belt and braces: stop() ends the log only after every environment closed, but a
        // write after end would be an uncaught error that kills the runner.
        if (!log.writableEnded) log.write(`${line}\n`);
        config.onLogLine?.(line);
      });
    }
    this.ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        killGroupNow(this.child);
        reject(new EnvironmentInitError(`initialization did not finish within ${initTimeoutMs} ms`, { status: 'timeout', durationMs: Date.now() - spawnedAt }));
      }, initTimeoutMs);
      this.child.on('message', (message: FromEnvironment) => {
        if (message.type === 'ready') {
          clearTimeout(timer);
          resolve();
        } else if (message.type === 'init-error') {
          clearTimeout(timer);
          reject(new EnvironmentInitError(describe(message.error), { status: 'error', durationMs: Date.now() - spawnedAt, thrown: message.error }));
        } else if (this.pending && message.id === this.pending.id) {
          const settle = this.pending.settle;
          this.pending = undefined;
          settle(message.type === 'result' ? { ok: true, response: message.response } : { ok: false, kind: 'error', message: describe(message.error) });
        }
      });
      this.child.once('exit', (code, signal) => {
        clearTimeout(timer);
        const exit: ProcessExit = { code, signal };
        const reason = this.exitReason ?? `the process exited (${signal ?? `code ${code}`})`;
        reject(new EnvironmentInitError(reason, { status: 'error', durationMs: Date.now() - spawnedAt, exit }));
        if (this.pending) {
          const settle = this.pending.settle;
          this.pending = undefined;
          settle({ ok: false, kind: this.timedOut ? 'timeout' : 'crash', message: reason }, exit);
        }
      });
      this.child.once('error', (error) => reject(new EnvironmentInitError(error.message, { status: 'error', durationMs: Date.now() - spawnedAt }, { cause: error })));
    });
    // Handled by whoever awaits `ready`; this keeps an early rejection from being "unhandled".
    this.ready.catch(() => {});
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  invoke(event: SQSEvent, context: InvocationContext): Promise<InvocationEnd> {
    const id = this.nextId++;
    const startedAtMs = Date.now();
    let timedOutAtMs: number | undefined;
    return new Promise<InvocationEnd>((resolve) => {
      const timer = setTimeout(() => {
        // Lambda stops a timed-out function and discards its environment. An environment
        // the runner is already stopping keeps that reason: it did not time out.
        if (this.exitReason === undefined) {
          this.exitReason = taskTimedOut(this.config.timeoutMs);
          this.timedOut = true;
          timedOutAtMs = Date.now();
        }
        killGroupNow(this.child);
      }, Math.max(0, context.deadlineMs - Date.now()));
      this.pending = {
        id,
        settle: (result, exit) => {
          clearTimeout(timer);
          resolve({ result, startedAtMs, endedAtMs: timedOutAtMs ?? Date.now(), ...(exit && { exit }) });
        },
      };
      const message: ToEnvironment = { type: 'invoke', id, event, context };
      this.child.send(message, (error) => {
        if (error && this.pending?.id === id) {
          this.pending = undefined;
          clearTimeout(timer);
          // The process is gone or going (an idle environment that died): a crash.
          const exit = this.alive ? undefined : { code: this.child.exitCode, signal: this.child.signalCode };
          resolve({
            result: { ok: false, kind: 'crash', message: `could not reach the environment: ${error.message}` },
            startedAtMs,
            endedAtMs: Date.now(),
            ...(exit && { exit }),
          });
        }
      });
    });
  }

  /** Stops the process group; resolves once the process exited and its output is drained. */
  async stop(): Promise<void> {
    this.exitReason ??= 'the runner is stopping';
    await stopGroup(this.child, 2000);
    // Output still flows while anything of the group holds the pipes; a process the
    // function started that outlives the grace period is killed, so stop() ends.
    if (await settlesWithin(this.closed, 2000)) return;
    killGroupLeftovers(this.child);
    if (await settlesWithin(this.closed, 1000)) return;
    this.child.stdout?.destroy();
    this.child.stderr?.destroy();
  }
}

const isoTime = (ms: number) => new Date(ms).toISOString();

/**
 * Lambda's lines for an invocation that ended without a response: its timeout or
 * runtime-exit message, then END and REPORT. Each line starts with the time: a local log
 * file has no CloudWatch event timestamps beside them.
 */
export function invocationEndLines(
  kind: typeof InvocationProblemKind.Timeout | typeof InvocationProblemKind.Crash,
  requestId: string,
  description: string,
  timing: { readonly startedAtMs: number; readonly endedAtMs: number; readonly memoryMiB: number },
): string[] {
  const at = isoTime(timing.endedAtMs);
  const durationMs = Math.max(0, timing.endedAtMs - timing.startedAtMs);
  const status = kind === InvocationProblemKind.Timeout ? 'timeout' : 'error\tError Type: Runtime.ExitError';
  const head =
    kind === InvocationProblemKind.Timeout
      ? // Lambda's own timeout line carries its time and request id.
        [`${at} ${requestId} ${description}`]
      : [`${at} RequestId: ${requestId} Error: ${description}`, `${at} Runtime.ExitError`];
  return [
    ...head,
    `${at} END RequestId: ${requestId}`,
    `${at} REPORT RequestId: ${requestId}\tDuration: ${durationMs.toFixed(2)} ms\tBilled Duration: ${Math.ceil(durationMs)} ms\tMemory Size: ${timing.memoryMiB} MB\tStatus: ${status}`,
  ];
}

/** Lambda's lines for an environment that failed to initialize: the error, then INIT_REPORT. */
export function initFailureLines(failure: EnvironmentInitError, atMs: number): string[] {
  const at = isoTime(atMs);
  const initReport = (status: string) => `${at} INIT_REPORT Init Duration: ${failure.durationMs.toFixed(2)} ms\tPhase: init\tStatus: ${status}`;
  if (failure.status === 'timeout') return [initReport('timeout')];
  if (failure.thrown) {
    const { errorType, errorMessage, stackTrace = [] } = failure.thrown;
    // The Node.js runtime logs what init threw as an uncaught exception; an error that is
    // not one of its own Runtime.* types is reported as Runtime.Unknown.
    const lambdaType = errorType.startsWith('Runtime.') ? errorType : 'Runtime.Unknown';
    return [
      `${at}\tundefined\tERROR\tUncaught Exception \t${JSON.stringify({ errorType, errorMessage, stack: [`${errorType}: ${errorMessage}`, ...stackTrace] })}`,
      initReport(`error\tError Type: ${lambdaType}`),
    ];
  }
  const description = failure.exit ? runtimeExitDescription(failure.exit) : failure.message;
  return [`${at} Error: ${description}`, `${at} Runtime.ExitError`, initReport('error\tError Type: Runtime.ExitError')];
}

/** An init failure's one-line description: what the code threw, the timeout, or how the process ended. */
function initFailureDescription(failure: EnvironmentInitError): string {
  if (failure.thrown) return describe(failure.thrown);
  if (failure.exit) return runtimeExitDescription(failure.exit);
  return failure.message;
}

/** A function, run locally; the event source poller invokes it. */
export class LocalFunction implements FunctionInvoker {
  /** Counters since start. */
  readonly stats: FunctionStats = { coldStarts: 0, initFailures: 0, crashes: 0, timeouts: 0, handlerErrors: 0 };
  private readonly idle: ExecutionEnvironment[] = [];
  /** Environments whose output has not closed yet (stop() waits for each). */
  private readonly all = new Set<ExecutionEnvironment>();
  /** Lambda's lines waiting for an environment's output to drain (stop() waits for each). */
  private readonly pendingLines = new Set<Promise<void>>();
  private readonly log: WriteStream;
  private consecutiveInitFailures = 0;
  private stopping = false;
  private fatal: FunctionStartError | undefined;

  constructor(
    private readonly config: LocalFunctionConfig,
    private readonly runtime: string,
  ) {
    mkdirSync(dirname(config.logFile), { recursive: true });
    this.log = createWriteStream(config.logFile, { flags: 'a' });
  }

  private context(awsRequestId: string): InvocationContext {
    const { functionName, region, accountId } = this.config;
    return {
      awsRequestId,
      deadlineMs: Date.now() + this.config.timeoutMs,
      functionName,
      functionVersion: '$LATEST',
      invokedFunctionArn: `arn:aws:lambda:${region}:${accountId}:function:${functionName}`,
      memoryLimitInMB: String(this.config.memoryMiB),
      logGroupName: `/aws/lambda/${functionName}`,
      logStreamName: this.config.environment.AWS_LAMBDA_LOG_STREAM_NAME ?? 'local',
    };
  }

  /**
   * Starts one environment ahead of the first invocation, so a consumer that cannot
   * load shows before anything is published. Retries a failed init like Lambda would.
   * @throws FunctionStartError once init failed maxConsecutiveInitFailures times
   */
  async warmUp(): Promise<void> {
    for (;;) {
      const environment = this.spawn();
      try {
        await environment.ready;
        this.consecutiveInitFailures = 0;
        this.idle.push(environment);
        return;
      } catch (error) {
        this.initFailed(environment, error as Error);
        if (this.fatal) throw this.fatal;
        if (this.stopping) throw new FunctionStartError(this.config.name, `consumer ${this.config.name} was stopped while starting`, { cause: error });
        await new Promise((resolve) => setTimeout(resolve, 200 * this.consecutiveInitFailures));
      }
    }
  }

  async invoke(event: SQSEvent): Promise<InvocationResult> {
    if (this.stopping || this.fatal) return { ok: false, kind: 'init', message: 'the function is stopped' };
    // The request id exists before the environment does, so that an environment failing
    // to initialize for this invocation is reported under it.
    const requestId = randomUUID();
    const records = event.Records.length;
    const environment = this.idle.pop() ?? this.spawn();
    try {
      await environment.ready;
      this.consecutiveInitFailures = 0;
    } catch (error) {
      this.initFailed(environment, error as Error, { requestId, records });
      return { ok: false, kind: 'init', message: (error as Error).message };
    }
    const end = await environment.invoke(event, this.context(requestId));
    const { result } = end;
    if (!result.ok) {
      if (result.kind === 'timeout') {
        this.stats.timeouts += 1;
        this.invocationFailed(environment, InvocationProblemKind.Timeout, requestId, records, end);
      } else if (result.kind === 'crash' && !this.stopping) {
        // A crash while stopping is the runner's doing, not the function's.
        this.stats.crashes += 1;
        this.invocationFailed(environment, InvocationProblemKind.Crash, requestId, records, end);
      } else if (result.kind === 'error') this.stats.handlerErrors += 1;
    }
    // A dead environment leaves `all` when its process has exited (see spawn); the next
    // invocation gets a fresh one, as in Lambda.
    if (environment.alive && !this.stopping) this.idle.push(environment);
    return result;
  }

  /** Stops every environment (invocations in flight end as crashes: nothing is deleted). */
  async stop(): Promise<void> {
    this.stopping = true;
    // Includes environments that exited but whose output is still draining (see spawn):
    // the log is ended only after the last line of each, and Lambda's lines after them,
    // have been written.
    await Promise.all([...this.all].map((environment) => environment.stop()));
    await Promise.all([...this.pendingLines]);
    this.all.clear();
    this.idle.length = 0;
    await new Promise<void>((resolve) => this.log.end(resolve));
  }

  private spawn(): ExecutionEnvironment {
    const environment = new ExecutionEnvironment(this.config, this.runtime, this.log);
    this.all.add(environment);
    this.stats.coldStarts += 1;
    environment.child.once('exit', () => {
      const index = this.idle.indexOf(environment);
      // An idle environment that died (e.g. a stray timer threw) is replaced on demand.
      if (index >= 0) this.idle.splice(index, 1);
    });
    void environment.closed.then(() => this.all.delete(environment));
    return environment;
  }

  /**
   * Appends Lambda's lines for an environment to the log once its own output has drained
   * (bounded), so they follow its last words (a stack trace still in the pipe) as in Lambda.
   */
  private writeRuntimeLines(environment: ExecutionEnvironment, lines: readonly string[]): void {
    const written = settlesWithin(environment.closed, 1000).then(() => {
      if (!this.log.writableEnded) this.log.write(lines.map((line) => `${line}\n`).join(''));
    });
    this.pendingLines.add(written);
    void written.then(() => this.pendingLines.delete(written));
  }

  private invocationFailed(
    environment: ExecutionEnvironment,
    kind: typeof InvocationProblemKind.Timeout | typeof InvocationProblemKind.Crash,
    requestId: string,
    records: number,
    end: InvocationEnd,
  ): void {
    const description =
      kind === InvocationProblemKind.Timeout
        ? taskTimedOut(this.config.timeoutMs)
        : runtimeExitDescription(end.exit ?? { code: environment.child.exitCode, signal: environment.child.signalCode });
    this.writeRuntimeLines(environment, invocationEndLines(kind, requestId, description, { ...end, memoryMiB: this.config.memoryMiB }));
    this.config.onInvocationProblem?.({ consumer: this.config.name, kind, requestId, records, description, at: new Date(end.endedAtMs), logFile: this.config.logFile });
  }

  private startMessage(error: Error): string {
    return `consumer ${this.config.name} could not start: ${error.message} (see ${this.config.logFile})`;
  }

  private initFailed(environment: ExecutionEnvironment, error: Error, invocation?: { requestId: string; records: number }): void {
    // It exits by itself after reporting; make sure, and let stop() wait for it.
    void environment.stop();
    if (this.stopping) return;
    this.stats.initFailures += 1;
    this.consecutiveInitFailures += 1;
    const failure = error instanceof EnvironmentInitError ? error : new EnvironmentInitError(error.message, { status: 'error', durationMs: 0 }, { cause: error });
    const atMs = Date.now();
    this.writeRuntimeLines(environment, initFailureLines(failure, atMs));
    this.config.onInvocationProblem?.({
      consumer: this.config.name,
      kind: InvocationProblemKind.InitFailure,
      ...(invocation && { requestId: invocation.requestId }),
      records: invocation?.records ?? 0,
      description: initFailureDescription(failure),
      at: new Date(atMs),
      logFile: this.config.logFile,
    });
    if (!this.fatal && this.consecutiveInitFailures >= (this.config.maxConsecutiveInitFailures ?? 3)) {
      this.fatal = new FunctionStartError(
        this.config.name,
        `${this.startMessage(error)}; it failed to initialize ${this.consecutiveInitFailures} times in a row`,
        { cause: error },
      );
      this.config.onFatal?.(this.fatal);
    }
  }
}
