/**
 * `fanout publish <type> --data <file|->`: validates one event against its contract and
 * publishes it through the publisher client, for people and scripts. Prints the event
 * id on stdout (the rest goes to stderr), so `id=$(fanout publish ...)` works.
 *
 * Topic ARNs come from the stack outputs; contracts from the Glue registry the stack
 * names (or schemas/ with --contracts-from-files, e.g. before anything is registered).
 * The data is written as the contract version this build's generated types describe
 * (LATEST_VERSIONS), unless --contract-version says otherwise.
 *
 * The event id is the consumers' idempotency key. `--id` sets it, `--key` derives it from
 * a business key (deterministicEventId), so running the same command again after a
 * failure, a timeout or a crash is a retry of one event, not a second event. When the
 * event was not published the id is still printed (stdout, or `eventId` with --json),
 * with the command to retry it.
 */
import { readFileSync } from 'node:fs';
import { GlueClient } from '@aws-sdk/client-glue';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { Command } from 'commander';
import { FileContractResolver, type ContractResolver } from '../contracts/contract-resolver';
import { ContractViolationError, isPermanent, UnknownContractError } from '../contracts/errors';
import { GlueContractResolver } from '../contracts/glue-registry';
import type { ResolvedPipeline } from '../model/pipeline-definition';
import { OutputKey } from '../model/stack-outputs';
import { SDK_TIMEOUTS, withSdkTimeouts } from '../contracts/sdk-client-config';
import { isPublishError, PublisherConfigError } from '../client/errors';
import { deterministicEventId } from '../client/event-id';
import { createPublisherSnsClient, publisherForPipeline, type PublishedEvent } from '../client/publisher';
import { createEnvelope } from '../contracts/envelope';
import { ExitCode, processIo, runCommand, type CommandIo } from '../ops/command-output';
import { routeEvent, wireContractAttributes } from '../ops/routing';
import { CliError, SCHEMAS_DIR, loadPipeline, loadStackOutputs, requireOutput, type OutputsOptions } from './context';

/** The `source` of events published from the CLI, unless --source says otherwise. */
export const CLI_SOURCE = 'urn:fanout:cli';

/** Options of `fanout publish`. */
export interface PublishCommandOptions extends OutputsOptions {
  /** A JSON file with the event's data, or `-` for stdin. */
  readonly data: string;
  /** @default the data's `id` or first `...Id` string field */
  readonly subject?: string;
  readonly correlationId?: string;
  /** The event id. @default derived from `key`, else a new UUID */
  readonly id?: string;
  /** A business key naming this one event: the id is then {@link deterministicEventId}(type, key). Not with `id`. */
  readonly key?: string;
  /** @default {@link CLI_SOURCE} */
  readonly source?: string;
  /** Validate against schemas/ instead of the Glue registry. */
  readonly contractsFromFiles?: boolean;
  /** The contract version to write the data as. @default the version of the generated types (LATEST_VERSIONS) */
  readonly contractVersion?: number;
  readonly json?: boolean;
}

/** What the command needs from outside; tests pass emulator clients and their own io. */
export interface PublishCommandDeps {
  /** Without SDK retries ({@link createPublisherSnsClient}): the publisher retries. */
  readonly sns: SNSClient;
  readonly glue: GlueClient;
  readonly io: CommandIo;
  readonly pipeline?: ResolvedPipeline;
  /** @default reads process.stdin to the end */
  readonly readStdin?: () => Promise<string>;
}

async function readProcessStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function readData(source: string, deps: PublishCommandDeps): Promise<unknown> {
  let text: string;
  try {
    text = source === '-' ? await (deps.readStdin ?? readProcessStdin)() : readFileSync(source, 'utf8');
  } catch (cause) {
    throw new CliError(`cannot read --data ${source}: ${(cause as Error).message}`, ExitCode.Usage, { cause });
  }
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new CliError(`--data ${source === '-' ? '(stdin)' : source} is not JSON: ${(cause as Error).message}`, ExitCode.Usage, { cause });
  }
}

