/**
 * `fanout contracts register`: registers every contract version of the pipeline in its
 * Glue schema registry, in order, idempotently, against whatever endpoint the SDK is
 * configured for (a real account, or the local emulator through AWS_ENDPOINT_URL).
 */
import { GlueClient } from '@aws-sdk/client-glue';
import type { Command } from 'commander';
import { registerContracts, type RegistrationReport } from '../contracts/glue-registration';
import type { ResolvedPipeline } from '../model/pipeline-definition';
import { OutputKey } from '../model/stack-outputs';
import { SDK_TIMEOUTS, withSdkTimeouts } from '../contracts/sdk-client-config';
import { ExitCode, processIo, runCommand, type CommandIo } from '../ops/command-output';
import { contractsCommand } from './contracts-group';
import { loadPipeline, loadStackOutputs, requireOutput, type OutputsOptions } from './context';

/** Options of `fanout contracts register`. */
export interface RegisterCommandOptions extends OutputsOptions {
  /** The registry to register into. @default the stack output SchemaRegistryName */
  readonly registry?: string;
  readonly json?: boolean;
}

/** What the command needs from outside; tests pass an emulator client and their own io. */
export interface RegisterCommandDeps {
  readonly glue: GlueClient;
  readonly io: CommandIo;
  readonly pipeline?: ResolvedPipeline;
}

function summary(report: RegistrationReport): string {
  const registered = report.schemas.reduce((sum, s) => sum + s.registered.length, 0);
  const unchanged = report.schemas.reduce((sum, s) => sum + s.unchanged.length, 0);
  return `registry ${report.registryName}${report.registryCreated ? ' (created)' : ''}: ${registered} version${registered === 1 ? '' : 's'} registered, ${unchanged} already there`;
}

/**
 * Runs `fanout contracts register`.
 * @returns 0 when every version is registered, 1 when the registry contradicts schemas/ or Glue failed, 2 on bad input or set-up
 */
export async function registerCommand(options: RegisterCommandOptions, deps: RegisterCommandDeps): Promise<number> {
  const json = options.json ?? false;
  return runCommand(deps.io, json, async () => {
    const pipeline = deps.pipeline ?? loadPipeline();
    const registryName = options.registry ?? requireOutput(await loadStackOutputs(pipeline, options), OutputKey.schemaRegistryName());
    // Progress goes to stderr with --json, so stdout stays one JSON document.
    const log = (line: string) => (json ? deps.io.err(line) : deps.io.out(line));
    const report = await registerContracts(deps.glue, registryName, pipeline, log);
    if (json) deps.io.out(JSON.stringify(report, null, 2));
    // An unchanged registry was already reported as "nothing to do" by the log.
    else if (report.changed) deps.io.out(summary(report));
    return ExitCode.Ok;
  });
}

/** Registers `fanout contracts register` in the `contracts` group. `makeDeps` is for tests. */
export function register(program: Command, makeDeps: () => RegisterCommandDeps = defaultDeps): void {
  contractsCommand(program)
    .command('register')
    .description('Register every contract version of the pipeline in its Glue schema registry, in order; a second run changes nothing.')
    .option('--registry <name>', 'registry name (default: the stack output SchemaRegistryName)')
    .option('--outputs-file <file>', 'stack outputs JSON (cdk deploy --outputs-file; the local runner writes .fanout/outputs.json); else FANOUT_OUTPUTS_FILE, else CloudFormation')
    .option('--stack <name>', 'stack name (default: the pipeline name)')
    .option('--json', 'machine-readable output')
    .addHelpText(
      'after',
      '\nExit codes: 0 registered (or nothing to do), 1 the registry contradicts schemas/ or Glue failed, 2 bad input or set-up.\nHonours AWS_PROFILE, AWS_REGION and AWS_ENDPOINT_URL.',
    )
    .action(async (options: RegisterCommandOptions) => {
      const deps = makeDeps();
      try {
        process.exitCode = await registerCommand(options, deps);
      } finally {
        deps.glue.destroy();
      }
    });
}

function defaultDeps(): RegisterCommandDeps {
  return { glue: new GlueClient(withSdkTimeouts({}, SDK_TIMEOUTS.cli)), io: processIo };
}
