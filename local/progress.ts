/**
 * Progress of a local run: on a terminal one line redrawn in place, otherwise (CI, a
 * pipe, a log file) a full line every few seconds so the output stays readable.
 */
import { InvocationProblemKind, type InvocationProblem } from './function-runtime';

const LABELS: Readonly<Record<InvocationProblemKind, string>> = {
  [InvocationProblemKind.Timeout]: 'timeout',
  [InvocationProblemKind.Crash]: 'crash',
  [InvocationProblemKind.InitFailure]: 'init',
};

/**
 * The console line for a timeout, crash or failed initialization, e.g.
 * `timeout    crm-sync: request 6f1e..., batch of 10 records: Task timed out after 30.00 seconds; ...`.
 * Lambda's own lines for it are in the consumer's log.
 */
export function formatInvocationProblem(problem: InvocationProblem): string {
  const label = LABELS[problem.kind].padEnd(10);
  // Warming up has no invocation and no batch to lose.
  if (problem.requestId === undefined) return `${label} ${problem.consumer}: an environment failed to initialize while warming up: ${problem.description}`;
  const batch = `batch of ${problem.records} record${problem.records === 1 ? '' : 's'}`;
  const what = problem.kind === InvocationProblemKind.InitFailure ? `an environment failed to initialize: ${problem.description}` : problem.description;
  return `${label} ${problem.consumer}: request ${problem.requestId}, ${batch}: ${what}; the environment is replaced and its messages return after the visibility timeout`;
}

/** What the progress line shows. */
export interface ProgressState {
  readonly published: number;
  readonly planned: number;
  /** Effects the consumers report applied (their Processed metric); the final table counts the downstream's own records. */
  readonly applied: number;
  readonly retried: number;
  readonly deadLettered: number;
  /** Messages waiting or in flight in the consumer queues. */
  readonly backlog: number;
  /** What the run is doing, e.g. `publishing`, `draining`. */
  readonly phase: string;
}

/** Renders progress to a stream. */
export class ProgressLine {
  private last = 0;
  private drawn = false;
  private readonly startedAt = Date.now();

  constructor(
    private readonly stream: NodeJS.WriteStream,
    /** Non-terminal output: minimum milliseconds between lines. */
    private readonly intervalMs = 5000,
  ) {}

  private get tty(): boolean {
    return this.stream.isTTY === true;
  }

  /** Formats one state. */
  static format(state: ProgressState, elapsedMs: number): string {
    const seconds = Math.floor(elapsedMs / 1000);
    const clock = `${String(Math.floor(seconds / 60)).padStart(2, '0')}:${String(seconds % 60).padStart(2, '0')}`;
    return (
      `[${clock}] ${state.phase.padEnd(10)} published ${state.published}/${state.planned}  applied ${state.applied}  ` +
      `retried ${state.retried}  dead-lettered ${state.deadLettered}  backlog ${state.backlog}`
    );
  }

  /** Shows a new state (rate-limited when not on a terminal). */
  update(state: ProgressState, force = false): void {
    const now = Date.now();
    const line = ProgressLine.format(state, now - this.startedAt);
    if (this.tty) {
      this.stream.write(`\r\x1b[2K${line}`);
      this.drawn = true;
    } else if (force || now - this.last >= this.intervalMs) {
      this.stream.write(`${line}\n`);
      this.last = now;
    }
  }

  /** Ends the redrawn line so what follows starts on a fresh one. */
  done(): void {
    if (this.tty && this.drawn) this.stream.write('\n');
    this.drawn = false;
  }

  /** Prints a message above the progress line without garbling it. */
  message(text: string): void {
    // The line is erased; the next update draws it again below the message.
    if (this.tty && this.drawn) this.stream.write('\r\x1b[2K');
    this.drawn = false;
    this.stream.write(`${text}\n`);
  }
}
