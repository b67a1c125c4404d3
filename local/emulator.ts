/**
 * The local AWS emulator: moto in server mode, pinned, in a project-local virtualenv.
 *
 * `ensureEmulatorInstalled` creates `.venv` and installs moto on first use;
 * `startEmulator` runs it on a free loopback port and waits until it answers: one
 * process, or two with DynamoDB in the second (`npm start`'s, so both cores work).
 * Tests, the local runner and the CLI all start it through here, so there is one
 * way to get an emulator and one way to stop it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { FanoutError } from '../contracts/errors';
import { PROJECT_ROOT } from '../model/project-root';

/** The moto release Fanout is tested against. Change it only with a full test run. */
export const MOTO_VERSION = '5.2.5';

/**
 * The project root (where `.venv` lives), defined once in model/project-root.ts and
 * re-exported for the local runner and the tests that import it from here.
 */
export { PROJECT_ROOT };

const VENV_DIR = join(PROJECT_ROOT, '.venv');
const MOTO_SERVER = join(VENV_DIR, 'bin', 'moto_server');
/** moto's server with DynamoDB requests served one at a time, as DynamoDB isolates them (see the file). */
const EMULATOR_SERVER = join(PROJECT_ROOT, 'local', 'emulator_server.py');
const VENV_PYTHON = join(VENV_DIR, 'bin', 'python');

/** The emulator could not be installed or started. */
export class EmulatorError extends FanoutError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EmulatorError';
  }
}

function run(command: string, args: string[]): { status: number | null; output: string } {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.error) return { status: null, output: result.error.message };
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

function installedMotoVersion(): string | undefined {
  if (!existsSync(MOTO_SERVER)) return undefined;
  const result = run(VENV_PYTHON, ['-c', 'import importlib.metadata as m; print(m.version("moto"))']);
  return result.status === 0 ? result.output.trim() : undefined;
}

/**
 * Makes sure `.venv` holds the pinned moto; installs it when missing.
 * @param log where to say what is happening (installing takes ~30 s the first time)
 * @throws EmulatorError when python3 >= 3.10 is missing or the install fails
 */
export function ensureEmulatorInstalled(log: (line: string) => void = () => {}): void {
  if (installedMotoVersion() === MOTO_VERSION) return;
  const python = process.env.PYTHON ?? 'python3';
  const probe = run(python, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])']);
  if (probe.status !== 0) {
    throw new EmulatorError(`${python} was not found: the local emulator needs Python 3.10 or newer (set PYTHON to use another interpreter)`);
  }
  const [major, minor] = probe.output.trim().split('.').map(Number);
  if (major! < 3 || (major === 3 && minor! < 10)) {
    throw new EmulatorError(`${python} is Python ${probe.output.trim()}; the local emulator needs Python 3.10 or newer`);
  }
  if (!existsSync(VENV_PYTHON)) {
    log(`creating ${VENV_DIR}`);
    const venv = run(python, ['-m', 'venv', VENV_DIR]);
    if (venv.status !== 0) throw new EmulatorError(`could not create the virtualenv ${VENV_DIR}: ${venv.output.trim()}`);
  }
  log(`installing moto[server]==${MOTO_VERSION} into ${VENV_DIR} (first run only)`);
  const pip = run(VENV_PYTHON, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', `moto[server]==${MOTO_VERSION}`]);
  if (pip.status !== 0) {
    throw new EmulatorError(`could not install moto[server]==${MOTO_VERSION} (is the package index reachable?): ${pip.output.trim().split('\n').slice(-3).join(' ')}`);
  }
}

/** A free TCP port on the loopback interface. */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/** A running emulator. */
export interface Emulator {
  /** e.g. `http://127.0.0.1:49152`; give it to SDK clients as `endpoint` or `AWS_ENDPOINT_URL`. */
  readonly endpoint: string;
  /**
   * Where DynamoDB is served: {@link endpoint}, or a process of its own (`dynamodbProcess`).
   * Give it to DynamoDB clients as `endpoint`, or as `AWS_ENDPOINT_URL_DYNAMODB`.
   */
  readonly dynamodbEndpoint: string;
  /**
   * The process serving {@link endpoint}, when this process started it (to freeze the
   * broker in a fault test).
   */
  readonly pid?: number;
  /** Every process of the emulator, when this process started it (for leak checks). */
  readonly pids?: readonly number[];
  /** Clears all state (`POST /moto-api/reset`). */
  reset(): Promise<void>;
  /** Stops the process and waits for it to exit. Safe to call twice. */
  stop(): Promise<void>;
  /**
   * When this process started it: resolves with how it ended once it exits, for whatever
   * reason (a run watches it, so a crashed emulator ends the run with that reason instead
   * of a stream of connection errors).
   */
  readonly exited?: Promise<string>;
}

/**
 * The variables that point an AWS SDK (any language's, and the AWS CLI) at the emulator:
 * `AWS_ENDPOINT_URL`, and `AWS_ENDPOINT_URL_DYNAMODB` when DynamoDB has a process of its own.
 */
