/**
 * Creates on the emulator what a synthesized stack template declares, so the local
 * pipeline is the deployed one: SNS topics, SQS queues with their redrive
 * (and redrive-allow) policies, subscriptions with raw delivery, filter policy and
 * scope and their own redrive policy, DynamoDB tables with TTL and PITR, the Glue
 * registry with its schemas and versions in order, and CloudWatch alarms and dashboards.
 *
 * KMS keys get a stable local id (the emulator records key ids but encrypts nothing).
 * Lambda functions and event source mappings are not created on the emulator (it cannot
 * run Lambda without Docker): they are returned, resolved, for the local runner to run.
 * IAM, resource policies, log groups and X-Ray settings have no effect on the emulator
 * and are skipped; their Ref/GetAtt resolve to placeholders so what names them still resolves.
 *
 * Resources are created one at a time in dependency order (Ref, Fn::GetAtt, Fn::Sub,
 * DependsOn), each Properties resolved by {@link IntrinsicResolver} against what was
 * already created. Running it again against the same emulator reuses what exists.
 *
 * This module is the loop; each service's resources are created by its own handler in
 * local/materialize/ (sns.ts, sqs.ts, dynamodb.ts, glue.ts, cloudwatch.ts, kms.ts,
 * lambda.ts), chosen by resource type in local/materialize/registry.ts.
 */
import { FanoutError } from '../contracts/errors';
import { IntrinsicResolver, pseudoParameters, TemplateResolutionError, type CfnTemplate } from './intrinsics';
import type { EmulatorClients } from './materialize/clients';
import { creationOrder } from './materialize/creation-order';
import { generatedName, type Props, type ResourceContext } from './materialize/handler';
import { handlerFor, SKIPPED_TYPES } from './materialize/registry';
import {
  MaterializeError,
  type LocalEventSourceMappingSpec,
  type LocalFunctionSpec,
  type LocalSubscriptionSpec,
  type MaterializedResource,
} from './materialize/resources';

// The materializer's public surface stays here, where the local runner and the tests import it from.
export { createEmulatorClients, destroyClients, emulatorClientSettings, type EmulatorClients } from './materialize/clients';
export { creationOrder } from './materialize/creation-order';
export {
  LOCAL_MAX_CONCURRENCY,
  MaterializeError,
  type LocalEventSourceMappingSpec,
  type LocalFunctionSpec,
  type LocalSubscriptionSpec,
  type MaterializedResource,
  type ResourceStatus,
} from './materialize/resources';

/** The stack, as it now exists on the emulator. */
export interface MaterializedStack {
  readonly stackName: string;
  readonly region: string;
  readonly accountId: string;
  readonly resources: ReadonlyMap<string, MaterializedResource>;
  /** The template's Outputs, resolved to the emulator's resources. */
  readonly outputs: Readonly<Record<string, string>>;
  readonly functions: readonly LocalFunctionSpec[];
  readonly eventSourceMappings: readonly LocalEventSourceMappingSpec[];
  readonly subscriptions: readonly LocalSubscriptionSpec[];
  /** Settings the emulator refused or ignores (e.g. a topic attribute it does not know), one line each. */
  readonly notes: readonly string[];
}

/** Options of {@link materializeStack}. */
export interface MaterializeOptions {
  readonly stackName: string;
  readonly template: CfnTemplate;
  /** The cloud assembly directory (assets are found there). */
  readonly assemblyDir: string;
  readonly region: string;
  readonly accountId: string;
  readonly clients: EmulatorClients;
  /** Progress, one line per resource. @default silent */
  readonly log?: (line: string) => void;
}

/**
 * Creates the template's resources on the emulator and resolves its outputs.
 * @throws MaterializeError naming the resource that could not be created
 * @throws TemplateResolutionError naming the template path that could not be resolved
 */
