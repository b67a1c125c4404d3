/**
 * What every CLI command needs: the pipeline definition (resolved), the stack's
 * outputs (every resource name comes from them, never hard-coded) and SDK client
 * settings. The SDK itself honours AWS_PROFILE, AWS_REGION and AWS_ENDPOINT_URL.
 */
import { readFileSync, existsSync } from 'node:fs';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { FanoutError } from '../contracts/errors';
import type { ResolvedPipeline } from '../model/pipeline-definition';
import type { StackOutputs } from '../model/stack-outputs';
import { SDK_TIMEOUTS, withSdkTimeouts } from '../contracts/sdk-client-config';

/** A CLI command cannot do its work; `exitCode` says how bad (2: bad input or setup). */
export class CliError extends FanoutError {
  readonly exitCode: number;
  constructor(message: string, exitCode = 2, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

export { loadPipeline, SCHEMAS_DIR } from '../model/load-pipeline';

/** Options shared by commands that talk to a deployed (or emulated) pipeline. */
export interface OutputsOptions {
  /** A `cdk deploy --outputs-file` JSON file (the local runner writes one too). */
  readonly outputsFile?: string;
  /** @default the pipeline's name */
  readonly stack?: string;
}

/** The environment variable naming an outputs file, so a shell can set it once. */
export const OUTPUTS_FILE_ENV = 'FANOUT_OUTPUTS_FILE';

/**
 * The stack's outputs: from `--outputs-file` / FANOUT_OUTPUTS_FILE when given,
 * otherwise from CloudFormation DescribeStacks.
 * @throws CliError when neither yields outputs for the stack
 */
export async function loadStackOutputs(pipeline: ResolvedPipeline, options: OutputsOptions = {}): Promise<StackOutputs> {
  const stackName = options.stack ?? pipeline.name;
  const file = options.outputsFile ?? process.env[OUTPUTS_FILE_ENV];
  if (file) {
    if (!existsSync(file)) throw new CliError(`outputs file ${file} does not exist`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch (cause) {
      throw new CliError(`outputs file ${file} is not JSON`, 2, { cause });
    }
    const outputs = (parsed as Record<string, StackOutputs | undefined>)[stackName];
    if (!outputs) throw new CliError(`outputs file ${file} has no stack "${stackName}"`);
    return outputs;
  }
  const cloudFormation = new CloudFormationClient(withSdkTimeouts({}, SDK_TIMEOUTS.cli));
  try {
    const { Stacks } = await cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }));
    const entries = (Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey!, o.OutputValue!] as const);
    if (entries.length === 0) throw new CliError(`stack "${stackName}" has no outputs`);
    return Object.fromEntries(entries);
  } catch (cause) {
    if (cause instanceof CliError) throw cause;
    throw new CliError(
      `could not read the outputs of stack "${stackName}" (${(cause as Error).message}); deploy it with \`npx cdk deploy\`, or pass --outputs-file (the local runner writes .fanout/outputs.json)`,
      2,
      { cause },
    );
  } finally {
    cloudFormation.destroy();
  }
}

/** Reads one output; a missing key is a setup error naming it. */
export function requireOutput(outputs: StackOutputs, key: string): string {
  const value = outputs[key];
  if (!value) throw new CliError(`the stack has no output "${key}": is the deployed stack older than this CLI?`);
  return value;
}
