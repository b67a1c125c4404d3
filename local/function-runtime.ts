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
}

/** Counters of one function. */
export interface FunctionStats {
  coldStarts: number;
  initFailures: number;
  /** Environments that died during an invocation. */
  crashes: number;
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

/** One execution environment: a child process that has imported the function's code. */
class ExecutionEnvironment {
  readonly child: ChildProcess;
  /** Resolves when initialized; rejects with the init error. */
  readonly ready: Promise<void>;
  /**
   * Resolves once the process has exited and its stdout/stderr are drained ('close'):
   * output still in the pipes arrives after 'exit', and must not meet an ended log.
   */
  readonly closed: Promise<void>;
  private nextId = 1;
  private pending: { id: number; settle: (result: InvocationResult) => void } | undefined;
  private exitReason: string | undefined;

  constructor(
    private readonly config: LocalFunctionConfig,
    runtime: string,
    log: WriteStream,
  ) {
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
        reject(new Error(`initialization did not finish within ${this.config.initTimeoutMs ?? 10_000} ms`));
      }, config.initTimeoutMs ?? 10_000);
      this.child.on('message', (message: FromEnvironment) => {
        if (message.type === 'ready') {
          clearTimeout(timer);
          resolve();
        } else if (message.type === 'init-error') {
          clearTimeout(timer);
          reject(new Error(describe(message.error)));
        } else if (this.pending && message.id === this.pending.id) {
          const settle = this.pending.settle;
          this.pending = undefined;
          settle(message.type === 'result' ? { ok: true, response: message.response } : { ok: false, kind: 'error', message: describe(message.error) });
        }
      });
      this.child.once('exit', (code, signal) => {
        clearTimeout(timer);
        const reason = this.exitReason ?? `the process exited (${signal ?? `code ${code}`})`;
        reject(new Error(reason));
        if (this.pending) {
          const settle = this.pending.settle;
          this.pending = undefined;
          settle({ ok: false, kind: this.exitReason?.startsWith('Task timed out') ? 'timeout' : 'crash', message: reason });
        }
      });
      this.child.once('error', (error) => reject(error));
    });
    // Handled by whoever awaits `ready`; this keeps an early rejection from being "unhandled".
    this.ready.catch(() => {});
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  invoke(event: SQSEvent, context: InvocationContext): Promise<InvocationResult> {
    const id = this.nextId++;
    return new Promise<InvocationResult>((resolve) => {
      const timer = setTimeout(() => {
        // Lambda stops a timed-out function and discards its environment.
        this.exitReason = `Task timed out after ${(this.config.timeoutMs / 1000).toFixed(2)} seconds`;
        killGroupNow(this.child);
      }, Math.max(0, context.deadlineMs - Date.now()));
      this.pending = {
        id,
        settle: (result) => {
          clearTimeout(timer);
          resolve(result);
        },
      };
      const message: ToEnvironment = { type: 'invoke', id, event, context };
      this.child.send(message, (error) => {
        if (error && this.pending?.id === id) {
          this.pending = undefined;
          clearTimeout(timer);
          resolve({ ok: false, kind: 'crash', message: `could not reach the environment: ${error.message}` });
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

/** A function, run locally; the event source poller invokes it. */
export class LocalFunction implements FunctionInvoker {
  /** Counters since start. */
  readonly stats: FunctionStats = { coldStarts: 0, initFailures: 0, crashes: 0, timeouts: 0, handlerErrors: 0 };
  private readonly idle: ExecutionEnvironment[] = [];
  /** Environments whose output has not closed yet (stop() waits for each). */
  private readonly all = new Set<ExecutionEnvironment>();
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

  private context(): InvocationContext {
    const { functionName, region, accountId } = this.config;
    return {
      awsRequestId: randomUUID(),
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
    const environment = this.idle.pop() ?? this.spawn();
    try {
      await environment.ready;
      this.consecutiveInitFailures = 0;
    } catch (error) {
      this.initFailed(environment, error as Error);
      return { ok: false, kind: 'init', message: (error as Error).message };
    }
    const result = await environment.invoke(event, this.context());
    if (!result.ok) {
      if (result.kind === 'timeout') this.stats.timeouts += 1;
      else if (result.kind === 'crash' && !this.stopping) this.stats.crashes += 1;
      else if (result.kind === 'error') this.stats.handlerErrors += 1;
    }
    // A dead environment leaves `all` when its process has exited (see spawn).
    if (environment.alive && !this.stopping) this.idle.push(environment);
    return result;
  }

  /** Stops every environment (invocations in flight end as crashes: nothing is deleted). */
  async stop(): Promise<void> {
    this.stopping = true;
    // Includes environments that exited but whose output is still draining (see spawn):
    // the log is ended only after the last line of each has been written.
    await Promise.all([...this.all].map((environment) => environment.stop()));
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

  private startMessage(error: Error): string {
    return `consumer ${this.config.name} could not start: ${error.message} (see ${this.config.logFile})`;
  }

  private initFailed(environment: ExecutionEnvironment, error: Error): void {
    // It exits by itself after reporting; make sure, and let stop() wait for it.
    void environment.stop();
    if (this.stopping) return;
    this.stats.initFailures += 1;
    this.consecutiveInitFailures += 1;
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