export async function materializeStack(options: MaterializeOptions): Promise<MaterializedStack> {
  const { template, stackName, region, accountId, clients, assemblyDir } = options;
  const log = options.log ?? (() => {});
  const resources = new Map<string, MaterializedResource>();
  const notes: string[] = [];
  const functions: LocalFunctionSpec[] = [];
  const mappings: LocalEventSourceMappingSpec[] = [];
  const subscriptions: LocalSubscriptionSpec[] = [];
  const partition = pseudoParameters(stackName, region, accountId)['AWS::Partition'] as string;

  const placeholder = (logicalId: string): MaterializedResource => {
    const type = template.Resources![logicalId]!.Type;
    const [, service = 'unknown', kind = 'resource'] = type.split('::');
    const name = generatedName(stackName, logicalId, 64);
    const arn = `arn:${partition}:${service.toLowerCase()}:${service === 'IAM' ? '' : region}:${accountId}:${kind.toLowerCase()}/${name}`;
    return { logicalId, type, ref: name, attributes: { Arn: arn }, status: 'skipped' };
  };
  const lookup = (logicalId: string, path: string): MaterializedResource => {
    const found = resources.get(logicalId);
    if (found) return found;
    const resource = template.Resources?.[logicalId];
    if (resource && SKIPPED_TYPES.has(resource.Type)) return placeholder(logicalId);
    throw new TemplateResolutionError(path, `${logicalId} is not created yet (or its type ${resource?.Type ?? 'unknown'} is not supported locally)`);
  };
  const resolver = new IntrinsicResolver(template, {
    parameters: pseudoParameters(stackName, region, accountId),
    ref: (logicalId, path) => lookup(logicalId, path).ref,
    getAtt: (logicalId, attribute, path) => {
      const value = lookup(logicalId, path).attributes[attribute];
      if (value === undefined) throw new TemplateResolutionError(path, `${logicalId} (${template.Resources![logicalId]!.Type}) has no attribute ${attribute} locally`);
      return value;
    },
  });

  const add = (resource: MaterializedResource) => {
    resources.set(resource.logicalId, resource);
    if (resource.status === 'created' || resource.status === 'reused') log(`${resource.status === 'created' ? 'created' : 'reused '} ${resource.type} ${resource.ref}`);
  };

  for (const logicalId of creationOrder(template)) {
    const resource = template.Resources![logicalId]!;
    if (resource.Condition && !resolver.condition(resource.Condition, `Resources.${logicalId}.Condition`)) continue;
    if (SKIPPED_TYPES.has(resource.Type)) {
      add(placeholder(logicalId));
      continue;
    }
    const props = (resolver.resolve(resource.Properties ?? {}, `Resources.${logicalId}.Properties`) ?? {}) as Props;
    const handler = handlerFor(resource.Type);
    if (!handler) {
      notes.push(`${logicalId}: ${resource.Type} is not emulated locally; skipped`);
      add(placeholder(logicalId));
      continue;
    }
    const context: ResourceContext = { logicalId, resource, props, stackName, region, accountId, partition, clients, assemblyDir, created: resources };
    let made;
    try {
      made = await handler(context);
    } catch (error) {
      if (error instanceof FanoutError) throw error;
      throw new MaterializeError(logicalId, `could not create ${resource.Type}: ${(error as Error).message}`, { cause: error });
    }
    add(made.resource);
    notes.push(...(made.notes ?? []));
    if (made.subscription) subscriptions.push(made.subscription);
    if (made.function) functions.push(made.function);
    if (made.eventSourceMapping) mappings.push(made.eventSourceMapping);
  }

  const outputs: Record<string, string> = {};
  for (const [key, output] of Object.entries(template.Outputs ?? {})) {
    if (output.Condition && !resolver.condition(output.Condition, `Outputs.${key}.Condition`)) continue;
    outputs[key] = String(resolver.resolve(output.Value, `Outputs.${key}.Value`));
  }
  return { stackName, region, accountId, resources, outputs, functions, eventSourceMappings: mappings, subscriptions, notes };
}
