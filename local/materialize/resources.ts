/**
 * What materializing a stack yields: each template resource as it exists locally, and
 * the Lambda functions, event source mappings and subscriptions the local runner runs
 * or evaluates itself. Shared by the per-service handlers and the entry module
 * (local/materialize.ts), which re-exports them.
 */
import { FanoutError } from '../../contracts/errors';

/** A resource could not be created on the emulator. */
export class MaterializeError extends FanoutError {
  readonly logicalId: string;
  constructor(logicalId: string, message: string, options?: { cause?: unknown }) {
    super(`${logicalId}: ${message}`, options);
    this.name = 'MaterializeError';
    this.logicalId = logicalId;
  }
}

/** What happened to one template resource. */
export type ResourceStatus =
  /** Created on the emulator by this run. */
  | 'created'
  /** Already there (an earlier run on the same emulator): reused. */
  | 'reused'
  /** Run by the local runner itself (Lambda functions, event source mappings). */
  | 'local'
  /** No effect on the emulator; not created. */
  | 'skipped';

/** One template resource, as it exists locally. */
export interface MaterializedResource {
  readonly logicalId: string;
  readonly type: string;
  /** What `Ref` returns. */
  readonly ref: string;
  /** What `Fn::GetAtt` returns, by attribute. */
  readonly attributes: Readonly<Record<string, string>>;
  readonly status: ResourceStatus;
}

/** A Lambda function of the template, resolved, for the local runner to run. */
export interface LocalFunctionSpec {
  readonly logicalId: string;
  readonly functionName: string;
  /** The bundled asset's entry file in the cloud assembly (e.g. cdk.out/asset.<hash>/index.mjs). */
  readonly assetFile: string;
  /** The export the template's Handler names (`index.handler` → `handler`). */
  readonly handlerExport: string;
  readonly handler: string;
  readonly runtime: string;
  /** Environment.Variables, every intrinsic resolved to the emulator's resources. */
  readonly environment: Readonly<Record<string, string>>;
  readonly timeoutSeconds: number;
  readonly memoryMiB: number;
  /** The log group the template gives it, if any. */
  readonly logGroupName?: string;
}

/**
 * Most batches one mapping runs at once locally. Lambda starts an SQS mapping with 5
 * pollers and scales up only under sustained load; a template without ScalingConfig
 * would otherwise mean 1000 polling loops against the emulator's Python processes.
 */
export const LOCAL_MAX_CONCURRENCY = 5;

/** An event source mapping of the template, resolved. */
export interface LocalEventSourceMappingSpec {
  readonly logicalId: string;
  readonly uuid: string;
  readonly functionLogicalId: string;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly batchSize: number;
  readonly maximumBatchingWindowSeconds: number;
  /** ScalingConfig.MaximumConcurrency (Lambda's default without one: 1000). */
  readonly maximumConcurrency: number;
  /**
   * Batches in flight at once locally: maximumConcurrency, at most
   * {@link LOCAL_MAX_CONCURRENCY}. Each is a polling loop and an execution environment
   * on this machine, and Lambda itself starts a mapping with 5 pollers.
   */
  readonly localConcurrency: number;
  readonly reportBatchItemFailures: boolean;
  readonly enabled: boolean;
  readonly fifo: boolean;
}

/** A subscription as created (for evaluating its filter policy locally). */
export interface LocalSubscriptionSpec {
  readonly logicalId: string;
  readonly subscriptionArn: string;
  readonly topicArn: string;
  readonly protocol: string;
  readonly endpoint: string;
  readonly rawMessageDelivery: boolean;
  readonly filterPolicy?: Record<string, unknown>;
  readonly filterPolicyScope: 'MessageAttributes' | 'MessageBody';
}
