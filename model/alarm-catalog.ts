/**
 * The alarm catalog: every alarm a pipeline gets, as plain data derived from the
 * {@link ResolvedPipeline}.
 *
 * It is pure (no CDK, no AWS SDK, no I/O) so that two readers stay in step: the
 * monitoring construct builds CloudWatch alarms from it, and the runbook generator
 * writes one RUNBOOK.md section per entry. An alarm and the runbook section it points
 * to can therefore never drift apart.
 */
import type { ResolvedConsumer, ResolvedPipeline, ResolvedTopic } from './pipeline-definition';

/** The file, relative to the project root, that every alarm description points into. */
export const RUNBOOK_FILE = 'RUNBOOK.md';

/** What an alarm watches. One entry per consumer (or topic) and kind. */
export const AlarmKind = {
  /** Messages sit in the consumer's dead-letter queue. */
  DlqDepth: 'dlq-depth',
  /** The oldest message in the consumer's queue is older than the latency objective. */
  OldestMessageAge: 'oldest-message-age',
  /** More messages wait than the peak rate could drain within the latency objective. */
  QueueDepth: 'queue-depth',
  /** Invocations of the consumer's function failed as a whole. */
  FunctionErrors: 'function-errors',
  /** Invocations of the consumer's function were throttled. */
  FunctionThrottles: 'function-throttles',
  /** The function's p99 duration is close to its timeout. */
  FunctionDuration: 'function-duration',
  /** SNS could not deliver to the consumer's queue and parked messages in the subscription DLQ. */
  SubscriptionDlqDepth: 'subscription-dlq-depth',
  /** SNS failed to deliver notifications from the topic. */
  NotificationsFailed: 'notifications-failed',
  /** Events published without message attributes, so no attribute filter could select them. */
  FilteredNoAttributes: 'filtered-no-attributes',
  /** Events whose message attributes SNS could not evaluate against a filter policy. */
  FilteredInvalidAttributes: 'filtered-invalid-attributes',
  /** SNS could deliver an event neither to a queue nor to that subscription's dead-letter queue. */
  FailedToRedriveToDlq: 'failed-to-redrive-to-dlq',
} as const;

/**
 * How urgent an alarm is. `page`: events are being dead-lettered or SNS could not
 * deliver them, so without a person they stay parked until retention deletes them.
 * `warn`: an early sign (age, backlog, errors, throttles, duration) the pipeline may
 * still absorb with its retries.
 */
export type AlarmSeverity = 'page' | 'warn';

/** The severity of each kind of alarm. */
export const ALARM_SEVERITY: Readonly<Record<(typeof AlarmKind)[keyof typeof AlarmKind], AlarmSeverity>> = {
  'dlq-depth': 'page',
  'subscription-dlq-depth': 'page',
  'notifications-failed': 'page',
  // The three below are events gone for good: SNS keeps no copy of a notification it
  // filtered out or could not park, so nothing is left to redrive.
  'filtered-no-attributes': 'page',
  'filtered-invalid-attributes': 'page',
  'failed-to-redrive-to-dlq': 'page',
  'oldest-message-age': 'warn',
  'queue-depth': 'warn',
  'function-errors': 'warn',
  'function-throttles': 'warn',
  'function-duration': 'warn',
};

/** One of the {@link AlarmKind} values. */
export type AlarmKind = (typeof AlarmKind)[keyof typeof AlarmKind];

/** Which resource of a consumer (or which topic) the metric belongs to. */
export const MetricSource = {
  /** The consumer's SQS queue (dimension QueueName). */
  Queue: 'queue',
  /** The consumer's dead-letter queue (dimension QueueName). */
  DeadLetterQueue: 'dlq',
  /** The dead-letter queue of the consumer's SNS subscription (dimension QueueName). */
  SubscriptionDeadLetterQueue: 'subscription-dlq',
  /** The consumer's Lambda function (dimension FunctionName). */
  Function: 'function',
  /** The SNS topic (dimension TopicName). */
  Topic: 'topic',
} as const;

/** One of the {@link MetricSource} values. */
export type MetricSource = (typeof MetricSource)[keyof typeof MetricSource];

/** CloudWatch comparison operators the catalog uses (named as CloudWatch names them). */
export type AlarmComparison = 'GreaterThanOrEqualToThreshold' | 'GreaterThanThreshold';

