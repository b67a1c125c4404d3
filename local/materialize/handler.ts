/**
 * The contract between the materializer's loop (local/materialize.ts) and its handlers,
 * one module per service: a handler gets one resource with its properties resolved and
 * returns what it made, never touching the loop's state, so each can be read and
 * tested alone. Also the small helpers the handlers share.
 */
import { createHash } from 'node:crypto';
import type { CfnResource } from '../intrinsics';
import type { EmulatorClients } from './clients';
import type { LocalEventSourceMappingSpec, LocalFunctionSpec, LocalSubscriptionSpec, MaterializedResource } from './resources';

/** A template resource's Properties, every intrinsic resolved. */
export type Props = Record<string, unknown>;

/** What a handler is given: one resource, and the stack it belongs to. */
export interface ResourceContext {
  readonly logicalId: string;
  /** The template's declaration as written (Metadata, unresolved Properties). */
  readonly resource: CfnResource;
  /** Its Properties, resolved against what was created before it. */
  readonly props: Props;
  readonly stackName: string;
  readonly region: string;
  readonly accountId: string;
  readonly partition: string;
  readonly clients: EmulatorClients;
  /** The cloud assembly directory (assets are found there). */
  readonly assemblyDir: string;
  /** The resources created before this one, by logical id. */
  readonly created: ReadonlyMap<string, MaterializedResource>;
}

/** What a handler made of one resource. */
export interface Materialized {
  readonly resource: MaterializedResource;
  /** Settings the emulator refused or ignores, one line each. */
  readonly notes?: readonly string[];
  /** An SNS subscription, for evaluating its filter policy locally. */
  readonly subscription?: LocalSubscriptionSpec;
  /** A Lambda function, for the local runner to run. */
  readonly function?: LocalFunctionSpec;
  /** An event source mapping, for the local runner to poll. */
  readonly eventSourceMapping?: LocalEventSourceMappingSpec;
}

/**
 * Creates one resource type on the emulator (or resolves it for the local runner).
 * Any error it throws that is not a FanoutError is reported as a MaterializeError naming the resource.
 */
export type ResourceHandler = (context: ResourceContext) => Materialized | Promise<Materialized>;

/** The SDK error's name (its code), or '' when it has none. */
export function errorName(error: unknown): string {
  return (error as { name?: string } | undefined)?.name ?? '';
}

/** A template value as the string an API takes: objects become JSON text, absent stays absent. */
export const str = (value: unknown): string | undefined => (value === undefined || value === null ? undefined : typeof value === 'string' ? value : JSON.stringify(value));

/** A template boolean, which may come as `true` or `"true"`. */
export const bool = (value: unknown): boolean => value === true || value === 'true';

/** A UUID-shaped id derived from a name: the same on every run. */
export function stableUuid(name: string): string {
  return createHash('sha256').update(name).digest('hex').replace(/^(.{8})(.{4})(.{3})(.{3})(.{12}).*$/, '$1-$2-4$3-8$4-$5');
}

/** A CloudFormation-style generated name, deterministic so a second run finds the first's resources. */
export function generatedName(stackName: string, logicalId: string, maxLength: number, suffix = ''): string {
  const base = `${stackName}-${logicalId}`;
  if (base.length + suffix.length <= maxLength) return `${base}${suffix}`;
  const digest = createHash('sha256').update(base).digest('hex').slice(0, 8);
  return `${base.slice(0, maxLength - suffix.length - 9)}-${digest}${suffix}`;
}