export function emulatorEndpointEnvironment(emulator: Pick<Emulator, 'endpoint' | 'dynamodbEndpoint'>): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: emulator.endpoint,
    ...(emulator.dynamodbEndpoint !== emulator.endpoint && { AWS_ENDPOINT_URL_DYNAMODB: emulator.dynamodbEndpoint }),
  };
}

async function waitUntilAnswering(endpoint: string, child: ChildProcess, output: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new EmulatorError(`the emulator exited with code ${child.exitCode} before answering: ${output().trim().split('\n').slice(-3).join(' ')}`);
    }
    try {
      const response = await fetch(`${endpoint}/moto-api/data.json`, { signal: AbortSignal.timeout(1000) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new EmulatorError(`the emulator did not answer on ${endpoint} within ${timeoutMs} ms`);
}

/** Options for {@link startEmulator}. */
export interface StartEmulatorOptions {
  /** @default a free loopback port */
  readonly port?: number;
  /**
   * Serve DynamoDB from a second process, on a free port ({@link Emulator.dynamodbEndpoint}).
   * moto is one Python process, so one core: under the sample's load about half of its
   * time went to DynamoDB's expression parsing and validation. Two processes put both
   * cores to work. Each process holds only its own services' state: clients must send
   * DynamoDB calls to `dynamodbEndpoint`, everything else to `endpoint`.
   * @default false
   */
  readonly dynamodbProcess?: boolean;
  /** How long to wait for it to answer. @default 30000 */
  readonly startTimeoutMs?: number;
  /** @default silent */
  readonly log?: (line: string) => void;
}

/** One moto process. */
interface MotoProcess {
  readonly endpoint: string;
  readonly pid?: number;
  readonly exited: Promise<string>;
  stop(): Promise<void>;
}

/** Starts one moto process on `port` and waits until it answers; stops it if it does not. */
async function startMotoProcess(port: number, startTimeoutMs: number): Promise<MotoProcess> {
  const endpoint = `http://127.0.0.1:${port}`;
  let output = '';
  const child = spawn(VENV_PYTHON, [EMULATOR_SERVER, '-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so stopping it also stops anything it forked.
    detached: true,
  });
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<string>((r) => child.once('exit', (code, signal) => r(signal ? `killed by ${signal}` : `exit code ${code}`)));
  const stopOnParentExit = () => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  process.once('exit', stopOnParentExit);

  const stop = async () => {
    process.removeListener('exit', stopOnParentExit);
    if (child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      return;
    }
    const timer = setTimeout(stopOnParentExit, 3000);
    await exited;
    clearTimeout(timer);
  };

  try {
    await waitUntilAnswering(endpoint, child, () => output, startTimeoutMs);
  } catch (error) {
    await stop();
    if (/Address already in use/i.test(output)) {
      throw new EmulatorError(`port ${port} is already in use: choose another with --port, or omit it to pick a free one`, { cause: error });
    }
    throw error;
  }
  return {
    endpoint,
    ...(child.pid !== undefined && { pid: child.pid }),
    exited: exited.then((how) => `${how}; its last output: ${output.trim().split('\n').slice(-3).join(' ') || '(none)'}`),
    stop,
  };
}

/**
 * Installs (first time) and starts moto on loopback: one process, or two with
 * `dynamodbProcess` (started side by side; if either fails, neither is left running).
 * @throws EmulatorError when the port is taken, the process dies, or it does not answer in time
 */
export async function startEmulator(options: StartEmulatorOptions = {}): Promise<Emulator> {
  ensureEmulatorInstalled(options.log);
  const timeoutMs = options.startTimeoutMs ?? 30_000;
  const port = options.port ?? (await freePort());
  const starts = [startMotoProcess(port, timeoutMs)];
  if (options.dynamodbProcess) {
    // A free port, but not the one just handed to the first process (freed again until it binds).
    let dynamodbPort = await freePort();
    while (dynamodbPort === port) dynamodbPort = await freePort();
    starts.push(startMotoProcess(dynamodbPort, timeoutMs));
  }
  const settled = await Promise.allSettled(starts);
  const processes = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await Promise.all(processes.map((p) => p.stop()));
    throw failed.reason;
  }
  const [main, dynamodb = main] = processes as [MotoProcess, MotoProcess?];
  options.log?.(
    `emulator (moto ${MOTO_VERSION}) listening on ${main.endpoint}${dynamodb === main ? '' : `, DynamoDB on ${dynamodb.endpoint}`}`,
  );
  const pids = processes.flatMap((p) => (p.pid === undefined ? [] : [p.pid]));
  return {
    endpoint: main.endpoint,
    dynamodbEndpoint: dynamodb.endpoint,
    ...(main.pid !== undefined && { pid: main.pid }),
    ...(pids.length > 0 && { pids }),
    // Whichever process ends first ends the emulator.
    exited: Promise.race(processes.map((p, i) => p.exited.then((how) => (i === 0 ? how : `the DynamoDB process: ${how}`)))),
    async reset() {
      for (const p of processes) {
        const response = await fetch(`${p.endpoint}/moto-api/reset`, { method: 'POST' });
        if (!response.ok) throw new EmulatorError(`reset failed: HTTP ${response.status}`);
      }
    },
    async stop() {
      await Promise.all(processes.map((p) => p.stop()));
    },
  };
}
