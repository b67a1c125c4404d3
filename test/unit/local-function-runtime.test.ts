/**
 * LocalFunction with real execution environments (child processes running a small
 * handler module written here as a stand-in for a cdk.out asset), no emulator: what the
 * runner tells when an invocation times out, its environment dies under it, or an
 * environment cannot initialize, in the consumer's log (Lambda's words), to its observer,
 * and in its counters; and that the next invocation gets a fresh environment.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SQSEvent } from 'aws-lambda';
import {
  buildEnvironmentRuntime,
  FunctionStartError,
  InvocationProblemKind,
  LocalFunction,
  runtimeExitDescription,
  type InvocationProblem,
} from '../../local/function-runtime';
import { formatInvocationProblem } from '../../local/progress';
import { liveChildPids } from '../../local/processes';

// The first record's body says what the handler does; each invocation prints its pid.
const HANDLER = `
if (process.env.FIXTURE_MODE === 'import-crash') throw new Error('boom at import');
if (process.env.FIXTURE_MODE === 'import-exit') process.exit(2);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const handler = async (event) => {
  const action = event.Records[0]?.body;
  console.log(JSON.stringify({ fixture: 'invoke', pid: process.pid, action }));
  if (action === 'sleep') await sleep(60_000);
  if (action === 'kill-self') process.kill(process.pid, 'SIGKILL');
  if (action === 'exit-3') { console.error('leaving with 3'); process.exit(3); }
  return { batchItemFailures: [] };
};
`;

const ISO = String.raw`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z`;
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

let dir: string;
let assetFile: string;
let runtime: string;
const started: LocalFunction[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fanout-function-'));
  assetFile = join(dir, 'index.mjs');
  writeFileSync(assetFile, HANDLER);
  runtime = buildEnvironmentRuntime(join(dir, 'runtime'));
});

afterEach(async () => {
  await Promise.all(started.splice(0).map((fn) => fn.stop()));
  expect(liveChildPids()).toEqual([]);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

let logs = 0;
function start(options: { timeoutMs?: number; mode?: string; maxConsecutiveInitFailures?: number } = {}) {
  const problems: InvocationProblem[] = [];
  const lines: string[] = [];
  const logFile = join(dir, `fixture-${(logs += 1)}.log`);
  const fn = new LocalFunction(
    {
      name: 'fixture',
      functionName: 'fixture-fn',
      assetFile,
      handlerExport: 'handler',
      environment: { PATH: process.env.PATH ?? '', ...(options.mode && { FIXTURE_MODE: options.mode }) },
      timeoutMs: options.timeoutMs ?? 5000,
      memoryMiB: 128,
      region: 'us-east-1',
      accountId: '123456789012',
      logFile,
      ...(options.maxConsecutiveInitFailures !== undefined && { maxConsecutiveInitFailures: options.maxConsecutiveInitFailures }),
      onLogLine: (line) => lines.push(line),
      onInvocationProblem: (problem) => problems.push(problem),
    },
    runtime,
  );
  started.push(fn);
  const pids = () => lines.filter((line) => line.startsWith('{"fixture"')).map((line) => (JSON.parse(line) as { pid: number }).pid);
  return { fn, problems, lines, pids, logFile, log: () => readFileSync(logFile, 'utf8') };
}

function batch(action: string, size = 1): SQSEvent {
  return {
    Records: Array.from({ length: size }, (_, i) => ({
      messageId: `m${i}`,
      receiptHandle: `r${i}`,
      body: i === 0 ? action : 'ok',
      attributes: { ApproximateReceiveCount: '1', SentTimestamp: '0', SenderId: 'local', ApproximateFirstReceiveTimestamp: '0' },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:q',
      awsRegion: 'us-east-1',
    })),
  };
}

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('LocalFunction: timeouts', () => {
  it('logs "Task timed out" as Lambda does, tells its observer, counts it, and starts afresh', async () => {
    const { fn, problems, pids, log } = start({ timeoutMs: 1000 });
    await fn.warmUp();
    const result = await fn.invoke(batch('sleep', 3));
    expect(result).toMatchObject({ ok: false, kind: 'timeout' });
    expect(fn.stats).toMatchObject({ timeouts: 1, crashes: 0 });
    expect(problems).toEqual([
      expect.objectContaining({ consumer: 'fixture', kind: InvocationProblemKind.Timeout, records: 3, description: 'Task timed out after 1.00 seconds' }),
    ]);
    const { requestId } = problems[0]!;
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    await until(() => log().includes('REPORT'));
    expect(log()).toMatch(new RegExp(`^${ISO} ${escape(requestId!)} Task timed out after 1\\.00 seconds$`, 'm'));
    expect(log()).toMatch(new RegExp(`^${ISO} END RequestId: ${escape(requestId!)}$`, 'm'));
    expect(log()).toMatch(new RegExp(`^${ISO} REPORT RequestId: ${escape(requestId!)}\\tDuration: \\d+\\.\\d\\d ms\\tBilled Duration: \\d+ ms\\tMemory Size: 128 MB\\tStatus: timeout$`, 'm'));

    expect(await fn.invoke(batch('ok'))).toEqual({ ok: true, response: { batchItemFailures: [] } });
    // The new process's first log line (its pid) comes over stdout, which may arrive after
    // the invocation's answer over IPC on a busy machine.
    await until(() => new Set(pids()).size >= 2);
    expect(new Set(pids()).size).toBe(2);
    expect(fn.stats.coldStarts).toBe(2);
  });
});

describe('LocalFunction: crashes', () => {
  it('counts a handler that kills itself as a crash, logs "Runtime exited", and the next invocation works', async () => {
    const { fn, problems, pids, log } = start();
    await fn.warmUp();
    expect(await fn.invoke(batch('kill-self', 2))).toMatchObject({ ok: false, kind: 'crash' });
    expect(fn.stats).toMatchObject({ crashes: 1, timeouts: 0 });
    expect(problems).toEqual([
      expect.objectContaining({ kind: InvocationProblemKind.Crash, records: 2, description: 'Runtime exited with error: signal: killed' }),
    ]);
    const requestId = escape(problems[0]!.requestId!);
    await until(() => log().includes('REPORT'));
    expect(log()).toMatch(new RegExp(`^${ISO} RequestId: ${requestId} Error: Runtime exited with error: signal: killed\\n${ISO} Runtime\\.ExitError$`, 'm'));
    expect(log()).toMatch(new RegExp(`^${ISO} REPORT RequestId: ${requestId}\\t.*\\tStatus: error\\tError Type: Runtime\\.ExitError$`, 'm'));

    expect(await fn.invoke(batch('ok'))).toMatchObject({ ok: true });
    // The pid line travels on the log stream, apart from the invocation's answer: wait for it.
    await until(() => pids().length === 2);
    expect(new Set(pids()).size).toBe(2);
  });

  it('counts an environment SIGKILLed from outside mid-batch as a crash, logs it, and replaces it', async () => {
    const { fn, problems, pids, log } = start({ timeoutMs: 20_000 });
    await fn.warmUp();
    const invocation = fn.invoke(batch('sleep', 10));
    await until(() => pids().length === 1);
    process.kill(pids()[0]!, 'SIGKILL');
    expect(await invocation).toMatchObject({ ok: false, kind: 'crash' });
    expect(fn.stats).toMatchObject({ crashes: 1, timeouts: 0 });
    expect(problems).toEqual([expect.objectContaining({ kind: InvocationProblemKind.Crash, records: 10, description: 'Runtime exited with error: signal: killed' })]);
    await until(() => log().includes('Runtime.ExitError'));
    expect(log()).toContain(`RequestId: ${problems[0]!.requestId} Error: Runtime exited with error: signal: killed`);

    expect(await fn.invoke(batch('ok'))).toMatchObject({ ok: true });
    await until(() => pids().length >= 2);
    expect(pids()).toHaveLength(2);
    expect(pids()[1]).not.toBe(pids()[0]);
  });

  it('names the exit status, after what the function itself wrote last', async () => {
    const { fn, problems, log } = start();
    expect(await fn.invoke(batch('exit-3'))).toMatchObject({ ok: false, kind: 'crash' });
    expect(problems[0]).toMatchObject({ kind: InvocationProblemKind.Crash, description: 'Runtime exited with error: exit status 3' });
    await until(() => log().includes('Runtime.ExitError'));
    const text = log();
    expect(text.indexOf('leaving with 3')).toBeGreaterThanOrEqual(0);
    expect(text.indexOf('leaving with 3')).toBeLessThan(text.indexOf('Runtime exited with error: exit status 3'));
  });

  it('reports nothing when the runner stops an environment mid-invocation', async () => {
    const { fn, problems, pids, log } = start({ timeoutMs: 20_000 });
    await fn.warmUp();
    const invocation = fn.invoke(batch('sleep'));
    await until(() => pids().length === 1);
    await fn.stop();
    expect(await invocation).toMatchObject({ ok: false, kind: 'crash' });
    expect(fn.stats).toMatchObject({ crashes: 0, timeouts: 0 });
    expect(problems).toEqual([]);
    expect(log()).not.toMatch(/Runtime exited|Task timed out/);
  });
});

describe('LocalFunction: init failures', () => {
  it('logs what init threw with INIT_REPORT, and tells its observer', async () => {
    const { fn, problems, log } = start({ mode: 'import-crash', maxConsecutiveInitFailures: 1 });
    await expect(fn.warmUp()).rejects.toBeInstanceOf(FunctionStartError);
    expect(fn.stats.initFailures).toBe(1);
    expect(problems).toEqual([expect.objectContaining({ kind: InvocationProblemKind.InitFailure, records: 0, description: 'Error: boom at import' })]);
    expect(problems[0]!.requestId).toBeUndefined();
    await fn.stop();
    expect(log()).toMatch(new RegExp(`^${ISO}\\tundefined\\tERROR\\tUncaught Exception \\t\\{"errorType":"Error","errorMessage":"boom at import"`, 'm'));
    expect(log()).toMatch(new RegExp(`^${ISO} INIT_REPORT Init Duration: \\d+\\.\\d\\d ms\\tPhase: init\\tStatus: error\\tError Type: Runtime\\.Unknown$`, 'm'));
  });

  it('reports an init failure during an invocation under its request id, with the batch size', async () => {
    const { fn, problems, log } = start({ mode: 'import-exit', maxConsecutiveInitFailures: 5 });
    expect(await fn.invoke(batch('ok', 4))).toMatchObject({ ok: false, kind: 'init' });
    expect(problems).toEqual([
      expect.objectContaining({ kind: InvocationProblemKind.InitFailure, records: 4, description: 'Runtime exited with error: exit status 2', requestId: expect.any(String) }),
    ]);
    await fn.stop();
    expect(log()).toMatch(new RegExp(`^${ISO} Error: Runtime exited with error: exit status 2\\n${ISO} Runtime\\.ExitError\\n${ISO} INIT_REPORT .*\\tStatus: error\\tError Type: Runtime\\.ExitError$`, 'm'));
  });
});

describe('runtimeExitDescription', () => {
  it('uses the words Lambda uses', () => {
    expect(runtimeExitDescription({ code: null, signal: 'SIGKILL' })).toBe('Runtime exited with error: signal: killed');
    expect(runtimeExitDescription({ code: null, signal: 'SIGSEGV' })).toBe('Runtime exited with error: signal: segmentation fault');
    expect(runtimeExitDescription({ code: 129, signal: null })).toBe('Runtime exited with error: exit status 129');
    expect(runtimeExitDescription({ code: 0, signal: null })).toBe('Runtime exited without providing a reason');
  });
});

describe('formatInvocationProblem', () => {
  const base = { consumer: 'crm-sync', requestId: '6f1e2c1a-0d6b-4f7e-9a51-2b8f3c4d5e6f', records: 10, at: new Date(0), logFile: '.fanout/logs/crm-sync.log' };

  it('says who, what, which request, how many records, and that the messages come back', () => {
    expect(formatInvocationProblem({ ...base, kind: InvocationProblemKind.Timeout, description: 'Task timed out after 30.00 seconds' })).toBe(
      'timeout    crm-sync: request 6f1e2c1a-0d6b-4f7e-9a51-2b8f3c4d5e6f, batch of 10 records: Task timed out after 30.00 seconds; ' +
        'the environment is replaced and its messages return after the visibility timeout',
    );
    expect(formatInvocationProblem({ ...base, records: 1, kind: InvocationProblemKind.Crash, description: 'Runtime exited with error: signal: killed' })).toBe(
      'crash      crm-sync: request 6f1e2c1a-0d6b-4f7e-9a51-2b8f3c4d5e6f, batch of 1 record: Runtime exited with error: signal: killed; ' +
        'the environment is replaced and its messages return after the visibility timeout',
    );
  });

  it('has no batch to speak of for an init failure while warming up', () => {
    const { requestId: _none, ...warmUp } = base;
    expect(formatInvocationProblem({ ...warmUp, records: 0, kind: InvocationProblemKind.InitFailure, description: 'Error: boom' })).toBe(
      'init       crm-sync: an environment failed to initialize while warming up: Error: boom',
    );
  });
});