// Entities are named by an id field in every contract (userId, accountId): a sensible
// default subject for a person typing a command, and --subject overrides it.
function defaultSubject(data: unknown): string | undefined {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
  const entry = Object.entries(data).find(([key, value]) => (key === 'id' || key.endsWith('Id')) && typeof value === 'string' && value !== '');
  return entry?.[1] as string | undefined;
}

/**
 * Runs `fanout publish`.
 * @returns 0 when published, 1 when the contract rejected it or SNS did not take it, 2 on bad input or set-up
 */
export async function publishCommand(eventType: string, options: PublishCommandOptions, deps: PublishCommandDeps): Promise<number> {
  const json = options.json ?? false;
  return runCommand(deps.io, json, async () => {
    const pipeline = deps.pipeline ?? loadPipeline();
    const definition = pipeline.eventTypes.find((e) => e.name === eventType);
    if (!definition) {
      throw new CliError(`unknown event type "${eventType}"; the pipeline has: ${pipeline.eventTypes.map((e) => e.name).join(', ')}`);
    }
    if (!options.data) throw new CliError('--data <file|-> is required');
    const version = options.contractVersion;
    if (version !== undefined && !(Number.isInteger(version) && version >= 1)) {
      throw new CliError(`--contract-version must be a version number (1, 2, ...), got ${version}`);
    }
    if (options.id !== undefined && options.key !== undefined) throw new CliError('--id and --key both name the event id: pass one of them');
    if (options.id === '') throw new CliError('--id must not be empty');
    if (options.key === '') throw new CliError('--key must not be empty');
    // Fixed before anything can fail, so every outcome can name the id to retry with.
    const id = options.id ?? (options.key !== undefined ? deterministicEventId(eventType, options.key) : undefined);
    const data = await readData(options.data, deps);
    const subject = options.subject ?? defaultSubject(data);
    if (!subject) throw new CliError('--subject is required: the data has no `id` or `...Id` field to take it from');

    const outputs = await loadStackOutputs(pipeline, options);
    const contracts: ContractResolver = options.contractsFromFiles
      ? new FileContractResolver(SCHEMAS_DIR, Object.fromEntries(pipeline.eventTypes.map((e) => [e.name, e.contract])))
      : new GlueContractResolver({ glue: deps.glue, registryName: requireOutput(outputs, OutputKey.schemaRegistryName()) });
    let publisher;
    try {
      publisher = publisherForPipeline(pipeline, outputs, {
        sns: deps.sns,
        contracts,
        source: options.source ?? CLI_SOURCE,
        ...(version !== undefined && { versions: { [eventType]: version } }),
      });
    } catch (cause) {
      if (cause instanceof PublisherConfigError) throw new CliError(cause.message, ExitCode.Usage, { cause });
      throw cause;
    }

    let published: PublishedEvent;
    try {
      published = await publisher.publish(eventType as never, data as never, {
        subject,
        ...(options.correlationId !== undefined && { correlationId: options.correlationId }),
        ...(id !== undefined && { id }),
      });
    } catch (error) {
      if (error instanceof ContractViolationError) {
        const eventId = isPublishError(error) ? error.eventId : undefined;
        if (json) deps.io.out(JSON.stringify({ error: error.message, name: error.name, eventId, violations: error.violations }, null, 2));
        else {
          deps.io.err(`fanout: rejected, nothing was sent: ${eventType} data breaks its contract:`);
          for (const v of error.violations) deps.io.err(`  ${v.path || '/'}: ${v.message} (${v.rule})`);
        }
        return ExitCode.Problem;
      }
      if (!isPublishError(error)) throw error;
      const unknownContract = error.cause instanceof UnknownContractError;
      const hint = unknownContract && !options.contractsFromFiles ? '; register the contracts first (fanout contracts register) or pass --contracts-from-files' : '';
      // Not narrowed on `error`: PermanentError and PublishError's base look alike to the compiler.
      const permanent = isPermanent(error as unknown);
      // After a timeout SNS may have taken the event: only a retry under the same id is safe.
      const retry = permanent ? '' : `; to retry it as the same event: fanout publish ${eventType} --id ${error.eventId} ...`;
      if (json) {
        deps.io.out(JSON.stringify({ error: `${error.message}${hint}`, name: error.name, eventId: error.eventId, correlationId: error.correlationId, permanent }, null, 2));
      } else {
        deps.io.out(error.eventId);
        deps.io.err(`fanout: not published: ${error.message}${hint}${retry}`);
      }
      return ExitCode.Problem;
    }
    // SNS takes an event no subscription wants without a word: say so here instead. The
    // event is published by now, so nothing here may turn that into a reported failure.
    const body = JSON.stringify(
      createEnvelope({ type: eventType, version: published.version, data, subject, source: options.source ?? CLI_SOURCE, id: published.id, correlationId: published.correlationId }),
    );
    let warnings: readonly string[];
    try {
      warnings = routeEvent(pipeline, { body, attributes: wireContractAttributes(body) }).warnings;
    } catch (error) {
      warnings = [`could not check where it goes: ${(error as Error).message}`];
    }
    if (json) deps.io.out(JSON.stringify({ ...published, ...(warnings.length > 0 && { warnings }) }, null, 2));
    else {
      deps.io.out(published.id);
      deps.io.err(`published ${published.type} v${published.version} to ${published.topicArn} (SNS message id ${published.messageId})`);
      for (const warning of warnings) deps.io.err(`warning: ${warning} (see \`fanout route\`)`);
    }
    return ExitCode.Ok;
  });
}

