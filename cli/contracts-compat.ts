/**
 * `fanout contracts compat <previous.json> <next.json> [--mode BACKWARD] [--json]`:
 * whether a new contract version may follow a previous one, before Glue is asked.
 * Exit 0: compatible; 1: not (each change printed with its pointer); 2: unreadable input.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { COMPATIBILITY_MODES, CompatibilityMode, isCompatibilityMode } from '../contracts/compatibility-mode';
import { checkNewVersion } from '../contracts/compatibility/modes';
import { modeCheckLines } from '../contracts/compatibility/report';
import { InvalidSchemaError, isSchema } from '../contracts/compatibility/schema-document';
import { ExitCode } from '../ops/command-output';
import { contractsCommand } from './contracts-group';
import { CliError } from './context';

/** What a contracts command printed and how it exits; the command logic returns it so tests need not spawn. */
export interface ContractsCommandResult {
  readonly exitCode: number;
  /** For stdout. */
  readonly lines: readonly string[];
  /** For stderr. */
  readonly errors: readonly string[];
}

/** Options of `fanout contracts compat`. */
export interface CompatOptions {
  /** A Glue compatibility mode name (case-insensitive). @default BACKWARD */
  readonly mode?: string;
  readonly json?: boolean;
}

/** Reads and parses a JSON file; any failure is a CliError (exit 2) naming the file. */
export function readJsonFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new CliError(`cannot read ${file}: ${(cause as Error).message}`, ExitCode.Usage, { cause });
  }
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new CliError(`${file} is not valid JSON: ${(cause as Error).message}`, ExitCode.Usage, { cause });
  }
}

function readSchemaFile(file: string): unknown {
  const schema = readJsonFile(file);
  if (!isSchema(schema)) throw new CliError(`${file} is not a JSON Schema (expected an object or a boolean)`, ExitCode.Usage);
  return schema;
}

/** Parses `--mode`; an unknown name is a CliError (exit 2) listing the known ones. */
export function parseMode(value: string | undefined): CompatibilityMode {
  if (value === undefined) return CompatibilityMode.Backward;
  const mode = value.trim().toUpperCase();
  if (!isCompatibilityMode(mode)) throw new CliError(`unknown compatibility mode "${value}"; use one of ${COMPATIBILITY_MODES.join(', ')}`, ExitCode.Usage);
  return mode;
}

/** Turns a thrown error into the result of a failed command: exit 2 for bad input, 1 otherwise. */
export function failure(error: unknown, json: boolean): ContractsCommandResult {
  const message = (error as Error).message ?? String(error);
  const usage = error instanceof CliError ? error.exitCode : error instanceof InvalidSchemaError ? ExitCode.Usage : ExitCode.Problem;
  return json
    ? { exitCode: usage, lines: [JSON.stringify({ error: message, name: (error as Error).name }, null, 2)], errors: [] }
    : { exitCode: usage, lines: [], errors: [`fanout: ${message}`] };
}

/**
 * Runs `fanout contracts compat`.
 * @returns exit 0 when `next` may follow `previous` under the mode, 1 when not, 2 on unreadable input
 */
export function runContractsCompat(previousFile: string, nextFile: string, options: CompatOptions = {}): ContractsCommandResult {
  const json = options.json ?? false;
  try {
    const mode = parseMode(options.mode);
    const previous = { label: basename(previousFile), schema: readSchemaFile(previousFile) };
    const next = { label: basename(nextFile), schema: readSchemaFile(nextFile) };
    if (previous.label === next.label) {
      // Same file name in two folders: tell them apart in messages.
      previous.label = previousFile;
      next.label = nextFile;
    }
    const check = checkNewVersion([previous], next, mode);
    const exitCode = check.compatible ? ExitCode.Ok : ExitCode.Problem;
    if (json) {
      const output = {
        mode,
        previous: previousFile,
        next: nextFile,
        compatible: check.compatible,
        ...(check.refusal && { refusal: check.refusal }),
        comparisons: check.comparisons.map((c) => ({
          earlier: c.earlier,
          later: c.later,
          direction: c.direction,
          compatible: c.diff.compatible,
          changes: c.diff.changes,
          warnings: c.diff.warnings,
        })),
      };
      return { exitCode, lines: [JSON.stringify(output, null, 2)], errors: [] };
    }
    const verdict = check.compatible ? 'compatible' : 'NOT compatible';
    return {
      exitCode,
      lines: [`${mode}: ${next.label} is ${verdict} with ${previous.label}`, ...modeCheckLines(check)],
      errors: [],
    };
  } catch (error) {
    return failure(error, json);
  }
}

/** Prints a result and sets the process's exit code (commander then returns normally). */
export function emit(result: ContractsCommandResult): void {
  for (const line of result.lines) process.stdout.write(`${line}\n`);
  for (const line of result.errors) process.stderr.write(`${line}\n`);
  process.exitCode = result.exitCode;
}

/** Registers `fanout contracts compat` in the `contracts` group. */
export function register(program: Command): void {
  contractsCommand(program)
    .command('compat')
    .description('Check whether a new contract version may follow a previous one under a Glue compatibility mode. Exit 0: compatible; 1: not; 2: unreadable input.')
    .argument('<previous>', 'the previous (registered) version, a JSON Schema file')
    .argument('<next>', 'the new version, a JSON Schema file')
    .option('--mode <mode>', `compatibility mode: ${COMPATIBILITY_MODES.join(', ')}`, CompatibilityMode.Backward)
    .option('--json', 'print the result as JSON, for scripts')
    .action((previous: string, next: string, options: { mode: string; json?: boolean }) => {
      emit(runContractsCompat(previous, next, { mode: options.mode, ...(options.json !== undefined && { json: options.json }) }));
    });
}
