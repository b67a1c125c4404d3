/**
 * Lambda functions and event source mappings: not created on the emulator (it cannot run
 * Lambda without Docker) but resolved, for the local runner to run and poll.
 */
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { bool, generatedName, stableUuid, str, type Materialized, type Props, type ResourceContext } from './handler';
import { LOCAL_MAX_CONCURRENCY, MaterializeError } from './resources';

// What a function without a Runtime runs as locally: the runtime the stack's consumers use.
const DEFAULT_RUNTIME = 'nodejs24.x';

/**
 * Resolves a function: its bundled asset in the cloud assembly, handler export,
 * environment, timeout and memory.
 * @throws MaterializeError when the asset or its handler file cannot be found
 */
export function localFunction({ logicalId, resource, props, stackName, region, accountId, partition, assemblyDir }: ResourceContext): Materialized {
  const assetPath = resource.Metadata?.['aws:asset:path'];
  if (typeof assetPath !== 'string') {
    throw new MaterializeError(
      logicalId,
      'the function has no aws:asset:path metadata: synthesize with asset metadata on (the CDK CLI does; the local runner does)',
    );
  }
  const handler = str(props.Handler) ?? 'index.handler';
  const dot = handler.lastIndexOf('.');
  const [file, exportName] = [handler.slice(0, dot), handler.slice(dot + 1)];
  const assetDir = join(assemblyDir, assetPath);
  const assetFile = ['.mjs', '.js', '.cjs'].map((ext) => join(assetDir, `${file}${ext}`)).find((candidate) => existsSync(candidate));
  if (!assetFile) throw new MaterializeError(logicalId, `handler file ${file}.mjs/.js not found in ${assetDir}`);
  const variables = ((props.Environment as { Variables?: Props } | undefined)?.Variables ?? {}) as Props;
  const environment = Object.fromEntries(Object.entries(variables).map(([key, value]) => [key, String(value)]));
  const loggingConfig = props.LoggingConfig as { LogGroup?: string } | undefined;
  const functionName = str(props.FunctionName) ?? generatedName(stackName, logicalId, 64);
  return {
    resource: {
      logicalId,
      type: resource.Type,
      ref: functionName,
      attributes: { Arn: `arn:${partition}:lambda:${region}:${accountId}:function:${functionName}` },
      status: 'local',
    },
    function: {
      logicalId,
      functionName,
      assetFile,
      handlerExport: exportName,
      handler,
      runtime: str(props.Runtime) ?? DEFAULT_RUNTIME,
      environment,
      timeoutSeconds: Number(props.Timeout ?? 3),
      memoryMiB: Number(props.MemorySize ?? 128),
      ...(loggingConfig?.LogGroup && { logGroupName: loggingConfig.LogGroup }),
    },
  };
}

/**
 * Resolves an SQS event source mapping with Lambda's defaults (batch size 10, no
 * batching window, concurrency 1000, capped locally at {@link LOCAL_MAX_CONCURRENCY}).
 * @throws MaterializeError when its source is not a queue of this stack, its function not a function of this stack, or it filters events
 */
export async function localMapping({ logicalId, resource, props, stackName, clients, created }: ResourceContext): Promise<Materialized> {
  const queueArn = str(props.EventSourceArn)!;
  const queue = [...created.values()].find((r) => r.type === 'AWS::SQS::Queue' && r.attributes.Arn === queueArn);
  if (!queue) throw new MaterializeError(logicalId, `event source ${queueArn} is not a queue of this stack (only SQS event sources run locally)`);
  const functionRef = resource.Properties?.FunctionName as { Ref?: string } | undefined;
  const functionLogicalId = functionRef?.Ref;
  if (!functionLogicalId || created.get(functionLogicalId)?.type !== 'AWS::Lambda::Function') {
    throw new MaterializeError(logicalId, 'FunctionName must be a Ref to a function of this stack');
  }
  const { Attributes } = await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: queue.ref, AttributeNames: ['FifoQueue'] }));
  // Filtering would change which messages the function sees; our stack never sets it,
  // so one that does is refused rather than run as if it had none.
  if (props.FilterCriteria !== undefined) {
    throw new MaterializeError(logicalId, 'FilterCriteria (event filtering) is not emulated locally: remove it, or filter in the SNS subscription instead');
  }
  const scaling = props.ScalingConfig as { MaximumConcurrency?: number } | undefined;
  const maximumConcurrency = Number(scaling?.MaximumConcurrency ?? 1000);
  // Lambda gives each mapping a UUID; a stable one keeps outputs the same across runs.
  const uuid = stableUuid(`${stackName}/${logicalId}`);
  return {
    resource: { logicalId, type: resource.Type, ref: uuid, attributes: { Id: uuid }, status: 'local' },
    eventSourceMapping: {
      logicalId,
      uuid,
      functionLogicalId,
      queueUrl: queue.ref,
      queueArn,
      batchSize: Number(props.BatchSize ?? 10),
      maximumBatchingWindowSeconds: Number(props.MaximumBatchingWindowInSeconds ?? 0),
      maximumConcurrency,
      localConcurrency: Math.min(maximumConcurrency, LOCAL_MAX_CONCURRENCY),
      reportBatchItemFailures: ((props.FunctionResponseTypes as string[] | undefined) ?? []).includes('ReportBatchItemFailures'),
      enabled: props.Enabled === undefined ? true : bool(props.Enabled),
      fifo: Attributes?.FifoQueue === 'true',
    },
  };
}