/** Registers `fanout publish`. `makeDeps` is for tests. */
export function register(program: Command, makeDeps: () => PublishCommandDeps = defaultPublishDeps): void {
  program
    .command('publish')
    .description('Validate one event against its contract and publish it (CloudEvents envelope, message attributes, FIFO group = subject). Prints the event id.')
    .argument('<type>', 'event type, e.g. user.signed-up')
    .requiredOption('--data <file|->', "the event's data: a JSON file, or - for stdin")
    .option('--subject <subject>', 'the entity the event is about (the FIFO message group); default: the data\'s "id" or first "...Id" field')
    .option('--correlation-id <id>', 'correlation id carried downstream (default: the event id)')
    .option('--id <id>', 'event id, the idempotency key (default: a new UUID); reuse it to retry a publish safely')
    .option('--key <business-key>', 'derive the event id from a business key naming this one event (UUID v5 of type and key): the same command is then always the same event')
    .option('--source <uri>', `the producer (default: ${CLI_SOURCE})`)
    .option('--contracts-from-files', 'validate against schemas/ instead of the Glue registry')
    .option('--contract-version <n>', "contract version to write the data as (default: the one this build's generated types describe)", (v) => Number(v))
    .option('--outputs-file <file>', 'stack outputs JSON (cdk deploy --outputs-file; the local runner writes .fanout/outputs.json); else FANOUT_OUTPUTS_FILE, else CloudFormation')
    .option('--stack <name>', 'stack name (default: the pipeline name)')
    .option('--json', 'machine-readable output')
    .addHelpText(
      'after',
      '\nPrints the event id on stdout, also when the event was not published: publish again with --id <that id> (or the same --key) so consumers see one event, not two.\nExit codes: 0 published, 1 rejected by the contract or not taken by SNS, 2 bad input or set-up.\nHonours AWS_PROFILE, AWS_REGION and AWS_ENDPOINT_URL.',
    )
    .action(async (eventType: string, options: PublishCommandOptions) => {
      const deps = makeDeps();
      try {
        process.exitCode = await publishCommand(eventType, options, deps);
      } finally {
        deps.sns.destroy();
        deps.glue.destroy();
      }
    });
}

/**
 * The clients `fanout publish` uses outside tests. The SNS client makes one attempt per
 * request: the publisher retries (5 attempts with full jitter), and the SDK's default 3
 * under each would make it up to 15 requests a batch, with two backoffs stacked. Both
 * clients have request timeouts (contracts/sdk-client-config.ts), so a stalled broker or
 * registry ends in a reported failure within seconds, not when the stall ends.
 */
export function defaultPublishDeps(): PublishCommandDeps {
  return { sns: createPublisherSnsClient(), glue: new GlueClient(withSdkTimeouts({}, SDK_TIMEOUTS.cli)), io: processIo };
}
