/**
 * Chaos for the local demo: makes the DynamoDB downstream fail transiently for a while,
 * so retries with backoff, alarms and the DLQ can be watched at work.
 *
 * Off unless {@link ChaosEnv.TransientFailureRate} is set. The stack never sets these
 * variables; only the local runner (or a person) does, e.g.
 * `FANOUT_CHAOS_TRANSIENT_FAILURE_RATE=0.3 FANOUT_CHAOS_TRANSIENT_FAILURE_UNTIL=2026-11-28T10:05:00Z`:
 * 30 % of downstream writes fail with a ChaosInjectedError (transient) until 10:05.
 * The HTTP adapter ignores them: a real API fails on its own.
 */
import { ChaosInjectedError, DownstreamConfigurationError } from './errors';

/** The chaos environment variables. */
export const ChaosEnv = {
  /** Probability (0 to 1) that one downstream write fails transiently. Unset: no chaos. */
  TransientFailureRate: 'FANOUT_CHAOS_TRANSIENT_FAILURE_RATE',
  /** Start of the failure window (ISO 8601). @default unbounded */
  TransientFailureFrom: 'FANOUT_CHAOS_TRANSIENT_FAILURE_FROM',
  /** End of the failure window (ISO 8601), exclusive. @default unbounded */
  TransientFailureUntil: 'FANOUT_CHAOS_TRANSIENT_FAILURE_UNTIL',
  /**
   * Probability (0 to 1) that a downstream write is committed and the call then fails
   * transiently anyway (same window): the fault that hurts, since the retry finds the
   * effect already there and must not apply it again. Unset: none.
   */
  FailAfterWriteRate: 'FANOUT_CHAOS_FAIL_AFTER_WRITE_RATE',
  /**
   * Probability (0 to 1) that the process is killed (SIGKILL) right after a downstream
   * write is committed (same window): the invocation dies before the idempotency record
   * is completed and before the batch answers, as when Lambda's runtime crashes or runs
   * out of memory. The message comes back after its visibility timeout. Unset: none.
   */
  CrashAfterWriteRate: 'FANOUT_CHAOS_CRASH_AFTER_WRITE_RATE',
  /**
   * Milliseconds each downstream write waits before it is made (same window): a slow
   * downstream, so that batches pile up and last long enough for a test to kill one
   * half-way. Unset: no wait.
   */
  WriteDelayMs: 'FANOUT_CHAOS_WRITE_DELAY_MS',
} as const;

/** When and how often to fail. */
export interface ChaosSettings {
  /** 0 to 1: share of writes that fail before anything is written. */
  readonly transientFailureRate: number;
  /** 0 to 1: share of committed writes whose call fails afterwards. @default 0 */
  readonly failAfterWriteRate?: number;
  /** 0 to 1: share of committed writes after which the process is killed. @default 0 */
  readonly crashAfterWriteRate?: number;
  /** Milliseconds each write waits first. @default 0 */
  readonly writeDelayMs?: number;
  /** Epoch ms; failures only from then. */
  readonly fromMs?: number;
  /** Epoch ms; failures only before then. */
  readonly untilMs?: number;
}

function parseTime(env: Readonly<Record<string, string | undefined>>, name: string): number | undefined {
  const value = env[name]?.trim();
  if (!value) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new DownstreamConfigurationError(`${name} must be an ISO 8601 time, got "${value}"`);
  return ms;
}

/**
 * The chaos settings, or undefined when chaos is off (the default).
 * @throws DownstreamConfigurationError when a variable is set to something unusable
 */
export function readChaosSettings(env: Readonly<Record<string, string | undefined>>): ChaosSettings | undefined {
  const rate = parseRate(env, ChaosEnv.TransientFailureRate);
  const afterWriteRate = parseRate(env, ChaosEnv.FailAfterWriteRate);
  const crashRate = parseRate(env, ChaosEnv.CrashAfterWriteRate);
  const delayValue = env[ChaosEnv.WriteDelayMs]?.trim();
  const writeDelayMs = delayValue ? Number(delayValue) : undefined;
  if (writeDelayMs !== undefined && !(Number.isInteger(writeDelayMs) && writeDelayMs >= 0)) {
    throw new DownstreamConfigurationError(`${ChaosEnv.WriteDelayMs} must be a whole number of milliseconds, got "${delayValue}"`);
  }
  if (rate === undefined && afterWriteRate === undefined && crashRate === undefined && writeDelayMs === undefined) return undefined;
  const fromMs = parseTime(env, ChaosEnv.TransientFailureFrom);
  const untilMs = parseTime(env, ChaosEnv.TransientFailureUntil);
  return {
    transientFailureRate: rate ?? 0,
    ...(afterWriteRate !== undefined && { failAfterWriteRate: afterWriteRate }),
    ...(crashRate !== undefined && { crashAfterWriteRate: crashRate }),
    ...(writeDelayMs !== undefined && { writeDelayMs }),
    ...(fromMs !== undefined && { fromMs }),
    ...(untilMs !== undefined && { untilMs }),
  };
}

function parseRate(env: Readonly<Record<string, string | undefined>>, name: string): number | undefined {
  const value = env[name]?.trim();
  if (!value) return undefined;
  const rate = Number(value);
  if (!(rate >= 0 && rate <= 1)) throw new DownstreamConfigurationError(`${name} must be a number from 0 to 1, got "${value}"`);
  return rate;
}

function inWindow(settings: ChaosSettings, nowMs: number): boolean {
  if (settings.fromMs !== undefined && nowMs < settings.fromMs) return false;
  return settings.untilMs === undefined || nowMs < settings.untilMs;
}

/** Waits {@link ChaosSettings.writeDelayMs} when chaos is on and `nowMs` is inside the window. */
export async function delayChaos(settings: ChaosSettings | undefined, nowMs: number): Promise<void> {
  if (!settings?.writeDelayMs || !inWindow(settings, nowMs)) return;
  await new Promise((resolve) => setTimeout(resolve, settings.writeDelayMs));
}

/**
 * Throws a {@link ChaosInjectedError} when chaos is on, `nowMs` is inside the window and the dice say so.
 */
export function injectChaos(settings: ChaosSettings | undefined, nowMs: number, random: () => number = Math.random): void {
  if (!settings || !inWindow(settings, nowMs)) return;
  if (random() < settings.transientFailureRate) {
    throw new ChaosInjectedError(`chaos: injected transient downstream failure (rate ${settings.transientFailureRate})`);
  }
}

/**
 * Called after a write was committed: throws a {@link ChaosInjectedError} when chaos is
 * on, `nowMs` is inside the window and the dice say so. The effect is already applied, so
 * the retry that follows must recognise it (the effect log's condition) and not apply it twice.
 */
export function injectChaosAfterWrite(
  settings: ChaosSettings | undefined,
  nowMs: number,
  random: () => number = Math.random,
  crash: () => void = killThisProcess,
): void {
  if (!settings || !inWindow(settings, nowMs)) return;
  if (settings.crashAfterWriteRate && random() < settings.crashAfterWriteRate) crash();
  if (settings.failAfterWriteRate && random() < settings.failAfterWriteRate) {
    throw new ChaosInjectedError(`chaos: injected transient failure after a committed downstream write (rate ${settings.failAfterWriteRate})`);
  }
}

// SIGKILL, not process.exit: no handler, no flush, no `finally` runs, as when the
// runtime is killed for running out of memory.
function killThisProcess(): void {
  process.kill(process.pid, 'SIGKILL');
}
