/**
 * Child processes of the local runner (consumer environments, the synth): each in its
 * own process group, so stopping one stops whatever it forked, and all of them are
 * killed when the runner exits, however it exits, so none is left orphaned.
 *
 * Own groups also mean a Ctrl-C in the terminal reaches only the runner, which then
 * stops the children in order instead of having them die mid-write.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

const live = new Set<ChildProcess>();
const everSpawned: number[] = [];
let exitHookInstalled = false;

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is already gone.
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' handlers must be synchronous: SIGKILL is, and cannot be ignored.
  process.on('exit', () => {
    for (const child of live) killGroup(child, 'SIGKILL');
  });
}

/**
 * Spawns a command in a new process group and tracks it until it exits.
 * Same options as child_process.spawn; `detached` is always set.
 */
export function spawnInGroup(command: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
  installExitHook();
  const child = spawn(command, args, { ...options, detached: true });
  live.add(child);
  if (child.pid !== undefined) everSpawned.push(child.pid);
  child.once('exit', () => live.delete(child));
  child.once('error', () => live.delete(child));
  return child;
}

/**
 * Stops a child's whole process group: SIGTERM, then SIGKILL after `graceMs`.
 * Resolves once the child has exited. Safe to call on an exited child.
 */
export async function stopGroup(child: ChildProcess, graceMs = 2000): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  killGroup(child, 'SIGTERM');
  const timer = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/**
 * Kills what is left of a child's process group, even after the child itself exited:
 * processes it started that ignored the SIGTERM and still hold its output open.
 */
export function killGroupLeftovers(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // The group is gone.
  }
}

/** Kills a child's process group at once (a timed-out function, as Lambda does). */
export function killGroupNow(child: ChildProcess): void {
  killGroup(child, 'SIGKILL');
}

/** Process ids of the children still running (for leak checks). */
export function liveChildPids(): number[] {
  return [...live].map((child) => child.pid).filter((pid): pid is number => pid !== undefined);
}

/** Process ids of every child spawned so far, running or not (a run's report lists them). */
export function spawnedPids(): number[] {
  return [...everSpawned];
}

/** Stops every tracked child. */
export async function stopAllChildren(graceMs = 2000): Promise<void> {
  await Promise.all([...live].map((child) => stopGroup(child, graceMs)));
}
