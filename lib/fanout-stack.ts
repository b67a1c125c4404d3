/**
 * The stack of one pipeline, and the app that holds it. The stack only wires the
 * constructs of lib/constructs together from the resolved definition; every setting
 * that matters lives in a construct.
 */
import { resolve } from 'node:path';
import { Annotations, App, ArnFormat, CfnOutput, Duration, Stack, Validations, type Environment, type StackProps } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Construct } from 'constructs';
import { CompatibilityMode } from '../contracts/compatibility-mode';
import { alarmCatalog, type AlarmSpec } from '../model/alarm-catalog';
import { ContractRegistry } from './constructs/contract-registry';
import { Consumer, type ConsumerDownstream } from './constructs/consumer';
import { DownstreamTable } from './constructs/downstream-table';
import { EventTopic } from './constructs/event-topic';
import { IdempotencyTable } from './constructs/idempotency-table';
import { PipelineMonitoring } from './constructs/monitoring';
import { SnsTracingPolicy } from './constructs/sns-tracing-policy';
import {
  PipelineDefinitionError,
  resolvePipeline,
  type PipelineDefinition,
  type ResolvedPipeline,
} from '../model/pipeline-definition';
import { PROJECT_ROOT } from '../model/project-root';
import { consumerQueueNames, MAX_QUEUE_NAME_LENGTH } from '../model/resource-names';
import { OutputKey } from '../model/stack-outputs';

/** The project root (defined in model/project-root.ts), re-exported for the stack's callers and tests. */
export { PROJECT_ROOT };

/**
 * The account and region used when none is configured, so that `cdk synth` works
 * offline with no credentials. A deploy always runs with real ones (the CDK CLI sets
 * CDK_DEFAULT_ACCOUNT and CDK_DEFAULT_REGION from the credentials).
 */
export const OFFLINE_ENV = { account: '123456789012', region: 'us-east-1' } as const;

/** The Glue registry name of a pipeline. */
export function registryName(pipelineName: string): string {
  return `${pipelineName}-contracts`;
}

/** Properties of a {@link FanoutStack}. */
export interface FanoutStackProps extends StackProps {
  /** The checked pipeline definition. */
  readonly pipeline: ResolvedPipeline;
  /** Where package-lock.json and the handler entries are. @default {@link PROJECT_ROOT} */
  readonly projectRoot?: string;
}

/**
 * One pipeline: its topics, contract registry, idempotency table, one consumer (and,
 * with the DynamoDB downstream, one downstream table) per consumer of the definition,
 * the alarms of {@link alarmCatalog} with their alarm topic and a dashboard, and a
 * stack output for every name in {@link OutputKey}.
 */
export class FanoutStack extends Stack {
  /** The definition this stack was built from. */
  readonly pipeline: ResolvedPipeline;
  /** Topics by name. */
  readonly topics: ReadonlyMap<string, EventTopic>;
  /** The contract registry. */
  readonly contracts: ContractRegistry;
  /** The shared idempotency table. */
  readonly idempotencyTable: IdempotencyTable;
  /** Downstream tables by consumer name (DynamoDB downstream only). */
  readonly downstreamTables: ReadonlyMap<string, DownstreamTable>;
  /** Consumers by name. */
  readonly consumers: ReadonlyMap<string, Consumer>;
  /** The alarm catalog the alarms were built from. */
  readonly alarmSpecs: readonly AlarmSpec[];
  /** Alarms, alarm topic and dashboard. */
  readonly monitoring: PipelineMonitoring;