/** The metric an alarm evaluates, without its dimension value (a deploy-time name). */
export interface AlarmMetricSpec {
  /** Whose metric it is; the monitoring construct maps it to the resource's name. */
  readonly source: MetricSource;
  readonly namespace: 'AWS/SQS' | 'AWS/Lambda' | 'AWS/SNS';
  readonly metricName: string;
  /** A CloudWatch statistic: `Maximum`, `Sum`, or a percentile such as `p99`. */
  readonly statistic: string;
  readonly periodSeconds: number;
}

/** Who an alarm is about. */
export interface AlarmSubject {
  readonly kind: 'consumer' | 'topic';
  /** The consumer's or topic's name in the definition, e.g. `crm-sync`. */
  readonly name: string;
}

/** One alarm, everything both the monitoring construct and the runbook need. */
export interface AlarmSpec {
  /** Unique within the pipeline: `<subject>-<kind>`, e.g. `crm-sync-dlq-depth`. */
  readonly id: string;
  readonly kind: AlarmKind;
  /** Who it reaches: {@link ALARM_SEVERITY} of its kind. */
  readonly severity: AlarmSeverity;
  readonly subject: AlarmSubject;
  /** The CloudWatch alarm name: `<pipeline>-<id>`. */
  readonly alarmName: string;
  /** A short heading, e.g. `crm-sync: messages in the dead-letter queue`. */
  readonly title: string;
  readonly metric: AlarmMetricSpec;
  readonly comparison: AlarmComparison;
  readonly threshold: number;
  /** The unit the threshold is in, in words (`messages`, `seconds`, `milliseconds`, `invocations`, `notifications`). */
  readonly thresholdUnit: string;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  /**
   * How missing data counts. Always `notBreaching`: SQS stops sending metrics for idle
   * queues and Lambda sends none without invocations, and silence is not a fault.
   */
  readonly treatMissingData: 'notBreaching';
  /** What it means when it fires, in a sentence or two. */
  readonly meaning: string;
  /** What an operator should do, in order. */
  readonly actions: readonly string[];
  /**
   * The runbook section's anchor, e.g. `crm-sync-dlq-depth` (the id). The runbook
   * generator must emit exactly this anchor (for instance `<a id="crm-sync-dlq-depth"></a>`
   * before the section's heading) so that the link in the alarm lands on it.
   */
  readonly runbookAnchor: string;
  /** The AlarmDescription: the meaning, ending with `Runbook: RUNBOOK.md#<anchor>`. */
  readonly description: string;
}

/** Share of the function timeout above which the p99 duration alarm fires. */
export const DURATION_ALARM_TIMEOUT_SHARE = 0.8;

const MINUTE = 60;

/** `Runbook: RUNBOOK.md#<anchor>`, the suffix of every alarm description. */
export function runbookLink(anchor: string): string {
  return `Runbook: ${RUNBOOK_FILE}#${anchor}`;
}

type SpecBody = Omit<AlarmSpec, 'id' | 'alarmName' | 'runbookAnchor' | 'description' | 'subject' | 'kind' | 'severity' | 'treatMissingData'>;

function spec(pipeline: ResolvedPipeline, subject: AlarmSubject, kind: AlarmKind, body: SpecBody): AlarmSpec {
  const id = `${subject.name}-${kind}`;
  return {
    id,
    kind,
    severity: ALARM_SEVERITY[kind],
    subject,
    alarmName: `${pipeline.name}-${id}`,
    treatMissingData: 'notBreaching',
    runbookAnchor: id,
    description: `${body.meaning} ${runbookLink(id)}`,
    ...body,
  };
}

