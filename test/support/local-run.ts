/**
 * `npm start` as a test starts it: a real process in its own process group (as a
 * terminal would), its output collected, and its exit awaited until every process
 * writing to that output is gone.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../local/emulator';

/** A local run in progress. */
export interface LocalRun {
  readonly child: ChildProcess;
  /** The exit code, once the process has exited and every process writing to its output has too. */
  readonly exited: Promise<number | null>;
  output: () => string;
}

/**
 * Starts `npm start -- <args>`, or the script's own command line (`tsx local/start.ts
 * <args>`, whose exit code npm would hide when npm itself is interrupted), or the runner
 * as the only process (`node --import tsx`: no launcher in between to die of a signal first).
 * The caller stops it: kill its process group (`process.kill(-run.child.pid, ...)`).
 * `cwd` is the project to run (a copy of it, see project-copy.ts).
 */
export function startLocalRun(args: string[], via: 'npm' | 'tsx' | 'node' = 'npm', cwd: string = PROJECT_ROOT): LocalRun {
  const [command, prefix] =
    via === 'npm' ? ['npm', ['start', '--silent', '--']]
    : via === 'tsx' ? [join(cwd, 'node_modules', '.bin', 'tsx'), ['local/start.ts']]
    : [process.execPath, ['--import', 'tsx', 'local/start.ts']];
  const child = spawn(command, [...prefix, ...args], {
    cwd,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, FORCE_COLOR: '0' },
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const closed = (stream: NodeJS.ReadableStream) => new Promise<void>((resolve) => stream.once('close', () => resolve()));
  const exitCode = new Promise<number | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : null))));
  // The output closes when the last process holding it (the runner, after npm) is gone.
  const exited = Promise.all([exitCode, closed(child.stdout!), closed(child.stderr!)]).then(([code]) => code);
  return { child, exited, output: () => output };
}
