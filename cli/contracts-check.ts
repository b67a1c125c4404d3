/**
 * `fanout contracts check [--json]`: checks every contract in schemas/ the way CI should
 * before anything is registered:
 * - every version chain under its event type's compatibility mode (as Glue would check
 *   each version on registration);
 * - every version has `$id`, `title` and `description`, and at least one example;
 * - every example validates against its own version.
 * Prints one line per event type. Exit 0: all good; 1: a problem; 2: unreadable input.
 */
import type { Command } from 'commander';
import type { CompatibilityMode } from '../contracts/compatibility-mode';
import { checkVersionChain, type ModeCheck } from '../contracts/compatibility/modes';
import { modeCheckLines } from '../contracts/compatibility/report';
import { listContractFolders, loadContractVersions, type ContractVersion } from '../contracts/schema-files';
import { compileValidator } from '../contracts/validation';
import { PIPELINE_DEFAULTS, type ResolvedPipeline } from '../model/pipeline-definition';
import { ExitCode } from '../ops/command-output';
import { contractsCommand } from './contracts-group';
import { emit, failure, type ContractsCommandResult } from './contracts-compat';
import { CliError, SCHEMAS_DIR, loadPipeline } from './context';

/** One thing wrong with a contract. */
export interface ContractProblem {
  /** `metadata`, `example` or `compatibility`. */
  readonly kind: 'metadata' | 'example' | 'compatibility';
  /** The version it concerns, e.g. `v2`. */
  readonly version: string;
  readonly message: string;
}

/** The result for one contract (one event type, or a folder no event type uses). */
export interface ContractCheck {
  /** The event type, or the folder name when no event type uses it. */
  readonly name: string;
  /** Folder in schemas/. */
  readonly contract: string;
  readonly mode: CompatibilityMode;
  /** False when the folder belongs to no event type of the pipeline (checked under the default mode). */
  readonly inPipeline: boolean;
  readonly versions: number;
  readonly examples: number;
  readonly ok: boolean;
  readonly problems: readonly ContractProblem[];
  readonly chain: readonly ModeCheck[];
}

/** What the command checks; tests pass a pipeline built over their own schemas folder. */
export interface CheckOptions {
  /** @default loadPipeline() (the pipeline the CLI operates) */
  readonly pipeline?: ResolvedPipeline;
  /** Where contract folders no event type uses are looked for. @default schemas/ of the project */
  readonly schemasDir?: string;
  readonly json?: boolean;
}

const REQUIRED_METADATA = ['$id', 'title', 'description'] as const;

function label(version: ContractVersion): string {
  return `v${version.version}`;
}

/**
 * Checks one contract's versions: metadata, examples and the chain under `mode`.
 * Pure apart from compiling validators; exported for tests and other tools.
 */
export function checkContract(name: string, contract: string, mode: CompatibilityMode, versions: readonly ContractVersion[], inPipeline = true): ContractCheck {
  const problems: ContractProblem[] = [];
  let examples = 0;
  for (const version of versions) {
    for (const keyword of REQUIRED_METADATA) {
      const value = version.schema[keyword];
      if (typeof value !== 'string' || value.trim() === '') {
        problems.push({ kind: 'metadata', version: label(version), message: `${version.file} has no ${keyword} (every contract version needs $id, title and description)` });
      }
    }
    const list = version.schema.examples;
    if (!Array.isArray(list) || list.length === 0) {
      problems.push({ kind: 'example', version: label(version), message: `${version.file} has no examples: add at least one document that validates` });
      continue;
    }
    let validate;
    try {
      validate = compileValidator(version.schema);
    } catch (cause) {
      problems.push({ kind: 'example', version: label(version), message: `${version.file} does not compile as a JSON Schema: ${(cause as Error).message}` });
      continue;
    }
    list.forEach((example, index) => {
      examples++;
      const violations = validate(example);
      if (violations.length > 0) {
        const detail = violations.map((v) => `${v.path || '/'} ${v.message} (${v.rule})`).join('; ');
        problems.push({ kind: 'example', version: label(version), message: `examples[${index}] of ${label(version)} does not validate: ${detail}` });
      }
    });
  }
  let chain: ModeCheck[] = [];
  try {
    chain = checkVersionChain(
      versions.map((v) => ({ label: label(v), schema: v.schema })),
      mode,
    );
  } catch (cause) {
    // A schema the checker cannot read (an unsupported $schema draft) is this contract's
    // problem, not a reason to stop checking the others.
    problems.push({ kind: 'compatibility', version: label(versions.at(-1)!), message: (cause as Error).message });
  }
  for (const check of chain) {
    if (check.compatible) continue;
    const breaking = check.comparisons.flatMap((c) => c.diff.changes.filter((change) => !change.compatible));
    problems.push({
      kind: 'compatibility',
      version: check.version,
      message: check.refusal ?? `${check.version} is not ${mode} compatible: ${breaking.length} breaking change${breaking.length === 1 ? '' : 's'}`,
    });
  }
  return { name, contract, mode, inPipeline, versions: versions.length, examples, ok: problems.length === 0, problems, chain };
}