function consumerAlarms(pipeline: ResolvedPipeline, consumer: ResolvedConsumer): AlarmSpec[] {
  const subject: AlarmSubject = { kind: 'consumer', name: consumer.name };
  const name = consumer.name;
  const sla = consumer.latencySlaP95Seconds;
  // Messages that can wait at most `sla` seconds while the consumer drains at the peak
  // rate: any deeper and the last one in line is late even if nothing else goes wrong.
  // Rounded up, after shedding floating-point noise (0.1 + 0.2 events/s x 10 s is 3, not 4).
  const drainableDepth = Math.ceil(Number((consumer.peakEventsPerSecond * sla).toFixed(6)));
  const durationThresholdMs = Math.round(consumer.timeoutSeconds * 1000 * DURATION_ALARM_TIMEOUT_SHARE);
  const sqs = (source: MetricSource, metricName: string): AlarmMetricSpec => ({
    source,
    namespace: 'AWS/SQS',
    metricName,
    statistic: 'Maximum',
    periodSeconds: MINUTE,
  });
  const lambda = (metricName: string, statistic: string, periodSeconds: number): AlarmMetricSpec => ({
    source: MetricSource.Function,
    namespace: 'AWS/Lambda',
    metricName,
    statistic,
    periodSeconds,
  });
  const once = { evaluationPeriods: 1, datapointsToAlarm: 1 } as const;
  return [
    spec(pipeline, subject, AlarmKind.DlqDepth, {
      title: `${name}: messages in the dead-letter queue`,
      metric: sqs(MetricSource.DeadLetterQueue, 'ApproximateNumberOfMessagesVisible'),
      comparison: 'GreaterThanOrEqualToThreshold',
      threshold: 1,
      thresholdUnit: 'messages',
      ...once,
      meaning: `${name} gave up on at least one event: it failed permanently (bad envelope, contract violation, rejected by the downstream), kept failing transiently for its whole retry budget (${consumer.retryBudgetSeconds} s from its first try: the kit then parks it with its last error), or ${
        consumer.fifo
          ? // On FIFO a message held behind a failing one of its group is received with it each time without running.
            `was received ${consumer.maxReceiveCount} times without succeeding (its tries crashed or timed out, or it was held behind a failing event of its message group)`
          : `was received ${consumer.maxReceiveCount} times without an answer (its tries crashed or timed out, so SQS moved it without a reason)`
      }, and now waits in the dead-letter queue (until 14 days after it was first sent: at least 7 days from now).`,
      actions: [
        `Read the dead-lettered messages and the failure reason the consumer logged (\`fanout dlq\`).`,
        'Fix the cause: a bad producer, a contract change, or the downstream.',
        `Move the messages back to the queue (\`fanout redrive\`); processing is idempotent, so events already applied are not applied twice.`,
      ],
    }),
    spec(pipeline, subject, AlarmKind.OldestMessageAge, {
      title: `${name}: events older than the ${sla} s latency objective`,
      metric: sqs(MetricSource.Queue, 'ApproximateAgeOfOldestMessage'),
      comparison: 'GreaterThanThreshold',
      threshold: sla,
      thresholdUnit: 'seconds',
      ...once,
      meaning: `The oldest event waiting for ${name} is older than its ${sla} s p95 latency objective: the consumer is stuck, failing and retrying, or too slow for the incoming rate.`,
      actions: [
        `Check the function's errors, throttles and duration alarms for ${name}.`,
        'Look for a downstream outage (transient failures retried with backoff) in the logs.',
        `If the consumer is healthy but slow, raise its maximum concurrency or batch size in the pipeline definition and deploy.`,
      ],
    }),
    spec(pipeline, subject, AlarmKind.QueueDepth, {
      title: `${name}: backlog deeper than the peak rate drains in ${sla} s`,
      metric: sqs(MetricSource.Queue, 'ApproximateNumberOfMessagesVisible'),
      comparison: 'GreaterThanThreshold',
      threshold: drainableDepth,
      thresholdUnit: 'messages',
      ...once,
      meaning: `More than ${drainableDepth} events wait for ${name}, more than its peak rate (${consumer.peakEventsPerSecond}/s) drains within the ${sla} s latency objective: events are about to be late.`,
      actions: [
        `Check whether publishers exceed the expected peak (${consumer.peakEventsPerSecond} events/s) or ${name} slowed down.`,
        'Check the function errors, throttles and duration alarms.',
        'Raise maximum concurrency in the pipeline definition if the downstream can take it.',
      ],
    }),
    spec(pipeline, subject, AlarmKind.FunctionErrors, {
      title: `${name}: function invocations failing`,
      metric: lambda('Errors', 'Sum', MINUTE),
      comparison: 'GreaterThanOrEqualToThreshold',
      threshold: 1,
      thresholdUnit: 'invocations',
      ...once,
      meaning: `Invocations of ${name}'s function failed as a whole (crash, out of memory or timeout), so the whole batch is retried. Failures of single events are reported per item and do not count here.`,
      actions: [
        `Read the function's logs for the error and its correlation id.`,
        'Fix and deploy; the messages are retried and end in the DLQ after the maximum receive count.',
      ],
    }),
    spec(pipeline, subject, AlarmKind.FunctionThrottles, {
      title: `${name}: function throttled`,
      metric: lambda('Throttles', 'Sum', MINUTE),
      comparison: 'GreaterThanOrEqualToThreshold',
      threshold: 1,
      thresholdUnit: 'invocations',
      ...once,
      meaning: `Lambda throttled ${name}'s function. The event source mapping caps concurrency at ${consumer.maxConcurrency}, so this means the account's or function's concurrency is exhausted by something else.`,
      actions: [
        'Check the account concurrency usage and any reserved concurrency on other functions.',
        'Request a higher concurrency quota, or lower the maximum concurrency of other consumers.',
      ],
    }),
    spec(pipeline, subject, AlarmKind.FunctionDuration, {
      title: `${name}: p99 duration near the ${consumer.timeoutSeconds} s timeout`,
      metric: lambda('Duration', 'p99', 5 * MINUTE),
      comparison: 'GreaterThanThreshold',
      threshold: durationThresholdMs,
      thresholdUnit: 'milliseconds',
      ...once,
      meaning: `The p99 duration of ${name}'s function is above ${Math.round(DURATION_ALARM_TIMEOUT_SHARE * 100)}% of its ${consumer.timeoutSeconds} s timeout: invocations are about to time out and whole batches will be retried.`,
      actions: [
        'Check the downstream latency in the traces (X-Ray) and the logs.',
        'Lower the batch size or raise the timeout in the pipeline definition (the queue visibility timeout follows).',
      ],
    }),
    spec(pipeline, subject, AlarmKind.SubscriptionDlqDepth, {
      title: `${name}: SNS could not deliver to the queue`,
      metric: sqs(MetricSource.SubscriptionDeadLetterQueue, 'ApproximateNumberOfMessagesVisible'),
      comparison: 'GreaterThanOrEqualToThreshold',
      threshold: 1,
      thresholdUnit: 'messages',
      ...once,
      meaning: `SNS could not deliver events from topic ${consumer.topic} to ${name}'s queue (queue policy, KMS key policy or a deleted queue) and parked them in the subscription dead-letter queue.`,
      actions: [
        `Check the queue policy and the topic key policy of ${name}'s queue.`,
        'Once delivery works again, move the parked messages to the queue (`fanout redrive`).',
      ],
    }),
  ];
}

