/**
 * A pipeline's alarms, the one SNS topic they notify, and its dashboard.
 */
import { Annotations, ArnFormat, Duration, Stack, type RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { LATENCY_METRIC, metricsNamespace as pipelineMetricsNamespace } from '../../contracts/consumer-defaults';
import { MetricSource, type AlarmSpec } from '../../model/alarm-catalog';
import type { AlarmTarget } from '../../model/pipeline-definition';
import { InfrastructureError } from './infrastructure-error';

/** CloudWatch's limit of actions per alarm state. */
export const MAX_ALARM_ACTIONS = 5;

/** A consumer's resources, as monitoring sees them. */
export interface MonitoredConsumer {
  readonly name: string;
  readonly queue: sqs.IQueue;
  readonly deadLetterQueue: sqs.IQueue;
  readonly subscriptionDeadLetterQueue: sqs.IQueue;
  readonly function: lambda.IFunction;
  /** Drawn on the age graph. */
  readonly latencySlaP95Seconds: number;
  /** Drawn on the duration graph. */
  readonly timeout: Duration;
}

/** A topic, as monitoring sees it. */
export interface MonitoredTopic {
  readonly name: string;
  readonly topic: sns.ITopic;
}

/** Properties of a {@link PipelineMonitoring}. */
export interface PipelineMonitoringProps {
  /** The pipeline's name: names the alarm topic and the dashboard. */
  readonly pipelineName: string;
  /** The alarms to create, from {@link alarmCatalog}. */
  readonly alarms: readonly AlarmSpec[];
  /**
   * Who the alarms reach: `page` targets the page alarms, `warn` targets every alarm.
   * @default nobody (the alarm topic only), with a synth warning
   */
  readonly onCall?: { readonly page: readonly AlarmTarget[]; readonly warn: readonly AlarmTarget[] };
  readonly consumers: readonly MonitoredConsumer[];
  readonly topics: readonly MonitoredTopic[];
  /** @default the pipeline's name */
  readonly dashboardName?: string;
  /** What happens to the alarm topic's key when the stack is deleted. @default RemovalPolicy.RETAIN (the CDK default for keys) */
  readonly keyRemovalPolicy?: RemovalPolicy;
  /** The namespace the consumers' kit writes its EMF metrics to. @default `Fanout/<pipelineName>` */
  readonly metricsNamespace?: string;
}

/** The kit's latency metric (the dashboard finds the kit's other metrics by search). */
export const KIT_LATENCY_METRIC = LATENCY_METRIC;

/**
 * Builds one CloudWatch alarm per catalog entry, all acting (on ALARM and on OK) on one
 * alarm topic, and one dashboard with the whole pipeline.
 *
 * The alarm topic is encrypted with its own customer-managed key, because the AWS
 * managed SNS key does not let CloudWatch publish; the key policy lets CloudWatch in
 * this account use it, and the topic accepts TLS only.
 */
export class PipelineMonitoring extends Construct {
  /** Every alarm notifies this topic: subscribe on-call to it. */
  readonly alarmTopic: sns.Topic;
  /** Only the page alarms (events parked or lost) notify this topic: the `page` on-call targets subscribe to it. */
  readonly pageTopic: sns.Topic;
  /** Encrypts both alarm topics. */
  readonly alarmTopicKey: kms.Key;
  /** The alarms, by catalog id. */
  readonly alarms: ReadonlyMap<string, cloudwatch.Alarm>;
  /** The dashboard. */
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: PipelineMonitoringProps) {
    super(scope, id);
    const dashboardName = props.dashboardName ?? props.pipelineName;
    const metricsNamespace = props.metricsNamespace ?? pipelineMetricsNamespace(props.pipelineName);
    const stack = Stack.of(this);

    this.alarmTopicKey = new kms.Key(this, 'AlarmTopicKey', {
      description: `Encrypts the alarm topics of pipeline ${props.pipelineName}`,
      enableKeyRotation: true,
      ...(props.keyRemovalPolicy !== undefined && { removalPolicy: props.keyRemovalPolicy }),
    });
    // Scoped by account only: whether SNS passes the alarm's ARN on to KMS is not
    // documented, and a condition it does not meet would silence every alarm.
    this.alarmTopicKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    );
    this.alarmTopic = this.alarmTopicFor('AlarmTopic', `${props.pipelineName} alarms`, props.pipelineName);
    this.pageTopic = this.alarmTopicFor('PageTopic', `${props.pipelineName} pages`, props.pipelineName);

    const consumers = new Map(props.consumers.map((c) => [c.name, c]));
    const topics = new Map(props.topics.map((t) => [t.name, t]));
    const metricFor = (spec: AlarmSpec): cloudwatch.Metric => {
      const options = {
        statistic: spec.metric.statistic,
        period: Duration.seconds(spec.metric.periodSeconds),
      };
      if (spec.metric.source === MetricSource.Topic) {
        const topic = topics.get(spec.subject.name) ?? missing(spec);
        return new cloudwatch.Metric({
          namespace: spec.metric.namespace,
          metricName: spec.metric.metricName,
          dimensionsMap: { TopicName: topic.topic.topicName },
          ...options,
        });
      }
      const consumer = consumers.get(spec.subject.name) ?? missing(spec);
      if (spec.metric.source === MetricSource.Function) {
        return new cloudwatch.Metric({
          namespace: spec.metric.namespace,
          metricName: spec.metric.metricName,
          dimensionsMap: { FunctionName: consumer.function.functionName },
          ...options,
        });
      }
      const queue =
        spec.metric.source === MetricSource.Queue
          ? consumer.queue
          : spec.metric.source === MetricSource.DeadLetterQueue
            ? consumer.deadLetterQueue
            : consumer.subscriptionDeadLetterQueue;
      return new cloudwatch.Metric({
        namespace: spec.metric.namespace,
        metricName: spec.metric.metricName,
        dimensionsMap: { QueueName: queue.queueName },
        ...options,
      });
    };

    const alarmAction = new actions.SnsAction(this.alarmTopic);
    const alarms = new Map<string, cloudwatch.Alarm>();
    for (const spec of props.alarms) {
      if (!spec.alarmName.startsWith(`${props.pipelineName}-`)) {
        throw new InfrastructureError(`alarm ${spec.id}: its name "${spec.alarmName}" must start with "${props.pipelineName}-", the only alarms the alarm key and topic let in`);
      }
      const alarm = new cloudwatch.Alarm(this, `Alarm-${spec.id}`, {
        alarmName: spec.alarmName,
        alarmDescription: spec.description,
        metric: metricFor(spec),
        threshold: spec.threshold,
        comparisonOperator: spec.comparison as cloudwatch.ComparisonOperator,
        evaluationPeriods: spec.evaluationPeriods,
        datapointsToAlarm: spec.datapointsToAlarm,
        treatMissingData: spec.treatMissingData as cloudwatch.TreatMissingData,
      });
      alarm.addAlarmAction(alarmAction);
      // Recovery is news too: whoever was paged learns it is over.
      alarm.addOkAction(alarmAction);
      alarms.set(spec.id, alarm);
    }
    this.alarms = alarms;
    this.connectOnCall(props.alarms, props.onCall ?? { page: [], warn: [] });

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName,
      defaultInterval: Duration.hours(3),
    });
    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown: `# ${props.pipelineName}\nEvents flow from the topics through one queue per consumer to its function. Every alarm links to its runbook section.`,
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: [...alarms.values()], width: 24, height: 6 }),
    );
    for (const topic of props.topics) {
      const topicMetric = (metricName: string) =>
        new cloudwatch.Metric({
          namespace: 'AWS/SNS',
          metricName,
          dimensionsMap: { TopicName: topic.topic.topicName },
          statistic: 'Sum',
          period: Duration.minutes(1),
          label: metricName,
        });
      this.dashboard.addWidgets(
        new cloudwatch.GraphWidget({
          title: `Topic ${topic.name}: published, delivered, failed`,
          left: [topicMetric('NumberOfMessagesPublished'), topicMetric('NumberOfNotificationsDelivered')],
          right: [topicMetric('NumberOfNotificationsFailed'), topicMetric('NumberOfNotificationsFilteredOut')],
          width: 24,
        }),
      );
    }
    for (const consumer of props.consumers) {
      const sqsMetric = (queue: sqs.IQueue, metricName: string, label: string) =>
        new cloudwatch.Metric({
          namespace: 'AWS/SQS',
          metricName,
          dimensionsMap: { QueueName: queue.queueName },
          statistic: 'Maximum',
          period: Duration.minutes(1),
          label,
        });
      const fn = consumer.function;
      this.dashboard.addWidgets(
        new cloudwatch.GraphWidget({
          title: `${consumer.name}: backlog`,
          left: [
            sqsMetric(consumer.queue, 'ApproximateNumberOfMessagesVisible', 'waiting'),
            sqsMetric(consumer.queue, 'ApproximateNumberOfMessagesNotVisible', 'in flight'),
          ],
          width: 6,
        }),
        new cloudwatch.GraphWidget({
          title: `${consumer.name}: oldest message age (s)`,
          left: [sqsMetric(consumer.queue, 'ApproximateAgeOfOldestMessage', 'oldest')],
          leftAnnotations: [{ value: consumer.latencySlaP95Seconds, label: 'latency objective', color: '#d62728' }],
          width: 6,
        }),
        new cloudwatch.GraphWidget({
          title: `${consumer.name}: dead-letter queues`,
          left: [
            sqsMetric(consumer.deadLetterQueue, 'ApproximateNumberOfMessagesVisible', 'DLQ'),
            sqsMetric(consumer.subscriptionDeadLetterQueue, 'ApproximateNumberOfMessagesVisible', 'subscription DLQ'),
          ],
          width: 6,
        }),
        new cloudwatch.GraphWidget({
          title: `${consumer.name}: function`,
          left: [
            fn.metricInvocations({ period: Duration.minutes(1), label: 'invocations' }),
            fn.metricErrors({ period: Duration.minutes(1), label: 'errors' }),
            fn.metricThrottles({ period: Duration.minutes(1), label: 'throttles' }),
          ],
          right: [fn.metricDuration({ statistic: 'p99', period: Duration.minutes(5), label: 'duration p99 (ms)' })],
          rightAnnotations: [{ value: consumer.timeout.toMilliseconds(), label: 'timeout', color: '#d62728' }],
          width: 6,
        }),
      );
      // The kit's EMF metrics (Powertools: one `service` dimension, the consumer's name),
      // found by search so the dashboard follows the kit without listing its metric names.
      const kitSearch = (filter: string, statistic: string, label: string) =>
        new cloudwatch.MathExpression({
          expression: `SEARCH('{"${metricsNamespace}",service} service="${consumer.name}" ${filter}', '${statistic}', 60)`,
          label,
          period: Duration.minutes(1),
          usingMetrics: {},
        });
      this.dashboard.addWidgets(
        new cloudwatch.GraphWidget({
          title: `${consumer.name}: outcomes per minute (processed, duplicate, stale, failures)`,
          left: [kitSearch(`NOT MetricName="${KIT_LATENCY_METRIC}"`, 'Sum', '')],
          width: 12,
        }),
        new cloudwatch.GraphWidget({
          title: `${consumer.name}: end-to-end latency p95 (ms)`,
          left: [kitSearch(`MetricName="${KIT_LATENCY_METRIC}"`, 'p95', '')],
          leftAnnotations: [{ value: consumer.latencySlaP95Seconds * 1000, label: 'latency objective', color: '#d62728' }],
          width: 12,
        }),
      );
    }
  }

  /** Lets `grantee` subscribe endpoints to the alarm topic. */
  grantSubscribeToAlarms(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: ['sns:Subscribe'], resourceArns: [this.alarmTopic.topicArn] });
  }

  /**
   * A topic CloudWatch alarms publish to: encrypted with the alarm key, TLS only, and open
   * to CloudWatch for this pipeline's alarms only (their names all start with the
   * pipeline's), not every alarm of the account: the confused-deputy guard.
   */
  private alarmTopicFor(id: string, displayName: string, pipelineName: string): sns.Topic {
    const stack = Stack.of(this);
    const topic = new sns.Topic(this, id, { displayName, masterKey: this.alarmTopicKey, enforceSSL: true });
    // The TLS-only policy replaces SNS's default topic policy, so CloudWatch (a service
    // principal, which IAM policies in the account do not cover) is let in explicitly.
    topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: `${pipelineName}-*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME }) },
        },
      }),
    );
    return topic;
  }

  /**
   * Page alarms also notify the page topic. Email and HTTPS targets subscribe: `page`
   * ones to the page topic, `warn` ones to the alarm topic (every alarm). An existing
   * topic (e.g. one AWS Chatbot reads; its policy must let CloudWatch publish) becomes
   * an action of the alarms of its severity. Two topics rather than one with a filter:
   * CloudWatch sends email subscribers text, not the JSON a body filter would read.
   * @throws InfrastructureError when an alarm would get more than CloudWatch's 5 actions per state
   */
  private connectOnCall(specs: readonly AlarmSpec[], onCall: { readonly page: readonly AlarmTarget[]; readonly warn: readonly AlarmTarget[] }): void {
    if (onCall.page.length === 0) {
      Annotations.of(this).addWarningV2(
        'fanout:alarms-page-nobody',
        'No on-call target pages anyone: when events are dead-lettered or cannot be delivered, the alarms notify only the alarm topics, which nobody is subscribed to. Set onCall.page in the pipeline definition (email, https or an existing topicArn).',
      );
    }
    const pageAction = new actions.SnsAction(this.pageTopic);
    for (const spec of specs.filter((s) => s.severity === 'page')) {
      this.alarms.get(spec.id)!.addAlarmAction(pageAction);
      this.alarms.get(spec.id)!.addOkAction(pageAction);
    }
    const severities = [
      { severity: 'page', targets: onCall.page, topic: this.pageTopic, alarms: specs.filter((spec) => spec.severity === 'page') },
      { severity: 'warn', targets: onCall.warn, topic: this.alarmTopic, alarms: specs },
    ] as const;
    const added = new Set<string>();
    for (const { severity, targets, topic, alarms } of severities) {
      targets.forEach((target, i) => {
        const id = `OnCall-${severity}-${i}`;
        if ('topicArn' in target) {
          const action = new actions.SnsAction(sns.Topic.fromTopicArn(this, id, target.topicArn));
          for (const spec of alarms) {
            // A topic named under both severities notifies a page alarm once.
            if (added.has(`${spec.id} ${target.topicArn}`)) continue;
            added.add(`${spec.id} ${target.topicArn}`);
            this.alarms.get(spec.id)!.addAlarmAction(action);
            this.alarms.get(spec.id)!.addOkAction(action);
          }
          return;
        }
        new sns.Subscription(this, id, {
          topic,
          ...('email' in target ? { protocol: sns.SubscriptionProtocol.EMAIL, endpoint: target.email } : { protocol: sns.SubscriptionProtocol.HTTPS, endpoint: target.https }),
        });
      });
    }
    for (const spec of specs) {
      const count = [...added].filter((key) => key.startsWith(`${spec.id} `)).length + (spec.severity === 'page' ? 2 : 1);
      if (count > MAX_ALARM_ACTIONS) {
        throw new InfrastructureError(`alarm ${spec.alarmName} would notify ${count} topics; CloudWatch allows ${MAX_ALARM_ACTIONS} actions per state: name fewer topicArn targets in onCall`);
      }
    }
  }

}

function missing(spec: AlarmSpec): never {
  throw new InfrastructureError(`alarm ${spec.id}: no ${spec.subject.kind} named "${spec.subject.name}" to monitor`);
}