function summaryLine(check: ContractCheck): string {
  const range = check.versions === 1 ? 'v1' : `v1..v${check.versions}`;
  const scope = check.inPipeline ? '' : ' (no event type uses this folder; checked under the default mode)';
  if (check.ok) {
    return `ok    ${check.name}: ${range} ${check.mode} compatible, ${check.examples} example${check.examples === 1 ? '' : 's'} valid${scope}`;
  }
  return `FAIL  ${check.name}: ${range} ${check.mode}: ${check.problems.length} problem${check.problems.length === 1 ? '' : 's'}${scope}`;
}

function detailLines(check: ContractCheck): string[] {
  if (check.ok) return [];
  const lines: string[] = [];
  for (const problem of check.problems) lines.push(`      ${problem.kind} ${problem.version}: ${problem.message}`);
  for (const modeCheck of check.chain) {
    if (!modeCheck.compatible) lines.push(...modeCheckLines(modeCheck, '        ', true));
  }
  return lines;
}

/**
 * Runs `fanout contracts check`.
 * @returns exit 0 when every contract is fine, 1 when one is not, 2 when the pipeline or a schema file cannot be read
 */
export function runContractsCheck(options: CheckOptions = {}): ContractsCommandResult {
  const json = options.json ?? false;
  try {
    let pipeline: ResolvedPipeline;
    try {
      pipeline = options.pipeline ?? loadPipeline();
    } catch (cause) {
      // A contract file that is not JSON, or a gap in the versions, stops the pipeline from resolving.
      throw new CliError((cause as Error).message, ExitCode.Usage, { cause });
    }
    const checks: ContractCheck[] = pipeline.eventTypes.map((eventType) => checkContract(eventType.name, eventType.contract, eventType.compatibility, eventType.versions));
    const used = new Set(pipeline.eventTypes.map((e) => e.contract));
    const schemasDir = options.schemasDir ?? SCHEMAS_DIR;
    let unused: string[];
    try {
      unused = listContractFolders(schemasDir).filter((folder) => !used.has(folder));
    } catch (cause) {
      throw new CliError(`cannot list contract folders in ${schemasDir}: ${(cause as Error).message}`, ExitCode.Usage, { cause });
    }
    for (const folder of unused) {
      let versions: ContractVersion[];
      try {
        versions = loadContractVersions(schemasDir, folder);
      } catch (cause) {
        throw new CliError((cause as Error).message, ExitCode.Usage, { cause });
      }
      checks.push(checkContract(folder, folder, PIPELINE_DEFAULTS.compatibility, versions, false));
    }
    const ok = checks.every((c) => c.ok);
    const exitCode = ok ? ExitCode.Ok : ExitCode.Problem;
    if (json) {
      const output = {
        ok,
        contracts: checks.map((c) => ({
          name: c.name,
          contract: c.contract,
          mode: c.mode,
          inPipeline: c.inPipeline,
          versions: c.versions,
          examples: c.examples,
          ok: c.ok,
          problems: c.problems,
          comparisons: c.chain.flatMap((m) =>
            m.comparisons.map((x) => ({ earlier: x.earlier, later: x.later, direction: x.direction, compatible: x.diff.compatible, changes: x.diff.changes, warnings: x.diff.warnings })),
          ),
        })),
      };
      return { exitCode, lines: [JSON.stringify(output, null, 2)], errors: [] };
    }
    const lines = checks.flatMap((check) => [summaryLine(check), ...detailLines(check)]);
    const failed = checks.filter((c) => !c.ok).length;
    lines.push(ok ? `all ${checks.length} contracts are fine` : `${failed} of ${checks.length} contracts have problems`);
    return { exitCode, lines, errors: [] };
  } catch (error) {
    return failure(error, json);
  }
}

/** Registers `fanout contracts check` in the `contracts` group. */
export function register(program: Command): void {
  contractsCommand(program)
    .command('check')
    .description(
      "Check every contract in schemas/: each version chain under its event type's compatibility mode, $id/title/description present, and every example valid. Exit 0: fine; 1: a problem; 2: unreadable input.",
    )
    .option('--json', 'print the result as JSON, for scripts')
    .action((options: { json?: boolean }) => {
      emit(runContractsCheck(options.json !== undefined ? { json: options.json } : {}));
    });
}