function topicAlarms(pipeline: ResolvedPipeline, topic: ResolvedTopic): AlarmSpec[] {
  const subject: AlarmSubject = { kind: 'topic', name: topic.name };
  const sns = (metricName: string): AlarmMetricSpec => ({ source: MetricSource.Topic, namespace: 'AWS/SNS', metricName, statistic: 'Sum', periodSeconds: MINUTE });
  const anyNotification = { comparison: 'GreaterThanOrEqualToThreshold', threshold: 1, thresholdUnit: 'notifications', evaluationPeriods: 1, datapointsToAlarm: 1 } as const;
  const subscribers = pipeline.consumers.filter((c) => c.topic === topic.name);
  // The two filter alarms watch what attribute filter policies drop; a topic whose
  // subscriptions all filter on the message body never counts these metrics.
  const attributeFiltered = subscribers.filter((c) => c.filter.scope === 'MessageAttributes').map((c) => c.name);
  const theirSubscriptions = attributeFiltered.length === 1 ? `The subscription of ${attributeFiltered[0]} selects` : `The subscriptions of ${attributeFiltered.join(', ')} select`;
  const attributeKeys = [...new Set(subscribers.filter((c) => c.filter.scope === 'MessageAttributes').flatMap((c) => Object.keys(c.filter.policy).filter((k) => k !== '$or')))];
  const byAttributes = attributeKeys.length === 0 ? 'message attributes' : `the ${attributeKeys.map((k) => `\`${k}\``).join(', ')} message attribute${attributeKeys.length === 1 ? '' : 's'}`;
  // A filtered-out event is in no queue; the topic's archive (FIFO) holds it, but a replay
  // is filtered the same way: only a publish with the attributes gets it through.
  const noCopy = topic.archiveRetentionDays ? "SNS holds it only in the topic's archive, where a replay would be filtered out the same way" : 'SNS kept no copy';
  const republish = `Have the producer publish the dropped events again, with the attributes and their original ids${
    topic.fifo ? " (after SNS's 5-minute deduplication window: within it SNS drops a republish with the same id as a duplicate of the one it filtered out)" : ''
  }: consumers are idempotent, so any that did arrive are not applied twice.`;
  const filterAlarms =
    attributeFiltered.length === 0
      ? []
      : [
          spec(pipeline, subject, AlarmKind.FilteredNoAttributes, {
            title: `${topic.name}: events published without message attributes`,
            metric: sns('NumberOfNotificationsFilteredOut-NoMessageAttributes'),
            ...anyNotification,
            meaning: `A producer published to topic ${topic.name} without message attributes. ${theirSubscriptions} events by ${byAttributes}, so SNS filtered the event out: it reached none of them, and ${noCopy}.`,
            actions: [
              'Find the producer: the topic\'s CloudTrail data events, or the `source` of recent events that did arrive, narrow it down.',
              'Make it set the `type` message attribute to the envelope\'s type on every publish (README, "Publishing from any language"); `fanout route <event.json>` shows where an event would go.',
              republish,
            ],
          }),
          spec(pipeline, subject, AlarmKind.FilteredInvalidAttributes, {
            title: `${topic.name}: events with message attributes filters cannot read`,
            metric: sns('NumberOfNotificationsFilteredOut-InvalidAttributes'),
            ...anyNotification,
            meaning: `A producer published to topic ${topic.name} with message attributes SNS could not evaluate against the filter ${attributeFiltered.length === 1 ? 'policy' : 'policies'} of ${attributeFiltered.join(', ')} (for example a malformed attribute value), so it filtered the event out: it reached none of them, and ${noCopy}.`,
            actions: [
              'Find the producer and compare its message attributes with the wire contract (README, "Publishing from any language"): `type` as DataType String, the event type as its value.',
              'Check the event with `fanout route <event.json>`.',
              republish,
            ],
          }),
        ];
  return [
    ...filterAlarms,
    spec(pipeline, subject, AlarmKind.FailedToRedriveToDlq, {
      title: `${topic.name}: undeliverable events lost`,
      metric: sns('NumberOfNotificationsFailedToRedriveToDlq'),
      ...anyNotification,
      meaning: `SNS could deliver an event from topic ${topic.name} neither to a subscribed queue nor to that subscription's dead-letter queue (its queue policy, its KMS key, or the queue deleted): ${
        topic.archiveRetentionDays
          ? `the event is in no queue, and only the topic's ${topic.archiveRetentionDays}-day archive still holds it.`
          : 'the event is lost for that consumer.'
      } The last step before a loss, and the only one SNS reports.`,
      actions: [
        `Check each subscription dead-letter queue of the topic: its queue policy must let ${topic.name} send, and its KMS key policy must let SNS use the key.`,
        topic.archiveRetentionDays
          ? `Fix it and deploy; then replay the alarm's period from the archive (\`fanout replay ${topic.name} --from <time>\`, within ${topic.archiveRetentionDays} days): consumers are idempotent, so events already applied are not applied twice.`
          : "Fix it and deploy; then have the producer publish the events of the alarm's period again with their original ids (consumers are idempotent).",
      ],
    }),
    spec(pipeline, subject, AlarmKind.NotificationsFailed, {
      title: `${topic.name}: notifications failed`,
      metric: sns('NumberOfNotificationsFailed'),
      ...anyNotification,
      meaning: `SNS failed to deliver notifications from topic ${topic.name} to a subscriber; the failed ones are in that consumer's subscription dead-letter queue.`,
      actions: [
        `Find which consumer's subscription DLQ alarm fired and follow its section.`,
        `Check the topic's KMS key policy and the subscribed queues' policies.`,
      ],
    }),
  ];
}

/**
 * Every alarm of a pipeline: seven per consumer (DLQ depth, oldest message age, queue
 * depth, function errors, throttles, duration near timeout, subscription DLQ depth)
 * and per topic: notifications failed, failed to redrive to a DLQ, and, where a
 * subscription filters on message attributes, events filtered out for having none or
 * unreadable ones (a producer's mistake that SNS otherwise drops without a trace).
 *
 * Thresholds come from the definition: the oldest-message-age alarm fires above the
 * tightest latency objective of the consumer's event types; the depth alarm above what
 * the summed peak rate drains within that objective (`peak x SLA`, rounded up); the
 * duration alarm above {@link DURATION_ALARM_TIMEOUT_SHARE} of the function timeout.
 *
 * @returns specs in a stable order: consumers in definition order, then topics
 */
export function alarmCatalog(pipeline: ResolvedPipeline): AlarmSpec[] {
  return [
    ...pipeline.consumers.flatMap((consumer) => consumerAlarms(pipeline, consumer)),
    ...pipeline.topics.flatMap((topic) => topicAlarms(pipeline, topic)),
  ];
}