  constructor(scope: Construct, id: string, props: FanoutStackProps) {
    const pipeline = props.pipeline;
    const projectRoot = props.projectRoot ?? PROJECT_ROOT;
    super(scope, id, {
      description: `Fanout pipeline ${pipeline.name}: SNS topics fanned out to one SQS queue and Lambda consumer each`,
      ...props,
    });
    checkDeployable(pipeline);
    this.pipeline = pipeline;

    const topics = new Map<string, EventTopic>();
    pipeline.topics.forEach((topic) => {
      topics.set(
        topic.name,
        new EventTopic(this, `Topic-${topic.name}`, {
          topicName: `${pipeline.name}-${topic.name}`,
          fifo: topic.fifo,
          ...(topic.archiveRetentionDays !== undefined && { archiveRetentionDays: topic.archiveRetentionDays }),
          ...(topic.publishers && {
            publishers: {
              roleArns: [
                ...topic.publishers.roleArns,
                ...topic.publishers.roleNames.map((name) => this.formatArn({ service: 'iam', region: '', resource: 'role', resourceName: name, arnFormat: ArnFormat.SLASH_RESOURCE_NAME })),
              ],
              accounts: topic.publishers.accounts,
            },
          }),
        }),
      );
      if (!topic.publishers) {
        Annotations.of(this).addWarningV2(
          'fanout:topic-without-publishers',
          `Topic ${topic.name} lists no publishers: any principal of this account whose IAM policies allow sns:Publish can publish events to it. List the producers' roles or accounts in the definition's topics[].publishers.`,
        );
      }
    });
    this.topics = topics;
    if (pipeline.createXRayResourcePolicy) {
      const tracing = new SnsTracingPolicy(this, 'SnsTracing', {
        policyName: `${pipeline.name}-sns-active-tracing`,
        topicArns: [...topics.values()].map((t) => t.topicArnFromName),
      });
      // SNS can only record traces once X-Ray lets it.
      for (const topic of topics.values()) topic.topic.node.addDependency(tracing);
    }

    this.contracts = new ContractRegistry(this, 'Contracts', {
      registryName: registryName(pipeline.name),
      contracts: pipeline.eventTypes.map((eventType) => ({
        eventType: eventType.name,
        compatibility: eventType.compatibility,
        versionDefinitions: eventType.versions.map((v) => v.definition),
      })),
    });

    this.idempotencyTable = new IdempotencyTable(this, 'Idempotency', { tableName: `${pipeline.name}-idempotency` });

    const downstreamTables = new Map<string, DownstreamTable>();
    const consumers = new Map<string, Consumer>();
    for (const consumer of pipeline.consumers) {
      let downstream: ConsumerDownstream;
      if (consumer.downstream.kind === 'dynamodb') {
        const table = new DownstreamTable(this, `Downstream-${consumer.name}`);
        downstreamTables.set(consumer.name, table);
        downstream = { kind: 'dynamodb', table, retentionDays: consumer.downstream.retentionDays };
      } else {
        downstream = { kind: 'http', url: consumer.downstream.url, timeout: Duration.millis(consumer.downstream.timeoutMs) };
      }
      consumers.set(
        consumer.name,
        new Consumer(this, `Consumer-${consumer.name}`, {
          consumerName: consumer.name,
          pipelineName: pipeline.name,
          description: consumer.description,
          topic: topics.get(consumer.topic)!,
          eventTypes: consumer.eventTypes,
          filter: consumer.filter,
          entry: resolve(projectRoot, consumer.entry),
          projectRoot,
          contracts: this.contracts,
          idempotencyTable: this.idempotencyTable,
          downstream,
          // The resolved consumer carries every setting, defaults applied and checked once.
          settings: consumer,
          ...(consumer.owner && { owner: consumer.owner }),
          reserveConcurrency: pipeline.reserveConcurrency,
        }),
      );
    }
    this.downstreamTables = downstreamTables;
    this.consumers = consumers;
    for (const topic of topics.values()) {
      topic.restrictSubscriptionsTo([...consumers.values()].filter((c) => c.topic === topic).map((c) => c.queue.queueArn));
    }

    this.alarmSpecs = alarmCatalog(pipeline);
    this.monitoring = new PipelineMonitoring(this, 'Monitoring', {
      pipelineName: pipeline.name,
      alarms: this.alarmSpecs,
      onCall: pipeline.onCall,
      topics: [...topics].map(([name, topic]) => ({ name, topic: topic.topic })),
      consumers: pipeline.consumers.map((definition) => {
        const consumer = consumers.get(definition.name)!;
        return {
          name: definition.name,
          queue: consumer.queue,
          deadLetterQueue: consumer.deadLetterQueue,
          subscriptionDeadLetterQueue: consumer.subscriptionDeadLetterQueue,
          function: consumer.function,
          latencySlaP95Seconds: definition.latencySlaP95Seconds,
          timeout: Duration.seconds(definition.timeoutSeconds),
        };
      }),
    });

    this.addOutputs();
  }

