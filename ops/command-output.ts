/**
 * How the operating commands (dlq, redrive, replay, status, cost, runbook) print and
 * exit: text for people on stdout, progress on stderr, `--json` for scripts, and exit
 * codes 0 (fine), 1 (found a problem or failed), 2 (bad input or set-up).
 */

/** Where a command writes; tests pass their own to capture output. */
export interface CommandIo {
  out(text: string): void;
  err(text: string): void;
  /** True when stderr is a terminal (progress bars redraw in place only there). */
  readonly interactive: boolean;
}

/** The process's stdout and stderr. */
export const processIo: CommandIo = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  interactive: Boolean(process.stderr.isTTY),
};

/** Exit codes of the operating commands. */
export const ExitCode = {
  Ok: 0,
  /** Checked and found a problem (messages in a DLQ, an alarm firing, a stale runbook), or the operation failed. */
  Problem: 1,
  /** Bad input or set-up: unknown consumer, missing outputs, unreadable file, no credentials. */
  Usage: 2,
} as const;

/** The exit code an error maps to: its own `exitCode` (CliError), 2 for missing credentials, else 1. */
export function exitCodeOf(error: unknown): number {
  const e = error as { exitCode?: unknown; name?: string };
  if (typeof e?.exitCode === 'number') return e.exitCode;
  if (e?.name === 'CredentialsProviderError' || e?.name === 'UnrecognizedClientException' || e?.name === 'InvalidClientTokenId') return ExitCode.Usage;
  return ExitCode.Problem;
}

/**
 * Runs a command body and turns what it throws into a message and an exit code, so every
 * command fails the same way (`{"error": ...}` on stdout with --json).
 */
export async function runCommand(io: CommandIo, json: boolean, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (error) {
    const message = (error as Error).message ?? String(error);
    if (json) io.out(JSON.stringify({ error: message, name: (error as Error).name }, null, 2));
    else io.err(`fanout: ${message}`);
    return exitCodeOf(error);
  }
}
