/**
 * `fanout route <event.json>`: which consumers would receive an event, and why not the
 * others, from the pipeline definition's topics and filter policies (ops/routing.ts).
 * Needs no AWS account and no deployed stack: a producer asks it before publishing.
 *
 * The event file is the message body as published: a CloudEvents envelope in structured
 * mode. The message attributes are, unless told otherwise, the ones the wire contract
 * requires (`type`, and `correlationid`, `schemaversion`), as Fanout's publisher sets
 * them; `--attributes` gives a producer's own, `--no-attributes` routes a publish without
 * any (which attribute-filtered subscriptions drop).
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { PublishedAttribute } from '../model/filter-policy';
import { ExitCode, processIo, runCommand, type CommandIo } from '../ops/command-output';
import { routeEvent, wireContractAttributes, type EventRoute } from '../ops/routing';
import type { ResolvedPipeline } from '../model/pipeline-definition';
import { CliError, loadPipeline } from './context';

/** Options of `fanout route`. */
export interface RouteOptions {
  /**
   * The message attributes as JSON: SNS's shape (`{"type": {"DataType": "String",
   * "StringValue": "user.signed-up"}}`, as the AWS CLI takes them) or `{"type": "user.signed-up"}`;
   * `false` for none. @default the wire contract's, derived from the body
   */
  readonly attributes?: string | false;
  /** The topic (its name in the definition) it is published to. @default the topic of its type */
  readonly topic?: string;
  readonly json?: boolean;
}

/** Reads `source` (a file, or `-` for stdin). */
function readEvent(source: string): string {
  try {
    return readFileSync(source === '-' ? 0 : source, 'utf8');
  } catch (cause) {
    throw new CliError(`cannot read the event ${source}: ${(cause as Error).message}`, 2, { cause });
  }
}

/** Parses `--attributes`. */
export function parseAttributes(text: string): Record<string, PublishedAttribute> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new CliError(`--attributes is not JSON: ${(cause as Error).message}`, 2, { cause });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new CliError('--attributes must be a JSON object of attribute names');
  const attributes: Record<string, PublishedAttribute> = {};
  for (const [name, attribute] of Object.entries(value)) {
    if (typeof attribute === 'string') attributes[name] = { DataType: 'String', StringValue: attribute };
    else if (typeof attribute === 'object' && attribute !== null && typeof (attribute as PublishedAttribute).DataType === 'string') {
      attributes[name] = attribute as PublishedAttribute;
    } else throw new CliError(`--attributes: "${name}" must be a string or {"DataType": ..., "StringValue": ...}`);
  }
  return attributes;
}

/** The route as text: one line per consumer, then the warnings. */
export function renderRoute(route: EventRoute, attributes: Readonly<Record<string, PublishedAttribute>>): string {
  const names = Object.keys(attributes);
  const lines = [
    `event       ${route.eventType ?? '(no type)'} to topic ${route.topic ?? '(none)'}`,
    `attributes  ${names.length === 0 ? 'none' : names.map((n) => `${n}=${attributes[n]!.StringValue ?? ''}`).join(', ')}`,
    '',
  ];
  const width = Math.max(...route.consumers.map((c) => c.consumer.length));
  for (const c of route.consumers) lines.push(`${c.consumer.padEnd(width)}  ${c.receives ? 'receives    ' : 'does not    '}${c.reasons.join('; ')}`);
  for (const warning of route.warnings) lines.push(`warning: ${warning}`);
  return lines.join('\n');
}

/** Runs `fanout route`; exit 1 when no consumer receives the event. */
export async function routeCommand(event: string, options: RouteOptions, deps: { readonly io: CommandIo; readonly pipeline?: ResolvedPipeline }): Promise<number> {
  const json = options.json ?? false;
  return runCommand(deps.io, json, async () => {
    const pipeline = deps.pipeline ?? loadPipeline();
    if (options.topic !== undefined && !pipeline.topics.some((t) => t.name === options.topic)) {
      throw new CliError(`--topic: ${pipeline.name} has no topic "${options.topic}" (it has ${pipeline.topics.map((t) => t.name).join(', ')})`);
    }
    const body = readEvent(event);
    const attributes = options.attributes === false ? {} : options.attributes !== undefined ? parseAttributes(options.attributes) : wireContractAttributes(body);
    const route = routeEvent(pipeline, { body, attributes }, options.topic);
    if (json) deps.io.out(JSON.stringify({ ...route, attributes }, null, 2));
    else deps.io.out(renderRoute(route, attributes));
    return route.consumers.some((c) => c.receives) ? ExitCode.Ok : ExitCode.Problem;
  });
}

/** Registers `fanout route`. */
export function register(program: Command): void {
  program
    .command('route')
    .description(
      'Say which consumers would receive an event and why not the others, from the pipeline definition (no AWS call). ' +
        'Exit code 1 when it reaches none.',
    )
    .argument('<event>', 'the message body as published (a CloudEvents envelope, JSON): a file, or - for stdin')
    .option('--attributes <json>', 'its message attributes: {"type": "user.signed-up"} or SNS\'s {"type": {"DataType": "String", "StringValue": ...}} (default: what the wire contract requires, derived from the body)')
    .option('--no-attributes', 'route it as published without message attributes')
    .option('--topic <name>', 'the topic it is published to (default: the topic of its type)')
    .option('--json', 'print the route as JSON', false)
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  npx fanout route event.json',
        '  npx fanout route event.json --no-attributes        what a producer that forgets the attributes gets',
        '  aws sns publish ... --message file://event.json    after checking it here',
      ].join('\n'),
    )
    .action(async (event: string, raw: { attributes: string | boolean; topic?: string; json: boolean }) => {
      // commander gives `true` for the default of a --no- option, false for --no-attributes.
      const attributes = raw.attributes === true ? undefined : raw.attributes;
      process.exitCode = await routeCommand(event, { ...(attributes !== undefined && { attributes }), ...(raw.topic && { topic: raw.topic }), json: raw.json }, { io: processIo });
    });
}