  private addOutputs(): void {
    const output = (key: string, value: string, description: string) => new CfnOutput(this, key, { value, description });
    for (const [name, topic] of this.topics) {
      output(OutputKey.topicArn(name), topic.topicArn, `ARN of topic ${name}`);
    }
    for (const [name, consumer] of this.consumers) {
      output(OutputKey.queueUrl(name), consumer.queue.queueUrl, `Queue of consumer ${name}`);
      output(OutputKey.queueArn(name), consumer.queue.queueArn, `ARN of the queue of consumer ${name}`);
      output(OutputKey.dlqUrl(name), consumer.deadLetterQueue.queueUrl, `Dead-letter queue of consumer ${name}`);
      output(OutputKey.dlqArn(name), consumer.deadLetterQueue.queueArn, `ARN of the dead-letter queue of consumer ${name}`);
      output(
        OutputKey.subscriptionDlqUrl(name),
        consumer.subscriptionDeadLetterQueue.queueUrl,
        `Dead-letter queue of the SNS subscription of consumer ${name}`,
      );
      output(OutputKey.subscriptionArn(name), consumer.subscription.ref, `SNS subscription of consumer ${name}`);
      output(OutputKey.functionName(name), consumer.function.functionName, `Function of consumer ${name}`);
      output(
        OutputKey.eventSourceMappingId(name),
        consumer.eventSourceMapping.eventSourceMappingId,
        `Event source mapping from the queue of consumer ${name} to its function`,
      );
      const table = this.downstreamTables.get(name);
      if (table) output(OutputKey.downstreamTableName(name), table.tableName, `Downstream table of consumer ${name}`);
    }
    output(OutputKey.idempotencyTableName(), this.idempotencyTable.tableName, 'Idempotency records of every consumer');
    output(OutputKey.schemaRegistryName(), this.contracts.registryName, 'Glue Schema Registry holding the event contracts');
    output(OutputKey.alarmTopicArn(), this.monitoring.alarmTopic.topicArn, 'Every alarm notifies this topic: the warn targets of onCall are subscribed to it');
    output(OutputKey.pageTopicArn(), this.monitoring.pageTopic.topicArn, 'The page alarms (events parked or lost) notify this topic: the page targets of onCall are subscribed to it');
    output(OutputKey.dashboardName(), this.monitoring.dashboard.dashboardName, 'CloudWatch dashboard of the whole pipeline');
  }
}

/**
 * What resolvePipeline cannot know because it depends on how the stack names things
 * or on Glue: checked before any construct is built, with the field named.
 */
function checkDeployable(pipeline: ResolvedPipeline): void {
  pipeline.consumers.forEach((consumer, index) => {
    for (const name of Object.values(consumerQueueNames(pipeline.name, consumer.name, consumer.fifo))) {
      if (name.length > MAX_QUEUE_NAME_LENGTH) {
        throw new PipelineDefinitionError(
          `consumers[${index}].name`,
          `queue name "${name}" (pipeline name + consumer name) is longer than SQS's ${MAX_QUEUE_NAME_LENGTH} characters`,
        );
      }
    }
  });
  pipeline.eventTypes.forEach((eventType, index) => {
    if (eventType.compatibility === CompatibilityMode.Disabled && eventType.versions.length > 1) {
      throw new PipelineDefinitionError(
        `eventTypes[${index}].compatibility`,
        `DISABLED lets Glue register no version after the first, but ${eventType.contract} has ${eventType.versions.length}`,
      );
    }
  });
}

/** Options of {@link createFanoutApp}. */
export interface FanoutAppOptions {
  /** The pipeline to build (checked here). */
  readonly definition: PipelineDefinition;
  /** @default {@link PROJECT_ROOT} */
  readonly projectRoot?: string;
  /** Where the contract folders are. @default `<projectRoot>/schemas` */
  readonly schemasDir?: string;
  /** @default {@link OFFLINE_ENV} */
  readonly env?: Environment;
  /** The cloud assembly directory. @default what the CDK CLI says (CDK_OUTDIR), else a temporary directory */
  readonly outdir?: string;
  /** Context values, e.g. `aws:cdk:bundling-stacks` to skip bundling in tests. @default none */
  readonly context?: Record<string, unknown>;
  /** Run the cdk-nag AwsSolutions checks at synth: any unacknowledged finding fails it. @default false */
  readonly nag?: boolean;
  /**
   * Run the CDK's built-in CloudFormation validation of the templates at synth (several
   * seconds of WebAssembly; findings go to validation-report.json as warnings).
   * @default true
   */
  readonly cloudFormationValidation?: boolean;
}

/** The app with its one stack. */
export interface FanoutApp {
  readonly app: App;
  readonly stack: FanoutStack;
  readonly pipeline: ResolvedPipeline;
}

/**
 * Checks the definition and builds the app with one stack named after the pipeline.
 * @throws PipelineDefinitionError naming the wrong field, before anything is built
 */
export function createFanoutApp(options: FanoutAppOptions): FanoutApp {
  const projectRoot = options.projectRoot ?? PROJECT_ROOT;
  const schemasDir = options.schemasDir ?? resolve(projectRoot, 'schemas');
  const env = options.env ?? OFFLINE_ENV;
  const pipeline = resolvePipeline(options.definition, schemasDir);
  const app = new App({
    builtinCloudFormationValidation: options.cloudFormationValidation ?? true,
    ...(options.outdir !== undefined && { outdir: options.outdir }),
    ...(options.context !== undefined && { context: options.context }),
  });
  if (options.nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  const stack = new FanoutStack(app, pipeline.name, { pipeline, projectRoot, env });
  return { app, stack, pipeline };
}
